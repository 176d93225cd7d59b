//! The web console as a person uses it: a browser's requests with a cookie jar and no
//! JavaScript, and Chromium with JavaScript turned off.

use reqwest::{Method, StatusCode, header};
use sea_orm::ConnectionTrait;
use serde_json::json;
use tests::{
    DEMO_PASSWORD, TestApp,
    browser::Browser,
    read, spawn_app,
    visitor::{Visitor, hidden},
};

#[tokio::test]
async fn a_person_signs_in_and_out_with_a_session_cookie_and_a_form_token() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);

    // Without a session, the console leads to the sign-in page.
    let home = visitor.get("/consola").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location.as_deref(), Some("/consola/ingresar"));

    let form = visitor.get("/consola/ingresar").await;
    assert!(
        form.html
            .starts_with("<!doctype html>\n<html lang=\"es-PE\">")
    );
    assert!(form.html.contains("<title>Iniciar sesión — SIAGIE</title>"));
    assert!(form.html.contains("href=\"#contenido\""), "a skip link");
    assert!(
        form.html
            .contains("<a href=\"/consola/olvido\">¿Olvidó su contraseña?</a>")
    );
    assert!(!form.html.contains("<script"), "no JavaScript");
    let csp = form.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("style-src 'self'"),
        "{csp}"
    );

    // The one stylesheet, kept by browsers for a year.
    let stylesheet = form
        .html
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a stylesheet")
        .to_owned();
    let css = visitor.get(&stylesheet).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(
        css.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        visitor.get("/estaticos/otra.css").await.status,
        StatusCode::NOT_FOUND
    );

    // A sign-in without the form's token is refused, and opens no session.
    let mut stranger = Visitor::new(&app);
    let forged = stranger
        .post(
            "/consola/ingresar",
            &[("username", "agente.demo"), ("password", DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        forged.html.contains("Formulario no válido"),
        "{}",
        forged.html
    );
    assert!(!stranger.cookies.contains_key("siagie_consola"));

    let wrong = visitor.sign_in("agente.demo", "Otra.2026").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("role=\"alert\""), "{}", wrong.html);
    assert!(
        wrong.html.contains("value=\"agente.demo\""),
        "the username is kept"
    );

    let signed = visitor.sign_in("agente.demo", DEMO_PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.html);
    assert_eq!(signed.location.as_deref(), Some("/consola"));
    let cookie = signed
        .set_cookies
        .iter()
        .find(|c| c.starts_with("siagie_consola="))
        .expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "served over http here: {cookie}"
    );

    let home = visitor.get("/consola").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.html);
    assert!(home.html.contains("Cerrar sesión"), "{}", home.html);
    assert!(
        home.html.contains("Agente de la Central de Atención"),
        "{}",
        home.html
    );
    // A signed-in person asking for the sign-in page is taken home.
    assert_eq!(
        visitor.get("/consola/ingresar").await.location.as_deref(),
        Some("/consola")
    );

    // Signing out without the form's token is refused: the session goes on.
    let forged = visitor.post("/consola/salir", &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(visitor.get("/consola").await.status, StatusCode::OK);

    let session = visitor.cookies["siagie_consola"].clone();
    let csrf = hidden(&home.html, "csrf");
    let out = visitor.post("/consola/salir", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/consola/ingresar"));
    assert!(
        !visitor.cookies.contains_key("siagie_consola"),
        "the cookie is forgotten"
    );

    // The old cookie, replayed, leads to the sign-in page: its login ended.
    let mut thief = Visitor::new(&app);
    thief
        .cookies
        .insert("siagie_consola".into(), session.clone());
    let replay = thief.get("/consola").await;
    assert_eq!(replay.status, StatusCode::SEE_OTHER);
    assert_eq!(replay.location.as_deref(), Some("/consola/ingresar"));
    let revoked = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM refresh_token WHERE revoked_at IS NULL AND user_id = (SELECT id FROM user_account WHERE username = 'agente.demo')")
        .await;
    assert_eq!(
        revoked.as_deref(),
        Some("0"),
        "the login is revoked, as the API's logout does"
    );
}

#[tokio::test]
async fn a_password_change_or_a_baja_ends_the_console_session_at_once() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in("agente.demo", DEMO_PASSWORD).await;
    assert_eq!(visitor.get("/consola").await.status, StatusCode::OK);

    // The password changed from a tablet's or the API's session ends the others.
    let token = app.login_as("agente.demo").await;
    let (status, _) = app
        .post(
            "/me/password",
            &token,
            json!({"current_password": DEMO_PASSWORD, "new_password": "Central.Atencion2026"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let page = visitor.get("/consola").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/consola/ingresar"));

    // A person whose assignments all ended is out, whatever cookie it holds.
    let mut other = Visitor::new(&app);
    other.sign_in("agente2.demo", DEMO_PASSWORD).await;
    assert_eq!(other.get("/consola").await.status, StatusCode::OK);
    app.db
        .execute_unprepared(
            "UPDATE role_assignment SET active = false WHERE user_id = (SELECT id FROM user_account WHERE username = 'agente2.demo')",
        )
        .await
        .unwrap();
    let page = other.get("/consola").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/consola/ingresar"));
}

#[tokio::test]
async fn a_console_session_and_an_api_login_are_not_interchangeable() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    visitor.sign_in("agente.demo", DEMO_PASSWORD).await;
    assert_eq!(visitor.get("/consola").await.status, StatusCode::OK);

    // The cookie taken from the browser does not refresh an API session: it is taken as stolen,
    // and the console session ends with it.
    let cookie = visitor.cookies["siagie_consola"].clone();
    let response = app
        .request(Method::POST, "/auth/refresh", None)
        .json(&json!({ "refresh_token": cookie }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let page = visitor.get("/consola").await;
    assert_eq!(page.location.as_deref(), Some("/consola/ingresar"));

    // An API login's refresh token is no console session.
    let (status, login) = read(
        app.request(Method::POST, "/auth/login", None)
            .json(&json!({"username": "agente.demo", "password": DEMO_PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let mut intruder = Visitor::new(&app);
    intruder.cookies.insert(
        "siagie_consola".into(),
        login["refresh_token"].as_str().unwrap().to_owned(),
    );
    let page = intruder.get("/consola").await;
    assert_eq!(page.location.as_deref(), Some("/consola/ingresar"));
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_console_sign_in_as_they_lock_the_api() {
    let app = spawn_app().await;
    let mut visitor = Visitor::new(&app);
    for _ in 0..5 {
        let page = visitor.sign_in("ugel.demo", "Equivocada.2026").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let locked = visitor.sign_in("ugel.demo", DEMO_PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        locked.html
    );
    assert!(locked.headers.contains_key(header::RETRY_AFTER));
    assert!(!visitor.cookies.contains_key("siagie_consola"));
    let (status, _) = read(app.login_response("ugel.demo", DEMO_PASSWORD).await).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the API's lock is the same"
    );
}

#[tokio::test]
async fn a_temporary_password_is_replaced_before_anything_else() {
    let app = spawn_app().await;
    app.db
        .execute_unprepared(
            "UPDATE user_account SET must_change_password = true WHERE username = 'agente.demo'",
        )
        .await
        .unwrap();
    let mut visitor = Visitor::new(&app);
    let signed = visitor.sign_in("agente.demo", DEMO_PASSWORD).await;
    assert_eq!(signed.location.as_deref(), Some("/consola/contrasena"));
    let home = visitor.get("/consola").await;
    assert_eq!(home.location.as_deref(), Some("/consola/contrasena"));

    let form = visitor.get("/consola/contrasena").await;
    assert!(
        form.html.contains("Su contraseña es temporal"),
        "{}",
        form.html
    );
    let csrf = hidden(&form.html, "csrf");
    let weak = visitor
        .post(
            "/consola/contrasena",
            &[
                ("csrf", &csrf),
                ("current_password", DEMO_PASSWORD),
                ("new_password", "agente.demo1"),
                ("confirm_password", "agente.demo1"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.html.contains("no puede contener"), "{}", weak.html);
    let done = visitor
        .post(
            "/consola/contrasena",
            &[
                ("csrf", &csrf),
                ("current_password", DEMO_PASSWORD),
                ("new_password", "Central.Atencion2026"),
                ("confirm_password", "Central.Atencion2026"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/consola"));
    assert_eq!(
        visitor.get("/consola").await.status,
        StatusCode::OK,
        "this session stays"
    );
}

#[tokio::test]
async fn an_agent_signs_in_and_out_in_a_browser_without_javascript() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.open(&format!("{}/consola", app.address)).await;
    let text = browser.text_with("Iniciar sesión").await;
    assert!(text.contains("¿Olvidó su contraseña?"), "{text}");

    browser.click("a[href='/consola/olvido']").await;
    let text = browser.text_with("Escriba su usuario").await;
    assert!(text.contains("Escriba su usuario"), "{text}");
    browser.type_into("#username", "agente.demo").await;
    browser.click("button[type=submit]").await;
    let text = browser.text_with("le enviamos un enlace").await;
    assert!(text.contains("le enviamos un enlace"), "{text}");
    app.wait_until_queued("agente.demo@siagie.local").await;

    browser
        .open(&format!("{}/consola/ingresar", app.address))
        .await;
    browser.type_into("#username", "agente.demo").await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser.click("main button[type=submit]").await;
    let text = browser.text_with("Bienvenido").await;
    assert!(text.contains("Cerrar sesión"), "{text}");
    browser
        .screenshot(&app.data_dir.join("consola-inicio.png"))
        .await;
    browser.click("header button[type=submit]").await;
    let text = browser.text_with("Usuario").await;
    assert!(text.contains("Iniciar sesión"), "{text}");
    browser.open(&format!("{}/consola", app.address)).await;
    let text = browser.text_with("Usuario").await;
    assert!(!text.contains("Bienvenido"), "{text}");
    browser.quit().await;
}

/// The rows of a queue page.
fn rows(html: &str) -> usize {
    html.matches("<tr>\n<td>").count()
}

#[tokio::test]
async fn an_agent_sees_the_queue_of_its_stage_sorted_by_deadline_and_filters_it() {
    let app = spawn_app().await;
    let token = app.login_as("agente.demo").await;
    let (_, api) = app
        .get("/helpdesk/tickets?sort=deadline&limit=50", &token)
        .await;
    let api_items = api["items"].as_array().expect("a queue").clone();
    assert!(!api_items.is_empty());

    let mut visitor = Visitor::new(&app);
    visitor.sign_in("agente.demo", DEMO_PASSWORD).await;
    let home = visitor.get("/consola").await;
    assert!(
        home.html.contains("href=\"/consola/mesa-de-ayuda\""),
        "{}",
        home.html
    );

    let queue = visitor.get("/consola/mesa-de-ayuda").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.html);
    assert_eq!(
        rows(&queue.html),
        api_items.len(),
        "the API's page, the same tickets"
    );
    // In the API's order: the soonest due first.
    let first = api_items[0]["number"].as_str().unwrap();
    let last = api_items[api_items.len() - 1]["number"].as_str().unwrap();
    assert!(
        queue.html.find(first) < queue.html.find(last),
        "{first} before {last}"
    );
    for column in [
        "Número",
        "Tema",
        "Solicitante e IE",
        "Prioridad",
        "Estado",
        "Asignado a",
        "Plazo",
    ] {
        assert!(
            queue
                .html
                .contains(&format!("<th scope=\"col\">{column}</th>")),
            "{column}"
        );
    }
    assert!(
        queue.html.contains("hábiles") || queue.html.contains("Pausado"),
        "the clocks"
    );

    // Several states at once, as the API's state=a,b.
    let (_, both) = app
        .get(
            "/helpdesk/tickets?sort=deadline&state=nuevo,escalado",
            &token,
        )
        .await;
    let page = visitor
        .get("/consola/mesa-de-ayuda?state=nuevo&state=escalado")
        .await;
    assert_eq!(rows(&page.html), both["items"].as_array().unwrap().len());
    assert!(
        page.html.contains("value=\"nuevo\" checked"),
        "the form keeps the filter"
    );

    // A ticket by its number.
    let page = visitor
        .get(&format!("/consola/mesa-de-ayuda?q={first}"))
        .await;
    assert_eq!(rows(&page.html), 1, "{}", page.html);

    // Unassigned and overdue: each row says so.
    let unassigned = api_items
        .iter()
        .filter(|t| t["assignee_id"].is_null())
        .count();
    let page = visitor.get("/consola/mesa-de-ayuda?unassigned=1").await;
    assert_eq!(rows(&page.html), unassigned);
    let overdue = api_items
        .iter()
        .filter(|t| t["clock"]["overdue"].as_bool() == Some(true))
        .count();
    let page = visitor.get("/consola/mesa-de-ayuda?overdue=1").await;
    assert_eq!(rows(&page.html), overdue);
    assert_eq!(page.html.matches("Vencido hace").count(), overdue);

    // An unknown filter or value is a clear 400 page.
    let bad = visitor.get("/consola/mesa-de-ayuda?estado=x").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.html.contains("Filtro desconocido: «estado»"),
        "{}",
        bad.html
    );
    let bad = visitor.get("/consola/mesa-de-ayuda?state=perdido").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("perdido"), "{}", bad.html);

    // A director has no queue.
    let mut director = Visitor::new(&app);
    director.sign_in("director.demo", DEMO_PASSWORD).await;
    let page = director.get("/consola/mesa-de-ayuda").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(rows(&page.html), 0);
}

#[tokio::test]
async fn a_specialist_sees_only_its_stages_tickets() {
    let app = spawn_app().await;
    let mut n3 = Visitor::new(&app);
    n3.sign_in("especialista.demo", DEMO_PASSWORD).await;
    let token = app.login_as("especialista.demo").await;
    let (_, api) = app
        .get("/helpdesk/tickets?sort=deadline&limit=50", &token)
        .await;
    let page = n3.get("/consola/mesa-de-ayuda").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(rows(&page.html), api["items"].as_array().unwrap().len());

    // A ticket at N1 only is not in its queue, even searched by number.
    let agent = app.login_as("agente.demo").await;
    let (_, n1) = app
        .get("/helpdesk/tickets?level=1&state=nuevo", &agent)
        .await;
    let number = n1["items"][0]["number"]
        .as_str()
        .expect("a new ticket at N1");
    let page = n3.get(&format!("/consola/mesa-de-ayuda?q={number}")).await;
    assert_eq!(rows(&page.html), 0);
    assert!(page.html.contains("No hay tickets con estos filtros."));
}

/// A new ticket at N1 nobody has taken, from the API.
async fn new_ticket_at_n1(app: &TestApp, token: &str) -> (i64, String) {
    let (_, n1) = app
        .get("/helpdesk/tickets?level=1&state=nuevo&sort=age", token)
        .await;
    let item = n1["items"]
        .as_array()
        .and_then(|items| items.iter().find(|t| t["assignee_id"].is_null()))
        .expect("a new ticket at N1");
    (
        item["id"].as_i64().unwrap(),
        item["number"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn an_agent_takes_replies_notes_and_escalates_a_ticket_from_its_page() {
    let app = spawn_app().await;
    let token = app.login_as("agente.demo").await;
    let (id, number) = new_ticket_at_n1(&app, &token).await;
    let path = format!("/consola/mesa-de-ayuda/tickets/{id}");

    let mut visitor = Visitor::new(&app);
    visitor.sign_in("agente.demo", DEMO_PASSWORD).await;
    let queue = visitor.get("/consola/mesa-de-ayuda").await;
    assert!(
        queue.html.contains(&format!("href=\"{path}\"")),
        "the queue links the ticket"
    );
    let page = visitor.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains(&format!("<h1>Ticket {number}</h1>")));
    for part in ["Plazos", "Conversación", "Historial", "Primera respuesta"] {
        assert!(page.html.contains(part), "{part}");
    }
    let csrf = hidden(&page.html, "csrf");

    // Without its form token, nothing is written.
    let forged = visitor.post(&format!("{path}/tomar"), &[]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let (_, ticket) = app.get(&format!("/helpdesk/tickets/{id}"), &token).await;
    assert!(ticket["assignee_id"].is_null(), "not taken");

    let took = visitor
        .post(&format!("{path}/tomar"), &[("csrf", &csrf)])
        .await;
    assert_eq!(took.status, StatusCode::SEE_OTHER);
    assert_eq!(
        took.location.as_deref(),
        Some(format!("{path}?hecho=tomar").as_str())
    );
    let page = visitor.get(&format!("{path}?hecho=tomar")).await;
    assert!(page.html.contains("Ticket tomado"), "{}", page.html);

    let replied = visitor
        .post(
            &format!("{path}/responder"),
            &[
                ("csrf", &csrf),
                ("text", "Estamos revisando su caso <hoy>."),
            ],
        )
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER);
    let noted = visitor
        .post(
            &format!("{path}/nota"),
            &[("csrf", &csrf), ("text", "Revisar con la UGEL.")],
        )
        .await;
    assert_eq!(noted.status, StatusCode::SEE_OTHER);
    let (_, ticket) = app.get(&format!("/helpdesk/tickets/{id}"), &token).await;
    let messages = ticket["messages"].as_array().unwrap();
    assert!(
        messages
            .iter()
            .any(|m| m["body"] == "Estamos revisando su caso <hoy>." && m["internal"] == false)
    );
    assert!(
        messages
            .iter()
            .any(|m| m["body"] == "Revisar con la UGEL." && m["internal"] == true)
    );
    let page = visitor.get(&path).await;
    assert!(
        page.html.contains("Estamos revisando su caso &lt;hoy&gt;."),
        "escaped"
    );
    let note = page.html.find("Revisar con la UGEL.").unwrap();
    let apart = page.html[..note]
        .rfind("<div class=\"internal\"><p><strong>Nota interna — no la ve el usuario.</strong>");
    assert!(apart.is_some(), "the note sits apart: {}", page.html);

    // Escalating needs a reason: the page says so in Spanish, and nothing moves.
    let refused = visitor
        .post(&format!("{path}/escalar"), &[("csrf", &csrf), ("text", "")])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(refused.html.contains("role=\"alert\""), "{}", refused.html);
    let escalated = visitor
        .post(
            &format!("{path}/escalar"),
            &[
                ("csrf", &csrf),
                ("text", "Requiere a la UGEL: matrícula observada."),
            ],
        )
        .await;
    assert_eq!(
        escalated.status,
        StatusCode::SEE_OTHER,
        "{}",
        escalated.html
    );
    let (_, ticket) = app.get(&format!("/helpdesk/tickets/{id}"), &token).await;
    assert_eq!(ticket["state"], "escalado");
    assert!(ticket["level"].as_i64().unwrap() >= 2);
    let page = visitor.get(&format!("{path}?hecho=escalar")).await;
    assert!(page.html.contains("Ticket escalado"), "{}", page.html);
    assert!(
        page.html
            .contains("Requiere a la UGEL: matrícula observada."),
        "the log shows the reason"
    );
}

#[tokio::test]
async fn an_agent_resolves_a_ticket_in_a_browser_without_javascript() {
    let app = spawn_app().await;
    let token = app.login_as("agente.demo").await;
    let (id, number) = new_ticket_at_n1(&app, &token).await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser
        .open(&format!("{}/consola/ingresar", app.address))
        .await;
    browser.type_into("#username", "agente.demo").await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser.click("main button[type=submit]").await;
    browser.text_with("Bienvenido").await;
    browser.click("a[href='/consola/mesa-de-ayuda']").await;
    let text = browser.text_with("Plazo").await;
    assert!(text.contains(&number), "{text}");
    browser
        .screenshot(&app.data_dir.join("consola-bandeja.png"))
        .await;
    browser
        .click(&format!("a[href='/consola/mesa-de-ayuda/tickets/{id}']"))
        .await;
    browser.text_with("Historial").await;
    browser.click("form[action$='/tomar'] button").await;
    browser.text_with("Ticket tomado").await;
    browser
        .type_into("#resolve", "Se restableció el acceso del usuario.")
        .await;
    browser.click("form[action$='/resolver'] button").await;
    let text = browser.text_with("Ticket resuelto").await;
    assert!(text.contains("Resuelto"), "{text}");
    browser
        .screenshot(&app.data_dir.join("consola-ticket.png"))
        .await;
    browser.quit().await;
    let (_, ticket) = app.get(&format!("/helpdesk/tickets/{id}"), &token).await;
    assert_eq!(ticket["state"], "resuelto");
}

#[tokio::test]
async fn a_ticket_of_another_stage_is_not_found_by_its_address() {
    let app = spawn_app().await;
    let agent = app.login_as("agente.demo").await;
    let (id, number) = new_ticket_at_n1(&app, &agent).await;
    let (_, before) = app.get(&format!("/helpdesk/tickets/{id}"), &agent).await;

    let mut n3 = Visitor::new(&app);
    n3.sign_in("especialista.demo", DEMO_PASSWORD).await;
    let path = format!("/consola/mesa-de-ayuda/tickets/{id}");
    let page = n3.get(&path).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let comment = before["comment"].as_str().unwrap();
    assert!(
        !page.html.contains(&number) && !page.html.contains(comment),
        "{}",
        page.html
    );
    let missing = n3.get("/consola/mesa-de-ayuda/tickets/99999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.html.len(),
        page.html.len(),
        "the same page as a ticket that does not exist"
    );
    assert_eq!(
        n3.get("/consola/mesa-de-ayuda/tickets/abc").await.status,
        StatusCode::NOT_FOUND
    );

    // Its forms, with a valid form token, write nothing either.
    let home = n3.get("/consola").await;
    let csrf = hidden(&home.html, "csrf");
    let step = n3
        .post(
            &format!("{path}/responder"),
            &[("csrf", &csrf), ("text", "Hola")],
        )
        .await;
    assert_eq!(step.status, StatusCode::NOT_FOUND);
    let (_, after) = app.get(&format!("/helpdesk/tickets/{id}"), &agent).await;
    assert_eq!(before["messages"], after["messages"]);

    // A director reaches no ticket page.
    let mut director = Visitor::new(&app);
    director.sign_in("director.demo", DEMO_PASSWORD).await;
    assert_eq!(director.get(&path).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_console_page_stays_small() {
    let app = spawn_app().await;
    let token = app.login_as("agente.demo").await;
    let (id, _) = new_ticket_at_n1(&app, &token).await;
    let mut visitor = Visitor::new(&app);
    let login = visitor.get("/consola/ingresar").await;
    let stylesheet = login
        .html
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a stylesheet")
        .to_owned();
    visitor.sign_in("agente.demo", DEMO_PASSWORD).await;
    let mut sizes = vec![("login", login.html.len())];
    for (name, path) in [
        ("home", "/consola".to_owned()),
        ("queue", "/consola/mesa-de-ayuda".to_owned()),
        ("ticket", format!("/consola/mesa-de-ayuda/tickets/{id}")),
        ("stylesheet", stylesheet),
    ] {
        let page = visitor.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        sizes.push((name, page.html.len()));
    }
    eprintln!("page sizes in bytes (uncompressed): {sizes:?}");
    for (name, size) in sizes {
        assert!(size < 40 * 1024, "{name}: {size} bytes");
    }
}

#[tokio::test]
async fn the_sign_in_queue_and_ticket_pages_have_no_serious_accessibility_violation() {
    let app = spawn_app().await;
    let token = app.login_as("agente.demo").await;
    let (id, _) = new_ticket_at_n1(&app, &token).await;
    let Some(browser) = Browser::start_with_scripts().await else {
        return;
    };
    let mut found = Vec::new();
    browser
        .open(&format!("{}/consola/ingresar", app.address))
        .await;
    browser.text_with("Iniciar sesión").await;
    found.push(("ingresar", browser.serious_accessibility_violations().await));
    browser.type_into("#username", "agente.demo").await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser.click("main button[type=submit]").await;
    browser.text_with("Bienvenido").await;
    for (name, path) in [
        ("bandeja", "/consola/mesa-de-ayuda".to_owned()),
        ("ticket", format!("/consola/mesa-de-ayuda/tickets/{id}")),
    ] {
        browser.open(&format!("{}{path}", app.address)).await;
        browser.text_with("Plazo").await;
        found.push((name, browser.serious_accessibility_violations().await));
    }
    browser.quit().await;
    for (page, violations) in found {
        assert!(violations.is_empty(), "{page}: {violations:?}");
    }
}

/// "Mi correo" in a browser: a teacher types its own address and password,
/// then the code e-mailed there, and the page says the address is confirmed; it has no serious
/// accessibility violation on the way.
#[tokio::test]
async fn a_person_confirms_its_e_mail_with_the_code_sent_there() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start_with_scripts().await else {
        return;
    };
    browser.sign_in(&app, "docente.demo").await;
    browser.click("a[href='/consola/mi-correo']").await;
    let text = browser.text_with("Mi correo").await;
    assert!(text.contains("Enviar código"), "{text}");
    let mut violations = browser.serious_accessibility_violations().await;
    browser.type_into("#email", "rosa.tarrillo@correo.pe").await;
    browser.type_into("#current_password", DEMO_PASSWORD).await;
    browser
        .click("form[action='/consola/mi-correo'] button")
        .await;
    let text = browser.text_with("Escriba el código").await;
    assert!(text.contains("rosa.tarrillo@correo.pe"), "{text}");
    violations.extend(browser.serious_accessibility_violations().await);
    let code = app.e_mailed_code("rosa.tarrillo@correo.pe").await;
    browser.type_into("#code", &code).await;
    browser
        .click("form[action='/consola/mi-correo/confirmar'] button")
        .await;
    let text = browser.text_with("Su correo confirmado es").await;
    assert!(text.contains("rosa.tarrillo@correo.pe"), "{text}");
    assert!(violations.is_empty(), "{violations:?}");
    browser.quit().await;
}

/// A director gives a user of its IE without an e-mail of its own a temporary password from
/// "Personal de la IE", shown once; a director elsewhere gets nothing for the same account.
#[tokio::test]
async fn a_director_gives_a_temporary_password_from_the_staff_page() {
    let app = spawn_app().await;
    let teacher: serde_json::Value = app
        .login_response("docente.demo", DEMO_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let teacher_id = teacher["user"]["id"].as_i64().unwrap().to_string();
    let (director, csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let page = director.get("/consola/personal").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains(">docente.demo<"), "{}", page.html);
    assert!(
        !page.html.contains(">director.demo<"),
        "one's own password is changed, not reset"
    );
    // Sent with another IE's page, the form resets nothing.
    let jaen = app
        .school_id(&app.login_as("jaen.demo").await, tests::demo::JAEN_PRIMARIA)
        .await;
    let elsewhere = director
        .post(
            "/consola/personal/contrasena",
            &[
                ("csrf", csrf),
                ("ie", &jaen.to_string()),
                ("user_id", &teacher_id),
            ],
        )
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "{}",
        elsewhere.html
    );
    let (status, _) = read(app.login_response("docente.demo", DEMO_PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK, "the password stands");
    let given = director
        .post(
            "/consola/personal/contrasena",
            &[("csrf", csrf), ("user_id", &teacher_id)],
        )
        .await;
    assert_eq!(given.status, StatusCode::OK, "{}", given.html);
    let password = given
        .html
        .split("<code>")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap_or_else(|| panic!("a password in {}", given.html))
        .to_owned();
    let (status, login) = read(app.login_response("docente.demo", &password).await).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    assert_eq!(login["user"]["must_change_password"], true);

    let (elsewhere, other_csrf) = &mut Visitor::signed_in(&app, "jaen.demo").await;
    let refused = elsewhere
        .post(
            "/consola/personal/contrasena",
            &[("csrf", other_csrf), ("user_id", &teacher_id)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.html);
    assert!(!refused.html.contains("<code>"), "{}", refused.html);

    // The administrator opens any IE's page (the link it is e-mailed) and gives one too.
    let school = app
        .school_id(&app.login_as("director.demo").await, tests::demo::PRIMARIA)
        .await;
    let (admin, admin_csrf) = &mut Visitor::signed_in(&app, "admin.demo").await;
    let page = admin.get(&format!("/consola/personal?ie={school}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let given = admin
        .post(
            "/consola/personal/contrasena",
            &[
                ("csrf", admin_csrf),
                ("ie", &school.to_string()),
                ("user_id", &teacher_id),
            ],
        )
        .await;
    assert_eq!(given.status, StatusCode::OK, "{}", given.html);
    assert!(given.html.contains("<code>"), "{}", given.html);
}

/// A user who confirmed its e-mail recovers by its link: its director's page says so instead of
/// offering a temporary password; the administrator's keeps the button (the last resort).
#[tokio::test]
async fn the_staff_page_offers_no_temporary_password_to_who_recovers_by_link() {
    let app = spawn_app().await;
    let teacher = app.login_as("docente.demo").await;
    let (_, me) = app.get("/me", &teacher).await;
    let teacher_id = me["id"].as_i64().unwrap();
    app.confirm_email(&teacher, "rosa.propia@correo.pe", DEMO_PASSWORD)
        .await;

    let button = format!("name=\"user_id\" value=\"{teacher_id}\"");
    let (director, _) = &mut Visitor::signed_in(&app, "director.demo").await;
    let page = director.get("/consola/personal").await;
    assert!(page.html.contains(">docente.demo<"), "{}", page.html);
    assert!(
        page.html
            .contains("La recupera con el enlace a su correo confirmado"),
        "{}",
        page.html
    );
    assert!(!page.html.contains(&button), "{}", page.html);
    let school = app.school_id(&teacher, tests::demo::PRIMARIA).await;
    let (admin, _) = &mut Visitor::signed_in(&app, "admin.demo").await;
    let page = admin.get(&format!("/consola/personal?ie={school}")).await;
    assert!(page.html.contains(&button), "{}", page.html);
}
