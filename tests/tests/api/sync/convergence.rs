//! The mark recorded last stands, whatever order, repeats and concurrency batches arrive with.

use chrono::NaiveDate;
use mobile_contract::{Outcome, PushResponse};
use reqwest::StatusCode;
use serde_json::Value;
use tests::{batch, contract, mark, spawn_app};
use uuid::Uuid;

use super::{at, cell, count, history, outcomes, standing_cells};

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
        .push_answer(&c.token, &batch(c.device, vec![late.clone()]))
        .await;
    let (_, b) = app
        .push_answer(&c.token, &batch(c.device, vec![early.clone()]))
        .await;
    assert_eq!(outcomes(&a)[0].0, Outcome::Accepted);
    assert_eq!(
        outcomes(&b)[0].0,
        Outcome::Superseded,
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
            let (status, body) = app.push_answer(&c.token, b).await;
            assert_eq!(status, StatusCode::OK, "{body:?}");
            assert!(
                outcomes(&body).iter().all(|(o, _)| *o != Outcome::Rejected),
                "{body:?}"
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
    let mut by_batch: std::collections::HashMap<Uuid, PushResponse> = Default::default();
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        let body: PushResponse = contract(*status, body);
        assert!(
            outcomes(&body).iter().all(|(o, _)| *o != Outcome::Rejected),
            "{body:?}"
        );
        if let Some(first) = by_batch.insert(body.batch_id, body.clone()) {
            assert_eq!(first, body, "a repeated batch gets the same answer");
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
        let body: PushResponse = contract(*status, body);
        assert!(
            outcomes(&body)
                .iter()
                .all(|(o, _)| matches!(o, Outcome::Accepted | Outcome::Superseded)),
            "{body:?}"
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
