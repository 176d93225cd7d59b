//! The help desk's actions as a user takes them: filing a ticket through the help form, taking a
//! step on it, and reading whether a queue holds it.

use chrono::{DateTime, TimeZone, Utc};
use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use serde_json::Value;

use crate::{TestApp, read};

/// The fields of a valid help form, with these changes (an empty value removes the field).
pub fn help_form(changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("email", "ie16471@siagie.local"),
        ("cell_phone", "987654321"),
        ("extension", "12"),
        ("topic", "traslados"),
        (
            "comment",
            "No puedo registrar el traslado de una estudiante a otra IE: el sistema no la encuentra.",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in changes {
        fields.retain(|(key, _)| key != k);
        if !v.is_empty() {
            fields.push((k.to_string(), v.to_string()));
        }
    }
    fields
}

/// Whether a page of tickets lists the ticket.
pub fn queue_has(page: &Value, id: i64) -> bool {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == id)
}

/// An hour of a day in Lima, as an instant.
pub fn lima(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    siagie::time::LIMA
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

impl TestApp {
    /// Files a ticket with these form fields and files (name, bytes); answers as the API does.
    pub async fn file_ticket(
        &self,
        token: &str,
        fields: &[(String, String)],
        files: Vec<(&str, Vec<u8>)>,
    ) -> (StatusCode, Value) {
        let mut form = Form::new();
        for (k, v) in fields {
            form = form.text(k.clone(), v.clone());
        }
        for (name, bytes) in files {
            form = form.part("attachment", Part::bytes(bytes).file_name(name.to_owned()));
        }
        read(
            self.request(Method::POST, "/helpdesk/tickets", Some(token))
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Files a valid help form with these changes, and answers the ticket filed.
    pub async fn file_ticket_ok(&self, token: &str, changes: &[(&str, &str)]) -> Value {
        let (status, ticket) = self.file_ticket(token, &help_form(changes), vec![]).await;
        assert_eq!(status, StatusCode::CREATED, "{ticket}");
        ticket
    }

    /// Takes a step on a ticket (`take`, `escalate`, `resolve`, …), which must succeed; answers
    /// the ticket after it.
    pub async fn ticket_step(&self, token: &str, id: i64, action: &str, body: Value) -> Value {
        let (status, ticket) = self
            .post(&format!("/helpdesk/tickets/{id}/{action}"), token, body)
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {ticket}");
        ticket
    }
}
