//! A batch is applied whole or not at all, and a failing batch fails alone.

use mobile_contract::{Outcome, PushResponse};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::Value;
use tests::{TestApp, batch, code, contract, mark, spawn_app};
use uuid::Uuid;

use super::{at, cell, count, history, outcomes, standing_cells};

/// Makes recording one mark fail, as a disk fault would (a trigger on its receipt, the last
/// write of a batch, after its section's day and history entry).
async fn install_mark_fault(app: &TestApp, mark_id: &Value) {
    let mark_id = Uuid::parse_str(mark_id.as_str().unwrap()).unwrap();
    match app.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            app.db.execute_unprepared("CREATE FUNCTION fail_mark() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk failure'; END $$ LANGUAGE plpgsql").await.unwrap();
            app.db.execute_unprepared(&format!("CREATE TRIGGER boom BEFORE INSERT ON mark_receipt FOR EACH ROW WHEN (NEW.mark_id = '{mark_id}') EXECUTE FUNCTION fail_mark()")).await.unwrap();
        }
        _ => {
            let hex = mark_id.simple();
            app.db.execute_unprepared(&format!("CREATE TRIGGER boom BEFORE INSERT ON mark_receipt WHEN NEW.mark_id = X'{hex}' BEGIN SELECT RAISE(ABORT, 'disk failure'); END")).await.unwrap();
        }
    }
}

#[tokio::test]
async fn a_failing_batch_among_batches_sent_at_once_fails_alone() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    // One batch per student; the fourth student's batch meets a database fault.
    let batches: Vec<Value> = c
        .students
        .iter()
        .take(12)
        .map(|student| {
            batch(
                c.device,
                vec![mark(
                    &c.section_id,
                    student,
                    day,
                    "tardanza",
                    &at(day, 8, 0),
                )],
            )
        })
        .collect();
    let failing = batches[3]["marks"][0]["mark_id"].clone();
    install_mark_fault(&app, &failing).await;
    let answers = app.push_all(&c.token, &batches).await;
    for (i, (status, body)) in answers.iter().enumerate() {
        if i == 3 {
            assert_eq!(*status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
            assert_eq!(code(body), "internal_error");
        } else {
            assert_eq!(*status, StatusCode::OK, "{body}");
            let body: PushResponse = contract(*status, body);
            assert_eq!(outcomes(&body), vec![(Outcome::Accepted, None)]);
        }
    }
    assert_eq!(count(&app, "mark_receipt").await, 11);
    assert_eq!(standing_cells(&app).await.len(), 11);
    assert_eq!(count(&app, "sync_batch").await, 11);
    assert!(
        history(&app)
            .await
            .iter()
            .all(|(_, m)| m.mark_id.to_string() != failing.as_str().unwrap()),
        "nothing of the failed batch is kept"
    );
    for (i, student) in c.students.iter().take(12).enumerate() {
        let status = cell(&app, &c.token, &c.section_id, student, day).await;
        assert_eq!(status == "tardanza", i != 3, "{student}: {status}");
    }
}

#[tokio::test]
async fn an_error_in_the_middle_of_a_batch_leaves_nothing_of_it() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let body = batch(
        c.device,
        vec![
            mark(&c.section_id, &c.students[0], day, "falta", &at(day, 8, 0)),
            mark(&c.section_id, &c.students[1], day, "falta", &at(day, 8, 0)),
            mark(&c.section_id, &c.students[2], day, "falta", &at(day, 8, 0)),
        ],
    );
    // A database fault while recording the second student's mark.
    install_mark_fault(&app, &body["marks"][1]["mark_id"]).await;
    let (status, error) = app.push(&c.token, &body).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(code(&error), "internal_error");
    assert!(
        !error.to_string().contains("disk failure"),
        "the cause stays in the log"
    );
    assert_eq!(count(&app, "mark_receipt").await, 0);
    assert_eq!(count(&app, "attendance_entry").await, 0);
    assert_eq!(count(&app, "section_day").await, 0);
    assert_eq!(count(&app, "sync_batch").await, 0);

    app.db.execute_unprepared("DROP TRIGGER boom").await.ok();
    app.db
        .execute_unprepared("DROP TRIGGER IF EXISTS boom ON mark_receipt")
        .await
        .ok();
    let (status, result) = app.push_answer(&c.token, &body).await;
    assert_eq!(status, StatusCode::OK, "{result:?}");
    assert!(
        outcomes(&result)
            .iter()
            .all(|(o, _)| *o == Outcome::Accepted),
        "the resent batch is applied whole"
    );
    assert_eq!(standing_cells(&app).await.len(), 3);
}
