//! The e-mails a public request's requester gets: issued (with a single-use download link) or
//! rejected (with the reason), written to the outbox in the decision's transaction.

use sea_orm::ConnectionTrait;

use crate::{
    error::{ApiError, Result},
    time::now,
};

/// The requester's certificate is issued: a link to download it once.
pub async fn issued(
    db: &impl ConnectionTrait,
    to: &str,
    link: &str,
    code: &str,
    school: &str,
) -> Result<()> {
    let mail = jobs::templates::Mail::new(
        "certificate_issued",
        &jobs::templates::context! { link => link, code => code, school => school },
    )
    .map_err(ApiError::Internal)?;
    jobs::outbox::enqueue(db, to, mail, None, now()).await?;
    Ok(())
}

/// The requester's request was rejected, with the reason.
pub async fn rejected(
    db: &impl ConnectionTrait,
    to: &str,
    reason: &str,
    school: &str,
) -> Result<()> {
    let mail = jobs::templates::Mail::new(
        "certificate_rejected",
        &jobs::templates::context! { reason => reason, school => school },
    )
    .map_err(ApiError::Internal)?;
    jobs::outbox::enqueue(db, to, mail, None, now()).await?;
    Ok(())
}
