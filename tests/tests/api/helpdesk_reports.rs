//! The help desk's reports as a spreadsheet opens them: a byte order mark on request (as the
//! attendance export), Spanish column names and states, percentages with one decimal.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, code, spawn_app};

const BOM: &[u8] = b"\xEF\xBB\xBF";

async fn bytes(app: &TestApp, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let response = app
        .request(Method::GET, path, Some(token))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.bytes().await.unwrap().to_vec())
}

/// Whether a figure has at most one decimal.
fn one_decimal(value: &Value) -> bool {
    value
        .as_f64()
        .is_none_or(|v| ((v * 10.0).round() - v * 10.0).abs() < 1e-9)
}

#[tokio::test]
async fn the_csv_reports_start_with_a_bom_when_asked_and_name_their_columns_in_spanish() {
    let app = spawn_app().await;
    let agent = app.login_as("agente.demo").await;

    let (status, plain) = bytes(&app, &agent, "/helpdesk/reports/backlog?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!plain.starts_with(BOM));
    let (status, with_bom) =
        bytes(&app, &agent, "/helpdesk/reports/backlog?format=csv&bom=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(with_bom.starts_with(BOM), "{:?}", &with_bom[..8]);
    assert_eq!(
        &with_bom[BOM.len()..],
        &plain[..],
        "the same file after the mark"
    );
    let text = String::from_utf8(plain).unwrap();
    assert!(
        text.starts_with("Nivel,Estado,Tema,UGEL,Tickets abiertos\n"),
        "{text}"
    );
    assert!(
        text.contains(",Nuevo,") || text.contains(",En atención,"),
        "{text}"
    );
    assert!(
        !text.contains("en_atencion"),
        "states as people read them: {text}"
    );

    let (status, summary) = bytes(&app, &agent, "/helpdesk/reports/summary?format=csv&bom=1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(summary.starts_with(BOM));
    let text = String::from_utf8(summary[BOM.len()..].to_vec()).unwrap();
    assert!(text.starts_with("Indicador,Valor\n"), "{text}");
    assert!(
        text.contains("Cumplimiento del SLA de primera respuesta en N1 (%),"),
        "{text}"
    );
    assert!(!text.contains("first_response"), "{text}");

    // Only 0 or 1.
    for path in [
        "/helpdesk/reports/backlog?format=csv&bom=2",
        "/helpdesk/reports/summary?format=csv&bom=si",
    ] {
        let (status, body) = app.get(path, &agent).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(
            ["invalid_query", "invalid_body"].contains(&code(&body)),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn the_summarys_percentages_and_average_have_one_decimal_in_json_and_csv() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;

    // Three tickets resolved and rated 5, 4 and 4; one of them reopened: a third of them.
    let mut ids = Vec::new();
    for score in [5, 4, 4] {
        let id = app.file_ticket_ok(&director, &[]).await["id"]
            .as_i64()
            .unwrap();
        app.ticket_step(&agent, id, "take", json!({})).await;
        app.ticket_step(
            &agent,
            id,
            "resolve",
            json!({"resolution": "Se corrigió la matrícula."}),
        )
        .await;
        app.ticket_step(&director, id, "rating", json!({"score": score}))
            .await;
        ids.push(id);
    }
    app.ticket_step(
        &director,
        ids[0],
        "reopen",
        json!({"reason": "Sigue el error."}),
    )
    .await;
    // Filed in a month of their own, so that they are the only ones the report counts.
    let day = chrono::DateTime::parse_from_rfc3339("2020-03-03T10:00:00-05:00")
        .unwrap()
        .to_utc();
    {
        use entity::helpdesk_ticket;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        helpdesk_ticket::Entity::update_many()
            .col_expr(helpdesk_ticket::Column::CreatedAt, Expr::value(day))
            .filter(helpdesk_ticket::Column::Id.is_in(ids.clone()))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let period = "from=2020-03-01&to=2020-03-31";
    let (status, summary) = app
        .get(&format!("/helpdesk/reports/summary?{period}"), &agent)
        .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["tickets"], 3, "{summary}");
    assert_eq!(summary["reopen_rate"], 33.3, "{summary}");
    assert_eq!(summary["average_rating"], 4.3, "{summary}");
    for c in summary["sla"].as_array().unwrap() {
        assert!(one_decimal(&c["percent"]), "{c}");
    }

    let (status, csv) = bytes(
        &app,
        &agent,
        &format!("/helpdesk/reports/summary?{period}&format=csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains("Tasa de reapertura (%),33.3\n"), "{text}");
    assert!(
        text.contains("Satisfacción promedio (1 a 5),4.3\n"),
        "{text}"
    );
    assert!(text.contains("Calificaciones de 4,2\n"), "{text}");
}
