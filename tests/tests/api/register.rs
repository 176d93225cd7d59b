//! The monthly register on the web: the grid, writing cells, "completar hasta el día N",
//! closure, the list of states, the PDF and the export for social programmes.

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, code, demo, lima_today, read, spawn_app};

struct Setup {
    director: String,
    teacher: String,
    section: i64,
    year: i32,
    month: u32,
    last_day: NaiveDate,
}

/// Last month (entirely in the past), in the teacher's first section.
async fn setup(app: &TestApp) -> Setup {
    let director = app.login_as("director.demo").await;
    let teacher = app.login_as("docente.demo").await;
    let (_, me) = app.get("/me", &teacher).await;
    let section = me["sections"][0].as_i64().unwrap();
    let last_day = lima_today().with_day(1).unwrap() - Duration::days(1);
    Setup {
        director,
        teacher,
        section,
        year: last_day.year(),
        month: last_day.month(),
        last_day,
    }
}

fn base(s: &Setup) -> String {
    format!("/sections/{}/registers/{}/{}", s.section, s.year, s.month)
}

async fn put_cells(app: &TestApp, token: &str, path: &str, cells: Value) -> (StatusCode, Value) {
    read(
        app.request(Method::PUT, &format!("{path}/cells"), Some(token))
            .json(&json!({"cells": cells}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn first_academic(register: &Value) -> NaiveDate {
    let day = register["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["academic"] == true)
        .unwrap();
    NaiveDate::parse_from_str(day["date"].as_str().unwrap(), "%Y-%m-%d").unwrap()
}

#[tokio::test]
async fn the_grid_shows_every_day_with_a_code_or_the_reason_it_has_none() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (status, register) = app.get(&base(&s), &s.teacher).await;
    assert_eq!(status, StatusCode::OK, "{register}");
    assert_eq!(register["state"], "sin_datos");
    let days = register["days"].as_array().unwrap();
    assert_eq!(days.len() as u32, s.last_day.day());
    let weekend = days.iter().find(|d| d["weekday"] == "S").unwrap();
    assert_eq!(weekend["academic"], false);
    assert_eq!(weekend["description"], "Fin de semana");
    let row = &register["rows"][0];
    assert_eq!(row["number"], 1);
    assert!(row["full_name"].as_str().unwrap().contains(", "));
    let cells = row["cells"].as_array().unwrap();
    assert!(cells.iter().any(|c| c["reason"] == "no_academico"));
    assert!(cells.iter().any(|c| c["reason"] == "pendiente"));
    assert!(register["missing_cells"].as_u64().unwrap() > 0);

    // A student enrolled late shows "sin_matricula" before its start; a transfer, after its date.
    let (_, roster) = app
        .get(&format!("/sections/{}/students", s.section), &s.director)
        .await;
    let moved = &roster[0];
    let transfer = register["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["academic"] == true)
        .map(|d| NaiveDate::parse_from_str(d["date"].as_str().unwrap(), "%Y-%m-%d").unwrap())
        .find(|d| *d >= first_academic(&register) + Duration::days(7))
        .unwrap();
    app.patch(
        &format!("/enrollments/{}", moved["enrollment_id"]),
        &s.director,
        json!({"status": "retirado", "status_date": transfer}),
    )
    .await;
    let (_, register) = app.get(&base(&s), &s.teacher).await;
    let row = register["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["student_id"] == moved["student_id"])
        .unwrap();
    let after = row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["date"] == transfer.to_string())
        .unwrap();
    assert_eq!(after["reason"], "retirado");
}

#[tokio::test]
async fn cells_are_written_all_or_nothing_and_complete_up_to_day_n_fills_only_empty_academic_cells()
{
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (_, register) = app.get(&base(&s), &s.teacher).await;
    let day = first_academic(&register);
    let student = register["rows"][0]["student_id"].as_i64().unwrap();
    let other = register["rows"][1]["student_id"].as_i64().unwrap();
    let saturday = register["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["weekday"] == "S")
        .unwrap()["date"]
        .clone();

    let (status, error) = put_cells(
        &app,
        &s.teacher,
        &base(&s),
        json!([
            {"student_id": student, "date": day, "status": "falta"},
            {"student_id": other, "date": saturday, "status": "falta"},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&error), "invalid_cells");
    assert_eq!(
        error["error"]["details"]["cells"][0]["code"],
        "non_academic_day"
    );
    let (_, unchanged) = app.get(&base(&s), &s.teacher).await;
    assert_eq!(unchanged["state"], "sin_datos", "nothing was saved");

    let (status, error) = put_cells(
        &app,
        &s.teacher,
        &base(&s),
        json!([{"student_id": student, "date": day, "status": "x"}]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");

    let (status, saved) = put_cells(
        &app,
        &s.teacher,
        &base(&s),
        json!([{"student_id": student, "date": day, "status": "falta"}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["state"], "parcial");

    let (status, filled) = app
        .post(
            &format!("{}/complete", base(&s)),
            &s.teacher,
            json!({"up_to_day": day.day() + 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{filled}");
    let row = filled["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["student_id"] == student)
        .unwrap();
    let first = row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["date"] == day.to_string())
        .unwrap();
    assert_eq!(
        first["status"], "falta",
        "a registered cell is not overwritten"
    );
    let later = row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "asistio")
        .count();
    assert!(later >= 1);
    let beyond = row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["date"] == s.last_day.to_string())
        .unwrap();
    assert_ne!(beyond["status"], "asistio", "days after N are untouched");

    let (status, _) = app
        .post(
            &format!("{}/complete", base(&s)),
            &s.teacher,
            json!({"up_to_day": 40}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let future = lima_today() + Duration::days(40);
    let (status, _) = app
        .post(
            &format!(
                "/sections/{}/registers/{}/{}/complete",
                s.section,
                future.year(),
                future.month()
            ),
            &s.teacher,
            json!({"up_to_day": future.day()}),
        )
        .await;
    assert!(
        status == StatusCode::UNPROCESSABLE_ENTITY,
        "no future days ({status})"
    );
}

#[tokio::test]
async fn only_a_complete_register_is_closed_and_only_by_the_director() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (status, error) = app
        .post(&format!("{}/close", base(&s)), &s.director, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&error), "register_incomplete");
    let missing = error["error"]["details"]["missing"].as_array().unwrap();
    assert!(!missing.is_empty());
    assert!(missing[0]["dates"].as_array().unwrap().len() > 1);

    let (_, complete) = app
        .post(
            &format!("{}/complete", base(&s)),
            &s.teacher,
            json!({"up_to_day": s.last_day.day()}),
        )
        .await;
    assert_eq!(complete["state"], "completo");
    assert_eq!(complete["missing_cells"], 0);
    let (status, _) = app
        .post(&format!("{}/close", base(&s)), &s.teacher, json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "closing is the director's act"
    );
    let (status, closed) = app
        .post(&format!("{}/close", base(&s)), &s.director, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(closed["state"], "cerrado");
    let (status, _) = app
        .post(&format!("{}/close", base(&s)), &s.director, json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (_, register) = app.get(&base(&s), &s.teacher).await;
    let student = register["rows"][0]["student_id"].as_i64().unwrap();
    let (status, error) = put_cells(
        &app,
        &s.teacher,
        &base(&s),
        json!([{"student_id": student, "date": first_academic(&register), "status": "falta"}]),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&error), "register_closed");
}

#[tokio::test]
async fn the_ugel_sees_the_state_of_every_register_of_its_schools() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    app.post(
        &format!("{}/complete", base(&s)),
        &s.teacher,
        json!({"up_to_day": s.last_day.day()}),
    )
    .await;
    app.post(&format!("{}/close", base(&s)), &s.director, json!({}))
        .await;
    let ugel = app.login_as("ugel.demo").await;
    let (_, me) = app.get("/me", &ugel).await;
    let ugel_id = me["roles"][0]["ugel_id"].as_i64().unwrap();
    let (status, rows) = app
        .get(
            &format!(
                "/registers?ugel_id={ugel_id}&year={}&month={}",
                s.year, s.month
            ),
            &ugel,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let rows = rows.as_array().unwrap();
    assert_eq!(
        rows.iter().find(|r| r["section_id"] == s.section).unwrap()["state"],
        "cerrado"
    );
    assert!(rows.iter().filter(|r| r["state"] == "sin_datos").count() >= 3);
    assert!(
        rows.iter()
            .all(|r| r["school_code"].as_str().unwrap().len() == 9)
    );

    let jaen = app.login_as("jaen.demo").await;
    let (status, _) = app
        .get(
            &format!(
                "/registers?ugel_id={ugel_id}&year={}&month={}",
                s.year, s.month
            ),
            &jaen,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_register_pdf_is_a_real_document_with_the_month_in_spanish() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    app.post(
        &format!("{}/complete", base(&s)),
        &s.teacher,
        json!({"up_to_day": s.last_day.day()}),
    )
    .await;
    let response = app
        .request(Method::GET, &format!("{}/pdf", base(&s)), Some(&s.teacher))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(
        bytes.len() > 2_000 && bytes.len() < 400_000,
        "{} bytes",
        bytes.len()
    );
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("/Type /Page") || text.contains("/Type/Page"));

    let jaen = app.login_as("jaen.demo").await;
    let response = app
        .request(Method::GET, &format!("{}/pdf", base(&s)), Some(&jaen))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_programme_export_counts_each_code_per_student_with_the_attendance_rate() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (_, register) = app.get(&base(&s), &s.teacher).await;
    let day = first_academic(&register);
    let student = register["rows"][0]["student_id"].as_i64().unwrap();
    put_cells(
        &app,
        &s.teacher,
        &base(&s),
        json!([{"student_id": student, "date": day, "status": "falta"}]),
    )
    .await;
    app.post(
        &format!("{}/complete", base(&s)),
        &s.teacher,
        json!({"up_to_day": s.last_day.day()}),
    )
    .await;

    let ugel = app.login_as("ugel.demo").await;
    let (_, me) = app.get("/me", &ugel).await;
    let ugel_id = me["roles"][0]["ugel_id"].as_i64().unwrap();
    let response = app
        .request(
            Method::GET,
            &format!(
                "/exports/attendance?ugel_id={ugel_id}&year={}&month={}",
                s.year, s.month
            ),
            Some(&ugel),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header[0], "documento");
    assert_eq!(*header.last().unwrap(), "porcentaje_asistencia");
    let dni = register["rows"][0]["document"].as_str().unwrap();
    let row: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with(dni))
        .unwrap()
        .split(',')
        .collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    let academic: f64 = col("dias_academicos").parse().unwrap();
    assert_eq!(col("falta"), "1");
    assert_eq!(col("asistio").parse::<f64>().unwrap(), academic - 1.0);
    assert_eq!(col("dias_sin_registro"), "0");
    let rate: f64 = col("porcentaje_asistencia").parse().unwrap();
    assert!(
        (rate - (academic - 1.0) * 100.0 / academic).abs() < 0.06,
        "{rate}"
    );
    let students_in_ugel = csv.lines().count() - 1;
    assert!(
        students_in_ugel > 100,
        "every student of the UGEL's IEs: {students_in_ugel}"
    );

    let director = app.login_as("director.demo").await;
    let (status, _) = app
        .get(
            &format!(
                "/exports/attendance?ugel_id={ugel_id}&year={}&month={}",
                s.year, s.month
            ),
            &director,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a director exports its own IE only"
    );
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let response = app
        .request(
            Method::GET,
            &format!(
                "/exports/attendance?school_id={school}&year={}&month={}",
                s.year, s.month
            ),
            Some(&director),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// Completes and closes last month's register of the teacher's first section.
async fn close_last_month(app: &TestApp, s: &Setup) {
    app.post(
        &format!("{}/complete", base(s)),
        &s.teacher,
        json!({"up_to_day": s.last_day.day()}),
    )
    .await;
    let (status, closed) = app
        .post(&format!("{}/close", base(s)), &s.director, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
}

fn refused_naming(s: &Setup, status: StatusCode, error: &Value, what: &str) {
    assert_eq!(status, StatusCode::CONFLICT, "{what}: {error}");
    assert_eq!(code(error), "register_closed", "{what}");
    let registers = error["error"]["details"]["registers"].as_array().unwrap();
    assert!(
        registers
            .iter()
            .any(|r| r["section_id"] == s.section && r["year"] == s.year && r["month"] == s.month),
        "{what}: {error}"
    );
}

#[tokio::test]
async fn a_closed_register_changes_only_through_an_exceptional_modification() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    close_last_month(&app, &s).await;
    let (_, before) = app.get(&base(&s), &s.director).await;
    let day = first_academic(&before);
    let (_, roster) = app
        .get(&format!("/sections/{}/students", s.section), &s.director)
        .await;
    let enrollment = roster[0]["enrollment_id"].as_i64().unwrap();

    for status in ["retirado", "trasladado", "fallecido"] {
        let (code_, error) = app
            .patch(
                &format!("/enrollments/{enrollment}"),
                &s.director,
                json!({"status": status, "status_date": day + Duration::days(1)}),
            )
            .await;
        refused_naming(&s, code_, &error, status);
    }
    let ugel = app.login_as("ugel.demo").await;
    let (_, me) = app.get("/me", &ugel).await;
    let ugel_id = me["roles"][0]["ugel_id"].as_i64().unwrap();
    let school = app.school_id(&s.director, demo::PRIMARIA).await;
    let calendar = format!("/academic-years/{}/calendar", s.year);
    let (status, error) = app
        .post(
            &calendar,
            &s.director,
            json!({"date": day, "description": "Aniversario", "school_id": school}),
        )
        .await;
    refused_naming(&s, status, &error, "an IE day");
    let (status, error) = app
        .post(
            &calendar,
            &ugel,
            json!({"date": day, "description": "Día de la UGEL", "ugel_id": ugel_id}),
        )
        .await;
    refused_naming(&s, status, &error, "a UGEL day");
    let (status, error) = app
        .post(
            &format!("/sections/{}/students", s.section),
            &s.director,
            json!({"document": "71234599", "paternal_surname": "Chávez", "maternal_surname": "Ñique",
                   "given_names": "Luz", "starts_on": day}),
        )
        .await;
    refused_naming(
        &s,
        status,
        &error,
        "an enrollment starting inside the month",
    );
    let (status, error) = read(
        app.request(
            Method::POST,
            &format!("/sections/{}/roster", s.section),
            Some(&s.director),
        )
        .header("content-type", "text/csv")
        .body(format!(
            "documento,apellido_paterno,apellido_materno,nombres,fecha_nacimiento,sexo,fecha_matricula\n71234598,Chávez,Ñique,Ana,2018-04-02,M,{day}\n"
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    refused_naming(
        &s,
        status,
        &error,
        "a roster import starting inside the month",
    );

    let (status, error) = app
        .post(
            &format!("{}/complete", base(&s)),
            &s.director,
            json!({"up_to_day": s.last_day.day()}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(code(&error), "register_closed");

    let (_, after) = app.get(&base(&s), &s.director).await;
    assert_eq!(after, before, "the closed register did not change");

    // With an exceptional modification enabled, the same retiro goes through.
    let (status, request) = app
        .post(
            &format!("{}/modifications", base(&s)),
            &s.director,
            json!({"reason": "Retiro no registrado a tiempo"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_i64().unwrap();
    let nivel = app.login_as("nivel.demo").await;
    let (status, _) = app
        .post(
            &format!("/register-modifications/{id}/opinion"),
            &nivel,
            json!({"favorable": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let until = tests::now() + Duration::days(2);
    let (status, body) = app
        .post(
            &format!("/register-modifications/{id}/enable"),
            &ugel,
            json!({"until": until}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .patch(
            &format!("/enrollments/{enrollment}"),
            &s.director,
            json!({"status": "retirado", "status_date": day + Duration::days(1)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn the_export_agrees_with_the_grid_after_a_calendar_change_and_a_retiro() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    app.post(
        &format!("{}/complete", base(&s)),
        &s.teacher,
        json!({"up_to_day": s.last_day.day()}),
    )
    .await;
    let (_, register) = app.get(&base(&s), &s.director).await;
    let academic: Vec<NaiveDate> = register["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["academic"] == true)
        .map(|d| NaiveDate::parse_from_str(d["date"].as_str().unwrap(), "%Y-%m-%d").unwrap())
        .collect();
    // A day made non-academic after it was filled, and a retiro after the fifth academic day.
    let school = app.school_id(&s.director, demo::PRIMARIA).await;
    let (status, body) = app
        .post(
            &format!("/academic-years/{}/calendar", s.year),
            &s.director,
            json!({"date": academic[2], "description": "Aniversario", "school_id": school}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, roster) = app
        .get(&format!("/sections/{}/students", s.section), &s.director)
        .await;
    let leaving = &roster[0];
    let (status, body) = app
        .patch(
            &format!("/enrollments/{}", leaving["enrollment_id"]),
            &s.director,
            json!({"status": "retirado", "status_date": academic[5]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (_, grid) = app.get(&base(&s), &s.director).await;
    let response = app
        .request(
            Method::GET,
            &format!(
                "/exports/attendance?school_id={school}&year={}&month={}",
                s.year, s.month
            ),
            Some(&s.director),
        )
        .send()
        .await
        .unwrap();
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    let col =
        |row: &Vec<String>, name: &str| row[header.iter().position(|h| h == name).unwrap()].clone();
    for row in grid["rows"].as_array().unwrap() {
        let document = row["document"].as_str().unwrap();
        let line = rows
            .iter()
            .find(|r| r[0] == document)
            .unwrap_or_else(|| panic!("{document} in the export"));
        let cells = row["cells"].as_array().unwrap();
        let count = |status: &str| cells.iter().filter(|c| c["status"] == status).count();
        let due = cells
            .iter()
            .filter(|c| c["status"].is_string() || c["reason"] == "pendiente")
            .count();
        assert_eq!(
            col(line, "asistio"),
            count("asistio").to_string(),
            "{document}"
        );
        assert_eq!(col(line, "falta"), count("falta").to_string(), "{document}");
        assert_eq!(col(line, "dias_academicos"), due.to_string(), "{document}");
        let rate: f64 = col(line, "porcentaje_asistencia").parse().unwrap();
        assert!(rate <= 100.0, "{document}: {rate}");
        assert_eq!(col(line, "estado_registro"), "completo", "{document}");
    }
    let leaving_document = grid["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["enrollment_id"] == leaving["enrollment_id"])
        .unwrap()["document"]
        .as_str()
        .unwrap();
    let left = rows.iter().find(|r| r[0] == leaving_document).unwrap();
    assert_eq!(
        col(left, "dias_academicos"),
        "4",
        "academic days before the retiro, less the one made non-academic"
    );
}

#[tokio::test]
async fn the_exceptional_modification_is_followed_from_inside_and_each_next_person_is_told() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    close_last_month(&app, &s).await;
    let nivel = app.login_as("nivel.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let jaen = app.login_as("jaen.demo").await;
    let agente = app.login_as("agente.demo").await;
    let ask = |reason: &'static str| {
        let path = format!("{}/modifications", base(&s));
        let director = s.director.clone();
        let app = &app;
        async move { app.post(&path, &director, json!({"reason": reason})).await }
    };

    // Asked: the level specialist is told, and finds it in its list.
    let (status, first) = ask("Se registró a un estudiante retirado").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let mail = app.mail_to("nivel.demo@siagie.local").await;
    assert!(mail.contains("opinar"), "{mail}");
    let (status, list) = app
        .get("/register-modifications?state=requested", &nivel)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], 1);
    let item = &list["items"][0];
    assert_eq!(item["section_id"], s.section);
    assert_eq!(item["month"], s.month);
    assert_eq!(item["reason"], "Se registró a un estudiante retirado");
    assert!(
        item["school_code"]
            .as_str()
            .unwrap()
            .starts_with(demo::PRIMARIA)
    );
    let id = first["id"].as_i64().unwrap();
    for (token, who) in [(&ugel, "ugel"), (&s.director, "director")] {
        let (status, one) = app
            .get(&format!("/register-modifications/{id}"), token)
            .await;
        assert_eq!(status, StatusCode::OK, "{who}: {one}");
        assert_eq!(one["status"], "requested");
    }
    let (status, none) = app.get("/register-modifications", &jaen).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(none["total"], 0, "another UGEL's director sees none");
    let (status, _) = app
        .get(&format!("/register-modifications/{id}"), &jaen)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get("/register-modifications", &agente).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get("/register-modifications", &s.teacher).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Unfavourable: the director is told why.
    let (status, _) = app
        .post(
            &format!("/register-modifications/{id}/opinion"),
            &nivel,
            json!({"favorable": false, "note": "No adjunta sustento"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mail = app.mail_to("director.demo@siagie.local").await;
    assert!(mail.contains("No adjunta sustento"), "{mail}");

    // Asked again, favourable: the UGEL specialist is told; enabled: the director, with the deadline.
    let (_, second) = ask("Se adjunta la resolución de retiro").await;
    let id = second["id"].as_i64().unwrap();
    app.post(
        &format!("/register-modifications/{id}/opinion"),
        &nivel,
        json!({"favorable": true}),
    )
    .await;
    let mail = app.mail_to("ugel.demo@siagie.local").await;
    assert!(mail.contains("habilitar"), "{mail}");
    let until = tests::now() + Duration::days(3);
    let (status, enabled) = app
        .post(
            &format!("/register-modifications/{id}/enable"),
            &ugel,
            json!({"until": until}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    assert_eq!(enabled["status"], "enabled");
    assert!(enabled["enabled_until"].is_string());
    let deadline = until
        .with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).unwrap())
        .format("%d/%m/%Y")
        .to_string();
    app.deliver_mail().await;
    let told = app
        .delivered()
        .iter()
        .any(|m| m.contains("director.demo@siagie.local") && m.contains(&deadline));
    assert!(told, "the director is told the deadline {deadline}");
    let (_, list) = app
        .get("/register-modifications?state=enabled", &s.director)
        .await;
    assert_eq!(list["total"], 1, "{list}");

    // An edit while enabled keeps the value before and after in the audit trail.
    let (_, register) = app.get(&base(&s), &s.director).await;
    let student = register["rows"][0]["student_id"].as_i64().unwrap();
    let day = first_academic(&register);
    let (status, body) = put_cells(
        &app,
        &s.director,
        &base(&s),
        json!([{"student_id": student, "date": day, "status": "falta"}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let school = app.school_id(&s.director, demo::PRIMARIA).await;
    let (_, audit) = app
        .get(&format!("/audit?school_id={school}"), &s.director)
        .await;
    let edit = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "register_modified")
        .expect("the edit is audited");
    let text = edit.to_string();
    assert!(text.contains("asistio") && text.contains("falta"), "{text}");
}

/// UGEL Jaén has neither an Especialista del nivel nor an Especialista SIAGIE: a request of one
/// of its IEs goes to the DRE's Especialista SIAGIE, who is told, lists it and takes both steps;
/// the director learns who will decide.
#[tokio::test]
async fn a_modification_where_the_ugel_has_nobody_goes_to_the_dre_and_nobody_is_left_waiting() {
    let app = spawn_app().await;
    let director = app.login_as("jaen.demo").await;
    let school = app.school_id(&director, demo::JAEN_PRIMARIA).await;
    let section = app.sections(&director, school).await[0]["id"].clone();
    let last_day = lima_today().with_day(1).unwrap() - Duration::days(1);
    let register = format!(
        "/sections/{section}/registers/{}/{}",
        last_day.year(),
        last_day.month()
    );
    app.post(
        &format!("{register}/complete"),
        &director,
        json!({"up_to_day": last_day.day()}),
    )
    .await;
    let (status, body) = app
        .post(&format!("{register}/close"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, request) = app
        .post(
            &format!("{register}/modifications"),
            &director,
            json!({"reason": "Un retiro registrado en la fecha equivocada"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    assert!(
        request["next_step_by"].as_str().unwrap().contains("DRE"),
        "{request}"
    );
    let id = request["id"].as_i64().unwrap();

    let told =
        tests::smtp::Received::from_raw(app.mail_to("dre.demo@siagie.local").await.into_bytes())
            .text();
    assert!(told.contains("Cristo Rey"), "{told}");
    let dre = app.login_as("dre.demo").await;
    let (status, listed) = app.get("/register-modifications", &dre).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == id),
        "{listed}"
    );
    // Not the administrator's step, nor a specialist's of another UGEL.
    for who in ["admin.demo", "nivel.demo", "ugel.demo"] {
        let token = app.login_as(who).await;
        let (status, body) = app
            .post(
                &format!("/register-modifications/{id}/opinion"),
                &token,
                json!({"favorable": true}),
            )
            .await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{who}: {status} {body}"
        );
    }
    let (status, body) = app
        .post(
            &format!("/register-modifications/{id}/opinion"),
            &dre,
            json!({"favorable": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            &format!("/register-modifications/{id}/enable"),
            &dre,
            json!({"until": tests::now() + Duration::days(2)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "enabled");
    let enabled =
        tests::smtp::Received::from_raw(app.mail_to("jaen.demo@siagie.local").await.into_bytes())
            .text();
    assert!(enabled.contains("habilitada"), "{enabled}");
}

#[tokio::test]
async fn a_cell_written_over_what_its_writer_saw_is_refused_when_someone_else_wrote_it_meanwhile() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let (_, register) = app.get(&base(&s), &s.teacher).await;
    let day = first_academic(&register);
    let student = register["rows"][0]["student_id"].as_i64().unwrap();
    let other = register["rows"][1]["student_id"].as_i64().unwrap();
    // Both open the register with the cells empty; the teacher saves first.
    let (status, body) = put_cells(
        &app,
        &s.teacher,
        &base(&s),
        json!([{"student_id": student, "date": day, "status": "falta", "was": ""}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The director's save, over the empty cell it saw, is refused whole: the other cell too.
    let (status, error) = put_cells(
        &app,
        &s.director,
        &base(&s),
        json!([
            {"student_id": other, "date": day, "status": "tardanza", "was": ""},
            {"student_id": student, "date": day, "status": "asistio", "was": ""},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(code(&error), "changed_since_loaded");
    let moved = error["error"]["details"]["cells"].as_array().unwrap();
    assert_eq!(moved.len(), 1, "{error}");
    assert_eq!(moved[0]["student_id"], student);
    let (_, now) = app.get(&base(&s), &s.director).await;
    let status_of = |row: usize| {
        now["rows"][row]["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["date"] == json!(day))
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status_of(0), "falta");
    assert_eq!(
        status_of(1),
        Value::Null,
        "nothing of the refused save was written"
    );
    // Over what it sees now, or without saying what it saw, the save goes through.
    let (status, body) = put_cells(
        &app,
        &s.director,
        &base(&s),
        json!([
            {"student_id": student, "date": day, "status": "asistio", "was": "falta"},
            {"student_id": other, "date": day, "status": "tardanza"},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A status the register does not know, as what was seen, is named.
    let (status, error) = put_cells(
        &app,
        &s.director,
        &base(&s),
        json!([{"student_id": student, "date": day, "status": "falta", "was": "presente"}]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
}
