//! Pull: the full snapshot a tablet starts from, and the changes since a cursor.

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::json;
use tests::{lima_today, spawn_app};

#[tokio::test]
async fn a_full_pull_gives_the_teacher_its_sections_students_calendar_and_registers() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let pull = &c.pull;
    assert!(pull.full);
    assert_eq!(pull.sections.len(), 2);
    assert!(pull.students.len() >= 30);
    assert!(pull.cursor.len() > 1);
    let calendar = &pull.calendar;
    assert!(calendar.iter().any(|d| d.scope == "weekend"));
    // The tests' year is 2027: San Pedro y San Pablo falls on a Tuesday (Día del Trabajo, on a
    // Saturday, is a weekend already).
    assert!(calendar.iter().any(
        |d| d.description == "San Pedro y San Pablo" && d.date.to_string().ends_with("-06-29")
    ));
    assert!(
        calendar
            .iter()
            .any(|d| d.description == "Vacaciones de medio año")
    );
    let registers = &pull.registers;
    assert!(registers.iter().all(|r| r.state == "sin_datos"));
    assert!(registers.iter().any(|r| r.month == lima_today().month()));

    let director = app.login_as("director.demo").await;
    let (_, all) = app.pull(&director, None).await;
    assert_eq!(
        all.sections.len(),
        4,
        "the director gets every section of the IE"
    );
}

#[tokio::test]
async fn a_delta_pull_sends_only_changes_including_removals() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let cursor = &c.pull.cursor;
    let (_, same) = app.pull(&c.token, Some(cursor)).await;
    assert!(!same.full);
    assert!(same.sections.is_empty());
    assert!(same.students.is_empty());
    assert!(same.removed.is_empty());

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
    let other = &c.pull.sections[1].id;
    let (_, me) = app.get("/me", &c.token).await;
    let (status, _) = app
        .delete(
            &format!("/sections/{other}/teachers/{}", me["person_id"]),
            &director,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let moved_id = moved["student_id"].to_string();
    let (_, delta) = app.pull(&c.token, Some(cursor)).await;
    assert!(!delta.full);
    let removed = &delta.removed;
    assert!(
        removed
            .iter()
            .any(|r| r.kind == "section" && r.id == *other),
        "{removed:?}"
    );
    assert!(
        removed
            .iter()
            .any(|r| r.kind == "student" && r.id == moved_id),
        "{removed:?}"
    );
    let student = delta.students.iter().find(|s| s.id == moved_id).unwrap();
    assert_eq!(student.status, "trasladado");
    assert_eq!(student.status_date, Some(day));

    let (_, garbage) = app.pull(&c.token, Some("cualquier-cosa")).await;
    assert!(
        garbage.full,
        "a cursor the server cannot serve gives a full snapshot"
    );
}

#[tokio::test]
async fn a_teacher_hears_only_of_the_removal_of_sections_it_taught() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, tests::demo::PRIMARIA).await;
    let cursor = &c.pull.cursor;
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

    let (status, pull) = app.pull(&c.token, Some(cursor)).await;
    assert_eq!(status, StatusCode::OK, "{pull:?}");
    let removed: Vec<&str> = pull
        .removed
        .iter()
        .filter(|r| r.kind == "section")
        .map(|r| r.id.as_str())
        .collect();
    assert!(removed.contains(&own.to_string().as_str()), "{pull:?}");
    assert!(
        !removed.contains(&not_taught.to_string().as_str()),
        "{pull:?}"
    );
}

#[tokio::test]
async fn the_sections_a_teacher_left_come_in_id_order_every_time() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let director = app.login_as("director.demo").await;
    let (_, me) = app.get("/me", &c.token).await;
    let taught: Vec<i64> = me["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_i64().unwrap())
        .collect();
    assert!(taught.len() >= 2, "{me}");
    for section in taught.iter().rev() {
        let (status, _) = app
            .delete(
                &format!("/sections/{section}/teachers/{}", me["person_id"]),
                &director,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let mut expected: Vec<String> = taught.iter().map(i64::to_string).collect();
    expected.sort_by_key(|id| id.parse::<i64>().unwrap());
    for _ in 0..5 {
        let (status, pull) = app.pull(&c.token, Some(&c.pull.cursor)).await;
        assert_eq!(status, StatusCode::OK, "{pull:?}");
        let removed: Vec<String> = pull
            .removed
            .iter()
            .filter(|r| r.kind == "section")
            .map(|r| r.id.clone())
            .collect();
        assert_eq!(removed, expected);
    }
}
