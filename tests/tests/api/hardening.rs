//! Production settings, reads within reach, and answers to odd input: each a defect found by
//! trying the product as an attacker would.

use mobile_contract::{Outcome, RejectionCode};
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use secrecy::SecretString;
use serde_json::{Value, json};
use siagie::config::Mode;
use tests::{code, demo, read, spawn_app, spawn_app_with};

#[tokio::test]
async fn production_mode_loads_no_demo_world_and_refuses_a_short_key() {
    let app = spawn_app_with(|c| c.mode = Mode::Production).await;
    let (status, _) = read(app.login_response("admin.demo", tests::DEMO_PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no demo account exists");
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM user_account")
            .await
            .as_deref(),
        Some("0")
    );

    let mut config = app.config.clone();
    config.server.port = 0;
    config.auth.jwt_secret = Some(SecretString::from("demasiado-corta".to_owned()));
    let error = siagie::Application::build(config)
        .await
        .err()
        .expect("a 15-byte key stops the start");
    assert!(error.to_string().contains("32"), "{error}");
}

async fn csv(app: &tests::TestApp, token: &str, query: &str) -> (StatusCode, String) {
    let response = app
        .request(
            Method::GET,
            &format!("/exports/attendance?{query}"),
            Some(token),
        )
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_teacher_reads_only_the_sections_it_teaches_in_lists_and_exports() {
    let app = spawn_app().await;
    let teacher = app.login_as("docente.demo").await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let (_, me) = app.get("/me", &teacher).await;
    let taught: Vec<i64> = me["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_i64().unwrap())
        .collect();
    let today = tests::lima_today();
    let (year, month) = (
        chrono::Datelike::year(&today),
        chrono::Datelike::month(&today),
    );
    let query = format!("school_id={school}&year={year}&month={month}");

    let (status, rows) = app.get(&format!("/registers?{query}"), &teacher).await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let listed: Vec<i64> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["section_id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed.len(), taught.len(), "{rows}");
    assert!(listed.iter().all(|s| taught.contains(s)));
    let (_, all) = app.get(&format!("/registers?{query}"), &director).await;
    assert!(all.as_array().unwrap().len() > taught.len());

    let mut students_taught = 0;
    for section in &taught {
        let (_, roster) = app
            .get(&format!("/sections/{section}/students"), &teacher)
            .await;
        students_taught += roster.as_array().unwrap().len();
    }
    let (status, mine) = csv(&app, &teacher, &query).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine.lines().count() - 1, students_taught, "{mine}");
    let (_, whole) = csv(&app, &director, &query).await;
    assert!(whole.lines().count() > mine.lines().count());
}

#[tokio::test]
async fn a_level_specialist_reads_only_the_ies_of_its_level() {
    let app = spawn_app().await;
    let nivel = app.login_as("nivel.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let (_, me) = app.get("/me", &ugel).await;
    let ugel_id = me["roles"][0]["ugel_id"].as_i64().unwrap();
    let today = tests::lima_today();
    let query = format!(
        "ugel_id={ugel_id}&year={}&month={}",
        chrono::Datelike::year(&today),
        chrono::Datelike::month(&today)
    );
    let primaria = demo::PRIMARIA;
    let (status, rows) = app.get(&format!("/registers?{query}"), &nivel).await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let codes: std::collections::BTreeSet<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["school_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| c.starts_with(primaria)), "{codes:?}");
    let (_, everything) = app.get(&format!("/registers?{query}"), &ugel).await;
    assert!(everything.as_array().unwrap().len() > rows.as_array().unwrap().len());

    let (status, mine) = csv(&app, &nivel, &query).await;
    assert_eq!(status, StatusCode::OK);
    for line in mine.lines().skip(1) {
        assert!(line.contains(&format!(",{primaria},")), "{line}");
    }
    let (_, whole) = csv(&app, &ugel, &query).await;
    assert!(whole.lines().count() > mine.lines().count());
}

#[tokio::test]
async fn odd_input_is_a_clear_4xx_never_a_500() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;

    // A page far out of range.
    let (status, body) = app.get("/schools?page=18446744073709551615", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "invalid_query");

    // NUL characters in a body, a query and a login.
    let (status, body) = app
        .post(
            "/dres",
            &admin,
            json!({"code": "DRE-X", "name": "Lima\u{0}Norte"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "control_characters");
    // A name that would show reversed ("Trojan source"), raw or escaped.
    for name in ["Lima \u{202E}etroN", "Lima \\u202eetroN"] {
        let (status, body) = read(
            app.request(Method::POST, "/dres", Some(&admin))
                .header("content-type", "application/json")
                .body(format!(r#"{{"code": "DRE-R", "name": "{name}"}}"#))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&body), "control_characters");
    }
    let (status, body) = app.get("/schools?q=04%0012", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = read(app.login_response("admin\u{0}", "x\u{0}").await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = read(
        app.request(Method::POST, "/auth/password-reset", None)
            .json(&json!({"username": "a\u{0}"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A method the route does not take, and a multipart route given JSON: the JSON error shape.
    let (status, body) = read(
        app.request(Method::DELETE, "/schools", Some(&admin))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(code(&body), "method_not_allowed");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("método")
    );
    let (status, body) = app
        .post("/provisioning/requests", &admin, json!({"kind": "alta"}))
        .await;
    assert!(status.is_client_error(), "{status}");
    assert!(body["error"]["code"].is_string(), "{body}");

    // A JSON value followed by more: not one document, and nothing is written.
    let (status, body) = read(
        app.request(Method::POST, "/dres", Some(&admin))
            .header("content-type", "application/json")
            .body(r#"{"code": "DRE-Z", "name": "Lima Sur"} {"code": "DRE-W"}"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(code(&body), "invalid_body", "{body}");
    let (_, dres) = app.get("/dres", &admin).await;
    assert!(!dres.to_string().contains("DRE-Z"), "{dres}");

    // A body over the limit (2 MiB): 413 in the same shape.
    let name = "x".repeat(3 * 1024 * 1024);
    let (status, body) = app
        .post("/dres", &admin, json!({"code": "DRE-Y", "name": name}))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&body), "payload_too_large", "{body}");
}

#[tokio::test]
async fn a_mark_whose_note_holds_a_nul_is_rejected_alone() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let at = "2026-01-01T08:00:00-05:00";
    let mut bad = tests::mark(&c.section_id, &c.students[0], day, "falta_justificada", at);
    bad["note"] = Value::from("cita médica\u{0}");
    let good = tests::mark(&c.section_id, &c.students[1], day, "asistio", at);
    let body = tests::batch(c.device, vec![bad, good]);
    for _ in 0..2 {
        let (status, answer) = app.push_answer(&c.token, &body).await;
        assert_eq!(status, StatusCode::OK, "{answer:?}");
        assert_eq!(answer.results[0].outcome, Outcome::Rejected);
        assert_eq!(answer.results[0].code, Some(RejectionCode::InvalidNote));
        assert_eq!(answer.results[1].outcome, Outcome::Accepted);
    }
}

#[tokio::test]
async fn answers_say_nosniff_and_personal_data_is_not_cached() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let response = app
        .request(
            Method::GET,
            &format!("/schools/{school}/sections"),
            Some(&director),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn the_export_is_safe_to_open_in_a_spreadsheet() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    let school = app.school_id(&admin, demo::PRIMARIA).await;
    app.db
        .execute_unprepared(&format!(
            "UPDATE school SET name = '=HYPERLINK(\"http://x\")' WHERE id = {school}"
        ))
        .await
        .unwrap();
    let today = tests::lima_today();
    let query = format!(
        "school_id={school}&year={}&month={}&bom=1",
        chrono::Datelike::year(&today),
        chrono::Datelike::month(&today)
    );
    let response = app
        .request(
            Method::GET,
            &format!("/exports/attendance?{query}"),
            Some(&admin),
        )
        .send()
        .await
        .unwrap();
    let bytes = response.bytes().await.unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBFdocumento,"),
        "a BOM before the header"
    );
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(!text.contains(",=HYPERLINK") && !text.contains(",\"=HYPERLINK"));
}

#[tokio::test]
async fn the_openapi_document_declares_its_parameters_where_they_are_and_types_the_tablet_bodies() {
    let app = spawn_app().await;
    let doc = app.openapi().await;
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        let in_template: std::collections::BTreeSet<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|p| p.split('}').next())
            .collect();
        for (method, operation) in operations.as_object().unwrap() {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let declared: std::collections::BTreeSet<&str> = parameters
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            assert_eq!(declared, in_template, "{method} {path}: path parameters");
            checked += 1;
        }
    }
    assert!(checked > 60, "{checked} operations");
    let registers = &doc["paths"]["/api/v1/registers"]["get"]["parameters"];
    assert!(
        registers
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "month" && p["in"] == "query"),
        "{registers}"
    );
    let push = &doc["paths"]["/api/v1/sync/push"]["post"];
    assert_eq!(
        push["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/PushRequest"
    );
    assert!(doc["components"]["schemas"]["Mark"]["properties"]["note"].is_object());
    // The errors every route shares are declared, in the one error shape.
    for (path, method) in [
        ("/api/v1/schools/{id}", "get"),
        ("/api/v1/sync/push", "post"),
    ] {
        let responses = &doc["paths"][path][method]["responses"];
        for status in ["400", "401", "403", "404", "422", "503"] {
            assert!(responses[status].is_object(), "{method} {path} {status}");
        }
        assert_eq!(
            responses["503"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
    }
    assert!(
        doc["paths"]["/api/v1/auth/login"]["post"]["responses"]["401"]["description"]
            .as_str()
            .unwrap()
            .contains("invalid_credentials")
    );
    let pull = &doc["paths"]["/api/v1/sync/pull"]["get"]["responses"]["200"];
    assert_eq!(
        pull["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/PullResponse"
    );
}
