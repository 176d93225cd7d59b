//! Sending the same batch or the same marks again: the same answer, nothing changed.

use mobile_contract::Outcome;
use reqwest::StatusCode;
use serde_json::json;
use tests::{batch, code, mark, spawn_app};
use uuid::Uuid;

use super::{at, cell, count, outcomes};

#[tokio::test]
async fn a_resent_batch_gets_the_same_answer_and_changes_nothing() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let body = batch(
        c.device,
        vec![
            mark(&c.section_id, &c.students[0], day, "falta", &at(day, 8, 0)),
            mark(
                &c.section_id,
                &c.students[1],
                day,
                "dormido",
                &at(day, 8, 0),
            ),
        ],
    );
    let (_, first) = app.push_answer(&c.token, &body).await;
    let history = count(&app, "mark_receipt").await;
    let (status, second) = app.push_answer(&c.token, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first, second);
    assert_eq!(count(&app, "mark_receipt").await, history);

    // The same marks in a new batch are duplicates.
    let mut again = body.clone();
    again["batch_id"] = json!(Uuid::new_v4());
    let (_, third) = app.push_answer(&c.token, &again).await;
    assert_eq!(outcomes(&third)[0], (Outcome::Duplicate, None));
    assert_eq!(count(&app, "mark_receipt").await, history);
}

#[tokio::test]
async fn a_batch_id_sent_again_with_other_marks_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let s = &c.section_id;
    let first = batch(
        c.device,
        vec![mark(s, &c.students[0], day, "falta", &at(day, 8, 0))],
    );
    let (status, answer) = app.push_answer(&c.token, &first).await;
    assert_eq!(status, StatusCode::OK, "{answer:?}");

    let mut other = first.clone();
    other["marks"] = json!([mark(s, &c.students[1], day, "tardanza", &at(day, 8, 0))]);
    let (status, error) = app.push(&c.token, &other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(code(&error), "batch_id_reused");
    assert_eq!(
        cell(&app, &c.token, s, &c.students[1], day).await,
        "pendiente"
    );
    assert_eq!(count(&app, "mark_receipt").await, 1);

    let (status, again) = app.push_answer(&c.token, &first).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        again.results, answer.results,
        "a true resend still gets its answer"
    );
}
