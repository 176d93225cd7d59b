//! A public request's single-use download link: a new token (only its hash is stored, and the
//! token before it stops working) and the e-mail that carries it. Issuing and the public requests
//! both send one; it sits below both.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr};

use entity::certificate_request;

use super::{Certificates, answer::DOWNLOAD_PATH};
use crate::{
    auth::tokens::{hash_token, random_token},
    error::Result,
};

/// A new single-use download token for an issued public request (its hash is stored); the token
/// before it stops working.
async fn download_token(db: &impl ConnectionTrait, request_id: i64) -> Result<String> {
    let token = random_token(32);
    certificate_request::Entity::update_many()
        .col_expr(
            certificate_request::Column::DownloadTokenHash,
            Expr::value(hash_token(&token)),
        )
        .col_expr(
            certificate_request::Column::DownloadUsedAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .filter(certificate_request::Column::Id.eq(request_id))
        .exec(db)
        .await?;
    Ok(token)
}

/// The e-mail that carries a new single-use download link to the requester of an issued public
/// request; the token is stored in the caller's transaction.
pub async fn link_mail(
    db: &impl ConnectionTrait,
    service: &Certificates,
    request_id: i64,
    email: &str,
    virtual_code: &str,
    school_name: &str,
) -> Result<jobs::outbox::Queued> {
    let token = download_token(db, request_id).await?;
    let link = format!("{}{DOWNLOAD_PATH}?token={token}", service.base_url);
    super::mail::issued(email, &link, virtual_code, school_name)
}
