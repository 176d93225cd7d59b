//! Evaluation end to end: teachers grade, the director records final situations and closes the
//! acta, a closed acta changes only through the exceptional modification, and a student's record
//! gathers its closed years across schools and curricula.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{TestApp, demo, read, smtp::Received, spawn_app};

/// The teacher's first section: its id and acta.
async fn taught_acta(app: &TestApp, teacher: &str) -> (i64, Value) {
    let (_, me) = app.get("/me", teacher).await;
    let section = me["sections"][0].as_i64().unwrap();
    let (status, acta) = app.get(&format!("/sections/{section}/acta"), teacher).await;
    assert_eq!(status, StatusCode::OK, "{acta}");
    (section, acta)
}

/// Every active student × every area, with `value(student index, area code)`.
fn all_grades(acta: &Value, value: impl Fn(usize, &str) -> &'static str) -> Value {
    let mut grades = Vec::new();
    for (i, student) in acta["students"].as_array().unwrap().iter().enumerate() {
        for area in acta["areas"].as_array().unwrap() {
            grades.push(json!({
                "enrollment_id": student["enrollment_id"],
                "area_id": area["id"],
                "value": value(i, area["code"].as_str().unwrap()),
            }));
        }
    }
    json!({ "grades": grades })
}

fn area_id(acta: &Value, code: &str) -> i64 {
    acta["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == code)
        .unwrap_or_else(|| panic!("area {code}"))["id"]
        .as_i64()
        .unwrap()
}

fn grade_of(acta: &Value, student: usize, area: i64) -> Option<String> {
    acta["students"][student]["grades"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["area_id"] == area)
        .map(|g| g["value"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn an_acta_is_graded_closed_modified_through_the_ugel_and_read_in_the_record() {
    let app = spawn_app().await;
    let teacher = app.login_as("docente.demo").await;
    let director = app.login_as("director.demo").await;
    let (section, acta) = taught_acta(&app, &teacher).await;
    assert_eq!(acta["state"], "abierta");
    assert_eq!(acta["level"], "primaria");
    let codes: Vec<&str> = acta["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"MAT") && codes.contains(&"COMP") && codes.contains(&"CT"));
    assert!(
        acta["areas"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["scale"] == "literal")
    );
    let names: Vec<String> = acta["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["full_name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.len() >= 15);
    let mat = area_id(&acta, "MAT");
    let com = area_id(&acta, "COM");

    // A grade off the scale, an area of another level, a student of another section: nothing is
    // written, and each is named.
    let enrollment = acta["students"][0]["enrollment_id"].clone();
    let (_, secondary) = app
        .get("/curricular-areas?level=secundaria&year=2026", &teacher)
        .await;
    let bad = json!({"grades": [
        {"enrollment_id": enrollment, "area_id": mat, "value": "A"},
        {"enrollment_id": enrollment, "area_id": com, "value": "17"},
        {"enrollment_id": enrollment, "area_id": secondary[0]["id"], "value": "A"},
        {"enrollment_id": 999_999, "area_id": mat, "value": "A"},
    ]});
    let (status, body) = app
        .put(&format!("/sections/{section}/acta/grades"), &teacher, bad)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_grades");
    let errors = body["error"]["details"]["grades"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{body}");
    assert_eq!(errors[0]["index"], 1);
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("AD, A, B o C")
    );
    assert_eq!(errors[1]["field"], "area_id");
    assert_eq!(errors[2]["field"], "enrollment_id");
    let (_, unchanged) = app
        .get(&format!("/sections/{section}/acta"), &teacher)
        .await;
    assert_eq!(grade_of(&unchanged, 0, mat), None, "nothing was written");

    // The teacher grades everyone: the first student fails Comunicación and Matemática.
    let grades = all_grades(&acta, |i, code| match (i, code) {
        (0, "COM" | "MAT") => "C",
        (_, "COMP") => "AD",
        (i, _) if i % 3 == 0 => "B",
        _ => "A",
    });
    let (status, saved) = app
        .put(
            &format!("/sections/{section}/acta/grades"),
            &teacher,
            grades,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        saved["changed"].as_u64().unwrap() as usize,
        names.len() * codes.len()
    );

    // Grades erased (null) and another changed in one request; then written back as they were.
    let second = acta["students"][1]["enrollment_id"].clone();
    let grades_path = format!("/sections/{section}/acta/grades");
    for (erased, first) in [(Value::Null, "B"), (json!("A"), "C")] {
        let (status, saved) = app
            .put(
                &grades_path,
                &teacher,
                json!({"grades": [
                    {"enrollment_id": second, "area_id": mat, "value": erased},
                    {"enrollment_id": second, "area_id": com, "value": erased},
                    {"enrollment_id": enrollment, "area_id": mat, "value": first},
                ]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["changed"], 3, "{saved}");
        let (_, now) = app
            .get(&format!("/sections/{section}/acta"), &teacher)
            .await;
        let expected = erased.as_str().map(str::to_owned);
        assert_eq!(grade_of(&now, 1, mat), expected);
        assert_eq!(grade_of(&now, 1, com), expected);
        assert_eq!(grade_of(&now, 0, mat).as_deref(), Some(first));
    }

    // Not complete without final situations; and a teacher does not keep the acta.
    let (status, body) = app
        .post(
            &format!("/sections/{section}/acta/close"),
            &director,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "acta_incomplete");
    let missing = body["error"]["details"]["students"].as_array().unwrap();
    assert_eq!(missing.len(), names.len());
    assert!(
        missing
            .iter()
            .all(|m| m["situation"] == true && m["areas"] == json!([]))
    );
    let (status, _) = app
        .post(
            &format!("/sections/{section}/acta/close"),
            &teacher,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // First grade of primary promotes automatically; the director confirms every suggestion and
    // overrides one, which needs a reason.
    let (_, acta) = app
        .get(&format!("/sections/{section}/acta"), &director)
        .await;
    assert_eq!(acta["students"][0]["suggested"], "promovido");
    let override_without_reason = json!({"situations": [
        {"enrollment_id": acta["students"][1]["enrollment_id"], "situation": "permanece"}]});
    let (status, body) = app
        .put(
            &format!("/sections/{section}/acta/situations"),
            &director,
            override_without_reason,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"]["situations"][0]["field"], "reason");
    let mut situations: Vec<Value> = acta["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json!({"enrollment_id": s["enrollment_id"]}))
        .collect();
    situations[1] = json!({"enrollment_id": acta["students"][1]["enrollment_id"],
        "situation": "requiere_recuperacion", "reason": "Informe psicopedagógico de la IE"});
    let (status, acta) = app
        .put(
            &format!("/sections/{section}/acta/situations"),
            &director,
            json!({ "situations": situations }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{acta}");
    assert_eq!(acta["students"][1]["situation"], "requiere_recuperacion");
    assert_eq!(acta["students"][2]["situation"], "promovido");

    let (status, closed) = app
        .post(
            &format!("/sections/{section}/acta/close"),
            &director,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["state"], "cerrada");

    // Closed: no grade changes.
    let change = json!({"grades": [{"enrollment_id": enrollment, "area_id": mat, "value": "A"}]});
    let (status, body) = app
        .put(
            &format!("/sections/{section}/acta/grades"),
            &teacher,
            change.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "acta_closed");
    // Nor does its roster: a retiro would change who the acta lists.
    let (status, body) = app
        .patch(
            &format!("/enrollments/{}", acta["students"][2]["enrollment_id"]),
            &director,
            json!({"status": "retirado", "status_date": tests::lima_today()}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "acta_closed");

    // The exceptional modification: asked, opined, enabled.
    let (status, modification) = app
        .post(
            &format!("/sections/{section}/acta/modifications"),
            &director,
            json!({"reason": "La nota de Matemática se digitó mal"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{modification}");
    let id = modification["id"].as_i64().unwrap();
    let mail = Received::from_raw(app.mail_to("nivel.demo@siagie.local").await.into_bytes()).text();
    assert!(
        mail.contains("acta de evaluación de Primer grado A"),
        "{mail}"
    );
    let nivel = app.login_as("nivel.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let (status, body) = app
        .post(
            &format!("/acta-modifications/{id}/enable"),
            &ugel,
            json!({"until": tests::now() + Duration::days(3)}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "no opinion yet: {body}");
    let (status, _) = app
        .post(
            &format!("/acta-modifications/{id}/opinion"),
            &nivel,
            json!({"favorable": true, "note": "Procede según el registro auxiliar"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, enabled) = app
        .post(
            &format!("/acta-modifications/{id}/enable"),
            &ugel,
            json!({"until": tests::now() + Duration::days(3)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    assert_eq!(enabled["status"], "enabled");
    let (_, acta) = app
        .get(&format!("/sections/{section}/acta"), &director)
        .await;
    assert_eq!(acta["state"], "en_modificacion");

    // The change is allowed, audited with before and after, and asks for the situation again.
    let (status, saved) = app
        .put(
            &format!("/sections/{section}/acta/grades"),
            &teacher,
            change,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["changed"], 1);
    assert_eq!(saved["situations_to_confirm"], 1);
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let (_, audit) = app
        .get(
            &format!("/audit?school_id={school}&per_page=100"),
            &director,
        )
        .await;
    let event = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "grades_entered" && e["after"].to_string().contains("\"A\""))
        .unwrap_or_else(|| panic!("{audit}"));
    assert!(event["before"].to_string().contains("\"C\""), "{event}");
    let (status, body) = app
        .post(
            &format!("/sections/{section}/acta/close"),
            &director,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = app
        .put(
            &format!("/sections/{section}/acta/situations"),
            &director,
            json!({"situations": [{"enrollment_id": enrollment}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, closed) = app
        .post(
            &format!("/sections/{section}/acta/close"),
            &director,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["state"], "cerrada");
    let (_, modification) = app
        .get(&format!("/acta-modifications/{id}"), &director)
        .await;
    assert_eq!(modification["status"], "closed");

    // The year is now in the student's record.
    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), &director)
        .await;
    let first = roster
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["enrollment_id"] == enrollment)
        .unwrap();
    let (status, record) = app
        .get(
            &format!(
                "/students/record?document={}",
                first["dni"].as_str().unwrap()
            ),
            &director,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    let year = record["years"].as_array().unwrap().last().unwrap();
    assert_eq!(year["codigo_modular"], "0412345-0");
    assert_eq!(year["situation"], "promovido");
    assert!(
        year["grades"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["code"] == "MAT" && g["value"] == "A")
    );
}

#[tokio::test]
async fn the_demo_record_spans_five_years_two_schools_and_both_curricula() {
    let app = spawn_app().await;
    let director = app.login_as("secundaria.demo").await;
    let school = app.school_id(&director, demo::BOLOGNESI).await;
    let (status, sections) = app
        .get(&format!("/schools/{school}/sections?year=2020"), &director)
        .await;
    assert_eq!(status, StatusCode::OK, "{sections}");
    let fifth = sections[0]["id"].as_i64().unwrap();
    let (_, acta) = app.get(&format!("/sections/{fifth}/acta"), &director).await;
    assert_eq!(acta["state"], "cerrada");
    assert_eq!(acta["students"].as_array().unwrap().len(), 25);
    assert!(
        acta["areas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["code"] == "DPCC")
    );

    let mut newcomer = None;
    let mut recovered = None;
    for student in acta["students"].as_array().unwrap() {
        let document = student["document"].as_str().unwrap();
        let (status, record) = app
            .get(&format!("/students/record?document={document}"), &director)
            .await;
        assert_eq!(status, StatusCode::OK, "{record}");
        let years = record["years"].as_array().unwrap();
        assert_eq!(years.len(), 5, "{record}");
        let numbers: Vec<i64> = years.iter().map(|y| y["year"].as_i64().unwrap()).collect();
        assert_eq!(numbers, [2016, 2017, 2018, 2019, 2020]);
        // Before the Currículo Nacional: vigesimal areas; after it: literal ones.
        assert!(
            years[0]["grades"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["code"] == "CTA"
                    && g["scale"] == "vigesimal"
                    && g["value"].as_str().unwrap().len() == 2)
        );
        assert!(
            years[4]["grades"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["code"] == "CT" && g["scale"] == "literal")
        );
        if years[0]["codigo_modular"] == "0523456-0" {
            assert_eq!(years[2]["codigo_modular"], "0967890-0");
            newcomer = Some(document.to_owned());
        }
        if years[2]["situation"] == "requiere_recuperacion" {
            recovered = Some(document.to_owned());
        }
    }
    let newcomer = newcomer.expect("a student who transferred in");
    assert!(
        recovered.is_some(),
        "a student with a year requiring recuperación"
    );

    // Within reach: the UGEL of either school; outside it: another IE's director, a teacher.
    let ugel = app.login_as("ugel.demo").await;
    let (status, _) = app
        .get(&format!("/students/record?document={newcomer}"), &ugel)
        .await;
    assert_eq!(status, StatusCode::OK);
    for (account, expected) in [
        ("jaen.demo", StatusCode::NOT_FOUND),
        ("director.demo", StatusCode::NOT_FOUND),
        ("docente.demo", StatusCode::FORBIDDEN),
    ] {
        let token = app.login_as(account).await;
        let (status, body) = app
            .get(&format!("/students/record?document={newcomer}"), &token)
            .await;
        assert_eq!(status, expected, "{account}: {body}");
    }
    let (status, _) = app
        .get("/students/record?document=12345678", &director)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "unknown documents alike");

    // The acta as a PDF, with its accents.
    let response = app
        .request(
            Method::GET,
            &format!("/sections/{fifth}/acta/pdf"),
            Some(&director),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let pdf = response.bytes().await.unwrap();
    if let Some(text) = tests::pdf_text(&pdf) {
        assert!(text.contains("ACTA CONSOLIDADA DE EVALUACIÓN"), "{text}");
        assert!(text.contains("0967890-0") && text.contains("Situación final"));
        assert!(text.contains("Desarrollo Personal, Ciudadanía y Cívica"));
    }
}

#[tokio::test]
async fn grades_come_from_a_file_all_or_nothing_and_teachers_grade_only_their_areas() {
    let app = spawn_app().await;
    let teacher = app.login_as("docente.demo").await;
    let director = app.login_as("director.demo").await;
    let (section, acta) = taught_acta(&app, &teacher).await;
    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), &director)
        .await;
    let dni = |i: usize| roster[i]["dni"].as_str().unwrap().to_owned();
    let enrollment_of = |dni: &str| {
        roster
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["dni"] == dni)
            .unwrap()["enrollment_id"]
            .clone()
    };

    let bad = format!(
        "documento;MAT;COM\n{};AD;B\n{};Z;A\n99999999;A;A\n",
        dni(0),
        dni(1)
    );
    let (status, body) = csv(&app, &teacher, section, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "grades_file_invalid");
    let errors = body["error"]["details"]["grades"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    assert_eq!(
        (errors[0]["index"].as_i64(), errors[0]["field"].as_str()),
        (Some(3), Some("MAT"))
    );
    assert_eq!(
        (errors[1]["index"].as_i64(), errors[1]["field"].as_str()),
        (Some(4), Some("documento"))
    );
    let (_, after) = app
        .get(&format!("/sections/{section}/acta"), &teacher)
        .await;
    assert!(
        after["students"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["grades"] == json!([])),
        "nothing was written"
    );
    let (status, body) = csv(&app, &teacher, section, "documento,HGE\n".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("HGE"));

    let good = format!("documento,MAT,COM\n{},AD,B\n{},,A\n", dni(0), dni(1));
    let (status, saved) = csv(&app, &teacher, section, good).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["changed"], 3);
    let (_, after) = app
        .get(&format!("/sections/{section}/acta"), &teacher)
        .await;
    let mat = area_id(&acta, "MAT");
    let first = after["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["enrollment_id"] == enrollment_of(&dni(0)))
        .unwrap();
    assert!(
        first["grades"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["area_id"] == mat && g["value"] == "AD")
    );

    // The director gives the teacher Matemática only.
    let (_, me) = app.get("/me", &teacher).await;
    let person = me["person_id"].as_i64().unwrap();
    let (status, areas) = app
        .put(
            &format!("/sections/{section}/teachers/{person}/areas"),
            &director,
            json!({"area_ids": [mat]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{areas}");
    let com = area_id(&acta, "COM");
    let one = |area: i64| json!({"grades": [{"enrollment_id": enrollment_of(&dni(2)), "area_id": area, "value": "B"}]});
    let (status, body) = app
        .put(
            &format!("/sections/{section}/acta/grades"),
            &teacher,
            one(com),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "area_not_assigned");
    let (status, _) = app
        .put(
            &format!("/sections/{section}/acta/grades"),
            &teacher,
            one(mat),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Another IE's director cannot read or write the acta; a teacher not teaching a section
    // cannot write there.
    let jaen = app.login_as("jaen.demo").await;
    let (status, _) = app.get(&format!("/sections/{section}/acta"), &jaen).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .put(&format!("/sections/{section}/acta/grades"), &jaen, one(mat))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let other = app
        .sections(&director, school)
        .await
        .into_iter()
        .map(|s| s["id"].as_i64().unwrap())
        .find(|id| !me["sections"].as_array().unwrap().iter().any(|t| t == id))
        .unwrap();
    let (status, _) = app
        .put(
            &format!("/sections/{other}/acta/grades"),
            &teacher,
            json!({"grades": []}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn csv(app: &TestApp, token: &str, section: i64, text: String) -> (StatusCode, Value) {
    read(
        app.request(
            Method::POST,
            &format!("/sections/{section}/acta/grades"),
            Some(token),
        )
        .header("content-type", "text/csv")
        .body(text)
        .send()
        .await
        .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_student_who_leaves_keeps_its_grades_and_the_catalogue_is_fixed_once_graded() {
    let app = spawn_app().await;
    let teacher = app.login_as("docente.demo").await;
    let director = app.login_as("director.demo").await;
    let admin = app.login_as("admin.demo").await;
    let (section, acta) = taught_acta(&app, &teacher).await;
    let mat = area_id(&acta, "MAT");
    let leaving = acta["students"][0]["enrollment_id"].as_i64().unwrap();
    let (status, _) = app
        .put(
            &format!("/sections/{section}/acta/grades"),
            &teacher,
            json!({"grades": [{"enrollment_id": leaving, "area_id": mat, "value": "B"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .patch(
            &format!("/enrollments/{leaving}"),
            &director,
            json!({"status": "trasladado", "status_date": tests::lima_today()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .put(
            &format!("/sections/{section}/acta/grades"),
            &teacher,
            json!({"grades": [{"enrollment_id": leaving, "area_id": mat, "value": "A"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["details"]["grades"][0]["message"]
            .as_str()
            .unwrap()
            .contains("trasladado")
    );
    let (_, acta) = app
        .get(&format!("/sections/{section}/acta"), &teacher)
        .await;
    let row = acta["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["enrollment_id"] == leaving)
        .unwrap();
    assert_eq!(row["situation"], "trasladado");
    assert_eq!(
        row["grades"][0]["value"], "B",
        "the grade entered before stays"
    );
    assert_eq!(row["missing_areas"], json!([]));

    // Primary's current areas have grades now: the set of those years is fixed.
    let area = json!({"level": "primaria", "code": "ING", "name": "Inglés", "kind": "general",
                      "scale": "literal", "from_year": 2020});
    let (status, body) = app.post("/curricular-areas", &admin, area).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "curriculum_fixed");
    let (status, body) = app
        .patch(
            &format!("/curricular-areas/{mat}"),
            &admin,
            json!({"name": "Matemáticas"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let future = json!({"level": "primaria", "code": "ING", "name": "Inglés", "kind": "general",
                        "scale": "literal", "from_year": 2031});
    let (status, created) = app.post("/curricular-areas", &admin, future.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, body) = app.post("/curricular-areas", &admin, future).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("area_exists"))
    );
    let (status, body) = app
        .post(
            "/curricular-areas",
            &admin,
            json!({"level": "primaria", "code": "X Y", "name": "", "kind": "otro", "scale": "centesimal", "from_year": 1990}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for field in ["code", "name", "kind", "scale", "from_year"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    let (status, _) = app.post("/curricular-areas", &director, json!({})).await;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_grade_written_over_what_its_writer_saw_is_refused_when_someone_else_wrote_it_meanwhile()
{
    let app = spawn_app().await;
    let teacher = app.login_as("docente.demo").await;
    let director = app.login_as("director.demo").await;
    let (section, acta) = taught_acta(&app, &teacher).await;
    let mat = area_id(&acta, "MAT");
    let first = acta["students"][0]["enrollment_id"].clone();
    let second = acta["students"][1]["enrollment_id"].clone();
    let path = format!("/sections/{section}/acta/grades");
    // Both open the acta with the grades empty; the teacher saves first.
    let (status, body) = app
        .put(
            &path,
            &teacher,
            json!({"grades": [{"enrollment_id": first, "area_id": mat, "value": "B", "was": ""}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, error) = app
        .put(
            &path,
            &director,
            json!({"grades": [
                {"enrollment_id": second, "area_id": mat, "value": "A", "was": ""},
                {"enrollment_id": first, "area_id": mat, "value": "AD", "was": ""},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["error"]["code"], "changed_since_loaded");
    let moved = error["error"]["details"]["grades"].as_array().unwrap();
    assert_eq!(moved.len(), 1, "{error}");
    assert_eq!(moved[0]["index"], 1);
    let (_, now) = app
        .get(&format!("/sections/{section}/acta"), &director)
        .await;
    assert_eq!(grade_of(&now, 0, mat).as_deref(), Some("B"));
    assert_eq!(grade_of(&now, 1, mat), None, "nothing of the refused save");
    // Over what stands now, the save goes through.
    let (status, body) = app
        .put(
            &path,
            &director,
            json!({"grades": [{"enrollment_id": first, "area_id": mat, "value": "AD", "was": "B"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
