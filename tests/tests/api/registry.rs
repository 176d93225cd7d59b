//! The organisation registry: units, calendar, sections, enrollments, staff.

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{TestApp, code, demo, spawn_app};

async fn current_year(app: &TestApp, token: &str) -> (i64, NaiveDate) {
    let (_, years) = app.get("/academic-years", token).await;
    let year = &years[0];
    (
        year["year"].as_i64().unwrap(),
        NaiveDate::parse_from_str(year["starts_on"].as_str().unwrap(), "%Y-%m-%d").unwrap(),
    )
}

fn new_school(ugel_id: i64, codigo: &str) -> Value {
    json!({
        "ugel_id": ugel_id, "codigo_modular": codigo, "anexo": 0, "name": "IE N° 82001 José Olaya",
        "level": "primaria", "modality": "ebr", "management": "publica",
        "centro_poblado": "Namballe", "district": "Namballe", "email": "IE82001@Gmail.com"
    })
}

#[tokio::test]
async fn the_administrator_builds_the_hierarchy_dre_ugel_ie() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    let (status, dre) = app
        .post(
            "/dres",
            &admin,
            json!({"code": "dre-pIu", "name": "DRE Piura"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{dre}");
    assert_eq!(dre["code"], "DRE-PIU");
    let (status, ugel) = app
        .post(
            "/ugels",
            &admin,
            json!({"dre_id": dre["id"], "code": "UGEL-SULLANA", "name": "UGEL Sullana"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ugel}");
    let (status, school) = app
        .post(
            "/schools",
            &admin,
            new_school(ugel["id"].as_i64().unwrap(), "1234567"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{school}");
    assert_eq!(school["code"], "1234567-0");
    assert_eq!(school["email"], "ie82001@gmail.com");

    let (_, listed) = app
        .get(&format!("/schools?dre_id={}", dre["id"]), &admin)
        .await;
    assert_eq!(listed["total"], 1);
    let (_, by_code) = app.get("/schools?q=1234567", &admin).await;
    assert_eq!(by_code["items"][0]["name"], "IE N° 82001 José Olaya");
}

#[tokio::test]
async fn a_bad_ie_gets_every_field_error_in_spanish_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    let body = json!({
        "ugel_id": 999999, "codigo_modular": "12AB", "anexo": 12, "name": " ", "level": "universidad",
        "modality": "EBR", "management": "mixta", "centro_poblado": "X", "district": "Y", "email": "no-es-correo"
    });
    let (status, error) = app.post("/schools", &admin, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&error), "validation_failed");
    let fields = error["error"]["fields"].as_object().unwrap();
    for field in [
        "ugel_id",
        "codigo_modular",
        "anexo",
        "name",
        "level",
        "modality",
        "management",
        "email",
    ] {
        assert!(
            fields.contains_key(field),
            "{field} should be reported: {error}"
        );
    }
    assert_eq!(
        fields["codigo_modular"],
        "El código modular debe tener exactamente 7 dígitos."
    );
    let (_, all) = app.get("/schools", &admin).await;
    assert_eq!(all["total"], 7);
}

#[tokio::test]
async fn a_repeated_codigo_modular_and_anexo_is_a_conflict() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    let (_, ugels) = app.get("/ugels", &admin).await;
    let ugel = ugels[0]["id"].as_i64().unwrap();
    let (status, error) = app
        .post("/schools", &admin, new_school(ugel, demo::PRIMARIA))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&error), "school_exists");
    let mut annex = new_school(ugel, demo::PRIMARIA);
    annex["anexo"] = json!(1);
    let (status, _) = app.post("/schools", &admin, annex).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "another anexo of the same código modular is another IE"
    );
}

#[tokio::test]
async fn a_pronoei_must_be_of_the_initial_level() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    let (_, ugels) = app.get("/ugels", &admin).await;
    let mut body = new_school(ugels[0]["id"].as_i64().unwrap(), "7654321");
    body["is_pronoei"] = json!(true);
    let (status, error) = app.post("/schools", &admin, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["is_pronoei"].is_string());
}

#[tokio::test]
async fn the_calendar_of_an_ie_adds_its_ugels_and_its_own_days_to_the_national_ones() {
    let app = spawn_app().await;
    let ugel = app.login_as("ugel.demo").await;
    let director = app.login_as("director.demo").await;
    let jaen = app.login_as("jaen.demo").await;
    let (year, starts) = current_year(&app, &director).await;
    let primaria = app.school_id(&director, demo::PRIMARIA).await;
    let jaen_school = app.school_id(&jaen, demo::JAEN_PRIMARIA).await;
    let (_, me) = app.get("/me", &ugel).await;
    let ugel_id = me["roles"][0]["ugel_id"].as_i64().unwrap();

    let path = format!("/academic-years/{year}/calendar");
    let (national, _) = (
        app.get(&path, &director).await.1.as_array().unwrap().len(),
        (),
    );
    let (status, _) = app.post(&path, &ugel, json!({"date": starts + Duration::days(3), "description": "Fiesta patronal de San Ignacio", "ugel_id": ugel_id})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app.post(&path, &director, json!({"date": starts + Duration::days(4), "description": "Aniversario de la IE", "school_id": primaria})).await;
    assert_eq!(status, StatusCode::CREATED);

    let (_, own) = app
        .get(&format!("{path}?school_id={primaria}"), &director)
        .await;
    assert_eq!(own.as_array().unwrap().len(), national + 2);
    let (_, other) = app
        .get(&format!("{path}?school_id={jaen_school}"), &jaen)
        .await;
    assert_eq!(
        other.as_array().unwrap().len(),
        national,
        "another UGEL's days do not apply"
    );

    let (status, error) = app.post(&path, &director, json!({"date": format!("{}-01-02", year + 1), "description": "Fuera", "school_id": primaria})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["date"].is_string());
    let _ = starts.year();
}

#[tokio::test]
async fn a_director_enrolls_a_student_and_cannot_enroll_it_twice_in_the_year() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let sections = app.sections(&director, school).await;
    let (first, second) = (
        sections[0]["id"].as_i64().unwrap(),
        sections[1]["id"].as_i64().unwrap(),
    );
    let (_, starts) = current_year(&app, &director).await;
    let today = tests::lima_today();
    let start = if starts < today {
        starts + Duration::days(1)
    } else {
        starts
    };
    let (_, before) = app
        .get(&format!("/sections/{first}/students"), &director)
        .await;
    let student = json!({
        "document": "76543210", "paternal_surname": "Ñahui", "maternal_surname": "Quispe",
        "given_names": "José María", "birth_date": "2019-05-04", "sex": "h", "starts_on": start
    });
    let (status, entry) = app
        .post(
            &format!("/sections/{first}/students"),
            &director,
            student.clone(),
        )
        .await;
    if starts > today {
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "no enrollment in the future"
        );
        return;
    }
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(entry["status"], "activo");
    assert_eq!(entry["paternal_surname"], "Ñahui");
    let (_, after) = app
        .get(&format!("/sections/{first}/students"), &director)
        .await;
    assert_eq!(
        after.as_array().unwrap().len(),
        before.as_array().unwrap().len() + 1
    );

    let (status, error) = app
        .post(
            &format!("/sections/{first}/students"),
            &director,
            student.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&error), "already_enrolled");
    let (status, error) = app
        .post(&format!("/sections/{second}/students"), &director, student)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&error), "enrolled_elsewhere");
}

#[tokio::test]
async fn bad_enrollments_are_refused_field_by_field() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let section = app.sections(&director, school).await[0]["id"]
        .as_i64()
        .unwrap();
    let (year, _) = current_year(&app, &director).await;
    let body = json!({
        "document": "1234", "paternal_surname": "Quispe3", "maternal_surname": "", "given_names": "Ana",
        "sex": "X", "starts_on": format!("{}-01-15", year + 1)
    });
    let (status, error) = app
        .post(&format!("/sections/{section}/students"), &director, body)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = error["error"]["fields"].as_object().unwrap();
    for field in [
        "document",
        "paternal_surname",
        "maternal_surname",
        "sex",
        "starts_on",
    ] {
        assert!(fields.contains_key(field), "{field}: {error}");
    }
}

#[tokio::test]
async fn a_transfer_is_recorded_with_its_date_and_checked() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let section = app.sections(&director, school).await[0]["id"]
        .as_i64()
        .unwrap();
    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), &director)
        .await;
    let entry = &roster[0];
    let enrollment = entry["enrollment_id"].as_i64().unwrap();
    let starts =
        NaiveDate::parse_from_str(entry["starts_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let today = tests::lima_today() - Duration::days(1);

    let (status, error) = app
        .patch(
            &format!("/enrollments/{enrollment}"),
            &director,
            json!({"status": "trasladado"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["status_date"].is_string());
    let (status, _) = app
        .patch(
            &format!("/enrollments/{enrollment}"),
            &director,
            json!({"status": "trasladado", "status_date": starts - Duration::days(1)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .patch(
            &format!("/enrollments/{enrollment}"),
            &director,
            json!({"status": "expulsado", "status_date": today}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    if today >= starts {
        let (status, updated) = app
            .patch(
                &format!("/enrollments/{enrollment}"),
                &director,
                json!({"status": "trasladado", "status_date": today}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{updated}");
        assert_eq!(updated["status"], "trasladado");
        assert_eq!(updated["status_date"], today.to_string());
    }
    let teacher = app.login_as("docente.demo").await;
    let (status, _) = app
        .patch(
            &format!("/enrollments/{enrollment}"),
            &teacher,
            json!({"status": "activo"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_director_registers_staff_and_assigns_a_teacher_to_a_section() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let sections = app.sections(&director, school).await;
    let section = sections.last().unwrap()["id"].as_i64().unwrap();
    let (status, staff) = app
        .post(
            &format!("/schools/{school}/staff"),
            &director,
            json!({
                "dni": "45678123", "paternal_surname": "Bustamante", "maternal_surname": "Alarcón",
                "given_names": "Flor de María", "cell_phone": "987 654 321", "position": "teacher"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{staff}");
    assert_eq!(staff["cell_phone"], "987654321");
    let person = staff["person_id"].as_i64().unwrap();

    let (status, _) = app
        .post(
            &format!("/sections/{section}/teachers"),
            &director,
            json!({"person_id": person}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, teachers) = app
        .get(&format!("/sections/{section}/teachers"), &director)
        .await;
    assert!(
        teachers
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["dni"] == "45678123")
    );

    let (status, _) = app
        .delete(&format!("/sections/{section}/teachers/{person}"), &director)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, teachers) = app
        .get(&format!("/sections/{section}/teachers"), &director)
        .await;
    assert!(
        !teachers
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["dni"] == "45678123")
    );

    // A person who is not staff of the IE cannot be assigned.
    let (status, error) = app
        .post(
            &format!("/sections/{section}/teachers"),
            &director,
            json!({"person_id": 999999}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["fields"]["person_id"].is_string());
}

#[tokio::test]
async fn every_change_leaves_an_audit_entry() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    app.post(
        "/dres",
        &admin,
        json!({"code": "DRE-AUD", "name": "DRE Auditada"}),
    )
    .await;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT action, entity_type, actor_user_id, after FROM audit_event ORDER BY id DESC LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "action").unwrap(), "dre_created");
    assert!(
        row.try_get::<Option<i64>>("", "actor_user_id")
            .unwrap()
            .is_some()
    );
    assert!(
        row.try_get::<Option<String>>("", "after")
            .unwrap()
            .unwrap()
            .contains("DRE Auditada")
    );
}

#[tokio::test]
async fn non_numeric_ids_and_bad_queries_are_client_errors() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    let (status, body) = app.get("/schools/abc", &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(code(&body), "not_found");
    let (status, body) = app.get("/schools?page=muchas", &admin).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "invalid_query");
    let (status, body) = app.get("/schools?level=universidad", &admin).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["level"].is_string());
}

#[tokio::test]
async fn a_section_name_with_control_characters_is_refused() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, "0412345").await;
    let (_, grades) = app.get("/grades", &director).await;
    let grade = grades
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["level"] == "primaria")
        .unwrap()["id"]
        .clone();
    let year = lima_year();
    let path = format!("/schools/{school}/sections");
    let before = app.sections(&director, school).await.len();
    let body = json!({"academic_year": year, "grade_id": grade, "name": "B\u{1e}C"});
    let (status, error) = app.post(&path, &director, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert_eq!(code(&error), "control_characters", "{error}");
    assert_eq!(app.sections(&director, school).await.len(), before);
    let body = json!({"academic_year": year, "grade_id": grade, "name": "Z"});
    let (status, created) = app.post(&path, &director, body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

fn lima_year() -> i32 {
    tests::lima_today().year()
}

#[tokio::test]
async fn lists_of_people_are_in_spanish_alphabetical_order() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let (year, starts) = current_year(&app, &director).await;
    let (_, grades) = app.get("/grades", &director).await;
    let grade = grades
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["level"] == "primaria" && g["ordinal"] == 6)
        .unwrap()["id"]
        .clone();
    let (status, section) = app
        .post(
            &format!("/schools/{school}/sections"),
            &director,
            json!({"academic_year": year, "grade_id": grade, "name": "Ñ"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{section}");
    let section = section["id"].as_i64().unwrap();
    let surnames = [
        "Ochoa",
        "Ñahui",
        "Chuquicusma",
        "Nuñez",
        "Chávez",
        "Nunez",
        "Álvarez",
    ];
    for (n, surname) in surnames.iter().enumerate() {
        let (status, body) = app
            .post(
                &format!("/sections/{section}/students"),
                &director,
                json!({"document": format!("7700000{n}"), "paternal_surname": surname,
                       "maternal_surname": "Rojas", "given_names": "Ana", "starts_on": starts}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let expected = [
        "Álvarez",
        "Chávez",
        "Chuquicusma",
        "Nunez",
        "Nuñez",
        "Ñahui",
        "Ochoa",
    ];

    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), &director)
        .await;
    let listed: Vec<&str> = roster
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["paternal_surname"].as_str().unwrap())
        .collect();
    assert_eq!(listed, expected, "the roster");

    let month = starts.month();
    let (status, grid) = app
        .get(
            &format!("/sections/{section}/registers/{year}/{month}"),
            &director,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{grid}");
    let names: Vec<String> = grid["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["full_name"]
                .as_str()
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names, expected, "the grid");

    let csv = app
        .request(
            reqwest::Method::GET,
            &format!("/exports/attendance?school_id={school}&year={year}&month={month}"),
            Some(&director),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let exported: Vec<&str> = csv
        .lines()
        .filter(|l| l.starts_with("7700000"))
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    assert_eq!(exported, expected, "the export");
}

#[tokio::test]
async fn people_and_schools_are_found_within_reach() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let teacher = app.login_as("docente.demo").await;
    let jaen = app.login_as("jaen.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let (_, me) = app.get("/me", &teacher).await;
    let taught = me["sections"][0].as_i64().unwrap();
    let not_taught = app
        .sections(&director, school)
        .await
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .find(|id| !me["sections"].as_array().unwrap().iter().any(|t| t == id))
        .unwrap();
    let dni_of = async |section: i64| {
        let (_, roster) = app
            .get(&format!("/sections/{section}/students"), &director)
            .await;
        roster[0]["dni"].as_str().unwrap().to_owned()
    };
    let (mine, other) = (dni_of(taught).await, dni_of(not_taught).await);

    // A student by DNI: the director and the teacher of its section find it; no one else does.
    let (status, found) = app
        .get(&format!("/students?document={mine}"), &director)
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found[0]["dni"], mine.as_str());
    assert_eq!(found[0]["enrollments"][0]["section_id"], taught);
    assert!(
        found[0]["enrollments"][0]["school_code"]
            .as_str()
            .unwrap()
            .starts_with(demo::PRIMARIA)
    );
    let (_, found) = app
        .get(&format!("/students?document={mine}"), &teacher)
        .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    let (_, found) = app
        .get(&format!("/students?document={other}"), &teacher)
        .await;
    assert_eq!(found, json!([]), "not a section it teaches");
    let (_, found) = app.get(&format!("/students?document={mine}"), &jaen).await;
    assert_eq!(found, json!([]), "another UGEL's director");
    let (_, found) = app.get("/students?document=79999999", &director).await;
    assert_eq!(
        found,
        json!([]),
        "a document that does not exist answers the same"
    );
    let (status, _) = app.get("/students?document=12", &director).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // IEs by name without accents or ñ, and by código modular with its anexo.
    for q in [
        "senor%20de%20huamantanga",
        "SEÑOR%20DE",
        "0412345-0",
        "0412345",
    ] {
        let (status, page) = app.get(&format!("/schools?q={q}"), &ugel).await;
        assert_eq!(status, StatusCode::OK, "{q}: {page}");
        assert_eq!(page["total"], 1, "{q}: {page}");
        assert_eq!(page["items"][0]["id"], school, "{q}");
    }
    let (_, none) = app.get("/schools?q=0412345-1", &ugel).await;
    assert_eq!(none["total"], 0);
    let (_, none) = app.get("/schools?q=%25", &ugel).await;
    assert_eq!(
        none["total"], 0,
        "a wildcard is a character, not everything"
    );

    // The accounts of a unit, for a baja.
    let (status, accounts) = app
        .get(&format!("/accounts?school_id={school}"), &director)
        .await;
    assert_eq!(status, StatusCode::OK, "{accounts}");
    let teacher_account = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "docente.demo")
        .expect("the teacher is listed");
    assert_eq!(teacher_account["assignments"][0]["role"], "teacher");
    assert!(teacher_account["assignments"][0]["assignment_id"].is_i64());
    assert!(
        !accounts.to_string().contains("@"),
        "no e-mail addresses: {accounts}"
    );
    for (token, who) in [(&jaen, "jaen"), (&teacher, "teacher")] {
        let (status, _) = app
            .get(&format!("/accounts?school_id={school}"), token)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    let (_, me) = app.get("/me", &ugel).await;
    let ugel_id = me["roles"][0]["ugel_id"].as_i64().unwrap();
    let (status, accounts) = app
        .get(&format!("/accounts?ugel_id={ugel_id}"), &ugel)
        .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = accounts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"ugel.demo") && names.contains(&"nivel.demo"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"director.demo"),
        "an IE's roles are not the UGEL's"
    );

    // Registers filtered by state.
    let today = tests::lima_today();
    let (status, rows) = app
        .get(
            &format!(
                "/registers?school_id={school}&year={}&month={}&state=cerrado",
                today.year(),
                today.month()
            ),
            &director,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rows, json!([]), "nothing is closed this month");
    let (status, _) = app
        .get(
            &format!(
                "/registers?school_id={school}&year={}&month={}&state=abierto",
                today.year(),
                today.month()
            ),
            &director,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn lists_that_grow_with_the_country_come_by_pages() {
    let app = spawn_app().await;
    let ugel = app.login_as("ugel.demo").await;
    let (_, me) = app.get("/me", &ugel).await;
    let ugel_id = me["roles"][0]["ugel_id"].as_i64().unwrap();
    let today = tests::lima_today();
    let query = format!(
        "/registers?ugel_id={ugel_id}&year={}&month={}",
        today.year(),
        today.month()
    );
    let (_, all) = app.get(&query, &ugel).await;
    let all = all.as_array().unwrap().clone();
    assert!(all.len() > 3, "{}", all.len());
    let mut paged = Vec::new();
    for page in 1.. {
        let response = app
            .request(
                reqwest::Method::GET,
                &format!("{query}&page={page}&per_page=3"),
                Some(&ugel),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["x-total-count"],
            all.len().to_string().as_str()
        );
        let rows: Value = response.json().await.unwrap();
        let rows = rows.as_array().unwrap().clone();
        assert!(rows.len() <= 3);
        if rows.is_empty() {
            break;
        }
        paged.extend(rows);
    }
    assert_eq!(
        paged, all,
        "the pages together are the whole list, in order"
    );

    let response = app
        .request(
            reqwest::Method::GET,
            "/provisioning/requests?page=1&per_page=5",
            Some(&ugel),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-total-count"], "0");
}

/// The unique rules of the schema answer with their own codes, on SQLite and PostgreSQL alike,
/// without a read before the write.
#[tokio::test]
async fn a_repeated_section_or_academic_year_is_named_by_its_own_code() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    let director = app.login_as("director.demo").await;
    let (_, years) = app.get("/academic-years", &admin).await;
    let year = years[0]["year"].as_i64().unwrap();
    let school = app.school_id(&admin, demo::PRIMARIA).await;
    let path = format!("/schools/{school}/sections");
    let (_, sections) = app.get(&path, &director).await;
    let grade = sections[0]["grade_id"].as_i64().unwrap();
    let section = json!({"academic_year": year, "grade_id": grade, "name": "Z"});
    let (status, _) = app.post(&path, &director, section.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, error) = app.post(&path, &director, section).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&error), "section_exists");

    let next = json!({"year": year + 4, "starts_on": format!("{}-03-01", year + 4), "ends_on": format!("{}-12-20", year + 4)});
    let (status, _) = app.post("/academic-years", &admin, next.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, error) = app.post("/academic-years", &admin, next).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(code(&error), "year_exists");
}
