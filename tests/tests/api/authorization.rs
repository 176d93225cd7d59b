//! The authorization matrix over HTTP: every protected endpoint × every demo role × inside and
//! outside its jurisdiction.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::json;
use tests::{TestApp, demo, spawn_app};

const ACCOUNTS: [&str; 8] = [
    "admin.demo",
    "agente.demo",
    "ugel.demo",
    "nivel.demo",
    "director.demo",
    "docente.demo",
    "pronoei.demo",
    "jaen.demo",
];

struct World {
    tokens: HashMap<&'static str, String>,
    primaria: i64,
    secundaria: i64,
    jaen: i64,
    taught: i64,
    not_taught: i64,
    jaen_section: i64,
}

async fn world(app: &TestApp) -> World {
    let mut tokens = HashMap::new();
    for account in ACCOUNTS {
        tokens.insert(account, app.login_as(account).await);
    }
    let admin = &tokens["admin.demo"];
    let primaria = app.school_id(admin, demo::PRIMARIA).await;
    let jaen = app.school_id(admin, demo::JAEN_PRIMARIA).await;
    let (_, me) = app.get("/me", &tokens["docente.demo"]).await;
    let taught = me["sections"][0].as_i64().unwrap();
    let sections = app.sections(admin, primaria).await;
    let not_taught = sections
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .find(|id| {
            !me["sections"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t.as_i64() == Some(*id))
        })
        .unwrap();
    let jaen_section = app.sections(admin, jaen).await[0]["id"].as_i64().unwrap();
    World {
        secundaria: app.school_id(admin, demo::SECUNDARIA).await,
        tokens,
        primaria,
        jaen,
        taught,
        not_taught,
        jaen_section,
    }
}

/// Expected status per account, in the order of [`ACCOUNTS`].
fn expect(app: &TestApp, label: &str, results: &[(&str, StatusCode)], expected: [u16; 8]) {
    let _ = app;
    for ((account, got), want) in results.iter().zip(expected) {
        assert_eq!(
            got.as_u16(),
            want,
            "{label}: {account} got {got}, expected {want}"
        );
    }
}

async fn get_all(app: &TestApp, w: &World, path: &str) -> Vec<(&'static str, StatusCode)> {
    let mut out = Vec::new();
    for account in ACCOUNTS {
        out.push((account, app.get(path, &w.tokens[account]).await.0));
    }
    out
}

#[tokio::test]
async fn reading_an_ie_follows_jurisdiction() {
    let app = spawn_app().await;
    let w = world(&app).await;
    //                                                   admin agente ugel nivel dir  doc  pron jaen
    expect(
        &app,
        "own IE",
        &get_all(&app, &w, &format!("/schools/{}", w.primaria)).await,
        [200, 200, 200, 200, 200, 200, 403, 403],
    );
    expect(
        &app,
        "other UGEL",
        &get_all(&app, &w, &format!("/schools/{}", w.jaen)).await,
        [200, 200, 403, 403, 403, 403, 403, 200],
    );
    expect(
        &app,
        "other level",
        &get_all(&app, &w, &format!("/schools/{}", w.secundaria)).await,
        [200, 200, 200, 403, 403, 403, 403, 403],
    );
    expect(
        &app,
        "missing IE",
        &get_all(&app, &w, "/schools/999999").await,
        [404; 8],
    );
}

#[tokio::test]
async fn reading_a_roster_follows_jurisdiction_and_teaching() {
    let app = spawn_app().await;
    let w = world(&app).await;
    //                                                                     admin agente ugel nivel dir  doc  pron jaen
    expect(
        &app,
        "taught",
        &get_all(&app, &w, &format!("/sections/{}/students", w.taught)).await,
        [200, 403, 200, 200, 200, 200, 403, 403],
    );
    expect(
        &app,
        "not taught",
        &get_all(&app, &w, &format!("/sections/{}/students", w.not_taught)).await,
        [200, 403, 200, 200, 200, 403, 403, 403],
    );
    expect(
        &app,
        "other UGEL",
        &get_all(&app, &w, &format!("/sections/{}/students", w.jaen_section)).await,
        [200, 403, 403, 403, 403, 403, 403, 200],
    );
    expect(
        &app,
        "sections of IE",
        &get_all(&app, &w, &format!("/schools/{}/sections", w.primaria)).await,
        [200, 403, 200, 200, 200, 200, 403, 403],
    );
}

#[tokio::test]
async fn a_teacher_lists_only_the_sections_it_teaches() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let sections = app.sections(&w.tokens["docente.demo"], w.primaria).await;
    assert_eq!(sections.len(), 2);
    let all = app.sections(&w.tokens["director.demo"], w.primaria).await;
    assert!(all.len() > 2);
}

#[tokio::test]
async fn listings_show_only_what_is_in_reach() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut totals = Vec::new();
    for account in ACCOUNTS {
        let (status, body) = app.get("/schools", &w.tokens[account]).await;
        assert_eq!(status, StatusCode::OK);
        totals.push(body["total"].as_u64().unwrap());
    }
    //                  admin agente ugel nivel dir pron jaen
    assert_eq!(
        totals,
        [7, 7, 4, 1, 1, 1, 1, 1],
        "schools visible per account"
    );

    let (_, ugels) = app.get("/ugels", &w.tokens["director.demo"]).await;
    assert_eq!(ugels.as_array().unwrap().len(), 1);
    let (_, ugels) = app.get("/ugels", &w.tokens["admin.demo"]).await;
    assert_eq!(ugels.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn only_the_director_and_the_administrator_change_an_ies_records() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let year = chrono::Datelike::year(&tests::now());
    let (_, grades) = app.get("/grades", &w.tokens["admin.demo"]).await;
    let fourth = grades
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["level"] == "primaria" && g["ordinal"] == 4)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let mut got = Vec::new();
    for (n, account) in ACCOUNTS.iter().enumerate() {
        let body = json!({"academic_year": year, "grade_id": fourth, "name": format!("Z{n}")});
        got.push((
            *account,
            app.post(
                &format!("/schools/{}/sections", w.primaria),
                &w.tokens[account],
                body,
            )
            .await
            .0,
        ));
    }
    //                                  admin agente ugel nivel dir  doc  pron jaen
    expect(
        &app,
        "create section",
        &got,
        [201, 403, 403, 403, 201, 403, 403, 403],
    );
}

#[tokio::test]
async fn only_the_administrator_creates_organisation_units() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let mut got = Vec::new();
    for (n, account) in ACCOUNTS.iter().enumerate() {
        got.push((
            *account,
            app.post(
                "/dres",
                &w.tokens[account],
                json!({"code": format!("DRE-T{n}"), "name": format!("DRE prueba {n}")}),
            )
            .await
            .0,
        ));
    }
    expect(
        &app,
        "create DRE",
        &got,
        [201, 403, 403, 403, 403, 403, 403, 403],
    );
}

#[tokio::test]
async fn calendar_days_are_added_by_the_units_that_own_them() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let (_, years) = app.get("/academic-years", &w.tokens["admin.demo"]).await;
    let year = years[0]["year"].as_i64().unwrap();
    let starts =
        chrono::NaiveDate::parse_from_str(years[0]["starts_on"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    let mut got = Vec::new();
    for (n, account) in ACCOUNTS.iter().enumerate() {
        let date = starts + chrono::Duration::days(n as i64 + 1);
        let body =
            json!({"date": date, "description": "Aniversario de la IE", "school_id": w.primaria});
        got.push((
            *account,
            app.post(
                &format!("/academic-years/{year}/calendar"),
                &w.tokens[account],
                body,
            )
            .await
            .0,
        ));
    }
    //                                     admin agente ugel nivel dir  doc  pron jaen
    expect(
        &app,
        "IE calendar day",
        &got,
        [201, 403, 201, 403, 201, 403, 403, 403],
    );
}
