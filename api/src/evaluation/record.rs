//! A student's record: every year with a closed acta, from the IE where it was closed, with its
//! areas, grades and final situation. What a certificate is issued from.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use entity::{
    academic_year, acta, curricular_area, enrollment, final_grade, final_situation, grade, school,
    section, student, ugel,
    vocabulary::{AreaKind, EnrollmentStatus, FinalSituation, GradeScale, Level},
};

use super::{scale, sheet};
use crate::{
    auth::{Target, policy::Action, principal::Principal},
    domain::StudentDocument,
    error::{ApiError, Result},
};

/// `GET /students/record?document=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// DNI (8 digits) or código de estudiante (14 digits).
    pub document: String,
}

/// One area's grade in a year of the record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordGrade {
    pub code: String,
    pub area: String,
    pub kind: AreaKind,
    pub scale: GradeScale,
    /// `15` or `AD`.
    pub value: String,
}

/// A year of the record: the closed acta of the section the student finished it in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordYear {
    pub year: i32,
    pub level: Level,
    /// `Quinto grado`.
    pub grade: String,
    /// 1 for the first grade of the level.
    pub grade_ordinal: i16,
    pub section: String,
    pub school_id: i64,
    /// Código modular and anexo of the IE, `0412345-0`.
    pub codigo_modular: String,
    pub school_name: String,
    pub grades: Vec<RecordGrade>,
    pub situation: FinalSituation,
}

/// A student and its record.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudentRecord {
    pub student_id: i64,
    pub document: String,
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub years: Vec<RecordYear>,
}

/// Every closed year of a student, oldest first. A year the student left by traslado is told by
/// the IE it moved to; a year whose acta is not closed is not part of the record yet.
pub async fn student_record(db: &impl ConnectionTrait, student_id: i64) -> Result<Vec<RecordYear>> {
    let enrollments = enrollment::Entity::find()
        .filter(enrollment::Column::StudentId.eq(student_id))
        .filter(enrollment::Column::Status.ne(EnrollmentStatus::Trasladado))
        .all(db)
        .await?;
    if enrollments.is_empty() {
        return Ok(Vec::new());
    }
    let section_ids: Vec<i64> = enrollments.iter().map(|e| e.section_id).collect();
    let closed: HashSet<i64> = acta::Entity::find()
        .filter(acta::Column::SectionId.is_in(section_ids.iter().copied()))
        .filter(acta::Column::ClosedAt.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.section_id)
        .collect();
    let enrollments: Vec<enrollment::Model> = enrollments
        .into_iter()
        .filter(|e| closed.contains(&e.section_id))
        .collect();
    if enrollments.is_empty() {
        return Ok(Vec::new());
    }
    let sections: HashMap<i64, section::Model> = section::Entity::find()
        .filter(section::Column::Id.is_in(enrollments.iter().map(|e| e.section_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let schools: HashMap<i64, school::Model> = school::Entity::find()
        .filter(school::Column::Id.is_in(sections.values().map(|s| s.school_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let grades: HashMap<i64, grade::Model> = grade::Entity::find()
        .filter(grade::Column::Id.is_in(sections.values().map(|s| s.grade_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let years: HashMap<i64, i32> = academic_year::Entity::find()
        .filter(academic_year::Column::Id.is_in(sections.values().map(|s| s.academic_year_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|y| (y.id, y.year))
        .collect();
    let ids: Vec<i64> = enrollments.iter().map(|e| e.id).collect();
    let marks = final_grade::Entity::find()
        .filter(final_grade::Column::EnrollmentId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let situations: HashMap<i64, FinalSituation> = final_situation::Entity::find()
        .filter(final_situation::Column::EnrollmentId.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.enrollment_id, s.situation))
        .collect();
    let areas: HashMap<i64, curricular_area::Model> = curricular_area::Entity::find()
        .filter(curricular_area::Column::Id.is_in(marks.iter().map(|m| m.area_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();

    let mut record = Vec::new();
    for e in &enrollments {
        let (Some(section), Some(situation)) = (
            sections.get(&e.section_id),
            situations.get(&e.id).copied().or(match e.status {
                EnrollmentStatus::Retirado | EnrollmentStatus::Fallecido => {
                    Some(FinalSituation::Retirado)
                }
                _ => None,
            }),
        ) else {
            continue;
        };
        let (Some(school), Some(grade), Some(year)) = (
            schools.get(&section.school_id),
            grades.get(&section.grade_id),
            years.get(&section.academic_year_id),
        ) else {
            continue;
        };
        let mut year_grades: Vec<(&curricular_area::Model, i16)> = marks
            .iter()
            .filter(|m| m.enrollment_id == e.id)
            .filter_map(|m| areas.get(&m.area_id).map(|a| (a, m.value)))
            .collect();
        year_grades.sort_by_key(|(a, _)| (a.position, a.id));
        record.push(RecordYear {
            year: *year,
            level: grade.level,
            grade: grade.name.clone(),
            grade_ordinal: grade.ordinal,
            section: section.name.clone(),
            school_id: school.id,
            codigo_modular: format!("{}-{}", school.codigo_modular, school.anexo),
            school_name: school.name.clone(),
            grades: year_grades
                .into_iter()
                .map(|(a, value)| RecordGrade {
                    code: a.code.clone(),
                    area: a.name.clone(),
                    kind: a.kind,
                    scale: a.scale,
                    value: scale::show(a.scale, value),
                })
                .collect(),
            situation,
        });
    }
    record.sort_by_key(|y| y.year);
    Ok(record)
}

/// The record of a student found by document, for a caller who reads records where the student
/// studied (its IE's director, the UGEL and DRE specialists over one of its IEs, MINEDU). Any
/// other document, existing or not, is answered 404 alike.
pub async fn read(
    db: &DatabaseConnection,
    p: &Principal,
    query: RecordQuery,
) -> Result<StudentRecord> {
    let document =
        StudentDocument::parse(&query.document).map_err(|m| ApiError::field("document", m))?;
    if p.reach(Action::ReadRecord).is_empty() {
        return Err(ApiError::forbidden());
    }
    let not_found = || ApiError::not_found("el estudiante");
    let student = student::Entity::find()
        .filter(match &document {
            StudentDocument::Dni(dni) => student::Column::Dni.eq(dni.as_str()),
            StudentDocument::Code(code) => student::Column::StudentCode.eq(code.as_str()),
        })
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    // Where the student studied: the IEs of its enrollments, each with its UGEL and DRE.
    let section_ids: Vec<i64> = enrollment::Entity::find()
        .filter(enrollment::Column::StudentId.eq(student.id))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.section_id)
        .collect();
    let sections = section::Entity::find()
        .filter(section::Column::Id.is_in(section_ids))
        .all(db)
        .await?;
    let schools = school::Entity::find()
        .filter(school::Column::Id.is_in(sections.iter().map(|s| s.school_id)))
        .find_also_related(ugel::Entity)
        .all(db)
        .await?;
    let in_reach = schools.iter().any(|(school, ugel)| {
        ugel.as_ref().is_some_and(|ugel| {
            p.can(
                Action::ReadRecord,
                &Target::school(school.id, ugel.id, ugel.dre_id, school.level),
            )
        })
    });
    if !in_reach {
        return Err(not_found());
    }
    let years = student_record(db, student.id).await?;
    Ok(StudentRecord {
        student_id: student.id,
        document: sheet::document(&student),
        full_name: sheet::full_name(&student),
        birth_date: student.birth_date,
        years,
    })
}
