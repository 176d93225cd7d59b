//! The help-desk calendar: holidays added, changed and deleted by those who keep it (audited,
//! checked like an addition), and a DRE's regional holiday that moves only its N2 clocks.

use chrono::{DateTime, Datelike, Duration, Utc};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr};
use serde_json::json;
use tests::{TestApp, code, spawn_app};

use tests::helpdesk::lima;

/// Puts a ticket's filing, its arrival at its level and every log entry at `at`.
async fn happened_at(app: &TestApp, id: i64, at: DateTime<Utc>) {
    use entity::{helpdesk_event, helpdesk_ticket};
    helpdesk_ticket::Entity::update_many()
        .col_expr(helpdesk_ticket::Column::CreatedAt, Expr::value(at))
        .col_expr(helpdesk_ticket::Column::LevelSince, Expr::value(at))
        .filter(helpdesk_ticket::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    helpdesk_event::Entity::update_many()
        .col_expr(helpdesk_event::Column::At, Expr::value(at))
        .filter(helpdesk_event::Column::TicketId.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
}

/// When a ticket's resolution target falls due, measured at `now` on its level's calendar.
async fn resolution_due(app: &TestApp, id: i64, now: DateTime<Utc>) -> DateTime<Utc> {
    use entity::{helpdesk_event, helpdesk_ticket};
    use siagie::helpdesk::sla_job;
    let ticket = helpdesk_ticket::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let events = helpdesk_event::Entity::find()
        .filter(helpdesk_event::Column::TicketId.eq(id))
        .order_by_asc(helpdesk_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let calendar = sla_job::calendar_for(&app.db, &ticket, &app.config.helpdesk)
        .await
        .unwrap();
    sla_job::clocks(&calendar, &ticket, &events, now)
        .into_iter()
        .find(|c| c.target == "resolution")
        .unwrap()
        .due_at
}

#[tokio::test]
async fn a_regional_holiday_moves_only_its_dres_n2_clock_and_can_be_changed_or_deleted() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    let agent = app.login_as("agente.demo").await;
    let director = app.login_as("director.demo").await;
    let jaen = app.login_as("jaen.demo").await;

    // The demo calendar has Cajamarca's regional holidays beside the national ones.
    let next_year = tests::lima_today().year() + 1;
    let (_, holidays) = app
        .get(&format!("/helpdesk/holidays?year={next_year}"), &admin)
        .await;
    let regional: Vec<_> = holidays
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["dre_id"].is_i64())
        .collect();
    assert_eq!(regional.len(), 2, "{holidays}");
    assert!(
        regional[0]["description"]
            .as_str()
            .unwrap()
            .contains("Carnaval")
    );

    // One ticket at N1, one at the DRE's N2 stage (Jaén's UGEL has no specialist), both from
    // Monday 14 December 2026, 09:00 (Lima).
    let n1 = app.file_ticket_ok(&director, &[]).await["id"]
        .as_i64()
        .unwrap();
    let n2 = app
        .file_ticket_ok(&jaen, &[("email", "ie16003@siagie.local")])
        .await;
    let dre = n2["dre_id"].as_i64().unwrap();
    let n2 = n2["id"].as_i64().unwrap();
    let at_dre = app
        .ticket_step(&agent, n2, "escalate", json!({"reason": "Datos de la IE"}))
        .await;
    assert_eq!(at_dre["n2_unit"], "dre");
    let monday = lima(2026, 12, 14, 9);
    happened_at(&app, n1, monday).await;
    happened_at(&app, n2, monday).await;
    let now = lima(2026, 12, 14, 10);
    let (n1_due, n2_due) = (
        resolution_due(&app, n1, now).await,
        resolution_due(&app, n2, now).await,
    );

    // A regional holiday on Tuesday moves the DRE's N2 deadline a day; N1 keeps its own.
    let (status, holiday) = app
        .post(
            "/helpdesk/holidays",
            &admin,
            json!({"date": "2026-12-15", "description": "Feriado regional", "dre_id": dre}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{holiday}");
    let id = holiday["id"].as_i64().unwrap();
    assert_eq!(
        resolution_due(&app, n2, now).await,
        n2_due + Duration::days(1)
    );
    assert_eq!(resolution_due(&app, n1, now).await, n1_due);

    // Changed to a day after the deadline: the deadline is back where it was.
    let path = format!("/helpdesk/holidays/{id}");
    let (status, changed) = app
        .put(
            &path,
            &agent,
            json!({"date": "2026-12-28", "description": "Aniversario regional", "dre_id": dre}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["date"].as_str(), changed["description"].as_str()),
        (Some("2026-12-28"), Some("Aniversario regional"))
    );
    assert_eq!(resolution_due(&app, n2, now).await, n2_due);
    // Back on Tuesday, then deleted.
    app.put(
        &path,
        &admin,
        json!({"date": "2026-12-15", "description": "Feriado regional", "dre_id": dre}),
    )
    .await;
    assert_eq!(
        resolution_due(&app, n2, now).await,
        n2_due + Duration::days(1)
    );
    let (status, _) = app.delete(&path, &admin).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(resolution_due(&app, n2, now).await, n2_due);
    let (_, december) = app.get("/helpdesk/holidays?year=2026", &admin).await;
    assert!(!december.as_array().unwrap().iter().any(|h| h["id"] == id));
    let (status, _) = app.delete(&path, &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Each change is audited with the holiday before and after.
    let audited = app
        .scalar(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM audit_event WHERE entity_id = {id} \
             AND action IN ('helpdesk_holiday_changed', 'helpdesk_holiday_deleted')"
        ))
        .await;
    assert_eq!(audited.as_deref(), Some("3"));
}

#[tokio::test]
async fn a_holiday_is_changed_only_by_those_who_keep_the_calendar_with_the_checks_of_an_addition() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    let director = app.login_as("director.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let (status, added) = app
        .post(
            "/helpdesk/holidays",
            &admin,
            json!({"date": "2026-12-30", "description": "Día no laborable"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let path = format!("/helpdesk/holidays/{}", added["id"]);
    let body = json!({"date": "2026-12-31", "description": "Día no laborable"});

    // Neither a requester nor an N2 specialist keeps the calendar.
    for token in [&director, &ugel] {
        let (status, _) = app.put(&path, token, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = app.delete(&path, token).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // Every wrong field at once, in Spanish.
    let (status, wrong) = app
        .put(
            &path,
            &admin,
            json!({"date": "1999-12-31", "description": "  ", "dre_id": 987654}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}");
    for field in ["date", "description", "dre_id"] {
        assert!(
            wrong["error"]["fields"][field].is_string(),
            "{field}: {wrong}"
        );
    }
    // Onto a day that already is a national holiday: a conflict, nothing changed.
    let (status, clash) = app
        .put(
            &path,
            &admin,
            json!({"date": "2026-12-25", "description": "Navidad"}),
        )
        .await;
    assert_eq!(
        (status, code(&clash)),
        (StatusCode::CONFLICT, "already_exists")
    );
    // A holiday that does not exist.
    let (status, _) = app
        .put("/helpdesk/holidays/987654", &admin, body.clone())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Keeping its own day is no conflict.
    let (status, same) = app
        .put(
            &path,
            &admin,
            json!({"date": "2026-12-30", "description": "Día no laborable (sector público)"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    let (_, list) = app.get("/helpdesk/holidays?year=2026", &director).await;
    assert!(
        list.to_string()
            .contains("Día no laborable (sector público)"),
        "{list}"
    );
}
