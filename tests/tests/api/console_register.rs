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

/// A person signed in to the console through its form, and its form token.
async fn signed(app: &TestApp, username: &str) -> (Visitor, String) {
    let mut visitor = Visitor::new(app);
    let home = visitor.sign_in(username, DEMO_PASSWORD).await;
    assert_eq!(home.status, StatusCode::SEE_OTHER, "{username} signs in");
    let home = visitor.get("/consola").await;
    let csrf = hidden(&home.html, "csrf");
    (visitor, csrf)
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
}

#[tokio::test]
async fn a_typing_mistake_keeps_what_was_typed_and_writes_nothing() {
    let app = spawn_app().await;
    let last = LastMonth::of(&app).await;
    let register = last.register(&app).await;
    let (day, student) = first_cell(&register);
    let (visitor, csrf) = &mut signed(&app, "docente.demo").await;
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
    let (other, csrf) = &mut signed(&app, "jaen.demo").await;
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
    let (director, _) = &mut signed(&app, "director.demo").await;
    let forged = director
        .post(&format!("{}/cerrar", last.page()), &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // The UGEL's specialist reads the grid without inputs; "Pendientes" is not its page.
    let (ugel, ugel_csrf) = &mut signed(&app, "ugel.demo").await;
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
    let (teacher, teacher_csrf) = &mut signed(&app, "docente.demo").await;
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
    browser
        .open(&format!("{}/consola/pendientes", app.address))
        .await;
    // Sent to sign in, and back.
    browser.type_into("#username", "director.demo").await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser.click("main button[type=submit]").await;
    browser.text_with("Pendientes").await;
    let pending_violations = browser.serious_accessibility_violations().await;
    browser.click(&format!("a[href='{}']", last.page())).await;
    browser.text_with("Asistencia por estudiante y día").await;
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
    browser.quit().await;
    assert_eq!(last.register(&app).await["state"], "cerrado");
    assert!(pending_violations.is_empty(), "{pending_violations:?}");
    assert!(grid_violations.is_empty(), "{grid_violations:?}");
}
