//! Who may push: tablets, their revocation and pending counts, and sessions that may not.

use mobile_contract::{Outcome, PushResponse};
use reqwest::{Method, StatusCode, header};
use sea_orm::ConnectionTrait;
use serde_json::json;
use tests::{batch, code, contract, mark, read, spawn_app};
use uuid::Uuid;

use super::{at, count, history, outcomes};

#[tokio::test]
async fn a_batch_id_of_another_user_and_a_revoked_tablet_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let device = Uuid::new_v4();
    let body = batch(
        device,
        vec![mark(
            &c.section_id,
            &c.students[0],
            day,
            "falta",
            &at(day, 8, 0),
        )],
    );
    let (status, _) = app.push(&c.token, &body).await;
    assert_eq!(status, StatusCode::OK);

    // The same batch id from another user.
    let director = app.login_as("director.demo").await;
    let mut other = body.clone();
    other["marks"] = json!([mark(
        &c.section_id,
        &c.students[1],
        day,
        "falta",
        &at(day, 8, 0)
    )]);
    let (status, error) = app.push(&director, &other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(code(&error), "batch_id_reused");

    // The director revokes the tablet: its next batch is refused, the marks stay on it.
    let school = app.school_id(&director, tests::demo::PRIMARIA).await;
    let (status, devices) = app
        .get(&format!("/schools/{school}/devices"), &director)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        devices
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == device.to_string())
    );
    let (status, _) = app
        .post(&format!("/devices/{device}/revoke"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let later = batch(
        device,
        vec![mark(
            &c.section_id,
            &c.students[2],
            day,
            "falta",
            &at(day, 9, 0),
        )],
    );
    let (status, error) = app.push(&c.token, &later).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    assert_eq!(code(&error), "session_revoked");
    // Whatever it sends: a malformed batch is answered as the login, so the tablet keeps its
    // queue and signs in again instead of dropping a batch it was told is malformed.
    let (status, error) = app.push(&c.token, &json!({"marks": "no"})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    assert_eq!(code(&error), "session_revoked");
    // A live login that sends a malformed batch is told what is wrong with it (the director's
    // first login was bound to the revoked tablet by its push, and ended with it).
    let director = app.login_as("director.demo").await;
    let (status, error) = app.push(&director, &json!({"marks": "no"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(code(&error), "invalid_body");

    assert_eq!(count(&app, "mark_receipt").await, 1);
    assert_eq!(count(&app, "sync_batch").await, 1);
}

#[tokio::test]
async fn a_caller_with_a_temporary_password_or_no_active_assignment_is_refused_beside_others_applied()
 {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let director = app.login_as("director.demo").await;
    let director_tablet = Uuid::new_v4();
    let one = |student: &str, device: Uuid| {
        batch(
            device,
            vec![mark(&c.section_id, student, day, "falta", &at(day, 8, 0))],
        )
    };

    app.db
        .execute_unprepared(
            "UPDATE user_account SET must_change_password = TRUE WHERE username = 'docente.demo'",
        )
        .await
        .unwrap();
    let (mine, theirs) = (
        one(&c.students[0], c.device),
        one(&c.students[1], director_tablet),
    );
    let (teacher, by_director) =
        tokio::join!(app.push(&c.token, &mine), app.push(&director, &theirs));
    assert_eq!(teacher.0, StatusCode::FORBIDDEN, "{}", teacher.1);
    assert_eq!(code(&teacher.1), "password_change_required");
    assert_eq!(by_director.0, StatusCode::OK, "{}", by_director.1);

    app.db
        .execute_unprepared(
            "UPDATE user_account SET must_change_password = FALSE WHERE username = 'docente.demo'",
        )
        .await
        .unwrap();
    app.db
        .execute_unprepared(
            "UPDATE role_assignment SET active = FALSE \
             WHERE user_id = (SELECT id FROM user_account WHERE username = 'docente.demo')",
        )
        .await
        .unwrap();
    let (mine, theirs) = (
        one(&c.students[2], c.device),
        one(&c.students[3], director_tablet),
    );
    let (teacher, by_director) =
        tokio::join!(app.push(&c.token, &mine), app.push(&director, &theirs));
    assert_eq!(teacher.0, StatusCode::UNAUTHORIZED, "{}", teacher.1);
    assert_eq!(code(&teacher.1), "session_revoked");
    assert_eq!(by_director.0, StatusCode::OK, "{}", by_director.1);

    // Only the director's marks and batches are stored.
    assert_eq!(count(&app, "mark_receipt").await, 2);
    assert_eq!(count(&app, "sync_batch").await, 2);
    let director_id: i64 = app
        .scalar("SELECT CAST(id AS TEXT) FROM user_account WHERE username = 'director.demo'")
        .await
        .unwrap()
        .parse()
        .unwrap();
    let history = history(&app).await;
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|(user, _)| *user == director_id));
}

#[tokio::test]
async fn a_gzip_batch_is_accepted_and_the_device_is_recorded_with_its_pending_count() {
    use std::io::Write;
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let device = Uuid::new_v4();
    let mut body = batch(
        device,
        vec![mark(
            &c.section_id,
            &c.students[0],
            day,
            "asistio",
            &at(day, 8, 0),
        )],
    );
    body["pending"] = json!(12);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(&serde_json::to_vec(&body).unwrap())
        .unwrap();
    let response = app
        .request(Method::POST, "/sync/push", Some(&c.token))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_ENCODING, "gzip")
        .body(encoder.finish().unwrap())
        .send()
        .await
        .unwrap();
    let (status, result) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    let result: PushResponse = contract(status, &result);
    assert_eq!(outcomes(&result)[0].0, Outcome::Accepted);

    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, tests::demo::PRIMARIA).await;
    let (_, devices) = app
        .get(&format!("/schools/{school}/devices"), &director)
        .await;
    let tablet = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == device.to_string())
        .unwrap();
    assert_eq!(tablet["pending_marks"], 12);
    assert!(tablet["last_sync_at"].is_string());
}
