//! Bulk roster import from CSV: every row checked, all or nothing.

use chrono::{Duration, NaiveDate};
use reqwest::{Method, StatusCode, header};
use serde_json::Value;
use tests::{TestApp, code, demo, read, spawn_app};

const HEADER: &str =
    "documento,apellido_paterno,apellido_materno,nombres,fecha_nacimiento,sexo,fecha_matricula";

async fn setup(app: &TestApp) -> (String, i64, NaiveDate) {
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let section = app.sections(&director, school).await.last().unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, years) = app.get("/academic-years", &director).await;
    let starts =
        NaiveDate::parse_from_str(years[0]["starts_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let today = tests::lima_today() - Duration::days(1);
    (director, section, (starts + Duration::days(1)).min(today))
}

async fn import(app: &TestApp, token: &str, section: i64, csv: String) -> (StatusCode, Value) {
    read(
        app.request(
            Method::POST,
            &format!("/sections/{section}/roster"),
            Some(token),
        )
        .header(header::CONTENT_TYPE, "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap(),
    )
    .await
}

async fn roster_len(app: &TestApp, token: &str, section: i64) -> usize {
    app.get(&format!("/sections/{section}/students"), token)
        .await
        .1
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_valid_roster_is_imported_in_one_go() {
    let app = spawn_app().await;
    let (director, section, start) = setup(&app).await;
    let before = roster_len(&app, &director, section).await;
    let date = start.format("%d/%m/%Y");
    let csv = format!(
        "{HEADER}\n81234567,Quispe,Mamani,Rosa Elena,2018-03-01,M,{date}\n12345678901234,Huamán,Ccori,Ángel,,H,{start}\n\n"
    );
    let (status, report) = import(&app, &director, section, csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rows"], 2);
    assert_eq!(report["students_created"], 2);
    assert_eq!(report["enrolled"], 2);
    assert_eq!(roster_len(&app, &director, section).await, before + 2);
    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), &director)
        .await;
    assert!(
        roster
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["student_code"] == "12345678901234" && s["given_names"] == "Ángel")
    );
}

#[tokio::test]
async fn importing_the_same_roster_twice_enrolls_nobody_twice() {
    let app = spawn_app().await;
    let (director, section, start) = setup(&app).await;
    let csv = format!("{HEADER}\n81234567,Quispe,Mamani,Rosa Elena,,M,{start}\n");
    assert_eq!(
        import(&app, &director, section, csv.clone()).await.0,
        StatusCode::OK
    );
    let before = roster_len(&app, &director, section).await;
    let (status, report) = import(&app, &director, section, csv).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["already_enrolled"], 1);
    assert_eq!(report["enrolled"], 0);
    assert_eq!(roster_len(&app, &director, section).await, before);
}

#[tokio::test]
async fn one_bad_row_rejects_the_file_lists_every_problem_and_writes_nothing() {
    let app = spawn_app().await;
    let (director, section, start) = setup(&app).await;
    let before = roster_len(&app, &director, section).await;
    let csv = format!(
        "{HEADER}\n\
         81234567,Quispe,Mamani,Rosa Elena,,M,{start}\n\
         1234,Rojas,Díaz,Luis,,H,{start}\n\
         81234568,Torres2,Díaz,Ana,31/02/2018,X,{start}\n\
         81234567,Repetido,Díaz,Ana,,M,{start}\n\
         81234569,Flores,Díaz,Ana,,M,2001-01-01\n"
    );
    let (status, error) = import(&app, &director, section, csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(code(&error), "roster_invalid");
    let rows = error["error"]["details"]["rows"].as_array().unwrap();
    let has = |line: u64, field: &str| {
        rows.iter()
            .any(|r| r["line"] == line && r["field"] == field)
    };
    assert!(has(3, "documento"), "{rows:?}");
    assert!(has(4, "apellido_paterno"));
    assert!(has(4, "fecha_nacimiento"));
    assert!(has(4, "sexo"));
    assert!(has(5, "documento"), "a repeated document");
    assert!(has(6, "fecha_matricula"), "outside the academic year");
    assert!(
        !rows.iter().any(|r| r["line"] == 2),
        "the good row is not reported"
    );
    assert_eq!(
        roster_len(&app, &director, section).await,
        before,
        "nothing written"
    );
}

#[tokio::test]
async fn a_student_enrolled_in_another_section_rejects_the_file() {
    let app = spawn_app().await;
    let (director, section, start) = setup(&app).await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let other = app.sections(&director, school).await[0]["id"]
        .as_i64()
        .unwrap();
    let (_, roster) = app
        .get(&format!("/sections/{other}/students"), &director)
        .await;
    let taken = roster[0]["dni"].as_str().unwrap().to_owned();
    let before = roster_len(&app, &director, section).await;
    let csv = format!(
        "{HEADER}\n81234567,Quispe,Mamani,Rosa,,M,{start}\n{taken},Otro,Nombre,Igual,,H,{start}\n"
    );
    let (status, error) = import(&app, &director, section, csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["details"]["rows"][0]["line"], 3);
    assert_eq!(roster_len(&app, &director, section).await, before);
}

#[tokio::test]
async fn a_file_without_the_expected_columns_is_a_bad_request() {
    let app = spawn_app().await;
    let (director, section, _) = setup(&app).await;
    let (status, error) = import(
        &app,
        &director,
        section,
        "dni;nombre\n12345678;Ana\n".into(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("apellido_paterno")
    );
}

#[tokio::test]
async fn semicolon_separated_files_from_spreadsheets_are_read() {
    let app = spawn_app().await;
    let (director, section, start) = setup(&app).await;
    let csv = format!(
        "\u{feff}{}\n81234567;Quispe;Mamani;Rosa;;M;{start}\n",
        HEADER.replace(',', ";")
    );
    let (status, report) = import(&app, &director, section, csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["enrolled"], 1);
}

#[tokio::test]
async fn a_teacher_cannot_import_a_roster() {
    let app = spawn_app().await;
    let (_, _, start) = setup(&app).await;
    let teacher = app.login_as("docente.demo").await;
    let (_, me) = app.get("/me", &teacher).await;
    let section = me["sections"][0].as_i64().unwrap();
    let (status, _) = import(
        &app,
        &teacher,
        section,
        format!("{HEADER}\n81234567,Quispe,Mamani,Rosa,,M,{start}\n"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_file_in_the_dnis_letters_records_boys_as_boys_and_a_mixed_one_is_refused() {
    let app = spawn_app().await;
    let (director, section, start) = setup(&app).await;
    // As the DNI writes it: M masculino, F femenino.
    let csv = format!(
        "{HEADER}\n81230001,Tantaleán,Vargas,Luis Alberto,2018-03-01,M,{start}\n\
         81230002,Tantaleán,Vargas,María José,2018-03-01,F,{start}\n"
    );
    let (status, report) = import(&app, &director, section, csv).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), &director)
        .await;
    let sex_of = |dni: &str| {
        roster
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["dni"] == dni)
            .unwrap()["sex"]
            .clone()
    };
    assert_eq!(sex_of("81230001"), "H", "a boy, whom the DNI marks M");
    assert_eq!(sex_of("81230002"), "M");

    // H, M and F together: nothing is written, and the rows are named.
    let before = roster_len(&app, &director, section).await;
    let csv = format!(
        "{HEADER}\n81230003,Ramos,Cieza,Pedro,2018-03-01,H,{start}\n\
         81230004,Ramos,Cieza,Ana,2018-03-01,F,{start}\n\
         81230005,Ramos,Cieza,José,2018-03-01,M,{start}\n"
    );
    let (status, body) = import(&app, &director, section, csv).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(code(&body), "roster_invalid");
    let rows: Vec<i64> = body["error"]["details"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["field"] == "sexo")
        .map(|r| r["line"].as_i64().unwrap())
        .collect();
    assert_eq!(rows, vec![2, 3, 4], "{body}");
    assert_eq!(roster_len(&app, &director, section).await, before);
}
