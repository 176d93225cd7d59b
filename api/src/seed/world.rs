//! Building blocks shared by the demo world and the synthetic datasets.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use entity::vocabulary::{EnrollmentStatus, Level, Management, Modality};
use entity::{
    academic_year, enrollment, grade, non_academic_day, person, role_assignment, school,
    school_staff, section, student, teacher_section, user_account,
};

use super::names::{Lcg, person as random_person};
use crate::{auth::Role, time::now};

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

/// Easter Sunday (anonymous Gregorian algorithm).
fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).unwrap_or_default()
}

/// Peru's national holidays and the mid-year vacation that fall on school days of the year.
pub fn national_non_academic_days(year: i32) -> Vec<(NaiveDate, String)> {
    let date = |m, d| NaiveDate::from_ymd_opt(year, m, d).unwrap_or_default();
    let easter = easter(year);
    let mut days = vec![
        (easter - Duration::days(3), "Jueves Santo".to_owned()),
        (easter - Duration::days(2), "Viernes Santo".to_owned()),
        (date(5, 1), "Día del Trabajo".to_owned()),
        (
            date(6, 7),
            "Batalla de Arica y Día de la Bandera".to_owned(),
        ),
        (date(6, 29), "San Pedro y San Pablo".to_owned()),
        (date(7, 23), "Día de la Fuerza Aérea del Perú".to_owned()),
        (date(8, 6), "Batalla de Junín".to_owned()),
        (date(8, 30), "Santa Rosa de Lima".to_owned()),
        (date(10, 8), "Combate de Angamos".to_owned()),
        (date(11, 1), "Día de Todos los Santos".to_owned()),
        (date(12, 8), "Inmaculada Concepción".to_owned()),
        (date(12, 9), "Batalla de Ayacucho".to_owned()),
    ];
    // Mid-year vacation: the two weeks that start on the last Monday of July.
    let mut day =
        NaiveDate::from_weekday_of_month_opt(year, 7, Weekday::Mon, 4).unwrap_or_default();
    if (day + Duration::days(7)).month() == 7 {
        day += Duration::days(7);
    }
    for _ in 0..14 {
        days.push((day, "Vacaciones de medio año".to_owned()));
        day += Duration::days(1);
    }
    days.retain(|(d, _)| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun));
    days.sort();
    days.dedup_by_key(|(d, _)| *d);
    days
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_dates_are_right() {
        assert_eq!(easter(2026), NaiveDate::from_ymd_opt(2026, 4, 5).unwrap());
        assert_eq!(easter(2025), NaiveDate::from_ymd_opt(2025, 4, 20).unwrap());
    }

    #[test]
    fn the_national_calendar_has_no_weekends_and_no_repeats() {
        let days = national_non_academic_days(2026);
        assert!(
            days.iter()
                .all(|(d, _)| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        );
        let mut dates: Vec<_> = days.iter().map(|(d, _)| *d).collect();
        dates.dedup();
        assert_eq!(dates.len(), days.len());
        assert!(
            dates.contains(&NaiveDate::from_ymd_opt(2026, 4, 3).unwrap()),
            "Viernes Santo"
        );
    }
}
