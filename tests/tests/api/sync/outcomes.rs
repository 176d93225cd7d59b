//! Push: what happens to each mark, and every rejection code of the contract.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use mobile_contract::{Outcome, RejectionCode};
use reqwest::StatusCode;
use serde_json::json;
use tests::{batch, lima_today, mark, spawn_app};
use uuid::Uuid;

use super::{at, cell, outcomes};

#[tokio::test]
async fn an_accepted_mark_becomes_the_value_of_the_day() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let device = Uuid::new_v4();
    let marks = vec![mark(
        &c.section_id,
        &c.students[0],
        day,
        "tardanza",
        &at(day, 8, 5),
    )];
    let (status, body) = app
        .push_answer(&c.token, &batch(device, marks.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    assert_eq!(body.results[0].mark_id.to_string(), marks[0]["mark_id"]);
    assert_eq!(outcomes(&body), vec![(Outcome::Accepted, None)]);
    assert_eq!(
        body.server_time.offset().local_minus_utc(),
        -5 * 3600,
        "Lima time: {}",
        body.server_time
    );
    assert_eq!(
        cell(&app, &c.token, &c.section_id, &c.students[0], day).await,
        "tardanza"
    );
}

#[tokio::test]
async fn every_rejection_code_of_the_contract_and_one_bad_mark_never_fails_the_others() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let director = app.login_as("director.demo").await;
    let day = *c.academic_days.last().unwrap();
    let year = day.year();
    let saturday = (1..8)
        .map(|n| day - Duration::days(n))
        .find(|d| d.weekday() == Weekday::Sat)
        .unwrap();
    let holiday = NaiveDate::from_ymd_opt(year, 5, 1).unwrap();
    let school = app.school_id(&director, tests::demo::PRIMARIA).await;
    let sections = app.sections(&director, school).await;
    let taught: Vec<String> = c.pull.sections.iter().map(|s| s.id.clone()).collect();
    let not_taught = sections
        .iter()
        .map(|s| s["id"].to_string())
        .find(|id| !taught.contains(id))
        .unwrap();
    let (_, other_roster) = app
        .get(&format!("/sections/{not_taught}/students"), &director)
        .await;
    let stranger = other_roster[0]["student_id"].to_string();

    // A student transferred out two days before `day`.
    let (_, roster) = app
        .get(&format!("/sections/{}/students", c.section_id), &director)
        .await;
    let moved = roster.as_array().unwrap().last().unwrap().clone();
    let transfer = c.academic_days[c.academic_days.len() - 3];
    app.patch(
        &format!("/enrollments/{}", moved["enrollment_id"]),
        &director,
        json!({"status": "trasladado", "status_date": transfer}),
    )
    .await;
    let moved_id = moved["student_id"].to_string();
    let others: Vec<&String> = c.students.iter().filter(|s| **s != moved_id).collect();
    let (good, second) = (others[0], others[1]);

    let reused = Uuid::new_v4();
    let (_, first) = app.push_answer(&c.token, &batch(c.device, vec![json!({
        "mark_id": reused, "section_id": c.section_id, "student_id": second, "date": day, "status": "asistio", "recorded_at": at(day, 8, 0)
    })])).await;
    assert_eq!(outcomes(&first)[0].0, Outcome::Accepted);

    let future = (tests::now() + Duration::hours(1))
        .with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).unwrap())
        .to_rfc3339();
    let s = &c.section_id;
    let marks = vec![
        mark(s, good, day, "asistio", &at(day, 7, 50)),
        mark(s, good, day, "presente", &at(day, 7, 51)),
        mark(s, good, day, "falta", &future),
        mark(&not_taught, &stranger, day, "falta", &at(day, 8, 0)),
        mark("no-es-id", good, day, "falta", &at(day, 8, 0)),
        mark(
            s,
            good,
            lima_today() + Duration::days(1),
            "falta",
            &at(day, 8, 0),
        ),
        mark(
            s,
            good,
            NaiveDate::from_ymd_opt(year, 1, 15).unwrap(),
            "falta",
            &at(day, 8, 0),
        ),
        mark(s, good, saturday, "falta", &at(day, 8, 0)),
        mark(s, good, holiday, "falta", &at(day, 8, 0)),
        mark(s, &stranger, day, "falta", &at(day, 8, 0)),
        mark(s, &moved_id, day, "falta", &at(day, 8, 0)),
        json!({"mark_id": reused, "section_id": s, "student_id": second, "date": day, "status": "falta", "recorded_at": at(day, 8, 0)}),
    ];
    let (status, body) = app.push_answer(&c.token, &batch(c.device, marks)).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let rejected = |code| (Outcome::Rejected, Some(code));
    let expected = [
        (Outcome::Accepted, None),
        rejected(RejectionCode::InvalidStatus),
        rejected(RejectionCode::RecordedAtInFuture),
        rejected(RejectionCode::SectionNotAssigned),
        rejected(RejectionCode::SectionNotAssigned),
        rejected(RejectionCode::DateInFuture),
        rejected(RejectionCode::OutsideAcademicYear),
        rejected(RejectionCode::NonAcademicDay),
        rejected(RejectionCode::NonAcademicDay),
        rejected(RejectionCode::StudentNotEnrolled),
        rejected(RejectionCode::StudentNotEnrolled),
        rejected(RejectionCode::MarkIdReused),
    ];
    let got = outcomes(&body);
    for (i, expected) in expected.iter().enumerate() {
        assert_eq!(got[i], *expected, "mark {i}");
    }
    assert!(
        body.results[1]
            .message
            .as_deref()
            .unwrap()
            .contains("código"),
        "Spanish message"
    );
    assert_eq!(cell(&app, &c.token, s, good, day).await, "asistio");
    assert_eq!(
        cell(&app, &c.token, s, second, day).await,
        "asistio",
        "the reused id changed nothing"
    );
    // Before the transfer the moved student's marks are fine; from its date on, the register says why not.
    let before_transfer = c.academic_days[c.academic_days.len() - 4];
    let (_, before) = app
        .push_answer(
            &c.token,
            &batch(
                c.device,
                vec![mark(s, &moved_id, before_transfer, "falta", &at(day, 8, 0))],
            ),
        )
        .await;
    assert_eq!(outcomes(&before)[0].0, Outcome::Accepted);
    assert_eq!(cell(&app, &c.token, s, &moved_id, day).await, "traslado");
}
