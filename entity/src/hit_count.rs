//! `hit_count`: hits on a public endpoint per key (a client address, a document) in the window
//! that began with the key's first hit, shared by every server instance.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "hit_count")]
pub struct Model {
    /// What is counted and whose: `verify:<address>`, `request:<document>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    /// When the window began (the first hit after the last one ended), in seconds since 1970.
    pub window_start: i64,
    pub hits: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
