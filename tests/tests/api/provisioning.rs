//! Altas y bajas with approval, credentials shown once, password resets, devices, audit.

use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{DEMO_PASSWORD, TestApp, code, demo, read, spawn_app};

async fn file_request(
    app: &TestApp,
    token: &str,
    fields: &[(&str, String)],
    rd: bool,
) -> (StatusCode, Value) {
    app.file_request(token, fields, rd).await
}

pub(crate) fn director_alta(school_id: i64, dni: &str) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "alta".into()),
        ("role", "director".into()),
        ("school_id", school_id.to_string()),
        ("dni", dni.into()),
        ("paternal_surname", "Chuquicusma".into()),
        ("maternal_surname", "Llontop".into()),
        ("given_names", "María Elena".into()),
        ("email", "melena@ie16471.edu.pe".into()),
        ("cell_phone", "976543210".into()),
        ("resolution_number", "RD N° 0456-2026-UGEL-SI".into()),
        ("resolution_date", "2026-03-02".into()),
        ("reason", "Oficio N° 112-2026".into()),
    ]
}

/// An alta of a UGEL's Estadístico, which the MINEDU administrator decides.
fn statistician_alta(ugel_id: i64, dni: &str) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "alta".into()),
        ("role", "ugel_statistician".into()),
        ("ugel_id", ugel_id.to_string()),
        ("dni", dni.into()),
        ("paternal_surname", "Neyra".into()),
        ("maternal_surname", "Campos".into()),
        ("given_names", "Elmer".into()),
        ("email", "eneyra@ugelsanignacio.gob.pe".into()),
        ("resolution_number", "RD 10-2026".into()),
        ("resolution_date", "2026-02-01".into()),
    ]
}

/// An alta's fields without its resolution: the role, its unit, the person's DNI and names
/// (paternal surname, maternal surname, given names).
fn alta_of(
    role: &str,
    (unit, id): (&'static str, i64),
    dni: &str,
    [paternal, maternal, given]: [&str; 3],
) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "alta".to_owned()),
        ("role", role.to_owned()),
        (unit, id.to_string()),
        ("dni", dni.to_owned()),
        ("paternal_surname", paternal.to_owned()),
        ("maternal_surname", maternal.to_owned()),
        ("given_names", given.to_owned()),
    ]
}

#[tokio::test]
async fn a_new_director_is_approved_by_the_ugel_gets_credentials_once_and_replaces_the_old_one() {
    let app = spawn_app().await;
    let ugel = app.login_as("ugel.demo").await;
    let old_director = app.login_as("director.demo").await;
    let school = app.school_id(&ugel, demo::PRIMARIA).await;

    let (status, request) =
        file_request(&app, &ugel, &director_alta(school, "41112222"), true).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    assert_eq!(request["status"], "pending");
    assert_eq!(request["has_resolution_file"], true);
    let id = request["id"].as_i64().unwrap();

    let response = app
        .request(
            Method::GET,
            &format!("/provisioning/requests/{id}/resolution"),
            Some(&ugel),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        tests::minimal_pdf()
    );

    let (status, decision) = app
        .post(
            &format!("/provisioning/requests/{id}/approve"),
            &ugel,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    assert_eq!(decision["request"]["status"], "approved");
    let username = decision["credentials"]["username"]
        .as_str()
        .unwrap()
        .to_owned();
    let temporary = decision["credentials"]["temporary_password"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(username, "41112222");

    // The credentials are not shown again.
    let (_, seen) = app
        .get(&format!("/provisioning/requests/{id}"), &ugel)
        .await;
    assert!(seen.get("credentials").is_none() && !seen.to_string().contains(&temporary));

    // One director per IE: the previous one is out, at once.
    let (status, body) = app.get("/me", &old_director).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "session_revoked");

    // The new director must change the temporary password first.
    let (status, login) = read(app.login_response(&username, &temporary).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(login["user"]["must_change_password"], true);
    let token = login["access_token"].as_str().unwrap();
    let (status, _) = app.get(&format!("/schools/{school}/sections"), token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            "/me/password",
            token,
            json!({"current_password": temporary, "new_password": "Directora.2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get(&format!("/schools/{school}/sections"), token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_request_missing_its_resolution_is_refused() {
    let app = spawn_app().await;
    let ugel = app.login_as("ugel.demo").await;
    let school = app.school_id(&ugel, demo::PRIMARIA).await;
    let mut fields = director_alta(school, "41112222");
    fields.retain(|(k, _)| !k.starts_with("resolution"));
    let (status, error) = file_request(&app, &ugel, &fields, false).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["resolution", "resolution_number", "resolution_date"] {
        assert!(
            error["error"]["fields"][field].is_string(),
            "{field}: {error}"
        );
    }
    let (_, list) = app.get("/provisioning/requests", &ugel).await;
    assert_eq!(list.as_array().unwrap().len(), 0, "nothing was filed");
}

#[tokio::test]
async fn a_resolution_that_is_not_a_document_is_refused() {
    let app = spawn_app().await;
    let ugel = app.login_as("ugel.demo").await;
    let school = app.school_id(&ugel, demo::PRIMARIA).await;
    let mut form = Form::new();
    for (k, v) in director_alta(school, "41112222") {
        form = form.text(k, v);
    }
    form = form.part(
        "resolution",
        Part::bytes(b"MZ\x90\x00 not a pdf".to_vec()).file_name("rd.pdf"),
    );
    let (status, error) = read(
        app.request(Method::POST, "/provisioning/requests", Some(&ugel))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["resolution"].is_string());

    // Files that only start like a document: a PDF header on anything, a cut PNG, a cut JPEG.
    let mut cut_png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    cut_png.extend_from_slice(&[0; 17]);
    for (bytes, name) in [
        (b"%PDF-1.7\n<script>alert(1)</script>".to_vec(), "rd.pdf"),
        (cut_png, "rd.png"),
        (vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F'], "rd.jpg"),
    ] {
        let mut form = Form::new();
        for (k, v) in director_alta(school, "41112222") {
            form = form.text(k, v);
        }
        form = form.part("resolution", Part::bytes(bytes).file_name(name));
        let (status, error) = read(
            app.request(Method::POST, "/provisioning/requests", Some(&ugel))
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {error}");
    }
    let (_, requests) = app.get("/provisioning/requests", &ugel).await;
    assert_eq!(requests, serde_json::json!([]), "nothing was filed");
}

#[tokio::test]
async fn a_rejected_request_tells_the_requester_why_by_api_and_e_mail() {
    let app = spawn_app().await;
    let ugel = app.login_as("ugel.demo").await;
    let admin = app.login_as("admin.demo").await;
    let (_, me) = app.get("/me", &ugel).await;
    let ugel_id = me["roles"][0]["ugel_id"].as_i64().unwrap();
    let fields = statistician_alta(ugel_id, "42223333");
    let (status, request) = file_request(&app, &ugel, &fields, true).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_i64().unwrap();
    // The same alta again while the first waits: refused, nothing filed.
    let (status, again) = file_request(&app, &ugel, &fields, true).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(code(&again), "request_pending");
    let (_, listed) = app
        .get("/provisioning/requests?status=pending&per_page=100", &ugel)
        .await;
    let filed = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["dni"] == "42223333")
        .count();
    assert_eq!(filed, 1, "{listed}");

    // The UGEL cannot decide its own staff: the MINEDU administrator does.
    let (status, _) = app
        .post(
            &format!("/provisioning/requests/{id}/approve"),
            &ugel,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            &format!("/provisioning/requests/{id}/reject"),
            &admin,
            json!({"reason": " "}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, rejected) = app
        .post(
            &format!("/provisioning/requests/{id}/reject"),
            &admin,
            json!({"reason": "La RD no corresponde al año 2026."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    let (status, _) = app
        .post(
            &format!("/provisioning/requests/{id}/approve"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a decided request stays decided"
    );

    let (_, seen) = app
        .get(&format!("/provisioning/requests/{id}"), &ugel)
        .await;
    assert_eq!(seen["status"], "rejected");
    assert_eq!(seen["decision_reason"], "La RD no corresponde al año 2026.");
    // Once decided, the alta may be asked for again, with the right RD.
    let (status, again) = file_request(&app, &ugel, &fields, true).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    let mail = app.mail_to("ugel.demo@siagie.local").await;
    assert!(mail.contains("Subject: "), "{mail}");
    let (status, _) = read(app.login_response("42223333", "cualquiera").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no account was created");
}

#[tokio::test]
async fn a_director_cannot_act_on_another_ie() {
    let app = spawn_app().await;
    let jaen = app.login_as("jaen.demo").await;
    let admin = app.login_as("admin.demo").await;
    let primaria = app.school_id(&admin, demo::PRIMARIA).await;
    let fields = alta_of(
        "teacher",
        ("school_id", primaria),
        "40000006",
        ["Tarrillo", "Campos", "Rosa Elvira"],
    );
    let (status, _) = file_request(&app, &jaen, &fields, false).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A baja of an assignment out of reach is answered as one of an id that does not exist.
    let (_, accounts) = app
        .get(&format!("/accounts?school_id={primaria}"), &admin)
        .await;
    let held = accounts[0]["assignments"][0]["assignment_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{accounts}"));
    let mut answers = Vec::new();
    for assignment in [held, 999_999] {
        let baja = vec![
            ("kind", "baja".to_string()),
            ("assignment_id", assignment.to_string()),
            ("reason", "Término de contrato".into()),
        ];
        answers.push(file_request(&app, &jaen, &baja, false).await);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(
        answers[0].0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answers[0].1
    );
    let (status, _) = app.post(&format!("/schools/{primaria}/staff"), &jaen, json!({
        "dni": "45678123", "paternal_surname": "Ramos", "maternal_surname": "Díaz", "given_names": "Luz", "position": "teacher"
    })).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_pronoei_coordinator_cannot_create_users() {
    let app = spawn_app().await;
    let coordinator = app.login_as("pronoei.demo").await;
    let pronoei = app.school_id(&coordinator, demo::PRONOEI).await;
    let (status, staff) = app.post(&format!("/schools/{pronoei}/staff"), &coordinator, json!({
        "dni": "46667777", "paternal_surname": "Apaza", "maternal_surname": "Cruz", "given_names": "Nayeli", "position": "assistant"
    })).await;
    assert_eq!(status, StatusCode::CREATED, "{staff}");
    let (status, error) = app
        .post(
            &format!("/schools/{pronoei}/users"),
            &coordinator,
            json!({"person_id": staff["person_id"], "role": "assistant"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(code(&error), "pronoei_cannot_create_users");
}

#[tokio::test]
async fn a_director_gives_an_account_to_registered_staff_and_an_existing_account_gets_no_new_password()
 {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let (_, staff) = app.post(&format!("/schools/{school}/staff"), &director, json!({
        "dni": "47778888", "paternal_surname": "Vásquez", "maternal_surname": "Rojas", "given_names": "Brayan", "position": "teacher"
    })).await;
    let (status, decision) = app
        .post(
            &format!("/schools/{school}/users"),
            &director,
            json!({"person_id": staff["person_id"], "role": "teacher"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{decision}");
    let temporary = decision["credentials"]["temporary_password"]
        .as_str()
        .unwrap();
    let (status, _) = read(app.login_response("47778888", temporary).await).await;
    assert_eq!(status, StatusCode::OK);

    // The same person gains a second role: no credentials this time.
    let (status, decision) = app
        .post(
            &format!("/schools/{school}/users"),
            &director,
            json!({"person_id": staff["person_id"], "role": "secretary"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{decision}");
    assert!(decision.get("credentials").is_none(), "{decision}");
    let (status, error) = app
        .post(
            &format!("/schools/{school}/users"),
            &director,
            json!({"person_id": staff["person_id"], "role": "secretary"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&error), "already_assigned");
}

#[tokio::test]
async fn a_baja_ends_a_live_session_at_once_and_deletes_nothing() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let teacher_login: Value = app
        .login_response("docente.demo", DEMO_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let teacher = teacher_login["access_token"].as_str().unwrap();
    let assignment = teacher_login["user"]["roles"][0]["assignment_id"]
        .as_i64()
        .unwrap();
    let mut fields = vec![
        ("kind", "baja".to_string()),
        ("assignment_id", assignment.to_string()),
        ("reason", "Cese".into()),
    ];
    // A baja says why, in a sentence a reader can see.
    for reason in [
        "Cese".to_owned(),
        "\u{200B}".repeat(12),
        "\u{2800}".repeat(12),
    ] {
        fields[2].1 = reason;
        let (status, refused) = file_request(&app, &director, &fields, false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert!(
            refused["error"]["fields"]["reason"].is_string(),
            "{refused}"
        );
    }
    fields[2].1 = "Término de contrato".into();
    let (status, request) = file_request(&app, &director, &fields, false).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    // The same baja twice: the second waits for nothing.
    let (status, again) = file_request(&app, &director, &fields, false).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(code(&again), "request_pending");
    let (status, _) = app.get("/me", teacher).await;
    assert_eq!(status, StatusCode::OK, "a pending baja changes nothing yet");
    let (status, _) = app
        .post(
            &format!("/provisioning/requests/{}/approve", request["id"]),
            &director,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app.get("/me", teacher).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "session_revoked");
    let (status, _) = read(
        app.request(Method::POST, "/auth/refresh", None)
            .json(&json!({"refresh_token": teacher_login["refresh_token"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let still_there = app
        .scalar("SELECT username FROM user_account WHERE username = 'docente.demo'")
        .await;
    assert_eq!(
        still_there.as_deref(),
        Some("docente.demo"),
        "baja never deletes"
    );

    // The director's e-mail says it was a baja, and whose.
    let mail = app.mail_to("director.demo@siagie.local").await;
    let text = tests::smtp::Received::from_raw(mail.into_bytes()).text();
    assert!(text.contains("solicitud de baja de Docente"), "{text}");
    assert!(text.contains("Rosa Elvira Tarrillo Campos"), "{text}");
}

#[tokio::test]
async fn a_password_reset_link_is_e_mailed_works_once_and_ends_sessions() {
    let app = spawn_app().await;
    let old: Value = app
        .login_response("director.demo", DEMO_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let response = app
        .request(Method::POST, "/auth/password-reset", None)
        .json(&json!({"username": "director.demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let unknown = app
        .request(Method::POST, "/auth/password-reset", None)
        .json(&json!({"username": "nadie"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        unknown.status(),
        StatusCode::ACCEPTED,
        "same answer for an unknown account"
    );

    // Asked again at once, many times: one link a minute all the same.
    let again = || {
        app.request(Method::POST, "/auth/password-reset", None)
            .json(&json!({"username": "director.demo"}))
            .send()
    };
    let burst = tokio::join!(again(), again(), again(), again(), again(), again());
    for answer in [burst.0, burst.1, burst.2, burst.3, burst.4, burst.5] {
        assert_eq!(answer.unwrap().status(), StatusCode::ACCEPTED);
    }
    app.wait_until_queued("director.demo@siagie.local").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        app.mail_texts_to("director.demo@siagie.local").await.len(),
        1,
        "one link for seven requests within a minute"
    );
    let delivered = app.mail_to("director.demo@siagie.local").await;
    let body = tests::smtp::Received::from_raw(delivered.into_bytes()).text();
    assert!(body.contains("restablecer la contraseña"), "{body}");
    let token = body
        .split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    // Locked out by wrong passwords meanwhile, the owner is let in by its link all the same.
    for _ in 0..5 {
        app.login_response("director.demo", "Equivocada.2026").await;
    }
    let (status, _) = read(app.login_response("director.demo", DEMO_PASSWORD).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let confirm = |password: &'static str| {
        app.request(Method::POST, "/auth/password-reset/confirm", None)
            .json(&json!({"token": token, "new_password": password}))
            .send()
    };
    let (status, _) = read(confirm("corta").await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = read(confirm("Recuperada.2026").await.unwrap()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, error) = read(confirm("OtraVez.2026").await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&error), "invalid_reset_token");

    let (status, _) = read(app.login_response("director.demo", "Recuperada.2026").await).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = read(
        app.request(Method::POST, "/auth/refresh", None)
            .json(&json!({"refresh_token": old["refresh_token"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "older sessions end");
}

#[tokio::test]
async fn an_account_without_e_mail_is_reset_by_its_manager_with_a_temporary_password() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let teacher: Value = app
        .login_response("docente.demo", DEMO_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let teacher_id = teacher["user"]["id"].as_i64().unwrap();
    let (_, me) = app.get("/me", &director).await;
    let director_id = me["id"].as_i64().unwrap();

    let (status, _) = app
        .post(
            &format!("/users/{teacher_id}/password-reset"),
            &ugel,
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the UGEL does not manage the IE's staff"
    );
    let (status, error) = app
        .post(
            &format!("/users/{director_id}/password-reset"),
            &ugel,
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an account with e-mail recovers by link"
    );
    assert_eq!(code(&error), "use_email_reset");

    let (status, credentials) = app
        .post(
            &format!("/users/{teacher_id}/password-reset"),
            &director,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{credentials}");
    let temporary = credentials["temporary_password"].as_str().unwrap();
    let (status, _) = read(app.login_response("docente.demo", DEMO_PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, login) = read(app.login_response("docente.demo", temporary).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(login["user"]["must_change_password"], true);
}

#[tokio::test]
async fn the_audit_trail_is_read_by_those_who_oversee_the_unit() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    app.post(&format!("/schools/{school}/staff"), &director, json!({
        "dni": "45678123", "paternal_surname": "Ramos", "maternal_surname": "Díaz", "given_names": "Luz", "position": "teacher"
    })).await;
    let (_, me) = app.get("/me", &app.login_as("ugel.demo").await).await;
    let ugel_id = me["roles"][0]["ugel_id"].as_i64().unwrap();

    let (status, page) = app
        .get(&format!("/audit?school_id={school}"), &director)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["items"][0]["action"], "staff_registered");
    assert_eq!(page["items"][0]["after"]["dni"], "45678123");
    let (status, page) = app
        .get(
            &format!("/audit?ugel_id={ugel_id}"),
            &app.login_as("ugel.demo").await,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page["total"].as_u64().unwrap() >= 1);
    for account in ["docente.demo", "jaen.demo", "agente.demo"] {
        let (status, _) = app
            .get(
                &format!("/audit?school_id={school}"),
                &app.login_as(account).await,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{account}");
    }
}

#[tokio::test]
async fn a_revoked_tablet_loses_its_sessions_and_cannot_log_in_again() {
    let app = spawn_app().await;
    let device = uuid::Uuid::new_v4();
    let (status, login) = read(
        app.request(Method::POST, "/auth/login", None)
            .json(&json!({"username": "docente.demo", "password": DEMO_PASSWORD, "device_id": device}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let (status, devices) = app
        .get(&format!("/schools/{school}/devices"), &director)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(devices[0]["id"], device.to_string());
    assert_eq!(devices[0]["last_user"], "docente.demo");
    let (status, _) = app
        .get(
            &format!("/schools/{school}/devices"),
            &app.login_as("jaen.demo").await,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, _) = app
        .post(&format!("/devices/{device}/revoke"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = read(
        app.request(Method::POST, "/auth/refresh", None)
            .json(&json!({"refresh_token": login["refresh_token"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, error) = read(
        app.request(Method::POST, "/auth/login", None)
            .json(&json!({"username": "docente.demo", "password": DEMO_PASSWORD, "device_id": device}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(code(&error), "device_revoked");
}

/// The UGEL files the alta of its Estadístico (DNI 41112222), which the MINEDU administrator
/// decides: the UGEL's and the administrator's tokens, the demo primary IE and the request.
async fn statistician_filed(app: &TestApp) -> (String, String, i64, Value) {
    let ugel = app.login_as("ugel.demo").await;
    let admin = app.login_as("admin.demo").await;
    let school = app.school_id(&ugel, demo::PRIMARIA).await;
    let (_, me) = app.get("/me", &ugel).await;
    let ugel_id = me["roles"][0]["ugel_id"].as_i64().unwrap();
    let (status, request) =
        file_request(app, &ugel, &statistician_alta(ugel_id, "41112222"), true).await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    (ugel, admin, school, request)
}

/// A request is decided once: an approval and a rejection sent at the same moment leave one
/// decision standing (the other is 409 `request_decided`), never a rejected request whose
/// account exists. A request that would give a person two names, or a role it holds already, is
/// refused when filed; a baja names whom it removes.
#[tokio::test]
async fn a_request_is_decided_once_and_names_one_person() {
    let app = spawn_app().await;
    let (ugel, admin, school, request) = statistician_filed(&app).await;
    let id = request["id"].as_i64().unwrap();

    // The same new DNI under other names, for another role: refused on the DNI.
    let (status, refused) =
        file_request(&app, &ugel, &director_alta(school, "41112222"), true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused["error"]["fields"]["dni"].is_string(), "{refused}");

    // Approved and rejected at once, by the MINEDU administrator who decides UGEL staff.
    let approve = format!("/provisioning/requests/{id}/approve");
    let reject = format!("/provisioning/requests/{id}/reject");
    let ((approved, approval), (rejected, rejection)) = tokio::join!(
        app.post(&approve, &admin, json!({})),
        app.post(&reject, &admin, json!({"reason": "Documento ilegible"})),
    );
    let (winner, loser) = match (approved, rejected) {
        (StatusCode::OK, StatusCode::CONFLICT) => ("approved", rejection),
        (StatusCode::CONFLICT, StatusCode::OK) => ("rejected", approval),
        other => panic!("one decision stands: {other:?} {approval} {rejection}"),
    };
    assert_eq!(code(&loser), "request_decided", "{loser}");
    let (_, seen) = app
        .get(&format!("/provisioning/requests/{id}"), &ugel)
        .await;
    assert_eq!(seen["status"], winner, "{seen}");
    let accounts = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM user_account WHERE username = '41112222'")
        .await;
    let expected = if winner == "approved" { "1" } else { "0" };
    assert_eq!(accounts.as_deref(), Some(expected), "{seen}");

    // A role the person holds there already: refused when filed, not left pending.
    let director = app.login_as("director.demo").await;
    let teacher_again = alta_of(
        "teacher",
        ("school_id", school),
        "40000006",
        ["Tarrillo", "Campos", "Rosa Elvira"],
    );
    let (status, refused) = file_request(&app, &director, &teacher_again, false).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(code(&refused), "already_assigned");

    // A baja names whom it removes, for whoever decides it.
    let (_, accounts) = app
        .get(&format!("/accounts?school_id={school}"), &director)
        .await;
    let teacher = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "docente.demo")
        .unwrap_or_else(|| panic!("{accounts}"));
    let assignment = teacher["assignments"][0]["assignment_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{teacher}"));
    let baja = vec![
        ("kind", "baja".to_string()),
        ("assignment_id", assignment.to_string()),
        ("reason", "Término de contrato".into()),
    ];
    let (status, filed) = file_request(&app, &director, &baja, false).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!(filed["paternal_surname"], "Tarrillo", "{filed}");
    assert_eq!(filed["given_names"], "Rosa Elvira", "{filed}");
}

/// A browser sends a file input left empty as a part with no name and no content, and a text
/// field left empty as an empty value: the request goes without a resolution or its number, as
/// if they were not sent.
#[tokio::test]
async fn a_file_input_left_empty_is_no_file() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let (_, staff) = app.post(&format!("/schools/{school}/staff"), &director, json!({
        "dni": "47778889", "paternal_surname": "Vásquez", "maternal_surname": "Rojas", "given_names": "Brayan", "position": "teacher"
    })).await;
    assert!(staff["person_id"].is_i64(), "{staff}");
    let form = Form::new()
        .text("kind", "alta")
        .text("role", "teacher")
        .text("school_id", school.to_string())
        .text("dni", "47778889")
        .text("paternal_surname", "Vásquez")
        .text("maternal_surname", "Rojas")
        .text("given_names", "Brayan")
        .text("resolution_number", " ")
        .part(
            "resolution",
            Part::bytes(Vec::new())
                .file_name("")
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    let (status, filed) = read(
        app.request(Method::POST, "/provisioning/requests", Some(&director))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!(filed["has_resolution_file"], false, "{filed}");
    assert!(filed["resolution_number"].is_null(), "{filed}");
}

/// Two altas for one new DNI under other names, filed at the same moment, both pass the check on
/// filing; the second approval then finds the person the first one registered, and gives the
/// role only to the person its request names.
#[tokio::test]
async fn an_approval_gives_the_role_only_to_the_person_its_request_names() {
    let app = spawn_app().await;
    let (ugel, admin, school, first) = statistician_filed(&app).await;
    let mut director = director_alta(school, "41112222");
    director[4].1 = "Neyra".into();
    director[5].1 = "Campos".into();
    director[6].1 = "Elmer".into();
    let (status, second) = file_request(&app, &ugel, &director, true).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    // As when both were filed at once: the second names someone else.
    app.db
        .execute_unprepared(&format!(
            "UPDATE provisioning_request SET paternal_surname = 'Chuquicusma', \
             maternal_surname = 'Llontop', given_names = 'María Elena' WHERE id = {}",
            second["id"]
        ))
        .await
        .unwrap();

    let (status, body) = app
        .post(
            &format!("/provisioning/requests/{}/approve", first["id"]),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, refused) = app
        .post(
            &format!("/provisioning/requests/{}/approve", second["id"]),
            &ugel,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused["error"]["fields"]["dni"].is_string(), "{refused}");
    let (_, seen) = app
        .get(&format!("/provisioning/requests/{}", second["id"]), &ugel)
        .await;
    assert_eq!(seen["status"], "pending", "nothing written: {seen}");
    // The IE keeps its director.
    let (status, _) = read(app.login_response("director.demo", DEMO_PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK);
}

/// An alta filed while the same one is being approved: the approval has taken the request and
/// given the role but not committed when the second is checked. The second waits for it and is
/// refused (409 `already_assigned`), never left pending for an approval that would refuse it.
#[tokio::test]
async fn an_alta_filed_while_the_same_one_is_approved_is_refused_not_left_pending() {
    use entity::{provisioning_request, role_assignment, vocabulary::RequestStatus};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

    let app = spawn_app().await;
    let (ugel, admin, _, request) = statistician_filed(&app).await;
    let id = request["id"].as_i64().unwrap();
    let (status, approved) = app
        .post(
            &format!("/provisioning/requests/{id}/approve"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    let assignment: i64 = app
        .scalar(&format!(
            "SELECT CAST(result_assignment_id AS TEXT) FROM provisioning_request WHERE id = {id}"
        ))
        .await
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("{approved}"));

    // Back to the moment before: the request pending, the role not held.
    let set_status = |status: RequestStatus| {
        provisioning_request::Entity::update_many()
            .col_expr(provisioning_request::Column::Status, Expr::value(status))
            .filter(provisioning_request::Column::Id.eq(id))
    };
    let set_active = |active: bool| {
        role_assignment::Entity::update_many()
            .col_expr(role_assignment::Column::Active, Expr::value(active))
            .filter(role_assignment::Column::Id.eq(assignment))
    };
    set_status(RequestStatus::Pending)
        .exec(&app.db)
        .await
        .unwrap();
    set_active(false).exec(&app.db).await.unwrap();

    // The approval, under way: the request taken and the role given, not yet committed.
    let approval = siagie::db::begin(&app.db).await.unwrap();
    set_status(RequestStatus::Approved)
        .exec(&approval)
        .await
        .unwrap();
    set_active(true).exec(&approval).await.unwrap();
    let (_, me) = app.get("/me", &ugel).await;
    let ugel_id = me["roles"][0]["ugel_id"].as_i64().unwrap();
    let filing = {
        let app = &app;
        let ugel = &ugel;
        async move { file_request(app, ugel, &statistician_alta(ugel_id, "41112222"), true).await }
    };
    let committing = async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        approval.commit().await.unwrap();
    };
    let ((status, filed), ()) = tokio::join!(filing, committing);
    assert_eq!(status, StatusCode::CONFLICT, "{filed}");
    assert_eq!(code(&filed), "already_assigned", "{filed}");
    assert_eq!(
        app.scalar(
            "SELECT CAST(COUNT(*) AS TEXT) FROM provisioning_request \
             WHERE dni = '41112222' AND status = 'pending'"
        )
        .await
        .as_deref(),
        Some("0"),
        "nothing left pending"
    );
}

/// Nobody approves their own appointment, and the last MINEDU administrator is not removed: no
/// chain of allowed steps leaves a unit held by whoever chose itself, or nobody to decide.
#[tokio::test]
async fn nobody_appoints_itself_and_the_last_administrator_stays() {
    let app = spawn_app().await;
    let ugel = app.login_as("ugel.demo").await;
    let school = app.school_id(&ugel, demo::SECUNDARIA).await;
    let own = vec![
        ("kind", "alta".to_string()),
        ("role", "director".into()),
        ("school_id", school.to_string()),
        ("dni", "40000003".into()),
        ("paternal_surname", "Huamán".into()),
        ("maternal_surname", "Tello".into()),
        ("given_names", "Oscar".into()),
        ("email", "ohuaman@correo.pe".into()),
        ("resolution_number", "RD 9-2026".into()),
        ("resolution_date", "2026-03-02".into()),
    ];
    let (status, filed) = file_request(&app, &ugel, &own, true).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (status, refused) = app
        .post(
            &format!("/provisioning/requests/{}/approve", filed["id"]),
            &ugel,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(code(&refused), "own_appointment");
    let directors = app
        .scalar(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM role_assignment ra JOIN user_account ua \
             ON ua.id = ra.user_id WHERE ua.username = 'ugel.demo' AND ra.role = 'director' \
             AND ra.active = TRUE AND ra.school_id = {school}"
        ))
        .await;
    assert_eq!(directors.as_deref(), Some("0"));

    // The only administrator asks for its own baja: refused when filed.
    let admin = app.login_as("admin.demo").await;
    let assignment = app
        .scalar(
            "SELECT CAST(id AS TEXT) FROM role_assignment \
             WHERE role = 'minedu_admin' AND active = TRUE",
        )
        .await
        .unwrap();
    let baja = vec![
        ("kind", "baja".to_string()),
        ("assignment_id", assignment),
        ("reason", "Término de la designación por resolución".into()),
    ];
    let (status, refused) = file_request(&app, &admin, &baja, false).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(code(&refused), "last_administrator");
    let (status, _) = app.get("/me", &admin).await;
    assert_eq!(status, StatusCode::OK, "still signed in");
}

/// A baja pending for an assignment that another decision ends (a new director appointed to the
/// IE) is declined with the reason and its requester told, not left pending for an approval that
/// would refuse it while it blocks the next baja of that person and unit.
#[tokio::test]
async fn a_baja_overtaken_by_a_new_holder_is_declined_and_its_requester_told() {
    let app = spawn_app().await;
    let ugel = app.login_as("ugel.demo").await;
    let school = app.school_id(&ugel, demo::PRIMARIA).await;
    let assignment = app
        .scalar(
            "SELECT CAST(ra.id AS TEXT) FROM role_assignment ra JOIN user_account ua \
             ON ua.id = ra.user_id WHERE ua.username = 'director.demo' \
             AND ra.role = 'director' AND ra.active = TRUE",
        )
        .await
        .unwrap();
    let baja = vec![
        ("kind", "baja".to_string()),
        ("assignment_id", assignment),
        ("reason", "Término de la designación por resolución".into()),
    ];
    let (status, baja) = file_request(&app, &ugel, &baja, false).await;
    assert_eq!(status, StatusCode::CREATED, "{baja}");

    let (status, alta) = file_request(&app, &ugel, &director_alta(school, "41112222"), true).await;
    assert_eq!(status, StatusCode::CREATED, "{alta}");
    let (status, decision) = app
        .post(
            &format!("/provisioning/requests/{}/approve", alta["id"]),
            &ugel,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decision}");

    let (_, seen) = app
        .get(&format!("/provisioning/requests/{}", baja["id"]), &ugel)
        .await;
    assert_eq!(seen["status"], "rejected", "{seen}");
    assert!(
        seen["decision_reason"]
            .as_str()
            .is_some_and(|r| r.contains("terminó por otra decisión")),
        "{seen}"
    );
    app.deliver_mail().await;
    let told = app
        .delivered()
        .into_iter()
        .filter(|raw| {
            raw.lines()
                .any(|l| l.starts_with("To: ") && l.contains("ugel.demo@siagie.local"))
        })
        .any(|raw| {
            tests::smtp::Received::from_raw(raw.into_bytes())
                .text()
                .contains("terminó por otra decisión")
        });
    assert!(told, "the requester is told why");
}

/// A director's alta or baja is decided by the UGEL's Especialista SIAGIE; where the UGEL has
/// none active, by the DRE's, and where the DRE has none either, by MINEDU: each is told of the
/// request, lists it and decides it, and nobody else does.
#[tokio::test]
async fn a_directors_request_where_the_ugel_has_no_specialist_goes_up_and_is_decided() {
    let app = spawn_app().await;
    let nivel = app.login_as("nivel.demo").await;
    let dre = app.login_as("dre.demo").await;
    let admin = app.login_as("admin.demo").await;
    let jaen = app.login_as("jaen.demo").await;
    let school = app.school_id(&nivel, demo::PRIMARIA).await;
    let leave = |username: &'static str| {
        let db = app.db.clone();
        async move {
            db.execute_unprepared(&format!(
                "UPDATE role_assignment SET active = FALSE WHERE user_id = \
                 (SELECT id FROM user_account WHERE username = '{username}')"
            ))
            .await
            .unwrap();
        }
    };
    leave("ugel.demo").await;

    // The UGEL's Especialista del nivel files the alta; the DRE's specialist decides it.
    let (status, alta) = file_request(&app, &nivel, &director_alta(school, "41112222"), true).await;
    assert_eq!(status, StatusCode::CREATED, "{alta}");
    let id = alta["id"].as_i64().unwrap();
    let told = app.mail_texts_to("dre.demo@siagie.local").await;
    assert!(
        told.iter().any(|t| t.contains("41112222")
            && t.contains("la DRE")
            && t.contains(&format!("/consola/altas-y-bajas/{id}"))),
        "the DRE is told it decides: {told:?}"
    );
    let (status, listed) = app.get("/provisioning/requests?status=pending", &dre).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(listed.to_string().contains("41112222"), "{listed}");
    for outsider in [&admin, &jaen] {
        let (status, _) = app
            .get(&format!("/provisioning/requests/{id}"), outsider)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app
            .post(
                &format!("/provisioning/requests/{id}/approve"),
                outsider,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, decision) = app
        .post(
            &format!("/provisioning/requests/{id}/approve"),
            &dre,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    assert_eq!(decision["request"]["status"], "approved");
    let assignment = app
        .scalar(&format!(
            "SELECT CAST(result_assignment_id AS TEXT) FROM provisioning_request WHERE id = {id}"
        ))
        .await
        .expect("the new director's assignment");

    // With the DRE's specialist gone too, the new director's baja goes to MINEDU.
    leave("dre.demo").await;
    let baja = vec![
        ("kind", "baja".to_string()),
        ("assignment_id", assignment),
        ("reason", "Término de la designación por resolución".into()),
    ];
    let (status, baja) = file_request(&app, &nivel, &baja, false).await;
    assert_eq!(status, StatusCode::CREATED, "{baja}");
    let id = baja["id"].as_i64().unwrap();
    let (status, listed) = app
        .get("/provisioning/requests?status=pending", &admin)
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(
        listed.as_array().unwrap().iter().any(|r| r["id"] == id),
        "{listed}"
    );
    let (status, _) = app
        .post(
            &format!("/provisioning/requests/{id}/approve"),
            &jaen,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, decision) = app
        .post(
            &format!("/provisioning/requests/{id}/approve"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    assert_eq!(decision["request"]["status"], "approved");
}

/// Where a person reads what another wrote (a name, a resolution's number, a rejection's
/// reason), text that shows nothing or carries control characters is refused, and nothing is
/// written.
#[tokio::test]
async fn text_that_shows_nothing_is_refused_where_a_person_reads_it() {
    let app = spawn_app().await;
    let ugel = app.login_as("ugel.demo").await;
    let school = app.school_id(&ugel, demo::PRIMARIA).await;
    let with = |field: &'static str, value: &str| {
        let mut alta = director_alta(school, "41112222");
        alta.retain(|(name, _)| *name != field);
        alta.push((field, value.to_owned()));
        alta
    };
    for (field, value) in [
        ("given_names", "\u{3164}"),
        ("paternal_surname", "-"),
        ("maternal_surname", "' ."),
        ("resolution_number", "\u{200B}"),
        ("resolution_number", &"N".repeat(61)),
        ("reason", "Oficio\u{7}"),
    ] {
        let (status, body) = file_request(&app, &ugel, &with(field, value), true).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    let pending = "SELECT CAST(COUNT(*) AS TEXT) FROM provisioning_request";
    assert_eq!(app.scalar(pending).await.as_deref(), Some("0"));

    let (status, alta) = file_request(&app, &ugel, &director_alta(school, "41112222"), true).await;
    assert_eq!(status, StatusCode::CREATED, "{alta}");
    let reject = format!("/provisioning/requests/{}/reject", alta["id"]);
    let (status, body) = app
        .post(&reject, &ugel, json!({"reason": " \u{200B}\u{3164} "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["reason"].is_string(), "{body}");
    let (status, body) = app
        .post(&reject, &ugel, json!({"reason": "Falta la RD\u{1b}[31m"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "control_characters");
    let (_, seen) = app
        .get(&format!("/provisioning/requests/{}", alta["id"]), &ugel)
        .await;
    assert_eq!(seen["status"], "pending", "{seen}");
    let (status, body) = app
        .post(&reject, &ugel, json!({"reason": "Falta la RD firmada"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Nobody decides a request about itself, and such a request does not wait where only its person
/// could decide it: a director's alta to teach in its own IE goes to the UGEL's Especialista
/// SIAGIE, and that specialist's own appointment as a director to the DRE.
#[tokio::test]
async fn a_request_whose_only_decider_is_its_person_goes_to_the_unit_above() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let nivel = app.login_as("nivel.demo").await;
    let dre = app.login_as("dre.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;

    let teaches = alta_of(
        "teacher",
        ("school_id", school),
        "40000005",
        ["Guevara", "Cubas", "Wilder"],
    );
    let (status, staff) = app
        .post(
            &format!("/schools/{school}/staff"),
            &director,
            json!({"dni": "40000005", "paternal_surname": "Guevara", "maternal_surname": "Cubas",
                   "given_names": "Wilder", "position": "teacher"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{staff}");
    let (status, alta) = file_request(&app, &director, &teaches, false).await;
    assert_eq!(status, StatusCode::CREATED, "{alta}");
    let id = alta["id"].as_i64().unwrap();
    let told = app.mail_texts_to("ugel.demo@siagie.local").await;
    assert!(
        told.iter().any(|t| t.contains("40000005")),
        "the UGEL is told: {told:?}"
    );
    let approve = format!("/provisioning/requests/{id}/approve");
    let (status, refused) = app.post(&approve, &director, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(code(&refused), "own_appointment");
    let (_, listed) = app
        .get("/provisioning/requests?status=pending", &ugel)
        .await;
    assert!(
        listed.as_array().unwrap().iter().any(|r| r["id"] == id),
        "{listed}"
    );
    let (status, decision) = app.post(&approve, &ugel, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{decision}");

    // The UGEL's specialist appointed director of an IE: the DRE decides, not the appointee.
    let (status, alta) = file_request(
        &app,
        &nivel,
        &{
            let mut alta = director_alta(school, "40000003");
            for (field, value) in [
                ("paternal_surname", "Huamán"),
                ("maternal_surname", "Tello"),
                ("given_names", "Oscar"),
            ] {
                alta.retain(|(name, _)| *name != field);
                alta.push((field, value.into()));
            }
            alta
        },
        true,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{alta}");
    let id = alta["id"].as_i64().unwrap();
    let (status, _) = app
        .get(&format!("/provisioning/requests/{id}"), &ugel)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the appointee does not read it"
    );
    let (_, listed) = app.get("/provisioning/requests?status=pending", &dre).await;
    assert!(
        listed.as_array().unwrap().iter().any(|r| r["id"] == id),
        "{listed}"
    );
    let (status, decision) = app
        .post(
            &format!("/provisioning/requests/{id}/approve"),
            &dre,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decision}");
}
