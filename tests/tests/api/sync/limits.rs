//! The largest batch, batches over the limits, and bodies of the wrong shape.

use mobile_contract::Outcome;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{batch, code, mark, spawn_app};

use super::{at, count, outcomes, standing_cells};

#[tokio::test]
async fn a_batch_of_the_largest_size_is_applied_whole_and_its_resend_is_all_duplicates() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let marks: Vec<Value> = c
        .academic_days
        .iter()
        .rev()
        .flat_map(|day| {
            c.students
                .iter()
                .map(|student| mark(&c.section_id, student, *day, "tardanza", &at(*day, 8, 0)))
                .collect::<Vec<_>>()
        })
        .take(1000)
        .collect();
    assert_eq!(marks.len(), 1000, "the demo year has enough school days");
    let (status, body) = app
        .push_answer(&c.token, &batch(c.device, marks.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    assert!(
        outcomes(&body).iter().all(|(o, _)| *o == Outcome::Accepted),
        "{body:?}"
    );
    assert_eq!(count(&app, "mark_receipt").await, 1000);
    let cells = standing_cells(&app).await;
    assert_eq!(cells.len(), 1000);
    assert!(cells.iter().all(|(_, _, c)| c.status == 3));

    let (status, again) = app.push_answer(&c.token, &batch(c.device, marks)).await;
    assert_eq!(status, StatusCode::OK, "{again:?}");
    assert!(
        outcomes(&again)
            .iter()
            .all(|(o, _)| *o == Outcome::Duplicate),
        "{again:?}"
    );
    assert_eq!(count(&app, "mark_receipt").await, 1000);
}

#[tokio::test]
async fn oversized_batches_are_refused_with_413() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let marks: Vec<Value> = (0..1001)
        .map(|_| {
            mark(
                &c.section_id,
                &c.students[0],
                day,
                "asistio",
                &at(day, 8, 0),
            )
        })
        .collect();
    let (status, body) = app.push(&c.token, &batch(c.device, marks)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&body), "batch_too_large");

    let mut big = batch(
        c.device,
        vec![mark(
            &c.section_id,
            &c.students[0],
            day,
            "asistio",
            &at(day, 8, 0),
        )],
    );
    big["padding"] = json!("x".repeat(1024 * 1024));
    let (status, body) = app.push(&c.token, &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&body), "batch_too_large");
    assert_eq!(count(&app, "mark_receipt").await, 0);
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let mut wrong = batch(
        c.device,
        vec![mark(
            &c.section_id,
            &c.students[0],
            day,
            "asistio",
            &at(day, 8, 0),
        )],
    );
    wrong["marks"][0]
        .as_object_mut()
        .unwrap()
        .remove("recorded_at");
    let (status, body) = app.push(&c.token, &wrong).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "invalid_body");
    assert!(
        body["error"]["fields"]["marks[0].recorded_at"].is_string(),
        "{body}"
    );

    let mut version = batch(c.device, vec![]);
    version["contract_version"] = json!(2);
    let (status, body) = app.push(&c.token, &version).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["fields"]["contract_version"].is_string(),
        "{body}"
    );

    let mut note = batch(
        c.device,
        vec![mark(
            &c.section_id,
            &c.students[0],
            day,
            "asistio",
            &at(day, 8, 0),
        )],
    );
    note["marks"][0]["note"] = json!("n".repeat(201));
    let (status, body) = app.push(&c.token, &note).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["fields"]["marks[0].note"].is_string(),
        "{body}"
    );
}
