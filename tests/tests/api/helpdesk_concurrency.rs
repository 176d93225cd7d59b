//! Help-desk steps on one ticket at the same moment: each checks the state it started from, so
//! one wins and the other is told (409 `ticket_state_conflict`); nothing is overwritten.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::{TestApp, code, spawn_app};

async fn user_id(app: &TestApp, token: &str) -> i64 {
    let (_, me) = app.get("/me", token).await;
    me["id"].as_i64().unwrap()
}

/// The kinds of a ticket's log, in order.
fn kinds(ticket: &Value) -> Vec<String> {
    ticket["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

const ROUNDS: usize = 10;

#[tokio::test]
async fn two_agents_taking_one_ticket_at_once_leave_it_to_one_and_tell_the_other() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;
    let agent2 = app.login_as("agente2.demo").await;
    let ids = [user_id(&app, &agent).await, user_id(&app, &agent2).await];

    for _ in 0..ROUNDS {
        let id = app.file_ticket_ok(&director, &[]).await["id"]
            .as_i64()
            .unwrap();
        let path = format!("/helpdesk/tickets/{id}/take");
        let (one, two) = tokio::join!(
            app.post(&path, &agent, json!({})),
            app.post(&path, &agent2, json!({})),
        );
        let answers = [one, two];
        let won: Vec<usize> = (0..2).filter(|&i| answers[i].0 == StatusCode::OK).collect();
        assert_eq!(won.len(), 1, "exactly one take wins: {answers:?}");
        let (status, body) = &answers[1 - won[0]];
        assert_eq!(
            (*status, code(body)),
            (StatusCode::CONFLICT, "ticket_state_conflict"),
            "{body}"
        );
        assert!(body["error"]["message"].as_str().unwrap().len() > 20);
        let (_, ticket) = app.get(&format!("/helpdesk/tickets/{id}"), &agent).await;
        assert_eq!(ticket["assignee_id"], ids[won[0]], "{ticket}");
        assert_eq!(ticket["owner_id"], ids[won[0]], "{ticket}");
        assert_eq!(kinds(&ticket), ["filed", "taken"]);
    }

    // Taken by one agent, the other does not take it over: reassigning is a step of its own.
    let id = app.file_ticket_ok(&director, &[]).await["id"]
        .as_i64()
        .unwrap();
    let (status, _) = app
        .post(&format!("/helpdesk/tickets/{id}/take"), &agent, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(&format!("/helpdesk/tickets/{id}/take"), &agent2, json!({}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "ticket_state_conflict")
    );
    let (status, body) = app
        .post(
            &format!("/helpdesk/tickets/{id}/assign"),
            &agent2,
            json!({"user_id": ids[1]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["assignee_id"], ids[1]);
}

#[tokio::test]
async fn a_take_and_an_escalation_at_once_never_leave_an_n2_ticket_with_an_n1_agent() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;
    let agent2 = app.login_as("agente2.demo").await;
    let taker = user_id(&app, &agent).await;

    // More rounds than the others: a lost update needs the take to land after the escalation.
    for _ in 0..3 * ROUNDS {
        let id = app.file_ticket_ok(&director, &[]).await["id"]
            .as_i64()
            .unwrap();
        let (take, escalate) = (
            format!("/helpdesk/tickets/{id}/take"),
            format!("/helpdesk/tickets/{id}/escalate"),
        );
        let ((took, took_body), (escalated, escalated_body)) = tokio::join!(
            app.post(&take, &agent, json!({})),
            app.post(&escalate, &agent2, json!({"reason": "Lo revisa la UGEL"})),
        );
        // Each step either happened or was refused with a reason: the take loses with 409 when it
        // read the ticket before the escalation, and with 403 when it read it at N2.
        for (status, body) in [(took, &took_body), (escalated, &escalated_body)] {
            assert!(
                status == StatusCode::OK
                    || (status == StatusCode::CONFLICT && code(body) == "ticket_state_conflict")
                    || (status == StatusCode::FORBIDDEN && code(body) == "forbidden"),
                "{status} {body}"
            );
        }
        let (_, ticket) = app.get(&format!("/helpdesk/tickets/{id}"), &agent).await;
        assert!(
            ticket["level"] == 1 || ticket["assignee_id"] != taker,
            "an N2 ticket assigned to an N1 agent: {ticket}"
        );
        let expected: &[&str] = match (took, escalated) {
            (StatusCode::OK, StatusCode::OK) => &["filed", "taken", "escalated"],
            (StatusCode::OK, _) => &["filed", "taken"],
            (_, StatusCode::OK) => &["filed", "escalated"],
            _ => panic!("both refused: {took_body} {escalated_body}"),
        };
        assert_eq!(kinds(&ticket), expected, "{ticket}");
        if escalated == StatusCode::OK {
            assert_eq!(
                (ticket["level"].as_i64(), ticket["state"].as_str()),
                (Some(2), Some("escalado")),
                "{ticket}"
            );
            assert!(
                ticket["assignee_id"].is_null(),
                "nobody of N2 took it yet: {ticket}"
            );
        } else {
            assert_eq!(
                (ticket["level"].as_i64(), ticket["state"].as_str()),
                (Some(1), Some("en_atencion"))
            );
            assert_eq!(ticket["assignee_id"], taker);
        }
    }
}

#[tokio::test]
async fn a_requesters_reply_and_a_resolution_at_once_never_reopen_a_resolved_ticket_silently() {
    let app = spawn_app().await;
    let director = app.login_as("director.demo").await;
    let agent = app.login_as("agente.demo").await;

    for _ in 0..ROUNDS {
        let id = app.file_ticket_ok(&director, &[]).await["id"]
            .as_i64()
            .unwrap();
        let (take, wait) = (
            format!("/helpdesk/tickets/{id}/take"),
            format!("/helpdesk/tickets/{id}/wait"),
        );
        app.post(&take, &agent, json!({})).await;
        app.post(&wait, &agent, json!({"reason": "¿Qué estudiante?"}))
            .await;
        let (reply, resolve) = (
            format!("/helpdesk/tickets/{id}/messages"),
            format!("/helpdesk/tickets/{id}/resolve"),
        );
        let ((replied, reply_body), (resolved, resolve_body)) = tokio::join!(
            app.post(&reply, &director, json!({"body": "La de primer grado."})),
            app.post(&resolve, &agent, json!({"resolution": "Se corrigió."})),
        );
        for (status, body) in [(replied, &reply_body), (resolved, &resolve_body)] {
            assert!(
                status == StatusCode::OK
                    || (status == StatusCode::CONFLICT && code(body) == "ticket_state_conflict"),
                "{status} {body}"
            );
        }
        let (_, ticket) = app.get(&format!("/helpdesk/tickets/{id}"), &agent).await;
        // A resolution that answered 200 is what the ticket says, whatever came after it: a
        // reply that lost is refused, never turning the ticket back to «en atención».
        if resolved == StatusCode::OK {
            assert_eq!(ticket["state"], "resuelto", "{ticket}");
        } else {
            assert_eq!(ticket["state"], "en_atencion", "{ticket}");
        }
        let kinds = kinds(&ticket);
        assert_eq!(
            kinds.last().map(String::as_str),
            Some(if resolved == StatusCode::OK {
                "resolved"
            } else {
                "replied"
            }),
            "{kinds:?}"
        );
    }
}
