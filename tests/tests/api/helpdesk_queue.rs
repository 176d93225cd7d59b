//! The agents' queue as triage needs it: each ticket's running SLA clock, requester and IE; open
//! tickets by default, several states at once; sorted by deadline, priority or age; found by
//! number, código modular or text; and a parameter or value it does not know is a 400 naming it.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, code, demo, spawn_app};

use tests::helpdesk::queue_has;

fn items(page: &Value) -> &Vec<Value> {
    page["items"].as_array().unwrap()
}

fn item(page: &Value, id: i64) -> &Value {
    items(page)
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {page}"))
}

fn ids(page: &Value) -> Vec<i64> {
    items(page)
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

fn instant(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

async fn page(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, page) = app.get(&format!("/helpdesk/tickets?{query}"), token).await;
    assert_eq!(status, StatusCode::OK, "{query}: {page}");
    page
}

/// Every page of a query, `limit` at a time, following `next_before`.
async fn all_pages(app: &TestApp, token: &str, query: &str, limit: u64) -> Vec<i64> {
    let mut found = Vec::new();
    let mut cursor = String::new();
    for _ in 0..100 {
        let page = page(app, token, &format!("{query}&limit={limit}{cursor}")).await;
        found.extend(ids(&page));
        match page["next_before"].as_i64() {
            Some(last) => cursor = format!("&before={last}"),
            None => return found,
        }
    }
    panic!("more than 100 pages");
}

#[tokio::test]
async fn the_queue_shows_open_tickets_with_their_clock_requester_and_ie() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;
    let open = app.file_ticket_ok(&director, &[]).await["id"]
        .as_i64()
        .unwrap();
    let waiting = app.file_ticket_ok(&director, &[]).await["id"]
        .as_i64()
        .unwrap();
    app.ticket_step(&agent, waiting, "take", json!({})).await;
    app.ticket_step(
        &agent,
        waiting,
        "wait",
        json!({"reason": "¿Qué IE de destino?"}),
    )
    .await;
    let resolved = app.file_ticket_ok(&director, &[]).await["id"]
        .as_i64()
        .unwrap();
    app.ticket_step(&agent, resolved, "take", json!({})).await;
    app.ticket_step(&agent, resolved, "resolve", json!({"resolution": "Listo."}))
        .await;

    // By default, open tickets only.
    let queue = page(&app, &agent, "limit=200").await;
    assert!(queue_has(&queue, open) && queue_has(&queue, waiting));
    assert!(
        !queue_has(&queue, resolved),
        "a resolved ticket is not in the default queue"
    );
    for t in items(&queue) {
        assert!(
            [
                "nuevo",
                "en_atencion",
                "esperando_usuario",
                "escalado",
                "reabierto"
            ]
            .contains(&t["state"].as_str().unwrap()),
            "{t}"
        );
        assert!(
            t["clock"]["due_at"].is_string(),
            "every open ticket runs a clock: {t}"
        );
    }
    let t = item(&queue, open);
    assert!(t["requester"].as_str().unwrap().contains(", "), "{t}");
    assert!(t["school"].as_str().unwrap().contains("IE"), "{t}");
    let clock = &t["clock"];
    assert_eq!(clock["target"], "first_response", "{t}");
    assert_eq!(
        (clock["paused"].as_bool(), clock["overdue"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(clock["status"], "en_plazo");
    // Four working hours for a priority «media» first response, none used yet (it was just filed,
    // within working hours).
    assert!(clock["minutes_left"].as_i64().unwrap() > 200, "{clock}");
    assert!(instant(&clock["due_at"]) > app.now());
    let paused = &item(&queue, waiting)["clock"];
    assert_eq!(
        (paused["paused"].as_bool(), paused["status"].as_str()),
        (Some(true), Some("pausado"))
    );

    // Several states at once, or every one.
    let some = page(&app, &agent, "state=nuevo,resuelto&limit=200").await;
    assert!(queue_has(&some, open) && queue_has(&some, resolved) && !queue_has(&some, waiting));
    assert!(
        item(&some, resolved)["clock"].is_null(),
        "a resolved ticket runs no clock"
    );
    let every = page(&app, &agent, "state=todos&limit=200").await;
    assert!(queue_has(&every, resolved) && queue_has(&every, waiting));

    // A requester's own list has every state, and no clocks.
    let mine = page(&app, &director, "limit=200").await;
    assert!(queue_has(&mine, resolved) && queue_has(&mine, open));
    assert!(items(&mine).iter().all(|t| t["clock"].is_null()));
}

#[tokio::test]
async fn the_queue_sorts_by_deadline_priority_or_age_and_finds_by_number_codigo_modular_or_text() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let jaen = app.login_as("jaen.demo").await;
    let agent = app.login_as("agente.demo").await;
    let urgent = app
        .file_ticket_ok(
            &director,
            &[(
                "comment",
                "La nómina de la sección zanahoria no carga desde el lunes.",
            )],
        )
        .await;
    let urgent_id = urgent["id"].as_i64().unwrap();
    app.ticket_step(
        &agent,
        urgent_id,
        "priority",
        json!({"impact": "alta", "urgency": "alta", "reason": "Toda la IE"}),
    )
    .await;
    let jaen_ticket = app
        .file_ticket_ok(&jaen, &[("email", "ie16003@siagie.local")])
        .await;

    let by_priority = page(&app, &agent, "sort=priority&limit=200").await;
    let priorities: Vec<i64> = items(&by_priority)
        .iter()
        .map(|t| t["priority"].as_i64().unwrap())
        .collect();
    assert!(
        priorities.windows(2).all(|w| w[0] >= w[1]),
        "{priorities:?}"
    );
    assert_eq!(ids(&by_priority)[0], urgent_id, "the only «muy alta» first");
    let by_age = page(&app, &agent, "sort=age&limit=200").await;
    let filed: Vec<DateTime<Utc>> = items(&by_age)
        .iter()
        .map(|t| instant(&t["created_at"]))
        .collect();
    assert!(filed.windows(2).all(|w| w[0] <= w[1]), "{filed:?}");
    let by_deadline = page(&app, &agent, "sort=deadline&limit=200").await;
    let due: Vec<DateTime<Utc>> = items(&by_deadline)
        .iter()
        .map(|t| instant(&t["clock"]["due_at"]))
        .collect();
    assert!(
        due.len() > 3 && due.windows(2).all(|w| w[0] <= w[1]),
        "{due:?}"
    );
    // Paged a few at a time, each order gives the same tickets in the same order.
    for sort in ["newest", "priority", "age", "deadline"] {
        let whole = ids(&page(&app, &agent, &format!("sort={sort}&limit=200")).await);
        let paged = all_pages(&app, &agent, &format!("sort={sort}"), 4).await;
        assert_eq!(paged, whole, "{sort}");
    }

    // Found by its number, the number's last digits, its IE's código modular or its words.
    let number = urgent["number"].as_str().unwrap();
    assert_eq!(
        ids(&page(&app, &agent, &format!("q={number}")).await),
        [urgent_id]
    );
    let lower = number.to_lowercase();
    assert_eq!(
        ids(&page(&app, &agent, &format!("q={lower}")).await),
        [urgent_id]
    );
    let digits = &number[number.len() - 6..];
    assert!(queue_has(
        &page(&app, &agent, &format!("q={digits}")).await,
        urgent_id
    ));
    let in_jaen = page(&app, &agent, &format!("q={}", demo::JAEN_PRIMARIA)).await;
    assert!(queue_has(&in_jaen, jaen_ticket["id"].as_i64().unwrap()));
    assert!(
        items(&in_jaen)
            .iter()
            .all(|t| t["codigo_modular"] == demo::JAEN_PRIMARIA)
    );
    assert_eq!(ids(&page(&app, &agent, "q=ZANAHORIA").await), [urgent_id]);
    assert!(items(&page(&app, &agent, "q=%25_%25").await).is_empty());
}

#[tokio::test]
async fn an_unknown_parameter_or_value_of_the_help_desk_is_a_400_naming_it() {
    let app = spawn_app().await;
    let agent = app.login_as("agente.demo").await;
    for (path, named) in [
        ("/helpdesk/tickets?estado=nuevo", "estado"),
        ("/helpdesk/tickets?state=nuevo&pagina=2", "pagina"),
        ("/helpdesk/articles?q=clave&orden=1", "orden"),
        ("/helpdesk/reports/summary?formato=csv", "formato"),
        (
            "/helpdesk/reports/backlog?format=csv&separador=%3B",
            "separador",
        ),
        ("/helpdesk/holidays?anio=2027", "anio"),
        (
            "/helpdesk/report-problem?error_code=register_closed&id=1",
            "id",
        ),
    ] {
        let (status, body) = app.get(path, &agent).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "unknown_query_parameter"),
            "{path}: {body}"
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("«{named}»")),
            "{body}"
        );
        assert_eq!(body["error"]["details"]["parameter"], named, "{body}");
    }
    for (path, named) in [
        ("/helpdesk/tickets?state=abierto", "abierto"),
        ("/helpdesk/tickets?state=nuevo,cerradito", "cerradito"),
        ("/helpdesk/tickets?sort=nombre", "nombre"),
        ("/helpdesk/tickets?topic=clima", "clima"),
        ("/helpdesk/tickets?n2_unit=region", "region"),
        ("/helpdesk/tickets?view=todo", "todo"),
        ("/helpdesk/articles?state=borrado", "borrado"),
        ("/helpdesk/reports/backlog?format=xlsx", "xlsx"),
    ] {
        let (status, body) = app.get(path, &agent).await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{path}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{path}: {message}");
    }
}
