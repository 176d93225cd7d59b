//! The e-mails of public requests: the requester's acknowledgement (with the request's number),
//! the IE's issuers told of a new request, and the requester's answer, issued (with a
//! single-use download link) or rejected (with the reason); each written to the outbox in the
//! transaction of the step that causes it.

use sea_orm::ConnectionTrait;

use crate::{
    error::{ApiError, Result},
    time::now,
};

/// The requester's certificate is issued: a link to download it once.
pub async fn issued(
    db: &impl ConnectionTrait,
    to: &str,
    link: &str,
    code: &str,
    school: &str,
) -> Result<()> {
    let mail = jobs::templates::Mail::new(
        "certificate_issued",
        &jobs::templates::context! { link => link, code => code, school => school },
    )
    .map_err(ApiError::Internal)?;
    jobs::outbox::enqueue(db, to, mail, None, now()).await?;
    Ok(())
}

/// The requester's request was rejected, with the reason.
pub async fn rejected(
    db: &impl ConnectionTrait,
    to: &str,
    reason: &str,
    school: &str,
) -> Result<()> {
    let mail = jobs::templates::Mail::new(
        "certificate_rejected",
        &jobs::templates::context! { reason => reason, school => school },
    )
    .map_err(ApiError::Internal)?;
    jobs::outbox::enqueue(db, to, mail, None, now()).await?;
    Ok(())
}

/// The requester of a public request: it was received, with its number (sent whether or not the
/// student was found, so that the mail tells nothing about the student).
pub async fn received(
    db: &impl ConnectionTrait,
    to: &str,
    names: &str,
    number: &str,
) -> Result<()> {
    let date = now()
        .with_timezone(&crate::time::LIMA)
        .format("%d/%m/%Y")
        .to_string();
    let mail = jobs::templates::Mail::new(
        "certificate_request_received",
        &jobs::templates::context! { names => names, number => number, date => date },
    )
    .map_err(ApiError::Internal)?;
    jobs::outbox::enqueue(db, to, mail, None, now()).await?;
    Ok(())
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
pub async fn new_request(db: &impl ConnectionTrait, told: NewRequestMail<'_>) -> Result<()> {
    let mail = jobs::templates::Mail::new(
        "certificate_request_new",
        &jobs::templates::context! {
            name => told.name, number => told.number, school => told.school,
            student => told.student, relationship => told.relationship, link => told.link,
        },
    )
    .map_err(ApiError::Internal)?;
    jobs::outbox::enqueue(db, told.to, mail, None, now()).await?;
    Ok(())
}
