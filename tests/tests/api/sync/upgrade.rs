//! Marks stored before attendance was packed, as an upgraded server finds them.

use chrono::{Datelike, NaiveDate};
use mobile_contract::{Outcome, RejectionCode};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;
use tests::{batch, mark};
use uuid::Uuid;

use super::{at, cell, count, history, outcomes};

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
    siagie::seed::demo::load_without_history(db, tests::lima_today())
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
    let received = tests::now();
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
    let (status, result) = app.push_answer(&token, &body).await;
    assert_eq!(status, StatusCode::OK, "{result:?}");
    assert_eq!(
        outcomes(&result),
        vec![
            (Outcome::Duplicate, None),
            (Outcome::Rejected, Some(RejectionCode::MarkIdReused)),
            (Outcome::Accepted, None),
        ]
    );
    assert_eq!(
        cell(&app, &token, &section, &students[1], day).await,
        "asistio"
    );
    assert_eq!(count(&app, "mark_receipt").await, 4);
}
