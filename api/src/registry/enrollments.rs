//! A section's roster: enrolling students (one, or a whole roster at once), and recording a
//! traslado, retiro or fallecimiento.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QuerySelect,
};

use entity::{academic_year, enrollment, student};

use super::{
    dto::*,
    repo::{self, SectionScope},
};
use crate::{
    auth::{policy::Action, principal::Principal},
    domain::{EnrollmentStatus, FullName, StudentDocument},
    error::{ApiError, ErrorCode, Fields, Result},
    record::{AuditAction, Change, Event, record},
    registry::closed,
    time::{now, today_lima},
};

/// The section's list of students (nómina de matrícula).
pub async fn roster(db: &DatabaseConnection, p: &Principal, id: i64) -> Result<Vec<RosterEntry>> {
    let scope = repo::section_scope(db, id).await?;
    p.authorize(Action::ReadRoster, &scope.target)?;
    let mut rows = enrollment::Entity::find()
        .filter(enrollment::Column::SectionId.eq(id))
        .find_also_related(student::Entity)
        .all(db)
        .await?;
    super::repo::sort_students(&mut rows);
    Ok(rows
        .into_iter()
        .filter_map(|(e, s)| s.map(|s| RosterEntry::new(e, s)))
        .collect())
}

/// Enroll one student in the section (creating the student if its document is new).
pub async fn enroll(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    body: NewEnrollment,
) -> Result<RosterEntry> {
    let scope = repo::section_scope(db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let mut f = crate::error::Fields::default();
    let document = f.check("document", StudentDocument::parse(&body.document));
    let name = f.name(
        FullName::FIELDS,
        FullName::parse(
            &body.paternal_surname,
            &body.maternal_surname,
            &body.given_names,
        ),
    );
    let sex = body.sex.as_deref().map(|s| f.check("sex", parse_sex(s)));
    f.check(
        "starts_on",
        check_start(body.starts_on, &scope.year, today_lima()),
    );
    if body.birth_date.is_some_and(|b| b >= body.starts_on) {
        f.add(
            "birth_date",
            "La fecha de nacimiento debe ser anterior a la matrícula.",
        );
    }
    f.finish()?;
    let (Some(document), Some(name)) = (document, name) else {
        unreachable!("checked above")
    };
    let input = EnrollmentInput {
        document,
        name,
        birth_date: body.birth_date,
        sex: sex.flatten(),
        starts_on: body.starts_on,
    };
    let txn = crate::db::begin(db).await?;
    let outcome = enroll_many(&txn, &scope, std::slice::from_ref(&input)).await?;
    if let Some((_, conflict)) = outcome.conflicts.into_iter().next() {
        return Err(match conflict {
            Conflict::EnrolledElsewhere(message) => {
                ApiError::because(ErrorCode::EnrolledElsewhere, message)
            }
            Conflict::NamesDiffer => ApiError::field("document", Conflict::NAMES_DIFFER),
        });
    }
    if outcome.already_enrolled == 1 {
        return Err(ApiError::from(ErrorCode::AlreadyEnrolled));
    }
    closed::refuse_if_closed(
        &txn,
        closed::Sections::Ids(vec![id]),
        input.starts_on,
        scope.year.ends_on,
        now(),
    )
    .await?;
    super::closed::refuse_if_acta_closed(&txn, id, now()).await?;
    let (e, s) = enrollment::Entity::find()
        .filter(enrollment::Column::SectionId.eq(id))
        .find_also_related(student::Entity)
        .filter(match &input.document {
            StudentDocument::Dni(d) => student::Column::Dni.eq(d.as_str()),
            StudentDocument::Code(c) => student::Column::StudentCode.eq(c.as_str()),
        })
        .one(&txn)
        .await?
        .ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "enrollment vanished inside its transaction"
            ))
        })?;
    let s = s.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("student vanished inside its transaction"))
    })?;
    let event = Event::new(AuditAction::StudentEnrolled, e.id)
        .by(p.user_id)
        .in_unit(scope.target)
        .after(&e);
    let change = Change::Roster {
        school_id: scope.school.id,
        section_id: id,
        enrollment_id: Some(e.id),
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    Ok(RosterEntry::new(e, s))
}

/// Record a traslado, retiro or fallecimiento (or undo it).
pub async fn change_status(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    body: EnrollmentStatusChange,
) -> Result<RosterEntry> {
    let current = enrollment::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la matrícula"))?;
    let scope = repo::section_scope(db, current.section_id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let (status, date) = check_status_change(
        &current,
        &body.status,
        body.status_date,
        &scope.year,
        today_lima(),
    )?;
    // Every day from the earlier of the old and the new date changes in the register.
    let from = [current.status_date, date]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(current.starts_on);
    let txn = crate::db::begin(db).await?;
    refuse_overlap(&txn, &current, status, date).await?;
    closed::refuse_if_closed(
        &txn,
        closed::Sections::Ids(vec![current.section_id]),
        from,
        scope.year.ends_on,
        now(),
    )
    .await?;
    super::closed::refuse_if_acta_closed(&txn, current.section_id, now()).await?;
    let mut active: enrollment::ActiveModel = current.clone().into();
    active.status = Set(status);
    active.status_date = Set(date);
    active.updated_at = Set(now());
    let updated = active.update(&txn).await?;
    let event = Event::new(AuditAction::EnrollmentStatusChanged, id)
        .by(p.user_id)
        .in_unit(scope.target)
        .before(&current)
        .after(&updated);
    let change = Change::Roster {
        school_id: scope.school.id,
        section_id: updated.section_id,
        enrollment_id: Some(id),
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    let s = student::Entity::find_by_id(updated.student_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el estudiante"))?;
    Ok(RosterEntry::new(updated, s))
}

/// A student to enroll, already parsed.
#[derive(Debug, Clone)]
pub struct EnrollmentInput {
    pub document: StudentDocument,
    pub name: FullName,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    pub starts_on: NaiveDate,
}

/// Reads `H`/`M` (hombre/mujer).
pub fn parse_sex(value: &str) -> std::result::Result<String, String> {
    match value.trim().to_uppercase().as_str() {
        "H" | "M" => Ok(value.trim().to_uppercase()),
        _ => Err("El sexo debe ser H (hombre) o M (mujer).".into()),
    }
}

/// Checks that an enrollment start date falls in the section's academic year and not in the
/// future (Lima).
pub fn check_start(
    starts_on: NaiveDate,
    year: &academic_year::Model,
    today: NaiveDate,
) -> std::result::Result<(), String> {
    if starts_on < year.starts_on || starts_on > year.ends_on {
        return Err(format!(
            "La fecha de matrícula debe estar dentro del año académico ({} a {}).",
            year.starts_on.format("%d/%m/%Y"),
            year.ends_on.format("%d/%m/%Y")
        ));
    }
    if starts_on > today {
        return Err("La fecha de matrícula no puede ser posterior a hoy.".into());
    }
    Ok(())
}

/// Outcome of enrolling a batch of students.
#[derive(Debug, Default)]
pub struct EnrollOutcome {
    pub students_created: usize,
    pub enrolled: usize,
    pub already_enrolled: usize,
    /// Index in the input → why it cannot be enrolled.
    pub conflicts: Vec<(usize, Conflict)>,
}

/// Why a student of a batch cannot be enrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// Another enrollment of the same year overlaps this one.
    EnrolledElsewhere(String),
    /// An existing student given with other names: never enrolled, and what is stored is not
    /// shown.
    NamesDiffer,
}

impl Conflict {
    /// What a person reads when the names differ from the stored ones.
    pub const NAMES_DIFFER: &str = "Los nombres no coinciden con los registrados para ese documento. Revise el documento de identidad del estudiante.";
}

/// The last day of an enrollment: the day the student left it (traslado or retiro), or none.
fn last_day(status: EnrollmentStatus, date: Option<NaiveDate>) -> Option<NaiveDate> {
    match status {
        EnrollmentStatus::Trasladado | EnrollmentStatus::Retirado => date,
        _ => None,
    }
}

/// 409 when the enrollment, with its new status, would overlap another of the same student in the
/// same year at any IE (an undone or re-dated traslado while the student is enrolled elsewhere).
async fn refuse_overlap(
    db: &impl ConnectionTrait,
    current: &enrollment::Model,
    status: EnrollmentStatus,
    date: Option<NaiveDate>,
) -> Result<()> {
    let end = last_day(status, date);
    let others = enrollment::Entity::find()
        .filter(enrollment::Column::StudentId.eq(current.student_id))
        .filter(enrollment::Column::AcademicYearId.eq(current.academic_year_id))
        .filter(enrollment::Column::Id.ne(current.id))
        .all(db)
        .await?;
    let clash = others.iter().any(|other| {
        let other_end = last_day(other.status, other.status_date);
        other_end.is_none_or(|e| current.starts_on <= e) && end.is_none_or(|e| other.starts_on <= e)
    });
    if clash {
        return Err(ApiError::because(
            ErrorCode::EnrolledElsewhere,
            "El estudiante tiene otra matrícula ese año que se superpondría con esta: corrija primero aquella.",
        ));
    }
    Ok(())
}

/// Whether an enrollment of the student in the same year stands in the way of one from
/// `starts_on`: any does, unless the student left it (traslado or retiro) before that day.
fn overlaps(existing: &enrollment::Model, starts_on: NaiveDate) -> bool {
    last_day(existing.status, existing.status_date).is_none_or(|left| left >= starts_on)
}

/// Enrolls students in a section, creating the students that are new. Nothing is written when
/// any student is already enrolled in another section of the year (an enrollment never overlaps
/// another of the same student in the same year, at any IE) or is an existing student given with
/// other names: the caller gets the list. An enrollment made after its academic year ended is a
/// regularization (see `registry::regularization`). Run inside a transaction.
pub async fn enroll_many(
    db: &impl ConnectionTrait,
    scope: &SectionScope,
    inputs: &[EnrollmentInput],
) -> Result<EnrollOutcome> {
    let mut outcome = EnrollOutcome::default();
    let mut dnis = Vec::new();
    let mut codes = Vec::new();
    for input in inputs {
        match &input.document {
            StudentDocument::Dni(d) => dnis.push(d.as_str().to_owned()),
            StudentDocument::Code(c) => codes.push(c.as_str().to_owned()),
        }
    }
    let mut known: HashMap<String, student::Model> = HashMap::new();
    // The known students' rows are locked (PostgreSQL) until the transaction ends, so that two
    // enrollments of one student cannot both pass the overlap check; SQLite has one writer.
    let locked = |query: sea_orm::Select<student::Entity>| match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => query.lock_exclusive(),
        _ => query,
    };
    for chunk in dnis.chunks(500) {
        for s in locked(student::Entity::find().filter(student::Column::Dni.is_in(chunk.to_vec())))
            .all(db)
            .await?
        {
            known.insert(s.dni.clone().unwrap_or_default(), s);
        }
    }
    for chunk in codes.chunks(500) {
        for s in locked(
            student::Entity::find().filter(student::Column::StudentCode.is_in(chunk.to_vec())),
        )
        .all(db)
        .await?
        {
            known.insert(s.student_code.clone().unwrap_or_default(), s);
        }
    }
    let known_ids: Vec<i64> = known.values().map(|s| s.id).collect();
    // Every enrollment of the known students in the section's year, at any IE.
    let mut same_year: HashMap<i64, Vec<enrollment::Model>> = HashMap::new();
    for chunk in known_ids.chunks(500) {
        for e in enrollment::Entity::find()
            .filter(enrollment::Column::StudentId.is_in(chunk.to_vec()))
            .filter(enrollment::Column::AcademicYearId.eq(scope.year.id))
            .all(db)
            .await?
        {
            same_year.entry(e.student_id).or_default().push(e);
        }
    }
    let mut current: HashMap<i64, enrollment::Model> = HashMap::new();
    for (index, input) in inputs.iter().enumerate() {
        let Some(s) = known.get(input.document.as_str()) else {
            continue;
        };
        if !input
            .name
            .matches(&s.paternal_surname, &s.maternal_surname, &s.given_names)
        {
            outcome.conflicts.push((index, Conflict::NamesDiffer));
            continue;
        }
        let enrollments = same_year.get(&s.id).map(Vec::as_slice).unwrap_or_default();
        if let Some(here) = enrollments
            .iter()
            .find(|e| e.section_id == scope.section.id)
        {
            current.insert(s.id, here.clone());
        } else if enrollments.iter().any(|e| overlaps(e, input.starts_on)) {
            outcome.conflicts.push((
                index,
                Conflict::EnrolledElsewhere(
                    "El estudiante ya tiene matrícula en otra sección ese año; registre primero su traslado o retiro.".into(),
                ),
            ));
        }
    }
    if !outcome.conflicts.is_empty() {
        return Ok(outcome);
    }

    let at = now();
    // Made after the academic year ended: a regularization, which counts once approved. An
    // approval covers the students it was asked for: none is added once it is asked or approved.
    let regularization = scope.year.ends_on < today_lima();
    if regularization
        && entity::regularization::Entity::find()
            .filter(entity::regularization::Column::SectionId.eq(scope.section.id))
            .filter(
                entity::regularization::Column::Status
                    .ne(entity::vocabulary::RegularizationStatus::Rejected),
            )
            .one(db)
            .await?
            .is_some()
    {
        return Err(ApiError::because(
            ErrorCode::RegularizationPending,
            "La regularización de esta sección ya fue solicitada o aprobada para sus estudiantes: no se agregan otros a ella.",
        ));
    }
    for input in inputs {
        let student_id = match known.get(input.document.as_str()) {
            Some(s) => s.id,
            None => {
                let (dni, code) = match &input.document {
                    StudentDocument::Dni(d) => (Some(d.as_str().to_owned()), None),
                    StudentDocument::Code(c) => (None, Some(c.as_str().to_owned())),
                };
                let created = student::ActiveModel {
                    dni: Set(dni),
                    student_code: Set(code),
                    paternal_surname: Set(input.name.paternal.as_str().to_owned()),
                    maternal_surname: Set(input.name.maternal.as_str().to_owned()),
                    given_names: Set(input.name.given.as_str().to_owned()),
                    birth_date: Set(input.birth_date),
                    sex: Set(input.sex.clone()),
                    created_at: Set(at),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                outcome.students_created += 1;
                known.insert(input.document.as_str().to_owned(), created.clone());
                created.id
            }
        };
        if current.contains_key(&student_id) {
            outcome.already_enrolled += 1;
            continue;
        }
        let created = enrollment::ActiveModel {
            student_id: Set(student_id),
            section_id: Set(scope.section.id),
            academic_year_id: Set(scope.year.id),
            starts_on: Set(input.starts_on),
            status: Set(EnrollmentStatus::Activo),
            status_date: Set(None),
            updated_at: Set(at),
            regularization: Set(regularization),
            ..Default::default()
        }
        .insert(db)
        .await?;
        current.insert(student_id, created);
        outcome.enrolled += 1;
    }
    // The caller records the roster's change (`Change::Roster`), which marks its registers stale.
    Ok(outcome)
}

/// Validates a status change of an enrollment.
pub fn check_status_change(
    enrollment: &enrollment::Model,
    status: &str,
    status_date: Option<NaiveDate>,
    year: &academic_year::Model,
    today: NaiveDate,
) -> Result<(EnrollmentStatus, Option<NaiveDate>)> {
    let mut f = Fields::default();
    let status = f.check("status", EnrollmentStatus::parse(status));
    f.finish()?;
    let status = status.unwrap_or(EnrollmentStatus::Activo);
    match (status, status_date) {
        (EnrollmentStatus::Activo, _) => Ok((status, None)),
        (_, None) => Err(ApiError::field(
            "status_date",
            "Indique la fecha del traslado, retiro o fallecimiento.",
        )),
        (_, Some(date)) if date < enrollment.starts_on => Err(ApiError::field(
            "status_date",
            "La fecha no puede ser anterior al inicio de la matrícula.",
        )),
        (_, Some(date)) if date > year.ends_on || date > today => Err(ApiError::field(
            "status_date",
            "La fecha no puede ser posterior a hoy ni al fin del año académico.",
        )),
        (_, Some(date)) => Ok((status, Some(date))),
    }
}
