//! What the help desk must not let out: similar tickets beyond the caller's reach, and personal
//! data (DNI, phone numbers, e-mail addresses) copied from a ticket into the knowledge base.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, spawn_app};

/// The ids of a ticket's similar tickets, as the caller sees them.
async fn similar_ids(app: &TestApp, token: &str, id: i64) -> Vec<i64> {
    let (status, similar) = app
        .get(&format!("/helpdesk/tickets/{id}/similar"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{similar}");
    similar
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

const DUPLICATED: &str =
    "No puedo matricular al estudiante con DNI 45678912: figura matriculado en otra IE.";

#[tokio::test]
async fn similar_tickets_list_only_tickets_the_caller_may_open() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let jaen = app.login_as("jaen.demo").await;
    let agent = app.login_as("agente.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let dre = app.login_as("dre.demo").await;
    let minedu = app.login_as("especialista.demo").await;

    // Three tickets alike: two of San Ignacio (one escalated to its UGEL, one still at N1) and
    // one of Jaén, escalated to the DRE (Jaén's UGEL has no specialist).
    let same = [
        ("error_code", "enrolled_elsewhere"),
        ("comment", DUPLICATED),
    ];
    let escalated = app.file_ticket_ok(&director, &same).await["id"]
        .as_i64()
        .unwrap();
    let at_n1 = app.file_ticket_ok(&director, &same).await["id"]
        .as_i64()
        .unwrap();
    let jaen_changes = [same[0], same[1], ("email", "ie16003@siagie.local")];
    let other_ugel = app.file_ticket_ok(&jaen, &jaen_changes).await["id"]
        .as_i64()
        .unwrap();
    for id in [escalated, other_ugel] {
        app.ticket_step(
            &agent,
            id,
            "escalate",
            json!({"reason": "Matrícula en otra IE"}),
        )
        .await;
    }

    // The Central de Atención reaches them all: they are alike.
    let all = similar_ids(&app, &agent, escalated).await;
    assert!(all.contains(&at_n1) && all.contains(&other_ugel), "{all:?}");

    // San Ignacio's UGEL: neither the ticket still at N1 nor Jaén's.
    let seen = similar_ids(&app, &ugel, escalated).await;
    assert!(
        !seen.contains(&at_n1),
        "a ticket that never reached the UGEL: {seen:?}"
    );
    assert!(
        !seen.contains(&other_ugel),
        "another UGEL's ticket: {seen:?}"
    );
    // The DRE: Jaén's ticket reached it; San Ignacio's stayed at its UGEL and N1.
    let seen = similar_ids(&app, &dre, other_ugel).await;
    assert!(
        !seen.contains(&escalated) && !seen.contains(&at_n1),
        "{seen:?}"
    );

    // Across the demo world's tickets too: whatever a specialist is shown, it may open.
    for token in [&ugel, &dre, &minedu] {
        let (_, queue) = app.get("/helpdesk/tickets?limit=200", token).await;
        for ticket in queue["items"].as_array().unwrap() {
            let id = ticket["id"].as_i64().unwrap();
            for other in similar_ids(&app, token, id).await {
                let (status, body) = app.get(&format!("/helpdesk/tickets/{other}"), token).await;
                assert_eq!(status, StatusCode::OK, "similar to {id}: {other} {body}");
            }
        }
    }
}

/// A ticket resolved by the Central de Atención, with personal data in its comment and its
/// resolution.
async fn resolved_with_personal_data(app: &TestApp, agent: &str) -> (i64, Value) {
    let director = app.login_as("director.demo").await;
    let ticket = app.file_ticket_ok(&director,
        &[(
            "comment",
            "El alumno con DNI 45678912 no aparece en la nómina. Llámeme al 987 654 321 o al (076) 36-1234, o escriba a maria.quispe@gmail.com.",
        )],
    )
    .await;
    let id = ticket["id"].as_i64().unwrap();
    app.ticket_step(agent, id, "take", json!({})).await;
    let resolved = app.ticket_step(agent,
        id,
        "resolve",
        json!({"resolution": "Se corrigió la matrícula del DNI 45678912; se avisó a la directora al 976543210 y a director.ie@hotmail.com."}),
    )
    .await;
    (id, resolved)
}

#[tokio::test]
async fn an_article_drawn_from_a_ticket_replaces_personal_data_with_placeholders_and_lists_them() {
    let app = spawn_app().await;
    let agent = app.login_as("agente.demo").await;
    let (id, _) = resolved_with_personal_data(&app, &agent).await;

    let (status, article) = app
        .post(
            &format!("/helpdesk/tickets/{id}/article"),
            &agent,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{article}");
    let text = format!(
        "{} {} {}",
        article["title"], article["problem"], article["solution"]
    );
    for personal in [
        "45678912",
        "987 654 321",
        "36-1234",
        "976543210",
        "maria.quispe@gmail.com",
        "director.ie@hotmail.com",
    ] {
        assert!(!text.contains(personal), "{personal} copied: {text}");
    }
    assert!(
        article["problem"]
            .as_str()
            .unwrap()
            .contains("El alumno con DNI [DNI] no aparece en la nómina. Llámeme al [teléfono] o al [teléfono], o escriba a [correo]."),
        "{article}"
    );
    assert!(article["solution"].as_str().unwrap().contains("[DNI]"));
    // The answer says what was taken out, field by field, without repeating it.
    let removed = article["removed"].as_array().expect("what was removed");
    let count = |field: &str, kind: &str| {
        removed
            .iter()
            .find(|r| r["field"] == field && r["kind"] == kind)
            .and_then(|r| r["count"].as_i64())
            .unwrap_or(0)
    };
    assert_eq!(
        (
            count("problem", "dni"),
            count("problem", "telefono"),
            count("problem", "correo")
        ),
        (1, 2, 1),
        "{removed:?}"
    );
    assert_eq!(
        (
            count("solution", "dni"),
            count("solution", "telefono"),
            count("solution", "correo")
        ),
        (1, 1, 1),
        "{removed:?}"
    );
    assert!(!article["removed"].to_string().contains("45678912"));

    // Published as drafted, nobody finds it by the DNI.
    let article_id = article["id"].as_i64().unwrap();
    let (status, published) = app
        .patch(
            &format!("/helpdesk/articles/{article_id}"),
            &agent,
            json!({"state": "publicado"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    let docente = app.login_as("docente.demo").await;
    let (_, hits) = app.get("/helpdesk/articles?q=45678912", &docente).await;
    assert!(
        !hits
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == article_id),
        "{hits}"
    );
}

#[tokio::test]
async fn an_article_holding_a_dni_phone_or_e_mail_is_refused_naming_the_field() {
    let app = spawn_app().await;
    let agent = app.login_as("agente.demo").await;
    let article = |problem: &str, solution: &str| json!({"title": "Matrícula observada", "problem": problem, "solution": solution, "topic": "matricula"});
    for (problem, solution, field, what) in [
        (
            "Estudiante 45678912 observado.",
            "Regularice la matrícula.",
            "problem",
            "DNI",
        ),
        (
            "Matrícula observada.",
            "Llame al +51 987-654-321.",
            "solution",
            "teléfono",
        ),
        (
            "Matrícula observada.",
            "Llame al (01) 615-5800.",
            "solution",
            "teléfono",
        ),
        (
            "Escriba a soporte.ie@gmail.com.",
            "Regularice la matrícula.",
            "problem",
            "correo",
        ),
    ] {
        let (status, body) = app
            .post("/helpdesk/articles", &agent, article(problem, solution))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{problem} {solution}: {body}"
        );
        assert_eq!(tests::code(&body), "personal_data_in_article", "{body}");
        let message = body["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(message.contains(what), "{field}: {body}");
    }

    // Text without personal data goes in: a código modular, a ticket number, a year, a date.
    let clean = article(
        "La IE 0412345 no ve el ticket ISOS-2026-000123 desde el 16/06/2027.",
        "Revise la RD 0123-2026 y vuelva a cargar la nómina del año 2027.",
    );
    let (status, created) = app.post("/helpdesk/articles", &agent, clean).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();

    // Changing it or publishing it checks again what the article would hold.
    let (status, body) = app
        .patch(
            &format!("/helpdesk/articles/{id}"),
            &agent,
            json!({"solution": "Escriba a jperez@minedu.gob.pe o llame al 945123456.", "state": "publicado"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(tests::code(&body), "personal_data_in_article", "{body}");
    let message = body["error"]["fields"]["solution"].as_str().unwrap();
    assert!(
        message.contains("correo") && message.contains("teléfono"),
        "{body}"
    );
    let (_, unchanged) = app.get(&format!("/helpdesk/articles/{id}"), &agent).await;
    assert_eq!(unchanged["state"], "borrador", "nothing was written");

    // A draft that holds a DNI already (written before this rule) is not published until cleaned.
    {
        use sea_orm::ConnectionTrait;
        app.db
            .execute_unprepared(&format!(
                "UPDATE helpdesk_article SET problem = 'Estudiante 45678912 observado.' WHERE id = {id}"
            ))
            .await
            .unwrap();
    }
    let (status, body) = app
        .patch(
            &format!("/helpdesk/articles/{id}"),
            &agent,
            json!({"state": "publicado"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["problem"].is_string(), "{body}");
    let (status, body) = app
        .patch(
            &format!("/helpdesk/articles/{id}"),
            &agent,
            json!({"problem": "Estudiante [DNI] observado.", "state": "publicado"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "publicado");
}
