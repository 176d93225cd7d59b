//! The sections a teacher teaches, named as the teacher reads them.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use entity::{grade, school, section};

use crate::{auth::principal::Principal, error::Result};

/// A section the caller teaches.
#[derive(Debug, Serialize)]
pub struct TaughtSection {
    pub section_id: i64,
    pub grade: String,
    pub section: String,
    pub school: String,
}

/// The caller's sections, by IE, grade and name; empty for anyone who teaches none.
pub async fn taught(db: &impl ConnectionTrait, p: &Principal) -> Result<Vec<TaughtSection>> {
    if p.taught_sections.is_empty() {
        return Ok(Vec::new());
    }
    let sections = section::Entity::find()
        .filter(section::Column::Id.is_in(p.taught_sections.clone()))
        .all(db)
        .await?;
    let grades: HashMap<i64, grade::Model> = grade::Entity::find()
        .filter(grade::Column::Id.is_in(sections.iter().map(|s| s.grade_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let schools: HashMap<i64, String> = school::Entity::find()
        .filter(school::Column::Id.is_in(sections.iter().map(|s| s.school_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut out: Vec<(i64, i64, TaughtSection)> = sections
        .into_iter()
        .map(|s| {
            let grade = grades.get(&s.grade_id);
            (
                s.school_id,
                grade.map_or(0, |g| i64::from(g.ordinal)),
                TaughtSection {
                    section_id: s.id,
                    grade: grade.map(|g| g.name.clone()).unwrap_or_default(),
                    section: s.name,
                    school: schools.get(&s.school_id).cloned().unwrap_or_default(),
                },
            )
        })
        .collect();
    out.sort_by(|a, b| (a.0, a.1, &a.2.section).cmp(&(b.0, b.1, &b.2.section)));
    Ok(out.into_iter().map(|(_, _, s)| s).collect())
}
