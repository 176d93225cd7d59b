//! A write retried with the same `Idempotency-Key` (its answer was lost) gets the first answer,
//! and is not done twice.

use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use serde_json::Value;
use tests::{TestApp, code, read, spawn_app};

/// Files the same ticket (with an attachment) under `key`.
async fn file(app: &TestApp, token: &str, key: &str, comment: &str) -> (StatusCode, Value, bool) {
    let form = Form::new()
        .text("email", "ie16471@siagie.local")
        .text("cell_phone", "987654321")
        .text("topic", "acceso")
        .text("comment", comment.to_owned())
        .part(
            "attachment",
            Part::bytes(tests::minimal_pdf()).file_name("captura.pdf"),
        );
    let response = app
        .request(Method::POST, "/helpdesk/tickets", Some(token))
        .header("Idempotency-Key", key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let (status, body) = read(response).await;
    (status, body, replayed)
}

async fn tickets(app: &TestApp) -> String {
    app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM helpdesk_ticket")
        .await
        .unwrap()
}

#[tokio::test]
async fn a_filing_retried_with_its_key_answers_the_first_ticket_and_files_none_again() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let before = tickets(&app).await;
    let key = uuid::Uuid::new_v4().to_string();
    let comment = "No puedo ingresar al SIAGIE desde ayer";
    let (status, first, replayed) = file(&app, &director, &key, comment).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(!replayed);
    let after_first = tickets(&app).await;
    assert_ne!(before, after_first);

    // The answer was lost: the same request again.
    let (status, again, replayed) = file(&app, &director, &key, comment).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert!(replayed);
    assert_eq!(again["number"], first["number"]);
    assert_eq!(tickets(&app).await, after_first, "no second ticket");

    // The same key with another request is a mistake of the client, said as such.
    let (status, body, _) = file(&app, &director, &key, "Otro problema distinto del primero").await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    // Keys are the caller's own: another person's key files its own ticket.
    let other = app.login_as("jaen.demo").await;
    let (status, theirs, replayed) = file(&app, &other, &key, comment).await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    assert!(!replayed);
    assert_ne!(theirs["number"], first["number"]);

    // A key that is not one is refused before anything is done.
    let (status, body, _) = file(&app, &director, "corta", comment).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_idempotency_key")
    );
}

#[tokio::test]
async fn two_filings_at_once_with_one_key_make_one_ticket() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let before: i64 = tickets(&app).await.parse().unwrap();
    let key = uuid::Uuid::new_v4().to_string();
    let comment = "El registro de asistencia no carga";
    let (a, b) = tokio::join!(
        file(&app, &director, &key, comment),
        file(&app, &director, &key, comment)
    );
    let statuses = [a.0, b.0];
    assert!(statuses.contains(&StatusCode::CREATED), "{statuses:?}");
    for (status, body, _) in [&a, &b] {
        assert!(
            *status == StatusCode::CREATED
                || (*status == StatusCode::CONFLICT && code(body) == "idempotency_in_progress"),
            "{status} {body}"
        );
    }
    let after: i64 = tickets(&app).await.parse().unwrap();
    assert_eq!(after, before + 1);
}
