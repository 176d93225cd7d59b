//! The e-mails of public requests: the requester's acknowledgement (with the request's number),
//! the IE's issuers told of a new request (the UGEL, when the IE has nobody to issue), and the requester's answer, issued (with a
//! single-use download link) or rejected (with the reason). Each is handed to
//! [`Change::Certificate`](crate::record::Change::Certificate) with the step that causes it, which
//! writes it to the outbox in the step's transaction.

use jobs::outbox::Queued;

use crate::{
    error::{ApiError, Result},
    time::now,
};

/// A message to `to` (its transaction alone keeps it from being queued twice).
fn addressed(to: &str, mail: jobs::templates::Mail) -> Queued {
    (to.to_owned(), mail, None)
}

/// The requester's certificate is issued: a link to download it once.
pub fn issued(to: &str, link: &str, code: &str, school: &str) -> Result<Queued> {
    let mail = jobs::templates::Mail::new(
        "certificate_issued",
        &jobs::templates::context! { link => link, code => code, school => school },
    )
    .map_err(ApiError::Internal)?;
    Ok(addressed(to, mail))
}

/// The requester's request was rejected, with the reason.
pub fn rejected(to: &str, reason: &str, school: &str) -> Result<Queued> {
    let mail = jobs::templates::Mail::new(
        "certificate_rejected",
        &jobs::templates::context! { reason => reason, school => school },
    )
    .map_err(ApiError::Internal)?;
    Ok(addressed(to, mail))
}

/// The requester of a public request: it was received, with its number (sent whether or not the
/// student was found, so that the mail tells nothing about the student).
pub fn received(to: &str, names: &str, number: &str) -> Result<Queued> {
    let date = now()
        .with_timezone(&crate::time::LIMA)
        .format("%d/%m/%Y")
        .to_string();
    let mail = jobs::templates::Mail::new(
        "certificate_request_received",
        &jobs::templates::context! { names => names, number => number, date => date },
    )
    .map_err(ApiError::Internal)?;
    Ok(addressed(to, mail))
}

/// What an issuer is told of a public request that arrived.
pub struct NewRequestMail<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub number: &'a str,
    pub school: &'a str,
    pub student: &'a str,
    pub relationship: &'a str,
    /// The request's page, in full.
    pub link: &'a str,
}

/// One of the IE's issuers: a public request arrived.
pub fn new_request(told: NewRequestMail<'_>) -> Result<Queued> {
    let mail = jobs::templates::Mail::new(
        "certificate_request_new",
        &jobs::templates::context! {
            name => told.name, number => told.number, school => told.school,
            student => told.student, relationship => told.relationship, link => told.link,
        },
    )
    .map_err(ApiError::Internal)?;
    Ok(addressed(told.to, mail))
}

/// The UGEL's Especialista SIAGIE (or the unit above): a public request reached an IE that has
/// nobody to issue it; the director it designates will find the request waiting.
pub fn unattended(
    to: &str,
    name: &str,
    number: &str,
    school: &str,
    designate: &str,
) -> Result<Queued> {
    let mail = jobs::templates::Mail::new(
        "certificate_request_unattended",
        &jobs::templates::context! {
            name => name, number => number, school => school, link => designate,
        },
    )
    .map_err(ApiError::Internal)?;
    Ok(addressed(to, mail))
}
