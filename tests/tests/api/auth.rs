//! Login, token rotation, lockout and sessions, as the tablet contract describes them.

use reqwest::{Method, StatusCode, header};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{DEMO_PASSWORD, TestApp, code, read, spawn_app, spawn_app_with};

async fn login_body(app: &TestApp, username: &str) -> Value {
    let (status, body) = read(app.login_response(username, DEMO_PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn refresh(app: &TestApp, token: &str) -> (StatusCode, Value) {
    read(
        app.request(Method::POST, "/auth/refresh", None)
            .json(&json!({"refresh_token": token}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_teacher_logs_in_and_sees_its_roles_and_sections() {
    let app = spawn_app().await;
    let body = login_body(&app, "docente.demo").await;
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 40);
    assert_eq!(body["user"]["roles"][0]["role"], "teacher");
    assert_eq!(body["user"]["roles"][0]["role_name"], "Docente");
    assert_eq!(body["user"]["sections"].as_array().unwrap().len(), 2);

    let token = body["access_token"].as_str().unwrap();
    let (status, me) = app.get("/me", token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "docente.demo");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    let (s1, wrong) = read(app.login_response("director.demo", "Otra.2026!").await).await;
    let (s2, unknown) = read(app.login_response("nadie.demo", "Otra.2026!").await).await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(s2, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&wrong), "invalid_credentials");
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn usernames_are_not_case_sensitive() {
    let app = spawn_app().await;
    let (status, _) = read(app.login_response("Director.Demo", DEMO_PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_retry_after_even_for_the_right_password() {
    let app = spawn_app_with(|c| c.auth.max_failed_logins = 3).await;
    for _ in 0..3 {
        let (status, _) = read(app.login_response("director.demo", "Mala.2026").await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let response = app.login_response("director.demo", DEMO_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 15 * 60);
    let (_, body) = read(response).await;
    assert_eq!(code(&body), "too_many_attempts");

    // Another account from the same address is not locked by these failures.
    let (status, _) = read(app.login_response("docente.demo", DEMO_PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_unknown_account_is_locked_the_same_way_so_existence_does_not_leak() {
    let app = spawn_app_with(|c| c.auth.max_failed_logins = 2).await;
    for _ in 0..2 {
        read(app.login_response("fantasma.demo", "Mala.2026").await).await;
    }
    let (status, body) = read(app.login_response("fantasma.demo", "Mala.2026").await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code(&body), "too_many_attempts");
}

#[tokio::test]
async fn a_refresh_token_rotates_and_the_old_one_stops_working() {
    let app = spawn_app().await;
    let first = login_body(&app, "docente.demo").await;
    let old = first["refresh_token"].as_str().unwrap();
    let (status, second) = refresh(&app, old).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let new = second["refresh_token"].as_str().unwrap();
    assert_ne!(old, new);
    let (status, _) = app
        .get("/me", second["access_token"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = refresh(&app, old).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "session_revoked");
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_chain() {
    let app = spawn_app().await;
    let first = login_body(&app, "docente.demo").await;
    let old = first["refresh_token"].as_str().unwrap().to_owned();
    let (_, second) = refresh(&app, &old).await;
    let current = second["refresh_token"].as_str().unwrap().to_owned();

    let (status, _) = refresh(&app, &old).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = refresh(&app, &current).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the thief's and the owner's tokens both die"
    );
    assert_eq!(code(&body), "session_revoked");
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let body = login_body(&app, "director.demo").await;
    let token = body["refresh_token"].as_str().unwrap();
    let response = app
        .request(Method::POST, "/auth/logout", None)
        .json(&json!({"refresh_token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = refresh(&app, token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_tokens_outlive_a_month_offline() {
    let app = spawn_app().await;
    login_body(&app, "docente.demo").await;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT expires_at, created_at FROM refresh_token ORDER BY id DESC LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap();
    let expires: chrono::DateTime<chrono::Utc> = row.try_get("", "expires_at").unwrap();
    let created: chrono::DateTime<chrono::Utc> = row.try_get("", "created_at").unwrap();
    assert!((expires - created).num_days() >= 45);
}

#[tokio::test]
async fn missing_tampered_and_unsigned_tokens_are_refused() {
    let app = spawn_app().await;
    let response = app.request(Method::GET, "/me", None).send().await.unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "unauthenticated");

    let token = app.login_as("director.demo").await;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[2] = parts[2].chars().rev().collect();
    let (status, body) = app.get("/me", &parts.join(".")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "invalid_token");

    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
    let (status, body) = app.get("/me", &unsigned).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "invalid_token");
}

#[tokio::test]
async fn an_expired_access_token_says_token_expired() {
    let app = spawn_app().await;
    let body = login_body(&app, "director.demo").await;
    let user_id = body["user"]["id"].as_i64().unwrap();
    // A token the server itself would have issued an hour ago.
    let keys = siagie::auth::tokens::TokenKeys::new(&app.jwt_secret, 900);
    let old = keys
        .issue(user_id, "family", tests::now() - chrono::Duration::hours(1))
        .unwrap();
    let (status, body) = app.get("/me", &old).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "token_expired");
}

#[tokio::test]
async fn an_account_whose_assignments_ended_is_revoked_on_its_very_next_request() {
    let app = spawn_app().await;
    let body = login_body(&app, "docente.demo").await;
    let access = body["access_token"].as_str().unwrap();
    let refresh_token = body["refresh_token"].as_str().unwrap();
    app.db
        .execute_unprepared(
            "UPDATE role_assignment SET active = false WHERE user_id = (SELECT id FROM user_account WHERE username = 'docente.demo')",
        )
        .await
        .unwrap();
    let (status, body) = app.get("/me", access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "session_revoked");
    let (status, body) = refresh(&app, refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "session_revoked");
}

#[tokio::test]
async fn a_temporary_password_must_be_changed_before_anything_else() {
    let app = spawn_app().await;
    app.db
        .execute_unprepared(
            "UPDATE user_account SET must_change_password = true WHERE username = 'director.demo'",
        )
        .await
        .unwrap();
    let token = app.login_as("director.demo").await;
    let (status, body) = app.get("/schools", &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(code(&body), "password_change_required");

    let (status, body) = app
        .post(
            "/me/password",
            &token,
            json!({"current_password": DEMO_PASSWORD, "new_password": "corta"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["new_password"].is_string());

    let (status, _) = app
        .post(
            "/me/password",
            &token,
            json!({"current_password": DEMO_PASSWORD, "new_password": "Nueva.Clave2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get("/schools", &token).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = read(app.login_response("director.demo", DEMO_PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = read(app.login_response("director.demo", "Nueva.Clave2026").await).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes() {
    let app = spawn_app().await;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT password_hash FROM user_account WHERE username = 'admin.demo'",
        ))
        .await
        .unwrap()
        .unwrap();
    let hash: String = row.try_get("", "password_hash").unwrap();
    assert!(hash.starts_with("$argon2id$"));
    assert!(!hash.contains(DEMO_PASSWORD));
}

#[tokio::test]
async fn concurrent_failed_logins_are_all_counted_and_never_an_error() {
    let app = spawn_app_with(|c| c.auth.max_failed_logins = 100).await;
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/auth/login"));
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({"username": "director.demo", "password": "Mala.2026"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for attempt in attempts {
        assert_eq!(attempt.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let failures = app
        .scalar(
            "SELECT CAST(failures AS TEXT) FROM login_throttle WHERE key = 'account:director.demo'",
        )
        .await
        .unwrap();
    assert_eq!(failures, "8");
}
