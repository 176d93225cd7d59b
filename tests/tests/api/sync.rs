//! The tablet contract: pull and push, every outcome and rejection code, idempotency,
//! convergence in any order, atomic batches.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use reqwest::{Method, StatusCode, header};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{TestApp, batch, code, lima_today, mark, read, spawn_app};
use uuid::Uuid;

/// The status of one cell of the web register, or its reason.
async fn cell(app: &TestApp, token: &str, section: &str, student: &str, date: NaiveDate) -> String {
    let (status, register) = app
        .get(
            &format!(
                "/sections/{section}/registers/{}/{}",
                date.year(),
                date.month()
            ),
            token,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{register}");
    let row = register["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["student_id"].as_i64() == student.parse().ok())
        .expect("student row");
    let cell = row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["date"] == date.to_string())
        .expect("cell");
    cell["status"]
        .as_str()
        .or(cell["reason"].as_str())
        .unwrap()
        .to_owned()
}

fn at(date: NaiveDate, hour: u32, minute: u32) -> String {
    format!("{date}T{hour:02}:{minute:02}:00-05:00")
}

fn outcomes(body: &Value) -> Vec<(String, Option<String>)> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap().to_owned(),
                r["code"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Makes recording one mark fail, as a disk fault would (a trigger on its receipt, the last
/// write of a batch, after its section's day and history entry).
async fn install_mark_fault(app: &TestApp, mark_id: &Value) {
    let mark_id = Uuid::parse_str(mark_id.as_str().unwrap()).unwrap();
    match app.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            app.db.execute_unprepared("CREATE FUNCTION fail_mark() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk failure'; END $$ LANGUAGE plpgsql").await.unwrap();
            app.db.execute_unprepared(&format!("CREATE TRIGGER boom BEFORE INSERT ON mark_receipt FOR EACH ROW WHEN (NEW.mark_id = '{mark_id}') EXECUTE FUNCTION fail_mark()")).await.unwrap();
        }
        _ => {
            let hex = mark_id.simple();
            app.db.execute_unprepared(&format!("CREATE TRIGGER boom BEFORE INSERT ON mark_receipt WHEN NEW.mark_id = X'{hex}' BEGIN SELECT RAISE(ABORT, 'disk failure'); END")).await.unwrap();
        }
    }
}

/// Every mark of the history, with the user who sent it.
async fn history(app: &TestApp) -> Vec<(i64, entity::attendance_entry::Mark)> {
    use sea_orm::EntityTrait;
    entity::attendance_entry::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|entry| {
            let marks = entity::attendance_entry::decode(&entry.marks).expect("a readable entry");
            marks.into_iter().map(move |m| (entry.user_id, m))
        })
        .collect()
}

/// Every value that stands, with its section's day.
async fn standing_cells(app: &TestApp) -> Vec<(i64, NaiveDate, entity::section_day::Cell)> {
    use sea_orm::EntityTrait;
    entity::section_day::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|day| {
            let cells = entity::section_day::decode(&day.cells).expect("readable cells");
            assert_eq!(cells.len() as i32, day.filled);
            cells
                .into_iter()
                .map(move |c| (day.section_id, day.date, c))
        })
        .collect()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {sql}"))
        .await
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_full_pull_gives_the_teacher_its_sections_students_calendar_and_registers() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let pull = &c.pull;
    assert_eq!(pull["full"], true);
    assert_eq!(pull["sections"].as_array().unwrap().len(), 2);
    assert!(pull["students"].as_array().unwrap().len() >= 30);
    assert!(pull["cursor"].as_str().unwrap().len() > 1);
    let calendar = pull["calendar"].as_array().unwrap();
    assert!(calendar.iter().any(|d| d["scope"] == "weekend"));
    assert!(
        calendar
            .iter()
            .any(|d| d["description"] == "Día del Trabajo")
    );
    let registers = pull["registers"].as_array().unwrap();
    assert!(registers.iter().all(|r| r["state"] == "sin_datos"));
    assert!(registers.iter().any(|r| r["month"] == lima_today().month()));

    let director = app.login_as("director.demo").await;
    let (_, all) = app.get("/sync/pull", &director).await;
    assert_eq!(
        all["sections"].as_array().unwrap().len(),
        4,
        "the director gets every section of the IE"
    );
}

#[tokio::test]
async fn a_delta_pull_sends_only_changes_including_removals() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let cursor = c.pull["cursor"].as_str().unwrap().to_owned();
    let (_, same) = app
        .get(&format!("/sync/pull?since={cursor}"), &c.token)
        .await;
    assert_eq!(same["full"], false);
    assert!(same["sections"].as_array().unwrap().is_empty());
    assert!(same["students"].as_array().unwrap().is_empty());
    assert!(same["removed"].as_array().unwrap().is_empty());

    // The director records a transfer and takes the second section away from the teacher.
    let director = app.login_as("director.demo").await;
    let (_, roster) = app
        .get(&format!("/sections/{}/students", c.section_id), &director)
        .await;
    let moved = roster[0].clone();
    let day = *c.academic_days.last().unwrap();
    let (status, _) = app
        .patch(
            &format!("/enrollments/{}", moved["enrollment_id"]),
            &director,
            json!({"status": "trasladado", "status_date": day}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let other = c.pull["sections"][1]["id"].as_str().unwrap();
    let (_, me) = app.get("/me", &c.token).await;
    let (status, _) = app
        .delete(
            &format!("/sections/{other}/teachers/{}", me["person_id"]),
            &director,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let moved_id = moved["student_id"].to_string();
    let (_, delta) = app
        .get(&format!("/sync/pull?since={cursor}"), &c.token)
        .await;
    assert_eq!(delta["full"], false);
    let removed = delta["removed"].as_array().unwrap();
    assert!(
        removed
            .iter()
            .any(|r| r["kind"] == "section" && r["id"] == other),
        "{removed:?}"
    );
    assert!(
        removed
            .iter()
            .any(|r| r["kind"] == "student" && r["id"] == moved_id.as_str()),
        "{removed:?}"
    );
    let student = delta["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == moved_id.as_str())
        .unwrap();
    assert_eq!(student["status"], "trasladado");
    assert_eq!(student["status_date"], day.to_string());

    let (_, garbage) = app.get("/sync/pull?since=cualquier-cosa", &c.token).await;
    assert_eq!(
        garbage["full"], true,
        "a cursor the server cannot serve gives a full snapshot"
    );
}

#[tokio::test]
async fn a_batch_id_of_another_user_and_a_revoked_tablet_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let device = Uuid::new_v4();
    let body = batch(
        device,
        vec![mark(
            &c.section_id,
            &c.students[0],
            day,
            "falta",
            &at(day, 8, 0),
        )],
    );
    let (status, _) = app.push(&c.token, &body).await;
    assert_eq!(status, StatusCode::OK);

    // The same batch id from another user.
    let director = app.login_as("director.demo").await;
    let mut other = body.clone();
    other["marks"] = json!([mark(
        &c.section_id,
        &c.students[1],
        day,
        "falta",
        &at(day, 8, 0)
    )]);
    let (status, error) = app.push(&director, &other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(code(&error), "batch_id_reused");

    // The director revokes the tablet: its next batch is refused, the marks stay on it.
    let school = app.school_id(&director, tests::demo::PRIMARIA).await;
    let (status, devices) = app
        .get(&format!("/schools/{school}/devices"), &director)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        devices
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == device.to_string())
    );
    let (status, _) = app
        .post(&format!("/devices/{device}/revoke"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let later = batch(
        device,
        vec![mark(
            &c.section_id,
            &c.students[2],
            day,
            "falta",
            &at(day, 9, 0),
        )],
    );
    let (status, error) = app.push(&c.token, &later).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    assert_eq!(code(&error), "session_revoked");

    assert_eq!(count(&app, "mark_receipt").await, 1);
    assert_eq!(count(&app, "sync_batch").await, 1);
}

#[tokio::test]
async fn a_caller_with_a_temporary_password_or_no_active_assignment_is_refused_beside_others_applied()
 {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let director = app.login_as("director.demo").await;
    let director_tablet = Uuid::new_v4();
    let one = |student: &str, device: Uuid| {
        batch(
            device,
            vec![mark(&c.section_id, student, day, "falta", &at(day, 8, 0))],
        )
    };

    app.db
        .execute_unprepared(
            "UPDATE user_account SET must_change_password = TRUE WHERE username = 'docente.demo'",
        )
        .await
        .unwrap();
    let (mine, theirs) = (
        one(&c.students[0], c.device),
        one(&c.students[1], director_tablet),
    );
    let (teacher, by_director) =
        tokio::join!(app.push(&c.token, &mine), app.push(&director, &theirs));
    assert_eq!(teacher.0, StatusCode::FORBIDDEN, "{}", teacher.1);
    assert_eq!(code(&teacher.1), "password_change_required");
    assert_eq!(by_director.0, StatusCode::OK, "{}", by_director.1);

    app.db
        .execute_unprepared(
            "UPDATE user_account SET must_change_password = FALSE WHERE username = 'docente.demo'",
        )
        .await
        .unwrap();
    app.db
        .execute_unprepared(
            "UPDATE role_assignment SET active = FALSE \
             WHERE user_id = (SELECT id FROM user_account WHERE username = 'docente.demo')",
        )
        .await
        .unwrap();
    let (mine, theirs) = (
        one(&c.students[2], c.device),
        one(&c.students[3], director_tablet),
    );
    let (teacher, by_director) =
        tokio::join!(app.push(&c.token, &mine), app.push(&director, &theirs));
    assert_eq!(teacher.0, StatusCode::UNAUTHORIZED, "{}", teacher.1);
    assert_eq!(code(&teacher.1), "session_revoked");
    assert_eq!(by_director.0, StatusCode::OK, "{}", by_director.1);

    // Only the director's marks and batches are stored.
    assert_eq!(count(&app, "mark_receipt").await, 2);
    assert_eq!(count(&app, "sync_batch").await, 2);
    let director_id: i64 = app
        .scalar("SELECT CAST(id AS TEXT) FROM user_account WHERE username = 'director.demo'")
        .await
        .unwrap()
        .parse()
        .unwrap();
    let history = history(&app).await;
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|(user, _)| *user == director_id));
}

#[tokio::test]
async fn an_accepted_mark_becomes_the_value_of_the_day() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let device = Uuid::new_v4();
    let marks = vec![mark(
        &c.section_id,
        &c.students[0],
        day,
        "tardanza",
        &at(day, 8, 5),
    )];
    let (status, body) = app.push(&c.token, &batch(device, marks.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"][0]["mark_id"], marks[0]["mark_id"]);
    assert_eq!(outcomes(&body), vec![("accepted".into(), None)]);
    assert!(body["server_time"].as_str().unwrap().ends_with("-05:00"));
    assert_eq!(
        cell(&app, &c.token, &c.section_id, &c.students[0], day).await,
        "tardanza"
    );
}

#[tokio::test]
async fn a_resent_batch_gets_the_same_answer_and_changes_nothing() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let body = batch(
        c.device,
        vec![
            mark(&c.section_id, &c.students[0], day, "falta", &at(day, 8, 0)),
            mark(
                &c.section_id,
                &c.students[1],
                day,
                "dormido",
                &at(day, 8, 0),
            ),
        ],
    );
    let (_, first) = app.push(&c.token, &body).await;
    let history = count(&app, "mark_receipt").await;
    let (status, second) = app.push(&c.token, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first, second);
    assert_eq!(count(&app, "mark_receipt").await, history);

    // The same marks in a new batch are duplicates.
    let mut again = body.clone();
    again["batch_id"] = json!(Uuid::new_v4());
    let (_, third) = app.push(&c.token, &again).await;
    assert_eq!(outcomes(&third)[0], ("duplicate".into(), None));
    assert_eq!(count(&app, "mark_receipt").await, history);
}

#[tokio::test]
async fn every_rejection_code_of_the_contract_and_one_bad_mark_never_fails_the_others() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let director = app.login_as("director.demo").await;
    let day = *c.academic_days.last().unwrap();
    let year = day.year();
    let saturday = (1..8)
        .map(|n| day - Duration::days(n))
        .find(|d| d.weekday() == Weekday::Sat)
        .unwrap();
    let holiday = NaiveDate::from_ymd_opt(year, 5, 1).unwrap();
    let school = app.school_id(&director, tests::demo::PRIMARIA).await;
    let sections = app.sections(&director, school).await;
    let taught: Vec<String> = c.pull["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let not_taught = sections
        .iter()
        .map(|s| s["id"].to_string())
        .find(|id| !taught.contains(id))
        .unwrap();
    let (_, other_roster) = app
        .get(&format!("/sections/{not_taught}/students"), &director)
        .await;
    let stranger = other_roster[0]["student_id"].to_string();

    // A student transferred out two days before `day`.
    let (_, roster) = app
        .get(&format!("/sections/{}/students", c.section_id), &director)
        .await;
    let moved = roster.as_array().unwrap().last().unwrap().clone();
    let transfer = c.academic_days[c.academic_days.len() - 3];
    app.patch(
        &format!("/enrollments/{}", moved["enrollment_id"]),
        &director,
        json!({"status": "trasladado", "status_date": transfer}),
    )
    .await;
    let moved_id = moved["student_id"].to_string();
    let others: Vec<&String> = c.students.iter().filter(|s| **s != moved_id).collect();
    let (good, second) = (others[0], others[1]);

    let reused = Uuid::new_v4();
    let (_, first) = app.push(&c.token, &batch(c.device, vec![json!({
        "mark_id": reused, "section_id": c.section_id, "student_id": second, "date": day, "status": "asistio", "recorded_at": at(day, 8, 0)
    })])).await;
    assert_eq!(outcomes(&first)[0].0, "accepted");

    let future = (chrono::Utc::now() + Duration::hours(1))
        .with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).unwrap())
        .to_rfc3339();
    let s = &c.section_id;
    let marks = vec![
        mark(s, good, day, "asistio", &at(day, 7, 50)),
        mark(s, good, day, "presente", &at(day, 7, 51)),
        mark(s, good, day, "falta", &future),
        mark(&not_taught, &stranger, day, "falta", &at(day, 8, 0)),
        mark("no-es-id", good, day, "falta", &at(day, 8, 0)),
        mark(
            s,
            good,
            lima_today() + Duration::days(1),
            "falta",
            &at(day, 8, 0),
        ),
        mark(
            s,
            good,
            NaiveDate::from_ymd_opt(year, 1, 15).unwrap(),
            "falta",
            &at(day, 8, 0),
        ),
        mark(s, good, saturday, "falta", &at(day, 8, 0)),
        mark(s, good, holiday, "falta", &at(day, 8, 0)),
        mark(s, &stranger, day, "falta", &at(day, 8, 0)),
        mark(s, &moved_id, day, "falta", &at(day, 8, 0)),
        json!({"mark_id": reused, "section_id": s, "student_id": second, "date": day, "status": "falta", "recorded_at": at(day, 8, 0)}),
    ];
    let (status, body) = app.push(&c.token, &batch(c.device, marks)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let expected = [
        ("accepted", None),
        ("rejected", Some("invalid_status")),
        ("rejected", Some("recorded_at_in_future")),
        ("rejected", Some("section_not_assigned")),
        ("rejected", Some("section_not_assigned")),
        ("rejected", Some("date_in_future")),
        ("rejected", Some("outside_academic_year")),
        ("rejected", Some("non_academic_day")),
        ("rejected", Some("non_academic_day")),
        ("rejected", Some("student_not_enrolled")),
        ("rejected", Some("student_not_enrolled")),
        ("rejected", Some("mark_id_reused")),
    ];
    let got = outcomes(&body);
    for (i, (outcome, code)) in expected.iter().enumerate() {
        assert_eq!(
            got[i],
            (outcome.to_string(), code.map(str::to_owned)),
            "mark {i}"
        );
    }
    assert!(
        body["results"][1]["message"]
            .as_str()
            .unwrap()
            .contains("código"),
        "Spanish message"
    );
    assert_eq!(cell(&app, &c.token, s, good, day).await, "asistio");
    assert_eq!(
        cell(&app, &c.token, s, second, day).await,
        "asistio",
        "the reused id changed nothing"
    );
    // Before the transfer the moved student's marks are fine; from its date on, the register says why not.
    let before_transfer = c.academic_days[c.academic_days.len() - 4];
    let (_, before) = app
        .push(
            &c.token,
            &batch(
                c.device,
                vec![mark(s, &moved_id, before_transfer, "falta", &at(day, 8, 0))],
            ),
        )
        .await;
    assert_eq!(outcomes(&before)[0].0, "accepted");
    assert_eq!(cell(&app, &c.token, s, &moved_id, day).await, "traslado");
}

#[tokio::test]
async fn the_latest_recorded_mark_stands_whatever_order_batches_arrive_in() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let early = mark(&c.section_id, &c.students[0], day, "falta", &at(day, 8, 0));
    let late = mark(
        &c.section_id,
        &c.students[0],
        day,
        "falta_justificada",
        &at(day, 16, 30),
    );
    let (_, a) = app
        .push(&c.token, &batch(c.device, vec![late.clone()]))
        .await;
    let (_, b) = app
        .push(&c.token, &batch(c.device, vec![early.clone()]))
        .await;
    assert_eq!(outcomes(&a)[0].0, "accepted");
    assert_eq!(
        outcomes(&b)[0].0,
        "superseded",
        "an older mark arriving later does not win"
    );
    assert_eq!(
        cell(&app, &c.token, &c.section_id, &c.students[0], day).await,
        "falta_justificada"
    );
    let history = history(&app).await;
    assert_eq!(
        history.iter().filter(|(_, m)| m.date == day).count(),
        2,
        "both marks are kept in the history"
    );
}

/// The status that must stand for a student and day: the mark recorded last, ties to the larger
/// mark id.
fn standing<'a>(marks: &'a [Value], student: &str, day: NaiveDate) -> &'a str {
    marks
        .iter()
        .filter(|m| m["student_id"] == student && m["date"] == day.to_string())
        .max_by_key(|m| {
            (
                m["recorded_at"].as_str().unwrap().to_owned(),
                Uuid::parse_str(m["mark_id"].as_str().unwrap()).unwrap(),
            )
        })
        .unwrap()["status"]
        .as_str()
        .unwrap()
}

/// A small deterministic generator for the property test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[tokio::test]
async fn random_duplications_and_reorderings_of_batches_converge_to_the_same_registers() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let days: Vec<NaiveDate> = c.academic_days.iter().rev().take(3).copied().collect();
    let statuses = [
        "asistio",
        "falta",
        "tardanza",
        "falta_justificada",
        "tardanza_justificada",
    ];
    let mut rng = Lcg(20261123);
    for trial in 0..6 {
        let student = &c.students[trial];
        // Marks for three days, several per day, some with the same recorded time (tie on mark_id).
        let mut marks = Vec::new();
        for day in &days {
            for _ in 0..4 {
                let minute = rng.next(3) as u32 * 10;
                let status = statuses[rng.next(5) as usize];
                marks.push(mark(
                    &c.section_id,
                    student,
                    *day,
                    status,
                    &at(*day, 9, minute),
                ));
            }
        }
        let expected: Vec<(NaiveDate, String)> = days
            .iter()
            .map(|day| (*day, standing(&marks, student, *day).to_owned()))
            .collect();
        // Split into batches, shuffle, and send some twice.
        let mut batches: Vec<Value> = marks
            .chunks(3)
            .map(|chunk| batch(c.device, chunk.to_vec()))
            .collect();
        for i in (1..batches.len()).rev() {
            let j = rng.next(i as u64 + 1) as usize;
            batches.swap(i, j);
        }
        let extra = batches[rng.next(batches.len() as u64) as usize].clone();
        batches.insert(rng.next(batches.len() as u64) as usize, extra);
        for b in &batches {
            let (status, body) = app.push(&c.token, b).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert!(
                outcomes(&body).iter().all(|(o, _)| o != "rejected"),
                "{body}"
            );
        }
        for (day, status) in expected {
            assert_eq!(
                cell(&app, &c.token, &c.section_id, student, day).await,
                status,
                "trial {trial}, {day}"
            );
        }
    }
}

/// `per_day` marks for each student and day, at random times of the morning (some equal, so ties
/// fall to the mark id) and with random codes, in random order.
fn shuffled_marks(
    c: &tests::Classroom,
    students: &[String],
    days: &[NaiveDate],
    per_day: usize,
    rng: &mut Lcg,
) -> Vec<Value> {
    let statuses = ["asistio", "falta", "tardanza", "falta_justificada"];
    let mut marks = Vec::new();
    for student in students {
        for day in days {
            for _ in 0..per_day {
                let minute = rng.next(4) as u32 * 10;
                let status = statuses[rng.next(4) as usize];
                marks.push(mark(
                    &c.section_id,
                    student,
                    *day,
                    status,
                    &at(*day, 9, minute),
                ));
            }
        }
    }
    for i in (1..marks.len()).rev() {
        let j = rng.next(i as u64 + 1) as usize;
        marks.swap(i, j);
    }
    marks
}

#[tokio::test]
async fn batches_sent_all_at_once_with_repeats_converge_and_each_repeat_gets_the_same_answer() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let days: Vec<NaiveDate> = c.academic_days.iter().rev().take(2).copied().collect();
    // Four marks per student and day, spread over many batches that arrive together.
    let marks = shuffled_marks(&c, &c.students[..8], &days, 4, &mut Lcg(20261124));
    let mut batches: Vec<Value> = marks
        .chunks(4)
        .map(|chunk| batch(c.device, chunk.to_vec()))
        .collect();
    // Every third batch is sent twice, and one mark of each batch again in a new batch.
    let repeats: Vec<Value> = batches.iter().step_by(3).cloned().collect();
    let again: Vec<Value> = batches
        .iter()
        .map(|b| batch(c.device, vec![b["marks"][0].clone()]))
        .collect();
    batches.extend(repeats);
    batches.extend(again);

    let answers = app.push_all(&c.token, &batches).await;
    let mut by_batch: std::collections::HashMap<String, Value> = Default::default();
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert!(
            outcomes(body).iter().all(|(o, _)| o != "rejected"),
            "{body}"
        );
        let id = body["batch_id"].as_str().unwrap().to_owned();
        if let Some(first) = by_batch.insert(id, body.clone()) {
            assert_eq!(&first, body, "a repeated batch gets the same answer");
        }
    }
    // Each mark is in the history once, and exactly one mark per student and day was applied
    // last: the latest recorded, ties to the larger mark id.
    assert_eq!(count(&app, "mark_receipt").await, marks.len() as i64);
    for student in c.students.iter().take(8) {
        for day in &days {
            assert_eq!(
                cell(&app, &c.token, &c.section_id, student, *day).await,
                standing(&marks, student, *day),
                "{student} on {day}"
            );
        }
    }
}

#[tokio::test]
async fn two_servers_writing_the_same_days_at_once_converge() {
    let app = spawn_app().await;
    let second = tests::spawn_instance(&app, |_| {}).await;
    let c = app.classroom().await;
    let days: Vec<NaiveDate> = c.academic_days.iter().rev().take(2).copied().collect();
    // Every student of the section, three marks per day, one mark per batch: the two servers
    // write the same section's days at the same time, each in its own transactions.
    let marks = shuffled_marks(&c, &c.students, &days, 3, &mut Lcg(20261130));
    let batches: Vec<Value> = marks
        .iter()
        .map(|m| batch(c.device, vec![m.clone()]))
        .collect();
    let (even, odd): (Vec<_>, Vec<_>) = batches
        .iter()
        .cloned()
        .enumerate()
        .partition(|(i, _)| i % 2 == 0);
    let even: Vec<Value> = even.into_iter().map(|(_, b)| b).collect();
    let odd: Vec<Value> = odd.into_iter().map(|(_, b)| b).collect();
    let (first, other) = tokio::join!(
        app.push_all(&c.token, &even),
        second.push_all(&c.token, &odd)
    );
    for (status, body) in first.iter().chain(&other) {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert!(
            outcomes(body)
                .iter()
                .all(|(o, _)| o == "accepted" || o == "superseded"),
            "{body}"
        );
    }
    assert_eq!(count(&app, "mark_receipt").await, marks.len() as i64);
    // One cell per student and day, holding the latest mark, whichever server wrote it.
    let cells = standing_cells(&app).await;
    assert_eq!(cells.len(), c.students.len() * days.len());
    for student in &c.students {
        for day in &days {
            assert_eq!(
                cell(&app, &c.token, &c.section_id, student, *day).await,
                standing(&marks, student, *day),
                "{student} on {day}"
            );
        }
    }
}

#[tokio::test]
async fn a_failing_batch_among_batches_sent_at_once_fails_alone() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    // One batch per student; the fourth student's batch meets a database fault.
    let batches: Vec<Value> = c
        .students
        .iter()
        .take(12)
        .map(|student| {
            batch(
                c.device,
                vec![mark(
                    &c.section_id,
                    student,
                    day,
                    "tardanza",
                    &at(day, 8, 0),
                )],
            )
        })
        .collect();
    let failing = batches[3]["marks"][0]["mark_id"].clone();
    install_mark_fault(&app, &failing).await;
    let answers = app.push_all(&c.token, &batches).await;
    for (i, (status, body)) in answers.iter().enumerate() {
        if i == 3 {
            assert_eq!(*status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
            assert_eq!(code(body), "internal_error");
        } else {
            assert_eq!(*status, StatusCode::OK, "{body}");
            assert_eq!(outcomes(body), vec![("accepted".into(), None)]);
        }
    }
    assert_eq!(count(&app, "mark_receipt").await, 11);
    assert_eq!(standing_cells(&app).await.len(), 11);
    assert_eq!(count(&app, "sync_batch").await, 11);
    assert!(
        history(&app)
            .await
            .iter()
            .all(|(_, m)| m.mark_id.to_string() != failing.as_str().unwrap()),
        "nothing of the failed batch is kept"
    );
    for (i, student) in c.students.iter().take(12).enumerate() {
        let status = cell(&app, &c.token, &c.section_id, student, day).await;
        assert_eq!(status == "tardanza", i != 3, "{student}: {status}");
    }
}

#[tokio::test]
async fn a_closed_month_holds_late_marks_for_review_until_an_exceptional_modification() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let director = app.login_as("director.demo").await;
    let last_month = lima_today().with_day(1).unwrap() - Duration::days(1);
    let (y, m) = (last_month.year(), last_month.month());
    let base = format!("/sections/{}/registers/{y}/{m}", c.section_id);
    let (status, register) = app
        .post(
            &format!("{base}/complete"),
            &director,
            json!({"up_to_day": last_month.day()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{register}");
    assert_eq!(register["state"], "completo");
    let (status, closed) = app
        .post(&format!("{base}/close"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["state"], "cerrado");

    let day = c
        .academic_days
        .iter()
        .rev()
        .find(|d| d.month() == m && d.year() == y)
        .copied()
        .unwrap();
    let late = mark(&c.section_id, &c.students[0], day, "falta", &at(day, 10, 0));
    let (_, body) = app
        .push(&c.token, &batch(c.device, vec![late.clone()]))
        .await;
    assert_eq!(outcomes(&body)[0].0, "held");
    assert_eq!(
        cell(&app, &c.token, &c.section_id, &c.students[0], day).await,
        "asistio",
        "not applied"
    );
    let (_, pull) = app.get("/sync/pull", &c.token).await;
    let state = pull["registers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["section_id"] == c.section_id.as_str() && r["month"] == m)
        .unwrap();
    assert_eq!(
        state["state"], "cerrado",
        "tablets learn the closure by pull"
    );

    let (_, held) = app.get(&format!("{base}/held"), &director).await;
    assert_eq!(held[0]["mark_id"], late["mark_id"]);
    let (status, error) = app
        .post(
            &format!("{base}/held/apply"),
            &director,
            json!({"mark_ids": [late["mark_id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");

    // The exceptional modification: director asks, level specialist opines, UGEL enables.
    let (status, request) = app
        .post(
            &format!("{base}/modifications"),
            &director,
            json!({"reason": "Marcas de la tableta llegaron tarde por falta de conexión."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_i64().unwrap();
    let ugel = app.login_as("ugel.demo").await;
    let nivel = app.login_as("nivel.demo").await;
    let until = chrono::Utc::now() + Duration::days(3);
    let (status, _) = app
        .post(
            &format!("/register-modifications/{id}/enable"),
            &ugel,
            json!({"until": until}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the level specialist's opinion comes first"
    );
    let (status, _) = app
        .post(
            &format!("/register-modifications/{id}/opinion"),
            &ugel,
            json!({"favorable": true}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post(
            &format!("/register-modifications/{id}/opinion"),
            &nivel,
            json!({"favorable": true, "note": "Procede"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(
            &format!("/register-modifications/{id}/enable"),
            &director,
            json!({"until": until}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, enabled) = app
        .post(
            &format!("/register-modifications/{id}/enable"),
            &ugel,
            json!({"until": until}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{enabled}");

    let (status, applied) = app
        .post(
            &format!("{base}/held/apply"),
            &director,
            json!({"mark_ids": [late["mark_id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    assert_eq!(
        cell(&app, &c.token, &c.section_id, &c.students[0], day).await,
        "falta"
    );
    let (status, reclosed) = app
        .post(&format!("{base}/close"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reclosed["state"], "cerrado");
    let (status, error) = app.request(Method::PUT, &format!("{base}/cells"), Some(&director))
        .json(&json!({"cells": [{"student_id": c.students[0].parse::<i64>().unwrap(), "date": day, "status": "asistio"}]}))
        .send().await.map(|r| (r.status(), r)).unwrap();
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, error) = read(error).await;
    assert_eq!(code(&error), "register_closed");
}

#[tokio::test]
async fn a_batch_of_the_largest_size_is_applied_whole_and_its_resend_is_all_duplicates() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let marks: Vec<Value> = c
        .academic_days
        .iter()
        .rev()
        .flat_map(|day| {
            c.students
                .iter()
                .map(|student| mark(&c.section_id, student, *day, "tardanza", &at(*day, 8, 0)))
                .collect::<Vec<_>>()
        })
        .take(1000)
        .collect();
    assert_eq!(marks.len(), 1000, "the demo year has enough school days");
    let (status, body) = app.push(&c.token, &batch(c.device, marks.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        outcomes(&body).iter().all(|(o, _)| o == "accepted"),
        "{body}"
    );
    assert_eq!(count(&app, "mark_receipt").await, 1000);
    let cells = standing_cells(&app).await;
    assert_eq!(cells.len(), 1000);
    assert!(cells.iter().all(|(_, _, c)| c.status == 3));

    let (status, again) = app.push(&c.token, &batch(c.device, marks)).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert!(
        outcomes(&again).iter().all(|(o, _)| o == "duplicate"),
        "{again}"
    );
    assert_eq!(count(&app, "mark_receipt").await, 1000);
}

#[tokio::test]
async fn oversized_batches_are_refused_with_413() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let marks: Vec<Value> = (0..1001)
        .map(|_| {
            mark(
                &c.section_id,
                &c.students[0],
                day,
                "asistio",
                &at(day, 8, 0),
            )
        })
        .collect();
    let (status, body) = app.push(&c.token, &batch(c.device, marks)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&body), "batch_too_large");

    let mut big = batch(
        c.device,
        vec![mark(
            &c.section_id,
            &c.students[0],
            day,
            "asistio",
            &at(day, 8, 0),
        )],
    );
    big["padding"] = json!("x".repeat(1024 * 1024));
    let (status, body) = app.push(&c.token, &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code(&body), "batch_too_large");
    assert_eq!(count(&app, "mark_receipt").await, 0);
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_a_400_naming_the_field() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let mut wrong = batch(
        c.device,
        vec![mark(
            &c.section_id,
            &c.students[0],
            day,
            "asistio",
            &at(day, 8, 0),
        )],
    );
    wrong["marks"][0]
        .as_object_mut()
        .unwrap()
        .remove("recorded_at");
    let (status, body) = app.push(&c.token, &wrong).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "invalid_body");
    assert!(
        body["error"]["fields"]["marks[0].recorded_at"].is_string(),
        "{body}"
    );

    let mut version = batch(c.device, vec![]);
    version["contract_version"] = json!(2);
    let (status, body) = app.push(&c.token, &version).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["fields"]["contract_version"].is_string(),
        "{body}"
    );

    let mut note = batch(
        c.device,
        vec![mark(
            &c.section_id,
            &c.students[0],
            day,
            "asistio",
            &at(day, 8, 0),
        )],
    );
    note["marks"][0]["note"] = json!("n".repeat(201));
    let (status, body) = app.push(&c.token, &note).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["fields"]["marks[0].note"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn a_gzip_batch_is_accepted_and_the_device_is_recorded_with_its_pending_count() {
    use std::io::Write;
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let device = Uuid::new_v4();
    let mut body = batch(
        device,
        vec![mark(
            &c.section_id,
            &c.students[0],
            day,
            "asistio",
            &at(day, 8, 0),
        )],
    );
    body["pending"] = json!(12);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(&serde_json::to_vec(&body).unwrap())
        .unwrap();
    let response = app
        .request(Method::POST, "/sync/push", Some(&c.token))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_ENCODING, "gzip")
        .body(encoder.finish().unwrap())
        .send()
        .await
        .unwrap();
    let (status, result) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(outcomes(&result)[0].0, "accepted");

    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, tests::demo::PRIMARIA).await;
    let (_, devices) = app
        .get(&format!("/schools/{school}/devices"), &director)
        .await;
    let tablet = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == device.to_string())
        .unwrap();
    assert_eq!(tablet["pending_marks"], 12);
    assert!(tablet["last_sync_at"].is_string());
}

#[tokio::test]
async fn an_error_in_the_middle_of_a_batch_leaves_nothing_of_it() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let body = batch(
        c.device,
        vec![
            mark(&c.section_id, &c.students[0], day, "falta", &at(day, 8, 0)),
            mark(&c.section_id, &c.students[1], day, "falta", &at(day, 8, 0)),
            mark(&c.section_id, &c.students[2], day, "falta", &at(day, 8, 0)),
        ],
    );
    // A database fault while recording the second student's mark.
    install_mark_fault(&app, &body["marks"][1]["mark_id"]).await;
    let (status, error) = app.push(&c.token, &body).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(code(&error), "internal_error");
    assert!(
        !error.to_string().contains("disk failure"),
        "the cause stays in the log"
    );
    assert_eq!(count(&app, "mark_receipt").await, 0);
    assert_eq!(count(&app, "attendance_entry").await, 0);
    assert_eq!(count(&app, "section_day").await, 0);
    assert_eq!(count(&app, "sync_batch").await, 0);

    app.db.execute_unprepared("DROP TRIGGER boom").await.ok();
    app.db
        .execute_unprepared("DROP TRIGGER IF EXISTS boom ON mark_receipt")
        .await
        .ok();
    let (status, result) = app.push(&c.token, &body).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert!(
        outcomes(&result).iter().all(|(o, _)| o == "accepted"),
        "the resent batch is applied whole"
    );
    assert_eq!(standing_cells(&app).await.len(), 3);
}

/// Marks stored one row per mark (the schema before attendance was packed), as an upgraded
/// server finds them: what the teacher's section and students are, and the marks written.
struct EarlierMarks {
    section_id: i64,
    students: [i64; 2],
    day: NaiveDate,
    /// Stood for the first student (with a note), superseded, stood for the second.
    marks: [(Uuid, i16, String); 3],
}

/// Leaves the database at migration 10 with the demo world and three marks in the old tables.
async fn store_marks_the_old_way(db: &sea_orm::DatabaseConnection) -> EarlierMarks {
    use migration::MigratorTrait;
    migration::Migrator::up(db, Some(10))
        .await
        .expect("earlier schema");
    siagie::seed::demo::load(db, tests::lima_today())
        .await
        .expect("demo world");
    let number =
        async |sql: &str| -> i64 { tests::scalar(db, sql).await.unwrap().parse().unwrap() };
    let section_id = number(
        "SELECT CAST(MIN(ts.section_id) AS TEXT) FROM teacher_section ts \
         JOIN user_account u ON u.person_id = ts.person_id WHERE u.username = 'docente.demo'",
    )
    .await;
    let enrollment = |n: usize| {
        format!(
            "SELECT CAST({{}} AS TEXT) FROM enrollment WHERE section_id = {section_id} \
             AND status = 'activo' ORDER BY enrollment.id LIMIT 1 OFFSET {n}"
        )
    };
    let ids = [
        number(&enrollment(0).replace("{}", "id")).await,
        number(&enrollment(1).replace("{}", "id")).await,
    ];
    let students = [
        number(&enrollment(0).replace("{}", "student_id")).await,
        number(&enrollment(1).replace("{}", "student_id")).await,
    ];
    let starts_on = tests::scalar(
        db,
        "SELECT CAST(starts_on AS TEXT) FROM academic_year ORDER BY year DESC LIMIT 1",
    )
    .await
    .unwrap();
    let starts_on = NaiveDate::parse_from_str(&starts_on[..10], "%Y-%m-%d").unwrap();
    let mut day = tests::lima_today() - chrono::Duration::days(1);
    loop {
        let closed = number(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM non_academic_day WHERE date = '{day}'"
        ))
        .await;
        if day.weekday().number_from_monday() <= 5 && closed == 0 {
            break;
        }
        day -= chrono::Duration::days(1);
        assert!(day >= starts_on, "an academic day before today");
    }
    let marks = [
        (Uuid::new_v4(), 2, at(day, 9, 0)),
        (Uuid::new_v4(), 1, at(day, 8, 0)),
        (Uuid::new_v4(), 3, at(day, 8, 5)),
    ];
    let micros = |at: &str| {
        chrono::DateTime::parse_from_rfc3339(at)
            .unwrap()
            .timestamp_micros()
    };
    let user_id =
        number("SELECT CAST(id AS TEXT) FROM user_account WHERE username = 'docente.demo'").await;
    let received = chrono::Utc::now();
    let rows = [
        (0, ids[0], Some("Llegó con su mamá"), "accepted"),
        (1, ids[0], None, "superseded"),
        (2, ids[1], None, "accepted"),
    ];
    for (i, enrollment_id, note, outcome) in rows {
        let (mark_id, status, recorded) = &marks[i];
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO attendance_mark (mark_id, enrollment_id, section_id, date, status, \
             recorded_at_us, note, user_id, device_id, batch_id, received_at, outcome, review) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL)",
            [
                (*mark_id).into(),
                enrollment_id.into(),
                section_id.into(),
                day.into(),
                (*status).into(),
                micros(recorded).into(),
                note.map(str::to_owned).into(),
                user_id.into(),
                Some(Uuid::nil()).into(),
                Some(Uuid::nil()).into(),
                received.into(),
                outcome.into(),
            ],
        ))
        .await
        .expect("an old history row");
        if outcome == "accepted" {
            db.execute_raw(sea_orm::Statement::from_sql_and_values(
                db.get_database_backend(),
                "INSERT INTO attendance_day (enrollment_id, date, section_id, status, \
                 recorded_at_us, mark_id) VALUES ($1, $2, $3, $4, $5, $6)",
                [
                    enrollment_id.into(),
                    day.into(),
                    section_id.into(),
                    (*status).into(),
                    micros(recorded).into(),
                    (*mark_id).into(),
                ],
            ))
            .await
            .expect("an old current value");
        }
    }
    EarlierMarks {
        section_id,
        students,
        day,
        marks,
    }
}

#[tokio::test]
async fn marks_stored_before_an_upgrade_stand_and_are_known_after_it() {
    let mut earlier = None;
    let app = tests::spawn_app_on(
        |_| {},
        async |db| earlier = Some(store_marks_the_old_way(db).await),
    )
    .await;
    let earlier = earlier.unwrap();
    let token = app.login_as("docente.demo").await;
    let section = earlier.section_id.to_string();
    let students = earlier.students.map(|s| s.to_string());
    let day = earlier.day;

    // The values that stood still stand, in the register.
    assert_eq!(
        cell(&app, &token, &section, &students[0], day).await,
        "falta"
    );
    assert_eq!(
        cell(&app, &token, &section, &students[1], day).await,
        "tardanza"
    );

    // The history kept every mark with its outcome and note.
    let history = history(&app).await;
    assert_eq!(history.len(), 3);
    let find = |id: Uuid| history.iter().find(|(_, m)| m.mark_id == id).unwrap();
    let (first, superseded, second) = (
        &find(earlier.marks[0].0).1,
        &find(earlier.marks[1].0).1,
        &find(earlier.marks[2].0).1,
    );
    assert_eq!(first.outcome, entity::attendance_entry::Outcome::Accepted);
    assert_eq!(first.note.as_deref(), Some("Llegó con su mamá"));
    assert_eq!(
        superseded.outcome,
        entity::attendance_entry::Outcome::Superseded
    );
    assert_eq!(second.outcome, entity::attendance_entry::Outcome::Accepted);

    // Resent, the old marks are known: a duplicate, a reused id; a later mark wins over them.
    let as_sent = |i: usize, student: &str, status: &str| {
        let mut m = mark(&section, student, day, status, &earlier.marks[i].2);
        m["mark_id"] = json!(earlier.marks[i].0);
        m
    };
    let body = batch(
        Uuid::new_v4(),
        vec![
            as_sent(0, &students[0], "falta"),
            as_sent(2, &students[1], "asistio"),
            mark(&section, &students[1], day, "asistio", &at(day, 10, 0)),
        ],
    );
    let (status, result) = app.push(&token, &body).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(
        outcomes(&result),
        vec![
            ("duplicate".into(), None),
            ("rejected".into(), Some("mark_id_reused".into())),
            ("accepted".into(), None),
        ]
    );
    assert_eq!(
        cell(&app, &token, &section, &students[1], day).await,
        "asistio"
    );
    assert_eq!(count(&app, "mark_receipt").await, 4);
}

#[tokio::test]
async fn a_batch_id_sent_again_with_other_marks_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let day = *c.academic_days.last().unwrap();
    let s = &c.section_id;
    let first = batch(
        c.device,
        vec![mark(s, &c.students[0], day, "falta", &at(day, 8, 0))],
    );
    let (status, answer) = app.push(&c.token, &first).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let mut other = first.clone();
    other["marks"] = json!([mark(s, &c.students[1], day, "tardanza", &at(day, 8, 0))]);
    let (status, error) = app.push(&c.token, &other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(code(&error), "batch_id_reused");
    assert_eq!(
        cell(&app, &c.token, s, &c.students[1], day).await,
        "pendiente"
    );
    assert_eq!(count(&app, "mark_receipt").await, 1);

    let (status, again) = app.push(&c.token, &first).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        again["results"], answer["results"],
        "a true resend still gets its answer"
    );
}

/// The text of a PDF, through poppler's `pdftotext` (installed by `.ci/run`); `None`, with a
/// word on why, where it is not installed (outside CI).
fn pdf_text(bytes: &[u8]) -> Option<String> {
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
    let dir = std::env::temp_dir().join(format!("siagie-pdf-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("register.pdf");
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

#[tokio::test]
async fn a_note_is_kept_and_shown_in_the_grid_the_pdf_and_the_held_marks() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let director = app.login_as("director.demo").await;
    let last_month = lima_today().with_day(1).unwrap() - Duration::days(1);
    let (y, m) = (last_month.year(), last_month.month());
    let base = format!("/sections/{}/registers/{y}/{m}", c.section_id);
    let day = c
        .academic_days
        .iter()
        .rev()
        .find(|d| d.month() == m && d.year() == y)
        .copied()
        .unwrap();

    // A justified absence with its reason, sent from the tablet.
    let mut justified = mark(
        &c.section_id,
        &c.students[0],
        day,
        "falta_justificada",
        &at(day, 9, 0),
    );
    justified["note"] = json!("Cita médica en Jaén");
    let (status, body) = app.push(&c.token, &batch(c.device, vec![justified])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, grid) = app.get(&base, &director).await;
    let row = grid["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["student_id"].as_i64() == c.students[0].parse().ok())
        .unwrap();
    let cell = row["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|cell| cell["date"] == day.to_string())
        .unwrap();
    assert_eq!(cell["status"], "falta_justificada");
    assert_eq!(cell["note"], "Cita médica en Jaén");
    let pdf = app
        .request(Method::GET, &format!("{base}/pdf"), Some(&director))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    if let Some(text) = pdf_text(&pdf) {
        assert!(text.contains("Cita médica en Jaén"), "{text}");
        assert!(text.contains("Observaciones"), "{text}");
    }

    // Closed, a later mark with a note is held, and the director sees whose, what stands and why.
    app.post(
        &format!("{base}/complete"),
        &director,
        json!({"up_to_day": last_month.day()}),
    )
    .await;
    let (status, _) = app
        .post(&format!("{base}/close"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut late = mark(
        &c.section_id,
        &c.students[0],
        day,
        "tardanza_justificada",
        &at(day, 11, 0),
    );
    late["note"] = json!("Llegó con su madre");
    let (_, body) = app.push(&c.token, &batch(c.device, vec![late])).await;
    assert_eq!(outcomes(&body)[0].0, "held");
    let (_, held) = app.get(&format!("{base}/held"), &director).await;
    let held = &held[0];
    assert_eq!(held["standing"], "falta_justificada");
    assert_eq!(held["status"], "tardanza_justificada");
    assert_eq!(held["note"], "Llegó con su madre");
    assert_eq!(held["teacher"], "Rosa Elvira Tarrillo Campos");
    assert!(held["student"].as_str().unwrap().contains(", "), "{held}");
    assert_eq!(held["document"], row["document"]);
}

#[tokio::test]
async fn a_teacher_hears_only_of_the_removal_of_sections_it_taught() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, tests::demo::PRIMARIA).await;
    let cursor = c.pull["cursor"].as_str().unwrap().to_owned();
    let (_, me) = app.get("/me", &c.token).await;
    let not_taught = app
        .sections(&director, school)
        .await
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .find(|id| !me["sections"].as_array().unwrap().iter().any(|t| t == id))
        .unwrap();
    // Another teacher comes and goes in a section this one never taught.
    let (_, staff) = app
        .post(
            &format!("/schools/{school}/staff"),
            &director,
            json!({"dni": "47771111", "paternal_surname": "Rojas", "maternal_surname": "Paz",
                   "given_names": "Luis", "position": "teacher"}),
        )
        .await;
    let person = staff["person_id"].as_i64().unwrap();
    app.post(
        &format!("/sections/{not_taught}/teachers"),
        &director,
        json!({"person_id": person}),
    )
    .await;
    app.delete(
        &format!("/sections/{not_taught}/teachers/{person}"),
        &director,
    )
    .await;
    // And this teacher leaves one of its own.
    let own = me["sections"][0].as_i64().unwrap();
    let (status, _) = app
        .delete(
            &format!("/sections/{own}/teachers/{}", me["person_id"]),
            &director,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, pull) = app
        .get(&format!("/sync/pull?since={cursor}"), &c.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{pull}");
    let removed: Vec<&str> = pull["removed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "section")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(removed.contains(&own.to_string().as_str()), "{pull}");
    assert!(
        !removed.contains(&not_taught.to_string().as_str()),
        "{pull}"
    );
}
