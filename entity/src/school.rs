//! `school`: educational institutions (IE), identified by código modular and anexo.
use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "school")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ugel_id: i64,
    pub codigo_modular: String,
    pub anexo: i16,
    pub name: String,
    pub level: crate::vocabulary::Level,
    pub modality: crate::vocabulary::Modality,
    pub management: crate::vocabulary::Management,
    pub is_pronoei: bool,
    pub centro_poblado: String,
    pub district: String,
    pub email: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::ugel::Entity",
        from = "Column::UgelId",
        to = "super::ugel::Column::Id"
    )]
    Ugel,
}

impl Related<super::ugel::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Ugel.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
