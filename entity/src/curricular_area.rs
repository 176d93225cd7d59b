//! `curricular_area`: the catalogue of curricular areas per level and curriculum period, with the
//! scale each is graded on and the years it applies to.
use sea_orm::entity::prelude::*;
use serde::Serialize;

use crate::vocabulary::{AreaKind, GradeScale, Level};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "curricular_area")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub level: Level,
    /// Short code, unique per level and first year (`MAT`, `COM`, `CTA`, `COMP`).
    pub code: String,
    pub name: String,
    pub kind: AreaKind,
    pub scale: GradeScale,
    pub from_year: i32,
    /// The last year it applies to; open-ended when `None`.
    pub to_year: Option<i32>,
    /// Order of the columns of an acta and a certificate.
    pub position: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
