//! A year of schooling recorded after its academic year ended (a regularización) counts only
//! once the Especialista SIAGIE approves it; an existing student is enrolled only with its names;
//! a director reads another IE's years only of a student who continues its schooling there.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, code, demo, spawn_app};

/// The year before the tests' academic year: ended.
fn past_year(app: &TestApp) -> i32 {
    chrono::Datelike::year(&app.today()) - 1
}

/// Creates a section of `grade` (ordinal, primaria) in `year` in the director's IE.
async fn section_in(app: &TestApp, director: &str, school: i64, year: i32, name: &str) -> i64 {
    let (_, grades) = app.get("/grades", director).await;
    let grade = grades
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["level"] == "primaria" && g["ordinal"] == 1)
        .unwrap()["id"]
        .clone();
    let (status, section) = app
        .post(
            &format!("/schools/{school}/sections"),
            director,
            json!({"academic_year": year, "grade_id": grade, "name": name}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{section}");
    section["id"].as_i64().unwrap()
}

/// Grades every student with the same literal grade, records the suggested situations and closes
/// the acta.
async fn fill_and_close(app: &TestApp, director: &str, section: i64) {
    let (status, acta) = app
        .get(&format!("/sections/{section}/acta"), director)
        .await;
    assert_eq!(status, StatusCode::OK, "{acta}");
    let mut grades = Vec::new();
    let mut situations = Vec::new();
    for student in acta["students"].as_array().unwrap() {
        situations.push(json!({"enrollment_id": student["enrollment_id"]}));
        for area in acta["areas"].as_array().unwrap() {
            let value = if area["scale"] == "literal" {
                "A"
            } else {
                "15"
            };
            grades.push(json!({"enrollment_id": student["enrollment_id"], "area_id": area["id"], "value": value}));
        }
    }
    let (status, body) = app
        .put(
            &format!("/sections/{section}/acta/grades"),
            director,
            json!({ "grades": grades }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .put(
            &format!("/sections/{section}/acta/situations"),
            director,
            json!({ "situations": situations }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            &format!("/sections/{section}/acta/close"),
            director,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A student of the demo's first grade A of IE 0412345: its roster entry.
async fn pupil_of_huamantanga(app: &TestApp, director: &str) -> Value {
    let school = app.school_id(director, demo::PRIMARIA).await;
    let section = app.sections(director, school).await[0]["id"].clone();
    let (_, roster) = app
        .get(&format!("/sections/{section}/students"), director)
        .await;
    roster[0].clone()
}

/// The text of the e-mail delivered to `to`, decoded.
async fn mail_text(app: &TestApp, to: &str) -> String {
    tests::smtp::Received::from_raw(app.mail_to(to).await.into_bytes()).text()
}

fn years_of(record: &Value) -> Vec<i64> {
    record["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_director_of_another_ugel_cannot_invent_a_year_of_someone_elses_student() {
    let app = spawn_app().await;
    let victim_director = app.login_as("director.demo").await;
    let attacker = app.login_as("jaen.demo").await;
    let pupil = pupil_of_huamantanga(&app, &victim_director).await;
    let document = pupil["dni"].as_str().unwrap().to_owned();
    let record_path = format!("/students/record?document={document}");
    let (status, before) = app.get(&record_path, &victim_director).await;
    assert_eq!(status, StatusCode::OK, "{before}");

    // A section of Jaén in the year that ended.
    let school = app.school_id(&attacker, demo::JAEN_PRIMARIA).await;
    let year = past_year(&app);
    let section = section_in(&app, &attacker, school, year, "Z").await;

    // By document alone, with names made up: refused, and the stored names are not shown.
    let enroll = |names: (&str, &str, &str)| {
        json!({
            "document": document, "paternal_surname": names.0, "maternal_surname": names.1,
            "given_names": names.2, "starts_on": format!("{year}-03-15"),
        })
    };
    let (status, body) = app
        .post(
            &format!("/sections/{section}/students"),
            &attacker,
            enroll(("Pérez", "López", "Juan")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["document"].is_string(), "{body}");
    for part in ["paternal_surname", "maternal_surname", "given_names"] {
        let stored = pupil[part].as_str().unwrap();
        assert!(!body.to_string().contains(stored), "{body} shows {stored}");
    }

    // With the names (they leak elsewhere), the enrollment is a regularization …
    let names = (
        pupil["paternal_surname"].as_str().unwrap().to_owned(),
        pupil["maternal_surname"].as_str().unwrap().to_owned(),
        pupil["given_names"].as_str().unwrap().to_owned(),
    );
    let (status, body) = app
        .post(
            &format!("/sections/{section}/students"),
            &attacker,
            enroll((&names.0, &names.1, &names.2)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // … whose acta is filled and closed …
    fill_and_close(&app, &attacker, section).await;

    // … and counts nowhere: the victim's record and its own IE's view are unchanged.
    let (_, after) = app.get(&record_path, &victim_director).await;
    assert_eq!(years_of(&after), years_of(&before), "{after}");
    assert!(!after.to_string().contains(demo::JAEN_PRIMARIA), "{after}");
    // The attacker reads nothing of the student: its enrollment is not schooling yet …
    let (status, body) = app.get(&record_path, &attacker).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // … nor certifies it, with years typed in or read from the student's actas, nor learns its
    // birth date that way.
    let (status, body) = app
        .post(
            "/certificate-requests",
            &attacker,
            json!({"school_id": school, "document": document}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "certificate_student_not_found"
        ),
        "{body}"
    );
    let (status, body) = app
        .post(
            "/certificates/batch",
            &attacker,
            json!({"section_id": section, "student_ids": [pupil["student_id"]]}),
        )
        .await;
    assert!(
        body["issued"]
            .as_array()
            .is_none_or(|issued| issued.is_empty()),
        "{status} {body}"
    );

    // Asking for it tells whoever decides (nobody at UGEL Jaén: the DRE) and the
    // student's own director.
    let (status, asked) = app
        .post(
            &format!("/sections/{section}/regularization"),
            &attacker,
            json!({"reason": "Estudiante que asistió sin matrícula registrada", "document": "Oficio N.° 001-2027"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    assert_eq!(asked["status"], "requested");
    assert_eq!(asked["stage"], "dre", "{asked}");
    assert_eq!(asked["students"], 1);
    let notice = mail_text(&app, "director.demo@siagie.local").await;
    assert!(notice.contains("regularizaci"), "{notice}");
    assert!(notice.contains(&year.to_string()), "{notice}");
    let (_, listed) = app.get("/regularizations", &victim_director).await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        0,
        "another IE's request is not the victim's to read: {listed}"
    );

    // The attacker cannot approve it, nor can a UGEL specialist of another UGEL.
    let id = asked["id"].as_i64().unwrap();
    for who in ["jaen.demo", "ugel.demo"] {
        let token = app.login_as(who).await;
        let (status, body) = app
            .post(
                &format!("/regularizations/{id}/decision"),
                &token,
                json!({"approved": true}),
            )
            .await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{who}: {status} {body}"
        );
    }
    let (_, after) = app.get(&record_path, &victim_director).await;
    assert_eq!(years_of(&after), years_of(&before), "{after}");
}

#[tokio::test]
async fn a_legitimate_regularization_counts_once_the_ugel_approves_it() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let year = past_year(&app);
    let section = section_in(&app, &director, school, year, "R").await;
    let (status, body) = app
        .post(
            &format!("/sections/{section}/students"),
            &director,
            json!({
                "document": "79900011", "paternal_surname": "Chuquimango", "maternal_surname": "Díaz",
                "given_names": "Luz Marina", "starts_on": format!("{year}-03-16"), "sex": "M",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let record_path = "/students/record?document=79900011";

    // Not yet an acta to approve.
    let request = json!({"reason": "Acta no registrada a tiempo por falta de conectividad", "document": "R.D. N.° 0045-2027-IE16471"});
    let (status, body) = app
        .post(
            &format!("/sections/{section}/regularization"),
            &director,
            request.clone(),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "regularization_acta_open")
    );
    fill_and_close(&app, &director, section).await;
    // A reason argues in letters or digits: ten zero-width spaces and a full stop say nothing.
    let (status, body) = app
        .post(
            &format!("/sections/{section}/regularization"),
            &director,
            json!({"reason": "\u{200B}".repeat(10) + ".", "document": "R.D. N.° 0045-2027-IE16471"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["reason"]
            .as_str()
            .is_some_and(|m| m.contains("al menos 10 letras o dígitos")),
        "{body}"
    );
    // Until approved, the year is not schooling: the student has no record yet.
    let (status, record) = app.get(record_path, &director).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{record}");

    let (status, asked) = app
        .post(
            &format!("/sections/{section}/regularization"),
            &director,
            request,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    assert_eq!(asked["stage"], "ugel");
    let told = mail_text(&app, "ugel.demo@siagie.local").await;
    assert!(told.contains("R.D. N.° 0045-2027-IE16471"), "{told}");

    let specialist = app.login_as("ugel.demo").await;
    let (_, waiting) = app
        .get("/regularizations?state=requested", &specialist)
        .await;
    let id = asked["id"].as_i64().unwrap();
    assert!(
        waiting.as_array().unwrap().iter().any(|r| r["id"] == id),
        "{waiting}"
    );
    // A rejection needs its reason.
    let (status, body) = app
        .post(
            &format!("/regularizations/{id}/decision"),
            &specialist,
            json!({"approved": false}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, decided) = app
        .post(
            &format!("/regularizations/{id}/decision"),
            &specialist,
            json!({"approved": true, "note": "Sustento verificado"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "approved");
    // Decided once.
    let (status, body) = app
        .post(
            &format!("/regularizations/{id}/decision"),
            &specialist,
            json!({"approved": false, "note": "Cambio de opinión"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "regularization_decided")
    );

    // Now the year counts, and says where it came from.
    let (_, record) = app.get(record_path, &director).await;
    assert_eq!(years_of(&record), vec![i64::from(year)], "{record}");
    let origin = &record["years"][0]["origin"];
    assert_eq!(origin["kind"], "regularization", "{record}");
    assert_eq!(origin["approved_by"], "Oscar Huamán Tello", "{record}");
    let approved = mail_text(&app, "director.demo@siagie.local").await;
    assert!(approved.contains("fue aprobada"), "{approved}");

    // The approval covers the students it was asked for: nobody is added to it afterwards.
    let (status, body) = app
        .post(
            &format!("/sections/{section}/students"),
            &director,
            json!({
                "document": "79900012", "paternal_surname": "Chuquimango", "maternal_surname": "Díaz",
                "given_names": "Rosa", "starts_on": format!("{year}-03-16"),
            }),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "regularization_pending"),
        "{body}"
    );
}

#[tokio::test]
async fn an_enrollment_never_overlaps_another_of_the_same_year_at_any_ie() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let other = app.login_as("jaen.demo").await;
    let pupil = pupil_of_huamantanga(&app, &director).await;
    let school = app.school_id(&other, demo::JAEN_PRIMARIA).await;
    let section = app.sections(&other, school).await[0]["id"].clone();
    let today = app.today();
    let body = json!({
        "document": pupil["dni"], "paternal_surname": pupil["paternal_surname"],
        "maternal_surname": pupil["maternal_surname"], "given_names": pupil["given_names"],
        "starts_on": today,
    });
    let (status, answer) = app
        .post(
            &format!("/sections/{section}/students"),
            &other,
            body.clone(),
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::CONFLICT, "enrolled_elsewhere"),
        "{answer}"
    );

    // Once its traslado is recorded, the IE it moved to enrolls it from the next day.
    let left = today - chrono::Duration::days(1);
    let (status, moved) = app
        .patch(
            &format!("/enrollments/{}", pupil["enrollment_id"]),
            &director,
            json!({"status": "trasladado", "status_date": left}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (status, answer) = app
        .post(&format!("/sections/{section}/students"), &other, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    // Undoing the traslado, or dating it after the new enrollment began, would make the two
    // overlap: refused.
    for change in [
        json!({"status": "activo"}),
        json!({"status": "retirado", "status_date": today}),
    ] {
        let (status, body) = app
            .patch(
                &format!("/enrollments/{}", pupil["enrollment_id"]),
                &director,
                change.clone(),
            )
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::CONFLICT, "enrolled_elsewhere"),
            "{change}: {body}"
        );
    }
}

#[tokio::test]
async fn a_director_reads_other_ies_years_only_of_a_student_who_continues_its_schooling_there() {
    let app = spawn_app().await;
    // A student of the demo's cohort: two years at 0523456, then three at Bolognesi (2018-2020).
    let bolognesi_director = app.login_as("secundaria.demo").await;
    let bolognesi = app.school_id(&bolognesi_director, demo::BOLOGNESI).await;
    let (_, sections) = app
        .get(
            &format!("/schools/{bolognesi}/sections?year=2020"),
            &bolognesi_director,
        )
        .await;
    let fifth = sections[0]["id"].as_i64().unwrap();
    let (_, roster) = app
        .get(&format!("/sections/{fifth}/students"), &bolognesi_director)
        .await;
    let mut newcomer = None;
    for pupil in roster.as_array().unwrap() {
        let dni = pupil["dni"].as_str().unwrap();
        let (status, record) = app
            .get(
                &format!("/students/record?document={dni}"),
                &bolognesi_director,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{record}");
        if record["years"][0]["codigo_modular"] == "0523456-0" {
            newcomer = Some(pupil.clone());
            assert_eq!(years_of(&record).len(), 5, "{record}");
            break;
        }
    }
    let pupil = newcomer.expect("a student who moved in");
    let dni = pupil["dni"].as_str().unwrap().to_owned();
    // The IE the student continued at reads the years of the other, and that read is kept.
    let (status, trail) = app
        .get(
            &format!("/audit?school_id={bolognesi}&per_page=100"),
            &bolognesi_director,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    assert!(
        trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "student_record_read"),
        "{trail}"
    );

    // Another IE enrolls the graduate this year, with its names: not the continuation of a
    // schooling that ended in 2020, so it reads none of the years before.
    let jaen = app.login_as("jaen.demo").await;
    let school = app.school_id(&jaen, demo::JAEN_PRIMARIA).await;
    let section = app.sections(&jaen, school).await[0]["id"].clone();
    let (status, body) = app
        .post(
            &format!("/sections/{section}/students"),
            &jaen,
            json!({
                "document": dni, "paternal_surname": pupil["paternal_surname"],
                "maternal_surname": pupil["maternal_surname"], "given_names": pupil["given_names"],
                "starts_on": app.today(),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, record) = app
        .get(&format!("/students/record?document={dni}"), &jaen)
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert!(years_of(&record).is_empty(), "{record}");
    // The IE where it studied keeps reading its own years.
    let (_, record) = app
        .get(
            &format!("/students/record?document={dni}"),
            &bolognesi_director,
        )
        .await;
    let own: Vec<i64> = record["years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["year"].as_i64().unwrap())
        .collect();
    assert_eq!(own, vec![2018, 2019, 2020], "{record}");
}
