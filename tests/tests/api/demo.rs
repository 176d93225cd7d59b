//! The demo world that `cargo run` loads on an empty database.

use reqwest::StatusCode;
use tests::{demo, spawn_app};

#[tokio::test]
async fn every_demo_account_logs_in_with_the_documented_password() {
    let app = spawn_app().await;
    for account in [
        "admin.demo",
        "ugel.demo",
        "nivel.demo",
        "director.demo",
        "docente.demo",
        "pronoei.demo",
        "agente.demo",
    ] {
        let (status, body) =
            tests::read(app.login_response(account, tests::DEMO_PASSWORD).await).await;
        assert_eq!(status, StatusCode::OK, "{account}: {body}");
    }
}

#[tokio::test]
async fn the_demo_world_has_the_promised_shape() {
    let app = spawn_app().await;
    let admin = app.login_as("admin.demo").await;
    let (_, dres) = app.get("/dres", &admin).await;
    assert_eq!(dres.as_array().unwrap().len(), 1);
    let (_, ugels) = app.get("/ugels", &admin).await;
    assert_eq!(ugels.as_array().unwrap().len(), 2);
    let (_, schools) = app.get("/schools", &admin).await;
    let items = schools["items"].as_array().unwrap();
    assert!(items.len() >= 5);
    for level in ["inicial", "primaria", "secundaria"] {
        assert!(
            items.iter().any(|s| s["level"] == level),
            "an IE of level {level}"
        );
    }
    assert!(
        items
            .iter()
            .any(|s| s["is_pronoei"] == true && s["codigo_modular"] == demo::PRONOEI)
    );

    for school in items {
        for section in app.sections(&admin, school["id"].as_i64().unwrap()).await {
            let (_, roster) = app
                .get(&format!("/sections/{}/students", section["id"]), &admin)
                .await;
            let n = roster.as_array().unwrap().len();
            assert!(
                (15..=35).contains(&n),
                "section {} has {n} students",
                section["id"]
            );
        }
    }

    let director = app.login_as("director.demo").await;
    let primaria = app.school_id(&director, demo::PRIMARIA).await;
    assert!(app.sections(&director, primaria).await.len() >= 2);
    let teacher = app.login_as("docente.demo").await;
    assert_eq!(app.sections(&teacher, primaria).await.len(), 2);

    let (_, years) = app.get("/academic-years", &admin).await;
    let year = years[0]["year"].as_i64().unwrap();
    let (_, calendar) = app
        .get(&format!("/academic-years/{year}/calendar"), &admin)
        .await;
    // The tests' year is 2027: San Pedro y San Pablo falls on a Tuesday (Día del Trabajo, on a
    // Saturday, is a weekend already).
    let days = calendar.as_array().unwrap();
    assert!(days.iter().any(
        |d| d["description"] == "San Pedro y San Pablo" && d["date"] == format!("{year}-06-29")
    ));
    assert!(
        days.iter()
            .any(|d| d["description"] == "Vacaciones de medio año")
    );
}

#[tokio::test]
async fn the_synthetic_dataset_adds_schools_with_directors_teachers_and_students() {
    let app = spawn_app().await;
    let size = siagie::seed::synthetic::Size {
        schools: 3,
        sections_per_school: 8,
        students_per_section: 4,
    };
    siagie::seed::synthetic::load(&app.db, size, false)
        .await
        .expect("synthetic seed");
    let admin = app.login_as("admin.demo").await;
    let (_, schools) = app.get("/schools?q=IE%20sint", &admin).await;
    assert_eq!(schools["total"], 3);
    let school = schools["items"][0]["id"].as_i64().unwrap();
    let code = schools["items"][0]["codigo_modular"]
        .as_str()
        .unwrap()
        .to_owned();
    let sections = app.sections(&admin, school).await;
    assert_eq!(sections.len(), 8);
    let (_, roster) = app
        .get(&format!("/sections/{}/students", sections[0]["id"]), &admin)
        .await;
    assert_eq!(roster.as_array().unwrap().len(), 4);
    let teacher = app.login_as(&format!("docente.{code}.1")).await;
    let (_, pull) = app.pull(&teacher, None).await;
    assert_eq!(pull.sections.len(), 1);
    let director = app.login_as(&format!("director.{code}")).await;
    let (_, me) = app.get("/me", &director).await;
    assert_eq!(me["roles"][0]["role"], "director");
}

/// The demo world loaded on days far from a school day: the turn of the year in Lima (already
/// the next year in UTC), the summer vacation, a leap day in the vacation, a Sunday and a
/// national holiday. Each time it is built for the academic year the day belongs to, with that
/// year's calendar, and its people can work.
#[tokio::test]
async fn the_demo_world_is_coherent_on_any_day() {
    for (start, academic_year, month) in [
        // 31 December 23:30 in Lima: the year that ends, and its last month.
        ("2027-01-01T04:30:00Z", 2026, 12),
        // The summer vacation belongs to the year that ended.
        ("2027-02-10T09:00:00-05:00", 2026, 12),
        ("2028-02-29T12:00:00-05:00", 2027, 12),
        // A Sunday in March, and San Pedro y San Pablo.
        ("2027-03-21T12:00:00-05:00", 2027, 3),
        ("2027-06-29T12:00:00-05:00", 2027, 6),
    ] {
        let app = tests::spawn_app_with(|c| {
            c.clock.start = Some(chrono::DateTime::parse_from_rfc3339(start).unwrap())
        })
        .await;
        let admin = app.login_as("admin.demo").await;
        let (status, years) = app.get("/academic-years", &admin).await;
        assert_eq!(status, StatusCode::OK, "{start}: {years}");
        assert_eq!(years[0]["year"], academic_year, "{start}: {years}");
        let (_, calendar) = app
            .get(&format!("/academic-years/{academic_year}/calendar"), &admin)
            .await;
        let days = calendar.as_array().unwrap();
        for holiday in ["Viernes Santo", "Vacaciones de medio año"] {
            assert!(
                days.iter().any(|d| d["description"] == holiday),
                "{start}: {holiday} in {calendar}"
            );
        }
        assert!(
            days.iter().all(|d| d["date"]
                .as_str()
                .unwrap()
                .starts_with(&academic_year.to_string())),
            "{start}: {calendar}"
        );

        // The director reads the month's register, and the teacher's tablet gets the year.
        let director = app.login_as("director.demo").await;
        let primaria = app.school_id(&director, demo::PRIMARIA).await;
        let section = app.sections(&director, primaria).await[0]["id"].clone();
        let (status, register) = app
            .get(
                &format!("/sections/{section}/registers/{academic_year}/{month}"),
                &director,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{start}: {register}");
        let teacher = app.login_as("docente.demo").await;
        let (status, pull) = app.pull(&teacher, None).await;
        assert_eq!(status, StatusCode::OK, "{start}");
        assert_eq!(pull.sections.len(), 2, "{start}");
        assert!(
            pull.registers.iter().all(|r| r.year == academic_year),
            "{start}"
        );

        // The help desk's demo tickets were filed on this clock: none is from the future.
        let agent = app.login_as("agente.demo").await;
        let (status, queue) = app.get("/helpdesk/tickets", &agent).await;
        assert_eq!(status, StatusCode::OK, "{start}: {queue}");
        let now = app.now();
        for ticket in queue["items"].as_array().unwrap() {
            let filed =
                chrono::DateTime::parse_from_rfc3339(ticket["created_at"].as_str().unwrap())
                    .unwrap();
            assert!(filed <= now, "{start}: {ticket}");
        }
    }
}
