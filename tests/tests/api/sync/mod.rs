//! The tablet contract: pull and push, every outcome and rejection code, idempotency,
//! convergence in any order, atomic batches. One file per topic; the helpers they share are here.

mod atomicity;
mod closed_months;
mod convergence;
mod devices;
mod idempotency;
mod limits;
mod outcomes;
mod pull;
mod upgrade;

use chrono::{Datelike, NaiveDate};
use mobile_contract::{Outcome, PushResponse, RejectionCode};
use reqwest::StatusCode;
use tests::TestApp;

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

/// A time of `date` in Lima, as the tablet writes `recorded_at`.
fn at(date: NaiveDate, hour: u32, minute: u32) -> String {
    format!("{date}T{hour:02}:{minute:02}:00-05:00")
}

/// The outcome and rejection code of each mark of a push's answer, in order.
fn outcomes(answer: &PushResponse) -> Vec<(Outcome, Option<RejectionCode>)> {
    answer.results.iter().map(|r| (r.outcome, r.code)).collect()
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

/// How many rows `sql` (a table, or a table and a condition) has.
async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {sql}"))
        .await
        .unwrap()
        .parse()
        .unwrap()
}
