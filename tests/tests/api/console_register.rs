//! The director's month in the console: "Pendientes" reached from the deadline e-mail, the
//! monthly register's page (cells, "completar hasta el día N", closure), and who may open and
//! change which register by its address.

use chrono::{Datelike, Duration, NaiveDate};
use reqwest::StatusCode;
use serde_json::Value;
use tests::{
    DEMO_PASSWORD, TestApp,
    browser::Browser,
    lima_today, spawn_app,
    visitor::{Visitor, encode, hidden},
};

/// The teacher's first section and last month (ended, so overdue on the tests' clock).
struct LastMonth {
    section: i64,
    year: i32,
    month: u32,
}

impl LastMonth {
    async fn of(app: &TestApp) -> Self {
        let teacher = app.login_as("docente.demo").await;
        let (_, me) = app.get("/me", &teacher).await;
        let last_day = lima_today().with_day(1).unwrap() - Duration::days(1);
        Self {
            section: me["sections"][0].as_i64().unwrap(),
            year: last_day.year(),
            month: last_day.month(),
        }
    }

    fn page(&self) -> String {
        format!(
            "/consola/registros/{}/{}/{}",
            self.section, self.year, self.month
        )
    }

    /// The director, sent to sign in from "Pendientes" and back to it.
    async fn director_opens_pending(app: &TestApp, browser: &Browser) {
        browser
            .open(&format!("{}/consola/pendientes", app.address))
            .await;
        browser.type_into("#username", "director.demo").await;
        browser.type_into("#password", DEMO_PASSWORD).await;
        browser.click("main button[type=submit]").await;
        browser.text_with("Pendientes").await;
    }

    /// The register's page, by its link on "Pendientes".
    async fn open_from_pending(&self, browser: &Browser) {
        browser.click(&format!("a[href='{}']", self.page())).await;
        browser.text_with("Asistencia por estudiante y día").await;
    }

    /// On the register's page: every day completed as present, then the month closed.
    async fn complete_and_close(browser: &Browser, register: &Value) {
        browser.clear("#up_to_day").await;
        browser
            .type_into(
                "#up_to_day",
                &register["days"].as_array().unwrap().len().to_string(),
            )
            .await;
        browser.click("form[action$='/completar'] button").await;
        browser.text_with("Asistencias completadas.").await;
        browser.click("form[action$='/cerrar'] button").await;
        browser.text_with("Registro cerrado.").await;
    }

    async fn register(&self, app: &TestApp) -> Value {
        let director = app.login_as("director.demo").await;
        let (status, register) = app
            .get(
                &format!(
                    "/sections/{}/registers/{}/{}",
                    self.section, self.year, self.month
                ),
                &director,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        register
    }
}

/// The first academic day of a register and its first student's id.
fn first_cell(register: &Value) -> (NaiveDate, i64) {
    let day = register["days"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["academic"] == true)
        .unwrap();
    (
        NaiveDate::parse_from_str(day["date"].as_str().unwrap(), "%Y-%m-%d").unwrap(),
        register["rows"][0]["student_id"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn a_director_closes_an_overdue_month_from_the_deadline_e_mail() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    // The reminder of last month, sent before its end, links to "Pendientes".
    let reminder_day = NaiveDate::from_ymd_opt(last.year, last.month, 26).unwrap();
    let at = reminder_day.and_hms_opt(12, 0, 0).unwrap().and_utc();
    siagie::alerts::run(
        &app.db,
        &app.config.jobs,
        siagie::links::Links::new(&app.config.auth.public_base_url),
        "deadline_reminder",
        at,
    )
    .await
    .expect("the reminder runs");
    let mail = app.mail_to("director.demo@siagie.local").await;
    let text = tests::smtp::Received::from_raw(mail.into_bytes()).text();
    let link = format!("{}/consola/pendientes", app.config.auth.public_base_url);
    assert!(text.contains(&format!("en SIAGIE: {link}")), "{text}");

    // Opened without a session, the link asks to sign in and then comes back to it.
    let mut visitor = Visitor::new(&app);
    let asked = visitor.get("/consola/pendientes").await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    let login = asked.location.clone().unwrap();
    assert_eq!(
        login,
        format!(
            "/consola/ingresar?siguiente={}",
            encode("/consola/pendientes")
        )
    );
    let form = visitor.get(&login).await;
    let back = hidden(&form.html, "siguiente").replace("&#x2f;", "/");
    assert_eq!(back, "/consola/pendientes");
    let signed_in = visitor
        .post(
            "/consola/ingresar",
            &[
                ("csrf", &hidden(&form.html, "csrf")),
                ("username", "director.demo"),
                ("password", DEMO_PASSWORD),
                ("siguiente", &back),
            ],
        )
        .await;
    assert_eq!(signed_in.location.as_deref(), Some("/consola/pendientes"));
    let pending = visitor.follow(&signed_in).await;
    assert_eq!(pending.status, StatusCode::OK);
    let deadline = lima_today().with_day(1).unwrap() - Duration::days(1);
    let late = match (lima_today() - deadline).num_days() {
        1 => "Venció hace 1 día".to_owned(),
        n => format!("Venció hace {n} días"),
    };
    assert!(pending.html.contains(&late), "{}", pending.html);
    assert!(pending.html.contains(&format!("href=\"{}\"", last.page())));
    let csrf = hidden(&pending.html, "csrf");

    // One cell typed on the grid: only that cell is written.
    let register = last.register(&app).await;
    let (day, student) = first_cell(&register);
    let grid = visitor.get(&last.page()).await;
    assert_eq!(grid.status, StatusCode::OK);
    let was = hidden(&grid.html, "was");
    let cell = format!("c{student}-{}", day.day());
    assert!(grid.html.contains(&format!("name=\"{cell}\"")));
    let saved = visitor
        .post(
            &format!("{}/celdas", last.page()),
            &[("csrf", &csrf), ("was", &was), (&cell, "f")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert!(
        visitor
            .follow(&saved)
            .await
            .html
            .contains("Asistencia guardada.")
    );
    let register = last.register(&app).await;
    assert_eq!(
        register["rows"][0]["cells"][day.day0() as usize]["status"],
        "falta"
    );
    assert_eq!(register["state"], "parcial");

    // Closing an incomplete register is refused with what is missing.
    let refused = visitor
        .post(&format!("{}/cerrar", last.page()), &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.html.contains("El registro no está completo"),
        "{}",
        refused.html
    );

    // Completed to the month's last day, then closed.
    let last_day = register["days"].as_array().unwrap().len().to_string();
    let completed = visitor
        .post(
            &format!("{}/completar", last.page()),
            &[("csrf", &csrf), ("up_to_day", &last_day)],
        )
        .await;
    assert_eq!(
        completed.status,
        StatusCode::SEE_OTHER,
        "{}",
        completed.html
    );
    let closed = visitor
        .post(&format!("{}/cerrar", last.page()), &[("csrf", &csrf)])
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.html);
    let register = last.register(&app).await;
    assert_eq!(register["state"], "cerrado");
    assert_eq!(
        register["rows"][0]["cells"][day.day0() as usize]["status"],
        "falta"
    );

    // The closed register leaves "Pendientes"; the grid has no inputs any more.
    let pending = visitor.get("/consola/pendientes").await;
    assert!(!pending.html.contains(&format!("href=\"{}\"", last.page())));
    let grid = visitor.get(&last.page()).await;
    assert!(grid.html.contains("Cerrado"));
    assert!(!grid.html.contains(&format!("name=\"{cell}\"")));
    assert!(grid.html.contains("Solicitar una modificación excepcional"));

    // The IE's month as CSV, a row per student, from the register's page.
    let csv = visitor
        .get(&format!("{}/asistencia.csv", last.page()))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let document = register["rows"][0]["document"].as_str().unwrap();
    assert!(
        csv.html.lines().any(|l| l.starts_with(document)),
        "{}",
        csv.html
    );
}

#[tokio::test]
async fn a_typing_mistake_keeps_what_was_typed_and_writes_nothing() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    let register = last.register(&app).await;
    let (day, student) = first_cell(&register);
    let (visitor, csrf) = &mut Visitor::signed_in(&app, "docente.demo").await;
    let grid = visitor.get(&last.page()).await;
    let was = hidden(&grid.html, "was");
    let good = format!("c{student}-{}", day.day());
    let second = register["rows"][1]["student_id"].as_i64().unwrap();
    let bad = format!("c{second}-{}", day.day());
    let answer = visitor
        .post(
            &format!("{}/celdas", last.page()),
            &[("csrf", csrf), ("was", &was), (&good, "T"), (&bad, "X")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.html.contains("Use las letras de la leyenda"));
    assert!(answer.html.contains(&format!("name=\"{bad}\" value=\"X\"")));
    assert!(
        answer
            .html
            .contains(&format!("name=\"{good}\" value=\"T\""))
    );
    let register = last.register(&app).await;
    assert_eq!(register["state"], "sin_datos", "nothing written");
}

#[tokio::test]
async fn a_register_is_opened_and_changed_only_by_whom_it_concerns() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    let register = last.register(&app).await;
    let (day, student) = first_cell(&register);
    let cell = format!("c{student}-{}", day.day());

    // Another IE's director: the register is not found, by its page, its PDF or its forms.
    let (other, csrf) = &mut Visitor::signed_in(&app, "jaen.demo").await;
    assert_eq!(other.get(&last.page()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.get(&format!("{}/pdf", last.page())).await.status,
        StatusCode::NOT_FOUND
    );
    for (form, fields) in [
        ("celdas", vec![("was", ""), (cell.as_str(), "F")]),
        ("completar", vec![("up_to_day", "10")]),
        ("cerrar", vec![]),
    ] {
        let mut fields = fields;
        fields.push(("csrf", csrf));
        let page = other
            .post(&format!("{}/{form}", last.page()), &fields)
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{form}");
        let student: String = register["rows"][0]["full_name"]
            .as_str()
            .unwrap()
            .chars()
            .take(12)
            .collect();
        assert!(!page.html.contains(&student), "{form}: no student named");
    }
    // Its own "Pendientes" does not list this IE.
    let own = other.get("/consola/pendientes").await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(!own.html.contains(register["school_name"].as_str().unwrap()));

    // A form without the session's token is refused before anything is read.
    let (director, _) = &mut Visitor::signed_in(&app, "director.demo").await;
    let forged = director
        .post(&format!("{}/cerrar", last.page()), &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // The UGEL's specialist reads the grid without inputs; "Pendientes" is not its page.
    let (ugel, ugel_csrf) = &mut Visitor::signed_in(&app, "ugel.demo").await;
    let read = ugel.get(&last.page()).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(!read.html.contains(&format!("name=\"{cell}\"")));
    assert_eq!(
        ugel.get("/consola/pendientes").await.status,
        StatusCode::FORBIDDEN
    );
    let written = ugel
        .post(
            &format!("{}/celdas", last.page()),
            &[("csrf", ugel_csrf), ("was", ""), (&cell, "F")],
        )
        .await;
    assert_eq!(written.status, StatusCode::FORBIDDEN);

    // The teacher writes its section's cells but does not close the month.
    let (teacher, teacher_csrf) = &mut Visitor::signed_in(&app, "docente.demo").await;
    let closing = teacher
        .post(
            &format!("{}/cerrar", last.page()),
            &[("csrf", teacher_csrf)],
        )
        .await;
    assert_eq!(closing.status, StatusCode::FORBIDDEN);
    let written = teacher
        .post(
            &format!("{}/celdas", last.page()),
            &[("csrf", teacher_csrf), ("was", ""), (&cell, "F")],
        )
        .await;
    assert_eq!(written.status, StatusCode::SEE_OTHER, "{}", written.html);
    assert_eq!(last.register(&app).await["state"], "parcial");
    assert_eq!(
        teacher.get("/consola/pendientes").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_register_is_filled_with_the_keyboard_and_closed_in_a_browser() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    let register = last.register(&app).await;
    let (day, student) = first_cell(&register);
    let Some(browser) = Browser::start_with_scripts().await else {
        return;
    };
    LastMonth::director_opens_pending(&app, &browser).await;
    let pending_violations = browser.serious_accessibility_violations().await;
    last.open_from_pending(&browser).await;
    let grid_violations = browser.serious_accessibility_violations().await;
    // The first cell: "f" writes F and moves on; the next gets "t"; two arrows back, then "a"
    // writes asistió over the F.
    let first = format!("input[name='c{student}-{}']", day.day());
    browser.type_into(&first, "ft\u{E012}\u{E012}a").await;
    browser.click("#registro button[type=submit]").await;
    browser.text_with("Asistencia guardada.").await;
    let saved = last.register(&app).await;
    let cells = saved["rows"][0]["cells"].as_array().unwrap();
    let first_status = &cells[day.day0() as usize]["status"];
    assert_eq!(
        first_status, "asistio",
        "the arrow went back and «a» wrote asistió"
    );
    let next = cells[day.day0() as usize + 1..]
        .iter()
        .find(|c| c["status"].is_string())
        .expect("the next academic day");
    assert_eq!(next["status"], "tardanza");
    LastMonth::complete_and_close(&browser, &register).await;
    browser.quit().await;
    assert_eq!(last.register(&app).await["state"], "cerrado");
    assert!(pending_violations.is_empty(), "{pending_violations:?}");
    assert!(grid_violations.is_empty(), "{grid_violations:?}");
}

/// The same month without JavaScript, as a browser that runs none gets it: a cell typed and
/// saved by the form, the rest completed as present, the month closed, each answered by a page.
#[tokio::test]
async fn the_register_is_filled_and_closed_in_a_browser_without_javascript() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    let register = last.register(&app).await;
    let (day, student) = first_cell(&register);
    let Some(browser) = Browser::start().await else {
        return;
    };
    LastMonth::director_opens_pending(&app, &browser).await;
    last.open_from_pending(&browser).await;
    let first = format!("input[name='c{student}-{}']", day.day());
    browser.type_into(&first, "t").await;
    browser.click("#registro button[type=submit]").await;
    browser.text_with("Asistencia guardada.").await;
    let saved = last.register(&app).await;
    assert_eq!(
        saved["rows"][0]["cells"][day.day0() as usize]["status"],
        "tardanza"
    );
    LastMonth::complete_and_close(&browser, &register).await;
    browser.quit().await;
    let closed = last.register(&app).await;
    assert_eq!(closed["state"], "cerrado");
    assert_eq!(
        closed["rows"][0]["cells"][day.day0() as usize]["status"],
        "tardanza",
        "completing kept what was typed"
    );
}

/// Closes last month's register of the teacher's first section through the API.
async fn closed_last_month(app: &TestApp, last: &LastMonth) {
    let director = app.login_as("director.demo").await;
    let base = format!(
        "/sections/{}/registers/{}/{}",
        last.section, last.year, last.month
    );
    let days = last.register(app).await["days"].as_array().unwrap().len();
    let (status, body) = app
        .post(
            &format!("{base}/complete"),
            &director,
            serde_json::json!({"up_to_day": days}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(&format!("{base}/close"), &director, serde_json::json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_closed_month_is_reopened_from_pages_by_the_director_and_the_ugel() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    closed_last_month(&app, &last).await;
    let register = last.register(&app).await;
    let (day, student) = first_cell(&register);
    let cell = format!("c{student}-{}", day.day());

    // The director asks from the register's page.
    let (director, director_csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let asked = director
        .post(
            &format!("{}/modificacion", last.page()),
            &[
                ("csrf", director_csrf),
                ("reason", "Una falta mal registrada el primer día del mes."),
            ],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.html);
    // The level's specialist is told, with the page where it gives its opinion.
    let told =
        tests::smtp::Received::from_raw(app.mail_to("nivel.demo@siagie.local").await.into_bytes())
            .text();
    assert!(
        told.contains(&format!(
            "{}/consola/modificaciones",
            app.config.auth.public_base_url
        )),
        "{told}"
    );
    let listed = director.get("/consola/modificaciones").await;
    assert!(listed.html.contains("Solicitada"), "{}", listed.html);
    assert!(
        !listed.html.contains("Registrar la opinión"),
        "not the director's step"
    );
    let id: i64 = app
        .scalar("SELECT CAST(MAX(id) AS TEXT) FROM exceptional_modification")
        .await
        .unwrap()
        .parse()
        .unwrap();

    // The UGEL cannot enable what has no favourable opinion yet; the level's specialist gives it.
    let (ugel, ugel_csrf) = &mut Visitor::signed_in(&app, "ugel.demo").await;
    assert!(
        !ugel
            .get("/consola/modificaciones")
            .await
            .html
            .contains("Habilitar la modificación")
    );
    let (level, level_csrf) = &mut Visitor::signed_in(&app, "nivel.demo").await;
    let glance = level.get("/consola/cobertura").await;
    assert!(
        glance
            .html
            .contains("1 modificación excepcional espera su opinión"),
        "{}",
        glance.html
    );
    let page = level.get("/consola/modificaciones?estado=requested").await;
    assert!(page.html.contains("Registrar la opinión"), "{}", page.html);
    let opined = level
        .post(
            &format!("/consola/modificaciones/registro/{id}/opinion"),
            &[
                ("csrf", level_csrf),
                ("favorable", "si"),
                ("note", "Procede."),
            ],
        )
        .await;
    assert_eq!(opined.status, StatusCode::SEE_OTHER, "{}", opined.html);

    // Another UGEL's director finds no such request; a deadline beyond 30 days is refused.
    let (other, other_csrf) = &mut Visitor::signed_in(&app, "jaen.demo").await;
    let stolen = other
        .post(
            &format!("/consola/modificaciones/registro/{id}/habilitar"),
            &[("csrf", other_csrf), ("until", &lima_today().to_string())],
        )
        .await;
    assert!(
        stolen.status == StatusCode::NOT_FOUND || stolen.status == StatusCode::FORBIDDEN,
        "{}",
        stolen.status
    );
    let far = (lima_today() + Duration::days(45)).to_string();
    let refused = ugel
        .post(
            &format!("/consola/modificaciones/registro/{id}/habilitar"),
            &[("csrf", ugel_csrf), ("until", &far)],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(refused.html.contains("hasta 30 días"), "{}", refused.html);
    let until = (lima_today() + Duration::days(5)).to_string();
    let enabled = ugel
        .post(
            &format!("/consola/modificaciones/registro/{id}/habilitar"),
            &[("csrf", ugel_csrf), ("until", &until)],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::SEE_OTHER, "{}", enabled.html);

    // The register opens again on its page until the end of that day, and takes the change.
    let grid = director.get(&last.page()).await;
    let shown_until = (lima_today() + Duration::days(5))
        .format("%d/%m/%Y")
        .to_string();
    assert!(
        grid.html.contains(&format!(
            "Modificación excepcional abierta hasta el {shown_until} 23:59"
        )),
        "{}",
        grid.html
    );
    let was = hidden(&grid.html, "was");
    let saved = director
        .post(
            &format!("{}/celdas", last.page()),
            &[("csrf", director_csrf), ("was", &was), (&cell, "J")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert_eq!(
        last.register(&app).await["rows"][0]["cells"][day.day0() as usize]["status"],
        "falta_justificada"
    );
    assert!(
        director
            .get("/consola/modificaciones?estado=enabled")
            .await
            .html
            .contains("Habilitada")
    );
}

#[tokio::test]
async fn a_teacher_takes_todays_attendance_on_the_fallback_page() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    let (teacher, csrf) = &mut Visitor::signed_in(&app, "docente.demo").await;
    let home = teacher.get("/consola").await;
    let today_page = format!("/consola/asistencia/{}", last.section);
    assert!(
        home.html.contains(&format!("href=\"{today_page}\"")),
        "{}",
        home.html
    );
    let page = teacher.get(&today_page).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains("Guardar la asistencia de hoy"),
        "{}",
        page.html
    );
    let register = last.register(&app).await;
    let first = register["rows"][0]["student_id"].as_i64().unwrap();
    let second = register["rows"][1]["student_id"].as_i64().unwrap();
    // Every student is offered "asistió"; the teacher marks one absence and saves.
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("day".into(), hidden(&page.html, "day")),
        ("was".into(), hidden(&page.html, "was")),
    ];
    for row in register["rows"].as_array().unwrap() {
        let id = row["student_id"].as_i64().unwrap();
        let status = if id == second { "falta" } else { "asistio" };
        form.push((format!("s{id}"), status.into()));
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = teacher.post(&today_page, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    assert!(
        teacher
            .follow(&saved)
            .await
            .html
            .contains("Asistencia guardada.")
    );

    // The marks stand in this month's register as any mark does.
    let today = lima_today();
    let director = app.login_as("director.demo").await;
    let (_, month) = app
        .get(
            &format!(
                "/sections/{}/registers/{}/{}",
                last.section,
                today.year(),
                today.month()
            ),
            &director,
        )
        .await;
    let status_of = |student: i64| {
        month["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["student_id"] == student)
            .unwrap()["cells"][today.day0() as usize]["status"]
            .clone()
    };
    assert_eq!(status_of(first), "asistio");
    assert_eq!(status_of(second), "falta");

    // Another IE's director cannot open or write it.
    let (other, other_csrf) = &mut Visitor::signed_in(&app, "jaen.demo").await;
    assert_eq!(other.get(&today_page).await.status, StatusCode::NOT_FOUND);
    let written = other
        .post(
            &today_page,
            &[
                ("csrf", other_csrf),
                ("was", ""),
                (&format!("s{first}"), "falta"),
            ],
        )
        .await;
    assert_eq!(written.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(
            &format!(
                "/sections/{}/registers/{}/{}",
                last.section,
                today.year(),
                today.month()
            ),
            &director,
        )
        .await
        .1["rows"][0]["cells"][today.day0() as usize]["status"],
        "asistio"
    );
}

#[tokio::test]
async fn the_ugel_reads_its_coverage_late_first_and_as_csv() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    closed_last_month(&app, &last).await;
    let (ugel, _) = &mut Visitor::signed_in(&app, "ugel.demo").await;
    let home = ugel.get("/consola").await;
    assert!(
        home.html.contains("href=\"/consola/cobertura\""),
        "{}",
        home.html
    );
    let page = ugel.get("/consola/cobertura").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let school = last.register(&app).await["school_code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(page.html.contains(&school), "{}", page.html);
    // The director's IE has one register of last month closed.
    let csv = ugel.get("/consola/cobertura.csv?orden=codigo").await;
    assert_eq!(csv.status, StatusCode::OK);
    let line = csv
        .html
        .lines()
        .find(|l| l.starts_with(&school))
        .expect("the IE's line");
    let header: Vec<&str> = csv.html.lines().next().unwrap().split(',').collect();
    let column = header
        .iter()
        .position(|h| {
            h.ends_with(&last.year.to_string())
                && h.starts_with(&siagie::attendance::pdf::month_name(last.month))
        })
        .expect("last month's column");
    let cell = line.split(',').nth(column).unwrap();
    assert!(cell.starts_with("1 de "), "{line}");
    // Sorted by delay, IEs with late registers come before those without.
    let lates: Vec<bool> = page
        .html
        .split("<tr")
        .skip(2)
        .map(|row| row.starts_with(" class=\"late\""))
        .collect();
    assert!(lates.windows(2).all(|w| w[0] || !w[1]), "{lates:?}");

    // An acta of last year left open shows on its IE's line and in the count.
    let section = app
        .scalar(&format!(
            "SELECT CAST(MIN(s.id) AS TEXT) FROM section s JOIN academic_year y ON y.id = s.academic_year_id \
             WHERE y.year = {} AND s.school_id = {}",
            lima_today().year() - 1,
            last.register(&app).await["school_id"]
        ))
        .await
        .unwrap();
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(&format!(
            "UPDATE acta SET closed_at = NULL, closed_by = NULL WHERE section_id = {section}"
        ))
        .await
        .unwrap();
    let page = ugel.get("/consola/cobertura").await;
    assert!(
        page.html
            .contains("1</strong> acta del año que terminó sin cerrar"),
        "{}",
        page.html
    );

    // A director, a teacher and the help desk have no coverage of their own to read.
    for username in ["director.demo", "docente.demo", "agente.demo"] {
        let (visitor, _) = &mut Visitor::signed_in(&app, username).await;
        assert_eq!(
            visitor.get("/consola/cobertura").await.status,
            StatusCode::FORBIDDEN,
            "{username}"
        );
    }
    // Naming another UGEL (Jaén's) is refused to this UGEL's specialist.
    let other = app
        .scalar(
            "SELECT CAST(s.ugel_id AS TEXT) FROM school s \
             JOIN role_assignment ra ON ra.school_id = s.id \
             JOIN user_account ua ON ua.id = ra.user_id WHERE ua.username = 'jaen.demo'",
        )
        .await
        .unwrap();
    let own = app
        .scalar(
            "SELECT CAST(ra.ugel_id AS TEXT) FROM role_assignment ra \
             JOIN user_account ua ON ua.id = ra.user_id WHERE ua.username = 'ugel.demo'",
        )
        .await
        .unwrap();
    assert_ne!(other, own);
    let page = ugel.get(&format!("/consola/cobertura?ugel={other}")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.html);
    assert!(!page.html.contains("Jaén"), "{}", page.html);
}

/// Who opens which of the month's pages, as the authorization matrix does for the API. 200: the
/// page; 403: a page that says it is not for the person; 404: a register or section out of reach
/// (as one that does not exist); 303: to sign in.
#[tokio::test]
async fn every_page_of_the_month_answers_each_role_as_its_reach_allows() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    let pages = [
        "/consola/pendientes".to_owned(),
        last.page(),
        format!("{}/pdf", last.page()),
        format!("/consola/asistencia/{}", last.section),
        "/consola/cobertura".to_owned(),
        "/consola/cobertura.csv".to_owned(),
        "/consola/modificaciones".to_owned(),
        format!("/consola/actas/{}", last.section),
        format!("/consola/actas/{}/pdf", last.section),
        "/consola/certificados".to_owned(),
        "/consola/altas-y-bajas".to_owned(),
        "/consola/estudiantes".to_owned(),
        "/consola/personal".to_owned(),
        format!("/consola/secciones/{}/docentes", last.section),
    ];
    let expected: [(&str, [u16; 14]); 8] = [
        (
            "director.demo",
            [
                200, 200, 200, 200, 403, 403, 200, 200, 200, 200, 200, 200, 200, 200,
            ],
        ),
        (
            "jaen.demo",
            [
                200, 404, 404, 404, 403, 403, 200, 404, 404, 200, 200, 200, 200, 404,
            ],
        ),
        (
            "docente.demo",
            [
                403, 200, 200, 200, 403, 403, 403, 200, 200, 403, 403, 403, 403, 403,
            ],
        ),
        (
            "ugel.demo",
            [
                403, 200, 200, 404, 200, 200, 200, 200, 200, 403, 200, 200, 403, 403,
            ],
        ),
        (
            "nivel.demo",
            [
                403, 200, 200, 404, 200, 200, 200, 200, 200, 403, 200, 200, 403, 403,
            ],
        ),
        (
            "secundaria.demo",
            [
                200, 404, 404, 404, 403, 403, 200, 404, 404, 200, 200, 200, 200, 404,
            ],
        ),
        (
            "agente.demo",
            [
                403, 404, 404, 404, 403, 403, 403, 404, 404, 403, 403, 403, 403, 404,
            ],
        ),
        (
            "admin.demo",
            [
                403, 200, 200, 404, 200, 200, 200, 200, 200, 403, 200, 200, 403, 200,
            ],
        ),
    ];
    let wrong = tests::visitor::page_matrix(&app, &pages, &expected).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn the_months_pages_have_no_serious_accessibility_violation() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    closed_last_month(&app, &last).await;
    let Some(browser) = Browser::start_with_scripts().await else {
        return;
    };
    let mut found = Vec::new();
    for (username, pages) in [
        (
            "docente.demo",
            vec![
                ("/consola".to_owned(), "Sus secciones"),
                (
                    format!("/consola/asistencia/{}", last.section),
                    "Guardar la asistencia de hoy",
                ),
            ],
        ),
        (
            "director.demo",
            vec![
                (
                    "/consola".to_owned(),
                    "Registros de asistencia por completar",
                ),
                (last.page(), "Solicitar una modificación excepcional"),
                ("/consola/modificaciones".to_owned(), "Actas de evaluación"),
            ],
        ),
        (
            "ugel.demo",
            vec![(
                "/consola/cobertura".to_owned(),
                "Registros cerrados por IE y mes",
            )],
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
async fn a_cell_someone_else_wrote_since_the_page_loaded_is_not_overwritten() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    let register = last.register(&app).await;
    let (day, student) = first_cell(&register);
    let cell = format!("c{student}-{}", day.day());
    let (director, director_csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let (teacher, teacher_csrf) = &mut Visitor::signed_in(&app, "docente.demo").await;
    let director_page = director.get(&last.page()).await;
    let teacher_page = teacher.get(&last.page()).await;
    let saved = teacher
        .post(
            &format!("{}/celdas", last.page()),
            &[
                ("csrf", teacher_csrf),
                ("was", &hidden(&teacher_page.html, "was")),
                (&cell, "F"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let stale = director
        .post(
            &format!("{}/celdas", last.page()),
            &[
                ("csrf", director_csrf),
                ("was", &hidden(&director_page.html, "was")),
                (&cell, "U"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.html);
    let name = register["rows"][0]["full_name"].as_str().unwrap();
    assert!(
        stale.html.contains(&format!("{name}, día {}", day.day())),
        "{}",
        stale.html
    );
    assert!(stale.html.contains(&format!("name=\"{cell}\" value=\"U\"")));
    assert_eq!(
        last.register(&app).await["rows"][0]["cells"][day.day0() as usize]["status"],
        "falta",
        "the teacher's mark stands"
    );
}

#[tokio::test]
async fn a_page_asked_with_odd_parameters_or_way_back_answers_a_page_never_a_failure() {
    let app = spawn_app().await;
    let (ugel, _) = &mut Visitor::signed_in(&app, "ugel.demo").await;
    // A parameter the page does not take is left aside; one it cannot read is a 400 page.
    assert_eq!(
        ugel.get("/consola/cobertura?x=1").await.status,
        StatusCode::OK
    );
    let odd = ugel.get("/consola/cobertura?ugel=abc").await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
    assert!(
        odd.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(odd.html.contains("Dirección no válida"), "{}", odd.html);

    // A way back that a header cannot carry, or that leaves the console, is the home.
    for back in [
        "/consola/%0D%0AX:%20y",
        "/consola/a%00",
        "/consola/../api/v1/me",
        "//evil.example",
    ] {
        let mut visitor = Visitor::new(&app);
        let form = visitor
            .get(&format!("/consola/ingresar?siguiente={back}"))
            .await;
        assert_eq!(form.status, StatusCode::OK, "{back}");
        let signed_in = visitor
            .post(
                "/consola/ingresar",
                &[
                    ("csrf", &hidden(&form.html, "csrf")),
                    ("username", "director.demo"),
                    ("password", tests::DEMO_PASSWORD),
                    (
                        "siguiente",
                        &back
                            .replace("%0D%0A", "\r\n")
                            .replace("%00", "\0")
                            .replace("%20", " "),
                    ),
                ],
            )
            .await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{back}");
        assert_eq!(signed_in.location.as_deref(), Some("/consola"), "{back}");
    }
}

#[tokio::test]
async fn a_mark_held_after_the_closure_is_dismissed_from_the_register_page() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let last = LastMonth {
        section: c.section_id.parse().unwrap(),
        ..LastMonth::of(&app).await
    };
    closed_last_month(&app, &last).await;
    let day = c
        .academic_days
        .iter()
        .rev()
        .find(|d| d.month() == last.month && d.year() == last.year)
        .copied()
        .unwrap();
    let late = tests::mark(
        &c.section_id,
        &c.students[0],
        day,
        "falta",
        &format!("{day}T10:00:00-05:00"),
    );
    let (status, _) = app
        .push(&c.token, &tests::batch(c.device, vec![late.clone()]))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (director, csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let pending = director.get("/consola/pendientes").await;
    assert!(
        pending.html.contains("Marcas retenidas para su revisión"),
        "{}",
        pending.html
    );
    let page = director.get(&last.page()).await;
    let mark_id = late["mark_id"].as_str().unwrap();
    assert!(page.html.contains(mark_id), "{}", page.html);
    let dismissed = director
        .post(
            &format!("{}/descartar", last.page()),
            &[("csrf", csrf), ("mark", mark_id)],
        )
        .await;
    assert_eq!(
        dismissed.status,
        StatusCode::SEE_OTHER,
        "{}",
        dismissed.html
    );
    let pending = director.get("/consola/pendientes").await;
    assert!(
        !pending.html.contains("Marcas retenidas para su revisión"),
        "{}",
        pending.html
    );
    let token = app.login_as("director.demo").await;
    let (_, held) = app
        .get(
            &format!(
                "/sections/{}/registers/{}/{}/held",
                last.section, last.year, last.month
            ),
            &token,
        )
        .await;
    assert_eq!(held, serde_json::json!([]));
    // Completed as "asistió" before the closure, the day has no absence: the dismissed mark
    // never entered the register.
    let register = last.register(&app).await;
    assert!(
        register["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["cells"][day.day0() as usize]["status"] == "asistio"),
        "{register}"
    );
}

#[tokio::test]
async fn a_teacher_takes_todays_attendance_in_a_browser_at_a_phones_width() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    let register = last.register(&app).await;
    let second = register["rows"][1]["student_id"].as_i64().unwrap();
    let Some(browser) = Browser::start_with_scripts().await else {
        return;
    };
    browser
        .execute("window.resizeTo(390, 844); return 0;")
        .await;
    browser.sign_in(&app, "docente.demo").await;
    browser
        .click(&format!("a[href='/consola/asistencia/{}']", last.section))
        .await;
    browser.text_with("Guardar la asistencia de hoy").await;
    let violations = browser.serious_accessibility_violations().await;
    // Nothing wider than the phone: the page scrolls only downwards.
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
        )
        .await;
    assert_eq!(overflow, 0, "the page fits a phone's width");
    browser
        .click(&format!("input[name='s{second}'][value='falta']"))
        .await;
    browser.click("main form button[type=submit]").await;
    browser.text_with("Asistencia guardada.").await;
    browser.quit().await;
    let today = lima_today();
    let director = app.login_as("director.demo").await;
    let (_, month) = app
        .get(
            &format!(
                "/sections/{}/registers/{}/{}",
                last.section,
                today.year(),
                today.month()
            ),
            &director,
        )
        .await;
    let statuses: Vec<&str> = month["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["cells"][today.day0() as usize]["status"]
                .as_str()
                .unwrap_or("")
        })
        .collect();
    assert_eq!(statuses[1], "falta", "{statuses:?}");
    assert!(
        statuses
            .iter()
            .enumerate()
            .all(|(i, s)| i == 1 || *s == "asistio"),
        "{statuses:?}"
    );
    assert!(violations.is_empty(), "{violations:?}");
}
