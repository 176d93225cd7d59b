//! Recuperación pedagógica: after the acta closes, the director records the recuperación of each
//! student it left `requiere_recuperacion`; the result is audited and read in the acta, its PDF,
//! the student's record and the certificate.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, browser::Browser, demo, spawn_app, visitor::Visitor};

/// The IE Bolognesi's closed 2018 acta (third grade of secondary), with one student it left
/// `requiere_recuperacion` after failing two areas.
struct Recovering {
    director: String,
    section: i64,
    acta: Value,
    student: Value,
    /// The areas the student failed (ids).
    failed: Vec<i64>,
}

async fn recovering(app: &TestApp) -> Recovering {
    let director = app.login_as("secundaria.demo").await;
    let school = app.school_id(&director, demo::BOLOGNESI).await;
    let (_, sections) = app
        .get(&format!("/schools/{school}/sections?year=2018"), &director)
        .await;
    let section = sections[0]["id"].as_i64().unwrap();
    let (status, acta) = app
        .get(&format!("/sections/{section}/acta"), &director)
        .await;
    assert_eq!(status, StatusCode::OK, "{acta}");
    assert_eq!(acta["state"], "cerrada");
    let student = acta["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["situation"] == "requiere_recuperacion")
        .expect("a student who requires recuperación")
        .clone();
    assert!(student["recovery"].is_null(), "{student}");
    let failed: Vec<i64> = acta["areas"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] != "comportamiento")
        .filter(|a| {
            student["grades"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["area_id"] == a["id"] && g["value"].as_str().unwrap() < "11")
        })
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(failed.len(), 2, "{student}");
    Recovering {
        director,
        section,
        acta,
        student,
        failed,
    }
}

#[tokio::test]
async fn the_recuperacion_of_a_closed_acta_is_recorded_once_and_read_in_the_record_pdf_and_certificate()
 {
    let app = spawn_app().await;
    let w = recovering(&app).await;
    let path = format!("/sections/{}/acta/recovery", w.section);
    let enrollment = w.student["enrollment_id"].clone();

    // One area passed, one still failed: in secondary that promotes.
    let body = json!({"students": [{"enrollment_id": enrollment, "grades": [
        {"area_id": w.failed[0], "value": "13"}, {"area_id": w.failed[1], "value": "09"}]}]});
    let (status, acta) = app.put(&path, &w.director, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{acta}");
    let row = acta["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["enrollment_id"] == enrollment)
        .unwrap();
    assert_eq!(acta["state"], "cerrada", "the acta stays as it was closed");
    assert_eq!(row["situation"], "requiere_recuperacion");
    assert_eq!(row["recovery"]["situation"], "promovido", "{row}");
    assert_eq!(row["recovery"]["suggested"], "promovido");
    let values: Vec<&str> = row["recovery"]["grades"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["value"].as_str().unwrap())
        .collect();
    assert_eq!(values.len(), 2);
    assert!(
        values.contains(&"13") && values.contains(&"09"),
        "{values:?}"
    );

    // Recorded once: a second result is refused, and nothing changed.
    let again = json!({"students": [{"enrollment_id": enrollment, "grades": [
        {"area_id": w.failed[0], "value": "05"}, {"area_id": w.failed[1], "value": "05"}]}]});
    let (status, body) = app.put(&path, &w.director, again).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "recovery_recorded");

    // The record: the year's final situation is the recuperación's, with its grades.
    let document = w.student["document"].as_str().unwrap();
    let (status, record) = app
        .get(
            &format!("/students/record?document={document}"),
            &w.director,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    let year = record["years"]
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["year"] == 2018)
        .unwrap();
    assert_eq!(year["situation"], "promovido", "{year}");
    assert_eq!(year["recovery"]["grades"].as_array().unwrap().len(), 2);
    assert!(
        year["recovery"]["grades"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["value"] == "13")
    );
    assert_eq!(year["recovery"]["recorded_on"], app.today().to_string());

    // Audited, with who recorded it.
    let (status, trail) = app
        .get(
            &format!("/audit?school_id={}&per_page=100", w.acta["school_id"]),
            &w.director,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let events: Vec<&Value> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "recovery_recorded")
        .collect();
    assert_eq!(events.len(), 1, "{trail}");
    assert_eq!(events[0]["after"][0]["situation"], "promovido", "{trail}");
    assert_eq!(events[0]["after"][0]["enrollment_id"], enrollment);

    // The acta's PDF adds the recuperación's page.
    let response = app
        .request(
            Method::GET,
            &format!("/sections/{}/acta/pdf", w.section),
            Some(&w.director),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let pdf = response.bytes().await.unwrap();
    if let Some(text) = tests::pdf_text(&pdf) {
        assert!(
            text.contains("RESULTADOS DE LA RECUPERACIÓN PEDAGÓGICA"),
            "{text}"
        );
        let name = w.student["full_name"].as_str().unwrap();
        assert!(text.contains(name), "{text}");
    }

    // The certificate prints the year as promovido and says how, under its signature.
    let school = w.acta["school_id"].as_i64().unwrap();
    let (_, fifth) = app
        .get(
            &format!("/schools/{school}/sections?year=2020"),
            &w.director,
        )
        .await;
    let (status, result) = app
        .post(
            "/certificates/batch",
            &w.director,
            json!({"section_id": fifth[0]["id"], "student_ids": [w.student["student_id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    let id = result["issued"][0]["id"].as_i64().unwrap();
    let response = app
        .request(
            Method::GET,
            &format!("/certificates/{id}/pdf"),
            Some(&w.director),
        )
        .send()
        .await
        .unwrap();
    let pdf = response.bytes().await.unwrap();
    let qr_text = siagie::certificates::offline::qr_text_of_pdf(&pdf).unwrap();
    let payload = qr_text.rsplit('/').next().unwrap();
    let verification = app.verify_certificate(payload).await;
    assert_eq!(verification["valid"], true, "{verification}");
    let content = &verification["content"];
    let signed_year = content["years"]
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["year"] == 2018)
        .unwrap();
    assert_eq!(signed_year["situation"], "promovido");
    let note = content["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["year"] == 2018)
        .unwrap_or_else(|| panic!("{content}"));
    let text = note["observation"].as_str().unwrap();
    assert!(
        text.starts_with("Recuperación pedagógica de 3.º grado:") && text.contains("13"),
        "{text}"
    );
    if let Some(text) = tests::pdf_text(&pdf) {
        assert!(text.contains("Recuperación pedagógica"), "{text}");
    }
}

#[tokio::test]
async fn a_recuperacion_is_refused_before_closing_for_other_students_and_with_missing_areas() {
    let app = spawn_app().await;
    let w = recovering(&app).await;
    let path = format!("/sections/{}/acta/recovery", w.section);
    let enrollment = w.student["enrollment_id"].clone();
    let put = |body: Value| {
        let app = &app;
        let path = path.clone();
        let token = w.director.clone();
        async move { app.put(&path, &token, body).await }
    };

    // A student the acta promoted.
    let promoted = w.acta["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["situation"] == "promovido")
        .unwrap()["enrollment_id"]
        .clone();
    let (status, body) =
        put(json!({"students": [{"enrollment_id": promoted, "grades": []}]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["details"]["students"][0]["field"],
        "enrollment_id"
    );

    // One failed area left out; an area it passed; a grade off the scale.
    let passed = w.acta["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .find(|id| !w.failed.contains(id))
        .unwrap();
    for (grades, field) in [
        (json!([{"area_id": w.failed[0], "value": "12"}]), "grades"),
        (
            json!([{"area_id": w.failed[0], "value": "12"}, {"area_id": w.failed[1], "value": "12"}, {"area_id": passed, "value": "12"}]),
            "grades[2].area_id",
        ),
        (
            json!([{"area_id": w.failed[0], "value": "12"}, {"area_id": w.failed[1], "value": "25"}]),
            "grades[1].value",
        ),
    ] {
        let (status, body) =
            put(json!({"students": [{"enrollment_id": enrollment, "grades": grades}]})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            body["error"]["details"]["students"][0]["field"], field,
            "{body}"
        );
    }

    // Both failed again: permanece is the suggestion; promovido needs a reason.
    let both_failed =
        json!([{"area_id": w.failed[0], "value": "08"}, {"area_id": w.failed[1], "value": "10"}]);
    let (status, body) = put(json!({"students": [{"enrollment_id": enrollment,
        "grades": both_failed, "situation": "promovido"}]}))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"]["students"][0]["field"], "reason");
    let (_, acta) = app
        .get(&format!("/sections/{}/acta", w.section), &w.director)
        .await;
    assert!(
        acta["students"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["recovery"].is_null()),
        "nothing written"
    );

    // Another IE's director cannot record it.
    let other = app.login_as("director.demo").await;
    let (status, _) = app
        .put(
            &path,
            &other,
            json!({"students": [{"enrollment_id": enrollment, "grades": both_failed}]}),
        )
        .await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );

    // With the acta of this year still open, nothing to recover yet.
    let teacher = app.login_as("docente.demo").await;
    let (_, me) = app.get("/me", &teacher).await;
    let open = me["sections"][0].as_i64().unwrap();
    let (status, body) = app
        .put(
            &format!("/sections/{open}/acta/recovery"),
            &other,
            json!({"students": [{"enrollment_id": 1, "grades": []}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "recovery_acta_open");

    // Permanece, as the grades suggest: recorded.
    let (status, acta) =
        put(json!({"students": [{"enrollment_id": enrollment, "grades": both_failed}]})).await;
    assert_eq!(status, StatusCode::OK, "{acta}");
    let row = acta["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["enrollment_id"] == enrollment)
        .unwrap();
    assert_eq!(row["recovery"]["situation"], "permanece");
}

/// Enables an exceptional modification of the 2018 acta through its workflow: the director asks,
/// whoever the request reaches gives its opinion and enables it (here the DRE, as the UGEL of
/// Jaén has no specialists).
async fn reopen(app: &TestApp, w: &Recovering) {
    let (status, request) = app
        .post(
            &format!("/sections/{}/acta/modifications", w.section),
            &w.director,
            json!({"reason": "Una calificación de Matemática se digitó mal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_i64().unwrap();
    let dre = app.login_as("dre.demo").await;
    let (status, body) = app
        .post(
            &format!("/acta-modifications/{id}/opinion"),
            &dre,
            json!({"favorable": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            &format!("/acta-modifications/{id}/enable"),
            &dre,
            json!({"until": tests::now() + chrono::Duration::days(2)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The student's row of the acta.
async fn row_of(app: &TestApp, w: &Recovering) -> Value {
    let (_, acta) = app
        .get(&format!("/sections/{}/acta", w.section), &w.director)
        .await;
    acta["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["enrollment_id"] == w.student["enrollment_id"])
        .unwrap()
        .clone()
}

/// A recuperación answers the acta as it was closed: when an exceptional modification passes one
/// of the areas it graded, the recorded result is deleted (the trail keeps it), never left to
/// surface with a grade for an area the student no longer failed; the director records it again
/// for the area still failed. A change to another student leaves it alone.
#[tokio::test]
async fn a_recuperacion_the_modified_acta_no_longer_grounds_is_dropped_and_recorded_again() {
    let app = spawn_app().await;
    let w = recovering(&app).await;
    let path = format!("/sections/{}/acta/recovery", w.section);
    let enrollment = w.student["enrollment_id"].clone();
    // The director's "Pendientes" lists the acta while a student's result is to be recorded.
    let (visitor, _) = &mut Visitor::signed_in(&app, "secundaria.demo").await;
    let to_record = format!("href=\"/consola/actas/{}#recuperacion\"", w.section);
    let pending = visitor.get("/consola/pendientes").await.html;
    assert!(
        pending.contains("Recuperación pedagógica por registrar"),
        "{pending}"
    );
    assert!(pending.contains(&to_record), "{pending}");
    let (status, body) = app
        .put(
            &path,
            &w.director,
            json!({"students": [{"enrollment_id": enrollment, "grades": [
                {"area_id": w.failed[0], "value": "13"}, {"area_id": w.failed[1], "value": "09"}]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pending = visitor.get("/consola/pendientes").await.html;
    assert!(!pending.contains(&to_record), "recorded: {pending}");
    reopen(&app, &w).await;

    // Another student's grade changes: the recuperación stands.
    let other = w.acta["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["enrollment_id"] != enrollment && s["situation"] == "promovido")
        .unwrap()["enrollment_id"]
        .clone();
    let grades = format!("/sections/{}/acta/grades", w.section);
    let (status, saved) = app
        .put(
            &grades,
            &w.director,
            json!({"grades": [{"enrollment_id": other, "area_id": w.failed[0], "value": "17"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["recoveries_dropped"], 0, "{saved}");

    // The student's second failed area was mistyped: it passes now.
    let (status, saved) = app
        .put(
            &grades,
            &w.director,
            json!({"grades": [{"enrollment_id": enrollment, "area_id": w.failed[1], "value": "14"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["recoveries_dropped"], 1, "{saved}");
    assert_eq!(saved["situations_to_confirm"], 1, "{saved}");
    // The director who asked for the modification is told at once, with the form to record it.
    let told = told_dropped(&app).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].contains("la recuperación pedagógica registrada de 1 estudiante"),
        "{}",
        told[0]
    );
    assert!(
        told[0].contains("Confirme la situación final"),
        "{}",
        told[0]
    );
    let form = format!(
        "{}/consola/actas/{}#recuperacion",
        app.config.auth.public_base_url.trim_end_matches('/'),
        w.section
    );
    assert!(told[0].contains(&form), "{}", told[0]);

    // Confirmed again as requiring recuperación (one area still failed): no stale result shows.
    let (status, acta) = app
        .put(
            &format!("/sections/{}/acta/situations", w.section),
            &w.director,
            json!({"situations": [{"enrollment_id": enrollment, "situation": "requiere_recuperacion"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{acta}");
    let row = row_of(&app, &w).await;
    assert_eq!(row["situation"], "requiere_recuperacion", "{row}");
    assert!(row["recovery"].is_null(), "{row}");
    // Nobody is left without knowing: the acta is back on the director's "Pendientes".
    let pending = visitor.get("/consola/pendientes").await.html;
    assert!(pending.contains(&to_record), "dropped: {pending}");

    // The trail keeps what was deleted.
    let (_, trail) = app
        .get(
            &format!("/audit?school_id={}&per_page=100", w.acta["school_id"]),
            &w.director,
        )
        .await;
    let dropped: Vec<&Value> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "recovery_dropped")
        .collect();
    assert_eq!(dropped.len(), 1, "{trail}");
    assert_eq!(dropped[0]["before"][0]["enrollment_id"], enrollment);
    assert_eq!(dropped[0]["before"][0]["situation"], "promovido");
    assert_eq!(
        dropped[0]["before"][0]["grades"].as_array().unwrap().len(),
        2
    );

    // Recorded again, for the one area still failed; the old grades are refused.
    let (status, body) = app
        .put(
            &path,
            &w.director,
            json!({"students": [{"enrollment_id": enrollment, "grades": [
                {"area_id": w.failed[0], "value": "13"}, {"area_id": w.failed[1], "value": "09"}]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .put(
            &path,
            &w.director,
            json!({"students": [{"enrollment_id": enrollment, "grades": [
                {"area_id": w.failed[0], "value": "13"}]}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = row_of(&app, &w).await;
    assert_eq!(row["recovery"]["situation"], "promovido", "{row}");
    assert_eq!(row["recovery"]["grades"].as_array().unwrap().len(), 1);

    // Situation changed to permanece: the new result is dropped too.
    let (status, _) = app
        .put(
            &format!("/sections/{}/acta/situations", w.section),
            &w.director,
            json!({"situations": [{"enrollment_id": enrollment, "situation": "permanece",
                "reason": "Decisión del comité de evaluación de la IE"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let row = row_of(&app, &w).await;
    assert!(row["recovery"].is_null(), "{row}");
    // Told again: each drop is.
    assert_eq!(told_dropped(&app).await.len(), 2);
    let (status, _) = app
        .put(
            &format!("/sections/{}/acta/situations", w.section),
            &w.director,
            json!({"situations": [{"enrollment_id": enrollment, "situation": "requiere_recuperacion"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        row_of(&app, &w).await["recovery"].is_null(),
        "deleted, not hidden"
    );

    // The deadline closes the acta again: the director's e-mail says a recuperación is left to
    // record and links to its form.
    let after = tests::now() + chrono::Duration::days(3);
    let summary = siagie::alerts::run(
        &app.db,
        &app.config.jobs,
        siagie::links::Links::new(&app.config.auth.public_base_url),
        "register_coverage",
        after,
    )
    .await
    .expect("the job runs");
    assert!(
        summary.contains("1 modificación excepcional vencida"),
        "{summary}"
    );
    app.deliver_mail().await;
    let closed: Vec<String> = app
        .delivered()
        .into_iter()
        .map(|raw| tests::smtp::Received::from_raw(raw.into_bytes()).text())
        .filter(|text| text.contains("el acta se cerró nuevamente"))
        .collect();
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert!(
        closed[0].contains("Queda 1 estudiante con la recuperación pedagógica por registrar"),
        "{}",
        closed[0]
    );
    assert!(closed[0].contains(&form), "{}", closed[0]);
}

/// The e-mails delivered so far that tell a recorded recuperación was dropped, as text.
async fn told_dropped(app: &TestApp) -> Vec<String> {
    app.deliver_mail().await;
    app.delivered()
        .into_iter()
        .map(|raw| tests::smtp::Received::from_raw(raw.into_bytes()).text())
        .filter(|text| text.contains("dejó sin sustento la recuperación pedagógica"))
        .collect()
}

/// The director's "Pendientes" in Chromium, with JavaScript off and then on: the acta whose
/// recuperación is to be recorded is listed, its link opens the acta at the recuperación's form,
/// and the page has no serious accessibility violation.
#[tokio::test]
async fn a_recuperacion_to_record_is_reached_from_pendientes_in_a_browser() {
    let app = spawn_app().await;
    let w = recovering(&app).await;
    for scripts in [false, true] {
        let started = if scripts {
            Browser::start_with_scripts().await
        } else {
            Browser::start().await
        };
        let Some(browser) = started else {
            return;
        };
        browser.sign_in(&app, "secundaria.demo").await;
        browser
            .open(&format!("{}/consola/pendientes", app.address))
            .await;
        let pending = browser
            .text_with("Recuperación pedagógica por registrar")
            .await;
        assert!(
            pending.contains("Recuperación pedagógica por registrar"),
            "{pending}"
        );
        let violations = if scripts {
            browser.serious_accessibility_violations().await
        } else {
            Vec::new()
        };
        browser
            .click(&format!(
                "a[href='/consola/actas/{}#recuperacion']",
                w.section
            ))
            .await;
        let acta = browser
            .text_with("Calificaciones finales por estudiante y área")
            .await;
        browser.quit().await;
        assert!(
            acta.contains("Calificaciones finales por estudiante y área"),
            "{acta}"
        );
        assert!(acta.contains("Recuperación pedagógica"), "{acta}");
        assert!(violations.is_empty(), "{violations:?}");
    }
}
