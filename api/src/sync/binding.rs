//! A login opened without a tablet id is bound to the tablet of its first batch; a later batch
//! from another tablet is refused.

use entity::refresh_token;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use crate::error::{ApiError, ErrorCode, Result};

/// 403 for a batch sent with another tablet's id than the one the login is bound to.
pub fn device_mismatch() -> ApiError {
    ApiError::from(ErrorCode::DeviceMismatch)
}

/// Binds the login `family` to `device` unless it is bound already; refuses a login bound, maybe
/// meanwhile by another request, to another tablet.
pub async fn bind_device(db: &DatabaseConnection, family: &str, device: &str) -> Result<()> {
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
