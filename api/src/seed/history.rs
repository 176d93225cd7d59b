//! The demo world's past: closed actas de evaluación.
//!
//! - IE Francisco Bolognesi (secondary, UGEL Jaén): a cohort that studied first to fifth grade
//!   from 2016 to 2020, so its record shows the areas before the Currículo Nacional (vigesimal,
//!   2016–2019) and after it (literal, 2020). One student arrived for third grade, having studied
//!   first and second grade at IE San Ignacio de Loyola (UGEL San Ignacio); one required
//!   recuperación pedagógica in 2018.
//! - IE N° 16471 Señor de Huamantanga (primary): a sixth-grade section of last year, graded on the
//!   literal scale.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use entity::{
    acta, enrollment, final_grade, final_situation, grade, school, section, student,
    vocabulary::{AreaKind, EnrollmentStatus, GradeScale},
};

use super::{
    names::Lcg,
    world::{self, generated_student},
};
use crate::{
    evaluation::scale::{Graded, suggest},
    time::now,
};

/// The first year of the secondary cohort (first grade); it finished fifth grade four years later.
pub const COHORT_FROM: i32 = 2016;

/// Where and when the past happened, and who closed its actas.
pub struct Past<'a> {
    /// The secondary IE of the cohort.
    pub cohort_school: &'a school::Model,
    /// The secondary IE where the newcomer studied its first two years.
    pub earlier_school: &'a school::Model,
    /// The primary IE with last year's sixth grade.
    pub primary_school: &'a school::Model,
    pub last_year: i32,
    /// The accounts that closed the secondary and the primary actas.
    pub closed_by: (i64, i64),
}

/// Creates the closed actas of the demo's past.
pub async fn load(
    db: &impl ConnectionTrait,
    rng: &mut Lcg,
    next_dni: &mut u64,
    past: Past<'_>,
) -> anyhow::Result<()> {
    let Past {
        cohort_school: secundaria,
        earlier_school: elsewhere,
        primary_school: primaria,
        last_year,
        closed_by: (secondary_closer, primary_closer),
    } = past;
    let mut years = HashMap::new();
    for year in (COHORT_FROM..=COHORT_FROM + 4).chain([last_year]) {
        if let std::collections::hash_map::Entry::Vacant(e) = years.entry(year) {
            e.insert(world::create_year(db, year).await?);
        }
    }
    let at = now();

    // The secondary cohort: 24 students from first grade, and one who arrives in third grade.
    let cohort: Vec<student::ActiveModel> = (0..25)
        .map(|_| {
            *next_dni += 1;
            generated_student(rng, format!("{:08}", *next_dni), COHORT_FROM - 12, at)
        })
        .collect();
    let cohort = student::Entity::insert_many(cohort)
        .exec_with_returning(db)
        .await?;
    let newcomer = cohort[24].id;
    let recovering = cohort[3].id;
    for (offset, ordinal) in (0..5).zip(1i16..) {
        let year = &years[&(COHORT_FROM + offset)];
        let present = if ordinal <= 2 { 24 } else { 25 };
        let students: Vec<i64> = cohort[..present].iter().map(|s| s.id).collect();
        let section = world::create_sections(db, secundaria, year, &[(ordinal, "A")])
            .await?
            .remove(0);
        close_section(
            db,
            rng,
            &section,
            year,
            &students,
            secondary_closer,
            |student, year| student == recovering && year == 2018,
        )
        .await?;
        if ordinal <= 2 {
            // The newcomer's first two years, at the IE it came from, with its classmates there.
            let before = world::create_sections(db, elsewhere, year, &[(ordinal, "B")])
                .await?
                .remove(0);
            let classmates: Vec<student::ActiveModel> = (0..19)
                .map(|_| {
                    *next_dni += 1;
                    generated_student(rng, format!("{:08}", *next_dni), COHORT_FROM - 12, at)
                })
                .collect();
            let mut there: Vec<i64> = student::Entity::insert_many(classmates)
                .exec_with_returning(db)
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect();
            there.push(newcomer);
            close_section(db, rng, &before, year, &there, secondary_closer, |_, _| {
                false
            })
            .await?;
        }
    }

    // Last year's sixth grade of the primary IE, graded on the literal scale.
    let year = &years[&last_year];
    let sixth = world::create_sections(db, primaria, year, &[(6, "A")])
        .await?
        .remove(0);
    let pupils: Vec<student::ActiveModel> = (0..18)
        .map(|_| {
            *next_dni += 1;
            generated_student(rng, format!("{:08}", *next_dni), last_year - 11, at)
        })
        .collect();
    let pupils: Vec<i64> = student::Entity::insert_many(pupils)
        .exec_with_returning(db)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    close_section(db, rng, &sixth, year, &pupils, primary_closer, |_, _| false).await?;
    Ok(())
}

/// Enrolls the students in the section for its year, grades every area, records the situation the
/// grades suggest and closes the acta at the end of the year. `struggles` picks a student and year
/// with two areas failed.
async fn close_section(
    db: &impl ConnectionTrait,
    rng: &mut Lcg,
    section: &section::Model,
    year: &entity::academic_year::Model,
    students: &[i64],
    closed_by: i64,
    struggles: impl Fn(i64, i32) -> bool,
) -> anyhow::Result<()> {
    let grade = grade::Entity::find_by_id(section.grade_id)
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("grade"))?;
    let areas = crate::evaluation::catalogue::areas_for(db, grade.level, year.year)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let at = now();
    let enrollments =
        enrollment::Entity::insert_many(students.iter().map(|id| enrollment::ActiveModel {
            student_id: Set(*id),
            section_id: Set(section.id),
            academic_year_id: Set(year.id),
            starts_on: Set(year.starts_on),
            status: Set(EnrollmentStatus::Activo),
            status_date: Set(None),
            updated_at: Set(at),
            ..Default::default()
        }))
        .exec_with_returning(db)
        .await?;
    let mut grades = Vec::new();
    let mut situations = Vec::new();
    for e in &enrollments {
        let struggling = struggles(e.student_id, year.year);
        let mut values = Vec::new();
        for (i, area) in areas.iter().enumerate() {
            let value = match (area.scale, area.kind) {
                (GradeScale::Vigesimal, _) if struggling && i < 2 => rng.between(7, 10) as i16,
                (GradeScale::Vigesimal, _) => rng.between(11, 19) as i16,
                (GradeScale::Literal, AreaKind::Comportamiento) => rng.between(3, 4) as i16,
                (GradeScale::Literal, _) if struggling && i < 2 => 1,
                (GradeScale::Literal, _) => rng.between(2, 4) as i16,
            };
            values.push((area, value));
            grades.push(final_grade::ActiveModel {
                enrollment_id: Set(e.id),
                area_id: Set(area.id),
                value: Set(value),
            });
        }
        let graded: Vec<Graded> = values
            .iter()
            .map(|(a, v)| Graded {
                code: &a.code,
                kind: a.kind,
                scale: a.scale,
                value: Some(*v),
            })
            .collect();
        let situation = suggest(grade.level, grade.ordinal, &graded)
            .ok_or_else(|| anyhow::anyhow!("every area is graded"))?;
        situations.push(final_situation::ActiveModel {
            enrollment_id: Set(e.id),
            situation: Set(situation),
            suggested: Set(Some(situation)),
            reason: Set(None),
            recorded_by: Set(closed_by),
            recorded_at: Set(at),
        });
    }
    for chunk in grades.chunks(1000) {
        final_grade::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    final_situation::Entity::insert_many(situations)
        .exec(db)
        .await?;
    let closed_on = NaiveDate::from_ymd_opt(year.year, 12, 20)
        .and_then(|d| d.and_hms_opt(17, 0, 0))
        .ok_or_else(|| anyhow::anyhow!("date"))?;
    entity::acta::Entity::insert(acta::ActiveModel {
        section_id: Set(section.id),
        closed_at: Set(Some(Utc.from_utc_datetime(&closed_on))),
        closed_by: Set(Some(closed_by)),
        modification_until: Set(None),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}
