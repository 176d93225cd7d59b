//! The conversation of a ticket: public replies (the requester reads them and gets them by
//! e-mail, threaded by the ticket number) and internal notes (never shown to the requester, never
//! e-mailed); the requester's replies, which end a wait for the requester.

use chrono::{DateTime, Utc};
use jobs::outbox::Queued;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use entity::{
    helpdesk_message, helpdesk_ticket,
    helpdesk_vocabulary::{EventKind, TicketState},
};

use super::{
    access,
    dto::{NewMessage, TicketView},
    links::Links,
    mail::{self, Notice, StaffNotice},
    rules::{MAX_TEXT, text},
    tickets,
};
use crate::{
    auth::Principal,
    error::{ApiError, ErrorCode, Result},
    provisioning::files::Upload,
    record::{AuditAction, Change, Event, TicketStep, record},
    state::AppState,
};

/// Posts a message: the requester replies (public only); the help desk replies at the ticket's
/// level, or adds an internal note from any level that reads it.
pub async fn post(
    state: &AppState,
    p: &Principal,
    id: i64,
    input: NewMessage,
    now: DateTime<Utc>,
) -> Result<TicketView> {
    post_with_files(state, p, id, input, Vec::new(), now).await
}

/// [`post`] with files attached to the ticket with the message (checked uploads, up to three): the
/// files go to disk first and are removed if the message is not written.
pub async fn post_with_files(
    state: &AppState,
    p: &Principal,
    id: i64,
    input: NewMessage,
    files: Vec<Upload>,
    now: DateTime<Utc>,
) -> Result<TicketView> {
    let data_dir = &state.config.storage.data_dir;
    let stored = tickets::store(data_dir, &files).await?;
    let written = write(state, p, id, input, (&files, &stored), now).await;
    if written.is_err() {
        tickets::remove(data_dir, &stored).await;
    }
    let saved = written?;
    tickets::read_as(&state.db, &state.config.helpdesk, p, &saved, now).await
}

/// Writes the message, its files and the ticket's change, with their log, audit and e-mails.
async fn write(
    state: &AppState,
    p: &Principal,
    id: i64,
    input: NewMessage,
    files: (&[Upload], &[String]),
    now: DateTime<Utc>,
) -> Result<helpdesk_ticket::Model> {
    let (txn, ticket, access) = tickets::begin_on(&state.db, p, id).await?;
    let allowed = if input.internal {
        access.staff
    } else {
        access.requester || access.works
    };
    if !allowed {
        return Err(ApiError::forbidden());
    }
    let body = text(Some(&input.body), MAX_TEXT, "Escriba el mensaje.")
        .map_err(|m| ApiError::field("body", m))?;
    if matches!(
        ticket.state,
        TicketState::Cerrado | TicketState::Fusionado | TicketState::Anulado
    ) {
        return Err(ApiError::because(
            ErrorCode::TicketStateConflict,
            "El ticket está cerrado: reábralo o registre uno nuevo.",
        ));
    }
    let message = helpdesk_message::ActiveModel {
        ticket_id: Set(ticket.id),
        author_id: Set(p.user_id),
        internal: Set(input.internal),
        body: Set(body.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let from_requester = access.requester && !input.internal;
    let mut next: helpdesk_ticket::ActiveModel = ticket.clone().into();
    next.updated_at = Set(now);
    // The requester's answer ends a wait for the requester: the clock runs again.
    let replied = from_requester && ticket.state == TicketState::EsperandoUsuario;
    if replied {
        next.state = Set(TicketState::EnAtencion);
    }
    if !from_requester && !input.internal && ticket.first_response_at.is_none() {
        next.first_response_at = Set(Some(now));
    }
    // A reply depends on the ticket's state and stage (an internal note does not): it is written
    // only if no other step changed them meanwhile.
    let saved = if input.internal {
        next.update(&txn).await?
    } else {
        tickets::write_if_unchanged(&txn, &ticket, next).await?
    };
    let mail = mail_for(
        &txn,
        Links::new(&state.config.auth.public_base_url),
        &saved,
        input.internal,
        from_requester,
        body,
        p.user_id,
    )
    .await?;
    record(
        &txn,
        Change::Ticket {
            ticket: &saved,
            step: replied
                .then(|| TicketStep::new(EventKind::Replied, Some(p.user_id), Some(ticket.state))),
            event: Event::new(AuditAction::HelpdeskMessagePosted, message.id)
                .by(p.user_id)
                .in_unit(access::target(&saved))
                .after(&serde_json::json!({"ticket": saved.number, "internal": input.internal})),
            mail,
            at: now,
        },
    )
    .await?;
    tickets::attach(&txn, saved.id, files, now).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The e-mails a message causes: the help desk's public reply goes to the requester, the
/// requester's to whoever works the ticket; an internal note, none.
async fn mail_for(
    db: &impl ConnectionTrait,
    links: Links<'_>,
    ticket: &helpdesk_ticket::Model,
    internal: bool,
    from_requester: bool,
    body: String,
    actor: i64,
) -> Result<Vec<Queued>> {
    if internal {
        Ok(Vec::new())
    } else if from_requester {
        mail::about(
            db,
            links,
            ticket,
            None,
            Some(StaffNotice::Replied(body)),
            actor,
        )
        .await
    } else {
        mail::about(db, links, ticket, Some(Notice::Reply(body)), None, actor).await
    }
}
