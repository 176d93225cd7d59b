//! Deadline alerts delivered to a real SMTP server on loopback: the right directors get the right
//! content, nobody twice across runs and instances, delivery after an outage, Lima month
//! boundaries.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;
use tests::{DEMO_PASSWORD, TestApp, demo, smtp::SmtpServer, spawn_app_with, spawn_instance};

/// Mail to the SMTP server on `port`, and only the job runs a test asks for.
fn smtp_on(port: u16) -> impl FnOnce(&mut siagie::config::Config) {
    move |c| {
        c.mail.transport = jobs::mail::MailTransport::Smtp;
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = port;
        c.mail.smtp_tls = jobs::mail::SmtpTls::None;
        c.mail.retry_base_secs = 1;
        jobs_off(c);
    }
}

/// Only the job runs a test asks for: the server schedules none of the alerts' jobs.
fn jobs_off(c: &mut siagie::config::Config) {
    c.jobs.deadline_reminder = String::new();
    c.jobs.overdue_alert = String::new();
    c.jobs.ugel_digest = String::new();
    c.jobs.register_coverage = String::new();
}

async fn app_with_smtp(port: u16) -> TestApp {
    spawn_app_with(smtp_on(port)).await
}

/// An instant in Lima time.
fn lima(date: &str, time: &str) -> DateTime<Utc> {
    let naive =
        chrono::NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M").unwrap();
    FixedOffset::west_opt(5 * 3600)
        .unwrap()
        .from_local_datetime(&naive)
        .unwrap()
        .with_timezone(&Utc)
}

async fn year(app: &TestApp) -> i32 {
    let token = app.login_as("admin.demo").await;
    let (_, years) = app.get("/academic-years", &token).await;
    years[0]["year"].as_i64().unwrap() as i32
}

/// The product's address as the app's e-mails name it.
fn links(app: &TestApp) -> siagie::links::Links<'_> {
    siagie::links::Links::new(&app.config.auth.public_base_url)
}

async fn run(app: &TestApp, job: &str, at: DateTime<Utc>) -> String {
    siagie::alerts::run(&app.db, &app.config.jobs, links(app), job, at)
        .await
        .expect("job runs")
}

/// The demo teacher fills in May of its first section up to `up_to_day`; returns the section.
async fn teacher_fills_may(app: &TestApp, y: i32, up_to_day: u32) -> i64 {
    let teacher = app.login_as("docente.demo").await;
    let (_, me) = app.get("/me", &teacher).await;
    let section = me["sections"][0].as_i64().unwrap();
    let (status, _) = app
        .post(
            &format!("/sections/{section}/registers/{y}/5/complete"),
            &teacher,
            json!({"up_to_day": up_to_day}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    section
}

#[tokio::test]
async fn directors_with_open_registers_are_reminded_before_month_end_with_each_sections_state() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(smtp.port).await;
    let y = year(&app).await;
    // Give the teacher's first section some marks so its state is "parcial".
    teacher_fills_may(&app, y, 8).await;

    let summary = run(
        &app,
        "deadline_reminder",
        lima(&format!("{y}-05-20"), "08:00"),
    )
    .await;
    assert!(summary.starts_with("antes del día 25"), "{summary}");
    let summary = run(
        &app,
        "deadline_reminder",
        lima(&format!("{y}-05-26"), "07:00"),
    )
    .await;
    assert!(summary.starts_with("3 recordatorio"), "{summary}");

    app.deliver_mail().await;
    let received = smtp.received_at_least(3);
    let mut to: Vec<String> = received.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "director.demo@siagie.local",
            "jaen.demo@siagie.local",
            "pronoei.demo@siagie.local"
        ]
    );
    let director = received
        .iter()
        .find(|m| m.to == ["director.demo@siagie.local"])
        .unwrap();
    assert!(
        director.subject().contains("mayo"),
        "{}",
        director.subject()
    );
    let text = director.text();
    assert!(text.contains("Estimado(a) director(a) Wilder"), "{text}");
    assert!(text.contains("IE N° 16471 Señor de Huamantanga"));
    assert!(
        text.contains(&format!("31/05/{y}")),
        "deadline in dd/mm/yyyy: {text}"
    );
    assert!(text.contains("Primer grado A: parcial"), "{text}");
    assert!(text.contains("Primer grado B: sin datos"), "{text}");
    assert!(director.html().contains("<li>"), "HTML alternative");
    assert!(String::from_utf8_lossy(&director.raw).contains("multipart/alternative"));
    assert!(!text.contains("(s)"), "no (s) plurals: {text}");

    // A PRONOEI's coordinator is addressed as such.
    let coordinator = received
        .iter()
        .find(|m| m.to == ["pronoei.demo@siagie.local"])
        .unwrap()
        .text();
    assert!(
        coordinator.contains("Estimado(a) coordinador(a) Marleni"),
        "{coordinator}"
    );
    assert!(
        coordinator.contains("del PRONOEI Semillitas"),
        "{coordinator}"
    );
    assert!(!coordinator.contains("director"), "{coordinator}");
}

#[tokio::test]
async fn nobody_gets_the_same_alert_twice_across_repeated_runs_and_two_instances() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(smtp.port).await;
    let second = spawn_instance(&app, |_| {}).await;
    let y = year(&app).await;
    let at = lima(&format!("{y}-05-27"), "07:00");
    let config = app.config.jobs.clone();
    let work = |db: sea_orm::DatabaseConnection| -> jobs::schedule::JobFn {
        let config = config.clone();
        std::sync::Arc::new(move |at| {
            let (db, config) = (db.clone(), config.clone());
            Box::pin(async move {
                siagie::alerts::run(
                    &db,
                    &config,
                    siagie::links::Links::new("https://siagie.example"),
                    "deadline_reminder",
                    at,
                )
                .await
            })
        })
    };
    // The same scheduled occurrence fires on both instances at once.
    let (a, b) = (work(app.db.clone()), work(second.db.clone()));
    tokio::join!(
        jobs::schedule::run_claimed(&app.db, "deadline_reminder", &a, at),
        jobs::schedule::run_claimed(&second.db, "deadline_reminder", &b, at),
    );
    let runs = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM job_run WHERE job = 'deadline_reminder'")
        .await
        .unwrap();
    assert_eq!(runs, "1", "one run in total");
    // Later occurrences (next day) and a manual run find nothing new to send.
    jobs::schedule::run_claimed(
        &second.db,
        "deadline_reminder",
        &b,
        at + chrono::Duration::days(1),
    )
    .await;
    run(&app, "deadline_reminder", at).await;
    // Both instances deliver what they find due.
    app.deliver_mail().await;
    smtp.received_at_least(3);
    second.deliver_mail().await;
    assert_eq!(smtp.received().len(), 3, "each director once");
}

#[tokio::test]
async fn an_smtp_outage_delays_mail_but_loses_none() {
    let (port, inbox) = SmtpServer::start().await.stop();
    // The server's own sender, every second, is what this test watches: it retries by itself.
    let app = spawn_app_with(|c| {
        smtp_on(port)(c);
        c.mail.send_interval_secs = 1;
    })
    .await;
    let y = year(&app).await;
    run(
        &app,
        "deadline_reminder",
        lima(&format!("{y}-05-28"), "07:00"),
    )
    .await;
    // The sender tries and fails while the server is down.
    let mut attempts = 0;
    for _ in 0..100 {
        attempts = app
            .scalar("SELECT CAST(MIN(attempts) AS TEXT) FROM mail_outbox")
            .await
            .unwrap()
            .parse()
            .unwrap();
        if attempts >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(attempts >= 1, "delivery was attempted");
    let pending = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM mail_outbox WHERE sent_at IS NULL")
        .await
        .unwrap();
    assert_eq!(pending, "3");
    let error = app
        .scalar("SELECT last_error FROM mail_outbox LIMIT 1")
        .await
        .unwrap();
    assert!(!error.is_empty());

    let smtp = SmtpServer::restart(port, inbox).await;
    let received = smtp.wait_for(3).await;
    assert_eq!(received.len(), 3);
    for _ in 0..50 {
        if app
            .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM mail_outbox WHERE sent_at IS NULL")
            .await
            .unwrap()
            == "0"
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM mail_outbox WHERE sent_at IS NULL")
            .await
            .unwrap(),
        "0"
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(smtp.received().len(), 3, "sent once each");
}

#[tokio::test]
async fn a_run_at_2330_lima_on_the_last_day_still_belongs_to_that_month() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(smtp.port).await;
    let y = year(&app).await;
    // 23:30 in Lima on 31 May is already 1 June in UTC.
    let at = lima(&format!("{y}-05-31"), "23:30");
    assert_eq!(at.date_naive(), NaiveDate::from_ymd_opt(y, 6, 1).unwrap());
    run(&app, "deadline_reminder", at).await;
    let overdue = run(&app, "overdue_alert", at).await;
    assert!(
        overdue.starts_with("0 "),
        "May is not overdue yet: {overdue}"
    );
    app.deliver_mail().await;
    let received = smtp.received_at_least(3);
    assert!(
        received.iter().all(|m| m.subject().contains("mayo")),
        "{:?}",
        received.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );

    // The next evening in Lima (1 June), May is one day overdue.
    let overdue = run(&app, "overdue_alert", lima(&format!("{y}-06-01"), "23:30")).await;
    assert!(!overdue.starts_with("0 "), "{overdue}");
    app.deliver_mail().await;
    let received = smtp.received_at_least(6);
    let late = received
        .iter()
        .find(|m| {
            m.subject().contains("sin cerrar")
                && m.subject().contains("mayo")
                && m.to == ["director.demo@siagie.local"]
        })
        .expect("overdue alert");
    assert!(late.text().contains("hace 1 día)"), "{}", late.text());
    // Day 2 is not in the cadence (1, 3, 7): nothing new.
    let again = run(&app, "overdue_alert", lima(&format!("{y}-06-02"), "08:00")).await;
    assert!(again.starts_with("0 "), "{again}");
}

#[tokio::test]
async fn the_ugel_digest_lists_overdue_schools_and_directors_without_e_mail() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(smtp.port).await;
    let y = year(&app).await;
    // The demo director of the secondary school has no e-mail.
    app.db
        .execute_unprepared("UPDATE person SET email = NULL WHERE dni = '40000008'")
        .await
        .unwrap();
    let summary = run(&app, "ugel_digest", lima(&format!("{y}-06-03"), "08:00")).await;
    assert!(
        summary.starts_with("1 "),
        "only UGEL San Ignacio has a specialist: {summary}"
    );
    app.deliver_mail().await;
    let received = smtp.received_at_least(1);
    let digest = &received[0];
    assert_eq!(digest.to, ["ugel.demo@siagie.local"]);
    let text = digest.text();
    assert!(
        text.contains("IE N° 16471 Señor de Huamantanga (0412345-0)"),
        "{text}"
    );
    assert!(
        text.contains("IE San Ignacio de Loyola (0523456-0): sin director registrado"),
        "{text}"
    );
    assert!(
        !text.contains("Cristo Rey"),
        "another UGEL's school: {text}"
    );
    let again = run(&app, "ugel_digest", lima(&format!("{y}-06-03"), "18:00")).await;
    assert!(
        again.starts_with("0 "),
        "the same day's digest is not sent twice: {again}"
    );
}

#[tokio::test]
async fn the_directors_alert_names_stale_tablets_and_held_marks() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(smtp.port).await;
    let y = year(&app).await;
    let device = uuid::Uuid::new_v4();
    let (status, _) = tests::read(
        app.request(reqwest::Method::POST, "/auth/login", None)
            .json(&json!({"username": "docente.demo", "password": tests::DEMO_PASSWORD, "device_id": device}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let old = (tests::now() - chrono::Duration::days(12)).to_rfc3339();
    app.db
        .execute_unprepared(&format!(
            "UPDATE device SET last_seen_at = '{old}', last_sync_at = '{old}'"
        ))
        .await
        .ok();
    run(
        &app,
        "deadline_reminder",
        lima(&format!("{y}-05-29"), "07:00"),
    )
    .await;
    app.deliver_mail().await;
    let received = smtp.received_at_least(3);
    let director = received
        .iter()
        .find(|m| m.to == ["director.demo@siagie.local"])
        .unwrap();
    assert!(
        director
            .text()
            .contains("Tabletas sin sincronizar hace más de 7 días"),
        "{}",
        director.text()
    );
    assert!(director.text().contains(&device.to_string()[..8]));
}

#[tokio::test]
async fn the_alert_follows_the_register_through_new_students_and_calendar_changes() {
    let smtp = SmtpServer::start().await;
    let app = spawn_app_with(|c| {
        smtp_on(smtp.port)(c);
        c.jobs.overdue_days_after = vec![1, 3, 7, 8, 9];
    })
    .await;
    let y = year(&app).await;
    let section = teacher_fills_may(&app, y, 31).await;
    let director = app.login_as("director.demo").await;
    let (_, view) = app.get(&format!("/sections/{section}"), &director).await;
    let school = view["school_id"].as_i64().unwrap();
    // Runs the overdue alert and returns the text the demo director received from it.
    let mut total = 0;
    let mut alert = async |date: &str| {
        let summary = run(&app, "overdue_alert", lima(&format!("{y}-{date}"), "08:00")).await;
        let queued: usize = summary.split(' ').next().unwrap().parse().unwrap();
        total += queued;
        app.deliver_mail().await;
        let received = smtp.received_at_least(total);
        received
            .iter()
            .rev()
            .find(|m| m.to == ["director.demo@siagie.local"])
            .map(|m| m.text())
            .unwrap()
    };

    let text = alert("06-01").await;
    assert!(
        text.contains("Primer grado A: completo — falta cerrarlo"),
        "{text}"
    );
    // The last whole school week of May (Monday to Friday), whatever the year.
    let may_31 = NaiveDate::from_ymd_opt(y, 5, 31).unwrap();
    let monday = (0..7)
        .map(|back| may_31 - chrono::Duration::days(4 + back))
        .find(|d| d.weekday() == chrono::Weekday::Mon)
        .unwrap();
    let day = |offset: i64| (monday + chrono::Duration::days(offset)).to_string();
    // The school days from that Monday to the end of May (five, or more when May ends on a
    // weekday after it).
    let school_days = (0..=(may_31 - monday).num_days())
        .map(|n| monday + chrono::Duration::days(n))
        .filter(|d| d.weekday().num_days_from_monday() < 5)
        .count();
    let partial = |missing: usize| {
        format!("Primer grado A: parcial ({missing} días académicos sin registrar)")
    };

    // A student who joined on that Monday has no marks: the register is partial again.
    let (status, body) = app
        .post(
            &format!("/sections/{section}/students"),
            &director,
            json!({
                "document": "71234599",
                "paternal_surname": "Quispe",
                "maternal_surname": "Mamani",
                "given_names": "Rosa Elena",
                "starts_on": day(0),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let text = alert("06-03").await;
    assert!(text.contains(&partial(school_days)), "{text}");

    // The IE declares that Friday a non-academic day: one day fewer to fill in.
    let (status, body) = app
        .post(
            &format!("/academic-years/{y}/calendar"),
            &director,
            json!({"date": day(4), "description": "Aniversario de la IE", "school_id": school}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let text = alert("06-07").await;
    assert!(text.contains(&partial(school_days - 1)), "{text}");

    // The UGEL declares that Thursday non-academic for all its IEs.
    let ugel_specialist = app.login_as("ugel.demo").await;
    let (_, specialist) = app.get("/me", &ugel_specialist).await;
    let ugel = specialist["roles"][0]["ugel_id"].as_i64().unwrap();
    let (status, body) = app
        .post(
            &format!("/academic-years/{y}/calendar"),
            &ugel_specialist,
            json!({"date": day(3), "description": "Día de la UGEL", "ugel_id": ugel}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let text = alert("06-08").await;
    assert!(text.contains(&partial(school_days - 2)), "{text}");

    // And the nation, that Wednesday.
    let admin = app.login_as("admin.demo").await;
    let (status, body) = app
        .post(
            &format!("/academic-years/{y}/calendar"),
            &admin,
            json!({"date": day(2), "description": "Feriado nacional"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let text = alert("06-09").await;
    assert!(text.contains(&partial(school_days - 3)), "{text}");
}

#[tokio::test]
async fn mail_queued_before_the_outbox_kept_templates_is_still_delivered() {
    let smtp = SmtpServer::start().await;
    let app = tests::spawn_app_on(smtp_on(smtp.port), async |db| {
        use migration::MigratorTrait;
        // The schema as it was when the outbox kept rendered bodies, with one message unsent.
        migration::Migrator::up(db, Some(6))
            .await
            .expect("earlier schema");
        let queued = lima("2026-05-28", "07:00");
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO mail_outbox (dedupe_key, to_address, subject, text_body, html_body, \
             created_at, attempts, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $6)",
            [
                "anterior-1".into(),
                "rosa.quispe@example.pe".into(),
                "Aviso ya generado".into(),
                "Texto generado antes de la actualización: año".into(),
                "<p>HTML generado antes</p>".into(),
                queued.into(),
            ],
        ))
        .await
        .expect("a message queued before");
    })
    .await;
    app.deliver_mail().await;
    let received = smtp.received_at_least(1);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, vec!["rosa.quispe@example.pe".to_owned()]);
    assert_eq!(received[0].subject(), "Aviso ya generado");
    assert!(
        received[0]
            .text()
            .contains("Texto generado antes de la actualización: año")
    );
}

#[tokio::test]
async fn the_coverage_job_brings_changed_registers_up_to_date_between_alerts() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(smtp.port).await;
    let y = year(&app).await;
    let section = teacher_fills_may(&app, y, 31).await;
    let kept = async || {
        app.scalar(&format!(
            "SELECT CAST(stale AS TEXT) || ' ' || CAST(filled AS TEXT) || '/' || CAST(expected AS TEXT) \
             FROM register_progress WHERE section_id = {section} AND year = {y} AND month = 5"
        ))
        .await
        .unwrap()
    };
    let before = kept().await;
    assert!(
        before.starts_with("1 ") || before.starts_with("true "),
        "{before}"
    );

    let summary = run(
        &app,
        "register_coverage",
        lima(&format!("{y}-06-02"), "10:00"),
    )
    .await;
    assert!(summary.contains("recalculado"), "{summary}");
    let after = kept().await;
    let (stale, counts) = after.split_once(' ').unwrap();
    assert!(stale == "0" || stale == "false", "{after}");
    let (filled, expected) = counts.split_once('/').unwrap();
    assert_eq!(filled, expected, "every cell of May filled: {after}");
    assert!(filled.parse::<i64>().unwrap() > 0);
    app.deliver_mail().await;
    assert_eq!(smtp.received().len(), 0, "the coverage job sends no mail");
}

#[tokio::test]
async fn a_modification_past_its_deadline_is_closed_and_the_director_is_told() {
    use chrono::Datelike;
    let app = tests::spawn_app().await;
    let director = app.login_as("director.demo").await;
    let teacher = app.login_as("docente.demo").await;
    let (_, me) = app.get("/me", &teacher).await;
    let section = me["sections"][0].as_i64().unwrap();
    let last = tests::lima_today().with_day(1).unwrap() - chrono::Duration::days(1);
    let base = format!(
        "/sections/{section}/registers/{}/{}",
        last.year(),
        last.month()
    );
    app.post(
        &format!("{base}/complete"),
        &teacher,
        serde_json::json!({"up_to_day": last.day()}),
    )
    .await;
    let (status, _) = app
        .post(&format!("{base}/close"), &director, serde_json::json!({}))
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let (_, asked) = app
        .post(
            &format!("{base}/modifications"),
            &director,
            serde_json::json!({"reason": "Corrección de un retiro"}),
        )
        .await;
    let id = asked["id"].as_i64().unwrap();
    let nivel = app.login_as("nivel.demo").await;
    app.post(
        &format!("/register-modifications/{id}/opinion"),
        &nivel,
        serde_json::json!({"favorable": true}),
    )
    .await;
    let ugel = app.login_as("ugel.demo").await;
    let until = tests::now() + chrono::Duration::hours(2);
    let (status, _) = app
        .post(
            &format!("/register-modifications/{id}/enable"),
            &ugel,
            serde_json::json!({"until": until}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK);

    // Before the deadline nothing closes; after it, the job closes it once.
    let summary = run(&app, "register_coverage", tests::now()).await;
    assert!(summary.contains("0 modificaciones"), "{summary}");
    let later = until + chrono::Duration::minutes(10);
    let summary = run(&app, "register_coverage", later).await;
    assert!(
        summary.contains("1 modificación excepcional vencida"),
        "{summary}"
    );
    let summary = run(&app, "register_coverage", later).await;
    assert!(summary.contains("0 modificaciones"), "once: {summary}");
    let (_, modification) = app
        .get(&format!("/register-modifications/{id}"), &director)
        .await;
    assert_eq!(modification["status"], "closed", "{modification}");
    app.deliver_mail().await;
    let told = app.delivered().into_iter().any(|mail| {
        mail.contains("To: director.demo@siagie.local")
            && tests::smtp::Received::from_raw(mail.into_bytes())
                .text()
                .contains("se cerró nuevamente")
    });
    assert!(told, "the director is told the register closed again");
}

/// The reminders to `to` (a director's, whatever the month), delivered so far.
async fn reminders_to(app: &TestApp, to: &str) -> Vec<String> {
    app.mail_texts_to(to)
        .await
        .into_iter()
        .filter(|text| text.contains("Estimado(a) director(a)"))
        .collect()
}

/// The password the director [`appoint_another_director`] appoints chooses.
const NEW_DIRECTOR_PASSWORD: &str = "Directora.Nueva9";

/// The UGEL appoints another director of the demo primary IE (DNI 41112222, an address the UGEL
/// typed and nobody confirmed) through an alta it files and approves: the demo director is out.
/// Answers the new director's temporary password.
async fn appoint_another_director(app: &TestApp) -> String {
    let ugel = app.login_as("ugel.demo").await;
    let school = app.school_id(&ugel, demo::PRIMARIA).await;
    let (status, request) = app
        .file_request(
            &ugel,
            &crate::provisioning::director_alta(school, "41112222"),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let (status, decision) = app
        .post(
            &format!("/provisioning/requests/{}/approve", request["id"]),
            &ugel,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    decision["credentials"]["temporary_password"]
        .as_str()
        .expect("a temporary password")
        .to_owned()
}

/// The director [`appoint_another_director`] appointed signs in for the first time (choosing
/// her password) and confirms her address in «Mi correo».
async fn new_director_confirms_her_address(app: &TestApp, temporary: &str) {
    let new_director = app
        .replace_temporary("41112222", temporary, NEW_DIRECTOR_PASSWORD)
        .await;
    app.confirm_email(
        &new_director,
        "melena@ie16471.edu.pe",
        NEW_DIRECTOR_PASSWORD,
    )
    .await;
}

/// Ends (or gives back) the appointment of the director [`appoint_another_director`] appointed,
/// by a statement written by hand.
async fn set_new_director_active(app: &TestApp, active: bool) {
    app.db
        .execute_unprepared(&format!(
            "UPDATE role_assignment SET active = {} WHERE role = 'director' AND user_id = \
             (SELECT ua.id FROM user_account ua JOIN person p ON p.id = ua.person_id \
              WHERE p.dni = '41112222')",
            if active { "TRUE" } else { "FALSE" }
        ))
        .await
        .unwrap();
}

/// The reminder goes to the director's contact the database keeps beside each IE, and only to an
/// address its owner confirmed: it follows an address confirmed, a new director appointed
/// through an alta, and the address, its confirmation or the appointment changed by any other
/// write.
#[tokio::test]
async fn the_reminder_follows_the_director_through_a_new_address_and_a_new_appointment() {
    let app = spawn_app_with(jobs_off).await;
    let y = year(&app).await;
    let remind = |month: u32| {
        run(
            &app,
            "deadline_reminder",
            lima(&format!("{y}-{month:02}-26"), "07:00"),
        )
    };

    let director = app.login_as("director.demo").await;
    app.confirm_email(&director, "wilder.nuevo@correo.pe", DEMO_PASSWORD)
        .await;
    let summary = remind(5).await;
    assert!(summary.starts_with("3 recordatorio"), "{summary}");
    let may = reminders_to(&app, "wilder.nuevo@correo.pe").await;
    assert_eq!(may.len(), 1, "{may:?}");
    assert!(
        may[0].contains("Estimado(a) director(a) Wilder"),
        "{}",
        may[0]
    );
    assert!(
        reminders_to(&app, "director.demo@siagie.local")
            .await
            .is_empty()
    );

    // The UGEL appoints another director: the old one is out. The address the UGEL typed is
    // not confirmed: the new director is reminded once it confirms it, signed in.
    let temporary = appoint_another_director(&app).await;
    let summary = remind(6).await;
    assert!(summary.starts_with("2 recordatorio"), "{summary}");
    assert!(reminders_to(&app, "melena@ie16471.edu.pe").await.is_empty());
    assert_eq!(reminders_to(&app, "wilder.nuevo@correo.pe").await.len(), 1);
    new_director_confirms_her_address(&app, &temporary).await;
    let summary = remind(7).await;
    assert!(summary.starts_with("3 recordatorio"), "{summary}");
    let july = reminders_to(&app, "melena@ie16471.edu.pe").await;
    assert_eq!(july.len(), 1, "{july:?}");
    assert!(
        july[0].contains("Estimado(a) director(a) María Elena")
            && july[0].contains(&format!("31/07/{y}")),
        "{}",
        july[0]
    );

    // Written by other means, an address, its confirmation and the end of an appointment are
    // followed too.
    app.db
        .execute_unprepared(
            "UPDATE person SET email = 'direccion@ie16471.edu.pe' WHERE dni = '41112222'",
        )
        .await
        .unwrap();
    let summary = remind(8).await;
    assert!(summary.starts_with("2 recordatorio"), "{summary}");
    app.db
        .execute_unprepared(
            "UPDATE confirmed_email SET email = 'direccion@ie16471.edu.pe' WHERE person_id = \
             (SELECT id FROM person WHERE dni = '41112222')",
        )
        .await
        .unwrap();
    let summary = remind(9).await;
    assert!(summary.starts_with("3 recordatorio"), "{summary}");
    assert_eq!(
        reminders_to(&app, "direccion@ie16471.edu.pe").await.len(),
        1
    );
    set_new_director_active(&app, false).await;
    let summary = remind(10).await;
    assert!(summary.starts_with("2 recordatorio"), "{summary}");
    assert_eq!(
        reminders_to(&app, "direccion@ie16471.edu.pe").await.len(),
        1
    );
    assert_eq!(reminders_to(&app, "melena@ie16471.edu.pe").await.len(), 1);
}

/// A reminder is for whoever directs the IE when it is sent: one queued before the UGEL appointed
/// another director reaches the new one, greeted by name, and never the director who left; one
/// whose IE is left without a director to reach is withdrawn, not sent.
#[tokio::test]
async fn a_queued_reminder_reaches_the_director_the_ie_has_when_it_is_sent() {
    let app = spawn_app_with(jobs_off).await;
    let y = year(&app).await;
    let remind = |month: u32| {
        run(
            &app,
            "deadline_reminder",
            lima(&format!("{y}-{month:02}-26"), "07:00"),
        )
    };
    let queued_to = async |to: &str| {
        app.scalar(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM mail_outbox \
             WHERE to_address = '{to}' AND sent_at IS NULL AND withdrawn_at IS NULL"
        ))
        .await
    };

    // May's reminders are queued, and the mail server is down when they are first tried: they
    // wait for their next attempt. Meanwhile the UGEL appoints another director, who confirms an
    // address.
    let summary = remind(5).await;
    assert!(summary.starts_with("3 recordatorio"), "{summary}");
    assert_eq!(
        queued_to("director.demo@siagie.local").await.as_deref(),
        Some("1")
    );
    let retry_at = |at: DateTime<Utc>| {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        entity::mail_outbox::Entity::update_many()
            .col_expr(entity::mail_outbox::Column::NextAttemptAt, Expr::value(at))
            .col_expr(entity::mail_outbox::Column::Attempts, Expr::value(1))
            .filter(entity::mail_outbox::Column::Template.eq("deadline_reminder"))
            .filter(entity::mail_outbox::Column::SentAt.is_null())
            .exec(&app.db)
    };
    retry_at(lima(&format!("{}-01-01", y + 50), "00:00"))
        .await
        .unwrap();
    let temporary = appoint_another_director(&app).await;
    new_director_confirms_her_address(&app, &temporary).await;

    // The next attempt comes: May's reminder goes to the director the IE has now.
    retry_at(lima(&format!("{y}-05-26"), "07:00"))
        .await
        .unwrap();
    let report = app.deliver_mail().await;
    assert_eq!((report.sent, report.withdrawn), (3, 0), "{report:?}");
    assert!(
        reminders_to(&app, "director.demo@siagie.local")
            .await
            .is_empty(),
        "the director who left is not reminded"
    );
    let may = reminders_to(&app, "melena@ie16471.edu.pe").await;
    assert_eq!(may.len(), 1, "{may:?}");
    assert!(
        may[0].contains("Estimado(a) director(a) María Elena")
            && may[0].contains(&format!("31/05/{y}"))
            && !may[0].contains("Wilder"),
        "{}",
        may[0]
    );
    assert_eq!(
        app.scalar(
            "SELECT to_address FROM mail_outbox WHERE template = 'deadline_reminder' \
             AND sent_at IS NOT NULL AND to_address LIKE '%ie16471%'"
        )
        .await
        .as_deref(),
        Some("melena@ie16471.edu.pe"),
        "the outbox keeps where the reminder went"
    );

    // June's reminder is queued for the new director, whose appointment then ends with nobody
    // after it: the reminder is withdrawn, and the other IEs' are sent.
    let summary = remind(6).await;
    assert!(summary.starts_with("3 recordatorio"), "{summary}");
    assert_eq!(
        queued_to("melena@ie16471.edu.pe").await.as_deref(),
        Some("1")
    );
    set_new_director_active(&app, false).await;
    let report = app.deliver_mail().await;
    assert_eq!((report.sent, report.withdrawn), (2, 1), "{report:?}");
    assert_eq!(reminders_to(&app, "melena@ie16471.edu.pe").await.len(), 1);
    assert_eq!(
        queued_to("melena@ie16471.edu.pe").await.as_deref(),
        Some("0")
    );
    // Withdrawn for good: a later pass does not try it again.
    assert_eq!(app.deliver_mail().await, Default::default());

    // The IE has a director again: the next run queues June's reminder for her.
    set_new_director_active(&app, true).await;
    let summary = remind(6).await;
    assert!(summary.starts_with("1 recordatorio"), "{summary}");
    let reminded = reminders_to(&app, "melena@ie16471.edu.pe").await;
    assert_eq!(reminded.len(), 2, "{reminded:?}");
    assert!(
        reminded
            .iter()
            .any(|text| text.contains(&format!("30/06/{y}"))),
        "{reminded:?}"
    );
}

/// On PostgreSQL, the director's contact stays right when two transactions change it at once: a
/// director renamed while the UGEL ends their appointment leaves the IE without a contact, and
/// the month's reminder does not reach the director who left.
#[tokio::test]
async fn a_director_renamed_while_removed_is_not_reminded() {
    let app = spawn_app_with(jobs_off).await;
    if app.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return; // SQLite writes one transaction at a time.
    }
    let y = year(&app).await;
    let director_of = "(SELECT ua.id FROM user_account ua WHERE ua.username = 'director.demo')";
    let school = app
        .scalar(&format!(
            "SELECT CAST(school_id AS TEXT) FROM role_assignment WHERE user_id = {director_of} \
             AND role = 'director' AND active"
        ))
        .await
        .expect("the demo director's IE");
    let renaming = siagie::db::begin(&app.db).await.unwrap();
    renaming
        .execute_unprepared(&format!(
            "UPDATE person SET given_names = 'Wilder Renombrado' WHERE id = \
             (SELECT person_id FROM user_account WHERE id = {director_of})"
        ))
        .await
        .unwrap();
    let db = app.db.clone();
    let removal = format!(
        "UPDATE role_assignment SET active = FALSE WHERE role = 'director' AND user_id = {director_of}"
    );
    let removing = tokio::spawn(async move {
        let txn = siagie::db::begin(&db).await.unwrap();
        txn.execute_unprepared(&removal).await.unwrap();
        txn.commit().await.unwrap();
    });
    // The removal waits for the renaming (on the contact's row, or on the triggers' lock).
    let mut waiting = false;
    for _ in 0..100 {
        waiting = app
            .scalar(
                "SELECT CAST(COUNT(*) AS TEXT) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .await
            .as_deref()
            != Some("0");
        if waiting {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(waiting, "the removal waits for the renaming");
    renaming.commit().await.unwrap();
    removing.await.unwrap();

    assert_eq!(
        app.scalar(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM director_contact WHERE school_id = {school}"
        ))
        .await
        .as_deref(),
        Some("0"),
        "an IE without a director keeps no contact"
    );
    run(
        &app,
        "deadline_reminder",
        lima(&format!("{y}-05-26"), "07:00"),
    )
    .await;
    assert!(
        reminders_to(&app, "director.demo@siagie.local")
            .await
            .is_empty(),
        "the director who left is not reminded"
    );
}

/// A database from before addresses were confirmed and the directors' contact kept: the upgrade
/// confirms the addresses of those with an account, fills the contact from the assignments, and
/// the reminder reaches the same directors.
#[tokio::test]
async fn an_upgrade_fills_each_ies_director_contact() {
    let smtp = SmtpServer::start().await;
    let app = tests::spawn_app_on(smtp_on(smtp.port), async |db| {
        use migration::MigratorTrait;
        let before = migration::Migrator::migrations()
            .iter()
            .position(|m| m.name() == "m20261207_120000_email_confirmation")
            .expect("the migration");
        migration::Migrator::up(db, Some(before as u32))
            .await
            .expect("earlier schema");
        siagie::seed::demo::load_without_history(db, tests::lima_today())
            .await
            .expect("demo world");
    })
    .await;
    let y = year(&app).await;
    let summary = run(
        &app,
        "deadline_reminder",
        lima(&format!("{y}-05-26"), "07:00"),
    )
    .await;
    assert!(summary.starts_with("3 recordatorio"), "{summary}");
    app.deliver_mail().await;
    let mut to: Vec<String> = smtp
        .received_at_least(3)
        .iter()
        .flat_map(|m| m.to.clone())
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            "director.demo@siagie.local",
            "jaen.demo@siagie.local",
            "pronoei.demo@siagie.local"
        ]
    );
}
