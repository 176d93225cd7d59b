//! What a batch decides: duplicates, closed months, candidates and history entries, and the
//! order of the rules and of the results.

use super::*;

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
