//! A section's acta as one value: its areas, its students in Spanish alphabetical order, their
//! grades and final situations, what is missing before it can close, and its state.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};
use serde::Serialize;
use utoipa::ToSchema;

use entity::{
    acta, curricular_area, enrollment, final_grade, final_situation, grade, recovery,
    recovery_grade, student,
    vocabulary::{AreaKind, EnrollmentStatus, FinalSituation, Level},
};

use super::{
    catalogue::{Area, areas_for},
    scale::{self, Graded},
};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, Result},
    registry::repo::{SectionScope, section_scope},
};

/// Where an acta stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActaState {
    /// Grades and situations are being recorded.
    Abierta,
    /// Closed by the director: it changes only through an exceptional modification.
    Cerrada,
    /// Closed, with an exceptional modification enabled until `modification_until`.
    EnModificacion,
}

/// A grade as people read it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GradeCell {
    pub area_id: i64,
    /// `15` (vigesimal) or `AD`, `A`, `B`, `C` (literal).
    pub value: String,
}

/// One student's row of the acta.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StudentRow {
    pub number: usize,
    pub enrollment_id: i64,
    pub student_id: i64,
    /// DNI or código de estudiante.
    pub document: String,
    /// `APELLIDO APELLIDO, Nombres`.
    pub full_name: String,
    pub enrollment_status: EnrollmentStatus,
    pub status_date: Option<NaiveDate>,
    pub grades: Vec<GradeCell>,
    /// The final situation recorded (or that of a student trasladado or retirado).
    pub situation: Option<FinalSituation>,
    /// What the grades suggest (docs/evaluation.md, "Final situations").
    pub suggested: Option<FinalSituation>,
    /// Why the situation recorded differs from the suggestion.
    pub reason: Option<String>,
    /// Codes of the areas still without a grade.
    pub missing_areas: Vec<String>,
    /// For a student who required recuperación, its result once recorded.
    pub recovery: Option<RecoveryView>,
}

/// The result of a student's recuperación pedagógica, recorded after the acta closed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecoveryView {
    /// The recuperación's grade in each area the acta left failed.
    pub grades: Vec<GradeCell>,
    /// `promovido` or `permanece`.
    pub situation: FinalSituation,
    /// What the recuperación's grades suggest.
    pub suggested: FinalSituation,
    /// Why the situation recorded differs from the suggestion.
    pub reason: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// The acta consolidada de evaluación of a section.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActaView {
    pub section_id: i64,
    pub school_id: i64,
    /// Código modular and anexo, `0412345-0`.
    pub school_code: String,
    pub school_name: String,
    pub level: Level,
    pub grade: String,
    pub section: String,
    pub year: i32,
    pub state: ActaState,
    pub closed_at: Option<DateTime<Utc>>,
    pub modification_until: Option<DateTime<Utc>>,
    pub areas: Vec<Area>,
    pub students: Vec<StudentRow>,
}

/// What an acta lacks before it can close, for one student.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Missing {
    pub enrollment_id: i64,
    pub full_name: String,
    /// Names of the areas without a grade.
    pub areas: Vec<String>,
    pub situation: bool,
}

/// A section's acta read at once.
pub struct Sheet {
    pub scope: SectionScope,
    pub grade: grade::Model,
    pub acta: Option<acta::Model>,
    pub areas: Vec<curricular_area::Model>,
    pub students: Vec<(enrollment::Model, student::Model)>,
    pub grades: HashMap<(i64, i64), i16>,
    pub situations: HashMap<i64, final_situation::Model>,
    /// The recuperación of each student who has one, with its grades by area.
    pub recoveries: HashMap<i64, (recovery::Model, HashMap<i64, i16>)>,
}

/// The situation an enrollment that ended has without anyone recording it.
fn ended(status: EnrollmentStatus) -> Option<FinalSituation> {
    match status {
        EnrollmentStatus::Activo => None,
        EnrollmentStatus::Trasladado => Some(FinalSituation::Trasladado),
        EnrollmentStatus::Retirado | EnrollmentStatus::Fallecido => Some(FinalSituation::Retirado),
    }
}

impl Sheet {
    /// Reads the acta of a section (it need not exist yet).
    pub async fn load(db: &impl ConnectionTrait, scope: SectionScope) -> Result<Self> {
        let grade = grade::Entity::find_by_id(scope.section.grade_id)
            .one(db)
            .await?
            .ok_or_else(|| ApiError::not_found("el grado de la sección"))?;
        let acta = acta::Entity::find()
            .filter(acta::Column::SectionId.eq(scope.section.id))
            .one(db)
            .await?;
        let areas = areas_for(db, grade.level, scope.year.year).await?;
        let mut students: Vec<(enrollment::Model, Option<student::Model>)> =
            enrollment::Entity::find()
                .filter(enrollment::Column::SectionId.eq(scope.section.id))
                .find_also_related(student::Entity)
                .all(db)
                .await?;
        crate::registry::repo::sort_students(&mut students);
        let students: Vec<(enrollment::Model, student::Model)> = students
            .into_iter()
            .filter_map(|(e, s)| Some((e, s?)))
            .collect();
        let ids: Vec<i64> = students.iter().map(|(e, _)| e.id).collect();
        let mut grades = HashMap::new();
        let mut situations = HashMap::new();
        let mut recoveries: HashMap<i64, (recovery::Model, HashMap<i64, i16>)> = HashMap::new();
        for chunk in ids.chunks(500) {
            for g in final_grade::Entity::find()
                .filter(final_grade::Column::EnrollmentId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
            {
                grades.insert((g.enrollment_id, g.area_id), g.value);
            }
            for s in final_situation::Entity::find()
                .filter(final_situation::Column::EnrollmentId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
            {
                situations.insert(s.enrollment_id, s);
            }
            for r in recovery::Entity::find()
                .filter(recovery::Column::EnrollmentId.is_in(chunk.iter().copied()))
                .all(db)
                .await?
            {
                recoveries.insert(r.enrollment_id, (r, HashMap::new()));
            }
        }
        if !recoveries.is_empty() {
            let with: Vec<i64> = recoveries.keys().copied().collect();
            for chunk in with.chunks(500) {
                for g in recovery_grade::Entity::find()
                    .filter(recovery_grade::Column::EnrollmentId.is_in(chunk.iter().copied()))
                    .all(db)
                    .await?
                {
                    if let Some((_, grades)) = recoveries.get_mut(&g.enrollment_id) {
                        grades.insert(g.area_id, g.value);
                    }
                }
            }
        }
        Ok(Self {
            scope,
            grade,
            acta,
            areas,
            students,
            grades,
            situations,
            recoveries,
        })
    }

    pub fn area(&self, id: i64) -> Option<&curricular_area::Model> {
        self.areas.iter().find(|a| a.id == id)
    }

    pub fn enrollment(&self, id: i64) -> Option<&(enrollment::Model, student::Model)> {
        self.students.iter().find(|(e, _)| e.id == id)
    }

    /// The enrollment an item of a request names, once per request: the message for a student
    /// not in the section, or named twice.
    pub fn named_once(
        &self,
        enrollment_id: i64,
        seen: &mut std::collections::HashSet<i64>,
    ) -> std::result::Result<&enrollment::Model, String> {
        let Some((enrollment, _)) = self.enrollment(enrollment_id) else {
            return Err("El estudiante no está matriculado en esta sección.".into());
        };
        if !seen.insert(enrollment.id) {
            return Err("El estudiante se repite.".into());
        }
        Ok(enrollment)
    }

    /// What a student's grades suggest, once every area that counts has one.
    pub fn suggestion(&self, enrollment_id: i64) -> Option<FinalSituation> {
        let graded: Vec<Graded> = self
            .areas
            .iter()
            .map(|a| Graded {
                code: &a.code,
                kind: a.kind,
                scale: a.scale,
                value: self.grades.get(&(enrollment_id, a.id)).copied(),
            })
            .collect();
        scale::suggest(self.grade.level, self.grade.ordinal, &graded)
    }

    /// The areas that count for the final situation (all but comportamiento) whose grade in the
    /// acta fails: those a recuperación covers.
    pub fn failed_areas(&self, enrollment_id: i64) -> Vec<&curricular_area::Model> {
        self.areas
            .iter()
            .filter(|a| a.kind != AreaKind::Comportamiento)
            .filter(|a| {
                self.grades
                    .get(&(enrollment_id, a.id))
                    .is_some_and(|v| scale::fails(a.scale, *v))
            })
            .collect()
    }

    /// The students whose recorded recuperación no longer answers the acta once its grades read
    /// `grade` (enrollment, area) and its situations `situation`: the student is no longer
    /// *requiere recuperación*, or the areas it failed are not those the recuperación graded.
    pub fn outdated_recoveries(
        &self,
        grade: impl Fn(i64, i64) -> Option<i16>,
        situation: impl Fn(i64) -> Option<FinalSituation>,
    ) -> Vec<i64> {
        let mut outdated: Vec<i64> = self
            .recoveries
            .iter()
            .filter(|(enrollment_id, (_, graded))| {
                let moved_on = situation(**enrollment_id)
                    .is_some_and(|s| s != FinalSituation::RequiereRecuperacion);
                let failed = self
                    .areas
                    .iter()
                    .filter(|a| a.kind != AreaKind::Comportamiento)
                    .filter(|a| {
                        grade(**enrollment_id, a.id).is_some_and(|v| scale::fails(a.scale, v))
                    });
                moved_on
                    || failed.clone().count() != graded.len()
                    || failed.into_iter().any(|a| !graded.contains_key(&a.id))
            })
            .map(|(enrollment_id, _)| *enrollment_id)
            .collect();
        outdated.sort_unstable();
        outdated
    }

    /// The recuperación of a student whose acta situation requires one, once recorded.
    pub fn recovery(&self, e: &enrollment::Model) -> Option<RecoveryView> {
        if self.situation(e) != Some(FinalSituation::RequiereRecuperacion) {
            return None;
        }
        let (result, grades) = self.recoveries.get(&e.id)?;
        Some(RecoveryView {
            grades: self
                .areas
                .iter()
                .filter_map(|a| {
                    grades.get(&a.id).map(|v| GradeCell {
                        area_id: a.id,
                        value: scale::show(a.scale, *v),
                    })
                })
                .collect(),
            situation: result.situation,
            suggested: result.suggested,
            reason: result.reason.clone(),
            recorded_at: result.recorded_at,
        })
    }

    /// The final situation of a student: the one recorded, or the end of its enrollment.
    pub fn situation(&self, e: &enrollment::Model) -> Option<FinalSituation> {
        ended(e.status).or_else(|| self.situations.get(&e.id).map(|s| s.situation))
    }

    /// What each student still lacks: every active student needs a grade in every area and a
    /// final situation; a student trasladado or retirado keeps what it had and needs nothing.
    pub fn missing(&self) -> Vec<Missing> {
        self.students
            .iter()
            .filter(|(e, _)| e.status == EnrollmentStatus::Activo)
            .filter_map(|(e, s)| {
                let areas: Vec<String> = self
                    .areas
                    .iter()
                    .filter(|a| !self.grades.contains_key(&(e.id, a.id)))
                    .map(|a| a.name.clone())
                    .collect();
                let situation = !self.situations.contains_key(&e.id);
                (!areas.is_empty() || situation).then(|| Missing {
                    enrollment_id: e.id,
                    full_name: full_name(s),
                    areas,
                    situation,
                })
            })
            .collect()
    }

    pub fn state(&self, now: DateTime<Utc>) -> ActaState {
        match &self.acta {
            Some(a) if a.closed_at.is_some() => {
                if a.modification_until.is_some_and(|until| until > now) {
                    ActaState::EnModificacion
                } else {
                    ActaState::Cerrada
                }
            }
            _ => ActaState::Abierta,
        }
    }

    /// 409 `acta_closed` unless the acta is open or under an enabled modification.
    pub fn ensure_writable(&self, now: DateTime<Utc>) -> Result<()> {
        match self.state(now) {
            ActaState::Cerrada => Err(ApiError::from(crate::error::ErrorCode::ActaClosed)),
            ActaState::Abierta | ActaState::EnModificacion => Ok(()),
        }
    }

    pub fn school_code(&self) -> String {
        let school = &self.scope.school;
        format!("{}-{}", school.codigo_modular, school.anexo)
    }

    pub fn view(&self, now: DateTime<Utc>) -> ActaView {
        let students = self
            .students
            .iter()
            .enumerate()
            .map(|(i, (e, s))| StudentRow {
                number: i + 1,
                enrollment_id: e.id,
                student_id: s.id,
                document: document(s),
                full_name: full_name(s),
                enrollment_status: e.status,
                status_date: e.status_date,
                grades: self
                    .areas
                    .iter()
                    .filter_map(|a| {
                        self.grades.get(&(e.id, a.id)).map(|v| GradeCell {
                            area_id: a.id,
                            value: scale::show(a.scale, *v),
                        })
                    })
                    .collect(),
                situation: self.situation(e),
                suggested: (e.status == EnrollmentStatus::Activo)
                    .then(|| self.suggestion(e.id))
                    .flatten(),
                reason: self.situations.get(&e.id).and_then(|s| s.reason.clone()),
                missing_areas: if e.status == EnrollmentStatus::Activo {
                    self.areas
                        .iter()
                        .filter(|a| !self.grades.contains_key(&(e.id, a.id)))
                        .map(|a| a.code.clone())
                        .collect()
                } else {
                    Vec::new()
                },
                recovery: self.recovery(e),
            })
            .collect();
        ActaView {
            section_id: self.scope.section.id,
            school_id: self.scope.school.id,
            school_code: self.school_code(),
            school_name: self.scope.school.name.clone(),
            level: self.grade.level,
            grade: self.grade.name.clone(),
            section: self.scope.section.name.clone(),
            year: self.scope.year.year,
            state: self.state(now),
            closed_at: self.acta.as_ref().and_then(|a| a.closed_at),
            modification_until: self.acta.as_ref().and_then(|a| a.modification_until),
            areas: self.areas.iter().cloned().map(Area::from).collect(),
            students,
        }
    }
}

/// `APELLIDO APELLIDO, Nombres`.
pub fn full_name(s: &student::Model) -> String {
    format!(
        "{} {}, {}",
        s.paternal_surname, s.maternal_surname, s.given_names
    )
}

/// A student's DNI, or its código de estudiante.
pub fn document(s: &student::Model) -> String {
    s.dni
        .clone()
        .or_else(|| s.student_code.clone())
        .unwrap_or_default()
}

/// The acta of a section, created when missing and locked for the rest of the transaction: writes
/// to one acta (grades, situations, closure) happen one after another, so a grade cannot slip in
/// while the acta closes.
pub async fn lock(db: &impl ConnectionTrait, section_id: i64) -> Result<acta::Model> {
    // One statement: created when missing, and written either way, which takes the row's lock on
    // both databases until the transaction ends.
    Ok(acta::Entity::insert(acta::ActiveModel {
        section_id: Set(section_id),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(acta::Column::SectionId)
            .update_column(acta::Column::SectionId)
            .to_owned(),
    )
    .exec_with_returning(db)
    .await?)
}

/// The acta of a section, for a caller who reads its roster (its teachers, the IE's director,
/// the UGEL and DRE within their jurisdiction).
pub async fn read(
    db: &sea_orm::DatabaseConnection,
    p: &crate::auth::principal::Principal,
    section_id: i64,
) -> Result<ActaView> {
    let scope = crate::registry::repo::section_scope(db, section_id).await?;
    p.authorize(crate::auth::policy::Action::ReadRoster, &scope.target)?;
    let at = crate::time::now();
    Ok(Sheet::load(db, scope).await?.view(at))
}

/// A grade that cannot be recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct GradeError {
    /// Position in `grades` (from 0), or the line of a file (the header is line 1).
    pub index: usize,
    pub field: String,
    pub message: String,
}

/// The section, authorized for keeping its acta.
pub async fn kept_by(
    db: &DatabaseConnection,
    p: &Principal,
    section_id: i64,
) -> Result<SectionScope> {
    let scope = section_scope(db, section_id).await?;
    p.authorize(Action::KeepActa, &scope.target)?;
    Ok(scope)
}
