//! Unit tests of [`super::decide`]: every rule of the tablet contract, on lookups built in memory.

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

// Each rejection code.

#[test]
fn a_valid_mark_is_accepted() {
    assert_eq!(fate(mark(1, STUDENT, day(5, 18))), ACCEPTED);
}

#[test]
fn a_mark_without_a_valid_status_is_rejected_as_invalid_status() {
    let mut m = mark(1, STUDENT, day(5, 18));
    m.status = None;
    let decision = decide_batch(&[m], &HashMap::new());
    let result = &decision.results[0][0];
    assert_eq!(
        (result.outcome, result.code),
        rejected(RejectionCode::InvalidStatus)
    );
    assert_eq!(
        result.message.as_deref(),
        Some(RejectionCode::InvalidStatus.message())
    );
    assert!(decision.entries[0].is_empty() && decision.candidates.is_empty());
}

#[test]
fn a_note_with_a_nul_character_is_rejected_as_invalid_note() {
    let mut m = mark(1, STUDENT, day(5, 18));
    m.note = Some("llegó\0tarde".to_owned());
    assert_eq!(fate(m), rejected(RejectionCode::InvalidNote));
}

#[test]
fn a_note_with_line_breaks_and_tabs_is_accepted() {
    let mut m = mark(1, STUDENT, day(5, 18));
    m.note = Some("llegó tarde\r\n\tcon permiso".to_owned());
    assert_eq!(fate(m), ACCEPTED);
}

#[test]
fn a_mark_recorded_more_than_five_minutes_ahead_of_the_server_is_rejected_as_recorded_at_in_future()
{
    let mut m = mark(1, STUDENT, day(5, 18));
    m.recorded_at = (now() + Duration::minutes(5) + Duration::seconds(1)).fixed_offset();
    assert_eq!(fate(m), rejected(RejectionCode::RecordedAtInFuture));
}

#[test]
fn a_mark_recorded_exactly_five_minutes_ahead_of_the_server_is_accepted() {
    let mut m = mark(1, STUDENT, day(5, 18));
    // In Lima's offset, as a tablet sends it: the instant counts, not the offset.
    m.recorded_at = lima(day(5, 20), 22, 5);
    assert_eq!(m.recorded_at.with_timezone(&Utc), now() + CLOCK_SKEW);
    assert_eq!(fate(m), ACCEPTED);
}

#[test]
fn a_mark_for_an_unknown_section_is_rejected_as_section_not_assigned() {
    let mut unknown = mark(1, STUDENT, day(5, 18));
    unknown.section_id = Some(999);
    assert_eq!(fate(unknown), rejected(RejectionCode::SectionNotAssigned));

    let mut not_a_number = mark(2, STUDENT, day(5, 18));
    not_a_number.section_id = None;
    assert_eq!(
        fate(not_a_number),
        rejected(RejectionCode::SectionNotAssigned)
    );
}

#[test]
fn a_mark_for_a_section_of_the_school_the_teacher_does_not_teach_is_rejected_as_section_not_assigned()
 {
    let mut m = mark(1, STUDENT_OF_UNTAUGHT_SECTION, day(5, 18));
    m.section_id = Some(UNTAUGHT_SECTION);
    assert_eq!(fate(m), rejected(RejectionCode::SectionNotAssigned));
}

#[test]
fn each_batch_is_authorized_for_its_own_caller() {
    // The same mark of section 200 from the teacher, then from the director of the IE.
    let mut m = mark(1, STUDENT_OF_UNTAUGHT_SECTION, day(5, 18));
    m.section_id = Some(UNTAUGHT_SECTION);
    let mut again = m.clone();
    again.mark_id = Uuid::from_u128(2);
    let (teacher, director) = (teacher(), principal(Role::Director, Vec::new()));
    let first = [m];
    let second = [again];
    let batches = [
        Batch {
            principal: &teacher,
            source: tablet(),
            marks: &first,
        },
        Batch {
            principal: &director,
            source: Source::Web,
            marks: &second,
        },
    ];
    let decision = decide(&lookups(), &batches, &HashMap::new(), now());
    assert_eq!(
        fates(&decision.results[0]),
        [rejected(RejectionCode::SectionNotAssigned)]
    );
    assert_eq!(fates(&decision.results[1]), [ACCEPTED]);
}

#[test]
fn a_mark_for_a_day_after_today_in_lima_is_rejected_as_date_in_future() {
    // 22:00 in Lima on the 20th is already the 21st in UTC.
    assert_eq!(now().date_naive(), day(5, 21));
    let mut tomorrow = mark(1, STUDENT, day(5, 21));
    tomorrow.recorded_at = lima(day(5, 20), 21, 59);
    assert_eq!(fate(tomorrow), rejected(RejectionCode::DateInFuture));

    let mut today = mark(2, STUDENT, day(5, 20));
    today.recorded_at = lima(day(5, 20), 21, 59);
    assert_eq!(fate(today), ACCEPTED);
}

#[test]
fn a_day_before_the_academic_year_starts_is_rejected_as_outside_academic_year() {
    assert_eq!(
        fate(mark(1, STUDENT, day(3, 6))),
        rejected(RejectionCode::OutsideAcademicYear)
    );
    assert_eq!(
        fate(mark(
            2,
            STUDENT,
            NaiveDate::from_ymd_opt(2025, 12, 15).unwrap()
        )),
        rejected(RejectionCode::OutsideAcademicYear)
    );
    assert_eq!(fate(mark(3, STUDENT, day(3, 9))), ACCEPTED, "its first day");
}

#[test]
fn a_saturday_is_rejected_as_non_academic_day() {
    assert_eq!(
        fate(mark(1, STUDENT, day(5, 16))),
        rejected(RejectionCode::NonAcademicDay)
    );
}

#[test]
fn a_declared_non_academic_day_is_rejected_as_non_academic_day() {
    assert_eq!(
        fate(mark(1, STUDENT, day(5, 1))),
        rejected(RejectionCode::NonAcademicDay)
    );
    assert_eq!(
        fate(mark(2, STUDENT, day(5, 4))),
        ACCEPTED,
        "the next Monday"
    );
}

#[test]
fn a_student_without_an_enrollment_in_the_section_is_rejected_as_student_not_enrolled() {
    let not_enrolled = rejected(RejectionCode::StudentNotEnrolled);
    assert_eq!(fate(mark(1, 999, day(5, 18))), not_enrolled);
    // Enrolled, but in another section.
    assert_eq!(
        fate(mark(2, STUDENT_OF_UNTAUGHT_SECTION, day(5, 18))),
        not_enrolled
    );
    let mut not_a_number = mark(3, STUDENT, day(5, 18));
    not_a_number.student_id = None;
    assert_eq!(fate(not_a_number), not_enrolled);
}

#[test]
fn a_day_before_the_enrollment_starts_is_rejected_as_student_not_enrolled() {
    assert_eq!(
        fate(mark(1, TRANSFERRED, day(4, 30))),
        rejected(RejectionCode::StudentNotEnrolled)
    );
    assert_eq!(fate(mark(2, TRANSFERRED, day(5, 4))), ACCEPTED);
}

#[test]
fn a_day_from_a_traslado_or_retiro_on_is_rejected_as_student_not_enrolled() {
    for status in ["trasladado", "retirado"] {
        let mut lookups = lookups();
        lookups
            .enrollments
            .get_mut(&(SECTION, TRANSFERRED))
            .unwrap()
            .status = entity::vocabulary::EnrollmentStatus::parse(status).unwrap();
        let principal = teacher();
        let marks = [
            mark(1, TRANSFERRED, day(5, 8)),
            mark(2, TRANSFERRED, day(5, 11)),
            mark(3, TRANSFERRED, day(5, 18)),
        ];
        let batch = Batch {
            principal: &principal,
            source: tablet(),
            marks: &marks,
        };
        let decision = decide(&lookups, &[batch], &HashMap::new(), now());
        let not_enrolled = rejected(RejectionCode::StudentNotEnrolled);
        assert_eq!(
            fates(&decision.results[0]),
            [ACCEPTED, not_enrolled, not_enrolled],
            "{status}"
        );
    }
}

#[test]
fn a_stored_mark_id_with_different_content_is_rejected_as_mark_id_reused() {
    let stored = mark(1, STUDENT, day(5, 18));
    let known = HashMap::from([(stored.mark_id, content(70, &stored))]);
    let mut other_status = stored.clone();
    other_status.status = Some(AttendanceStatus::Falta);
    let mut other_day = stored.clone();
    other_day.date = day(5, 19);
    let decision = decide_batch(&[other_status, other_day], &known);
    let reused = rejected(RejectionCode::MarkIdReused);
    assert_eq!(fates(&decision.results[0]), [reused, reused]);
    assert!(decision.entries[0].is_empty() && decision.candidates.is_empty());
}

#[test]
fn a_mark_id_sent_twice_in_one_call_with_different_content_is_rejected_the_second_time() {
    let first = mark(1, STUDENT, day(5, 18));
    let mut second = first.clone();
    second.recorded_at = lima(day(5, 20), 9, 0);
    let decision = decide_batch(&[first, second], &HashMap::new());
    assert_eq!(
        fates(&decision.results[0]),
        [ACCEPTED, rejected(RejectionCode::MarkIdReused)]
    );
    assert_eq!(decision.candidates.len(), 1);
}

// Duplicates.

#[test]
fn a_stored_mark_id_with_the_same_content_is_a_duplicate_and_nothing_is_stored() {
    let stored = mark(1, STUDENT, day(5, 18));
    let known = HashMap::from([(stored.mark_id, content(70, &stored))]);
    let decision = decide_batch(&[stored], &known);
    assert_eq!(fates(&decision.results[0]), [DUPLICATE]);
    assert!(decision.entries[0].is_empty());
    assert!(decision.candidates.is_empty() && decision.held.is_empty());
}

#[test]
fn a_stored_mark_for_a_closed_month_sent_again_is_a_duplicate_not_held() {
    let stored = mark(1, STUDENT, day(4, 20));
    let known = HashMap::from([(stored.mark_id, content(70, &stored))]);
    let decision = decide_batch(&[stored], &known);
    assert_eq!(fates(&decision.results[0]), [DUPLICATE]);
    assert!(decision.held.is_empty());
}

#[test]
fn a_mark_sent_again_in_a_later_batch_of_the_same_call_is_a_duplicate() {
    let principal = teacher();
    let marks = [mark(1, STUDENT, day(5, 18))];
    let batch = || Batch {
        principal: &principal,
        source: tablet(),
        marks: &marks,
    };
    let decision = decide(&lookups(), &[batch(), batch()], &HashMap::new(), now());
    assert_eq!(fates(&decision.results[0]), [ACCEPTED]);
    assert_eq!(fates(&decision.results[1]), [DUPLICATE]);
    assert_eq!(decision.entries[0].len(), 1);
    assert!(decision.entries[1].is_empty());
    assert_eq!(decision.candidates.len(), 1);
}

// Closed months.

#[test]
fn a_mark_for_a_closed_month_without_a_modification_open_is_held_for_the_director() {
    let m = mark(1, STUDENT, day(4, 20));
    let decision = decide_batch(std::slice::from_ref(&m), &HashMap::new());
    assert_eq!(fates(&decision.results[0]), [HELD]);
    assert!(decision.candidates.is_empty());
    assert_eq!(decision.entries[0].len(), 1);
    assert_eq!(
        decision.entries[0][0].outcome,
        attendance_entry::Outcome::Held
    );
    let [held] = decision.held.as_slice() else {
        panic!("one held mark expected, got {}", decision.held.len());
    };
    assert_eq!(held.mark_id, Set(m.mark_id));
    assert_eq!(held.enrollment_id, Set(70));
    assert_eq!(held.section_id, Set(SECTION));
    assert_eq!(held.date, Set(day(4, 20)));
    assert_eq!(held.user_id, Set(1));
    assert_eq!(held.device_id, Set(Some(Uuid::from_u128(0xD1))));
    assert_eq!(held.batch_id, Set(Some(Uuid::from_u128(0xB1))));
    assert_eq!(held.review, Set(entity::vocabulary::HeldReview::Pending));
}

#[test]
fn a_mark_for_a_closed_month_whose_modification_has_ended_is_held() {
    let mut lookups = lookups();
    lookups
        .registers
        .get_mut(&(SECTION, 2026, 4))
        .unwrap()
        .modification_until = Some(now());
    let principal = teacher();
    let marks = [mark(1, STUDENT, day(4, 20))];
    let batch = Batch {
        principal: &principal,
        source: tablet(),
        marks: &marks,
    };
    let decision = decide(&lookups, &[batch], &HashMap::new(), now());
    assert_eq!(fates(&decision.results[0]), [HELD]);
}

#[test]
fn a_mark_for_a_closed_month_with_a_modification_open_until_later_is_accepted() {
    let mut lookups = lookups();
    lookups
        .registers
        .get_mut(&(SECTION, 2026, 4))
        .unwrap()
        .modification_until = Some(now() + Duration::hours(1));
    let principal = teacher();
    let marks = [mark(1, STUDENT, day(4, 20))];
    let batch = Batch {
        principal: &principal,
        source: tablet(),
        marks: &marks,
    };
    let decision = decide(&lookups, &[batch], &HashMap::new(), now());
    assert_eq!(fates(&decision.results[0]), [ACCEPTED]);
    assert!(decision.held.is_empty());
    assert_eq!(decision.candidates.len(), 1);
}

// Candidates and history entries.

#[test]
fn an_accepted_mark_becomes_a_candidate_with_its_enrollment_date_db_code_and_recorded_micros() {
    let mut m = mark(1, STUDENT, day(5, 18));
    m.status = Some(AttendanceStatus::Tardanza);
    m.recorded_at = DateTime::parse_from_rfc3339("2026-05-18T08:02:11.5-05:00").unwrap();
    m.note = Some("llegó con su mamá".to_owned());
    let decision = decide_batch(std::slice::from_ref(&m), &HashMap::new());

    let recorded = NaiveDateTime::parse_from_str("2026-05-18 13:02:11.5", "%Y-%m-%d %H:%M:%S%.f")
        .unwrap()
        .and_utc()
        .timestamp_micros();
    let [candidate] = decision.candidates.as_slice() else {
        panic!("one candidate expected, got {}", decision.candidates.len());
    };
    assert_eq!(candidate.at, (0, 0));
    assert_eq!(candidate.entry_index, 0);
    assert_eq!(candidate.mark_id, m.mark_id);
    assert_eq!(candidate.section_id, SECTION);
    assert_eq!(candidate.enrollment_id, 70);
    assert_eq!(candidate.date, day(5, 18));
    assert_eq!(candidate.code, 3, "tardanza");
    assert_eq!(candidate.recorded, recorded);
    assert_eq!(
        decision.entries[0],
        [attendance_entry::Mark {
            mark_id: m.mark_id,
            enrollment_id: 70,
            date: day(5, 18),
            status: 3,
            recorded_at_us: recorded,
            note: Some("llegó con su mamá".to_owned()),
            outcome: attendance_entry::Outcome::Accepted,
        }]
    );
}

#[test]
fn each_batch_entry_holds_its_accepted_and_held_marks_with_their_outcomes() {
    let principal = teacher();
    let first = [
        mark(1, STUDENT, day(4, 20)),    // held
        mark(2, STUDENT, day(5, 16)),    // rejected
        mark(3, TRANSFERRED, day(5, 8)), // accepted
    ];
    let second = [
        mark(4, STUDENT, day(5, 19)),    // accepted
        mark(3, TRANSFERRED, day(5, 8)), // duplicate
    ];
    let batches = [
        Batch {
            principal: &principal,
            source: tablet(),
            marks: &first,
        },
        Batch {
            principal: &principal,
            source: tablet(),
            marks: &second,
        },
    ];
    let decision = decide(&lookups(), &batches, &HashMap::new(), now());

    let entry = |b: usize| -> Vec<(Uuid, attendance_entry::Outcome)> {
        decision.entries[b]
            .iter()
            .map(|m| (m.mark_id, m.outcome))
            .collect()
    };
    let id = Uuid::from_u128;
    assert_eq!(
        entry(0),
        [
            (id(1), attendance_entry::Outcome::Held),
            (id(3), attendance_entry::Outcome::Accepted),
        ]
    );
    assert_eq!(entry(1), [(id(4), attendance_entry::Outcome::Accepted)]);
    let candidates: Vec<_> = decision
        .candidates
        .iter()
        .map(|c| (c.mark_id, c.at, c.entry_index, c.enrollment_id))
        .collect();
    assert_eq!(candidates, [(id(3), (0, 2), 1, 80), (id(4), (1, 0), 0, 70)]);
    assert_eq!(decision.held.len(), 1);
}

// Order of the rules and of the results.

#[test]
fn a_mark_breaking_several_rules_gets_the_code_of_the_earliest_rule() {
    // Breaks every rule; each step mends the rule that answered, and the next one answers.
    let mut m = Incoming {
        mark_id: Uuid::from_u128(1),
        section_id: Some(UNTAUGHT_SECTION),
        student_id: Some(999),
        date: day(5, 23),
        status: None,
        recorded_at: lima(day(5, 21), 9, 0),
        note: Some("\0".to_owned()),
    };
    let stored = mark(1, STUDENT, day(5, 18));
    let known = HashMap::from([(stored.mark_id, content(70, &stored))]);
    let code = |m: &Incoming| fates(&decide_batch(std::slice::from_ref(m), &known).results[0])[0];

    assert_eq!(code(&m), rejected(RejectionCode::InvalidStatus));
    m.status = Some(AttendanceStatus::Falta);
    assert_eq!(code(&m), rejected(RejectionCode::InvalidNote));
    m.note = None;
    assert_eq!(code(&m), rejected(RejectionCode::RecordedAtInFuture));
    m.recorded_at = lima(day(5, 20), 8, 0);
    assert_eq!(code(&m), rejected(RejectionCode::SectionNotAssigned));
    m.section_id = Some(SECTION);
    assert_eq!(code(&m), rejected(RejectionCode::DateInFuture));
    m.date = day(3, 7); // a Saturday before the year starts
    assert_eq!(code(&m), rejected(RejectionCode::OutsideAcademicYear));
    m.date = day(5, 16);
    assert_eq!(code(&m), rejected(RejectionCode::NonAcademicDay));
    m.date = day(5, 18);
    assert_eq!(code(&m), rejected(RejectionCode::StudentNotEnrolled));
    m.student_id = Some(STUDENT);
    assert_eq!(code(&m), rejected(RejectionCode::MarkIdReused));
    m.status = Some(AttendanceStatus::Asistio);
    assert_eq!(code(&m), DUPLICATE);
}

#[test]
fn results_keep_the_input_order_one_per_mark_across_two_batches() {
    let principal = teacher();
    let mut no_status = mark(2, STUDENT, day(5, 18));
    no_status.status = None;
    let first = [
        mark(9, STUDENT, day(5, 18)),
        no_status,
        mark(5, STUDENT, day(4, 20)),
    ];
    let second = [
        mark(7, STUDENT, day(5, 1)),
        mark(1, STUDENT, day(5, 19)),
        mark(9, STUDENT, day(5, 18)),
    ];
    let batches = [
        Batch {
            principal: &principal,
            source: tablet(),
            marks: &first,
        },
        Batch {
            principal: &principal,
            source: Source::Web,
            marks: &second,
        },
    ];
    let decision = decide(&lookups(), &batches, &HashMap::new(), now());

    assert_eq!(decision.results.len(), 2);
    for (results, marks) in decision.results.iter().zip([&first, &second]) {
        let ids: Vec<Uuid> = results.iter().map(|r| r.mark_id).collect();
        let sent: Vec<Uuid> = marks.iter().map(|m| m.mark_id).collect();
        assert_eq!(ids, sent);
    }
    assert_eq!(
        fates(&decision.results[0]),
        [ACCEPTED, rejected(RejectionCode::InvalidStatus), HELD]
    );
    assert_eq!(
        fates(&decision.results[1]),
        [rejected(RejectionCode::NonAcademicDay), ACCEPTED, DUPLICATE]
    );
}
