//! The acta de evaluación in the console: graded on the grid or from a file (its errors shown on
//! the grid), final situations recorded, closed and printed; a teacher grades only its areas; an
//! acta out of reach is not found.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{
    TestApp,
    browser::Browser,
    spawn_app,
    visitor::{Visitor, hidden},
};

/// The teacher's first section and its acta as the API shows it to the director.
async fn section_acta(app: &TestApp) -> (i64, Value) {
    let teacher = app.login_as("docente.demo").await;
    let (_, me) = app.get("/me", &teacher).await;
    let section = me["sections"][0].as_i64().unwrap();
    (section, acta(app, section).await)
}

async fn acta(app: &TestApp, section: i64) -> Value {
    let director = app.login_as("director.demo").await;
    let (status, acta) = app
        .get(&format!("/sections/{section}/acta"), &director)
        .await;
    assert_eq!(status, StatusCode::OK, "{acta}");
    acta
}

/// A passing grade on an area's scale.
fn passing(area: &Value) -> &'static str {
    if area["scale"] == "literal" {
        "A"
    } else {
        "14"
    }
}

fn students(acta: &Value) -> Vec<(i64, String)> {
    acta["students"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["enrollment_status"] == "activo")
        .map(|s| {
            (
                s["enrollment_id"].as_i64().unwrap(),
                s["document"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_acta_is_graded_its_situations_recorded_and_closed_from_its_page() {
    let app = spawn_app().await;
    let (section, before) = section_acta(&app).await;
    let page_path = format!("/consola/actas/{section}");
    let (director, csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let home = director.get("/consola").await;
    assert!(
        home.html.contains(&format!("href=\"{page_path}\"")),
        "{}",
        home.html
    );
    let page = director.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);

    // Every grade on the grid, in one save.
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("was".into(), hidden(&page.html, "was")),
    ];
    for (enrollment, _) in students(&before) {
        for area in before["areas"].as_array().unwrap() {
            form.push((
                format!("g{enrollment}-{}", area["id"]),
                passing(area).into(),
            ));
        }
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = director.post(&format!("{page_path}/notas"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);

    // Closing before the situations are recorded says what is missing.
    let early = director
        .post(&format!("{page_path}/cerrar"), &[("csrf", csrf)])
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.html);

    // The situations the grades suggest, as the page proposes them, then the closure.
    let page = director.get(&page_path).await;
    assert!(page.html.contains("Sugerida: Promovido"), "{}", page.html);
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.clone())];
    for (enrollment, _) in students(&before) {
        form.push((format!("s{enrollment}"), "promovido".into()));
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let recorded = director
        .post(&format!("{page_path}/situaciones"), &fields)
        .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.html);
    let closed = director
        .post(&format!("{page_path}/cerrar"), &[("csrf", csrf)])
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.html);
    let after = acta(&app, section).await;
    assert_eq!(after["state"], "cerrada");
    assert!(
        after["students"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["enrollment_status"] == "activo")
            .all(|s| s["situation"] == "promovido")
    );

    // Closed: no inputs, the modification offered, the PDF printed.
    let page = director.get(&page_path).await;
    assert!(!page.html.contains("name=\"g"), "no grade to write");
    assert!(
        page.html
            .contains("Solicitar una modificación excepcional del acta")
    );
    let pdf = director.get(&format!("{page_path}/pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
}

#[tokio::test]
async fn a_grades_file_is_refused_whole_and_its_errors_shown_on_the_grid() {
    let app = spawn_app().await;
    let (section, before) = section_acta(&app).await;
    let page_path = format!("/consola/actas/{section}");
    let list = students(&before);
    let mat = before["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "MAT")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (teacher, csrf) = &mut Visitor::signed_in(&app, "docente.demo").await;
    let file = format!("documento;MAT;COM\n{};AD;B\n{};Z;A\n", list[0].1, list[1].1);
    let refused = teacher
        .post_files(
            &format!("{page_path}/importar"),
            &[("csrf", csrf)],
            vec![("archivo", "notas.csv", file.into_bytes())],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(refused.html.contains("Línea 3, MAT"), "{}", refused.html);
    let cell = format!("name=\"g{}-{mat}\" value=\"Z\"", list[1].0);
    assert!(refused.html.contains(&cell), "{}", refused.html);
    let at = refused.html.find(&cell).unwrap();
    assert!(refused.html[at..at + 300].contains("aria-invalid=\"true\""));
    assert!(
        acta(&app, section).await["students"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["grades"] == json!([])),
        "nothing was written"
    );

    // Without the form's token, the file is not read.
    let forged = teacher
        .post_files(
            &format!("{page_path}/importar"),
            &[("csrf", "forged")],
            vec![("archivo", "notas.csv", b"documento;MAT\n".to_vec())],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let good = format!("documento,MAT,COM\n{},AD,B\n{},B,A\n", list[0].1, list[1].1);
    let imported = teacher
        .post_files(
            &format!("{page_path}/importar"),
            &[("csrf", csrf)],
            vec![("archivo", "notas.csv", good.into_bytes())],
        )
        .await;
    assert_eq!(imported.status, StatusCode::SEE_OTHER, "{}", imported.html);
    let after = acta(&app, section).await;
    let first = after["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["enrollment_id"] == list[0].0)
        .unwrap();
    assert!(
        first["grades"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["area_id"] == mat && g["value"] == "AD")
    );
}

#[tokio::test]
async fn a_teacher_grades_only_its_areas_and_another_ie_finds_no_acta() {
    let app = spawn_app().await;
    let (section, before) = section_acta(&app).await;
    let page_path = format!("/consola/actas/{section}");
    let area = |code: &str| {
        before["areas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["code"] == code)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (mat, com) = (area("MAT"), area("COM"));
    let director = app.login_as("director.demo").await;
    let teacher = app.login_as("docente.demo").await;
    let (_, me) = app.get("/me", &teacher).await;
    let person = me["person_id"].as_i64().unwrap();
    let (status, body) = app
        .put(
            &format!("/sections/{section}/teachers/{person}/areas"),
            &director,
            json!({"area_ids": [mat]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = students(&before)[0].0;
    let (visitor, csrf) = &mut Visitor::signed_in(&app, "docente.demo").await;
    let page = visitor.get(&page_path).await;
    assert!(page.html.contains(&format!("name=\"g{first}-{mat}\"")));
    assert!(!page.html.contains(&format!("name=\"g{first}-{com}\"")));
    assert!(!page.html.contains("Cerrar el acta"), "the director's step");
    // A grade of another area, forged into the form, is refused and nothing is written.
    let was = format!("{first}:{com}=;");
    let forged = visitor
        .post(
            &format!("{page_path}/notas"),
            &[
                ("csrf", csrf),
                ("was", &was),
                (&format!("g{first}-{com}"), "A"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.html);
    assert_eq!(
        acta(&app, section).await["students"][0]["grades"],
        json!([])
    );

    // Another IE's director: not found, by page, PDF or form.
    let (other, other_csrf) = &mut Visitor::signed_in(&app, "jaen.demo").await;
    assert_eq!(other.get(&page_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.get(&format!("{page_path}/pdf")).await.status,
        StatusCode::NOT_FOUND
    );
    for form in ["cerrar", "situaciones", "notas"] {
        let page = other
            .post(
                &format!("{page_path}/{form}"),
                &[
                    ("csrf", other_csrf),
                    ("was", &was),
                    (&format!("s{first}"), "promovido"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{form}: {}", page.html);
    }
    let imported = other
        .post_files(
            &format!("{page_path}/importar"),
            &[("csrf", other_csrf)],
            vec![("archivo", "notas.csv", b"documento,MAT\n1,A\n".to_vec())],
        )
        .await;
    assert_eq!(imported.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_director_imports_grades_and_closes_the_acta_in_a_browser() {
    let app = spawn_app().await;
    let (section, before) = section_acta(&app).await;
    let mut file = String::from("documento");
    for area in before["areas"].as_array().unwrap() {
        file.push(',');
        file.push_str(area["code"].as_str().unwrap());
    }
    file.push('\n');
    for (_, document) in students(&before) {
        file.push_str(&document);
        for area in before["areas"].as_array().unwrap() {
            file.push(',');
            file.push_str(passing(area));
        }
        file.push('\n');
    }
    let path = std::env::temp_dir().join(format!("notas-{}-{section}.csv", std::process::id()));
    std::fs::write(&path, file).unwrap();
    let Some(browser) = Browser::start_with_scripts().await else {
        return;
    };
    browser.sign_in(&app, "director.demo").await;
    browser.click("details summary").await;
    browser
        .click(&format!("a[href='/consola/actas/{section}']"))
        .await;
    browser
        .text_with("Calificaciones finales por estudiante y área")
        .await;
    let violations = browser.serious_accessibility_violations().await;
    browser.type_into("#archivo", path.to_str().unwrap()).await;
    browser.click("form[action$='/importar'] button").await;
    browser
        .text_with("Calificaciones del archivo guardadas.")
        .await;
    browser.click("form[action$='/situaciones'] button").await;
    browser.text_with("Situaciones finales registradas.").await;
    browser.click("form[action$='/cerrar'] button").await;
    browser.text_with("Acta cerrada.").await;
    browser.quit().await;
    let _ = std::fs::remove_file(&path);
    assert_eq!(acta(&app, section).await["state"], "cerrada");
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn an_acta_left_open_after_its_year_ended_is_pending_for_the_director() {
    use chrono::Datelike;
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let token = app.login_as("director.demo").await;
    let school = app.school_id(&token, tests::demo::PRIMARIA).await;
    let last_year = tests::lima_today().year() - 1;
    let (_, past) = app
        .get(
            &format!("/schools/{school}/sections?year={last_year}"),
            &token,
        )
        .await;
    let section = past[0]["id"].as_i64().expect("a section of last year");
    let (director, _) = &mut Visitor::signed_in(&app, "director.demo").await;
    let link = format!("href=\"/consola/actas/{section}\"");
    let before = director.get("/consola/pendientes").await;
    assert!(
        !before.html.contains("Actas de evaluación por cerrar"),
        "{}",
        before.html
    );
    app.db
        .execute_unprepared(&format!(
            "UPDATE acta SET closed_at = NULL, closed_by = NULL WHERE section_id = {section}"
        ))
        .await
        .unwrap();
    let after = director.get("/consola/pendientes").await;
    assert!(
        after.html.contains("Actas de evaluación por cerrar"),
        "{}",
        after.html
    );
    assert!(after.html.contains(&link), "{}", after.html);
}

#[tokio::test]
async fn a_grade_someone_else_wrote_since_the_page_loaded_is_not_overwritten() {
    let app = spawn_app().await;
    let (section, before) = section_acta(&app).await;
    let page_path = format!("/consola/actas/{section}");
    let first = students(&before)[0].0;
    let mat = before["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "MAT")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let cell = format!("g{first}-{mat}");
    let (director, director_csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let (teacher, teacher_csrf) = &mut Visitor::signed_in(&app, "docente.demo").await;
    let director_page = director.get(&page_path).await;
    let teacher_page = teacher.get(&page_path).await;
    let saved = teacher
        .post(
            &format!("{page_path}/notas"),
            &[
                ("csrf", teacher_csrf),
                ("was", &hidden(&teacher_page.html, "was")),
                (&cell, "AD"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let stale = director
        .post(
            &format!("{page_path}/notas"),
            &[
                ("csrf", director_csrf),
                ("was", &hidden(&director_page.html, "was")),
                (&cell, "C"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.html);
    assert!(stale.html.contains("(MAT)"), "{}", stale.html);
    let grades = &acta(&app, section).await["students"][0]["grades"];
    assert!(
        grades
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["area_id"] == mat && g["value"] == "AD"),
        "{grades}"
    );
}

#[tokio::test]
async fn a_director_gives_a_teacher_its_areas_and_takes_it_off_a_section() {
    let app = spawn_app().await;
    let (section, before) = section_acta(&app).await;
    let area = |code: &str| {
        before["areas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["code"] == code)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let (mat, com) = (area("MAT"), area("COM"));
    let teacher_token = app.login_as("docente.demo").await;
    let (_, me) = app.get("/me", &teacher_token).await;
    let person = me["person_id"].as_i64().unwrap();
    let page_path = format!("/consola/secciones/{section}/docentes");
    let (director, csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let page = director.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("(todas las áreas)"), "{}", page.html);
    let saved = director
        .post(
            &format!("{page_path}/{person}/areas"),
            &[("csrf", csrf), ("area", &mat.to_string())],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let (teacher, _) = &mut Visitor::signed_in(&app, "docente.demo").await;
    let first = students(&before)[0].0;
    let acta_page = teacher.get(&format!("/consola/actas/{section}")).await;
    assert!(acta_page.html.contains(&format!("name=\"g{first}-{mat}\"")));
    assert!(!acta_page.html.contains(&format!("name=\"g{first}-{com}\"")));

    // Another IE's director neither reads nor changes them.
    let (other, other_csrf) = &mut Visitor::signed_in(&app, "jaen.demo").await;
    assert_eq!(other.get(&page_path).await.status, StatusCode::NOT_FOUND);
    let forged = other
        .post(
            &format!("{page_path}/{person}/quitar"),
            &[("csrf", other_csrf)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::NOT_FOUND);

    // Taken off the section, the teacher no longer takes its attendance.
    let removed = director
        .post(&format!("{page_path}/{person}/quitar"), &[("csrf", csrf)])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.html);
    let (teacher, _) = &mut Visitor::signed_in(&app, "docente.demo").await;
    assert_eq!(
        teacher
            .get(&format!("/consola/asistencia/{section}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_director_registers_staff_who_can_then_be_given_a_section() {
    let app = spawn_app().await;
    let (section, _) = section_acta(&app).await;
    let token = app.login_as("director.demo").await;
    let school = app.school_id(&token, tests::demo::PRIMARIA).await;
    let (director, csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let page = director.get("/consola/personal").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let registered = director
        .post(
            "/consola/personal",
            &[
                ("csrf", csrf),
                ("dni", "41234599"),
                ("position", "teacher"),
                ("paternal_surname", "Ñique"),
                ("maternal_surname", "Acosta"),
                ("given_names", "Lucía"),
            ],
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::SEE_OTHER,
        "{}",
        registered.html
    );
    let page = director.follow(&registered).await;
    assert!(page.html.contains("Ñique Acosta, Lucía"), "{}", page.html);
    let teachers = director
        .get(&format!("/consola/secciones/{section}/docentes"))
        .await;
    assert!(
        teachers.html.contains("Ñique Acosta, Lucía"),
        "{}",
        teachers.html
    );

    // A bad DNI is refused with its reason; another IE's director and a teacher reach nothing.
    let refused = director
        .post(
            "/consola/personal",
            &[
                ("csrf", csrf),
                ("dni", "123"),
                ("position", "teacher"),
                ("paternal_surname", "Ríos"),
                ("maternal_surname", "Paz"),
                ("given_names", "Leo"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    for username in ["jaen.demo", "docente.demo"] {
        let (other, _) = &mut Visitor::signed_in(&app, username).await;
        let page = other.get(&format!("/consola/personal?ie={school}")).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{username}");
        assert!(!page.html.contains("Ñique"), "{username}");
    }
}
