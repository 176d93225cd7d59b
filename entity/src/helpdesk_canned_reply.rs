//! `helpdesk_canned_reply`: a reply the Central de Atención keeps, for one topic or for all, that
//! an agent sends as it is or edited; it may also move the ticket.
use sea_orm::entity::prelude::*;

use crate::helpdesk_vocabulary::CannedStep;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "helpdesk_canned_reply")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `None`: offered on every topic.
    pub topic_id: Option<i64>,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// What sending it also does: nothing (a reply), ask the requester, or resolve.
    pub then_step: Option<CannedStep>,
    pub active: bool,
    pub updated_by: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
