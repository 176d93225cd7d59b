//! The help desk's N2 in two stages — the Especialista SIAGIE of the requester's UGEL, then of its
//! DRE — with returns one step back, reach by stage and jurisdiction, an upgraded database's N2
//! tickets, and round-robin among the people who are available.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, code, spawn_app, spawn_app_on};

use tests::helpdesk::queue_has;

/// The stage a ticket is at: level and N2 unit.
fn stage(ticket: &Value) -> (i64, Option<&str>) {
    (
        ticket["level"].as_i64().unwrap(),
        ticket["n2_unit"].as_str(),
    )
}

async fn reason(app: &TestApp, token: &str, id: i64, action: &str, why: &str) -> Value {
    app.ticket_step(token, id, action, json!({ "reason": why }))
        .await
}

async fn user_id(app: &TestApp, token: &str) -> i64 {
    let (_, me) = app.get("/me", token).await;
    me["id"].as_i64().unwrap()
}

#[tokio::test]
async fn n2_is_the_ugel_specialist_then_the_dre_and_each_return_goes_back_one_step() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let dre = app.login_as("dre.demo").await;
    let minedu = app.login_as("especialista.demo").await;
    let ticket = app.file_ticket_ok(&director, &[]).await;
    let id = ticket["id"].as_i64().unwrap();
    let detail = format!("/helpdesk/tickets/{id}");

    // N1 escalates: the N2 queue of the requester's UGEL (San Ignacio), not the DRE's.
    app.ticket_step(&agent, id, "take", json!({})).await;
    let at_ugel = reason(
        &app,
        &agent,
        id,
        "escalate",
        "Revisar la matrícula en la UGEL",
    )
    .await;
    assert_eq!(stage(&at_ugel), (2, Some("ugel")), "{at_ugel}");
    assert_eq!(at_ugel["level_label"], "N2 — Especialista SIAGIE UGEL");
    let (_, queue) = app.get("/helpdesk/tickets?n2_unit=ugel", &ugel).await;
    assert!(queue_has(&queue, id), "{queue}");
    let (_, queue) = app.get("/helpdesk/tickets", &dre).await;
    assert!(!queue_has(&queue, id), "the DRE has not received it yet");
    let (status, _) = app.get(&detail, &dre).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.post(&format!("{detail}/take"), &dre, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The UGEL's specialist escalates to its DRE, with a reason.
    app.ticket_step(&ugel, id, "take", json!({})).await;
    let (status, body) = app
        .post(&format!("{detail}/escalate"), &ugel, json!({"reason": " "}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["reason"].is_string(), "{body}");
    let at_dre = reason(&app, &ugel, id, "escalate", "Requiere la opinión de la DRE").await;
    assert_eq!(stage(&at_dre), (2, Some("dre")), "{at_dre}");
    assert_eq!(at_dre["level_label"], "N2 — Especialista SIAGIE DRE");
    assert!(at_dre["assignee_id"].is_null());
    // The UGEL keeps reading what it worked, but no longer works it.
    let (status, seen) = app.get(&detail, &ugel).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(seen["can_work"], false);
    let (status, _) = app.post(&format!("{detail}/take"), &ugel, json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, queue) = app.get("/helpdesk/tickets?n2_unit=dre", &dre).await;
    assert!(queue_has(&queue, id), "{queue}");
    let (_, queue) = app.get("/helpdesk/tickets?n2_unit=ugel", &ugel).await;
    assert!(!queue_has(&queue, id), "no longer at the UGEL's stage");

    // The DRE returns it to the UGEL; the UGEL sends it up again; the DRE escalates to N3.
    app.ticket_step(&dre, id, "take", json!({})).await;
    let back = reason(&app, &dre, id, "return", "Falta el DNI del estudiante").await;
    assert_eq!(stage(&back), (2, Some("ugel")));
    assert_eq!(back["state"], "escalado");
    reason(&app, &ugel, id, "escalate", "DNI agregado").await;
    let at_n3 = reason(&app, &dre, id, "escalate", "Corrección en MINEDU").await;
    assert_eq!(stage(&at_n3), (3, None), "{at_n3}");

    // N3 returns to the N2 it came from (the DRE), the DRE to the UGEL, the UGEL to N1's owner.
    let back = reason(&app, &minedu, id, "return", "La DRE puede corregirlo").await;
    assert_eq!(stage(&back), (2, Some("dre")));
    let back = reason(&app, &dre, id, "return", "Lo corrige la UGEL").await;
    assert_eq!(stage(&back), (2, Some("ugel")));
    let back = reason(
        &app,
        &ugel,
        id,
        "return",
        "Corregido; confirme con el usuario",
    )
    .await;
    assert_eq!(stage(&back), (1, None));
    assert_eq!(back["state"], "en_atencion", "back to the N1 owner");
    assert_eq!(back["assignee_id"], back["owner_id"]);

    // Every step is in the log with the stage it left the ticket at.
    let stages: Vec<(String, i64, Option<String>)> = back["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "escalated" || e["kind"] == "returned")
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["level"].as_i64().unwrap(),
                e["n2_unit"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let s = |k: &str, l, u: Option<&str>| (k.to_owned(), l, u.map(str::to_owned));
    assert_eq!(
        stages,
        [
            s("escalated", 2, Some("ugel")),
            s("escalated", 2, Some("dre")),
            s("returned", 2, Some("ugel")),
            s("escalated", 2, Some("dre")),
            s("escalated", 3, None),
            s("returned", 2, Some("dre")),
            s("returned", 2, Some("ugel")),
            s("returned", 1, None),
        ]
    );
    // A wrong queue filter is a 400 with a Spanish message.
    let (status, body) = app.get("/helpdesk/tickets?n2_unit=region", &ugel).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
}

#[tokio::test]
async fn an_n2_specialist_reaches_only_its_unit_and_only_what_reached_its_stage() {
    let app = spawn_app().await;
    let agent = app.login_as("agente.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let dre = app.login_as("dre.demo").await;
    let minedu = app.login_as("especialista.demo").await;

    // Jaén's UGEL has no Especialista SIAGIE: its tickets go from N1 to the DRE's stage, and San
    // Ignacio's specialist never reaches them.
    let jaen = app.login_as("jaen.demo").await;
    let ticket = app
        .file_ticket_ok(&jaen, &[("email", "ie16003@siagie.local")])
        .await;
    let id = ticket["id"].as_i64().unwrap();
    let up = reason(&app, &agent, id, "escalate", "Datos de la IE").await;
    assert_eq!(stage(&up), (2, Some("dre")), "{up}");
    let (status, _) = app.get(&format!("/helpdesk/tickets/{id}"), &ugel).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, queue) = app.get("/helpdesk/tickets", &ugel).await;
    assert!(!queue_has(&queue, id));
    let (_, queue) = app.get("/helpdesk/tickets?n2_unit=dre", &dre).await;
    assert!(queue_has(&queue, id), "{queue}");
    // Returned from the DRE, it goes back where it came from: N1.
    let back = reason(&app, &dre, id, "return", "Es un problema de la IE").await;
    assert_eq!(stage(&back), (1, None));

    // Filed by someone with a DRE and no UGEL: from N1 to the DRE.
    let from_dre = app
        .file_ticket_ok(&dre, &[("email", "dre@siagie.local")])
        .await;
    let id = from_dre["id"].as_i64().unwrap();
    assert!(from_dre["ugel_id"].is_null() && from_dre["dre_id"].is_i64());
    let up = reason(&app, &agent, id, "escalate", "Consulta regional").await;
    assert_eq!(stage(&up), (2, Some("dre")));

    // Filed by someone with no unit at all: from N1 straight to N3, and back to N1.
    let agent2 = app.login_as("agente2.demo").await;
    let national = app
        .file_ticket_ok(&agent2, &[("email", "agente2@siagie.local")])
        .await;
    let id = national["id"].as_i64().unwrap();
    assert!(national["dre_id"].is_null());
    let up = reason(&app, &agent, id, "escalate", "Falla general").await;
    assert_eq!(stage(&up), (3, None), "{up}");
    let (_, queue) = app.get("/helpdesk/tickets?level=3", &minedu).await;
    assert!(queue_has(&queue, id));
    let (status, _) = app.get(&format!("/helpdesk/tickets/{id}"), &dre).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let back = reason(&app, &minedu, id, "return", "Se atiende en la Central").await;
    assert_eq!(stage(&back), (1, None));
}

#[tokio::test]
async fn round_robin_assigns_only_people_who_are_available() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;
    let agent2 = app.login_as("agente2.demo").await;
    let (me, me2) = (user_id(&app, &agent).await, user_id(&app, &agent2).await);

    let (status, mine) = app.get("/helpdesk/me/availability", &agent2).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["available"], true, "available until said otherwise");
    let assign = async |id: i64| {
        app.post(&format!("/helpdesk/tickets/{id}/assign"), &agent, json!({}))
            .await
    };
    let new = async || {
        app.file_ticket_ok(&director, &[]).await["id"]
            .as_i64()
            .unwrap()
    };

    // agente2 has nothing assigned: it is the least loaded.
    let (status, first) = assign(new().await).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["assignee_id"], me2);

    // Away, it is passed over.
    let (status, away) = app
        .put(
            "/helpdesk/me/availability",
            &agent2,
            json!({"available": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{away}");
    assert_eq!(away["available"], false);
    let (_, read) = app.get("/helpdesk/me/availability", &agent2).await;
    assert_eq!(read["available"], false);
    let (_, second) = assign(new().await).await;
    assert_eq!(second["assignee_id"], me);

    // Nobody available: a 409, and the ticket stays as it was.
    app.put(
        "/helpdesk/me/availability",
        &agent,
        json!({"available": false}),
    )
    .await;
    let id = new().await;
    let (status, body) = assign(id).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "no_agent_available"),
        "{body}"
    );
    let (_, still) = app.get(&format!("/helpdesk/tickets/{id}"), &agent).await;
    assert_eq!(still["state"], "nuevo");
    // An agent who is away still takes a ticket by hand, or names a person.
    app.ticket_step(&agent, id, "take", json!({})).await;

    // Back: assigned again.
    app.put(
        "/helpdesk/me/availability",
        &agent2,
        json!({"available": true}),
    )
    .await;
    let (_, third) = assign(new().await).await;
    assert_eq!(third["assignee_id"], me2);

    // A wrong body is a 422 naming the field; someone who works no tickets has no availability.
    let (status, body) = app
        .put("/helpdesk/me/availability", &agent2, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["available"].is_string(), "{body}");
    let (status, _) = app.get("/helpdesk/me/availability", &director).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .put(
            "/helpdesk/me/availability",
            &director,
            json!({"available": false}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The change is audited.
    let audited = app
        .scalar(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM audit_event \
             WHERE action = 'helpdesk_availability_changed' AND actor_user_id = {me2}"
        ))
        .await;
    assert_eq!(audited.as_deref(), Some("2"));
}

#[tokio::test]
async fn an_upgraded_database_keeps_its_n2_tickets_at_the_ugel_stage() {
    let app = spawn_app_on(
        |_| {},
        async |db| {
            use migration::MigratorTrait;
            use sea_orm::ConnectionTrait;
            // The demo world at the schema before the help desk, then the first help-desk schema
            // with one ticket escalated to the shared N2.
            migration::Migrator::up(db, Some(13))
                .await
                .expect("earlier schema");
            siagie::seed::demo::load_without_history(db, tests::lima_today())
                .await
                .expect("demo world");
            migration::Migrator::up(db, Some(1))
                .await
                .expect("the first help-desk schema");
            let at = tests::now() - chrono::Duration::hours(3);
            for sql in [
                "INSERT INTO helpdesk_ticket (number, requester_id, school_id, ugel_id, dre_id, \
                 codigo_modular, email, cell_phone, topic_id, comment, state, level, reached_level, \
                 impact, urgency, priority, created_at, updated_at, level_since) \
                 SELECT 'ISOS-2026-000900', u.id, s.id, s.ugel_id, g.dre_id, s.codigo_modular, \
                 'ie16471@siagie.local', '987654321', t.id, 'Consulta anterior a la actualización', \
                 'escalado', 2, 2, 'media', 'media', 3, $1, $1, $1 \
                 FROM user_account u, school s, ugel g, helpdesk_topic t \
                 WHERE u.username = 'director.demo' AND s.codigo_modular = '0412345' \
                 AND g.id = s.ugel_id AND t.code = 'otros'",
                "INSERT INTO helpdesk_event (ticket_id, at, actor_id, kind, from_state, to_state, level) \
                 SELECT id, $1, NULL, 'filed', NULL, 'nuevo', 1 FROM helpdesk_ticket",
                "INSERT INTO helpdesk_event (ticket_id, at, actor_id, kind, from_state, to_state, level) \
                 SELECT id, $1, NULL, 'escalated', 'nuevo', 'escalado', 2 FROM helpdesk_ticket",
            ] {
                db.execute_raw(sea_orm::Statement::from_sql_and_values(
                    db.get_database_backend(),
                    sql,
                    [at.into()],
                ))
                .await
                .expect("a ticket of the earlier schema");
            }
        },
    )
    .await;
    let ugel = app.login_as("ugel.demo").await;
    let (_, queue) = app.get("/helpdesk/tickets?n2_unit=ugel", &ugel).await;
    let item = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["number"] == "ISOS-2026-000900")
        .unwrap_or_else(|| panic!("the upgraded ticket in the UGEL's queue: {queue}"))
        .clone();
    let id = item["id"].as_i64().unwrap();
    assert_eq!(stage(&item), (2, Some("ugel")));
    let (status, ticket) = app.get(&format!("/helpdesk/tickets/{id}"), &ugel).await;
    assert_eq!(status, StatusCode::OK, "{ticket}");
    assert_eq!(ticket["can_work"], true);
    assert_eq!(ticket["events"][1]["n2_unit"], "ugel");
    let back = reason(&app, &ugel, id, "return", "Corresponde a la Central").await;
    assert_eq!(stage(&back), (1, None));
}

#[tokio::test]
async fn the_demos_n2_tickets_wait_at_a_stage_someone_works() {
    let app = spawn_app().await;
    for (account, unit) in [("ugel.demo", "ugel"), ("dre.demo", "dre")] {
        let token = app.login_as(account).await;
        let (status, queue) = app
            .get(&format!("/helpdesk/tickets?n2_unit={unit}"), &token)
            .await;
        assert_eq!(status, StatusCode::OK, "{queue}");
        let items = queue["items"].as_array().unwrap();
        assert!(!items.is_empty(), "{account}: {queue}");
        for item in items {
            let (_, ticket) = app
                .get(&format!("/helpdesk/tickets/{}", item["id"]), &token)
                .await;
            assert_eq!(ticket["can_work"], true, "{account}: {ticket}");
        }
    }
    // The tickets that reached N3 passed the DRE's stage: the DRE still reads them.
    let dre = app.login_as("dre.demo").await;
    let (_, n3) = app.get("/helpdesk/tickets?level=3", &dre).await;
    assert!(!n3["items"].as_array().unwrap().is_empty(), "{n3}");
}
