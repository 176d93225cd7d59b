//! Nobody is left uninformed: the help desk's people get an e-mail when a ticket reaches their
//! stage, when its requester answers or reopens it, and when a ticket nobody has breaches its
//! SLA; whoever resolved a ticket may draft an article from it.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, smtp::Received, spawn_app};

use tests::helpdesk::lima;

/// The e-mails delivered so far to `to` about the ticket `number`, decoded.
async fn mails_about(app: &TestApp, to: &str, number: &str) -> Vec<Received> {
    app.deliver_mail().await;
    app.delivered()
        .into_iter()
        .filter(|raw| raw.lines().any(|l| l.starts_with("To: ") && l.contains(to)))
        .map(|raw| Received::from_raw(raw.into_bytes()))
        .filter(|m| m.subject().contains(number))
        .collect()
}

/// The one e-mail to `to` about `number` whose subject says `what`.
async fn the_mail(app: &TestApp, to: &str, number: &str, what: &str) -> Received {
    let found: Vec<Received> = mails_about(app, to, number)
        .await
        .into_iter()
        .filter(|m| m.subject().contains(what))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{to}: «{what}» about {number}: {:?}",
        found.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    found.into_iter().next().unwrap()
}

fn number_of(ticket: &Value) -> String {
    ticket["number"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_escalation_e_mails_the_people_of_the_stage_it_reaches() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let dre = app.login_as("dre.demo").await;
    let ticket = app.file_ticket_ok(&director, &[]).await;
    let (id, number) = (ticket["id"].as_i64().unwrap(), number_of(&ticket));

    app.ticket_step(&agent, id, "take", json!({})).await;
    app.ticket_step(
        &agent,
        id,
        "escalate",
        json!({"reason": "La estudiante figura en otra IE de la UGEL"}),
    )
    .await;
    let mail = the_mail(
        &app,
        "ugel.demo@siagie.local",
        &number,
        "Ticket derivado a su nivel",
    )
    .await;
    let text = mail.text();
    assert!(
        text.contains("La estudiante figura en otra IE de la UGEL"),
        "{text}"
    );
    assert!(text.contains("N2 — Especialista SIAGIE UGEL"), "{text}");
    assert!(text.contains("No puedo registrar el traslado"), "{text}");
    // Only the stage it reached: neither the DRE nor the other agent of N1 yet.
    assert!(
        mails_about(&app, "dre.demo@siagie.local", &number)
            .await
            .is_empty()
    );
    assert!(
        mails_about(&app, "agente2.demo@siagie.local", &number)
            .await
            .is_empty()
    );

    app.ticket_step(&ugel, id, "take", json!({})).await;
    app.ticket_step(&ugel, id, "escalate", json!({"reason": "Lo decide la DRE"}))
        .await;
    the_mail(
        &app,
        "dre.demo@siagie.local",
        &number,
        "Ticket derivado a su nivel",
    )
    .await;
    app.ticket_step(
        &dre,
        id,
        "escalate",
        json!({"reason": "Corrección en MINEDU"}),
    )
    .await;
    the_mail(
        &app,
        "especialista.demo@siagie.local",
        &number,
        "Ticket derivado a su nivel",
    )
    .await;

    // Returned from N3, the DRE's stage is told again: nobody there has it.
    let minedu = app.login_as("especialista.demo").await;
    app.ticket_step(
        &minedu,
        id,
        "return",
        json!({"reason": "Falta la resolución de la UGEL"}),
    )
    .await;
    let back = the_mail(
        &app,
        "dre.demo@siagie.local",
        &number,
        "Ticket devuelto a su nivel",
    )
    .await;
    assert!(back.text().contains("Falta la resolución de la UGEL"));
    // The requester gets none of these: the reasons are the help desk's.
    let requester = mails_about(&app, "ie16471@siagie.local", &number).await;
    assert!(
        requester
            .iter()
            .all(|m| !m.text().contains("Falta la resolución")),
        "{:?}",
        requester.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_requesters_reply_or_reopening_e_mails_the_assignee_or_else_the_stage() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;

    // Assigned: the assignee hears the answer to its question, and the reopening.
    let ticket = app.file_ticket_ok(&director, &[]).await;
    let (id, number) = (ticket["id"].as_i64().unwrap(), number_of(&ticket));
    app.ticket_step(&agent, id, "take", json!({})).await;
    app.ticket_step(
        &agent,
        id,
        "wait",
        json!({"reason": "¿Cuál es el código de la estudiante?"}),
    )
    .await;
    app.ticket_step(
        &director,
        id,
        "messages",
        json!({"body": "Es el 12345678901234."}),
    )
    .await;
    let reply = the_mail(
        &app,
        "agente.demo@siagie.local",
        &number,
        "El usuario respondió",
    )
    .await;
    assert!(
        reply.text().contains("Es el 12345678901234."),
        "{}",
        reply.text()
    );
    assert!(
        mails_about(&app, "agente2.demo@siagie.local", &number)
            .await
            .is_empty()
    );
    app.ticket_step(
        &agent,
        id,
        "resolve",
        json!({"resolution": "Se corrigió el código."}),
    )
    .await;
    app.ticket_step(
        &director,
        id,
        "reopen",
        json!({"reason": "Sigue sin aparecer en la nómina."}),
    )
    .await;
    let reopened = the_mail(
        &app,
        "agente.demo@siagie.local",
        &number,
        "El usuario reabrió el ticket",
    )
    .await;
    assert!(reopened.text().contains("Sigue sin aparecer en la nómina."));

    // Unassigned, at the UGEL's stage: its specialist hears the requester.
    let ticket = app.file_ticket_ok(&director, &[]).await;
    let (id, number) = (ticket["id"].as_i64().unwrap(), number_of(&ticket));
    app.ticket_step(
        &agent,
        id,
        "escalate",
        json!({"reason": "Datos de la UGEL"}),
    )
    .await;
    app.ticket_step(
        &director,
        id,
        "messages",
        json!({"body": "Adjunto más datos del caso."}),
    )
    .await;
    the_mail(
        &app,
        "ugel.demo@siagie.local",
        &number,
        "El usuario respondió",
    )
    .await;
    assert!(
        mails_about(&app, "agente.demo@siagie.local", &number)
            .await
            .is_empty(),
        "N1 no longer has it"
    );
}

#[tokio::test]
async fn a_breach_of_a_ticket_nobody_has_is_told_to_its_stage() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;
    let ticket = app.file_ticket_ok(&director, &[]).await;
    let (id, number) = (ticket["id"].as_i64().unwrap(), number_of(&ticket));
    app.ticket_step(
        &agent,
        id,
        "escalate",
        json!({"reason": "Datos de la UGEL"}),
    )
    .await;

    // Filed and escalated "on Friday 4 December 2026 at 09:00", Lima; nobody at the UGEL took it.
    let filed = lima(2026, 12, 4, 9);
    {
        use entity::{helpdesk_event, helpdesk_ticket};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        helpdesk_ticket::Entity::update_many()
            .col_expr(helpdesk_ticket::Column::CreatedAt, Expr::value(filed))
            .col_expr(helpdesk_ticket::Column::LevelSince, Expr::value(filed))
            .filter(helpdesk_ticket::Column::Id.eq(id))
            .exec(&app.db)
            .await
            .unwrap();
        helpdesk_event::Entity::update_many()
            .col_expr(helpdesk_event::Column::At, Expr::value(filed))
            .filter(helpdesk_event::Column::TicketId.eq(id))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let config = app.config.helpdesk.clone();
    for hour in [10, 11] {
        siagie::helpdesk::sla_job::run(
            &app.db,
            &config,
            siagie::helpdesk::links::Links::new(&app.address),
            lima(2026, 12, 7, hour),
        )
        .await
        .unwrap();
    }
    let mail = the_mail(&app, "ugel.demo@siagie.local", &number, "Plazo vencido").await;
    let text = mail.text();
    assert!(text.contains("Nadie tiene asignado este ticket"), "{text}");
    assert!(text.contains("N2 — Especialista SIAGIE UGEL"), "{text}");
    assert!(
        mails_about(&app, "agente.demo@siagie.local", &number)
            .await
            .iter()
            .all(|m| !m.subject().contains("Plazo")),
        "N1 is not its stage any more"
    );
}

#[tokio::test]
async fn whoever_resolved_a_ticket_drafts_its_article_and_the_central_publishes_it() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let dre = app.login_as("dre.demo").await;
    let ticket = app.file_ticket_ok(&director, &[]).await;
    let id = ticket["id"].as_i64().unwrap();
    app.ticket_step(
        &agent,
        id,
        "escalate",
        json!({"reason": "Datos de la UGEL"}),
    )
    .await;
    app.ticket_step(&ugel, id, "take", json!({})).await;
    app.ticket_step(
        &ugel,
        id,
        "resolve",
        json!({"resolution": "Se registró el traslado desde la nómina de la IE de destino."}),
    )
    .await;

    let (status, body) = app
        .post(&format!("/helpdesk/tickets/{id}/article"), &dre, json!({}))
        .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "only whoever resolved it: {status} {body}"
    );
    let (status, article) = app
        .post(&format!("/helpdesk/tickets/{id}/article"), &ugel, json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{article}");
    assert_eq!(article["state"], "borrador");
    let path = format!("/helpdesk/articles/{}", article["id"]);
    let (status, _) = app.patch(&path, &ugel, json!({"state": "publicado"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "publishing is the Central's");
    let (status, published) = app
        .patch(&path, &agent, json!({"state": "publicado"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");
}
