//! The HTTP surface shared by every area: probes, OpenAPI, errors, compression, limits.

use std::io::Write;

use flate2::{Compression, write::GzEncoder};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use tests::{code, read, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_probes_answer_when_the_database_is_reachable() {
    let app = spawn_app().await;
    let (status, body) = read(
        app.client
            .get(app.url("/health/ready"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    let (status, _) = read(
        app.client
            .get(app.url("/health/live"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

/// A client that branches on an error code finds every code the server can answer, with its
/// status, in the OpenAPI document; and every rejection code of a tablet's mark.
#[tokio::test]
async fn every_error_code_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let doc = app.openapi().await;
    let listed = |schema: &str| -> Vec<String> {
        doc["components"]["schemas"][schema]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema} is not an enum in the document"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let codes = listed("ErrorCode");
    for code in siagie::error::ErrorCode::ALL {
        assert!(codes.contains(&code.as_str().to_owned()), "{code} missing");
    }
    assert_eq!(codes.len(), siagie::error::ErrorCode::ALL.len());
    let rejections = listed("RejectionCode");
    for code in [
        "student_not_enrolled",
        "section_not_assigned",
        "date_in_future",
        "outside_academic_year",
        "non_academic_day",
        "invalid_status",
        "recorded_at_in_future",
        "mark_id_reused",
    ] {
        assert!(rejections.contains(&code.to_owned()), "{code} missing");
    }
    assert_eq!(
        doc["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint_in_version_3_1() {
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
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/schools",
        "/api/v1/schools/{id}",
        "/api/v1/sections/{id}/students",
        "/api/v1/sections/{id}/roster",
        "/api/v1/academic-years/{year}/calendar",
        "/health/ready",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Two types of one name would share one schema: a certificate request is not a provisioning
    // request.
    let answer = |path: &str, method: &str, status: &str| {
        doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
            ["$ref"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_ne!(
        answer("/api/v1/certificate-requests", "post", "201"),
        answer("/api/v1/provisioning/requests", "post", "201")
    );
    // The key a retry repeats, described as the server reads it.
    let key = doc["paths"]["/api/v1/helpdesk/tickets"]["post"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .unwrap();
    assert_eq!(key["schema"]["minLength"], 8, "{key}");
    assert_eq!(key["schema"]["maxLength"], 255, "{key}");
}

/// Follows a chain of OpenAPI links from a write to the step `to`, checking that each link names
/// an operation of the document that takes the `id` it passes.
fn linked<'a>(doc: &'a Value, from: (&str, &str, &str), to: (&str, &str)) -> &'a Value {
    let links = doc["paths"][format!("/api/v1{}", from.0)][from.1]["responses"][from.2]["links"]
        .as_object()
        .unwrap_or_else(|| panic!("no links from {from:?}"));
    let reference = format!(
        "#/paths/{}/{}",
        format!("/api/v1{}", to.0).replace('/', "~1"),
        to.1
    );
    let link = links
        .values()
        .find(|l| l["operationRef"] == reference.as_str())
        .unwrap_or_else(|| panic!("{from:?} does not lead to {to:?}: {links:?}"));
    let target = doc
        .pointer(reference.trim_start_matches('#'))
        .unwrap_or_else(|| panic!("{reference} is not in the document"));
    assert!(
        target["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "id" && p["in"] == "path"),
        "{reference} takes no id"
    );
    assert!(link["parameters"]["id"].as_str().unwrap().starts_with('$'));
    target
}

#[tokio::test]
async fn the_openapi_document_links_each_create_to_the_steps_that_follow_it() {
    let app = spawn_app().await;
    let (_, doc) = read(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    // A ticket: filed, taken, escalated, resolved.
    linked(
        &doc,
        ("/helpdesk/tickets", "post", "201"),
        ("/helpdesk/tickets/{id}/take", "post"),
    );
    linked(
        &doc,
        ("/helpdesk/tickets/{id}/take", "post", "200"),
        ("/helpdesk/tickets/{id}/escalate", "post"),
    );
    linked(
        &doc,
        ("/helpdesk/tickets/{id}/escalate", "post", "200"),
        ("/helpdesk/tickets/{id}/resolve", "post"),
    );
    // A certificate request: issued, annulled.
    linked(
        &doc,
        ("/certificate-requests", "post", "201"),
        ("/certificate-requests/{id}/issue", "post"),
    );
    linked(
        &doc,
        ("/certificate-requests/{id}/issue", "post", "201"),
        ("/certificates/{id}/annul", "post"),
    );
    // A section: graded, closed, then its recuperación and modification.
    linked(
        &doc,
        ("/schools/{id}/sections", "post", "201"),
        ("/sections/{id}/acta/grades", "put"),
    );
    linked(
        &doc,
        ("/sections/{id}/acta/grades", "put", "200"),
        ("/sections/{id}/acta/close", "post"),
    );
    linked(
        &doc,
        ("/sections/{id}/acta/close", "post", "200"),
        ("/sections/{id}/acta/modifications", "post"),
    );
    linked(
        &doc,
        ("/sections/{id}/acta/modifications", "post", "201"),
        ("/acta-modifications/{id}/enable", "post"),
    );
}

#[tokio::test]
async fn the_documentation_page_loads_nothing_from_the_internet() {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "the page is Swagger UI");
    for line in html
        .lines()
        .filter(|l| l.contains("src=") || l.contains("href="))
    {
        assert!(
            !line.contains("http://") && !line.contains("https://"),
            "external asset: {line}"
        );
    }
    let init = app
        .client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), StatusCode::OK);
    assert!(init.text().await.unwrap().contains("/api/v1/openapi.json"));
}

#[tokio::test]
async fn an_unknown_route_answers_the_json_error_shape_in_spanish() {
    let app = spawn_app().await;
    let (status, body) = read(
        app.client
            .get(app.url("/api/v1/no-existe"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(code(&body), "not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("No se encontró")
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    let id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id header");
    assert_eq!(id.to_str().unwrap().len(), 36);
    let given = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "abc-123");
}

#[tokio::test]
async fn responses_are_compressed_when_the_client_accepts_gzip() {
    let app = spawn_app().await;
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let response = raw
        .get(app.url("/api/v1/openapi.json"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");

    // A small answer (a sign-in's tokens, a few hundred bytes) goes as it is: gzip would save
    // no round trip.
    let response = raw
        .post(app.url("/api/v1/auth/login"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .json(&serde_json::json!({"username": "docente.demo", "password": tests::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    let body = response.text().await.unwrap();
    assert!(body.len() > 200 && body.contains("access_token"), "{body}");
}

#[tokio::test]
async fn a_gzip_request_body_is_accepted() {
    let app = spawn_app().await;
    let body =
        serde_json::to_vec(&json!({"username": "director.demo", "password": tests::DEMO_PASSWORD}))
            .unwrap();
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(&body).unwrap();
    let response = app
        .request(Method::POST, "/auth/login", None)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_ENCODING, "gzip")
        .body(encoder.finish().unwrap())
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413_even_when_it_arrives_compressed() {
    let app = spawn_app_with(|c| c.server.body_limit_bytes = 64 * 1024).await;
    let padding = "x".repeat(200 * 1024);
    let body = serde_json::to_vec(&json!({"username": padding, "password": "x"})).unwrap();
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&body).unwrap();
    let compressed = encoder.finish().unwrap();
    assert!(
        compressed.len() < 64 * 1024,
        "the compressed body itself is small"
    );
    let response = app
        .request(Method::POST, "/auth/login", None)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_ENCODING, "gzip")
        .body(compressed)
        .send()
        .await
        .unwrap();
    // The refused body is not read: the connection ends, and the answer says so.
    assert_eq!(
        response
            .headers()
            .get(header::CONNECTION)
            .and_then(|v| v.to_str().ok()),
        Some("close")
    );
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&body), "payload_too_large");
}

#[tokio::test]
async fn an_unknown_query_parameter_is_a_400_naming_it_never_ignored() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    for path in [
        "/schools?q=huamantanga&orden=nombre",
        "/audit?school_id=1&desde=2027-01-01",
        "/provisioning/requests?estado=pending",
        "/regularizations?status=requested",
    ] {
        let (status, body) = app.get(path, &admin).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(code(&body), "unknown_query_parameter", "{path}: {body}");
        let unknown = path
            .split('&')
            .next_back()
            .unwrap()
            .split('=')
            .next()
            .unwrap();
        let unknown = unknown.rsplit('?').next().unwrap();
        assert!(body.to_string().contains(unknown), "{path}: {body}");
    }
    // The known ones still work (the tablets' pull keeps its contract as it is).
    let (status, _) = app.get("/schools?q=huamantanga", &admin).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_address_or_headers_too_large_are_refused_in_the_json_error_shape() {
    let app = spawn_app().await;
    let long = format!("/schools?q={}", "a".repeat(9 * 1024));
    let (status, body) = read(app.request(Method::GET, &long, None).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG, "{body}");
    assert_eq!(code(&body), "uri_too_long");

    let mut request = app.request(Method::GET, "/health/live", None);
    for n in 0..80 {
        request = request.header(format!("x-relleno-{n}"), "x");
    }
    let (status, body) = read(request.send().await.unwrap()).await;
    assert_eq!(
        status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "{body}"
    );
    assert_eq!(code(&body), "headers_too_large");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cabeceras")
    );

    let (status, body) = read(
        app.request(Method::GET, "/health/live", None)
            .header("x-relleno", "x".repeat(40 * 1024))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "{body}"
    );
}

#[tokio::test]
async fn malformed_json_names_the_failing_field_without_a_500() {
    let app = spawn_app().await;
    let send = |body: &'static str| {
        app.request(Method::POST, "/auth/login", None)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    let (status, body) = read(send("{not json").await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "invalid_body");

    let (status, body) = read(send(r#"{"username": "a"}"#).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "invalid_body");
    assert!(body["error"]["fields"]["password"].is_string(), "{body}");

    let (status, body) = read(
        send(r#"{"username": "a", "password": "b", "device_id": "no-uuid"}"#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["fields"]["device_id"].is_string(), "{body}");
    let _: Value = body;
}
