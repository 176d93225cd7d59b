//! The authorization matrix of every endpoint of the OpenAPI document: each demo role, inside and
//! outside its jurisdiction. An endpoint without a case here fails the test, so that no endpoint
//! is added without saying who may call it.

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, Duration};
use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};
use tests::{DEMO_PASSWORD, TestApp, demo, lima_today, read, spawn_app};
use uuid::Uuid;

const ACCOUNTS: [&str; 8] = [
    "admin.demo",
    "agente.demo",
    "ugel.demo",
    "nivel.demo",
    "director.demo",
    "docente.demo",
    "pronoei.demo",
    "jaen.demo",
];

/// What one account gets: `a` allowed (any answer but 401, 403 and 404, never a 5xx), `x`
/// refused (403 or 404), `p` public (no sign-in needed; any answer but a 5xx).
type Expect = &'static str;

/// The ids a case's path and body are built from, all in the San Ignacio primary IE of the
/// demo world unless named otherwise.
struct World {
    tokens: HashMap<&'static str, String>,
    year: i32,
    month: u32,
    last_month: (i32, u32),
    school: i64,
    ugel: i64,
    dre: i64,
    jaen_school: i64,
    taught: i64,
    not_taught: i64,
    enrollment: i64,
    student: i64,
    student_dni: String,
    teacher_person: i64,
    staff_person: i64,
    staff_account: i64,
    request: i64,
    modification: i64,
    acta_modification: i64,
    /// A regularization of a section of last year the IE recorded late, waiting for the UGEL.
    regularization: i64,
    area: i64,
    device: Uuid,
    starts_on: chrono::NaiveDate,
    certificates: CertificateWorld,
    // Help desk
    helpdesk: Helpdesk,
}

async fn world(app: &TestApp) -> World {
    let mut tokens = HashMap::new();
    for account in ACCOUNTS {
        tokens.insert(account, app.login_as(account).await);
    }
    let director = tokens["director.demo"].clone();
    let school = app.school_id(&director, demo::PRIMARIA).await;
    let jaen_school = app
        .school_id(&tokens["admin.demo"], demo::JAEN_PRIMARIA)
        .await;
    let (_, me) = app.get("/me", &tokens["docente.demo"]).await;
    let taught = me["sections"][0].as_i64().unwrap();
    let teacher_person = me["person_id"].as_i64().unwrap();
    let not_taught = app
        .sections(&director, school)
        .await
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .find(|id| !me["sections"].as_array().unwrap().iter().any(|t| t == id))
        .unwrap();
    let (_, ugel_me) = app.get("/me", &tokens["ugel.demo"]).await;
    let ugel = ugel_me["roles"][0]["ugel_id"].as_i64().unwrap();
    let dre = ugel_me["roles"][0]["dre_id"].as_i64().unwrap();
    let (_, roster) = app
        .get(&format!("/sections/{taught}/students"), &director)
        .await;
    let enrollment = roster[0]["enrollment_id"].as_i64().unwrap();
    let student = roster[0]["student_id"].as_i64().unwrap();
    let student_dni = roster[0]["dni"].as_str().unwrap().to_owned();
    let second_dni = roster[1]["dni"].as_str().unwrap().to_owned();
    let (_, years) = app.get("/academic-years", &director).await;
    let year = years[0]["year"].as_i64().unwrap() as i32;
    let starts_on =
        chrono::NaiveDate::parse_from_str(years[0]["starts_on"].as_str().unwrap(), "%Y-%m-%d")
            .unwrap();
    let today = lima_today();
    let last = today.with_day(1).unwrap() - Duration::days(1);

    // A staff account without e-mail, managed only by the IE's director.
    let (_, staff) = app
        .post(
            &format!("/schools/{school}/staff"),
            &director,
            json!({"dni": "47770001", "paternal_surname": "Vásquez", "maternal_surname": "Rojas",
                   "given_names": "Brayan", "position": "teacher"}),
        )
        .await;
    let (_, decision) = app
        .post(
            &format!("/schools/{school}/users"),
            &director,
            json!({"person_id": staff["person_id"], "role": "teacher"}),
        )
        .await;
    let staff_account = decision["request"]["result_user_id"].as_i64().unwrap();

    // A pending alta the director decides.
    let (_, other) = app
        .post(
            &format!("/schools/{school}/staff"),
            &director,
            json!({"dni": "47770002", "paternal_surname": "Cubas", "maternal_surname": "Díaz",
                   "given_names": "Lucía", "position": "secretary"}),
        )
        .await;
    assert!(other["person_id"].is_i64(), "{other}");
    let (status, request) = multipart(
        app,
        &director,
        &[
            ("kind", "alta".into()),
            ("role", "secretary".into()),
            ("school_id", school.to_string()),
            ("dni", "47770002".into()),
            ("paternal_surname", "Cubas".into()),
            ("maternal_surname", "Díaz".into()),
            ("given_names", "Lucía".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");

    // Last month closed, with a modification asked.
    let register = format!(
        "/sections/{taught}/registers/{}/{}",
        last.year(),
        last.month()
    );
    app.post(
        &format!("{register}/complete"),
        &director,
        json!({"up_to_day": last.day()}),
    )
    .await;
    let (status, closed) = app
        .post(&format!("{register}/close"), &director, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    let (status, modification) = app
        .post(
            &format!("{register}/modifications"),
            &director,
            json!({"reason": "Corrección de un retiro"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{modification}");

    // Last year's closed acta of the IE, with a modification asked.
    let (_, past) = app
        .get(
            &format!("/schools/{school}/sections?year={}", year - 1),
            &director,
        )
        .await;
    let past = past[0]["id"].as_i64().expect("a section of last year");
    let (status, acta_modification) = app
        .post(
            &format!("/sections/{past}/acta/modifications"),
            &director,
            json!({"reason": "Corrección de una calificación mal digitada"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{acta_modification}");
    let (_, areas) = app
        .get("/curricular-areas?level=secundaria", &director)
        .await;
    let area = areas[0]["id"].as_i64().unwrap();

    // A tablet of the IE.
    let device = Uuid::new_v4();
    let (status, _) = read(
        app.request(Method::POST, "/auth/login", None)
            .json(&json!({"username": "docente.demo", "password": DEMO_PASSWORD, "device_id": device}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let regularization = regularization(app, &director, school, year - 1).await;
    let certificates = certificate_world(app, &director, school, [&student_dni, &second_dni]).await;
    let helpdesk = helpdesk(app, &director, &tokens["admin.demo"]).await;
    World {
        certificates,
        tokens,
        year,
        month: today.month(),
        last_month: (last.year(), last.month()),
        school,
        ugel,
        dre,
        jaen_school,
        taught,
        not_taught,
        enrollment,
        student,
        student_dni,
        teacher_person,
        staff_person: staff["person_id"].as_i64().unwrap(),
        staff_account,
        request: request["id"].as_i64().unwrap(),
        modification: modification["id"].as_i64().unwrap(),
        acta_modification: acta_modification["id"].as_i64().unwrap(),
        regularization,
        area,
        device,
        starts_on,
        helpdesk,
    }
}

/// A section of `year` (ended) created now, with one student, its acta closed and its
/// regularization asked for.
async fn regularization(app: &TestApp, director: &str, school: i64, year: i32) -> i64 {
    let (_, grades) = app.get("/grades", director).await;
    let grade = grades
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["level"] == "primaria" && g["ordinal"] == 2)
        .unwrap()["id"]
        .clone();
    let (status, section) = app
        .post(
            &format!("/schools/{school}/sections"),
            director,
            json!({"academic_year": year, "grade_id": grade, "name": "R"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{section}");
    let section = section["id"].as_i64().unwrap();
    let (status, body) = app
        .post(
            &format!("/sections/{section}/students"),
            director,
            json!({"document": "47770077", "paternal_surname": "Mego", "maternal_surname": "Tapia",
                   "given_names": "Iris", "starts_on": format!("{year}-04-01")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, acta) = app
        .get(&format!("/sections/{section}/acta"), director)
        .await;
    let student = acta["students"][0]["enrollment_id"].clone();
    let grades: Vec<Value> = acta["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!({"enrollment_id": student, "area_id": a["id"], "value": "A"}))
        .collect();
    app.put(
        &format!("/sections/{section}/acta/grades"),
        director,
        json!({ "grades": grades }),
    )
    .await;
    app.put(
        &format!("/sections/{section}/acta/situations"),
        director,
        json!({"situations": [{"enrollment_id": student}]}),
    )
    .await;
    let (status, body) = app
        .post(
            &format!("/sections/{section}/acta/close"),
            director,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, asked) = app
        .post(
            &format!("/sections/{section}/regularization"),
            director,
            json!({"reason": "Acta registrada fuera de plazo", "document": "Oficio N.° 12-2027"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    asked["id"].as_i64().unwrap()
}

// Help desk
/// A ticket the director filed with a file, still at N1, a published article, and a holiday of
/// the help-desk calendar with the SQL that puts it back once deleted.
struct Helpdesk {
    ticket: i64,
    attachment: i64,
    article: i64,
    holiday: i64,
    restore_holiday: String,
}

async fn helpdesk(app: &TestApp, director: &str, admin: &str) -> Helpdesk {
    let form = Form::new()
        .text("email", "ie16471@siagie.local")
        .text("cell_phone", "987654321")
        .text("topic", "acceso")
        .text("comment", "No puedo ingresar al SIAGIE")
        .part(
            "attachment",
            Part::bytes(tests::minimal_pdf()).file_name("captura.pdf"),
        );
    let (status, ticket) = read(
        app.request(Method::POST, "/helpdesk/tickets", Some(director))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let (_, articles) = app.get("/helpdesk/articles", director).await;
    let date = format!("{}-11-11", lima_today().year() + 1);
    let (status, holiday) = app
        .post(
            "/helpdesk/holidays",
            admin,
            json!({"date": date, "description": "Feriado de prueba"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{holiday}");
    let holiday = holiday["id"].as_i64().unwrap();
    Helpdesk {
        ticket: ticket["id"].as_i64().unwrap(),
        attachment: ticket["attachments"][0]["id"].as_i64().unwrap(),
        article: articles[0]["id"].as_i64().unwrap(),
        holiday,
        restore_holiday: format!(
            "INSERT INTO helpdesk_holiday (id, date, dre_id, description) \
             SELECT {holiday}, '{date}', NULL, 'Feriado de prueba' \
             WHERE NOT EXISTS (SELECT 1 FROM helpdesk_holiday WHERE id = {holiday})"
        ),
    }
}

/// A typed-in year of primary with four areas, all with the same grade.
fn certificate_year(year: i32, grade: &str) -> Value {
    let areas: Vec<Value> = ["Matemática", "Comunicación", "Arte", "Personal Social"]
        .iter()
        .map(|a| json!({"area": a, "scale": "literal", "value": grade}))
        .collect();
    json!({"year": year, "grade": "1.º", "codigo_modular": "0412345-0", "situation": "promovido", "areas": areas})
}

/// Certificates of the IE for the cases: pending requests and two issued certificates (of two
/// students: one valid certificate per student and level).
struct CertificateWorld {
    /// Pending, with a complete typed-in year (saved, previewed, then issued).
    request: i64,
    /// Pending (rejected).
    to_reject: i64,
    /// Issued (annulled).
    to_annul: i64,
    /// Issued (corrected).
    to_correct: i64,
    code: String,
}

async fn certificate_world(
    app: &TestApp,
    director: &str,
    school: i64,
    dnis: [&str; 2],
) -> CertificateWorld {
    let year = certificate_year(2011, "A");
    let mut ids = Vec::new();
    for i in 0..4 {
        let dni = dnis[usize::from(i == 3)];
        let (status, request) = app
            .post(
                "/certificate-requests",
                director,
                json!({"school_id": school, "document": dni, "years": [year.clone()]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{request}");
        ids.push(request["id"].as_i64().unwrap());
    }
    let mut issued = Vec::new();
    for id in &ids[2..] {
        let (status, certificate) = app
            .post(
                &format!("/certificate-requests/{id}/issue"),
                director,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{certificate}");
        issued.push(certificate);
    }
    CertificateWorld {
        request: ids[0],
        to_reject: ids[1],
        to_annul: issued[0]["id"].as_i64().unwrap(),
        to_correct: issued[1]["id"].as_i64().unwrap(),
        code: issued[0]["virtual_code"].as_str().unwrap().to_owned(),
    }
}

async fn multipart(app: &TestApp, token: &str, fields: &[(&str, String)]) -> (StatusCode, Value) {
    app.file_request(token, fields, true).await
}

/// How a case sends its body.
enum Body {
    None,
    Json(Value),
    Csv(String),
    /// A provisioning request as a multipart form, with a resolution file.
    Form(Vec<(&'static str, String)>),
}

struct Case {
    /// Sent by the director before each account's attempt (to restore what an attempt removed).
    before: Option<(Method, String, Value)>,
    /// Run on the database before each account's attempt, when no request can restore what an
    /// attempt removed with the same id.
    restore: Option<String>,
    method: Method,
    /// The path as the OpenAPI document names it.
    template: &'static str,
    path: String,
    body: Body,
    expect: Expect,
}

fn case(method: Method, template: &'static str, path: String, body: Body, expect: Expect) -> Case {
    Case {
        before: None,
        restore: None,
        method,
        template,
        path,
        body,
        expect,
    }
}

/// Every endpoint, with what each account (in the order of [`ACCOUNTS`]) gets.
fn cases(w: &World) -> Vec<Case> {
    use Method as M;
    let (y, m) = (w.year, w.month);
    let (ly, lm) = w.last_month;
    let s = w.school;
    let t = w.taught;
    let n = w.not_taught;
    let reg = |section: i64| format!("/sections/{section}/registers/{ly}/{lm}");
    let j = |v: Value| Body::Json(v);
    // Help desk
    let hd = |rest: &str, w: &World| format!("/helpdesk/tickets/{}{rest}", w.helpdesk.ticket);
    #[rustfmt::skip]
    let cases = vec![
        //                                                                                                       admin agente ugel nivel dir doc pron jaen
        case(M::GET, "/health/live", "/health/live".into(), Body::None, "pppppppp"),
        case(M::GET, "/health/ready", "/health/ready".into(), Body::None, "pppppppp"),
        case(M::POST, "/auth/login", "/auth/login".into(), j(json!({"username": "nadie", "password": "x"})), "pppppppp"),
        case(M::POST, "/auth/refresh", "/auth/refresh".into(), j(json!({"refresh_token": "x"})), "pppppppp"),
        case(M::POST, "/auth/logout", "/auth/logout".into(), j(json!({"refresh_token": "x"})), "pppppppp"),
        case(M::POST, "/auth/password-reset", "/auth/password-reset".into(), j(json!({"username": "nadie"})), "pppppppp"),
        case(M::POST, "/auth/password-reset/confirm", "/auth/password-reset/confirm".into(), j(json!({"token": "x", "new_password": "Segura.2026x"})), "pppppppp"),
        case(M::GET, "/me", "/me".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/me/password", "/me/password".into(), j(json!({"current_password": "equivocada", "new_password": "Otra.Clave2026"})), "aaaaaaaa"),
        case(M::GET, "/me/email", "/me/email".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/me/email", "/me/email".into(), j(json!({"email": "propio@correo.pe", "current_password": "equivocada"})), "aaaaaaaa"),
        case(M::POST, "/me/email/confirm", "/me/email/confirm".into(), j(json!({"code": "123456"})), "aaaaaaaa"),
        case(M::GET, "/dres", "/dres".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/dres", "/dres".into(), j(json!({"code": "DRE-MX", "name": "DRE Matriz"})), "axxxxxxx"),
        case(M::GET, "/ugels", "/ugels".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/ugels", "/ugels".into(), j(json!({"dre_id": w.dre, "code": "UGEL-MX", "name": "UGEL Matriz"})), "axxxxxxx"),
        case(M::GET, "/schools", "/schools".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/schools", "/schools".into(), j(json!({"ugel_id": w.ugel, "codigo_modular": "0999999", "anexo": 0, "name": "IE Matriz", "level": "primaria", "modality": "ebr", "management": "publica", "is_pronoei": false, "centro_poblado": "Chirinos", "district": "Chirinos"})), "axxxxxxx"),
        case(M::GET, "/schools/{id}", format!("/schools/{s}"), Body::None, "aaaaaaxx"),
        case(M::GET, "/schools/{id}/sections", format!("/schools/{s}/sections"), Body::None, "axaaaaxx"),
        case(M::POST, "/schools/{id}/sections", format!("/schools/{s}/sections"), j(json!({"academic_year": y, "grade_id": 1, "name": "M"})), "axxxaxxx"),
        case(M::GET, "/schools/{id}/staff", format!("/schools/{s}/staff"), Body::None, "axxxaxxx"),
        case(M::POST, "/schools/{id}/staff", format!("/schools/{s}/staff"), j(json!({"dni": "47770009", "paternal_surname": "Ruiz", "maternal_surname": "Paz", "given_names": "Eva", "position": "assistant"})), "axxxaxxx"),
        case(M::POST, "/schools/{id}/users", format!("/schools/{s}/users"), j(json!({"person_id": w.teacher_person, "role": "assistant"})), "xxxxaxxx"),
        case(M::GET, "/schools/{id}/devices", format!("/schools/{s}/devices"), Body::None, "axxxaxxx"),
        case(M::GET, "/grades", "/grades".into(), Body::None, "aaaaaaaa"),
        case(M::GET, "/academic-years", "/academic-years".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/academic-years", "/academic-years".into(), j(json!({"year": y + 3, "starts_on": format!("{}-03-01", y + 3), "ends_on": format!("{}-12-20", y + 3)})), "axxxxxxx"),
        case(M::GET, "/academic-years/{year}/calendar", format!("/academic-years/{y}/calendar?school_id={s}"), Body::None, "aaaaaaxx"),
        case(M::POST, "/academic-years/{year}/calendar", format!("/academic-years/{y}/calendar"), j(json!({"date": w.starts_on, "description": "Aniversario", "school_id": s})), "axaxaxxx"),
        case(M::GET, "/sections/{id}", format!("/sections/{n}"), Body::None, "axaaaxxx"),
        case(M::GET, "/sections/{id}/students", format!("/sections/{t}/students"), Body::None, "axaaaaxx"),
        case(M::POST, "/sections/{id}/students", format!("/sections/{n}/students"), j(json!({"document": "71230001", "paternal_surname": "Ríos", "maternal_surname": "Paz", "given_names": "Leo", "starts_on": w.starts_on})), "axxxaxxx"),
        case(M::POST, "/sections/{id}/roster", format!("/sections/{n}/roster"), Body::Csv(format!("documento,apellido_paterno,apellido_materno,nombres,fecha_nacimiento,sexo,fecha_matricula\n71230002,Ríos,Paz,Ana,2018-01-02,M,{}\n", w.starts_on)), "axxxaxxx"),
        case(M::PATCH, "/enrollments/{id}", format!("/enrollments/{}", w.enrollment), j(json!({"status": "expulsado"})), "axxxaxxx"),
        case(M::GET, "/sections/{id}/teachers", format!("/sections/{t}/teachers"), Body::None, "axaaaaxx"),
        case(M::POST, "/sections/{id}/teachers", format!("/sections/{n}/teachers"), j(json!({"person_id": w.staff_person})), "axxxaxxx"),
        case(M::DELETE, "/sections/{id}/teachers/{person_id}", format!("/sections/{n}/teachers/{}", w.staff_person), Body::None, "axxxaxxx"),
        case(M::GET, "/sections/{id}/registers/{year}/{month}", format!("/sections/{t}/registers/{y}/{m}"), Body::None, "axaaaaxx"),
        case(M::GET, "/sections/{id}/registers/{year}/{month}/pdf", format!("/sections/{n}/registers/{y}/{m}/pdf"), Body::None, "axaaaxxx"),
        case(M::PUT, "/sections/{id}/registers/{year}/{month}/cells", format!("/sections/{t}/registers/{y}/{m}/cells"), j(json!({"cells": []})), "xxxxaaxx"),
        case(M::POST, "/sections/{id}/registers/{year}/{month}/complete", format!("/sections/{n}/registers/{y}/{m}/complete"), j(json!({"up_to_day": 1})), "xxxxaxxx"),
        case(M::POST, "/sections/{id}/registers/{year}/{month}/close", format!("{}/close", reg(n)), Body::None, "xxxxaxxx"),
        case(M::GET, "/sections/{id}/registers/{year}/{month}/held", format!("{}/held", reg(t)), Body::None, "xxxxaxxx"),
        case(M::POST, "/sections/{id}/registers/{year}/{month}/held/apply", format!("{}/held/apply", reg(t)), j(json!({"mark_ids": []})), "xxxxaxxx"),
        case(M::POST, "/sections/{id}/registers/{year}/{month}/held/dismiss", format!("{}/held/dismiss", reg(t)), j(json!({"mark_ids": []})), "xxxxaxxx"),
        case(M::POST, "/sections/{id}/registers/{year}/{month}/modifications", format!("{}/modifications", reg(t)), j(json!({"reason": "Otra corrección pendiente"})), "xxxxaxxx"),
        case(M::GET, "/register-modifications", "/register-modifications".into(), Body::None, "axaaaxaa"),
        case(M::GET, "/register-modifications/{id}", format!("/register-modifications/{}", w.modification), Body::None, "axaaaxxx"),
        case(M::POST, "/register-modifications/{id}/opinion", format!("/register-modifications/{}/opinion", w.modification), j(json!({"favorable": true})), "xxxaxxxx"),
        case(M::POST, "/register-modifications/{id}/enable", format!("/register-modifications/{}/enable", w.modification), j(json!({"until": tests::now() + Duration::days(2)})), "xxaxxxxx"),
        case(M::GET, "/curricular-areas", "/curricular-areas?level=primaria".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/curricular-areas", "/curricular-areas".into(), j(json!({"level": "secundaria", "code": "ROB", "name": "Taller de robótica", "kind": "taller", "scale": "literal", "from_year": 2040})), "axxxxxxx"),
        case(M::PATCH, "/curricular-areas/{id}", format!("/curricular-areas/{}", w.area), j(json!({"position": 1})), "axxxxxxx"),
        case(M::PUT, "/sections/{id}/teachers/{person_id}/areas", format!("/sections/{t}/teachers/{}/areas", w.teacher_person), j(json!({"area_ids": []})), "axxxaxxx"),
        case(M::GET, "/sections/{id}/acta", format!("/sections/{t}/acta"), Body::None, "axaaaaxx"),
        case(M::GET, "/sections/{id}/acta/pdf", format!("/sections/{t}/acta/pdf"), Body::None, "axaaaaxx"),
        case(M::PUT, "/sections/{id}/acta/grades", format!("/sections/{t}/acta/grades"), j(json!({"grades": []})), "xxxxaaxx"),
        case(M::POST, "/sections/{id}/acta/grades", format!("/sections/{t}/acta/grades"), Body::Csv("documento\n".into()), "xxxxaaxx"),
        case(M::PUT, "/sections/{id}/acta/situations", format!("/sections/{t}/acta/situations"), j(json!({"situations": []})), "xxxxaxxx"),
        case(M::POST, "/sections/{id}/acta/close", format!("/sections/{n}/acta/close"), Body::None, "xxxxaxxx"),
        case(M::PUT, "/sections/{id}/acta/recovery", format!("/sections/{t}/acta/recovery"), j(json!({"students": [{"enrollment_id": 1, "grades": []}]})), "xxxxaxxx"),
        case(M::POST, "/sections/{id}/acta/modifications", format!("/sections/{t}/acta/modifications"), j(json!({"reason": "Otra corrección pendiente"})), "xxxxaxxx"),
        case(M::GET, "/acta-modifications", "/acta-modifications".into(), Body::None, "axaaaxaa"),
        case(M::GET, "/acta-modifications/{id}", format!("/acta-modifications/{}", w.acta_modification), Body::None, "axaaaxxx"),
        case(M::POST, "/acta-modifications/{id}/opinion", format!("/acta-modifications/{}/opinion", w.acta_modification), j(json!({"favorable": true})), "xxxaxxxx"),
        case(M::POST, "/acta-modifications/{id}/enable", format!("/acta-modifications/{}/enable", w.acta_modification), j(json!({"until": tests::now() + Duration::days(2)})), "xxaxxxxx"),
        case(M::GET, "/students/record", format!("/students/record?document={}", w.student_dni), Body::None, "axaaaxxx"),
        case(M::POST, "/sections/{id}/regularization", format!("/sections/{t}/regularization"), j(json!({"reason": "Nada que regularizar aquí", "document": "Oficio N.° 1"})), "xxxxaxxx"),
        case(M::GET, "/regularizations", "/regularizations".into(), Body::None, "axaaaxaa"),
        case(M::GET, "/regularizations/{id}", format!("/regularizations/{}", w.regularization), Body::None, "axaaaxxx"),
        case(M::POST, "/regularizations/{id}/decision", format!("/regularizations/{}/decision", w.regularization), j(json!({"approved": true})), "xxaxxxxx"),
        case(M::GET, "/registers", format!("/registers?school_id={s}&year={y}&month={m}"), Body::None, "axaaaaxx"),
        case(M::GET, "/exports/attendance", format!("/exports/attendance?ugel_id={}&year={y}&month={m}", w.ugel), Body::None, "axaaxxxx"),
        case(M::GET, "/audit", format!("/audit?school_id={s}"), Body::None, "axaxaxxx"),
        case(M::GET, "/provisioning/requests", "/provisioning/requests".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/provisioning/requests", "/provisioning/requests".into(), Body::Form(vec![("kind", "alta".into()), ("role", "assistant".into()), ("school_id", s.to_string()), ("dni", "47770009".into()), ("paternal_surname", "Ruiz".into()), ("maternal_surname", "Paz".into()), ("given_names", "Eva".into())]), "xxxxaxxx"),
        case(M::GET, "/provisioning/requests/{id}", format!("/provisioning/requests/{}", w.request), Body::None, "xxxxaxxx"),
        case(M::GET, "/provisioning/requests/{id}/resolution", format!("/provisioning/requests/{}/resolution", w.request), Body::None, "xxxxaxxx"),
        case(M::POST, "/provisioning/requests/{id}/reject", format!("/provisioning/requests/{}/reject", w.request), j(json!({"reason": "Falta la resolución firmada"})), "xxxxaxxx"),
        case(M::POST, "/provisioning/requests/{id}/approve", format!("/provisioning/requests/{}/approve", w.request), Body::None, "xxxxaxxx"),
        case(M::POST, "/users/{id}/password-reset", format!("/users/{}/password-reset", w.staff_account), Body::None, "axxxaxxx"),
        case(M::GET, "/sync/pull", "/sync/pull".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/sync/push", "/sync/push".into(), j(json!({"contract_version": 1, "device_id": Uuid::nil(), "batch_id": Uuid::new_v4(), "marks": [{"mark_id": Uuid::new_v4(), "section_id": t.to_string(), "student_id": w.student.to_string(), "date": lima_today() - Duration::days(1), "status": "asistio", "recorded_at": "2026-01-01T08:00:00-05:00"}]})), "aaaaaaaa"),
        case(M::POST, "/devices/{id}/revoke", format!("/devices/{}/revoke", w.device), Body::None, "axxxaxxx"),
        case(M::GET, "/schools/{id}", format!("/schools/{}", w.jaen_school), Body::None, "aaxxxxxa"),
        case(M::GET, "/accounts", format!("/accounts?school_id={s}"), Body::None, "axaaaxxx"),
        case(M::GET, "/accounts", format!("/accounts?ugel_id={}", w.ugel), Body::None, "axaaxxxx"),
        // Answered to everyone: a student outside the caller's reach is an empty list (checked in
        // the registry tests), so that the answer never tells whether a document exists.
        case(M::GET, "/students", format!("/students?document={}", w.student_dni), Body::None, "aaaaaaaa"),
        // Certificates: the IE's director (and staff it grants the right to); verification and
        // public requests are open to anyone.
        case(M::POST, "/certificate-requests", "/certificate-requests".into(), j(json!({"school_id": s, "document": w.student_dni, "years": []})), "xxxxaxxx"),
        case(M::GET, "/certificate-requests", format!("/certificate-requests?school_id={s}"), Body::None, "xxxxaxxx"),
        case(M::GET, "/certificate-requests/{id}", format!("/certificate-requests/{}", w.certificates.request), Body::None, "xxxxaxxx"),
        case(M::PUT, "/certificate-requests/{id}/years", format!("/certificate-requests/{}/years", w.certificates.request), j(json!({"years": [certificate_year(2012, "B")]})), "xxxxaxxx"),
        case(M::GET, "/certificate-requests/{id}/preview", format!("/certificate-requests/{}/preview", w.certificates.request), Body::None, "xxxxaxxx"),
        case(M::POST, "/certificate-requests/{id}/issue", format!("/certificate-requests/{}/issue", w.certificates.request), Body::None, "xxxxaxxx"),
        case(M::POST, "/certificate-requests/{id}/reject", format!("/certificate-requests/{}/reject", w.certificates.to_reject), j(json!({"reason": "Falta de documentos"})), "xxxxaxxx"),
        case(M::POST, "/certificate-requests/{id}/resend-link", format!("/certificate-requests/{}/resend-link", w.certificates.request), Body::None, "xxxxaxxx"),
        case(M::GET, "/certificates", format!("/certificates?school_id={s}"), Body::None, "xxxxaxxx"),
        case(M::GET, "/certificates/section-status", format!("/certificates/section-status?section_id={t}"), Body::None, "xxxxaxxx"),
        case(M::POST, "/certificates/batch", "/certificates/batch".into(), j(json!({"section_id": t, "student_ids": [w.student]})), "xxxxaxxx"),
        case(M::GET, "/certificates/batch-pdf", format!("/certificates/batch-pdf?ids={}", w.certificates.to_correct), Body::None, "xxxxaxxx"),
        case(M::GET, "/certificates/{id}", format!("/certificates/{}", w.certificates.to_annul), Body::None, "xxxxaxxx"),
        case(M::GET, "/certificates/{id}/pdf", format!("/certificates/{}/pdf", w.certificates.to_annul), Body::None, "xxxxaxxx"),
        case(M::POST, "/certificates/{id}/annul", format!("/certificates/{}/annul", w.certificates.to_annul), j(json!({"reason": "Emitido por error"})), "xxxxaxxx"),
        case(M::POST, "/certificates/{id}/correct", format!("/certificates/{}/correct", w.certificates.to_correct), j(json!({"reason": "Nota mal transcrita"})), "xxxxaxxx"),
        case(M::GET, "/certificates/verify", format!("/certificates/verify?code={}", w.certificates.code), Body::None, "pppppppp"),
        case(M::POST, "/certificates/public-requests", "/certificates/public-requests".into(), j(json!({"student_document": w.student_dni, "birth_date": "2019-01-01", "requester_dni": "41234567", "requester_names": "Rosa Quispe", "email": "rosa@example.pe", "cell_phone": "987654321", "purpose": "Traslado"})), "pppppppp"),
        case(M::GET, "/schools/{id}/certificate-settings", format!("/schools/{s}/certificate-settings"), Body::None, "xxxxaxxx"),
        case(M::PUT, "/schools/{id}/certificate-settings", format!("/schools/{s}/certificate-settings"), j(json!({"constancia_enabled": true, "public_requests_enabled": true})), "xxxxaxxx"),
        case(M::GET, "/schools/{id}/certificate-issuers", format!("/schools/{s}/certificate-issuers"), Body::None, "xxxxaxxx"),
        case(M::POST, "/schools/{id}/certificate-issuers", format!("/schools/{s}/certificate-issuers"), j(json!({"user_id": w.staff_account})), "xxxxaxxx"),
        Case {
            before: Some((M::POST, format!("/schools/{s}/certificate-issuers"), json!({"user_id": w.staff_account}))),
            ..case(M::DELETE, "/schools/{id}/certificate-issuers/{user_id}", format!("/schools/{s}/certificate-issuers/{}", w.staff_account), Body::None, "xxxxaxxx")
        },
        // Help desk: the director's ticket at N1 (N2 and N3 reach it only once escalated); bodies
        // that fail validation, so that an allowed attempt changes nothing.
        case(M::GET, "/helpdesk/topics", "/helpdesk/topics".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/helpdesk/topics", "/helpdesk/topics".into(), j(json!({"code": "", "name": ""})), "aaxxxxxx"),
        case(M::GET, "/helpdesk/tickets", "/helpdesk/tickets".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/helpdesk/tickets", "/helpdesk/tickets".into(), Body::Form(vec![("comment", String::new())]), "aaaaaaaa"),
        case(M::GET, "/helpdesk/tickets/{id}", hd("", w), Body::None, "aaxxaxxx"),
        case(M::GET, "/helpdesk/tickets/{id}/attachments/{attachment_id}", hd(&format!("/attachments/{}", w.helpdesk.attachment), w), Body::None, "aaxxaxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/messages", hd("/messages", w), j(json!({"body": ""})), "aaxxaxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/take", hd("/take", w), Body::None, "aaxxxxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/assign", hd("/assign", w), j(json!({"user_id": -5})), "aaxxxxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/wait", hd("/wait", w), j(json!({"reason": ""})), "aaxxxxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/escalate", hd("/escalate", w), j(json!({"reason": ""})), "aaxxxxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/return", hd("/return", w), j(json!({"reason": ""})), "aaxxxxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/resolve", hd("/resolve", w), j(json!({"resolution": ""})), "aaxxxxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/close", hd("/close", w), Body::None, "axxxaxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/reopen", hd("/reopen", w), j(json!({"reason": ""})), "xxxxaxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/merge", hd("/merge", w), j(json!({"into": "", "reason": ""})), "aaxxxxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/annul", hd("/annul", w), j(json!({"reason": ""})), "aaxxxxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/priority", hd("/priority", w), j(json!({"impact": "x", "urgency": "x", "reason": ""})), "aaxxxxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/rating", hd("/rating", w), j(json!({"score": 9})), "xxxxaxxx"),
        case(M::GET, "/helpdesk/tickets/{id}/similar", hd("/similar", w), Body::None, "aaxxxxxx"),
        case(M::POST, "/helpdesk/tickets/{id}/article", hd("/article", w), Body::None, "aaxxxxxx"),
        case(M::GET, "/helpdesk/articles", "/helpdesk/articles?q=contraseña".into(), Body::None, "aaaaaaaa"),
        case(M::POST, "/helpdesk/articles", "/helpdesk/articles".into(), j(json!({"title": ""})), "aaxxxxxx"),
        case(M::GET, "/helpdesk/articles/{id}", format!("/helpdesk/articles/{}", w.helpdesk.article), Body::None, "aaaaaaaa"),
        case(M::PATCH, "/helpdesk/articles/{id}", format!("/helpdesk/articles/{}", w.helpdesk.article), j(json!({"title": ""})), "aaxxxxxx"),
        case(M::POST, "/helpdesk/articles/{id}/feedback", format!("/helpdesk/articles/{}/feedback", w.helpdesk.article), j(json!({})), "aaaaaaaa"),
        case(M::GET, "/helpdesk/holidays", format!("/helpdesk/holidays?year={y}"), Body::None, "aaaaaaaa"),
        case(M::POST, "/helpdesk/holidays", "/helpdesk/holidays".into(), j(json!({"date": format!("{y}-01-01"), "description": ""})), "aaxxxxxx"),
        case(M::PUT, "/helpdesk/holidays/{id}", format!("/helpdesk/holidays/{}", w.helpdesk.holiday), j(json!({"date": format!("{y}-01-01"), "description": ""})), "aaxxxxxx"),
        Case {
            restore: Some(w.helpdesk.restore_holiday.clone()),
            ..case(M::DELETE, "/helpdesk/holidays/{id}", format!("/helpdesk/holidays/{}", w.helpdesk.holiday), Body::None, "aaxxxxxx")
        },
        case(M::GET, "/helpdesk/report-problem", "/helpdesk/report-problem?error_code=register_closed&request_id=abc-123".into(), Body::None, "aaaaaaaa"),
        // Availability for round-robin: agents and specialists (ugel.demo), each its own.
        case(M::GET, "/helpdesk/me/availability", "/helpdesk/me/availability".into(), Body::None, "aaaxxxxx"),
        case(M::PUT, "/helpdesk/me/availability", "/helpdesk/me/availability".into(), j(json!({})), "aaaxxxxx"),
        case(M::GET, "/helpdesk/reports/backlog", "/helpdesk/reports/backlog".into(), Body::None, "aaxxxxxx"),
        case(M::GET, "/helpdesk/reports/summary", "/helpdesk/reports/summary?format=csv".into(), Body::None, "aaxxxxxx"),
    ];
    let mut cases = cases;
    for c in &mut cases {
        if c.method == M::DELETE && c.before.is_none() && c.restore.is_none() {
            c.before = Some((
                M::POST,
                format!("/sections/{n}/teachers"),
                json!({"person_id": w.staff_person}),
            ));
        }
    }
    cases
}

fn accepted(expect: char, status: StatusCode) -> bool {
    let refused = matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND);
    match expect {
        'a' => !refused && status != StatusCode::UNAUTHORIZED && !status.is_server_error(),
        'x' => refused,
        'p' => !status.is_server_error(),
        _ => false,
    }
}

async fn send(app: &TestApp, w: &World, c: &Case, account: &str) -> (StatusCode, Value) {
    let token = &w.tokens[account];
    let request = app.request(c.method.clone(), &c.path, Some(token));
    let request = match &c.body {
        Body::None => request,
        Body::Json(v) => request.json(v),
        Body::Csv(text) => request
            .header("content-type", "text/csv")
            .body(text.clone()),
        Body::Form(fields) => {
            let mut form = Form::new();
            for (k, v) in fields {
                form = form.text(k.to_string(), v.clone());
            }
            request.multipart(
                form.part(
                    "resolution",
                    Part::bytes(tests::minimal_pdf())
                        .file_name("rd.pdf")
                        .mime_str("application/pdf")
                        .unwrap(),
                ),
            )
        }
    };
    read(request.send().await.unwrap()).await
}

#[tokio::test]
async fn every_endpoint_of_the_openapi_document_has_a_case_for_every_role() {
    let app = spawn_app().await;
    let w = world(&app).await;
    let cases = cases(&w);

    let document = app.openapi().await;
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .map(move |method| {
                    (
                        method.to_uppercase(),
                        path.strip_prefix("/api/v1").unwrap_or(path).to_owned(),
                    )
                })
        })
        .collect();
    let covered: BTreeSet<(String, String)> = cases
        .iter()
        .map(|c| (c.method.to_string(), c.template.to_owned()))
        .collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(missing.is_empty(), "endpoints without a case: {missing:?}");

    let mut wrong = Vec::new();
    for c in &cases {
        let mut got = String::new();
        let mut detail = Vec::new();
        for (account, expect) in ACCOUNTS.iter().zip(c.expect.chars()) {
            if let Some(sql) = &c.restore {
                use sea_orm::ConnectionTrait;
                app.db.execute_unprepared(sql).await.unwrap();
            }
            if let Some((method, path, body)) = &c.before {
                app.request(method.clone(), path, Some(&w.tokens["director.demo"]))
                    .json(body)
                    .send()
                    .await
                    .unwrap();
            }
            let (status, body) = send(&app, &w, c, account).await;
            assert!(
                !status.is_server_error(),
                "{} {} as {account}: {status} {body}",
                c.method,
                c.path
            );
            let letter = if accepted(expect, status) {
                expect
            } else if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
                'x'
            } else {
                'a'
            };
            got.push(letter);
            detail.push(format!("{account}={}", status.as_u16()));
        }
        if got != c.expect {
            wrong.push(format!(
                "{} {}: expected {} got {} ({})",
                c.method,
                c.template,
                c.expect,
                got,
                detail.join(" ")
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
