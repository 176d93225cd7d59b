//! `mail_outbox`: e-mail written in the same transaction as the change that causes it, delivered later.
//!
//! A message is kept as its `template` and the JSON `context` it is rendered with when sent.
//! Messages queued before templates were kept this way carry their rendered `subject` and bodies
//! instead.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "mail_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub dedupe_key: Option<String>,
    pub to_address: String,
    pub subject: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub text_body: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub html_body: Option<String>,
    pub created_at: DateTimeUtc,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub template: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub context: Option<String>,
    /// For whoever directs this IE when the message is sent (a month's reminder): the sender
    /// addresses it to the IE's director then, or withdraws it when there is none to reach.
    pub director_of: Option<i64>,
    /// When the sender withdrew it unsent: its IE had no director with a confirmed address.
    pub withdrawn_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
