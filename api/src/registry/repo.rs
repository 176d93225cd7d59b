//! Queries of the registry that several handlers share.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::{academic_year, enrollment, school, section, student, ugel};

use crate::{
    auth::Target,
    error::{ApiError, Result},
};

/// An IE with the ids of its UGEL and DRE.
pub struct SchoolScope {
    pub school: school::Model,
    pub target: Target,
}

impl SchoolScope {
    /// An IE and its UGEL.
    pub fn new(school: school::Model, ugel: &ugel::Model) -> Self {
        let level = school.level;
        let target = Target::school(school.id, ugel.id, ugel.dre_id, level);
        Self { school, target }
    }
}

/// A section with its IE and academic year.
pub struct SectionScope {
    pub section: section::Model,
    pub school: school::Model,
    pub year: academic_year::Model,
    pub target: Target,
}

/// Loads an IE and where it sits; 404 when it does not exist.
pub async fn school_scope(db: &impl ConnectionTrait, school_id: i64) -> Result<SchoolScope> {
    let (school, ugel) = school::Entity::find_by_id(school_id)
        .find_also_related(ugel::Entity)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la IE"))?;
    let ugel = ugel.ok_or_else(|| ApiError::not_found("la UGEL de la IE"))?;
    Ok(SchoolScope::new(school, &ugel))
}

/// Loads a section and where it sits; 404 when it does not exist.
pub async fn section_scope(db: &impl ConnectionTrait, section_id: i64) -> Result<SectionScope> {
    let section = section::Entity::find_by_id(section_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la sección"))?;
    let scope = school_scope(db, section.school_id).await?;
    let year = academic_year::Entity::find_by_id(section.academic_year_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el año académico"))?;
    Ok(SectionScope {
        target: scope.target.with_section(section.id),
        section,
        school: scope.school,
        year,
    })
}

/// Loads an academic year by its number; 404 when it does not exist.
pub async fn year_by_number(db: &impl ConnectionTrait, year: i32) -> Result<academic_year::Model> {
    academic_year::Entity::find()
        .filter(academic_year::Column::Year.eq(year))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("el año académico {year}")))
}

/// Enrollments with their students in Spanish alphabetical order of the students' names (the
/// same on every database, whatever its collation).
pub fn sort_students(rows: &mut [(enrollment::Model, Option<student::Model>)]) {
    rows.sort_by_cached_key(|(e, s)| {
        let (paternal, maternal, given) = s
            .as_ref()
            .map(|s| {
                crate::domain::person_key(&s.paternal_surname, &s.maternal_surname, &s.given_names)
            })
            .unwrap_or_default();
        (paternal, maternal, given, e.id)
    });
}
