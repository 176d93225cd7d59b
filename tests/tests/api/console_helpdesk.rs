//! The help desk's console beyond sign-in: the queue's filters, saved views and bulk actions;
//! every step of a ticket's page; canned replies; the requester's pages; the knowledge base and
//! the reports; e-mails that link to the pages; and the warning when someone else wrote first.

use reqwest::StatusCode;
use serde_json::json;
use tests::{
    DEMO_PASSWORD, TestApp,
    browser::Browser,
    helpdesk::help_form,
    spawn_app,
    visitor::{Visitor, hidden},
};

/// Files a ticket as the demo's director through the API; answers its id and number.
async fn filed(app: &TestApp, comment: &str) -> (i64, String) {
    let director = app.login_as("director.demo").await;
    let ticket = app.file_ticket_ok(&director, &[("comment", comment)]).await;
    (
        ticket["id"].as_i64().unwrap(),
        ticket["number"].as_str().unwrap().to_owned(),
    )
}

/// The ticket as the API shows it to the agent.
async fn ticket(app: &TestApp, id: i64) -> serde_json::Value {
    let agent = app.login_as("agente.demo").await;
    let (status, ticket) = app.get(&format!("/helpdesk/tickets/{id}"), &agent).await;
    assert_eq!(status, StatusCode::OK);
    ticket
}

#[tokio::test]
async fn an_agent_filters_saves_a_view_and_acts_on_a_selection_of_the_queue() {
    let app = spawn_app().await;
    let (a, number_a) = filed(&app, "Consulta uno sobre la nómina de matrícula del aula.").await;
    let (b, _) = filed(&app, "Consulta dos sobre la nómina de matrícula del aula.").await;
    let (agent, csrf) = &mut Visitor::signed_in(&app, "agente.demo").await;

    // The filters the service takes: unassigned, and the tickets' topic.
    let page = agent
        .get("/consola/mesa-de-ayuda?unassigned=1&topic=traslados&sort=newest")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    for id in [a, b] {
        assert!(
            page.html.contains(&format!("value=\"{id}\"")),
            "{id} listed"
        );
    }
    let bad = agent.get("/consola/mesa-de-ayuda?level=7").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    // A saved view: a link above the queue with those filters.
    let saved = agent
        .post(
            "/consola/mesa-de-ayuda/vistas",
            &[
                ("csrf", csrf),
                ("name", "Traslados sin asignar"),
                ("query", "unassigned=1&topic=traslados"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let queue = agent.get("/consola/mesa-de-ayuda").await;
    assert!(
        queue.html.contains(">Traslados sin asignar</a>"),
        "{}",
        queue.html
    );
    assert!(queue.html.contains("unassigned=1&amp;topic=traslados"));
    // Another person does not see it.
    let (other, _) = &mut Visitor::signed_in(&app, "agente2.demo").await;
    assert!(
        !other
            .get("/consola/mesa-de-ayuda")
            .await
            .html
            .contains("Traslados sin asignar")
    );

    // Bulk: take both; then neither is unassigned and both are the agent's.
    let done = agent
        .post(
            "/consola/mesa-de-ayuda/lote",
            &[
                ("csrf", csrf),
                ("ticket", &a.to_string()),
                ("ticket", &b.to_string()),
                ("step", "take"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(
        done.html.contains("Se aplicó a 2 de 2 tickets."),
        "{}",
        done.html
    );
    let unassigned = agent
        .get("/consola/mesa-de-ayuda?unassigned=1&topic=traslados")
        .await;
    assert!(!unassigned.html.contains(&format!("value=\"{a}\"")));
    let mine = agent.get("/consola/mesa-de-ayuda?mine=1").await;
    assert!(mine.html.contains(&number_a));

    // Bulk priority without a reason: each ticket says why, nothing changes.
    let before = ticket(&app, a).await["priority"].clone();
    let refused = agent
        .post(
            "/consola/mesa-de-ayuda/lote",
            &[
                ("csrf", csrf),
                ("ticket", &a.to_string()),
                ("step", "priority"),
                ("impact", "alta"),
                ("urgency", "alta"),
                ("reason", ""),
            ],
        )
        .await;
    assert!(
        refused.html.contains("Se aplicó a 0 de 1 tickets."),
        "{}",
        refused.html
    );
    assert!(refused.html.contains("No se aplicó:"));
    assert_eq!(ticket(&app, a).await["priority"], before);
    let changed = agent
        .post(
            "/consola/mesa-de-ayuda/lote",
            &[
                ("csrf", csrf),
                ("ticket", &a.to_string()),
                ("step", "priority"),
                ("impact", "alta"),
                ("urgency", "alta"),
                ("reason", "Afecta a toda la IE."),
            ],
        )
        .await;
    assert!(
        changed.html.contains("Se aplicó a 1 de 1 tickets."),
        "{}",
        changed.html
    );
    assert_ne!(ticket(&app, a).await["priority"], before);

    // Bulk merge: the second closed as a duplicate of the first.
    let merged = agent
        .post(
            "/consola/mesa-de-ayuda/lote",
            &[
                ("csrf", csrf),
                ("ticket", &b.to_string()),
                ("step", "merge"),
                ("into", &number_a.to_lowercase()),
                ("reason", "Misma consulta."),
            ],
        )
        .await;
    assert!(
        merged.html.contains("Se aplicó a 1 de 1 tickets."),
        "{}",
        merged.html
    );
    assert_eq!(ticket(&app, b).await["state"], "fusionado");

    // Without the form token, a bulk action writes nothing.
    let forged = agent
        .post(
            "/consola/mesa-de-ayuda/lote",
            &[("ticket", &a.to_string()), ("step", "take")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // A director has no queue to act on.
    let (director, director_csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let denied = director
        .post(
            "/consola/mesa-de-ayuda/lote",
            &[
                ("csrf", director_csrf),
                ("ticket", &a.to_string()),
                ("step", "take"),
            ],
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_step_of_a_ticket_runs_from_its_page_and_the_requester_answers_from_its_own() {
    let app = spawn_app().await;
    let (id, number) = filed(&app, "No aparece la sección B en la nómina.").await;
    let staff_path = format!("/consola/mesa-de-ayuda/tickets/{id}");
    let own_path = format!("/consola/mis-tickets/{id}");
    let (agent, csrf) = &mut Visitor::signed_in(&app, "agente.demo").await;

    // Assigned to another agent of the stage, from the list the page offers.
    let page = agent.get(&staff_path).await;
    let agent2 = app
        .scalar("SELECT CAST(id AS TEXT) FROM user_account WHERE username = 'agente2.demo'")
        .await
        .unwrap();
    assert!(
        page.html.contains(&format!("<option value=\"{agent2}\">")),
        "agente2 offered"
    );
    let assigned = agent
        .post(
            &format!("{staff_path}/asignar"),
            &[("csrf", csrf), ("assignee", &agent2)],
        )
        .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.html);
    assert_eq!(ticket(&app, id).await["assignee_id"].to_string(), agent2);
    // Assigned back to itself, then the requester is asked: the clock pauses.
    let me = app
        .scalar("SELECT CAST(id AS TEXT) FROM user_account WHERE username = 'agente.demo'")
        .await
        .unwrap();
    let page = agent.get(&staff_path).await;
    assert!(!page.html.contains("Tomar el ticket"), "someone has it");
    let took = agent
        .post(
            &format!("{staff_path}/asignar"),
            &[("csrf", csrf), ("assignee", &me)],
        )
        .await;
    assert_eq!(took.status, StatusCode::SEE_OTHER, "{}", took.html);
    let asked = agent
        .post(
            &format!("{staff_path}/consultar"),
            &[("csrf", csrf), ("text", "¿En qué grado está la sección B?")],
        )
        .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.html);
    assert_eq!(ticket(&app, id).await["state"], "esperando_usuario");

    // The requester reads the question on its page and answers it.
    let (director, director_csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let mine = director.get("/consola/mis-tickets").await;
    assert!(
        mine.html.contains(&format!("href=\"{own_path}\"")),
        "{}",
        mine.html
    );
    let own = director.get(&own_path).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.html);
    assert!(own.html.contains("¿En qué grado está la sección B?"));
    assert!(
        !own.html.contains("Nota interna"),
        "no internal notes to the requester"
    );
    // Without its form token the reply is refused and nothing is written.
    let forged = director
        .post_multipart(
            &format!("{own_path}/responder"),
            &[("text", "Falsa.")],
            vec![],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let answered = director
        .post_multipart(
            &format!("{own_path}/responder?csrf={director_csrf}"),
            &[("text", "Es de tercer grado; adjunto la nómina.")],
            vec![("nomina.pdf", tests::minimal_pdf())],
        )
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.html);
    let after = ticket(&app, id).await;
    assert_ne!(after["state"], "esperando_usuario");
    assert_eq!(after["messages"].as_array().unwrap().len(), 2);
    assert!(
        after["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "nomina.pdf"),
        "{after}"
    );
    let page = agent.get(&staff_path).await;
    assert!(
        page.html.contains(">nomina.pdf</a>"),
        "the help desk sees the file"
    );
    // The director cannot open the help desk's page of its own ticket.
    assert_eq!(
        director.get(&staff_path).await.status,
        StatusCode::NOT_FOUND
    );

    // Priority, then resolve.
    let prioritized = agent
        .post(
            &format!("{staff_path}/prioridad"),
            &[
                ("csrf", csrf),
                ("impact", "alta"),
                ("urgency", "media"),
                ("text", "Toda la sección."),
            ],
        )
        .await;
    assert_eq!(
        prioritized.status,
        StatusCode::SEE_OTHER,
        "{}",
        prioritized.html
    );
    let resolved = agent
        .post(
            &format!("{staff_path}/resolver"),
            &[
                ("csrf", csrf),
                ("text", "Se habilitó la sección B de tercer grado."),
            ],
        )
        .await;
    assert_eq!(resolved.status, StatusCode::SEE_OTHER, "{}", resolved.html);

    // The requester closes and rates from its page.
    let own = director.get(&own_path).await;
    assert!(
        own.html
            .contains("Se habilitó la sección B de tercer grado.")
    );
    let closed = director
        .post(&format!("{own_path}/cerrar"), &[("csrf", director_csrf)])
        .await;
    assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.html);
    let rated = director
        .post(
            &format!("{own_path}/calificar"),
            &[("csrf", director_csrf), ("score", "5"), ("text", "Rápido.")],
        )
        .await;
    assert_eq!(rated.status, StatusCode::SEE_OTHER, "{}", rated.html);
    let after = ticket(&app, id).await;
    assert_eq!(after["state"], "cerrado");
    assert_eq!(after["rating"], 5);
    let own = director.follow(&rated).await;
    assert!(
        own.html.contains("Usted calificó la atención con 5 de 5."),
        "{}",
        own.html
    );

    // Another person reaches neither page of it.
    let (stranger, stranger_csrf) = &mut Visitor::signed_in(&app, "jaen.demo").await;
    let page = stranger.get(&own_path).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.html.contains(&number));
    let reopened = stranger
        .post(
            &format!("{own_path}/reabrir"),
            &[("csrf", stranger_csrf), ("text", "No.")],
        )
        .await;
    assert_eq!(reopened.status, StatusCode::NOT_FOUND);
    assert_eq!(ticket(&app, id).await["state"], "cerrado");

    // Annul and escalate on another ticket, with their reasons in the log.
    let (other, _) = filed(&app, "Prueba de anulación: consulta duplicada por error.").await;
    let annulled = agent
        .post(
            &format!("/consola/mesa-de-ayuda/tickets/{other}/anular"),
            &[("csrf", csrf), ("text", "Registrado por error.")],
        )
        .await;
    assert_eq!(annulled.status, StatusCode::SEE_OTHER, "{}", annulled.html);
    assert_eq!(ticket(&app, other).await["state"], "anulado");
}

#[tokio::test]
async fn a_canned_reply_kept_by_the_central_answers_and_resolves_a_ticket() {
    let app = spawn_app().await;
    let (id, _) = filed(&app, "Olvidé la contraseña del SIAGIE del auxiliar.").await;
    let (agent, csrf) = &mut Visitor::signed_in(&app, "agente.demo").await;
    let added = agent
        .post(
            "/consola/mesa-de-ayuda/respuestas",
            &[
                ("csrf", csrf),
                ("title", "Restablecer contraseña"),
                (
                    "body",
                    "Puede restablecerla desde «¿Olvidó su contraseña?» en la página de ingreso.",
                ),
                ("topic", ""),
                ("then_step", "resolve"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.html);
    let refused = agent
        .post(
            "/consola/mesa-de-ayuda/respuestas",
            &[
                ("csrf", csrf),
                ("title", ""),
                ("body", "x"),
                ("then_step", "fly"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.html.contains("Escriba el título."),
        "{}",
        refused.html
    );

    let path = format!("/consola/mesa-de-ayuda/tickets/{id}");
    let page = agent.get(&path).await;
    let reply_id = app
        .scalar("SELECT CAST(id AS TEXT) FROM helpdesk_canned_reply WHERE title = 'Restablecer contraseña'")
        .await
        .unwrap();
    assert!(
        page.html
            .contains("Restablecer contraseña (y resolver el ticket)"),
        "{}",
        page.html
    );
    let sent = agent
        .post(
            &format!("{path}/predefinida"),
            &[("csrf", csrf), ("canned", &reply_id)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.html);
    let after = ticket(&app, id).await;
    assert_eq!(after["state"], "resuelto");
    assert!(
        after["resolution"]
            .as_str()
            .unwrap()
            .contains("¿Olvidó su contraseña?")
    );

    // A director does not keep canned replies.
    let (director, director_csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    assert_eq!(
        director
            .get("/consola/mesa-de-ayuda/respuestas")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let forged = director
        .post(
            "/consola/mesa-de-ayuda/respuestas",
            &[("csrf", director_csrf), ("title", "X"), ("body", "Y")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM helpdesk_canned_reply")
            .await
            .as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn help_desk_e_mails_link_to_the_pages_where_each_person_acts() {
    let app = spawn_app().await;
    let (id, number) = filed(&app, "La constancia de matrícula sale en blanco.").await;
    let filed_mail = app.mail_to("ie16471@siagie.local").await;
    let own_path = format!("/consola/mis-tickets/{id}");
    assert!(filed_mail.contains(&number), "{filed_mail}");
    assert!(
        filed_mail.contains(&own_path),
        "the requester's link: {filed_mail}"
    );

    // An escalation tells the N2 stage, with the help desk's page.
    let agent = app.login_as("agente.demo").await;
    app.ticket_step(&agent, id, "take", json!({})).await;
    app.ticket_step(
        &agent,
        id,
        "escalate",
        json!({"reason": "Requiere a la UGEL."}),
    )
    .await;
    app.deliver_mail().await;
    let staff_path = format!("/consola/mesa-de-ayuda/tickets/{id}");
    let staff_mail = app
        .delivered()
        .into_iter()
        .find(|m| m.contains("Ticket derivado a su nivel") && m.contains(&number))
        .expect("the escalation e-mail");
    assert!(staff_mail.contains(&staff_path), "{staff_mail}");

    // The link opens, after signing in, the page that acts on it.
    let (ugel, _) = &mut Visitor::signed_in(&app, "ugel.demo").await;
    let page = ugel.get(&staff_path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("Requiere a la UGEL."));
    let (director, _) = &mut Visitor::signed_in(&app, "director.demo").await;
    assert_eq!(director.get(&own_path).await.status, StatusCode::OK);
}

#[tokio::test]
async fn someone_elses_reply_since_the_page_loaded_is_shown_before_sending() {
    let app = spawn_app().await;
    let (id, _) = filed(&app, "No puedo generar el acta consolidada.").await;
    let path = format!("/consola/mesa-de-ayuda/tickets/{id}");
    let (first, csrf) = &mut Visitor::signed_in(&app, "agente.demo").await;
    let loaded = first.get(&path).await;
    let seen = hidden(&loaded.html, "seen");

    let (second, csrf2) = &mut Visitor::signed_in(&app, "agente2.demo").await;
    // Each page says the other person has the ticket open.
    let opened = second.get(&path).await;
    assert!(
        opened.html.contains("También tiene abierto este ticket:"),
        "{}",
        opened.html
    );
    let again = first.get(&path).await;
    assert!(
        again.html.contains("También tiene abierto este ticket:"),
        "{}",
        again.html
    );
    // The line refreshes alone from its own address (the whole page is not loaded again), and
    // only for who reaches the ticket.
    let line = first.get(&format!("{path}/presencia")).await;
    assert_eq!(line.status, StatusCode::OK);
    assert!(
        line.html.starts_with("<div id=\"presencia\""),
        "{}",
        line.html
    );
    assert!(line.html.contains("También tiene abierto este ticket:"));
    assert!(!line.html.contains("<html"));
    let (director, _) = &mut Visitor::signed_in(&app, "director.demo").await;
    assert_eq!(
        director.get(&format!("{path}/presencia")).await.status,
        StatusCode::NOT_FOUND
    );
    let replied = second
        .post(
            &format!("{path}/responder"),
            &[("csrf", csrf2), ("text", "Lo reviso ahora mismo.")],
        )
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.html);

    let draft = "Ya está habilitado el reporte.";
    let warned = first
        .post(
            &format!("{path}/responder"),
            &[("csrf", csrf), ("seen", &seen), ("text", draft)],
        )
        .await;
    assert_eq!(warned.status, StatusCode::CONFLICT, "{}", warned.html);
    assert!(
        warned.html.contains("otra persona respondió"),
        "{}",
        warned.html
    );
    assert!(
        warned.html.contains("Lo reviso ahora mismo."),
        "the other reply shown"
    );
    assert!(warned.html.contains(draft), "the draft kept");
    let count = |t: &serde_json::Value| t["messages"].as_array().unwrap().len();
    assert_eq!(count(&ticket(&app, id).await), 1, "not sent");
    let confirmed = first
        .post(
            &format!("{path}/responder"),
            &[
                ("csrf", csrf),
                ("seen", &seen),
                ("confirm", "1"),
                ("text", draft),
            ],
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.html
    );
    assert_eq!(count(&ticket(&app, id).await), 2);
}

#[tokio::test]
async fn a_requester_files_with_a_file_after_reading_the_suggestions() {
    let app = spawn_app().await;
    let (director, csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    // Without JavaScript, "Buscar" sends the form by GET: the suggestions come with it.
    let searched = director
        .get("/consola/mis-tickets/nuevo?comment=contrase%C3%B1a&topic=acceso")
        .await;
    assert_eq!(searched.status, StatusCode::OK, "{}", searched.html);
    assert!(
        searched
            .html
            .contains("Artículos que pueden responder su consulta"),
        "{}",
        searched.html
    );
    assert!(searched.html.contains("href=\"/consola/articulos/"));
    // An article that answers the question saves a ticket: a deflection, counted once.
    let article = searched
        .html
        .split("href=\"")
        .find(|s| s.starts_with("/consola/articulos/"))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&amp;", "&");
    assert!(article.ends_with("?desde=consulta"), "{article}");
    let read = director.get(&article).await;
    assert!(
        read.html.contains("ya no necesito registrar un ticket"),
        "{}",
        read.html
    );
    let path = article.trim_end_matches("?desde=consulta").to_owned();
    let id = path.rsplit('/').next().unwrap().to_owned();
    let before = app
        .scalar(&format!(
            "SELECT CAST(deflections AS TEXT) FROM helpdesk_article WHERE id = {id}"
        ))
        .await;
    let deflected = director
        .post(
            &format!("{path}/voto"),
            &[("csrf", csrf), ("deflected", "1")],
        )
        .await;
    assert_eq!(
        deflected.status,
        StatusCode::SEE_OTHER,
        "{}",
        deflected.html
    );
    assert!(
        director
            .follow(&deflected)
            .await
            .html
            .contains("no necesita registrar un ticket")
    );
    let after = app
        .scalar(&format!(
            "SELECT CAST(deflections AS TEXT) FROM helpdesk_article WHERE id = {id}"
        ))
        .await;
    let count = |v: Option<String>| v.unwrap().parse::<i64>().unwrap();
    assert_eq!(count(after), count(before) + 1);

    let fields: Vec<(String, String)> = help_form(&[("csrf", csrf.as_str())]);
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let posted = director
        .post_multipart(
            "/consola/mis-tickets/nuevo",
            &fields,
            vec![("captura.pdf", tests::minimal_pdf())],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.html);
    let page = director.follow(&posted).await;
    assert!(
        page.html.contains("Registramos su consulta."),
        "{}",
        page.html
    );
    let href = page
        .html
        .split("href=\"")
        .find(|s| s.starts_with("/consola/mis-tickets/") && s.contains("/adjuntos/"))
        .and_then(|s| s.split('"').next())
        .expect("the file's link")
        .to_owned();
    let file = director.get(&href).await;
    assert_eq!(file.status, StatusCode::OK);

    // Without the form token nothing is filed; with a bad field, the page says which.
    let before = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM helpdesk_ticket")
        .await;
    let forged = director
        .post_multipart(
            "/consola/mis-tickets/nuevo",
            &fields
                .iter()
                .filter(|(k, _)| *k != "csrf")
                .copied()
                .collect::<Vec<_>>(),
            vec![],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let mut bad: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| *k != "cell_phone")
        .copied()
        .collect();
    bad.push(("cell_phone", "12"));
    let refused = director
        .post_multipart("/consola/mis-tickets/nuevo", &bad, vec![])
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.html
    );
    assert!(refused.html.contains("role=\"alert\""));
    assert!(
        refused.html.contains("No puedo registrar el traslado"),
        "what was typed stays"
    );
    assert_eq!(
        app.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM helpdesk_ticket")
            .await,
        before
    );

    // Another person cannot read the file.
    let (stranger, _) = &mut Visitor::signed_in(&app, "jaen.demo").await;
    assert_eq!(stranger.get(&href).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_knowledge_base_is_searched_read_voted_and_written_from_pages() {
    let app = spawn_app().await;
    let (admin, csrf) = &mut Visitor::signed_in(&app, "admin.demo").await;
    let created = admin
        .post(
            "/consola/articulos/nuevo",
            &[
                ("csrf", csrf),
                ("title", "Cómo registrar un traslado entre IE"),
                ("problem", "La IE de destino no encuentra a la estudiante."),
                (
                    "solution",
                    "La IE de origen registra primero la baja por traslado.",
                ),
                ("topic", "traslados"),
                ("tags", "traslado, baja"),
                ("state", "publicado"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.html);
    let article = created.location.clone().unwrap();

    let (director, director_csrf) = &mut Visitor::signed_in(&app, "director.demo").await;
    let found = director.get("/consola/articulos?q=traslado").await;
    assert!(
        found.html.contains(&format!("href=\"{article}\"")),
        "{}",
        found.html
    );
    let read = director.get(&article).await;
    assert!(
        read.html
            .contains("La IE de origen registra primero la baja por traslado.")
    );
    let voted = director
        .post(
            &format!("{article}/voto"),
            &[("csrf", director_csrf), ("helpful", "si")],
        )
        .await;
    assert_eq!(voted.status, StatusCode::SEE_OTHER, "{}", voted.html);
    let read = director.follow(&voted).await;
    assert!(
        read.html.contains("A 1 personas les sirvió"),
        "{}",
        read.html
    );
    assert!(read.html.contains("usted respondió: sí"));
    // A director writes no article.
    assert_eq!(
        director.get("/consola/articulos/nuevo").await.status,
        StatusCode::FORBIDDEN
    );
    let forged = director
        .post(
            &format!("{article}/editar"),
            &[
                ("csrf", director_csrf),
                ("title", "Otro"),
                ("problem", "x"),
                ("solution", "y"),
                ("state", "archivado"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.html);

    // Archived from its form: no longer found by a director.
    let edit = admin.get(&format!("{article}/editar")).await;
    assert!(
        edit.html.contains("Cómo registrar un traslado entre IE"),
        "{}",
        edit.html
    );
    let archived = admin
        .post(
            &format!("{article}/editar"),
            &[
                ("csrf", csrf),
                ("title", "Cómo registrar un traslado entre IE"),
                ("problem", "La IE de destino no encuentra a la estudiante."),
                (
                    "solution",
                    "La IE de origen registra primero la baja por traslado.",
                ),
                ("topic", "traslados"),
                ("tags", "traslado"),
                ("state", "archivado"),
            ],
        )
        .await;
    assert_eq!(archived.status, StatusCode::SEE_OTHER, "{}", archived.html);
    assert_eq!(director.get(&article).await.status, StatusCode::NOT_FOUND);

    // A resolved ticket turned into a draft article, opened in its form.
    let (id, _) = filed(
        &app,
        "Al matricular, el DNI 44556677 aparece como duplicado.",
    )
    .await;
    let agent = app.login_as("agente.demo").await;
    app.ticket_step(&agent, id, "take", json!({})).await;
    app.ticket_step(
        &agent,
        id,
        "resolve",
        json!({"resolution": "Se depuró el registro duplicado."}),
    )
    .await;
    let turned = admin
        .post(
            &format!("/consola/mesa-de-ayuda/tickets/{id}/articulo"),
            &[("csrf", csrf)],
        )
        .await;
    assert_eq!(turned.status, StatusCode::SEE_OTHER, "{}", turned.html);
    let draft = admin.follow(&turned).await;
    assert!(
        draft.html.contains("Se depuró el registro duplicado."),
        "{}",
        draft.html
    );
    assert!(!draft.html.contains("44556677"), "the DNI left out");
}

#[tokio::test]
async fn the_reports_page_draws_the_backlog_and_downloads_it() {
    let app = spawn_app().await;
    filed(&app, "Consulta para el reporte de pendientes.").await;
    let (agent, _) = &mut Visitor::signed_in(&app, "agente.demo").await;
    let page = agent.get("/consola/mesa-de-ayuda/reportes").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("<svg role=\"img\""), "{}", page.html);
    assert!(page.html.contains("N1 · Nuevo"), "{}", page.html);
    let csv = agent
        .get("/consola/mesa-de-ayuda/reportes/pendientes.csv")
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.html.lines().count() >= 2, "{}", csv.html);
    let (director, _) = &mut Visitor::signed_in(&app, "director.demo").await;
    assert_eq!(
        director.get("/consola/mesa-de-ayuda/reportes").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        director
            .get("/consola/mesa-de-ayuda/reportes/pendientes.csv")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_requester_files_and_rates_in_a_browser_and_suggestions_appear_while_typing() {
    let app = spawn_app().await;
    // Without JavaScript: file from the form, then read the acknowledgement.
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser
        .open(&format!("{}/consola/ingresar", app.address))
        .await;
    browser.type_into("#username", "director.demo").await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser.click("main button[type=submit]").await;
    browser.text_with("Bienvenido").await;
    browser
        .open(&format!("{}/consola/mis-tickets/nuevo", app.address))
        .await;
    browser
        .type_into("#comment", "No puedo cambiar la contraseña")
        .await;
    browser.click("button[formmethod=get]").await;
    browser.text_with("Artículos que pueden responder").await;
    browser.click("#topic option[value=acceso]").await;
    for (field, value) in [
        ("#email", "ie16471@siagie.local"),
        ("#cell_phone", "987654321"),
    ] {
        browser.clear(field).await;
        browser.type_into(field, value).await;
    }
    browser
        .click("form[enctype] > button[type=submit]:last-of-type")
        .await;
    let text = browser.text_with("Registramos su consulta").await;
    assert!(text.contains("Consulta ISOS-"), "{text}");
    browser.quit().await;

    // With JavaScript: the suggestions refresh as one types, without sending the form.
    let Some(browser) = Browser::start_with_scripts().await else {
        return;
    };
    browser
        .open(&format!("{}/consola/ingresar", app.address))
        .await;
    browser.type_into("#username", "director.demo").await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser.click("main button[type=submit]").await;
    browser.text_with("Bienvenido").await;
    browser
        .open(&format!("{}/consola/mis-tickets/nuevo", app.address))
        .await;
    browser.type_into("#comment", "contraseña").await;
    let text = browser.text_with("Artículos que pueden responder").await;
    assert!(
        text.contains("Registrar una consulta"),
        "still the form: {text}"
    );
    let violations = browser.serious_accessibility_violations().await;
    browser.quit().await;
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn the_new_console_pages_have_no_serious_accessibility_violation() {
    let app = spawn_app().await;
    let (id, _) = filed(
        &app,
        "Consulta para revisar la accesibilidad de la consola.",
    )
    .await;
    let Some(browser) = Browser::start_with_scripts().await else {
        return;
    };
    browser
        .open(&format!("{}/consola/ingresar", app.address))
        .await;
    browser.type_into("#username", "admin.demo").await;
    browser.type_into("#password", DEMO_PASSWORD).await;
    browser.click("main button[type=submit]").await;
    browser.text_with("Bienvenido").await;
    let mut found = Vec::new();
    for (path, text) in [
        (format!("/consola/mesa-de-ayuda/tickets/{id}"), "Historial"),
        ("/consola/mesa-de-ayuda/reportes".to_owned(), "Reportes"),
        (
            "/consola/mesa-de-ayuda/respuestas".to_owned(),
            "Respuestas predefinidas",
        ),
        ("/consola/articulos".to_owned(), "Base de conocimiento"),
        ("/consola/articulos/nuevo".to_owned(), "Nuevo artículo"),
        ("/consola/mis-tickets".to_owned(), "Mis consultas"),
        (
            "/consola/mis-tickets/nuevo".to_owned(),
            "Registrar una consulta",
        ),
    ] {
        browser.open(&format!("{}{path}", app.address)).await;
        browser.text_with(text).await;
        found.push((path, browser.serious_accessibility_violations().await));
    }
    browser.quit().await;
    for (page, violations) in found {
        assert!(violations.is_empty(), "{page}: {violations:?}");
    }
}

/// Who opens which console page: each page for each role (and without a session), as the
/// authorization matrix does for the API. 200: the page; 403: a page that says it is not for the
/// person; 404: a ticket out of the person's reach (as one that does not exist); 303: to sign in.
#[tokio::test]
async fn every_console_page_answers_each_role_as_its_reach_allows() {
    let app = spawn_app().await;
    let (n1, _) = filed(&app, "Consulta para la matriz de páginas de la consola.").await;
    let article = app
        .scalar("SELECT CAST(MIN(id) AS TEXT) FROM helpdesk_article WHERE state = 'publicado'")
        .await
        .unwrap();
    let pages = [
        "/consola".to_owned(),
        "/consola/mesa-de-ayuda".to_owned(),
        format!("/consola/mesa-de-ayuda/tickets/{n1}"),
        "/consola/mesa-de-ayuda/reportes".to_owned(),
        "/consola/mesa-de-ayuda/reportes/pendientes.csv".to_owned(),
        "/consola/mesa-de-ayuda/respuestas".to_owned(),
        "/consola/articulos".to_owned(),
        format!("/consola/articulos/{article}"),
        "/consola/articulos/nuevo".to_owned(),
        "/consola/mis-tickets".to_owned(),
        "/consola/mis-tickets/nuevo".to_owned(),
        format!("/consola/mis-tickets/{n1}"),
    ];
    // One column per page, in that order.
    let expected: [(&str, [u16; 12]); 6] = [
        (
            "agente.demo",
            [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 404],
        ),
        (
            "admin.demo",
            [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 404],
        ),
        (
            "especialista.demo",
            [200, 200, 404, 200, 200, 403, 200, 200, 403, 200, 200, 404],
        ),
        (
            "ugel.demo",
            [200, 200, 404, 403, 403, 403, 200, 200, 403, 200, 200, 404],
        ),
        (
            "director.demo",
            [200, 403, 404, 403, 403, 403, 200, 200, 403, 200, 200, 200],
        ),
        (
            "docente.demo",
            [200, 403, 404, 403, 403, 403, 200, 200, 403, 200, 200, 404],
        ),
    ];
    let wrong = tests::visitor::page_matrix(&app, &pages, &expected).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn an_agent_replies_with_the_keyboard_and_escalates_in_a_browser() {
    let app = spawn_app().await;
    let (id, _) = filed(&app, "No puedo descargar la nómina en PDF.").await;
    let Some(browser) = Browser::start_with_scripts().await else {
        return;
    };
    browser.sign_in(&app, "agente.demo").await;
    browser
        .open(&format!(
            "{}/consola/mesa-de-ayuda?unassigned=1",
            app.address
        ))
        .await;
    browser
        .click(&format!("a[href='/consola/mesa-de-ayuda/tickets/{id}']"))
        .await;
    browser.text_with("Historial").await;
    // Ctrl+Enter in the reply sends it (WebDriver's Control and Enter keys, then release).
    browser
        .type_into("#reply", "Lo estamos revisando.\u{E009}\u{E007}\u{E000}")
        .await;
    browser.text_with("Respuesta enviada al usuario").await;
    browser.click("details summary").await;
    browser
        .type_into("#escalate", "Requiere a la UGEL: la nómina está observada.")
        .await;
    browser.click("form[action$='/escalar'] button").await;
    let text = browser.text_with("Ticket escalado").await;
    assert!(text.contains("Requiere a la UGEL"), "{text}");
    browser.quit().await;
    let after = ticket(&app, id).await;
    assert_eq!(after["state"], "escalado");
    assert!(
        after["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["body"] == "Lo estamos revisando.")
    );
}

#[tokio::test]
async fn an_article_is_published_and_a_ticket_rated_in_a_browser_without_javascript() {
    let app = spawn_app().await;
    let (id, number) = filed(&app, "El reporte de asistencia sale vacío.").await;
    let agent = app.login_as("agente.demo").await;
    app.ticket_step(&agent, id, "take", json!({})).await;
    app.ticket_step(
        &agent,
        id,
        "resolve",
        json!({"resolution": "Se regeneró el reporte del mes."}),
    )
    .await;
    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.sign_in(&app, "admin.demo").await;
    browser
        .open(&format!("{}/consola/articulos/nuevo", app.address))
        .await;
    browser
        .type_into("#title", "Reporte de asistencia vacío")
        .await;
    browser
        .type_into(
            "#problem",
            "El reporte mensual de asistencia no muestra datos.",
        )
        .await;
    browser
        .type_into("#solution", "Cierre el mes y vuelva a generar el reporte.")
        .await;
    browser.click("#state option[value=publicado]").await;
    browser.click("main form button[type=submit]").await;
    let text = browser.text_with("Cierre el mes y vuelva").await;
    assert!(text.contains("Publicado"), "{text}");
    browser.quit().await;

    let Some(browser) = Browser::start().await else {
        return;
    };
    browser.sign_in(&app, "director.demo").await;
    browser
        .open(&format!(
            "{}/consola/articulos?q=reporte+asistencia",
            app.address
        ))
        .await;
    let text = browser.text_with("Reporte de asistencia vacío").await;
    assert!(text.contains("Buscar artículos"), "{text}");
    browser
        .open(&format!("{}/consola/mis-tickets", app.address))
        .await;
    browser
        .click(&format!("a[href='/consola/mis-tickets/{id}']"))
        .await;
    browser.text_with(&number).await;
    browser.click("input[name=score][value='4']").await;
    browser
        .type_into("#rating-comment", "Buena atención.")
        .await;
    browser.click("form[action$='/calificar'] button").await;
    let text = browser.text_with("Gracias por calificar").await;
    assert!(text.contains("4 de 5"), "{text}");
    browser.quit().await;
    assert_eq!(ticket(&app, id).await["rating"], 4);
}
