//! Altas y bajas in the console: the UGEL files a director's alta with its RD and approves it
//! (the credentials shown once), a director ends a teacher's assignment, and nobody else reaches
//! a request by its address.

use reqwest::StatusCode;
use tests::{DEMO_PASSWORD, TestApp, demo, minimal_pdf, spawn_app, visitor::Visitor};

/// The id of the newest request.
async fn newest_request(app: &TestApp) -> i64 {
    app.scalar("SELECT CAST(MAX(id) AS TEXT) FROM provisioning_request")
        .await
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_ugel_files_and_approves_a_directors_alta_and_the_credentials_are_shown_once() {
    let app = spawn_app().await;
    let token = app.login_as("ugel.demo").await;
    let school = app.school_id(&token, demo::PRIMARIA).await.to_string();
    let (ugel, csrf) = &mut Visitor::signed_in(&app, "ugel.demo").await;
    let form = ugel.get("/consola/altas-y-bajas/nueva").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.html.contains(&format!("<option value=\"{school}\">")),
        "{}",
        form.html
    );
    // The roles offered are those a UGEL may file: its own and its IEs' directors.
    for offered in ["director", "ugel_statistician", "level_specialist"] {
        assert!(
            form.html.contains(&format!("<option value=\"{offered}\">")),
            "{offered}"
        );
    }
    for not_offered in [
        "teacher",
        "dre_specialist",
        "minedu_specialist",
        "minedu_admin",
    ] {
        assert!(
            !form
                .html
                .contains(&format!("<option value=\"{not_offered}\">")),
            "{not_offered}"
        );
    }

    let fields = [
        ("csrf", csrf.as_str()),
        ("kind", "alta"),
        ("role", "director"),
        ("school_id", school.as_str()),
        ("dni", "41112222"),
        ("paternal_surname", "Chuquicusma"),
        ("maternal_surname", "Llontop"),
        ("given_names", "María Elena"),
        ("email", "melena@ie16471.edu.pe"),
        ("resolution_number", "RD N° 0456-2026-UGEL-SI"),
        ("resolution_date", "2026-03-02"),
        ("reason", "Oficio N° 112-2026"),
    ];
    // Without the RD, refused with what is missing, and nothing filed.
    let refused = ugel
        .post_files("/consola/altas-y-bajas/nueva", &fields, vec![])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("Adjunte la resolución"),
        "{}",
        refused.html
    );
    // A form without the session's token is not read.
    let mut forged = fields.to_vec();
    forged[0] = ("csrf", "forged");
    let page = ugel
        .post_files(
            "/consola/altas-y-bajas/nueva",
            &forged,
            vec![("resolution", "rd.pdf", minimal_pdf())],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM provisioning_request")
            .await
            .as_deref(),
        Some("0")
    );

    let filed = ugel
        .post_files(
            "/consola/altas-y-bajas/nueva",
            &fields,
            vec![("resolution", "rd.pdf", minimal_pdf())],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.html);
    let id = newest_request(&app).await;
    let page_path = format!("/consola/altas-y-bajas/{id}");
    let list = ugel.get("/consola/altas-y-bajas?estado=pending").await;
    assert!(
        list.html.contains(&format!("href=\"{page_path}\"")),
        "{}",
        list.html
    );
    let page = ugel.get(&page_path).await;
    assert!(page.html.contains("descargar el archivo"), "{}", page.html);
    let rd = ugel.get(&format!("{page_path}/resolucion")).await;
    assert_eq!(rd.status, StatusCode::OK);

    // The IE's teacher files and decides nothing; another UGEL's people and the teacher do not
    // reach the request.
    let (teacher, _) = &mut Visitor::signed_in(&app, "docente.demo").await;
    assert_eq!(
        teacher.get("/consola/altas-y-bajas/nueva").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        !teacher
            .get("/consola")
            .await
            .html
            .contains("/consola/altas-y-bajas")
    );
    for username in ["jaen.demo", "docente.demo"] {
        let (other, other_csrf) = &mut Visitor::signed_in(&app, username).await;
        assert_eq!(
            other.get(&page_path).await.status,
            StatusCode::NOT_FOUND,
            "{username}"
        );
        let approved = other
            .post(&format!("{page_path}/aprobar"), &[("csrf", other_csrf)])
            .await;
        assert_eq!(approved.status, StatusCode::NOT_FOUND, "{username}");
    }

    // Approved: the new account's credentials, once; the new director signs in with them.
    let approved = ugel
        .post(&format!("{page_path}/aprobar"), &[("csrf", csrf)])
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.html);
    assert!(
        approved.html.contains("se muestran una sola vez"),
        "{}",
        approved.html
    );
    let password = approved
        .html
        .split("<code>")
        .nth(1)
        .and_then(|s| s.split("</code>").next())
        .unwrap()
        .to_owned();
    let username = approved
        .html
        .split("<dt>Usuario</dt><dd>")
        .nth(1)
        .and_then(|s| s.split("</dd>").next())
        .unwrap()
        .to_owned();
    let login = app.login_response(&username, &password).await;
    assert_eq!(login.status(), StatusCode::OK);
    // The requester is told, with the request's page.
    app.deliver_mail().await;
    let told: Vec<String> = app
        .delivered()
        .into_iter()
        .map(|raw| tests::smtp::Received::from_raw(raw.into_bytes()).text())
        .filter(|text| text.contains("fue aprobada"))
        .collect();
    assert!(told.iter().any(|t| t.contains(&page_path)), "{told:?}");
    let again = ugel.get(&page_path).await;
    assert!(!again.html.contains(&password), "shown only once");
    assert!(again.html.contains("Aprobada"));
}

#[tokio::test]
async fn a_director_ends_a_teachers_assignment_from_a_page() {
    let app = spawn_app().await;
    let token = app.login_as("director.demo").await;
    let school = app.school_id(&token, demo::PRIMARIA).await.to_string();
    let (director, csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let filed = director
        .post_files(
            "/consola/altas-y-bajas/nueva",
            &[
                ("csrf", csrf),
                ("kind", "baja"),
                ("role", "teacher"),
                ("school_id", &school),
                ("dni", "40000006"),
                ("reason", "Término de contrato."),
            ],
            vec![],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.html);
    let id = newest_request(&app).await;
    let pending = director.get("/consola/pendientes").await;
    assert!(
        pending
            .html
            .contains("1 solicitud de alta o baja espera su decisión"),
        "{}",
        pending.html
    );
    let decided = director
        .post(
            &format!("/consola/altas-y-bajas/{id}/aprobar"),
            &[("csrf", csrf)],
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.html);
    assert!(decided.html.contains("Solicitud aprobada."));
    let login = app.login_response("docente.demo", DEMO_PASSWORD).await;
    assert_ne!(
        login.status(),
        StatusCode::OK,
        "no active assignment, no login"
    );

    // A DNI that holds no such role there is refused, and nothing is filed.
    let before = newest_request(&app).await;
    let refused = director
        .post_files(
            "/consola/altas-y-bajas/nueva",
            &[
                ("csrf", csrf),
                ("kind", "baja"),
                ("role", "teacher"),
                ("school_id", &school),
                ("dni", "40000008"),
                ("reason", "Término de contrato."),
            ],
            vec![],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(
        refused.html.contains("Nadie con ese DNI"),
        "{}",
        refused.html
    );
    assert_eq!(newest_request(&app).await, before);

    // In an IE out of reach the answer is the same whether or not the DNI holds the role there:
    // the page tells nobody's roles.
    let admin = app.login_as("admin.demo").await;
    let bolognesi = app.school_id(&admin, demo::BOLOGNESI).await.to_string();
    let mut answers = Vec::new();
    for dni in ["40000009", "43000002"] {
        let tried = director
            .post_files(
                "/consola/altas-y-bajas/nueva",
                &[
                    ("csrf", csrf),
                    ("kind", "baja"),
                    ("role", "director"),
                    ("school_id", &bolognesi),
                    ("dni", dni),
                    ("reason", "Término de contrato."),
                ],
                vec![],
            )
            .await;
        answers.push(tried.status);
    }
    assert_eq!(answers, [StatusCode::FORBIDDEN, StatusCode::FORBIDDEN]);
    assert_eq!(newest_request(&app).await, before);
}

#[tokio::test]
async fn the_people_pages_have_no_serious_accessibility_violation() {
    let app = spawn_app().await;
    let Some(browser) = tests::browser::Browser::start_with_scripts().await else {
        return;
    };
    let mut found = Vec::new();
    for (username, pages) in [
        (
            "ugel.demo",
            vec![
                (
                    "/consola/altas-y-bajas/nueva",
                    "Nueva solicitud de alta o baja",
                ),
                ("/consola/altas-y-bajas", "Nueva solicitud"),
                (
                    "/consola/estudiantes?documento=40000099",
                    "Récord de un estudiante",
                ),
            ],
        ),
        (
            "director.demo",
            vec![("/consola/certificados", "Solicitudes por atender")],
        ),
    ] {
        browser.sign_in(&app, username).await;
        for (path, text) in pages {
            browser.open(&format!("{}{path}", app.address)).await;
            browser.text_with(text).await;
            found.push((path, browser.serious_accessibility_violations().await));
        }
        browser.sign_out().await;
    }
    browser.quit().await;
    for (page, violations) in found {
        assert!(violations.is_empty(), "{page}: {violations:?}");
    }
}

#[tokio::test]
async fn a_ugel_specialist_decides_an_alta_and_enables_a_modification_in_a_browser() {
    use chrono::{Datelike, Duration};
    let app = spawn_app().await;
    let token = app.login_as("ugel.demo").await;
    let school = app.school_id(&token, demo::PRIMARIA).await;
    let fields = vec![
        ("kind", "alta".to_string()),
        ("role", "director".into()),
        ("school_id", school.to_string()),
        ("dni", "41112222".into()),
        ("paternal_surname", "Chuquicusma".into()),
        ("maternal_surname", "Llontop".into()),
        ("given_names", "María Elena".into()),
        ("email", "melena@ie16471.edu.pe".into()),
        ("resolution_number", "RD N° 0456-2026-UGEL-SI".into()),
        ("resolution_date", "2026-03-02".into()),
        ("reason", "Oficio N° 112-2026".into()),
    ];
    let (status, filed) = app.file_request(&token, &fields, true).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let id = filed["id"].as_i64().unwrap();

    // A closed register of last month, its modification asked and reviewed favourably.
    let director = app.login_as("director.demo").await;
    let teacher = app.login_as("docente.demo").await;
    let (_, me) = app.get("/me", &teacher).await;
    let section = me["sections"][0].as_i64().unwrap();
    let last = tests::lima_today().with_day(1).unwrap() - Duration::days(1);
    let base = format!(
        "/sections/{section}/registers/{}/{}",
        last.year(),
        last.month()
    );
    let (status, _) = app
        .post(
            &format!("{base}/complete"),
            &director,
            serde_json::json!({"up_to_day": last.day()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.post(&format!("{base}/close"), &director, serde_json::json!({}))
        .await;
    let (status, asked) = app
        .post(
            &format!("{base}/modifications"),
            &director,
            serde_json::json!({"reason": "Una falta mal registrada el último día."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    let level = app.login_as("nivel.demo").await;
    let (status, _) = app
        .post(
            &format!("/register-modifications/{}/opinion", asked["id"]),
            &level,
            serde_json::json!({"favorable": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let Some(browser) = tests::browser::Browser::start_with_scripts().await else {
        return;
    };
    browser.sign_in(&app, "ugel.demo").await;
    browser.click("a[href='/consola/altas-y-bajas']").await;
    browser
        .click(&format!("a[href='/consola/altas-y-bajas/{id}']"))
        .await;
    browser.text_with("descargar el archivo").await;
    browser.click("form[action$='/aprobar'] button").await;
    let shown = browser.text_with("se muestran una sola vez").await;
    assert!(shown.contains("Contraseña temporal"), "{shown}");
    browser.open(&format!("{}/consola", app.address)).await;
    browser.click("a[href='/consola/modificaciones']").await;
    browser.text_with("Habilitar la modificación").await;
    let violations = browser.serious_accessibility_violations().await;
    browser.click("form[action$='/habilitar'] button").await;
    browser.text_with("Modificación habilitada").await;
    browser.quit().await;
    // (The new director replaced the old one, whose session ended: the UGEL reads it.)
    let (_, register) = app.get(&base, &token).await;
    assert!(register["modification_until"].is_string(), "{register}");
    let (_, request) = app
        .get(&format!("/provisioning/requests/{id}"), &token)
        .await;
    assert_eq!(request["status"], "approved");
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn a_pronoei_coordinator_is_not_offered_altas_y_bajas_which_its_ugel_files() {
    let app = spawn_app().await;
    let (coordinator, _) = &mut Visitor::signed_in(&app, "pronoei.demo").await;
    for path in ["/consola/altas-y-bajas", "/consola/altas-y-bajas/nueva"] {
        assert_eq!(
            coordinator.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let home = coordinator.get("/consola").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        !home.html.contains("/consola/altas-y-bajas"),
        "{}",
        home.html
    );
    // A director of an IE that is not a PRONOEI is offered it.
    let (director, _) = &mut Visitor::signed_in(&app, "director.demo").await;
    assert!(
        director
            .get("/consola")
            .await
            .html
            .contains("/consola/altas-y-bajas")
    );
}
