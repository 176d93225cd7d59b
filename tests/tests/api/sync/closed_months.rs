//! A closed month holds late marks for the director's review; notes travel with marks.

use chrono::{Datelike, Duration};
use mobile_contract::Outcome;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tests::{batch, code, lima_today, mark, read, spawn_app};

use super::{at, cell, outcomes};

#[tokio::test]
async fn a_closed_month_holds_late_marks_for_review_until_an_exceptional_modification() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let director = app.login_as("director.demo").await;
    let last_month = lima_today().with_day(1).unwrap() - Duration::days(1);
    let (y, m) = (last_month.year(), last_month.month());
    let base = format!("/sections/{}/registers/{y}/{m}", c.section_id);
    let (status, register) = app
        .post(
            &format!("{base}/complete"),
            &director,
            json!({"up_to_day": last_month.day()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{register}");
    assert_eq!(register["state"], "completo");
    let (status, closed) = app
        .post(&format!("{base}/close"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["state"], "cerrado");

    let day = c
        .academic_days
        .iter()
        .rev()
        .find(|d| d.month() == m && d.year() == y)
        .copied()
        .unwrap();
    let late = mark(&c.section_id, &c.students[0], day, "falta", &at(day, 10, 0));
    let (_, body) = app
        .push_answer(&c.token, &batch(c.device, vec![late.clone()]))
        .await;
    assert_eq!(outcomes(&body)[0].0, Outcome::Held);
    assert_eq!(
        cell(&app, &c.token, &c.section_id, &c.students[0], day).await,
        "asistio",
        "not applied"
    );
    let (_, pull) = app.pull(&c.token, None).await;
    let state = pull
        .registers
        .iter()
        .find(|r| r.section_id == c.section_id && r.month == m)
        .unwrap();
    assert_eq!(state.state, "cerrado", "tablets learn the closure by pull");

    let (_, held) = app.get(&format!("{base}/held"), &director).await;
    assert_eq!(held[0]["mark_id"], late["mark_id"]);
    let (status, error) = app
        .post(
            &format!("{base}/held/apply"),
            &director,
            json!({"mark_ids": [late["mark_id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");

    // The exceptional modification: director asks, level specialist opines, UGEL enables.
    let (status, request) = app
        .post(
            &format!("{base}/modifications"),
            &director,
            json!({"reason": "Marcas de la tableta llegaron tarde por falta de conexión."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_i64().unwrap();
    let ugel = app.login_as("ugel.demo").await;
    let nivel = app.login_as("nivel.demo").await;
    let until = tests::now() + Duration::days(3);
    let (status, _) = app
        .post(
            &format!("/register-modifications/{id}/enable"),
            &ugel,
            json!({"until": until}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the level specialist's opinion comes first"
    );
    let (status, _) = app
        .post(
            &format!("/register-modifications/{id}/opinion"),
            &ugel,
            json!({"favorable": true}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            &format!("/register-modifications/{id}/opinion"),
            &nivel,
            json!({"favorable": true, "note": "Procede"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(
            &format!("/register-modifications/{id}/enable"),
            &director,
            json!({"until": until}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, enabled) = app
        .post(
            &format!("/register-modifications/{id}/enable"),
            &ugel,
            json!({"until": until}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{enabled}");

    let (status, applied) = app
        .post(
            &format!("{base}/held/apply"),
            &director,
            json!({"mark_ids": [late["mark_id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    assert_eq!(
        cell(&app, &c.token, &c.section_id, &c.students[0], day).await,
        "falta"
    );
    let (status, reclosed) = app
        .post(&format!("{base}/close"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reclosed["state"], "cerrado");
    let (status, error) = app.request(Method::PUT, &format!("{base}/cells"), Some(&director))
        .json(&json!({"cells": [{"student_id": c.students[0].parse::<i64>().unwrap(), "date": day, "status": "asistio"}]}))
        .send().await.map(|r| (r.status(), r)).unwrap();
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, error) = read(error).await;
    assert_eq!(code(&error), "register_closed");
}

#[tokio::test]
async fn a_note_is_kept_and_shown_in_the_grid_the_pdf_and_the_held_marks() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let director = app.login_as("director.demo").await;
    let last_month = lima_today().with_day(1).unwrap() - Duration::days(1);
    let (y, m) = (last_month.year(), last_month.month());
    let base = format!("/sections/{}/registers/{y}/{m}", c.section_id);
    let day = c
        .academic_days
        .iter()
        .rev()
        .find(|d| d.month() == m && d.year() == y)
        .copied()
        .unwrap();

    // A justified absence with its reason, sent from the tablet.
    let mut justified = mark(
        &c.section_id,
        &c.students[0],
        day,
        "falta_justificada",
        &at(day, 9, 0),
    );
    justified["note"] = json!("Cita médica en Jaén");
    let (status, body) = app.push(&c.token, &batch(c.device, vec![justified])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, grid) = app.get(&base, &director).await;
    let row = grid["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["student_id"].as_i64() == c.students[0].parse().ok())
        .unwrap();
    let cell = row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|cell| cell["date"] == day.to_string())
        .unwrap();
    assert_eq!(cell["status"], "falta_justificada");
    assert_eq!(cell["note"], "Cita médica en Jaén");
    let pdf = app
        .request(Method::GET, &format!("{base}/pdf"), Some(&director))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    if let Some(text) = tests::pdf_text(&pdf) {
        assert!(text.contains("Cita médica en Jaén"), "{text}");
        assert!(text.contains("Observaciones"), "{text}");
    }

    // Closed, a later mark with a note is held, and the director sees whose, what stands and why.
    app.post(
        &format!("{base}/complete"),
        &director,
        json!({"up_to_day": last_month.day()}),
    )
    .await;
    let (status, _) = app
        .post(&format!("{base}/close"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut late = mark(
        &c.section_id,
        &c.students[0],
        day,
        "tardanza_justificada",
        &at(day, 11, 0),
    );
    late["note"] = json!("Llegó con su madre");
    let (_, body) = app
        .push_answer(&c.token, &batch(c.device, vec![late]))
        .await;
    assert_eq!(outcomes(&body)[0].0, Outcome::Held);
    let (_, held) = app.get(&format!("{base}/held"), &director).await;
    let held = &held[0];
    assert_eq!(held["standing"], "falta_justificada");
    assert_eq!(held["status"], "tardanza_justificada");
    assert_eq!(held["note"], "Llegó con su madre");
    assert_eq!(held["teacher"], "Rosa Elvira Tarrillo Campos");
    assert!(held["student"].as_str().unwrap().contains(", "), "{held}");
    assert_eq!(held["document"], row["document"]);
}
