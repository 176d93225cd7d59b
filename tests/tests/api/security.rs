//! What an attacker tries: taking over an account of another jurisdiction, reading people by DNI,
//! keeping a session alive after it ended, guessing passwords.

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tests::{DEMO_PASSWORD, TestApp, code, demo, read, spawn_app, spawn_app_with};
use uuid::Uuid;

/// The demo teacher of San Ignacio (no e-mail) and the UGEL specialist (with e-mail).
const TEACHER: (&str, &str, [&str; 3]) = (
    "docente.demo",
    "40000006",
    ["Tarrillo", "Campos", "Rosa Elvira"],
);
const UGEL_OFFICIAL: (&str, &str, [&str; 3]) =
    ("ugel.demo", "40000003", ["Huamán", "Tello", "Oscar"]);
const JAEN_DIRECTOR: (&str, &str, [&str; 3]) =
    ("jaen.demo", "40000008", ["Llontop", "Delgado", "César"]);

async fn user_id(app: &TestApp, username: &str) -> i64 {
    app.scalar(&format!(
        "SELECT CAST(id AS TEXT) FROM user_account WHERE username = '{username}'"
    ))
    .await
    .unwrap()
    .parse()
    .unwrap()
}

async fn stored(app: &TestApp, username: &str) -> (String, Option<String>) {
    let hash = app
        .scalar(&format!(
            "SELECT password_hash FROM user_account WHERE username = '{username}'"
        ))
        .await
        .unwrap();
    let email = app
        .scalar(&format!(
            "SELECT p.email FROM person p JOIN user_account u ON u.person_id = p.id WHERE u.username = '{username}'"
        ))
        .await;
    (hash, email)
}

/// Registers a person as staff of an IE with the names given, answering status and body.
async fn register_staff(
    app: &TestApp,
    token: &str,
    school: i64,
    dni: &str,
    names: [&str; 3],
    email: Option<&str>,
) -> (StatusCode, Value) {
    app.post(
        &format!("/schools/{school}/staff"),
        token,
        json!({"dni": dni, "paternal_surname": names[0], "maternal_surname": names[1],
               "given_names": names[2], "email": email, "position": "teacher"}),
    )
    .await
}

/// A manager's reset of an account's password (`POST /users/{id}/password-reset`).
async fn reset_by(app: &TestApp, token: &str, user_id: i64) -> (StatusCode, Value) {
    app.post(
        &format!("/users/{user_id}/password-reset"),
        token,
        json!({}),
    )
    .await
}

async fn multipart(app: &TestApp, token: &str, fields: &[(&str, String)]) -> (StatusCode, Value) {
    app.file_request(token, fields, true).await
}

/// The victim's password, e-mail and live session are as they were.
async fn untouched(app: &TestApp, victim: &str, before: &(String, Option<String>), session: &str) {
    assert_eq!(
        &stored(app, victim).await,
        before,
        "{victim}'s password and e-mail"
    );
    let (status, _) = app.get("/me", session).await;
    assert_eq!(status, StatusCode::OK, "{victim}'s session still works");
    let (status, _) = read(app.login_response(victim, DEMO_PASSWORD).await).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{victim} still logs in with its password"
    );
}

#[tokio::test]
async fn a_director_of_another_ugel_cannot_take_over_a_teacher_by_giving_it_a_role() {
    let app = spawn_app().await;
    let attacker = app.login_as(JAEN_DIRECTOR.0).await;
    let victim_session = app.login_as(TEACHER.0).await;
    let before = stored(&app, TEACHER.0).await;
    let school = app.school_id(&attacker, demo::JAEN_PRIMARIA).await;
    let victim = user_id(&app, TEACHER.0).await;

    // Registering the teacher as staff and giving it a role in the attacker's IE is allowed …
    let (status, staff) = register_staff(
        &app,
        &attacker,
        school,
        TEACHER.1,
        TEACHER.2,
        Some("ataque@correo.pe"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{staff}");
    let (status, decision) = app
        .post(
            &format!("/schools/{school}/users"),
            &attacker,
            json!({"person_id": staff["person_id"], "role": "teacher"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{decision}");
    assert!(
        decision.get("credentials").is_none(),
        "no new password: {decision}"
    );

    // … but it does not make the account the attacker's to reset.
    let (status, error) = reset_by(&app, &attacker, victim).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert_eq!(code(&error), "not_sole_manager");
    assert!(error.get("temporary_password").is_none());

    // The planted e-mail was not stored: a reset link cannot reach the attacker.
    app.ask_password_reset(TEACHER.0).await;
    // The request is served after the answer and leaves no trace for an account without e-mail:
    // give it time, then deliver whatever it might have queued.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    app.deliver_mail().await;
    assert!(
        !app.delivered()
            .iter()
            .any(|m| m.contains("ataque@correo.pe")),
        "no e-mail to the planted address"
    );
    untouched(&app, TEACHER.0, &before, &victim_session).await;

    // The teacher's own director, who manages every role it holds, still can.
    let own_director = app.login_as("director.demo").await;
    let (status, error) = reset_by(&app, &own_director, victim).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the Jaén role is not its to manage: {error}"
    );
}

/// Someone who held a role elsewhere keeps its contact data from a director who registers its
/// DNI and names as staff, even once that role has ended.
#[tokio::test]
async fn a_former_officials_contact_is_not_shown_to_a_director_who_registers_it() {
    let app = spawn_app().await;
    let attacker = app.login_as(JAEN_DIRECTOR.0).await;
    let school = app.school_id(&attacker, demo::JAEN_PRIMARIA).await;
    app.db
        .execute_unprepared(&format!(
            "UPDATE role_assignment SET active = FALSE WHERE user_id = \
             (SELECT id FROM user_account WHERE username = '{}')",
            UGEL_OFFICIAL.0
        ))
        .await
        .unwrap();
    let (status, staff) = register_staff(
        &app,
        &attacker,
        school,
        UGEL_OFFICIAL.1,
        UGEL_OFFICIAL.2,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{staff}");
    let (status, listed) = app
        .get(&format!("/schools/{school}/staff"), &attacker)
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dni"] == UGEL_OFFICIAL.1)
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(row["email"].is_null(), "{row}");
    assert!(!listed.to_string().contains("ugel.demo@siagie.local"));
}

#[tokio::test]
async fn an_alta_for_an_existing_account_plants_no_e_mail_and_the_owner_is_told() {
    let app = spawn_app().await;
    let attacker = app.login_as(JAEN_DIRECTOR.0).await;
    let victim_session = app.login_as(UGEL_OFFICIAL.0).await;
    let before = stored(&app, UGEL_OFFICIAL.0).await;
    let school = app.school_id(&attacker, demo::JAEN_PRIMARIA).await;

    let (status, staff) = register_staff(
        &app,
        &attacker,
        school,
        UGEL_OFFICIAL.1,
        UGEL_OFFICIAL.2,
        Some("ataque@correo.pe"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{staff}");
    assert_eq!(
        staff["email"], "ataque@correo.pe",
        "the answer is what was sent"
    );
    assert!(!staff.to_string().contains("ugel.demo@siagie.local"));

    // An alta with another e-mail, approved by the attacker itself.
    let (status, request) = multipart(
        &app,
        &attacker,
        &[
            ("kind", "alta".into()),
            ("role", "secretary".into()),
            ("school_id", school.to_string()),
            ("dni", UGEL_OFFICIAL.1.into()),
            ("paternal_surname", UGEL_OFFICIAL.2[0].into()),
            ("maternal_surname", UGEL_OFFICIAL.2[1].into()),
            ("given_names", UGEL_OFFICIAL.2[2].into()),
            ("email", "ataque@correo.pe".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_i64().unwrap();
    let (status, decision) = app
        .post(
            &format!("/provisioning/requests/{id}/approve"),
            &attacker,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    assert!(!decision.to_string().contains("ugel.demo@siagie.local"));

    // The owner learns of the new role at its own address.
    let mail = app.mail_to("ugel.demo@siagie.local").await;
    assert!(mail.contains("Secretario"), "{mail}");

    let victim = user_id(&app, UGEL_OFFICIAL.0).await;
    let (status, error) = reset_by(&app, &attacker, victim).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    untouched(&app, UGEL_OFFICIAL.0, &before, &victim_session).await;
    assert!(
        !app.delivered()
            .iter()
            .any(|m| m.contains("ataque@correo.pe")),
        "nothing was sent to the planted address"
    );

    // The audit trail and the staff list of the attacker's IE do not show the stored contact.
    let (status, audit) = app
        .get(&format!("/audit?school_id={school}"), &attacker)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !audit.to_string().contains("ugel.demo@siagie.local"),
        "{audit}"
    );
    let (_, list) = app
        .get(&format!("/schools/{school}/staff"), &attacker)
        .await;
    assert!(
        !list.to_string().contains("ugel.demo@siagie.local"),
        "{list}"
    );
}

#[tokio::test]
async fn a_ugel_specialist_cannot_take_over_a_director_of_another_ugel() {
    let app = spawn_app().await;
    let attacker = app.login_as(UGEL_OFFICIAL.0).await;
    let victim_session = app.login_as(JAEN_DIRECTOR.0).await;
    let before = stored(&app, JAEN_DIRECTOR.0).await;
    let own_school = app.school_id(&attacker, demo::PRIMARIA).await;

    // A director alta in its own UGEL for the Jaén director's DNI, with another e-mail.
    let (status, request) = multipart(
        &app,
        &attacker,
        &[
            ("kind", "alta".into()),
            ("role", "director".into()),
            ("school_id", own_school.to_string()),
            ("dni", JAEN_DIRECTOR.1.into()),
            ("paternal_surname", JAEN_DIRECTOR.2[0].into()),
            ("maternal_surname", JAEN_DIRECTOR.2[1].into()),
            ("given_names", JAEN_DIRECTOR.2[2].into()),
            ("email", "ataque@correo.pe".into()),
            ("resolution_number", "RD 1-2026".into()),
            ("resolution_date", "2026-03-02".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    let id = request["id"].as_i64().unwrap();
    let (status, decision) = app
        .post(
            &format!("/provisioning/requests/{id}/approve"),
            &attacker,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decision}");
    let victim = user_id(&app, JAEN_DIRECTOR.0).await;
    let (status, error) = reset_by(&app, &attacker, victim).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    untouched(&app, JAEN_DIRECTOR.0, &before, &victim_session).await;
    app.mail_to("jaen.demo@siagie.local").await;
}

#[tokio::test]
async fn a_pronoei_coordinator_cannot_reach_an_account_of_another_ugel() {
    let app = spawn_app().await;
    let attacker = app.login_as("pronoei.demo").await;
    let victim_session = app.login_as(JAEN_DIRECTOR.0).await;
    let before = stored(&app, JAEN_DIRECTOR.0).await;
    let school = app.school_id(&attacker, demo::PRONOEI).await;
    let (status, staff) = register_staff(
        &app,
        &attacker,
        school,
        JAEN_DIRECTOR.1,
        JAEN_DIRECTOR.2,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{staff}");
    let (status, error) = app
        .post(
            &format!("/schools/{school}/users"),
            &attacker,
            json!({"person_id": staff["person_id"], "role": "teacher"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    let victim = user_id(&app, JAEN_DIRECTOR.0).await;
    let (status, _) = reset_by(&app, &attacker, victim).await;
    assert!(
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{status}"
    );
    untouched(&app, JAEN_DIRECTOR.0, &before, &victim_session).await;
}

#[tokio::test]
async fn a_dni_does_not_reveal_the_names_stored_for_it() {
    let app = spawn_app().await;
    let attacker = app.login_as(JAEN_DIRECTOR.0).await;
    let school = app.school_id(&attacker, demo::JAEN_PRIMARIA).await;
    let (status, error) = register_staff(
        &app,
        &attacker,
        school,
        TEACHER.1,
        ["Pérez", "Pérez", "Juan"],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let text = error.to_string();
    assert!(
        !text.contains("Tarrillo") && !text.contains("Rosa"),
        "{text}"
    );
    let (_, list) = app
        .get(&format!("/schools/{school}/staff"), &attacker)
        .await;
    assert!(!list.to_string().contains("Tarrillo"), "{list}");
    // Accents and case do not matter when the names are the right ones.
    let (status, staff) = register_staff(
        &app,
        &attacker,
        school,
        TEACHER.1,
        ["TARRILLO", "campos", "Rosa  Elvira"],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{staff}");
    assert_eq!(staff["paternal_surname"], "TARRILLO");
}

// ---- sessions ---------------------------------------------------------------------------------

async fn login(app: &TestApp, username: &str, device: Option<Uuid>) -> Value {
    let (status, body) = read(
        app.request(Method::POST, "/auth/login", None)
            .json(&json!({"username": username, "password": DEMO_PASSWORD, "device_id": device}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn access(session: &Value) -> &str {
    session["access_token"].as_str().unwrap()
}

async fn refresh(app: &TestApp, session: &Value, device: Option<Uuid>) -> (StatusCode, Value) {
    read(
        app.request(Method::POST, "/auth/refresh", None)
            .json(&json!({"refresh_token": session["refresh_token"], "device_id": device}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn refused(app: &TestApp, token: &str, what: &str) {
    let (status, body) = app.get("/me", token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
    assert_eq!(code(&body), "session_revoked", "{what}");
}

#[tokio::test]
async fn access_tokens_stop_at_once_when_their_session_ends() {
    let app = spawn_app().await;

    let session = login(&app, "director.demo", None).await;
    let (status, _) = app
        .post(
            "/auth/logout",
            access(&session),
            json!({"refresh_token": session["refresh_token"]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    refused(&app, access(&session), "after logout").await;

    let session = login(&app, "director.demo", None).await;
    let (status, rotated) = refresh(&app, &session, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = refresh(&app, &session, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "reuse detected");
    refused(&app, access(&rotated), "after a refresh token's reuse").await;

    let kept = login(&app, "director.demo", None).await;
    let other = login(&app, "director.demo", None).await;
    let (status, body) = app
        .post(
            "/me/password",
            access(&kept),
            json!({"current_password": DEMO_PASSWORD, "new_password": "Huamantanga.2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    refused(
        &app,
        access(&other),
        "another session after a password change",
    )
    .await;
    let (status, _) = app.get("/me", access(&kept)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the session that changed it goes on"
    );

    let teacher = login(&app, "docente.demo", None).await;
    let teacher_id = teacher["user"]["id"].as_i64().unwrap();
    let (status, _) = app
        .post(
            &format!("/users/{teacher_id}/password-reset"),
            access(&kept),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    refused(&app, access(&teacher), "after a reset by the manager").await;
}

#[tokio::test]
async fn a_revoked_tablet_cannot_pull_with_a_token_it_already_holds() {
    let app = spawn_app().await;
    let tablet = Uuid::new_v4();
    let session = login(&app, "docente.demo", Some(tablet)).await;
    let (status, _) = app.get("/sync/pull", access(&session)).await;
    assert_eq!(status, StatusCode::OK);
    let director = app.login_as("director.demo").await;
    let (status, _) = app
        .post(&format!("/devices/{tablet}/revoke"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app.get("/sync/pull", access(&session)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(!body.to_string().contains("students"));
}

#[tokio::test]
async fn a_session_is_bound_to_one_tablet() {
    let app = spawn_app().await;
    let c = app.classroom().await;
    let tablet = Uuid::new_v4();
    let session = login(&app, "docente.demo", Some(tablet)).await;
    let day = *c.academic_days.last().unwrap();
    let mark = tests::mark(
        &c.section_id,
        &c.students[0],
        day,
        "falta",
        "2026-01-01T08:00:00-05:00",
    );

    // A push naming another tablet is refused and records no phantom tablet.
    let phantom = Uuid::new_v4();
    let (status, body) = app
        .push(access(&session), &tests::batch(phantom, vec![mark.clone()]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(code(&body), "device_mismatch");
    let director = app.login_as("director.demo").await;
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let (_, devices) = app
        .get(&format!("/schools/{school}/devices"), &director)
        .await;
    assert!(
        !devices.to_string().contains(&phantom.to_string()),
        "{devices}"
    );

    // Its refresh token from another tablet ends the whole login.
    let (status, _) = refresh(&app, &session, Some(phantom)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    refused(
        &app,
        access(&session),
        "a stolen tablet token presented elsewhere",
    )
    .await;
    let (status, _) = refresh(&app, &session, Some(tablet)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the family is revoked");

    // A login without a tablet id is bound by its first batch.
    let web = login(&app, "docente.demo", None).await;
    let first = Uuid::new_v4();
    let (status, body) = app.push(access(&web), &tests::batch(first, vec![])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .push(access(&web), &tests::batch(Uuid::new_v4(), vec![]))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn a_tablet_of_another_ie_is_not_moved_by_logging_in_with_its_id() {
    let app = spawn_app().await;
    let tablet = Uuid::new_v4();
    login(&app, JAEN_DIRECTOR.0, Some(tablet)).await;
    let (status, body) = read(
        app.request(Method::POST, "/auth/login", None)
            .json(&json!({"username": "director.demo", "password": DEMO_PASSWORD, "device_id": tablet}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(code(&body), "device_other_school");
    let jaen = app.login_as(JAEN_DIRECTOR.0).await;
    let school = app.school_id(&jaen, demo::JAEN_PRIMARIA).await;
    let (_, devices) = app.get(&format!("/schools/{school}/devices"), &jaen).await;
    assert!(
        devices.to_string().contains(&tablet.to_string()),
        "{devices}"
    );
}

// ---- guessing passwords ------------------------------------------------------------------------

#[tokio::test]
async fn parallel_wrong_passwords_are_checked_no_more_than_the_limit() {
    let app = spawn_app().await;
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let request = app
                .request(Method::POST, "/auth/login", None)
                .json(&json!({"username": "director.demo", "password": "Equivocada.1"}));
            tokio::spawn(async move { request.send().await.unwrap().status() })
        })
        .collect();
    let mut checked = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        checked <= 5,
        "{checked} passwords were checked against a limit of 5"
    );
    let (status, _) = read(app.login_response("director.demo", DEMO_PASSWORD).await).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the account is locked"
    );
}

#[tokio::test]
async fn a_flood_of_logins_is_answered_429_instead_of_hashing_them_all() {
    let app = spawn_app_with(|c| c.auth.max_failed_logins_per_address = 10_000).await;
    let attempts: Vec<_> = (0..200)
        .map(|n| {
            let request = app
                .request(Method::POST, "/auth/login", None)
                .json(&json!({"username": format!("nadie{n}"), "password": "Equivocada.1"}));
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                let status = response.status();
                (status, response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut busy = 0;
    for attempt in attempts {
        let (status, body) = attempt.await.unwrap();
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
            "{status} {body}"
        );
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(code(&body), "server_busy");
            busy += 1;
        }
    }
    assert!(
        busy > 0,
        "some of 200 simultaneous logins wait for a later try"
    );
}

#[tokio::test]
async fn weak_new_passwords_and_the_temporary_one_are_refused() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let teacher = user_id(&app, TEACHER.0).await;
    let (status, credentials) = reset_by(&app, &director, teacher).await;
    assert_eq!(status, StatusCode::OK);
    let temporary = credentials["temporary_password"].as_str().unwrap();
    let (_, login) = read(app.login_response(TEACHER.0, temporary).await).await;
    let token = login["access_token"].as_str().unwrap();
    for (new, why) in [
        (temporary, "the temporary password itself"),
        ("Password123", "a most common password"),
        ("docente.demo2026", "contains the username"),
    ] {
        let (status, body) = app
            .post(
                "/me/password",
                token,
                json!({"current_password": temporary, "new_password": new}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {body}");
        assert!(
            body["error"]["fields"]["new_password"].is_string(),
            "{body}"
        );
    }
    let (status, _) = app
        .post(
            "/me/password",
            token,
            json!({"current_password": temporary, "new_password": "Chirinos.Aula7"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

/// An address typed by whoever registered a person first opens no account: had San Ignacio's
/// director been the attacker, a link sent there would have handed it the account Jaén opened.
/// The address serves once its owner, signed in, confirms it with a code sent there.
#[tokio::test]
async fn a_director_elsewhere_cannot_open_the_account_of_another_ies_staff_first() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let attacker = app.login_as(JAEN_DIRECTOR.0).await;
    let own = app.school_id(&director, demo::PRIMARIA).await;
    let jaen = app.school_id(&attacker, demo::JAEN_PRIMARIA).await;
    let names = ["Prueba", "Tres", "Carla"];

    // San Ignacio registers a new teacher, with an e-mail; she has no account yet.
    let (status, staff) = register_staff(
        &app,
        &director,
        own,
        "41111113",
        names,
        Some("carla@correo.pe"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{staff}");

    // Jaén registers the same person and opens her account: no password comes back …
    let (status, _) = register_staff(&app, &attacker, jaen, "41111113", names, None).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = app.get(&format!("/schools/{jaen}/staff"), &attacker).await;
    assert!(!list.to_string().contains("carla@correo.pe"), "{list}");
    let (status, decision) = app
        .post(
            &format!("/schools/{jaen}/users"),
            &attacker,
            json!({"person_id": staff["person_id"], "role": "teacher"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{decision}");
    assert!(decision.get("credentials").is_none(), "{decision}");
    assert!(
        decision["notice"]
            .as_str()
            .unwrap()
            .contains("no tiene un correo confirmado por ella"),
        "{decision}"
    );
    let account = decision["request"]["result_user_id"].as_i64().unwrap();
    let (status, error) = reset_by(&app, &attacker, account).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");

    // … and no link goes to the address San Ignacio typed, neither for the new account nor when
    // a reset is asked for with her username.
    app.ask_password_reset("41111113").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        app.mail_texts_to("carla@correo.pe").await.is_empty(),
        "no link to an address its owner did not confirm"
    );

    // The administrator, who manages both IEs, is told, with the page where it gives her a
    // temporary password.
    let told = app.mail_texts_to("admin.demo@siagie.local").await;
    assert!(
        told.iter()
            .any(|t| t.contains("se creó su usuario del SIAGIE: 41111113")
                && t.contains(&format!("/consola/personal?ie={jaen}"))),
        "{told:?}"
    );
    let admin = app.login_as("admin.demo").await;
    let (status, credentials) = reset_by(&app, &admin, account).await;
    assert_eq!(status, StatusCode::OK, "{credentials}");
    let temporary = credentials["temporary_password"].as_str().unwrap();
    let token = app
        .replace_temporary("41111113", temporary, "Chirinos.Aula7")
        .await;

    // Signed in, she confirms the address with her password and the code sent there.
    let (_, mine) = app.get("/me/email", &token).await;
    assert_eq!(mine["email"], "carla@correo.pe", "{mine}");
    assert_eq!(mine["confirmed"], false, "{mine}");
    let (status, error) = app
        .post(
            "/me/email",
            &token,
            json!({"email": "carla@correo.pe", "current_password": temporary}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error["error"]["fields"]["current_password"].is_string());
    let (status, sent) = app
        .post(
            "/me/email",
            &token,
            json!({"email": "Carla@Correo.pe", "current_password": "Chirinos.Aula7"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["pending"]["email"], "carla@correo.pe", "{sent}");
    assert_eq!(app.mail_texts_to("carla@correo.pe").await.len(), 1);
    let sent_code = app.e_mailed_code("carla@correo.pe").await;
    let wrong = if sent_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (status, error) = app
        .post("/me/email/confirm", &token, json!({"code": wrong}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(
        error["error"]["fields"]["code"]
            .as_str()
            .unwrap()
            .contains("le quedan 4 intentos"),
        "{error}"
    );
    // Another account cannot spend her code.
    let (status, error) = app
        .post("/me/email/confirm", &attacker, json!({"code": sent_code}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(code(&error), "email_code_expired");
    let (status, confirmed) = app
        .post("/me/email/confirm", &token, json!({"code": sent_code}))
        .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    assert_eq!(confirmed["confirmed"], true, "{confirmed}");
    assert!(confirmed["pending"].is_null(), "{confirmed}");
    let (status, _) = app
        .post("/me/email/confirm", &token, json!({"code": sent_code}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a code serves once");

    // Now a reset reaches her, and the administrator no longer hands out her password.
    app.ask_password_reset("41111113").await;
    app.wait_until_queued("carla@correo.pe").await;
    let told = app.mail_texts_to("carla@correo.pe").await;
    assert!(
        told.iter()
            .any(|t| t.contains("restablecer la contraseña") && t.contains("token=")),
        "{told:?}"
    );
    let (status, error) = reset_by(&app, &attacker, account).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
}

/// A director who opens an account first (it manages every place of the person then) and
/// confirms its own address there does not keep the account: the director who later gives the
/// person a role is told the account existed, and the administrator's reset takes it back, the
/// confirmed address with it.
#[tokio::test]
async fn a_kept_account_is_taken_back_by_the_administrator_address_and_all() {
    let app = spawn_app().await;
    let attacker = app.login_as(JAEN_DIRECTOR.0).await;
    let director = app.login_as("director.demo").await;
    let jaen = app.school_id(&attacker, demo::JAEN_PRIMARIA).await;
    let own = app.school_id(&director, demo::PRIMARIA).await;
    let names = ["Huamán", "Torres", "Luis"];
    let (_, staff) = register_staff(&app, &attacker, jaen, "71234562", names, None).await;
    let (status, opened) = app
        .post(
            &format!("/schools/{jaen}/users"),
            &attacker,
            json!({"person_id": staff["person_id"], "role": "teacher"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let temporary = opened["credentials"]["temporary_password"]
        .as_str()
        .unwrap()
        .to_owned();
    let account = opened["request"]["result_user_id"].as_i64().unwrap();
    let kept = app
        .replace_temporary("71234562", &temporary, "Tomada.Cuenta9")
        .await;
    app.confirm_email(&kept, "atacante@correo.pe", "Tomada.Cuenta9")
        .await;

    // San Ignacio gives the person a role: its director learns the account is not new.
    let (_, staff) = register_staff(&app, &director, own, "71234562", names, None).await;
    let (status, decision) = app
        .post(
            &format!("/schools/{own}/users"),
            &director,
            json!({"person_id": staff["person_id"], "role": "teacher"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{decision}");
    assert!(
        decision["notice"]
            .as_str()
            .unwrap()
            .contains("ya tenía usuario del SIAGIE"),
        "{decision}"
    );
    let (status, error) = reset_by(&app, &director, account).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");

    // The administrator resets it although its address is confirmed: the sessions end, and
    // the address no longer receives links. Its own password it changes, never resets.
    let admin = app.login_as("admin.demo").await;
    let (_, me) = app.get("/me", &admin).await;
    let (status, error) = reset_by(&app, &admin, me["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    let (status, credentials) = reset_by(&app, &admin, account).await;
    assert_eq!(status, StatusCode::OK, "{credentials}");
    let (status, _) = app.get("/me", &kept).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The address that was confirmed is told, with no password in the message.
    let told = app.mail_texts_to("atacante@correo.pe").await;
    let notice = told
        .iter()
        .find(|text| text.contains("dio una contraseña temporal"))
        .unwrap_or_else(|| panic!("{told:?}"));
    assert!(notice.contains("71234562"), "{notice}");
    let temporary = credentials["temporary_password"].as_str().unwrap();
    assert!(!notice.contains(temporary), "{notice}");
    let owner = app
        .replace_temporary("71234562", temporary, "Devuelta.Cuenta9")
        .await;
    let (_, mine) = app.get("/me/email", &owner).await;
    assert_eq!(mine["confirmed"], false, "{mine}");
    let before = app.mail_texts_to("atacante@correo.pe").await.len();
    app.ask_password_reset("71234562").await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.mail_texts_to("atacante@correo.pe").await.len(), before);
}

/// Wrong codes run out: after five, even the right one is refused, and a new code is asked for.
#[tokio::test]
async fn an_e_mail_code_allows_five_attempts() {
    let app = spawn_app().await;
    let token = app.login_as(TEACHER.0).await;
    let (status, sent) = app
        .post(
            "/me/email",
            &token,
            json!({"email": "docente.propio@correo.pe", "current_password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let (status, again) = app
        .post(
            "/me/email",
            &token,
            json!({"email": "otra@correo.pe", "current_password": DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{again}");
    assert_eq!(code(&again), "code_recently_sent");
    let code_sent = app.e_mailed_code("docente.propio@correo.pe").await;
    let wrong = if code_sent == "000000" {
        "111111"
    } else {
        "000000"
    };
    // Tried at once, they count all the same.
    let attempt = || app.post("/me/email/confirm", &token, json!({"code": wrong}));
    let tries = tokio::join!(attempt(), attempt(), attempt(), attempt(), attempt());
    for (status, body) in [tries.0, tries.1, tries.2, tries.3, tries.4] {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let (status, error) = app
        .post("/me/email/confirm", &token, json!({"code": code_sent}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(code(&error), "email_code_expired");
    let (_, mine) = app.get("/me/email", &token).await;
    assert!(mine["pending"].is_null(), "{mine}");
    assert_ne!(mine["email"], "docente.propio@correo.pe", "{mine}");
}

/// Two codes asked for at once: one is sent, the other is told to wait, and the code that counts
/// is the one e-mailed.
#[tokio::test]
async fn two_e_mail_codes_asked_at_once_send_one() {
    let app = spawn_app().await;
    let token = app.login_as(TEACHER.0).await;
    let ask = |email: &'static str| {
        app.post(
            "/me/email",
            &token,
            json!({"email": email, "current_password": DEMO_PASSWORD}),
        )
    };
    let (first, second) = tokio::join!(ask("primera@correo.pe"), ask("segunda@correo.pe"));
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::ACCEPTED, StatusCode::TOO_MANY_REQUESTS],
        "{} {}",
        first.1,
        second.1
    );
    let (sent_to, refused) = if first.0 == StatusCode::ACCEPTED {
        ("primera@correo.pe", second.1)
    } else {
        ("segunda@correo.pe", first.1)
    };
    assert_eq!(code(&refused), "code_recently_sent");
    let code_sent = app.e_mailed_code(sent_to).await;
    let (status, mine) = app
        .post("/me/email/confirm", &token, json!({"code": code_sent}))
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["email"], sent_to);
    assert_eq!(mine["confirmed"], true, "{mine}");

    // Confirming does not restart the minute: the next code waits for it, and says how long.
    let response = app
        .request(Method::POST, "/me/email", Some(&token))
        .json(&json!({"email": "tercera@correo.pe", "current_password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}

#[tokio::test]
async fn an_alta_for_an_existing_dni_must_carry_its_names() {
    let app = spawn_app().await;
    let ugel = app.login_as(UGEL_OFFICIAL.0).await;
    let school = app.school_id(&ugel, demo::SECUNDARIA).await;
    let (status, error) = multipart(
        &app,
        &ugel,
        &[
            ("kind", "alta".into()),
            ("role", "director".into()),
            ("school_id", school.to_string()),
            ("dni", "40000005".into()),
            ("paternal_surname", "Falso".into()),
            ("maternal_surname", "Nombre".into()),
            ("given_names", "Equis".into()),
            ("email", "ataque@correo.pe".into()),
            ("resolution_number", "RD 2-2026".into()),
            ("resolution_date", "2026-03-02".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error["error"]["fields"]["dni"].is_string());
    assert!(!error.to_string().contains("Guevara"));
}

/// The other way round: a director elsewhere registers a new person first, with its own e-mail,
/// and the person is then appointed by whoever decides there with the person's real e-mail. The
/// link to set the password goes to neither address: they disagree, and only the administrator,
/// who manages every account, opens it.
#[tokio::test]
async fn a_director_elsewhere_cannot_take_an_appointed_persons_account_by_registering_it_first() {
    let app = spawn_app().await;
    let attacker = app.login_as(JAEN_DIRECTOR.0).await;
    let ugel = app.login_as(UGEL_OFFICIAL.0).await;
    let jaen = app.school_id(&attacker, demo::JAEN_PRIMARIA).await;
    let school = app.school_id(&ugel, demo::SECUNDARIA).await;
    let names = ["Mendoza", "Paz", "Carlos"];
    let (status, staff) = register_staff(
        &app,
        &attacker,
        jaen,
        "48000001",
        names,
        Some("ataque@correo.pe"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{staff}");

    let (status, request) = multipart(
        &app,
        &ugel,
        &[
            ("kind", "alta".into()),
            ("role", "director".into()),
            ("school_id", school.to_string()),
            ("dni", "48000001".into()),
            ("paternal_surname", names[0].into()),
            ("maternal_surname", names[1].into()),
            ("given_names", names[2].into()),
            ("email", "cmendoza@correo.pe".into()),
            ("resolution_number", "RD 7-2026".into()),
            ("resolution_date", "2026-03-02".into()),
        ],
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
    assert!(decision.get("credentials").is_none(), "{decision}");
    assert!(
        decision["notice"]
            .as_str()
            .is_some_and(|n| n.contains("Administrador SIAGIE")),
        "{decision}"
    );
    for address in ["ataque@correo.pe", "cmendoza@correo.pe"] {
        let queued = app
            .scalar(&format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM mail_outbox \
                 WHERE to_address = '{address}' AND template = 'password_reset'"
            ))
            .await;
        assert_eq!(queued.as_deref(), Some("0"), "no link to {address}");
    }
}

/// A session taken without the password cannot guess it where a change asks for it: wrong
/// current passwords count as failed logins of the account, and lock it as they do.
#[tokio::test]
async fn the_current_password_asked_by_a_change_is_limited_like_a_login() {
    let app = spawn_app().await;
    let token = app.login_as("secundaria.demo").await;
    let mut statuses = Vec::new();
    for n in 0..6 {
        let (status, _) = app
            .post(
                "/me/email",
                &token,
                json!({"email": "otra@correo.pe", "current_password": format!("Intento.{n}x")}),
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(statuses[0], StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let (status, _) = app
        .post(
            "/me/password",
            &token,
            json!({"current_password": DEMO_PASSWORD, "new_password": "Nueva.Clave2026"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked for changes too"
    );
    let (status, _) = read(app.login_response("secundaria.demo", DEMO_PASSWORD).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "and for logins");
}

/// A confirmed address that is replaced is told where the links go now.
#[tokio::test]
async fn the_address_replaced_is_told_of_the_change() {
    let app = spawn_app().await;
    let token = app.login_as("secundaria.demo").await;
    let (_, mine) = app.get("/me/email", &token).await;
    assert_eq!(mine["confirmed"], true, "{mine}");
    let old = mine["email"].as_str().unwrap().to_owned();
    app.post(
        "/me/email",
        &token,
        json!({"email": "nueva.direccion@correo.pe", "current_password": DEMO_PASSWORD}),
    )
    .await;
    let sent_code = app.e_mailed_code("nueva.direccion@correo.pe").await;
    assert!(
        app.mail_texts_to(&old).await.is_empty(),
        "nothing changes before the code"
    );
    let (status, _) = app
        .post("/me/email/confirm", &token, json!({"code": sent_code}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let told = app.mail_texts_to(&old).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains("n***@correo.pe"), "{}", told[0]);
    assert!(!told[0].contains("nueva.direccion"), "{}", told[0]);
}
