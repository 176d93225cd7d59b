//! `helpdesk_article`: an article of the knowledge base, often drawn from a resolved ticket.
use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::helpdesk_vocabulary::ArticleState;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "helpdesk_article")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub problem: String,
    #[sea_orm(column_type = "Text")]
    pub solution: String,
    pub topic_id: Option<i64>,
    /// Comma-separated.
    pub tags: String,
    pub state: ArticleState,
    pub source_ticket_id: Option<i64>,
    pub author_id: i64,
    pub helpful: i32,
    pub not_helpful: i32,
    /// Times a user read it as a suggestion and filed no ticket.
    pub deflections: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
