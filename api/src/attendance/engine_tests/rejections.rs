//! Each rejection code of the tablet contract, one mark at a time.

use super::*;

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
