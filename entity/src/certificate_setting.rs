//! `certificate_setting`: what the director of an IE enabled of Mi Certificado.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "certificate_setting")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub school_id: i64,
    /// The "constancia de logros de aprendizaje" is offered for the IE.
    pub constancia_enabled: bool,
    /// The public may send certificate requests to the IE.
    pub public_requests_enabled: bool,
    pub updated_by: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
