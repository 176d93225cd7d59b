//! The curricular areas a teacher grades in a section, which the director sets (in secondary each
//! area has its teacher; in primary one teacher grades them all, and needs no areas set).

use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Deserialize;
use utoipa::ToSchema;

use entity::{teacher_area, teacher_section};

use super::catalogue::{Area, areas_for};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, Result},
    record::{AuditAction, Change, Event, record},
    registry::repo::section_scope,
};

/// `PUT /sections/{id}/teachers/{person_id}/areas` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TeacherAreas {
    /// The areas of the section the teacher grades; empty: every area.
    pub area_ids: Vec<i64>,
}

/// The areas each teacher of a section grades, by person (a teacher without any grades every
/// area), for who reads the section.
pub async fn areas_of_section(
    db: &DatabaseConnection,
    p: &Principal,
    section_id: i64,
) -> Result<std::collections::HashMap<i64, Vec<i64>>> {
    let scope = section_scope(db, section_id).await?;
    p.authorize(Action::ReadRoster, &scope.target)?;
    let mut out: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    for row in teacher_area::Entity::find()
        .filter(teacher_area::Column::SectionId.eq(section_id))
        .all(db)
        .await?
    {
        out.entry(row.person_id).or_default().push(row.area_id);
    }
    Ok(out)
}

/// Sets the areas a teacher of the section grades (the director).
pub async fn set_areas(
    db: &DatabaseConnection,
    p: &Principal,
    section_id: i64,
    person_id: i64,
    body: TeacherAreas,
) -> Result<Vec<Area>> {
    let scope = section_scope(db, section_id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let teaches = teacher_section::Entity::find()
        .filter(teacher_section::Column::SectionId.eq(section_id))
        .filter(teacher_section::Column::PersonId.eq(person_id))
        .filter(teacher_section::Column::Active.eq(true))
        .one(db)
        .await?;
    if teaches.is_none() {
        return Err(ApiError::not_found("el docente en esta sección"));
    }
    let level = entity::grade::Entity::find_by_id(scope.section.grade_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el grado de la sección"))?
        .level;
    let areas = areas_for(db, level, scope.year.year).await?;
    let mut chosen = Vec::new();
    for id in &body.area_ids {
        match areas.iter().find(|a| a.id == *id) {
            Some(area)
                if !chosen
                    .iter()
                    .any(|c: &&entity::curricular_area::Model| c.id == *id) =>
            {
                chosen.push(area)
            }
            Some(_) => {}
            None => {
                return Err(ApiError::field(
                    "area_ids",
                    format!("El área {id} no es de la sección en {}.", scope.year.year),
                ));
            }
        }
    }
    let txn = crate::db::begin(db).await?;
    let before: Vec<i64> = teacher_area::Entity::find()
        .filter(teacher_area::Column::SectionId.eq(section_id))
        .filter(teacher_area::Column::PersonId.eq(person_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.area_id)
        .collect();
    teacher_area::Entity::delete_many()
        .filter(teacher_area::Column::SectionId.eq(section_id))
        .filter(teacher_area::Column::PersonId.eq(person_id))
        .exec(&txn)
        .await?;
    if !chosen.is_empty() {
        teacher_area::Entity::insert_many(chosen.iter().map(|a| teacher_area::ActiveModel {
            section_id: Set(section_id),
            person_id: Set(person_id),
            area_id: Set(a.id),
        }))
        .exec(&txn)
        .await?;
    }
    let after: Vec<i64> = chosen.iter().map(|a| a.id).collect();
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::TeacherAreasSet, section_id)
                .by(p.user_id)
                .in_unit(scope.target)
                .before(&serde_json::json!({ "person_id": person_id, "area_ids": before }))
                .after(&serde_json::json!({ "person_id": person_id, "area_ids": after })),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(chosen.into_iter().cloned().map(Area::from).collect())
}
