//! Unit tests of [`super::decide`]: every rule of the tablet contract, on lookups built in memory.
//! The fixtures are here; the rejections and what batches decide are in their own files.

use chrono::{NaiveDateTime, TimeZone};

use super::*;
use crate::auth::{
    Role, Target,
    policy::{Assignment, Unit},
};
use crate::domain::Level;
use entity::academic_year;

/// Section 100 of IE 10 (UGEL 5, DRE 1), taught by the teacher.
const SECTION: i64 = 100;
/// Section 200 of the same IE, which the teacher does not teach.
const UNTAUGHT_SECTION: i64 = 200;
/// Enrolled in section 100 for the whole year (enrollment 70).
const STUDENT: i64 = 7;
/// Enrolled in section 100 from 4 May, transferred out on 11 May (enrollment 80).
const TRANSFERRED: i64 = 8;
/// Enrolled in section 200 only (enrollment 90).
const STUDENT_OF_UNTAUGHT_SECTION: i64 = 9;

type Fate = (Outcome, Option<RejectionCode>);
const ACCEPTED: Fate = (Outcome::Accepted, None);
const DUPLICATE: Fate = (Outcome::Duplicate, None);
const HELD: Fate = (Outcome::Held, None);

fn rejected(code: RejectionCode) -> Fate {
    (Outcome::Rejected, Some(code))
}

/// A day of 2026.
fn day(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

/// A time of a day in Lima (UTC−5), as a tablet sends it.
fn lima(date: NaiveDate, hour: u32, minute: u32) -> DateTime<FixedOffset> {
    FixedOffset::west_opt(5 * 3600)
        .unwrap()
        .from_local_datetime(&date.and_hms_opt(hour, minute, 0).unwrap())
        .unwrap()
}

/// Wednesday 20 May 2026 at 22:00 in Lima: already Thursday 21 May in UTC.
fn now() -> DateTime<Utc> {
    lima(day(5, 20), 22, 0).with_timezone(&Utc)
}

fn principal(role: Role, taught_sections: Vec<i64>) -> Principal {
    Principal {
        user_id: 1,
        person_id: 1,
        username: "usuario".to_owned(),
        must_change_password: false,
        family: String::new(),
        assignments: vec![Assignment {
            id: 1,
            role,
            unit: Unit::School {
                school_id: 10,
                ugel_id: 5,
                dre_id: 1,
            },
            level: None,
        }],
        taught_sections,
    }
}

fn teacher() -> Principal {
    principal(Role::Teacher, vec![SECTION])
}

fn enrollment(
    id: i64,
    student_id: i64,
    section_id: i64,
    starts_on: NaiveDate,
    status: &str,
    status_date: Option<NaiveDate>,
) -> enrollment::Model {
    enrollment::Model {
        id,
        student_id,
        section_id,
        academic_year_id: 1,
        starts_on,
        status: entity::vocabulary::EnrollmentStatus::parse(status).unwrap(),
        status_date,
        updated_at: now(),
        regularization: false,
    }
}

/// Year 2026 from Monday 9 March to Friday 18 December, with 1 May declared non-academic;
/// sections 100 and 200, April of section 100 closed on 5 May.
fn lookups() -> Lookups {
    let calendar = SchoolCalendar {
        year: academic_year::Model {
            id: 1,
            year: 2026,
            starts_on: day(3, 9),
            ends_on: day(12, 18),
        },
        declared: HashMap::from([(
            day(5, 1),
            ("national".to_owned(), "Día del Trabajo".to_owned()),
        )]),
    };
    let school = Target::school(10, 5, 1, Level::Primaria);
    let contexts = [SECTION, UNTAUGHT_SECTION]
        .into_iter()
        .map(|section_id| {
            let context = SectionContext {
                section_id,
                target: school.with_section(section_id),
                calendar: calendar.clone(),
            };
            (section_id, context)
        })
        .collect();
    let enrollments = [
        enrollment(70, STUDENT, SECTION, day(3, 9), "activo", None),
        enrollment(
            80,
            TRANSFERRED,
            SECTION,
            day(5, 4),
            "trasladado",
            Some(day(5, 11)),
        ),
        enrollment(
            90,
            STUDENT_OF_UNTAUGHT_SECTION,
            UNTAUGHT_SECTION,
            day(3, 9),
            "activo",
            None,
        ),
    ]
    .into_iter()
    .map(|e| ((e.section_id, e.student_id), e))
    .collect();
    let april = attendance_register::Model {
        id: 1,
        section_id: SECTION,
        year: 2026,
        month: 4,
        closed_at: Some(lima(day(5, 5), 10, 0).with_timezone(&Utc)),
        closed_by: Some(2),
        modification_until: None,
    };
    Lookups {
        contexts,
        enrollments,
        registers: HashMap::from([((SECTION, 2026, 4), april)]),
    }
}

/// A valid mark: `asistio` in section 100, recorded at 08:00 on 20 May, without a note.
fn mark(id: u128, student_id: i64, date: NaiveDate) -> Incoming {
    Incoming {
        mark_id: Uuid::from_u128(id),
        section_id: Some(SECTION),
        student_id: Some(student_id),
        date,
        status: Some(AttendanceStatus::Asistio),
        recorded_at: lima(day(5, 20), 8, 0),
        note: None,
    }
}

fn tablet() -> Source {
    Source::Tablet {
        device_id: Uuid::from_u128(0xD1),
        batch_id: Uuid::from_u128(0xB1),
    }
}

/// The stored content of a mark, as `known` holds it.
fn content(enrollment_id: i64, mark: &Incoming) -> Known {
    (
        enrollment_id,
        mark.date,
        codes::to_db(mark.status.unwrap()),
        micros(mark.recorded_at),
    )
}

/// Decides one batch of the teacher's, on [`lookups`], at [`now`].
fn decide_batch(marks: &[Incoming], known: &HashMap<Uuid, Known>) -> Decision {
    let principal = teacher();
    let batch = Batch {
        principal: &principal,
        source: tablet(),
        marks,
    };
    decide(&lookups(), &[batch], known, now())
}

fn fates(results: &[MarkResult]) -> Vec<Fate> {
    results.iter().map(|r| (r.outcome, r.code)).collect()
}

/// The fate of one mark sent alone by the teacher, with nothing stored.
fn fate(mark: Incoming) -> Fate {
    let decision = decide_batch(&[mark], &HashMap::new());
    assert_eq!(decision.results.len(), 1);
    assert_eq!(decision.results[0].len(), 1);
    fates(&decision.results[0])[0]
}

mod batches;
mod rejections;
