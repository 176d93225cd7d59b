//! Black-box test harness: the real application on a random port, against a fresh database per
//! test (a SQLite file, or a new PostgreSQL database when `TEST_DATABASE_URL` is set).

pub mod bench;
pub mod browser;
pub mod helpdesk;
pub mod pages;
pub mod smtp;
pub mod visitor;

use std::{path::PathBuf, sync::OnceLock};

use chrono::{DateTime, NaiveDate, Utc};

use mobile_contract::{PullResponse, PushResponse};
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use siagie::{Application, config::Config};

/// Password of every demo account.
pub const DEMO_PASSWORD: &str = siagie::seed::demo::DEMO_PASSWORD;

/// The instant every test's server starts at unless the test sets another: a school day
/// (Wednesday 16 June 2027, 10:00 in Lima), with the previous month in the same academic year.
/// Tests never read the real date: what they build and check is on this clock.
pub const TEST_START: &str = "2027-06-16T10:00:00-05:00";

/// The clock of the tests (shared by every server a test starts unless it sets its own, and
/// read by the library functions a test calls directly).
pub fn clock() -> siagie::time::Clock {
    static CLOCK: OnceLock<siagie::time::Clock> = OnceLock::new();
    *CLOCK.get_or_init(|| {
        let clock = siagie::time::Clock::starting_at(instant(TEST_START));
        jobs::clock::set_process_clock(clock);
        clock
    })
}

/// An RFC 3339 instant, as written in a test.
pub fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .to_utc()
}

/// The current instant on the tests' clock.
pub fn now() -> DateTime<Utc> {
    clock().now()
}

/// A running application and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub db: DatabaseConnection,
    pub data_dir: PathBuf,
    /// The HMAC key the server signs access tokens with.
    pub jwt_secret: SecretString,
    /// The configuration the server runs with.
    pub config: Config,
    /// The server's clock.
    pub clock: siagie::time::Clock,
    /// Whether this app made `data_dir` (and removes it when the test ends); a second instance
    /// on the same data does not.
    owns_data_dir: bool,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.owns_data_dir {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

/// Starts the application with the demo world loaded.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts a second instance of an application on the same database (as a second server would).
pub async fn spawn_instance(of: &TestApp, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let mut config = of.config.clone();
    config.server.port = 0;
    adjust(&mut config);
    let app = Application::build(config.clone())
        .await
        .expect("the second instance starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: Client::builder().build().expect("http client"),
        db: of.db.clone(),
        data_dir: of.data_dir.clone(),
        jwt_secret: of.jwt_secret.clone(),
        clock: config.clock.clock(),
        config,
        owns_data_dir: false,
    }
}

/// Starts the application after letting the test adjust the configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_on(adjust, async |_| {}).await
}

/// Starts the application on a database the test has first prepared (for example, left at an
/// older schema with rows in it, as a server being upgraded would find it).
pub async fn spawn_app_on(
    adjust: impl FnOnce(&mut Config),
    prepare: impl AsyncFnOnce(&DatabaseConnection),
) -> TestApp {
    spawn_app_in(std::env::var("TEST_DATABASE_URL").ok(), adjust, prepare).await
}

/// Starts the application on a new database of the PostgreSQL server at `admin_url` (a URL of
/// a database to connect to first, as `TEST_DATABASE_URL`), or on a new SQLite file when `None`.
pub async fn spawn_app_in(
    admin_url: Option<String>,
    adjust: impl FnOnce(&mut Config),
    prepare: impl AsyncFnOnce(&DatabaseConnection),
) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        siagie::telemetry::init(&Default::default());
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let data_dir = std::env::temp_dir().join(format!("siagie-test-{id}"));
    std::fs::create_dir_all(&data_dir).expect("temporary folder");
    let database_url = match admin_url {
        Some(admin_url) if !admin_url.is_empty() => fresh_postgres(&admin_url, &id).await,
        _ => format!("sqlite://{}?mode=rwc", data_dir.join("test.db").display()),
    };
    let mut config = Config::default();
    config.server.port = 0;
    config.database.url = Some(SecretString::from(database_url.clone()));
    config.database.max_connections = 5;
    config.storage.data_dir = data_dir.clone();
    config.mail.dir = data_dir.join("mail");
    // The server's own sender passes once a day (its first pass a day after it starts): a test
    // delivers mail when it means to, with `TestApp::deliver_mail`, and nothing else sends
    // meanwhile.
    config.mail.send_interval_secs = 24 * 60 * 60;
    // Help desk: its SLA job runs only when a test runs it.
    config.jobs.helpdesk_sla = String::new();
    let jwt_secret = SecretString::from(format!("test-secret-{id}-{id}"));
    config.auth.jwt_secret = Some(jwt_secret.clone());
    config.certificates.signing_key = Some(SecretString::from(
        siagie::certificates::signing::KeyRing::generate_seed(),
    ));
    config.clock.start = Some(clock().now().fixed_offset());
    adjust(&mut config);
    let clock = config.clock.clock();
    let db = Database::connect(&database_url)
        .await
        .expect("test connection");
    clock.scope(prepare(&db)).await;
    let app = Application::build(config.clone())
        .await
        .expect("the application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: Client::builder().build().expect("http client"),
        db,
        data_dir,
        jwt_secret,
        config,
        clock,
        owns_data_dir: true,
    }
}

async fn fresh_postgres(admin_url: &str, id: &str) -> String {
    let admin = Database::connect(admin_url)
        .await
        .expect("PostgreSQL reachable at TEST_DATABASE_URL");
    drop_databases_of_ended_runs(&admin).await;
    let name = format!("siagie_test_p{}_{id}", std::process::id());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL names a database");
    format!("{base}/{name}")
}

/// Once per test process: drops the databases that test processes which have ended left behind
/// (a test's server runs until the process ends, so its database cannot be dropped before).
async fn drop_databases_of_ended_runs(admin: &DatabaseConnection) {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        let Ok(rows) = admin
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT datname FROM pg_database WHERE datname LIKE 'siagie\\_test\\_p%'",
            ))
            .await
        else {
            return;
        };
        for row in rows {
            let Ok(name) = row.try_get::<String>("", "datname") else {
                continue;
            };
            let pid = name
                .trim_start_matches("siagie_test_p")
                .split('_')
                .next()
                .unwrap_or_default();
            let ended = pid != std::process::id().to_string()
                && !std::path::Path::new(&format!("/proc/{pid}")).exists();
            if ended {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            }
        }
    })
    .await;
}

impl TestApp {
    /// The current instant on the server's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The server's date in Lima.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&siagie::time::LIMA).date_naive()
    }

    /// An absolute URL for an API path (`/api/v1` is prefixed unless the path is absolute).
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("/api/") || path.starts_with("/health") || path.starts_with("/docs") {
            format!("{}{path}", self.address)
        } else {
            format!("{}/api/v1{path}", self.address)
        }
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Logs in and returns the whole answer.
    pub async fn login_response(&self, username: &str, password: &str) -> Response {
        self.request(Method::POST, "/auth/login", None)
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request")
    }

    /// Logs in a demo account and returns its access token.
    pub async fn login_as(&self, username: &str) -> String {
        let response = self.login_response(username, DEMO_PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        let body: Value = response.json().await.expect("login body");
        body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// The OpenAPI document the server publishes.
    pub async fn openapi(&self) -> Value {
        let (status, document) = read(
            self.request(Method::GET, "/api/v1/openapi.json", None)
                .send()
                .await
                .expect("GET openapi.json"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        document
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        read(
            self.request(Method::GET, path, Some(token))
                .send()
                .await
                .expect("GET"),
        )
        .await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        read(
            self.request(Method::POST, path, Some(token))
                .json(&body)
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        read(
            self.request(Method::PUT, path, Some(token))
                .json(&body)
                .send()
                .await
                .expect("PUT"),
        )
        .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        read(
            self.request(Method::PATCH, path, Some(token))
                .json(&body)
                .send()
                .await
                .expect("PATCH"),
        )
        .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        read(
            self.request(Method::DELETE, path, Some(token))
                .send()
                .await
                .expect("DELETE"),
        )
        .await
    }

    /// The id of the demo IE with this código modular.
    pub async fn school_id(&self, token: &str, codigo_modular: &str) -> i64 {
        let (status, body) = self
            .get(&format!("/schools?q={codigo_modular}"), token)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"][0]["id"].as_i64().expect("school id")
    }

    /// Files a provisioning request (`multipart/form-data`) with these fields and, when asked, a
    /// well-formed PDF as the designation resolution.
    pub async fn file_request(
        &self,
        token: &str,
        fields: &[(&str, String)],
        with_resolution: bool,
    ) -> (StatusCode, Value) {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.clone());
        }
        if with_resolution {
            form = form.part(
                "resolution",
                reqwest::multipart::Part::bytes(minimal_pdf())
                    .file_name("rd-0123-2026.pdf")
                    .mime_str("application/pdf")
                    .expect("a MIME type"),
            );
        }
        read(
            self.request(Method::POST, "/provisioning/requests", Some(token))
                .multipart(form)
                .send()
                .await
                .expect("POST multipart"),
        )
        .await
    }

    /// Sections of an IE: (id, grade name, section name).
    /// The sections of an IE in the latest academic year it has sections in (the demo world also
    /// has closed years of the past).
    pub async fn sections(&self, token: &str, school_id: i64) -> Vec<Value> {
        let (status, body) = self
            .get(&format!("/schools/{school_id}/sections"), token)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let all = body.as_array().expect("sections");
        let latest = all.iter().filter_map(|s| s["academic_year"].as_i64()).max();
        all.iter()
            .filter(|s| s["academic_year"].as_i64() == latest)
            .cloned()
            .collect()
    }
}

impl TestApp {
    /// Runs one pass of the mail outbox's sender here and now, as the server's own sender does,
    /// against this test's database and mail transport (the mail folder, or the SMTP server the
    /// test configured), and answers how many messages it sent and how many failed. When it
    /// returns, what was sent is in the folder or in the SMTP server's inbox: nothing to wait for.
    ///
    /// The server's own sender passes only once a day (see `spawn_app_on`), so it does not race
    /// with this pass; a message that a pass of another sender had claimed is waited for too.
    pub async fn deliver_mail(&self) -> jobs::outbox::DeliveryReport {
        self.clock.scope(self.deliver_due_mail()).await
    }

    async fn deliver_due_mail(&self) -> jobs::outbox::DeliveryReport {
        let mail = &self.config.mail;
        let mailer = jobs::Mailer::from_config(mail).expect("the test's mail transport");
        let mut report = jobs::outbox::DeliveryReport::default();
        for _ in 0..300 {
            let pass = jobs::outbox::deliver_due(
                &self.db,
                &mailer,
                &mail.from,
                mail.retry_base_secs,
                10_000,
            )
            .await
            .expect("a delivery pass");
            report.sent += pass.sent;
            report.failed += pass.failed;
            report.withdrawn += pass.withdrawn;
            let claimed_elsewhere = self
                .scalar(
                    "SELECT CAST(COUNT(*) AS TEXT) FROM mail_outbox \
                     WHERE sent_at IS NULL AND locked_until IS NOT NULL",
                )
                .await;
            if claimed_elsewhere.as_deref() == Some("0") {
                return report;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("mail claimed by the server's sender was not delivered within 15 s");
    }

    /// Delivers what is due, then answers the message in the mail folder addressed to `to`, as
    /// text; there must be one.
    pub async fn mail_to(&self, to: &str) -> String {
        self.deliver_mail().await;
        self.delivered()
            .into_iter()
            .find(|text| {
                text.lines()
                    .any(|l| l.starts_with("To: ") && l.contains(to))
            })
            .unwrap_or_else(|| panic!("no e-mail delivered to {to}"))
    }

    /// The text of every message delivered to `to` so far, after delivering what is due.
    pub async fn mail_texts_to(&self, to: &str) -> Vec<String> {
        self.deliver_mail().await;
        self.delivered()
            .into_iter()
            .filter(|raw| raw.lines().any(|l| l.starts_with("To: ") && l.contains(to)))
            .map(|raw| smtp::Received::from_raw(raw.into_bytes()).text())
            .collect()
    }

    /// The signed-in owner of `token` confirms `email` as its address ("Mi correo"): asks for a
    /// code with its `password` and sends back the code e-mailed there.
    pub async fn confirm_email(&self, token: &str, email: &str, password: &str) {
        let (status, sent) = self
            .post(
                "/me/email",
                token,
                serde_json::json!({"email": email, "current_password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
        let code = self.e_mailed_code(email).await;
        let (status, mine) = self
            .post(
                "/me/email/confirm",
                token,
                serde_json::json!({"code": code}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{mine}");
        assert_eq!(mine["confirmed"], true, "{mine}");
    }

    /// The six-digit code of the e-mail delivered to `to` that holds one ("Mi correo").
    pub async fn e_mailed_code(&self, to: &str) -> String {
        let told = self.mail_texts_to(to).await;
        told.iter()
            .flat_map(|text| text.split_whitespace())
            .find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()))
            .unwrap_or_else(|| panic!("a code in the e-mails to {to}: {told:?}"))
            .to_owned()
    }

    /// Asks for a password reset link by username, as "¿Olvidó su contraseña?" does (the answer
    /// is always 202).
    pub async fn ask_password_reset(&self, username: &str) {
        let (status, _) = read(
            self.request(Method::POST, "/auth/password-reset", None)
                .json(&serde_json::json!({"username": username}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }

    /// Signs in with a temporary password and replaces it with `new_password`: the session's
    /// access token.
    pub async fn replace_temporary(
        &self,
        username: &str,
        temporary: &str,
        new_password: &str,
    ) -> String {
        let (_, login) = read(self.login_response(username, temporary).await).await;
        let token = login["access_token"].as_str().unwrap().to_owned();
        let (status, body) = self
            .post(
                "/me/password",
                &token,
                serde_json::json!({"current_password": temporary, "new_password": new_password}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        token
    }

    /// The public verification of a certificate's QR payload, as anyone reads it (no sign-in):
    /// its answer, which must be 200.
    pub async fn verify_certificate(&self, payload: &str) -> Value {
        let (status, verification) = read(
            self.request(
                Method::GET,
                &format!("/certificates/verify?payload={payload}"),
                None,
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{verification}");
        verification
    }

    /// Every message delivered to the mail folder so far, as text.
    pub fn delivered(&self) -> Vec<String> {
        std::fs::read_dir(&self.config.mail.dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits (up to 15 s) until the outbox holds an unsent message to `to`: for mail that the
    /// server queues after it has answered (a password reset request does its work then, so that
    /// its timing tells nothing about the account).
    pub async fn wait_until_queued(&self, to: &str) {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM mail_outbox \
             WHERE to_address = '{to}' AND sent_at IS NULL"
        );
        for _ in 0..150 {
            if self.scalar(&sql).await.as_deref() != Some("0") {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no e-mail to {to} was queued");
    }

    /// Runs a query returning one text column of one row.
    pub async fn scalar(&self, sql: &str) -> Option<String> {
        scalar(&self.db, sql).await
    }
}

/// A teacher's view of its first section, for attendance tests.
pub struct Classroom {
    pub token: String,
    /// The tablet the teacher's pushes come from: the login is bound to it by the first push.
    pub device: uuid::Uuid,
    pub section_id: String,
    pub students: Vec<String>,
    /// Academic days of the year up to yesterday (Lima), oldest first.
    pub academic_days: Vec<chrono::NaiveDate>,
    pub pull: PullResponse,
}

impl TestApp {
    /// Logs in the demo teacher and reads its first section through a full pull.
    pub async fn classroom(&self) -> Classroom {
        let token = self.login_as("docente.demo").await;
        let (status, pull) = self.pull(&token, None).await;
        assert_eq!(status, StatusCode::OK, "{pull:?}");
        let section_id = pull.sections[0].id.clone();
        let students = pull
            .students
            .iter()
            .filter(|s| s.section_id == section_id && s.status == "activo")
            .map(|s| s.id.clone())
            .collect();
        let closed: std::collections::HashSet<chrono::NaiveDate> =
            pull.calendar.iter().map(|d| d.date).collect();
        let (_, years) = self.get("/academic-years", &token).await;
        let starts =
            chrono::NaiveDate::parse_from_str(years[0]["starts_on"].as_str().unwrap(), "%Y-%m-%d")
                .unwrap();
        let yesterday = lima_today() - chrono::Duration::days(1);
        let academic_days = starts
            .iter_days()
            .take_while(|d| *d <= yesterday)
            .filter(|d| !closed.contains(d))
            .collect();
        Classroom {
            token,
            device: uuid::Uuid::new_v4(),
            section_id,
            students,
            academic_days,
            pull,
        }
    }

    /// Pulls (the full snapshot, or the changes `since` a cursor) and reads the answer as the
    /// contract's type.
    pub async fn pull(&self, token: &str, since: Option<&str>) -> (StatusCode, PullResponse) {
        let path = match since {
            Some(cursor) => format!("/sync/pull?since={cursor}"),
            None => "/sync/pull".to_owned(),
        };
        let (status, body) = self.get(&path, token).await;
        (status, contract(status, &body))
    }

    /// Pushes a batch and returns status and body, as JSON: for answers that may be errors.
    pub async fn push(&self, token: &str, batch: &Value) -> (StatusCode, Value) {
        self.post("/sync/push", token, batch.clone()).await
    }

    /// Pushes a batch the server answers with one result per mark, read as the contract's type.
    pub async fn push_answer(&self, token: &str, batch: &Value) -> (StatusCode, PushResponse) {
        let (status, body) = self.push(token, batch).await;
        (status, contract(status, &body))
    }

    /// Pushes every batch at once, each on its own connection; the answers come in the batches'
    /// order.
    pub async fn push_all(&self, token: &str, batches: &[Value]) -> Vec<(StatusCode, Value)> {
        let sends: Vec<_> = batches
            .iter()
            .map(|b| {
                let request = self
                    .request(Method::POST, "/sync/push", Some(token))
                    .json(b);
                tokio::spawn(async move { read(request.send().await.expect("POST")).await })
            })
            .collect();
        let mut answers = Vec::with_capacity(sends.len());
        for send in sends {
            answers.push(send.await.expect("push task"));
        }
        answers
    }
}

/// A JSON answer read as a type of the tablet contract (`mobile_contract`); a body that is not
/// one fails the test, showing the status and the body.
pub fn contract<T: DeserializeOwned>(status: StatusCode, body: &Value) -> T {
    serde_json::from_value(body.clone()).unwrap_or_else(|error| {
        panic!(
            "not a {} ({error}): {status} {body}",
            std::any::type_name::<T>()
        )
    })
}

/// The first column of the first row of `sql` on `db`, as text (`None` for no row or NULL).
pub async fn scalar(db: &DatabaseConnection, sql: &str) -> Option<String> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .expect("query")?;
    row.try_get_by_index::<Option<String>>(0)
        .expect("text column")
}

/// Today in Lima on the tests' clock.
pub fn lima_today() -> NaiveDate {
    now().with_timezone(&siagie::time::LIMA).date_naive()
}

/// A mark as the tablet sends it.
pub fn mark(
    section: &str,
    student: &str,
    date: chrono::NaiveDate,
    status: &str,
    recorded_at: &str,
) -> Value {
    json!({
        "mark_id": uuid::Uuid::new_v4(),
        "section_id": section,
        "student_id": student,
        "date": date,
        "status": status,
        "recorded_at": recorded_at,
    })
}

/// A batch of marks.
pub fn batch(device: uuid::Uuid, marks: Vec<Value>) -> Value {
    json!({"contract_version": 1, "device_id": device, "batch_id": uuid::Uuid::new_v4(), "marks": marks})
}

/// Status and JSON body (or `null` for an empty body).
pub async fn read(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// The stable error code of an error answer.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}

/// Demo IEs, by código modular.
pub mod demo {
    pub const PRIMARIA: &str = "0412345";
    pub const SECUNDARIA: &str = "0523456";
    pub const PRONOEI: &str = "1413889";
    pub const JAEN_PRIMARIA: &str = "0745678";
    /// The secondary IE of UGEL Jaén whose past cohort has five closed years.
    pub const BOLOGNESI: &str = "0967890";
}

/// The text of a PDF, through poppler's `pdftotext` (installed by `.ci/run`); `None`, with a
/// word on why, where it is not installed (outside CI).
pub fn pdf_text(bytes: &[u8]) -> Option<String> {
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "pdftotext is missing: .ci/run installs poppler-utils"
        );
        eprintln!("skipped the PDF's text: it needs Debian's poppler-utils");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("siagie-pdf-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("document.pdf");
    std::fs::write(&file, bytes).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(output.status.success());
    Some(String::from_utf8(output.stdout).unwrap())
}

/// A small, well-formed one-page PDF (with its cross-reference table), as a scanner would send.
pub fn minimal_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.push_str(&format!("{} 0 obj\n{object}\nendobj\n", i + 1));
    }
    let xref = pdf.len();
    pdf.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for offset in offsets {
        pdf.push_str(&format!("{offset:010} 00000 n \n"));
    }
    pdf.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.into_bytes()
}
