//! Snapshots of what people and clients receive, so that a change to any of it shows in review as
//! a diff of `tests/tests/api/snapshots/`: the API's operations as the OpenAPI document describes
//! them, the e-mails of an acta's exceptional modification, and the text of an acta's and a
//! certificate's PDF. A change that is meant is accepted by running the test with
//! `INSTA_UPDATE=always` and reviewing the new snapshot.

use chrono::Datelike;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, demo, lima_today, read, spawn_app};

/// Dates, times, codes and links that change from run to run, replaced by their kind.
const CHANGING: [(&str, &str); 5] = [
    (r"\b\d{2}/\d{2}/\d{4}( \d{2}:\d{2})?", "[fecha]"),
    (r"\b\d{4}-\d{2}-\d{2}([T ][0-9:.+\-Z]+)?", "[fecha]"),
    (r"https?://[^\s)>\]]+", "[enlace]"),
    (
        r"\b[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2,}\b",
        "[código]",
    ),
    (r"[ \t]+\n", "\n"),
];

/// Asserts a snapshot with [`CHANGING`] redacted.
fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    for (pattern, replacement) in CHANGING {
        settings.add_filter(pattern, replacement);
    }
    settings.bind(|| insta::assert_snapshot!(name, text.replace("\r\n", "\n")));
}

#[tokio::test]
async fn the_operations_of_the_api_as_its_document_describes_them() {
    let app = spawn_app().await;
    let (status, doc) = read(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let schema = |node: &Value| {
        node["content"]
            .as_object()
            .and_then(|c| c.iter().next())
            .map(|(media, s)| {
                let name = s["schema"]["$ref"]
                    .as_str()
                    .map(|r| r.rsplit('/').next().unwrap_or(r).to_owned())
                    .unwrap_or_else(|| s["schema"]["type"].to_string());
                format!("{media} {name}")
            })
            .unwrap_or_else(|| "—".into())
    };
    let mut lines = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let ok: Vec<String> = responses
                .iter()
                .filter(|(code, _)| code.starts_with('2'))
                .map(|(code, r)| format!("{code} {}", schema(r)))
                .collect();
            let errors: Vec<&str> = responses
                .keys()
                .filter(|c| !c.starts_with('2'))
                .map(String::as_str)
                .collect();
            let links: Vec<&str> = responses
                .values()
                .filter_map(|r| r["links"].as_object())
                .flat_map(|l| l.keys().map(String::as_str))
                .collect();
            lines.push(format!(
                "{} {path}\n  body: {}\n  ok: {}\n  errors: {}{}",
                method.to_uppercase(),
                operation.get("requestBody").map_or("—".into(), schema),
                ok.join("; "),
                errors.join(" "),
                if links.is_empty() {
                    String::new()
                } else {
                    format!("\n  next: {}", links.join(", "))
                }
            ));
        }
    }
    snapshot("openapi_operations", &lines.join("\n"));
}

#[tokio::test]
async fn the_e_mails_of_an_acta_modification() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let year = lima_today().year();
    let (_, past) = app
        .get(
            &format!("/schools/{school}/sections?year={}", year - 1),
            &director,
        )
        .await;
    let past = past[0]["id"].as_i64().expect("a section of last year");
    let (status, request) = app
        .post(
            &format!("/sections/{past}/acta/modifications"),
            &director,
            json!({"reason": "Una calificación de Comunicación mal digitada"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_i64().unwrap();
    let nivel = app.login_as("nivel.demo").await;
    let (status, body) = app
        .post(
            &format!("/acta-modifications/{id}/opinion"),
            &nivel,
            json!({"favorable": true, "note": "Procede: error de digitación."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ugel = app.login_as("ugel.demo").await;
    let (status, body) = app
        .post(
            &format!("/acta-modifications/{id}/enable"),
            &ugel,
            json!({"until": tests::now() + chrono::Duration::days(3)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.deliver_mail().await;
    let mut mails: Vec<String> = app
        .delivered()
        .into_iter()
        .filter(|raw| raw.contains("acta_modification") || raw.contains("acta"))
        .map(|raw| {
            let mail = tests::smtp::Received::from_raw(raw.clone().into_bytes());
            let to = raw
                .lines()
                .find(|l| l.starts_with("To: "))
                .unwrap_or("To: ?")
                .to_owned();
            format!("{to}\nAsunto: {}\n\n{}", mail.subject(), mail.text())
        })
        .filter(|m| m.contains("modificación"))
        .collect();
    mails.sort();
    assert!(mails.len() >= 3, "{mails:#?}");
    snapshot("acta_modification_emails", &mails.join("\n\n----\n\n"));
}

async fn pdf(app: &TestApp, path: &str, token: &str) -> Vec<u8> {
    let response = app
        .request(Method::GET, path, Some(token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn the_text_of_an_acta_and_a_certificate() {
    let app = spawn_app().await;
    let director = app.login_as("secundaria.demo").await;
    let school = app.school_id(&director, demo::BOLOGNESI).await;
    let (_, sections) = app
        .get(&format!("/schools/{school}/sections?year=2020"), &director)
        .await;
    let fifth = sections[0]["id"].as_i64().unwrap();
    let acta = pdf(&app, &format!("/sections/{fifth}/acta/pdf"), &director).await;
    let Some(acta) = tests::pdf_text(&acta) else {
        // pdftotext (poppler-utils) is missing on this machine; CI installs it.
        assert!(std::env::var("CI").is_err(), "pdftotext is required in CI");
        return;
    };
    snapshot("acta_pdf_text", &acta);

    let (_, rows) = app
        .get(
            &format!("/certificates/section-status?section_id={fifth}"),
            &director,
        )
        .await;
    let student = rows[0]["student_id"].clone();
    let (status, result) = app
        .post(
            "/certificates/batch",
            &director,
            json!({"section_id": fifth, "student_ids": [student]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    let id = result["issued"][0]["id"].as_i64().unwrap();
    let certificate = pdf(&app, &format!("/certificates/{id}/pdf"), &director).await;
    let code = result["issued"][0]["virtual_code"].as_str().unwrap();
    let text = tests::pdf_text(&certificate).unwrap();
    snapshot(
        "certificate_pdf_text",
        &text.replace(code, "[código virtual]"),
    );
}
