//! The help desk end to end: a ticket's whole life across the three levels, internal notes that
//! never reach the requester, reach by jurisdiction, the requester's e-mails on a real SMTP
//! server, bad input, readable numbers under concurrency, and the SLA job.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::{
    TestApp, code,
    helpdesk::{help_form, lima, queue_has},
    smtp::SmtpServer,
    spawn_app, spawn_app_with,
};

/// The smallest complete PNG (1×1).
fn png() -> Vec<u8> {
    let mut bytes =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    bytes.extend_from_slice(b"\0\0\0\rIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4");
    bytes.extend_from_slice(b"\0\0\0\0IEND\xae\x42\x60\x82");
    bytes
}

/// The director's ticket about a blocked transfer, filed from the form with the failed
/// operation's code: its id and number.
async fn file_transfer_ticket(app: &TestApp, director: &str) -> (i64, String) {
    let ticket = app
        .file_ticket_ok(
            director,
            &[
                ("error_code", "enrolled_elsewhere"),
                ("request_id", "0b7c9f1e-1234"),
            ],
        )
        .await;
    let number = ticket["number"].as_str().unwrap().to_owned();
    (ticket["id"].as_i64().unwrap(), number)
}

/// Works a new ticket up to N3: N1 takes it, notes internally and escalates it to the UGEL of the
/// requester; the UGEL returns it once to its N1 owner, gets it back and sends it to its DRE,
/// which sends it to N3.
async fn climb_to_n3(app: &TestApp, id: i64) {
    let agent = app.login_as("agente.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    // N1: the agent takes it, notes internally, escalates to the UGEL of the requester.
    let (_, queue) = app.get("/helpdesk/tickets?state=nuevo", &agent).await;
    assert!(queue_has(&queue, id), "{queue}");
    let (_, before) = app.get("/helpdesk/tickets", &ugel).await;
    assert!(!queue_has(&before, id), "N2 sees only what was escalated");
    let taken = app.ticket_step(&agent, id, "take", json!({})).await;
    assert_eq!(taken["state"], "en_atencion");
    let (status, _) = app
        .post(
            &format!("/helpdesk/tickets/{id}/messages"),
            &agent,
            json!({"body": "Nota interna: la IE de destino tiene deuda de matrícula", "internal": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            &format!("/helpdesk/tickets/{id}/escalate"),
            &agent,
            json!({"reason": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["reason"].is_string(), "{body}");
    let escalated = app
        .ticket_step(
            &agent,
            id,
            "escalate",
            json!({"reason": "La estudiante figura matriculada en otra IE de la UGEL"}),
        )
        .await;
    assert_eq!(
        (escalated["state"].as_str(), escalated["level"].as_i64()),
        (Some("escalado"), Some(2))
    );

    // N2 of the right UGEL: sees it, takes it, returns it once, gets it back, sends it to its
    // DRE, which sends it to N3.
    let (_, queue) = app.get("/helpdesk/tickets?level=2", &ugel).await;
    assert!(queue_has(&queue, id), "{queue}");
    let (status, _) = app
        .post(&format!("/helpdesk/tickets/{id}/take"), &agent, json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "N1 does not work an N2 ticket"
    );
    app.ticket_step(&ugel, id, "take", json!({})).await;
    let returned = app
        .ticket_step(
            &ugel,
            id,
            "return",
            json!({"reason": "Falta el DNI de la estudiante"}),
        )
        .await;
    assert_eq!(returned["level"], 1);
    assert_eq!(returned["state"], "en_atencion", "back to the N1 owner");
    app.ticket_step(
        &agent,
        id,
        "escalate",
        json!({"reason": "DNI agregado en la nota"}),
    )
    .await;
    app.ticket_step(&ugel, id, "take", json!({})).await;
    let dre_stage = app
        .ticket_step(
            &ugel,
            id,
            "escalate",
            json!({"reason": "La matrícula duplicada la revisa la DRE"}),
        )
        .await;
    assert_eq!(
        (dre_stage["level"].as_i64(), dre_stage["n2_unit"].as_str()),
        (Some(2), Some("dre"))
    );
    let dre = app.login_as("dre.demo").await;
    app.ticket_step(&dre, id, "take", json!({})).await;
    let n3 = app
        .ticket_step(
            &dre,
            id,
            "escalate",
            json!({"reason": "La matrícula duplicada requiere corrección en MINEDU"}),
        )
        .await;
    assert_eq!(n3["level"], 3);
}

/// N3 takes and resolves a ticket that reached it.
async fn resolve_at_n3(app: &TestApp, id: i64) {
    let minedu = app.login_as("especialista.demo").await;
    app.ticket_step(&minedu, id, "take", json!({})).await;
    let resolved = app.ticket_step(&minedu,
        id,
        "resolve",
        json!({"resolution": "Se anuló la matrícula duplicada: registre el traslado desde la nómina de la sección."}),
    )
    .await;
    assert_eq!(resolved["state"], "resuelto");
}

#[tokio::test]
async fn a_filed_ticket_carries_the_login_identity_the_ie_a_readable_number_and_its_file() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    // Filed from the form with a PDF: identity from the login, IE prefilled, readable number.
    let (status, ticket) = app
        .file_ticket(
            &director,
            &help_form(&[
                ("error_code", "enrolled_elsewhere"),
                ("request_id", "0b7c9f1e-1234"),
            ]),
            vec![("constancia.pdf", tests::minimal_pdf())],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ticket}");
    let id = ticket["id"].as_i64().unwrap();
    let number = ticket["number"].as_str().unwrap().to_owned();
    let year = chrono::Datelike::year(&tests::lima_today());
    assert!(
        number.starts_with(&format!("ISOS-{year}-")) && number.len() == 16,
        "{number}"
    );
    assert_eq!(ticket["state"], "nuevo");
    assert_eq!(ticket["level"], 1);
    assert_eq!(ticket["codigo_modular"], "0412345");
    assert!(
        ticket["requester"].as_str().unwrap().contains(','),
        "{ticket}"
    );
    assert_eq!(ticket["attachments"].as_array().unwrap().len(), 1);
    let attachment = ticket["attachments"][0]["id"].as_i64().unwrap();
    let download = app
        .request(
            Method::GET,
            &format!("/helpdesk/tickets/{id}/attachments/{attachment}"),
            Some(&director),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        download.bytes().await.unwrap().to_vec(),
        tests::minimal_pdf()
    );
    let mail = app.mail_to("ie16471@siagie.local").await;
    assert!(mail.contains(&number), "{mail}");
}

#[tokio::test]
async fn a_ticket_climbs_from_n1_to_the_ugel_then_the_dre_then_n3_and_a_return_goes_back_to_its_n1_owner()
 {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let (id, _) = file_transfer_ticket(&app, &director).await;
    climb_to_n3(&app, id).await;
}

#[tokio::test]
async fn the_requester_rates_once_with_a_comment_below_3_and_confirms_the_resolution() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let (id, _) = file_transfer_ticket(&app, &director).await;
    climb_to_n3(&app, id).await;
    resolve_at_n3(&app, id).await;
    let (status, body) = app
        .post(
            &format!("/helpdesk/tickets/{id}/rating"),
            &director,
            json!({"score": 2}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a low score needs a comment"
    );
    assert!(body["error"]["fields"]["comment"].is_string(), "{body}");
    let rated = app
        .ticket_step(&director, id, "rating", json!({"score": 5}))
        .await;
    assert_eq!(rated["rating"], 5);
    let (status, body) = app
        .post(
            &format!("/helpdesk/tickets/{id}/rating"),
            &director,
            json!({"score": 4}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "ticket_already_rated")
    );
    let closed = app.ticket_step(&director, id, "close", json!({})).await;
    assert_eq!(closed["state"], "cerrado");
    let kinds: Vec<&str> = closed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "filed",
            "taken",
            "escalated",
            "taken",
            "returned",
            "escalated",
            "taken",
            "escalated",
            "taken",
            "escalated",
            "taken",
            "resolved",
            "rated",
            "closed"
        ]
    );
}

#[tokio::test]
async fn a_closed_ticket_becomes_an_article_suggested_to_the_next_user_with_the_same_problem() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;
    let (id, number) = file_transfer_ticket(&app, &director).await;
    climb_to_n3(&app, id).await;
    resolve_at_n3(&app, id).await;
    app.ticket_step(&director, id, "close", json!({})).await;

    // The agent turns it into an article in one step and publishes it.
    let (status, article) = app
        .post(
            &format!("/helpdesk/tickets/{id}/article"),
            &agent,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{article}");
    assert_eq!(article["state"], "borrador");
    assert_eq!(article["source_ticket"], number.as_str());
    let article_id = article["id"].as_i64().unwrap();
    let (status, article) = app
        .patch(
            &format!("/helpdesk/articles/{article_id}"),
            &agent,
            json!({"title": "Traslado bloqueado por una matrícula duplicada", "state": "publicado"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{article}");

    // The next user who types the same problem, with other accents and inflections, gets it.
    let jaen = app.login_as("jaen.demo").await;
    let (status, hits) = app
        .get(
            "/helpdesk/articles?q=traslados%20bloqueados%20matriculas%20duplicadas",
            &jaen,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    assert_eq!(hits[0]["id"], article_id, "{hits}");
    let (status, read) = app
        .post(
            &format!("/helpdesk/articles/{article_id}/feedback"),
            &jaen,
            json!({"helpful": true, "deflected": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(
        (read["helpful"].as_i64(), read["deflections"].as_i64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn the_knowledge_base_matches_spanish_words_without_accents_and_with_other_endings() {
    let app = spawn_app().await;
    let docente = app.login_as("docente.demo").await;
    for (query, title) in [
        ("contrasenas olvidadas", "Olvidé mi contraseña del SIAGIE"),
        (
            "cuenta bloqueo",
            "Mi cuenta está bloqueada por intentos fallidos",
        ),
        (
            "importacion de nominas",
            "Importar la nómina de matrícula desde un archivo",
        ),
    ] {
        let (status, hits) = app
            .get(&format!("/helpdesk/articles?q={query}"), &docente)
            .await;
        assert_eq!(status, StatusCode::OK, "{hits}");
        let titles: Vec<&str> = hits
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["title"].as_str().unwrap())
            .collect();
        assert!(titles.contains(&title), "{query}: {titles:?}");
    }
    // Articles with every word typed come before those with only some.
    let (_, hits) = app
        .get(
            "/helpdesk/articles?q=corregir%20asistencias%20cerradas",
            &docente,
        )
        .await;
    assert_eq!(
        hits[0]["title"], "Cómo corregir un registro de asistencia ya cerrado",
        "{hits}"
    );
    // Drafts are the help desk's.
    let (status, _) = app.get("/helpdesk/articles?state=all", &docente).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_article_is_suggested_while_the_last_word_is_still_being_typed() {
    let app = spawn_app().await;
    let docente = app.login_as("docente.demo").await;
    for (typed, title) in [
        ("olvide mi contra", "Olvidé mi contraseña del SIAGIE"),
        // A word being typed that PostgreSQL does not index (a stop word) narrows nothing.
        (
            "olvide mi contraseña otra",
            "Olvidé mi contraseña del SIAGIE",
        ),
        (
            "Mi cuenta está bloq",
            "Mi cuenta está bloqueada por intentos fallidos",
        ),
    ] {
        let (status, hits) = app
            .get(&format!("/helpdesk/articles?q={typed}&limit=5"), &docente)
            .await;
        assert_eq!(status, StatusCode::OK, "{hits}");
        assert_eq!(hits[0]["title"], title, "{typed}: {hits}");
    }
}

#[tokio::test]
async fn le_sirvio_counts_one_vote_per_person_and_a_second_vote_replaces_the_first() {
    let app = spawn_app().await;
    let docente = app.login_as("docente.demo").await;
    let director = app.login_as("director.demo").await;
    let (_, hits) = app.get("/helpdesk/articles?q=contraseña", &docente).await;
    let id = hits[0]["id"].as_i64().unwrap();
    let path = format!("/helpdesk/articles/{id}/feedback");
    let counts = |a: &Value| {
        (
            a["helpful"].as_i64().unwrap(),
            a["not_helpful"].as_i64().unwrap(),
        )
    };
    let vote = async |token: &str, body: Value| {
        let (status, article) = app.post(&path, token, body).await;
        assert_eq!(status, StatusCode::OK, "{article}");
        article
    };

    let first = vote(&docente, json!({"helpful": true})).await;
    assert_eq!(
        (counts(&first), first["my_vote"].as_bool()),
        ((1, 0), Some(true))
    );
    let again = vote(&docente, json!({"helpful": true})).await;
    assert_eq!(counts(&again), (1, 0), "the same vote twice counts once");
    let changed = vote(&docente, json!({"helpful": false})).await;
    assert_eq!(
        (counts(&changed), changed["my_vote"].as_bool()),
        ((0, 1), Some(false))
    );
    let other = vote(&director, json!({"helpful": true})).await;
    assert_eq!(
        (counts(&other), other["my_vote"].as_bool()),
        ((1, 1), Some(true))
    );
    let (_, read) = app.get(&format!("/helpdesk/articles/{id}"), &docente).await;
    assert_eq!(read["my_vote"], false, "each reader sees its own vote");

    // Many clicks at once from one person are still one vote.
    let jaen = app.login_as("jaen.demo").await;
    let click = || app.post(&path, &jaen, json!({"helpful": false}));
    let answers = tokio::join!(click(), click(), click(), click(), click());
    for (status, body) in [answers.0, answers.1, answers.2, answers.3, answers.4] {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, read) = app.get(&format!("/helpdesk/articles/{id}"), &jaen).await;
    assert_eq!(counts(&read), (1, 2), "{read}");
    let votes = app
        .scalar(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM helpdesk_article_vote WHERE article_id = {id}"
        ))
        .await;
    assert_eq!(votes.as_deref(), Some("3"));

    // A deflection counts once per person; a body with neither is a 422.
    let deflected = vote(&docente, json!({"deflected": true})).await;
    assert_eq!(
        (counts(&deflected), deflected["deflections"].as_i64()),
        ((1, 2), Some(1))
    );
    let again = vote(&docente, json!({"deflected": true})).await;
    assert_eq!(again["deflections"].as_i64(), Some(1), "{again}");
    let (status, body) = app.post(&path, &docente, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["helpful"].is_string(), "{body}");

    // A draft is suggested to nobody: nobody votes on it, not even the help desk.
    let agent = app.login_as("agente.demo").await;
    let (status, draft) = app
        .post(
            "/helpdesk/articles",
            &agent,
            json!({"title": "Borrador de prueba", "problem": "Un problema.", "solution": "Una solución.", "topic": "otros"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft_path = format!("/helpdesk/articles/{}/feedback", draft["id"]);
    let (status, body) = app
        .post(
            &draft_path,
            &agent,
            json!({"helpful": true, "deflected": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test]
async fn internal_notes_never_reach_the_requester_in_lists_detail_or_e_mail() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port;
    let app = spawn_app_with(move |c| {
        c.mail.transport = jobs::mail::MailTransport::Smtp;
        c.mail.smtp_host = "127.0.0.1".into();
        c.mail.smtp_port = port;
        c.mail.smtp_tls = jobs::mail::SmtpTls::None;
    })
    .await;
    let docente = app.login_as("docente.demo").await;
    let agent = app.login_as("agente.demo").await;
    let ticket = app
        .file_ticket_ok(&docente, &[("email", "docente16471@siagie.local")])
        .await;
    let id = ticket["id"].as_i64().unwrap();
    let number = ticket["number"].as_str().unwrap().to_owned();
    app.ticket_step(&agent, id, "take", json!({})).await;
    let secret = "SECRETO-INTERNO: posible mal uso de la cuenta";
    app.post(
        &format!("/helpdesk/tickets/{id}/messages"),
        &agent,
        json!({"body": secret, "internal": true}),
    )
    .await;
    app.ticket_step(
        &agent,
        id,
        "wait",
        json!({"reason": "¿Desde qué tableta registró la asistencia?"}),
    )
    .await;
    let (status, body) = app
        .post(
            &format!("/helpdesk/tickets/{id}/escalate"),
            &agent,
            json!({"reason": "RAZÓN-INTERNA de la derivación"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "ticket_state_conflict"),
        "the requester is awaited"
    );
    let (status, replied) = app
        .post(
            &format!("/helpdesk/tickets/{id}/messages"),
            &docente,
            json!({"body": "Desde la tableta del aula de primer grado."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{replied}");
    assert_eq!(replied["state"], "en_atencion", "a reply ends the wait");
    app.ticket_step(
        &agent,
        id,
        "escalate",
        json!({"reason": "RAZÓN-INTERNA de la derivación"}),
    )
    .await;

    // The requester's detail and list: no note, no reasons.
    let (_, detail) = app.get(&format!("/helpdesk/tickets/{id}"), &docente).await;
    let (_, list) = app.get("/helpdesk/tickets", &docente).await;
    for text in [detail.to_string(), list.to_string()] {
        assert!(!text.contains("SECRETO-INTERNO"), "{text}");
        assert!(!text.contains("RAZÓN-INTERNA"), "{text}");
    }
    assert!(
        detail.to_string().contains("¿Desde qué tableta"),
        "{detail}"
    );
    assert!(detail["sla"].as_array().unwrap().is_empty());
    // The requester cannot write an internal note.
    let (status, _) = app
        .post(
            &format!("/helpdesk/tickets/{id}/messages"),
            &docente,
            json!({"body": "nota", "internal": true}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The help desk sees both.
    let (_, staff) = app.get(&format!("/helpdesk/tickets/{id}"), &agent).await;
    assert!(staff.to_string().contains("SECRETO-INTERNO"));
    assert!(staff.to_string().contains("RAZÓN-INTERNA"));
    assert_eq!(staff["sla"].as_array().unwrap().len(), 2, "{staff}");

    // E-mails: the acknowledgement and the question, threaded, with the number; no note.
    app.deliver_mail().await;
    let mails = smtp.wait_for(2).await;
    let to_requester: Vec<_> = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains("docente16471")))
        .collect();
    assert_eq!(to_requester.len(), 2, "{mails:?}");
    let root = format!("<{}@siagie>", number.to_lowercase());
    for mail in &to_requester {
        assert!(mail.subject().contains(&number), "{}", mail.subject());
        let raw = String::from_utf8_lossy(&mail.raw);
        assert!(!raw.contains("SECRETO") && !mail.text().contains("SECRETO"));
        assert!(raw.contains(&root), "{raw}");
    }
    assert!(
        to_requester
            .iter()
            .any(|m| m.text().contains("¿Desde qué tableta"))
    );
    assert!(
        to_requester
            .iter()
            .any(|m| String::from_utf8_lossy(&m.raw).contains("References:")),
        "the reply refers to the thread's first message"
    );
}

#[tokio::test]
async fn a_ticket_is_read_only_within_reach() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let jaen = app.login_as("jaen.demo").await;
    let ugel = app.login_as("ugel.demo").await;
    let dre = app.login_as("dre.demo").await;
    let agent = app.login_as("agente.demo").await;
    let docente = app.login_as("docente.demo").await;

    let (status, mine) = app
        .file_ticket(&director, &help_form(&[]), vec![("captura.png", png())])
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    let id = mine["id"].as_i64().unwrap();
    let attachment = mine["attachments"][0]["id"].as_i64().unwrap();
    // Another requester, even of the same IE, gets 404 on the ticket and its file.
    for token in [&jaen, &docente, &ugel] {
        let (status, _) = app.get(&format!("/helpdesk/tickets/{id}"), token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app
            .get(
                &format!("/helpdesk/tickets/{id}/attachments/{attachment}"),
                token,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (_, own) = app.get("/helpdesk/tickets", &jaen).await;
    assert!(!queue_has(&own, id));
    let (status, _) = app.get("/helpdesk/tickets?view=queue", &jaen).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A Jaén ticket escalated to N2: the DRE sees it, San Ignacio's UGEL does not.
    let jaen_ticket = app
        .file_ticket_ok(&jaen, &[("email", "ie16003@siagie.local")])
        .await;
    let jid = jaen_ticket["id"].as_i64().unwrap();
    app.ticket_step(&agent, jid, "escalate", json!({"reason": "Datos de la IE"}))
        .await;
    let (_, queue) = app.get("/helpdesk/tickets", &ugel).await;
    assert!(!queue_has(&queue, jid), "another UGEL's ticket");
    let (status, _) = app.get(&format!("/helpdesk/tickets/{jid}"), &ugel).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, queue) = app.get("/helpdesk/tickets", &dre).await;
    assert!(queue_has(&queue, jid), "{queue}");
    // The requester cannot work its own ticket.
    let (status, _) = app
        .post(
            &format!("/helpdesk/tickets/{jid}/resolve"),
            &jaen,
            json!({"resolution": "listo"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nor can it read the help desk's similar tickets.
    let (status, _) = app
        .get(&format!("/helpdesk/tickets/{jid}/similar"), &jaen)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_wrong_form_answers_every_field_and_writes_nothing() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let count = "SELECT CAST(COUNT(*) AS TEXT) FROM helpdesk_ticket";
    let before = app.scalar(count).await;
    let outbox = "SELECT CAST(COUNT(*) AS TEXT) FROM mail_outbox";
    let mail_before = app.scalar(outbox).await;

    let (status, body) = app
        .file_ticket(
            &director,
            &help_form(&[
                ("email", "no-es-correo"),
                ("cell_phone", "812345678"),
                ("topic", "clima"),
                ("codigo_modular", "9999999"),
                ("comment", "   "),
                ("extension", "12a"),
                ("error_code", "no_such_code"),
            ]),
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = &body["error"]["fields"];
    for field in [
        "email",
        "cell_phone",
        "topic",
        "codigo_modular",
        "comment",
        "extension",
        "error_code",
    ] {
        assert!(fields[field].is_string(), "{field}: {body}");
    }
    assert!(fields["cell_phone"].as_str().unwrap().contains("9 dígitos"));

    // A file is checked by its content, not its name.
    let (status, body) = app
        .file_ticket(
            &director,
            &help_form(&[]),
            vec![("informe.pdf", b"esto no es un PDF".to_vec())],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["attachment"].is_string(), "{body}");
    // At most three files.
    let pdf = tests::minimal_pdf();
    let (status, body) = app
        .file_ticket(
            &director,
            &help_form(&[]),
            vec![
                ("a.pdf", pdf.clone()),
                ("b.pdf", pdf.clone()),
                ("c.pdf", pdf.clone()),
                ("d.pdf", pdf),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // Not a form at all.
    let (status, body) = app
        .post("/helpdesk/tickets", &director, json!({"comment": "hola"}))
        .await;
    assert!(
        status.is_client_error() && status != StatusCode::NOT_FOUND,
        "{status} {body}"
    );

    assert_eq!(app.scalar(count).await, before, "no ticket written");
    assert_eq!(app.scalar(outbox).await, mail_before, "no e-mail queued");

    // Steps with wrong values.
    let agent = app.login_as("agente.demo").await;
    let ticket = app.file_ticket_ok(&director, &[]).await;
    let id = ticket["id"].as_i64().unwrap();
    let (status, body) = app
        .post(
            &format!("/helpdesk/tickets/{id}/priority"),
            &agent,
            json!({"impact": "enorme", "urgency": "alta", "reason": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["impact"].is_string()
            && body["error"]["fields"]["reason"].is_string()
    );
    let changed = app
        .ticket_step(
            &agent,
            id,
            "priority",
            json!({"impact": "alta", "urgency": "alta", "reason": "Afecta a toda la IE"}),
        )
        .await;
    assert_eq!(changed["priority"], 5);
    let (status, body) = app
        .post(
            &format!("/helpdesk/tickets/{id}/close"),
            &director,
            json!({}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "ticket_state_conflict")
    );
}

#[tokio::test]
async fn duplicates_are_found_merged_and_numbers_never_repeat_under_concurrency() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;
    let one = || app.file_ticket_ok(&director, &[("error_code", "register_incomplete")]);
    let (a, b, c, d, e, f) = tokio::join!(one(), one(), one(), one(), one(), one());
    let tickets = [a, b, c, d, e, f];
    let mut numbers: Vec<&str> = tickets
        .iter()
        .map(|t| t["number"].as_str().unwrap())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 6, "{numbers:?}");

    let first = tickets[0]["id"].as_i64().unwrap();
    let second = tickets[1]["id"].as_i64().unwrap();
    let (status, similar) = app
        .get(&format!("/helpdesk/tickets/{second}/similar"), &agent)
        .await;
    assert_eq!(status, StatusCode::OK, "{similar}");
    let dup = similar
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == first)
        .expect("the first filing is similar");
    assert_eq!(dup["probable_duplicate"], true, "{similar}");
    let merged = app
        .ticket_step(
            &agent,
            second,
            "merge",
            json!({"into": tickets[0]["number"], "reason": "Mismo problema"}),
        )
        .await;
    assert_eq!(merged["state"], "fusionado");
    assert_eq!(merged["merged_into"], tickets[0]["number"]);
    // Nothing is merged into a ticket that is no longer open, such as a resolved one.
    let resolved = tickets[4]["id"].as_i64().unwrap();
    app.ticket_step(&agent, resolved, "take", json!({})).await;
    app.ticket_step(
        &agent,
        resolved,
        "resolve",
        json!({"resolution": "Se completaron los días sin marcas y se cerró el registro."}),
    )
    .await;
    let (status, body) = app
        .post(
            &format!("/helpdesk/tickets/{}/merge", tickets[2]["id"]),
            &agent,
            json!({"into": tickets[4]["number"], "reason": "Duplicado."}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["into"].is_string(), "{body}");
    let annulled = app
        .ticket_step(
            &agent,
            tickets[2]["id"].as_i64().unwrap(),
            "annul",
            json!({"reason": "Registrado por error"}),
        )
        .await;
    assert_eq!(annulled["state"], "anulado");
    // Round-robin assigns the least loaded agent of the level.
    let assigned = app
        .ticket_step(
            &agent,
            tickets[3]["id"].as_i64().unwrap(),
            "assign",
            json!({}),
        )
        .await;
    assert_eq!(assigned["state"], "en_atencion");
    assert!(assigned["assignee_id"].is_i64());
}

#[tokio::test]
async fn reports_count_the_backlog_and_stream_csv() {
    let app = spawn_app().await;
    let agent = app.login_as("agente.demo").await;
    let (status, backlog) = app.get("/helpdesk/reports/backlog", &agent).await;
    assert_eq!(status, StatusCode::OK, "{backlog}");
    assert!(!backlog.as_array().unwrap().is_empty());
    // The backlog counts every open ticket once.
    let counted: u64 = backlog
        .as_array()
        .unwrap()
        .iter()
        .map(|cell| cell["tickets"].as_u64().unwrap())
        .sum();
    let open = app
        .scalar(
            "SELECT CAST(COUNT(*) AS TEXT) FROM helpdesk_ticket \
             WHERE state IN ('nuevo', 'en_atencion', 'esperando_usuario', 'escalado', 'reabierto')",
        )
        .await
        .unwrap();
    assert_eq!(counted.to_string(), open);
    let (status, summary) = app.get("/helpdesk/reports/summary", &agent).await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert!(summary["tickets"].as_u64().unwrap() >= 20, "{summary}");
    assert!(summary["average_rating"].is_number(), "{summary}");
    // A period: the tickets filed in it, and only a sensible one.
    let (status, past) = app
        .get(
            "/helpdesk/reports/summary?from=2020-01-01&to=2020-12-31",
            &agent,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{past}");
    assert_eq!(
        (&past["tickets"], &past["from"], &past["to"]),
        (&json!(0), &json!("2020-01-01"), &json!("2020-12-31"))
    );
    for wrong in [
        "from=2026-12-10&to=2026-12-01",
        "from=2024-01-01&to=2026-01-01",
    ] {
        let (status, body) = app
            .get(&format!("/helpdesk/reports/summary?{wrong}"), &agent)
            .await;
        assert_eq!(
            (status, code(&body)),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{wrong}"
        );
    }
    let csv = app
        .request(
            Method::GET,
            "/helpdesk/reports/backlog?format=csv",
            Some(&agent),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert!(
        text.starts_with("Nivel,Estado,Tema,UGEL,Tickets abiertos\n"),
        "{text}"
    );
    assert!(
        text.contains("UGEL Jaén") && text.contains("UGEL San Ignacio"),
        "{text}"
    );
    let director = app.login_as("director.demo").await;
    let (status, _) = app.get("/helpdesk/reports/summary", &director).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_sla_job_warns_once_only_in_working_hours_and_only_an_administrator_adds_holidays() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let admin = app.login_as("admin.demo").await;
    let ticket = app.file_ticket_ok(&director, &[]).await;
    let id = ticket["id"].as_i64().unwrap();
    let config = app.config.helpdesk.clone();

    // Filed "on Friday 4 December 2026 at 09:00", Lima.
    let filed = lima(2026, 12, 4, 9);
    {
        use entity::{helpdesk_event, helpdesk_ticket};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        helpdesk_ticket::Entity::update_many()
            .col_expr(helpdesk_ticket::Column::CreatedAt, Expr::value(filed))
            .col_expr(helpdesk_ticket::Column::LevelSince, Expr::value(filed))
            .filter(helpdesk_ticket::Column::Id.eq(id))
            .exec(&app.db)
            .await
            .unwrap();
        helpdesk_event::Entity::update_many()
            .col_expr(helpdesk_event::Column::At, Expr::value(filed))
            .filter(helpdesk_event::Column::TicketId.eq(id))
            .exec(&app.db)
            .await
            .unwrap();
    }

    // Saturday: nothing is sent, whatever is due.
    let summary = siagie::helpdesk::sla_job::run(
        &app.db,
        &config,
        siagie::helpdesk::links::Links::new(&app.address),
        lima(2026, 12, 5, 11),
    )
    .await
    .unwrap();
    assert!(summary.contains("fuera del horario"), "{summary}");
    // Monday 7 December, 10:00: the first response (4 working hours for priority media) is
    // overdue since Friday 13:00; the supervisors are told, once, across runs.
    // Only this ticket's warnings count: the demo world has tickets of its own.
    let number = ticket["number"].as_str().unwrap();
    let count = &format!(
        "SELECT CAST(COUNT(*) AS TEXT) FROM mail_outbox \
         WHERE template LIKE 'helpdesk_sla%' AND context LIKE '%{number}%'"
    );
    siagie::helpdesk::sla_job::run(
        &app.db,
        &config,
        siagie::helpdesk::links::Links::new(&app.address),
        lima(2026, 12, 7, 10),
    )
    .await
    .unwrap();
    let first = app.scalar(count).await.unwrap();
    assert_ne!(first, "0");
    siagie::helpdesk::sla_job::run(
        &app.db,
        &config,
        siagie::helpdesk::links::Links::new(&app.address),
        lima(2026, 12, 7, 11),
    )
    .await
    .unwrap();
    assert_eq!(app.scalar(count).await.unwrap(), first, "each alert once");
    // Scheduled on two instances at the same minute, the run is claimed once.
    let (name, work) = siagie::helpdesk::sla_job::scheduled(
        app.db.clone(),
        app.config.helpdesk.clone(),
        app.address.clone(),
    );
    let at = lima(2026, 12, 7, 12);
    tokio::join!(
        jobs::schedule::run_claimed(&app.db, name, &work, at),
        jobs::schedule::run_claimed(&app.db, name, &work, at),
    );
    let runs = app
        .scalar("SELECT CAST(COUNT(*) AS TEXT) FROM job_run WHERE job = 'helpdesk_sla'")
        .await;
    assert_eq!(runs.as_deref(), Some("1"));
    assert_eq!(app.scalar(count).await.unwrap(), first, "each alert once");
    let mail =
        tests::smtp::Received::from_raw(app.mail_to("admin.demo@siagie.local").await.into_bytes())
            .text();
    assert!(mail.contains("su plazo desde el último aviso"), "{mail}");
    assert!(
        mail.contains(&format!("{number}: primera respuesta")),
        "{mail}"
    );

    // The national holidays are in the help desk's calendar; only an administrator adds more.
    let (status, holidays) = app.get("/helpdesk/holidays?year=2026", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert!(holidays.to_string().contains("2026-12-08"), "{holidays}");
    let (status, body) = app
        .post(
            "/helpdesk/holidays",
            &admin,
            json!({"date": "2026-12-08", "description": "Inmaculada Concepción"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "already_exists")
    );
    let (status, body) = app
        .post(
            "/helpdesk/holidays",
            &director,
            json!({"date": "2026-12-10", "description": "Aniversario"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}
