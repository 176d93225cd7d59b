//! Building blocks shared by the demo world and the synthetic datasets.

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use entity::vocabulary::{EnrollmentStatus, Level, Management, Modality};
use entity::{
    academic_year, enrollment, grade, non_academic_day, person, role_assignment, school,
    school_staff, section, student, teacher_section, user_account,
};

use super::names::{Lcg, person as random_person};
use crate::{
    auth::Role,
    time::{now, peru::national_non_academic_days},
};

/// First school day: the second Monday of March, as the national calendar usually sets it.
pub fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    let starts = NaiveDate::from_weekday_of_month_opt(year, 3, Weekday::Mon, 2).unwrap_or_default();
    let ends = NaiveDate::from_ymd_opt(year, 12, 18).unwrap_or_default();
    (starts, ends)
}

/// The academic year a day belongs to: before the school year starts (January to March, the
/// summer vacation) the current year is still the last one.
pub fn academic_year_of(day: NaiveDate) -> i32 {
    if day < year_bounds(day.year()).0 {
        day.year() - 1
    } else {
        day.year()
    }
}

/// Creates the academic year and its national calendar.
pub async fn create_year(
    db: &impl ConnectionTrait,
    year: i32,
) -> anyhow::Result<academic_year::Model> {
    let (starts_on, ends_on) = year_bounds(year);
    let created = academic_year::ActiveModel {
        year: Set(year),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let days = national_non_academic_days(year)
        .into_iter()
        .map(|(date, description)| non_academic_day::ActiveModel {
            academic_year_id: Set(created.id),
            date: Set(date),
            scope: Set(entity::vocabulary::DayScope::National),
            ugel_id: Set(None),
            school_id: Set(None),
            description: Set(description),
            ..Default::default()
        });
    non_academic_day::Entity::insert_many(days).exec(db).await?;
    Ok(created)
}

/// An IE to create.
pub struct SchoolSpec<'a> {
    pub ugel_id: i64,
    pub codigo_modular: &'a str,
    pub name: &'a str,
    pub level: &'a str,
    pub modality: &'a str,
    pub is_pronoei: bool,
    pub centro_poblado: &'a str,
    pub district: &'a str,
}

pub async fn create_school(
    db: &impl ConnectionTrait,
    spec: SchoolSpec<'_>,
) -> anyhow::Result<school::Model> {
    Ok(school::ActiveModel {
        ugel_id: Set(spec.ugel_id),
        codigo_modular: Set(spec.codigo_modular.into()),
        anexo: Set(0),
        name: Set(spec.name.into()),
        level: Set(Level::parse(spec.level).map_err(anyhow::Error::msg)?),
        modality: Set(Modality::parse(spec.modality).map_err(anyhow::Error::msg)?),
        management: Set(Management::Publica),
        is_pronoei: Set(spec.is_pronoei),
        centro_poblado: Set(spec.centro_poblado.into()),
        district: Set(spec.district.into()),
        email: Set(Some(format!("ie{}@siagie.local", spec.codigo_modular))),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Creates sections `(grade ordinal, name)` of an IE.
pub async fn create_sections(
    db: &impl ConnectionTrait,
    school: &school::Model,
    year: &academic_year::Model,
    sections: &[(i16, &str)],
) -> anyhow::Result<Vec<section::Model>> {
    let grades = grade::Entity::find()
        .filter(grade::Column::Level.eq(school.level))
        .all(db)
        .await?;
    let rows = sections.iter().filter_map(|(ordinal, name)| {
        let grade = grades.iter().find(|g| g.ordinal == *ordinal)?;
        Some(section::ActiveModel {
            school_id: Set(school.id),
            academic_year_id: Set(year.id),
            grade_id: Set(grade.id),
            name: Set((*name).into()),
            created_at: Set(now()),
            ..Default::default()
        })
    });
    Ok(section::Entity::insert_many(rows)
        .exec_with_returning(db)
        .await?)
}

/// A student with a random Peruvian name and a birth date in `birth_year`.
pub fn generated_student(
    rng: &mut Lcg,
    dni: String,
    birth_year: i32,
    at: DateTime<Utc>,
) -> student::ActiveModel {
    let (paternal, maternal, given, sex) = random_person(rng);
    let birth = NaiveDate::from_ymd_opt(
        birth_year,
        rng.between(1, 12) as u32,
        rng.between(1, 28) as u32,
    );
    student::ActiveModel {
        dni: Set(Some(dni)),
        student_code: Set(None),
        paternal_surname: Set(paternal),
        maternal_surname: Set(maternal),
        given_names: Set(given),
        birth_date: Set(birth),
        sex: Set(Some(sex)),
        created_at: Set(at),
        ..Default::default()
    }
}

/// Creates `count` students with generated DNIs from `next_dni` and enrolls them in the section
/// from the first day of the year.
pub async fn enroll_generated(
    db: &impl ConnectionTrait,
    rng: &mut Lcg,
    section: &section::Model,
    year: &academic_year::Model,
    count: u64,
    next_dni: &mut u64,
    birth_year: i32,
) -> anyhow::Result<Vec<student::Model>> {
    let at = now();
    let students: Vec<student::ActiveModel> = (0..count)
        .map(|_| {
            *next_dni += 1;
            generated_student(rng, format!("{:08}", *next_dni), birth_year, at)
        })
        .collect();
    let students = student::Entity::insert_many(students)
        .exec_with_returning(db)
        .await?;
    let enrollments = students.iter().map(|s| enrollment::ActiveModel {
        student_id: Set(s.id),
        section_id: Set(section.id),
        academic_year_id: Set(year.id),
        starts_on: Set(year.starts_on),
        status: Set(EnrollmentStatus::Activo),
        status_date: Set(None),
        updated_at: Set(at),
        ..Default::default()
    });
    enrollment::Entity::insert_many(enrollments)
        .exec(db)
        .await?;
    Ok(students)
}

/// A person with an account and one role assignment.
pub struct AccountSpec<'a> {
    pub username: &'a str,
    pub dni: &'a str,
    pub names: (&'a str, &'a str, &'a str),
    pub email: Option<&'a str>,
    pub role: Role,
    pub dre_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
    pub level: Option<&'a str>,
}

/// Creates the person, the account (with an already computed password hash) and the role. Staff
/// roles are also registered as staff of their IE.
pub async fn create_account(
    db: &impl ConnectionTrait,
    spec: AccountSpec<'_>,
    password_hash: &str,
) -> anyhow::Result<(person::Model, user_account::Model)> {
    let at = now();
    let person = person::ActiveModel {
        dni: Set(spec.dni.into()),
        paternal_surname: Set(spec.names.0.into()),
        maternal_surname: Set(spec.names.1.into()),
        given_names: Set(spec.names.2.into()),
        email: Set(spec.email.map(Into::into)),
        cell_phone: Set(None),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let account = user_account::ActiveModel {
        person_id: Set(person.id),
        username: Set(spec.username.into()),
        password_hash: Set(password_hash.into()),
        must_change_password: Set(false),
        created_at: Set(at),
        password_changed_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    role_assignment::ActiveModel {
        user_id: Set(account.id),
        role: Set(spec.role.code().into()),
        dre_id: Set(spec.dre_id),
        ugel_id: Set(spec.ugel_id),
        school_id: Set(spec.school_id),
        level: Set(spec
            .level
            .map(Level::parse)
            .transpose()
            .map_err(anyhow::Error::msg)?),
        active: Set(true),
        starts_at: Set(at),
        ended_at: Set(None),
        resolution_number: Set(None),
        resolution_date: Set(None),
        request_id: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if let (Some(school_id), true) = (spec.school_id, !matches!(spec.role, Role::Director)) {
        school_staff::ActiveModel {
            school_id: Set(school_id),
            person_id: Set(person.id),
            position: Set(spec.role.code().into()),
            active: Set(true),
            created_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok((person, account))
}

/// Assigns a teacher to sections.
pub async fn assign_teacher(
    db: &impl ConnectionTrait,
    person_id: i64,
    sections: &[i64],
) -> anyhow::Result<()> {
    let rows = sections
        .iter()
        .map(|section_id| teacher_section::ActiveModel {
            section_id: Set(*section_id),
            person_id: Set(person_id),
            active: Set(true),
            created_at: Set(now()),
            ..Default::default()
        });
    teacher_section::Entity::insert_many(rows).exec(db).await?;
    Ok(())
}
