//! Rules of the registry: what makes an IE, a section, an enrollment or a calendar day valid.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use entity::{academic_year, enrollment, grade, person, school, school_staff, student, ugel};

use super::{
    dto::{NewDre, NewSchool, NewStaff, NewUgel, StaffView},
    repo::SectionScope,
};
use crate::{
    domain::{
        Anexo, CellPhone, CodigoModular, Dni, Email, EnrollmentStatus, Level, Management, Modality,
        PersonName, Position, StudentDocument,
    },
    error::{ApiError, Fields, Result},
    time::now,
};

fn text(value: &str, max: usize) -> std::result::Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        Err("Este campo es obligatorio.".into())
    } else if value.chars().count() > max {
        Err(format!("No puede tener más de {max} caracteres."))
    } else {
        Ok(value.to_owned())
    }
}

fn optional<T>(
    value: Option<&str>,
    parse: impl Fn(&str) -> std::result::Result<T, String>,
) -> std::result::Result<Option<T>, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => parse(v).map(Some),
        None => Ok(None),
    }
}

pub async fn create_dre(db: &impl ConnectionTrait, input: NewDre) -> Result<entity::dre::Model> {
    let mut f = Fields::default();
    let code = f.check("code", text(&input.code, 32));
    let name = f.check("name", text(&input.name, 120));
    f.finish()?;
    let (Some(code), Some(name)) = (code, name) else {
        unreachable!("checked above")
    };
    Ok(entity::dre::ActiveModel {
        code: Set(code.to_uppercase()),
        name: Set(name),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn create_ugel(db: &impl ConnectionTrait, input: NewUgel) -> Result<ugel::Model> {
    let mut f = Fields::default();
    let code = f.check("code", text(&input.code, 32));
    let name = f.check("name", text(&input.name, 120));
    if entity::dre::Entity::find_by_id(input.dre_id)
        .one(db)
        .await?
        .is_none()
    {
        f.add("dre_id", "La DRE no existe.");
    }
    f.finish()?;
    let (Some(code), Some(name)) = (code, name) else {
        unreachable!("checked above")
    };
    Ok(ugel::ActiveModel {
        dre_id: Set(input.dre_id),
        code: Set(code.to_uppercase()),
        name: Set(name),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn create_school(db: &impl ConnectionTrait, input: NewSchool) -> Result<school::Model> {
    let mut f = Fields::default();
    let codigo = f.check(
        "codigo_modular",
        CodigoModular::parse(&input.codigo_modular),
    );
    let anexo = f.check("anexo", Anexo::new(input.anexo));
    let name = f.check("name", text(&input.name, 160));
    let level = f.check("level", Level::parse(&input.level));
    let modality = f.check("modality", Modality::parse(&input.modality));
    let management = f.check("management", Management::parse(&input.management));
    let centro_poblado = f.check("centro_poblado", text(&input.centro_poblado, 120));
    let district = f.check("district", text(&input.district, 120));
    let email = f.check("email", optional(input.email.as_deref(), Email::parse));
    if input.is_pronoei && level.is_some_and(|l| l != Level::Inicial) {
        f.add("is_pronoei", "Un PRONOEI solo puede ser del nivel inicial.");
    }
    if ugel::Entity::find_by_id(input.ugel_id)
        .one(db)
        .await?
        .is_none()
    {
        f.add("ugel_id", "La UGEL no existe.");
    }
    f.finish()?;
    let (
        Some(codigo),
        Some(anexo),
        Some(name),
        Some(level),
        Some(modality),
        Some(management),
        Some(centro_poblado),
        Some(district),
        Some(email),
    ) = (
        codigo,
        anexo,
        name,
        level,
        modality,
        management,
        centro_poblado,
        district,
        email,
    )
    else {
        unreachable!("checked above")
    };
    // A code already taken breaks the unique rule: `school_exists`.
    Ok(school::ActiveModel {
        ugel_id: Set(input.ugel_id),
        codigo_modular: Set(codigo.as_str().to_owned()),
        anexo: Set(anexo.value()),
        name: Set(name),
        level: Set(level.code().to_owned()),
        modality: Set(modality.code().to_owned()),
        management: Set(management.code().to_owned()),
        is_pronoei: Set(input.is_pronoei),
        centro_poblado: Set(centro_poblado),
        district: Set(district),
        email: Set(email.map(Email::into_inner)),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

pub async fn create_year(
    db: &impl ConnectionTrait,
    year: i32,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<academic_year::Model> {
    let mut f = Fields::default();
    if !(2000..=2100).contains(&year) {
        f.add("year", "El año debe estar entre 2000 y 2100.");
    }
    if chrono::Datelike::year(&starts_on) != year || chrono::Datelike::year(&ends_on) != year {
        f.add(
            "starts_on",
            "Las fechas de inicio y fin deben pertenecer al año académico.",
        );
    }
    if ends_on <= starts_on {
        f.add(
            "ends_on",
            "La fecha de fin debe ser posterior a la de inicio.",
        );
    }
    f.finish()?;
    // A year already there breaks the unique rule: `year_exists`.
    Ok(academic_year::ActiveModel {
        year: Set(year),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// A student to enroll, already parsed.
#[derive(Debug, Clone)]
pub struct EnrollmentInput {
    pub document: StudentDocument,
    pub paternal_surname: PersonName,
    pub maternal_surname: PersonName,
    pub given_names: PersonName,
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
    pub conflicts: Vec<(usize, String)>,
}

/// Enrolls students in a section, creating the students that are new. Nothing is written when
/// any student is already enrolled in another section of the year: the caller gets the list.
/// Run inside a transaction.
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
    for chunk in dnis.chunks(500) {
        for s in student::Entity::find()
            .filter(student::Column::Dni.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            known.insert(s.dni.clone().unwrap_or_default(), s);
        }
    }
    for chunk in codes.chunks(500) {
        for s in student::Entity::find()
            .filter(student::Column::StudentCode.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            known.insert(s.student_code.clone().unwrap_or_default(), s);
        }
    }
    let known_ids: Vec<i64> = known.values().map(|s| s.id).collect();
    let mut current: HashMap<i64, enrollment::Model> = HashMap::new();
    for chunk in known_ids.chunks(500) {
        for e in enrollment::Entity::find()
            .filter(enrollment::Column::StudentId.is_in(chunk.to_vec()))
            .filter(enrollment::Column::AcademicYearId.eq(scope.year.id))
            .all(db)
            .await?
        {
            current.insert(e.student_id, e);
        }
    }
    for (index, input) in inputs.iter().enumerate() {
        if let Some(s) = known.get(input.document.as_str())
            && let Some(e) = current.get(&s.id)
            && e.section_id != scope.section.id
        {
            outcome.conflicts.push((
                index,
                "El estudiante ya tiene matrícula en otra sección este año; registre primero su traslado.".into(),
            ));
        }
    }
    if !outcome.conflicts.is_empty() {
        return Ok(outcome);
    }

    let at = now();
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
                    paternal_surname: Set(input.paternal_surname.as_str().to_owned()),
                    maternal_surname: Set(input.maternal_surname.as_str().to_owned()),
                    given_names: Set(input.given_names.as_str().to_owned()),
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
            status: Set(EnrollmentStatus::Activo.code().to_owned()),
            status_date: Set(None),
            updated_at: Set(at),
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

/// An existing person is confirmed by its names (case and accents aside), never shown: a 422 on
/// `dni` that does not say what is stored.
pub fn confirm_person(
    existing: &person::Model,
    paternal: &PersonName,
    maternal: &PersonName,
    given: &PersonName,
) -> Result<()> {
    if paternal.matches(&existing.paternal_surname)
        && maternal.matches(&existing.maternal_surname)
        && given.matches(&existing.given_names)
    {
        Ok(())
    } else {
        Err(ApiError::field(
            "dni",
            "Los nombres no coinciden con los registrados para ese DNI. Revise el documento de identidad de la persona.",
        ))
    }
}

/// Registers a person (by DNI, reusing an existing one) as staff of an IE.
pub async fn add_staff(
    db: &impl ConnectionTrait,
    school_id: i64,
    input: NewStaff,
) -> Result<StaffView> {
    let mut f = Fields::default();
    let dni = f.check("dni", Dni::parse(&input.dni));
    let paternal = f.check(
        "paternal_surname",
        PersonName::parse(&input.paternal_surname),
    );
    let maternal = f.check(
        "maternal_surname",
        PersonName::parse(&input.maternal_surname),
    );
    let given = f.check("given_names", PersonName::parse(&input.given_names));
    let email = f.check("email", optional(input.email.as_deref(), Email::parse));
    let phone = f.check(
        "cell_phone",
        optional(input.cell_phone.as_deref(), CellPhone::parse),
    );
    let position = f.check("position", Position::parse(&input.position));
    f.finish()?;
    let (
        Some(dni),
        Some(paternal),
        Some(maternal),
        Some(given),
        Some(email),
        Some(phone),
        Some(position),
    ) = (dni, paternal, maternal, given, email, phone, position)
    else {
        unreachable!("checked above")
    };
    let person = match person::Entity::find()
        .filter(person::Column::Dni.eq(dni.as_str()))
        .one(db)
        .await?
    {
        // A person already registered is confirmed by its names, never shown: what the caller
        // reads back is what it sent, and the stored names and contact data stay as they are.
        Some(existing) => {
            confirm_person(&existing, &paternal, &maternal, &given)?;
            existing
        }
        None => {
            person::ActiveModel {
                dni: Set(dni.as_str().to_owned()),
                paternal_surname: Set(paternal.as_str().to_owned()),
                maternal_surname: Set(maternal.as_str().to_owned()),
                given_names: Set(given.as_str().to_owned()),
                email: Set(email.clone().map(Email::into_inner)),
                cell_phone: Set(phone.clone().map(CellPhone::into_inner)),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    let sent = StaffView {
        person_id: person.id,
        dni: dni.as_str().to_owned(),
        paternal_surname: paternal.into_inner(),
        maternal_surname: maternal.into_inner(),
        given_names: given.into_inner(),
        email: email.map(Email::into_inner),
        cell_phone: phone.map(CellPhone::into_inner),
        position: position.code().to_owned(),
        active: true,
    };
    let existing = school_staff::Entity::find()
        .filter(school_staff::Column::SchoolId.eq(school_id))
        .filter(school_staff::Column::PersonId.eq(person.id))
        .one(db)
        .await?;
    match existing {
        Some(row) => {
            let mut active: school_staff::ActiveModel = row.into();
            active.position = Set(position.code().to_owned());
            active.active = Set(true);
            active.update(db).await?;
        }
        None => {
            school_staff::ActiveModel {
                school_id: Set(school_id),
                person_id: Set(person.id),
                position: Set(position.code().to_owned()),
                active: Set(true),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    Ok(sent)
}

/// The grade, checked against the level of the IE.
pub async fn grade_for_school(
    db: &impl ConnectionTrait,
    grade_id: i64,
    school: &school::Model,
) -> Result<grade::Model> {
    let grade = grade::Entity::find_by_id(grade_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::field("grade_id", "El grado no existe."))?;
    if grade.level != school.level {
        return Err(ApiError::field(
            "grade_id",
            "El grado no corresponde al nivel de la IE.",
        ));
    }
    Ok(grade)
}
