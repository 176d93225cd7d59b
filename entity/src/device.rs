//! `device`: tablets that have logged in, per IE.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "device")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub school_id: Option<i64>,
    pub last_user_id: Option<i64>,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub last_sync_at: Option<DateTimeUtc>,
    pub pending_marks: Option<i32>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user_account::Entity",
        from = "Column::LastUserId",
        to = "super::user_account::Column::Id"
    )]
    LastUser,
}

impl Related<super::user_account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LastUser.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
