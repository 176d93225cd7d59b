//! Two servers behind one database, as a round-robin in front of them would use them: what one
//! decides holds on the other at once. (Elsewhere: a scheduled job claimed once by two instances
//! in `alerts`, a certificate annulled on one and seen by the other in `certificate_status`, a
//! tablet's pushes through both in `sync::convergence`.)

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{DEMO_PASSWORD, TestApp, code, read, spawn_app_with, spawn_instance};

async fn login(app: &TestApp, username: &str, password: &str) -> (StatusCode, Value) {
    read(app.login_response(username, password).await).await
}

#[tokio::test]
async fn a_session_ended_on_one_server_is_refused_by_the_other_on_its_next_request() {
    let a = spawn_app_with(|_| {}).await;
    let b = spawn_instance(&a, |_| {}).await;
    let (status, body) = login(&a, "director.demo", DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access_token"].as_str().unwrap();
    for server in [&a, &b] {
        let (status, me) = server.get("/me", access).await;
        assert_eq!(status, StatusCode::OK, "{me}");
    }
    let response = b
        .request(Method::POST, "/auth/logout", None)
        .json(&json!({"refresh_token": body["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for server in [&a, &b] {
        let (status, answer) = server.get("/me", access).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert_eq!(code(&answer), "session_revoked");
    }
}

#[tokio::test]
async fn failed_logins_on_both_servers_add_up_to_one_lockout() {
    let a = spawn_app_with(|c| c.auth.max_failed_logins = 3).await;
    let b = spawn_instance(&a, |_| {}).await;
    for server in [&a, &b, &a] {
        let (status, _) = login(server, "director.demo", "Mala.2026").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    for server in [&b, &a] {
        let (status, body) = login(server, "director.demo", DEMO_PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(code(&body), "too_many_attempts");
    }
}

async fn verify_by_code(server: &TestApp) -> (StatusCode, Value) {
    read(
        server
            .request(Method::GET, "/certificates/verify?code=ABCDEFGHJKMN", None)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn verifications_through_both_servers_count_against_one_limit() {
    let a = spawn_app_with(|c| c.certificates.verifications_per_minute = 4).await;
    let b = spawn_instance(&a, |_| {}).await;
    for server in [&a, &b, &a, &b] {
        let (status, body) = verify_by_code(server).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["reason_code"], "unknown_code");
    }
    for server in [&a, &b] {
        let response = server
            .request(Method::GET, "/certificates/verify?code=ABCDEFGHJKMN", None)
            .send()
            .await
            .unwrap();
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let (status, body) = read(response).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(code(&body), "too_many_verifications");
    }
}

#[tokio::test]
async fn verifications_at_once_are_each_counted() {
    let a = spawn_app_with(|c| c.certificates.verifications_per_minute = 10).await;
    let b = spawn_instance(&a, |_| {}).await;
    let mut sent = tokio::task::JoinSet::new();
    for i in 0..16 {
        let server = if i % 2 == 0 { &a } else { &b };
        let request = server.request(Method::GET, "/certificates/verify?code=ABCDEFGHJKMN", None);
        sent.spawn(async move { read(request.send().await.unwrap()).await });
    }
    let answers = sent.join_all().await;
    let answered = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::OK)
        .count();
    let refused = answers
        .iter()
        .filter(|(status, body)| {
            *status == StatusCode::TOO_MANY_REQUESTS && code(body) == "too_many_verifications"
        })
        .count();
    assert_eq!((answered, refused), (10, 6), "{answers:?}");
}

#[tokio::test]
async fn public_requests_through_both_servers_count_against_one_limit() {
    let a = spawn_app_with(|c| c.certificates.public_requests_per_hour = 2).await;
    let b = spawn_instance(&a, |_| {}).await;
    let form = json!({"student_document": "99999998", "birth_date": "2015-01-01",
        "requester_dni": "41234567", "requester_names": "Quispe Mamani, Rosa",
        "email": "rosa.quispe@example.pe", "cell_phone": "987654321",
        "purpose": "Traslado a otra IE", "relationship": "madre"});
    let send = |server: &TestApp| {
        server
            .request(Method::POST, "/certificates/public-requests", None)
            .json(&form)
            .send()
    };
    for server in [&a, &b] {
        let (status, body) = read(send(server).await.unwrap()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    for server in [&a, &b] {
        let (status, body) = read(send(server).await.unwrap()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(code(&body), "too_many_certificate_requests");
    }
}

#[tokio::test]
async fn a_tablets_login_bound_and_ended_through_one_server_holds_on_the_other() {
    let a = spawn_app_with(|_| {}).await;
    let b = spawn_instance(&a, |_| {}).await;
    let c = a.classroom().await;
    let (status, session) = login(&a, "docente.demo", DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let token = session["access_token"].as_str().unwrap();
    let day = *c.academic_days.last().unwrap();
    let one = |status: &str, hour: u32| {
        tests::batch(
            c.device,
            vec![tests::mark(
                &c.section_id,
                &c.students[0],
                day,
                status,
                &format!("{day}T{hour:02}:00:00-05:00"),
            )],
        )
    };
    // The first batch, through one server, binds the login to its tablet; the other server
    // refuses a batch of that login from another tablet.
    let (status, body) = b.push(token, &one("asistio", 8)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut other_tablet = one("falta", 9);
    other_tablet["device_id"] = json!(uuid::Uuid::new_v4());
    let (status, body) = a.push(token, &other_tablet).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(code(&body), "device_mismatch");
    // The login ends through one server: its tablet's next batch, through the other, is refused
    // (and kept by the tablet, to send again once signed in).
    let response = a
        .request(Method::POST, "/auth/logout", None)
        .json(&json!({"refresh_token": session["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = b.push(token, &one("tardanza", 10)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(code(&body), "session_revoked");
    let receipts = a
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM mark_receipt")
        .await;
    assert_eq!(
        receipts.as_deref(),
        Some("1"),
        "only the first batch is kept"
    );
}
