//! Accepting a tablet's batch (`POST /sync/push`): applied whole or not at all, idempotent by
//! `batch_id`, by the writers of `ingest.rs`.

use mobile_contract::{PushRequest, PushResponse};
use sea_orm::{DatabaseConnection, EntityTrait, QueryFilter};

use super::ingest::Ingest;
use crate::{
    auth::principal::Bearer,
    error::{ApiError, ErrorCode, Result},
};

/// Queues a checked batch for the ingest writers, after binding the login to the batch's tablet
/// (a login opened without a tablet id is bound to the tablet of its first batch), and answers
/// once it is durable.
pub async fn accept(
    db: &DatabaseConnection,
    ingest: &Ingest,
    caller: Bearer,
    batch: PushRequest,
) -> Result<PushResponse> {
    let device = batch.device_id.to_string();
    match caller.device_id.as_deref() {
        Some(bound) if bound != device => return Err(device_mismatch()),
        Some(_) => {}
        None => bind_device(db, &caller.family, &device).await?,
    }
    ingest.push(caller, batch).await
}

/// 403 for a batch sent with another tablet's id than the one the login is bound to.
fn device_mismatch() -> ApiError {
    ApiError::from(ErrorCode::DeviceMismatch)
}

/// A login opened without a tablet id is bound to the tablet of its first batch; a later batch
/// from another tablet is refused.
async fn bind_device(db: &DatabaseConnection, family: &str, device: &str) -> Result<()> {
    use entity::refresh_token;
    use sea_orm::{ColumnTrait, QueryOrder, QuerySelect, sea_query::Expr};
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::DeviceId, Expr::value(device))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::DeviceId.is_null())
        .exec(db)
        .await?;
    let bound: Option<Option<String>> = refresh_token::Entity::find()
        .select_only()
        .column(refresh_token::Column::DeviceId)
        .filter(refresh_token::Column::FamilyId.eq(family))
        .order_by_desc(refresh_token::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    match bound.flatten() {
        Some(bound) if bound == device => Ok(()),
        _ => Err(device_mismatch()),
    }
}
