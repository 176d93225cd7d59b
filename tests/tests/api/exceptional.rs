//! The exceptional modification of either kind of closed record (a month's register, a section's
//! acta) through the one workflow: the unit above decides where the UGEL has nobody, and a
//! database upgraded from the tables of each kind keeps every request under its number.

use chrono::{Datelike, Duration};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;
use tests::{demo, lima_today, spawn_app, spawn_app_on};

/// With the UGEL's Especialista del nivel and Especialista SIAGIE no longer active, a request
/// about last year's acta goes to the DRE's Especialista SIAGIE, who is told and takes both steps.
#[tokio::test]
async fn an_acta_modification_where_the_ugel_has_nobody_goes_to_the_dre() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let dre = app.login_as("dre.demo").await;
    let admin = app.login_as("admin.demo").await;
    app.db
        .execute_unprepared(
            "UPDATE role_assignment SET active = FALSE WHERE user_id IN \
             (SELECT id FROM user_account WHERE username IN ('nivel.demo', 'ugel.demo'))",
        )
        .await
        .unwrap();
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let year = lima_today().year();
    let (_, past) = app
        .get(
            &format!("/schools/{school}/sections?year={}", year - 1),
            &director,
        )
        .await;
    let past = past[0]["id"].as_i64().expect("a section of last year");
    let (status, request) = app
        .post(
            &format!("/sections/{past}/acta/modifications"),
            &director,
            json!({"reason": "Una calificación de Comunicación mal digitada"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    assert!(
        request["next_step_by"].as_str().unwrap().contains("DRE"),
        "{request}"
    );
    let id = request["id"].as_i64().unwrap();
    let told =
        tests::smtp::Received::from_raw(app.mail_to("dre.demo@siagie.local").await.into_bytes())
            .text();
    assert!(told.contains("Huamantanga"), "{told}");
    let (status, listed) = app.get("/acta-modifications", &dre).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == id),
        "{listed}"
    );
    let (status, body) = app
        .post(
            &format!("/acta-modifications/{id}/opinion"),
            &admin,
            json!({"favorable": true}),
        )
        .await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "not the administrator's step: {status} {body}"
    );
    let (status, body) = app
        .post(
            &format!("/acta-modifications/{id}/opinion"),
            &dre,
            json!({"favorable": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            &format!("/acta-modifications/{id}/enable"),
            &dre,
            json!({"until": tests::now() + Duration::days(2)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "enabled");
    let (_, acta) = app.get(&format!("/sections/{past}/acta"), &director).await;
    assert_eq!(acta["state"], "en_modificacion", "{acta}");
}

/// Requests of both kinds, numbered 1, 2… each in its own table before the upgrade, keep their
/// numbers, records and steps after it; each kind goes on numbering from its own last request.
#[tokio::test]
async fn an_upgrade_keeps_each_kinds_requests_under_their_numbers() {
    let last = lima_today().with_day(1).unwrap() - Duration::days(1);
    let app = spawn_app_on(
        |_| {},
        async |db| {
            use migration::MigratorTrait;
            let before = migration::Migrator::migrations()
                .iter()
                .position(|m| m.name() == "m20261206_160000_exceptional_modification")
                .expect("the migration");
            migration::Migrator::up(db, Some(before as u32))
                .await
                .expect("earlier schema");
            siagie::seed::demo::load_without_history(db, lima_today())
                .await
                .expect("demo world");
            let at = tests::now() - Duration::days(3);
            let first_section = "(SELECT MIN(c.id) FROM section c JOIN school s \
                 ON s.id = c.school_id WHERE s.codigo_modular = '0412345')";
            let director = "(SELECT id FROM user_account WHERE username = 'director.demo')";
            let mut statements = vec![
                format!(
                    "INSERT INTO attendance_register (section_id, year, month, closed_at) \
                     VALUES ({first_section}, {}, {}, $1)",
                    last.year(),
                    last.month()
                ),
                format!("INSERT INTO acta (section_id, closed_at) VALUES ({first_section}, $1)"),
            ];
            for (id, status, reason) in [
                (1, "closed", "Registro: un retiro no registrado"),
                (2, "unfavorable", "Registro: una falta mal marcada"),
            ] {
                statements.push(format!(
                    "INSERT INTO register_modification (id, register_id, status, reason, \
                     requested_by, requested_at) SELECT {id}, id, '{status}', '{reason}', \
                     {director}, $1 FROM attendance_register"
                ));
            }
            for (id, status, reason) in [
                (1, "closed", "Acta: una nota mal digitada"),
                (2, "unfavorable", "Acta: una situación final equivocada"),
                (3, "requested", "Acta: un estudiante sin calificar"),
            ] {
                statements.push(format!(
                    "INSERT INTO acta_modification (id, acta_id, status, reason, requested_by, \
                     requested_at) SELECT {id}, id, '{status}', '{reason}', {director}, $1 \
                     FROM acta"
                ));
            }
            for sql in statements {
                db.execute_raw(sea_orm::Statement::from_sql_and_values(
                    db.get_database_backend(),
                    sql,
                    [at.into()],
                ))
                .await
                .expect("a request of the earlier schema");
            }
        },
    )
    .await;
    let director = app.login_as("director.demo").await;
    let nivel = app.login_as("nivel.demo").await;
    for (path, reason) in [
        (
            "/register-modifications/1",
            "Registro: un retiro no registrado",
        ),
        (
            "/register-modifications/2",
            "Registro: una falta mal marcada",
        ),
        ("/acta-modifications/1", "Acta: una nota mal digitada"),
        (
            "/acta-modifications/2",
            "Acta: una situación final equivocada",
        ),
        ("/acta-modifications/3", "Acta: un estudiante sin calificar"),
    ] {
        let (status, one) = app.get(path, &director).await;
        assert_eq!(status, StatusCode::OK, "{path}: {one}");
        assert_eq!(one["reason"], reason, "{path}");
    }
    let (status, _) = app.get("/register-modifications/3", &director).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, registers) = app.get("/register-modifications", &director).await;
    assert_eq!(registers["total"], 2, "{registers}");
    assert_eq!(registers["items"][0]["month"], last.month());
    let (_, actas) = app.get("/acta-modifications", &director).await;
    assert_eq!(actas["total"], 3, "{actas}");

    // A request of before the upgrade takes its next step under its number.
    let (status, opined) = app
        .post(
            "/acta-modifications/3/opinion",
            &nivel,
            json!({"favorable": false, "note": "Falta el registro auxiliar"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{opined}");
    assert_eq!(opined["id"], 3);
    assert_eq!(opined["status"], "unfavorable");

    // New requests follow each kind's last number.
    let section = app
        .scalar("SELECT CAST(section_id AS TEXT) FROM attendance_register ORDER BY id LIMIT 1")
        .await
        .unwrap();
    let (status, register) = app
        .post(
            &format!(
                "/sections/{section}/registers/{}/{}/modifications",
                last.year(),
                last.month()
            ),
            &director,
            json!({"reason": "Registro: un traslado sin registrar"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{register}");
    assert_eq!(register["id"], 3);
    let (status, acta) = app
        .post(
            &format!("/sections/{section}/acta/modifications"),
            &director,
            json!({"reason": "Acta: el estudiante ya tiene sus calificaciones"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{acta}");
    assert_eq!(acta["id"], 4);
    let (status, again) = app
        .post(
            &format!("/sections/{section}/acta/modifications"),
            &director,
            json!({"reason": "Acta: la misma solicitud otra vez"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(
        again["error"]["message"],
        "Ya hay una solicitud de modificación en curso para esta acta."
    );
}
