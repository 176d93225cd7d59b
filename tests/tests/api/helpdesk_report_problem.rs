//! "Report this problem": an error answer's code and request id pre-fill the help form, and the
//! code routes the ticket to its topic (when none, or «otros», was chosen) and prioritises it.

use reqwest::StatusCode;
use tests::spawn_app;

use tests::helpdesk::help_form;

#[tokio::test]
async fn an_error_answer_prefills_the_form_and_its_code_routes_the_ticket() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;

    // The register could not be closed: the form comes pre-filled from the sign-in and the code.
    let (status, prefilled) = app
        .get(
            "/helpdesk/report-problem?error_code=register_incomplete&request_id=0b7c9f1e-42",
            &director,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{prefilled}");
    assert_eq!(prefilled["topic"], "asistencia");
    assert_eq!(prefilled["topic_name"], "Asistencia");
    assert_eq!(prefilled["codigo_modular"], "0412345");
    assert_eq!(prefilled["request_id"], "0b7c9f1e-42");
    assert_eq!(prefilled["urgent"], false);
    assert!(
        prefilled["error_message"]
            .as_str()
            .unwrap()
            .contains("El registro no está completo"),
        "{prefilled}"
    );
    let comment = prefilled["comment"].as_str().unwrap();
    assert!(comment.contains("0b7c9f1e-42") && comment.contains("register_incomplete"));
    assert!(prefilled["email"].is_string(), "{prefilled}");
    assert!(
        prefilled["articles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["title"] == "El registro de asistencia del mes no se puede cerrar"),
        "{prefilled}"
    );

    // Filed with the code and no topic: asistencia.
    let ticket = app
        .file_ticket_ok(
            &director,
            &[
                ("topic", ""),
                ("error_code", "register_incomplete"),
                ("request_id", "0b7c9f1e-42"),
            ],
        )
        .await;
    assert_eq!(ticket["topic"]["code"], "asistencia", "{ticket}");
    assert_eq!(ticket["request_id"], "0b7c9f1e-42");
    // «Otros» with an acta's code: evaluación y actas; a sign-in code: acceso; a certificate's
    // code: certificados.
    for (error, topic) in [
        ("acta_incomplete", "evaluacion"),
        ("invalid_credentials", "acceso"),
        ("too_few_areas", "certificados"),
    ] {
        let ticket = app
            .file_ticket_ok(&director, &[("topic", "otros"), ("error_code", error)])
            .await;
        assert_eq!(ticket["topic"]["code"], topic, "{error}");
    }
    // A topic the requester chose is kept.
    let kept = app
        .file_ticket_ok(
            &director,
            &[
                ("topic", "traslados"),
                ("error_code", "register_incomplete"),
            ],
        )
        .await;
    assert_eq!(kept["topic"]["code"], "traslados");
    // The service failed: urgent, in the topic chosen.
    let urgent = app
        .file_ticket_ok(
            &director,
            &[("topic", "otros"), ("error_code", "service_unavailable")],
        )
        .await;
    assert_eq!(
        (urgent["topic"]["code"].as_str(), urgent["urgency"].as_str()),
        (Some("otros"), Some("alta"))
    );
    // A code that picks no topic still needs one.
    let (status, body) = app
        .file_ticket(
            &director,
            &help_form(&[("topic", ""), ("error_code", "internal_error")]),
            vec![],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["topic"].is_string(), "{body}");
}

#[tokio::test]
async fn a_report_of_an_unknown_code_is_refused_field_by_field() {
    let app = spawn_app().await;
    let docente = app.login_as("docente.demo").await;
    for (query, fields) in [
        ("", &["error_code"][..]),
        ("?error_code=no_existe", &["error_code"]),
        ("?error_code=acta_closed&request_id=a%20b", &["request_id"]),
    ] {
        let (status, body) = app
            .get(&format!("/helpdesk/report-problem{query}"), &docente)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        for field in fields {
            assert!(
                body["error"]["fields"][field].is_string(),
                "{query}: {body}"
            );
        }
    }
    // A code that routes nowhere leaves the topic to the requester.
    let (status, body) = app
        .get(
            "/helpdesk/report-problem?error_code=internal_error",
            &docente,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["topic"].is_null() && body["request_id"].is_null());
    assert_eq!(body["urgent"], true);
    // A teacher's IE comes from the sign-in; with no e-mail of its own, the IE's (if any).
    assert_eq!(body["codigo_modular"], "0412345");
}
