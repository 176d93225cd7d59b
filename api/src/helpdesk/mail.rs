//! The e-mails about a ticket: the requester's (the number in the subject, one thread per
//! ticket), and the help desk's people's when a ticket reaches them: an escalation or a return
//! tells the stage it reaches, a requester's reply or reopening tells the assignee (or the
//! stage's people when nobody has it), an assignment tells the person assigned.

use jobs::outbox::Queued;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::{
    helpdesk_availability, helpdesk_ticket,
    helpdesk_vocabulary::{N2Unit, TicketLevel, TicketState},
    role_assignment,
};

use super::{access, links::Links, rules};
use crate::error::{ApiError, Result};

/// What the requester is told by e-mail.
#[derive(Debug)]
pub enum Notice {
    /// The ticket was filed: its number.
    Filed,
    /// A public reply of the help desk (its text).
    Reply(String),
    /// The help desk asks the requester (turned into a reply with the question).
    Question,
    /// The ticket was resolved: the resolution.
    Resolved,
}

/// The requester's e-mail about a ticket, if the notice makes one. Every e-mail of a ticket names
/// its number in the subject and belongs to one thread (Message-ID of the first, References in
/// the others).
pub fn to_requester(
    links: Links,
    ticket: &helpdesk_ticket::Model,
    notice: Notice,
) -> Result<Option<Queued>> {
    let (headline, body, root) = match notice {
        Notice::Filed => (
            "Registramos su consulta",
            "La Central de Atención la revisará y le responderá por este medio. Cite el número del ticket si llama por teléfono.".to_owned(),
            true,
        ),
        Notice::Reply(text) => ("Respuesta de la mesa de ayuda", text, false),
        Notice::Question => return Ok(None),
        Notice::Resolved => (
            "Su consulta fue resuelta",
            ticket.resolution.clone().unwrap_or_default(),
            false,
        ),
    };
    let mail = jobs::templates::Mail::new(
        "helpdesk_ticket",
        &serde_json::json!({
            "number": ticket.number,
            "headline": headline,
            "body": body,
            "state": ticket.state.label(),
            "resolved": ticket.state == TicketState::Resuelto,
            "thread": ticket.number,
            "thread_root": root,
            "link": links.requester(ticket.id),
        }),
    )
    .map_err(ApiError::Internal)?;
    Ok(Some((ticket.email.clone(), mail, None)))
}

/// Every e-mail a step on a ticket causes: the requester's, then the help desk's people's; for
/// [`record`](crate::record::record) to queue with the change.
pub async fn about(
    db: &impl ConnectionTrait,
    links: Links<'_>,
    ticket: &helpdesk_ticket::Model,
    requester: Option<Notice>,
    staff: Option<StaffNotice>,
    actor: i64,
) -> Result<Vec<Queued>> {
    let mut mail: Vec<Queued> = match requester {
        Some(notice) => to_requester(links, ticket, notice)?.into_iter().collect(),
        None => Vec::new(),
    };
    if let Some(notice) = staff {
        mail.extend(to_staff(db, links, ticket, notice, actor).await?);
    }
    Ok(mail)
}

/// Where a ticket is worked, and the units that say whose stage it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stage {
    pub level: TicketLevel,
    pub n2_unit: Option<N2Unit>,
    pub ugel_id: Option<i64>,
    pub dre_id: Option<i64>,
}

impl From<&helpdesk_ticket::Model> for Stage {
    fn from(t: &helpdesk_ticket::Model) -> Self {
        Self {
            level: t.level,
            n2_unit: t.n2_unit,
            ugel_id: t.ugel_id,
            dre_id: t.dre_id,
        }
    }
}

/// A person told: account, e-mail and given names.
pub type Contact = (i64, String, String);

/// The e-mail and given names of accounts (those without an e-mail are left out).
pub async fn contacts(db: &impl ConnectionTrait, users: &[i64]) -> Result<Vec<Contact>> {
    Ok(rules::accounts(db, users)
        .await?
        .into_iter()
        .filter_map(|(a, p)| {
            let p = p?;
            Some((a.id, p.email?, p.given_names))
        })
        .collect())
}

/// The people who work a stage: the active holders of its role in its unit (the Central de
/// Atención and MINEDU nationally, an N2 specialist in the ticket's UGEL or DRE), those who set
/// themselves unavailable left out unless that leaves nobody.
pub async fn stage_people(db: &impl ConnectionTrait, stage: Stage) -> Result<Vec<Contact>> {
    use role_assignment::Column as R;
    let roles = access::roles_at(stage.level, stage.n2_unit);
    let mut query = role_assignment::Entity::find()
        .filter(R::Active.eq(true))
        .filter(R::Role.is_in(roles.iter().map(|r| r.code())));
    query = match (stage.level, stage.n2_unit) {
        (TicketLevel::N2, Some(N2Unit::Dre)) => {
            query.filter(R::DreId.eq(stage.dre_id.unwrap_or(-1)))
        }
        (TicketLevel::N2, _) => query.filter(R::UgelId.eq(stage.ugel_id.unwrap_or(-1))),
        _ => query,
    };
    let mut users: Vec<i64> = query
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    users.sort_unstable();
    users.dedup();
    let away: Vec<i64> = helpdesk_availability::Entity::find()
        .filter(helpdesk_availability::Column::UserId.is_in(users.clone()))
        .filter(helpdesk_availability::Column::Available.eq(false))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    if users.iter().any(|u| !away.contains(u)) {
        users.retain(|u| !away.contains(u));
    }
    contacts(db, &users).await
}

/// What the help desk's people are told about a ticket.
#[derive(Debug)]
pub enum StaffNotice {
    /// It reached their stage going up, with the reason.
    Escalated(String),
    /// It came back to them, with the reason.
    Returned(String),
    /// Someone else assigned it to them.
    Assigned,
    /// The requester answered (its message).
    Replied(String),
    /// The requester reopened it (why).
    Reopened(String),
}

/// The help desk's e-mails about a ticket: to its assignee, or to the people of its stage when
/// nobody has it (an escalation always tells the stage); never to the person who took the step.
pub async fn to_staff(
    db: &impl ConnectionTrait,
    links: Links<'_>,
    ticket: &helpdesk_ticket::Model,
    notice: StaffNotice,
    actor: i64,
) -> Result<Vec<Queued>> {
    let (headline, detail_label, detail, action) = match notice {
        StaffNotice::Escalated(why) => (
            "Ticket derivado a su nivel",
            "Motivo de la derivación",
            why,
            "Tómelo o asígnelo desde la bandeja de la mesa de ayuda.",
        ),
        StaffNotice::Returned(why) => (
            "Ticket devuelto a su nivel",
            "Motivo de la devolución",
            why,
            "Revise el motivo y continúe la atención.",
        ),
        StaffNotice::Assigned => (
            "Se le asignó un ticket",
            "",
            String::new(),
            "Atiéndalo desde la bandeja de la mesa de ayuda.",
        ),
        StaffNotice::Replied(text) => (
            "El usuario respondió",
            "Respuesta",
            text,
            "Continúe la atención: el plazo volvió a correr.",
        ),
        StaffNotice::Reopened(why) => (
            "El usuario reabrió el ticket",
            "Motivo",
            why,
            "El problema continúa: retome la atención.",
        ),
    };
    let to = match ticket.assignee_id {
        Some(user) => contacts(db, &[user]).await?,
        None => stage_people(db, ticket.into()).await?,
    };
    let mut outgoing = Vec::new();
    for (_, email, name) in to.into_iter().filter(|(user, ..)| *user != actor) {
        let mail = jobs::templates::Mail::new(
            "helpdesk_staff",
            &serde_json::json!({
                "name": name,
                "number": ticket.number,
                "headline": headline,
                "stage": rules::stage_label(ticket.level, ticket.n2_unit),
                "priority": ticket.priority.label(),
                "detail_label": detail_label,
                "detail": detail,
                "subject": rules::subject(&ticket.comment),
                "action": action,
                "thread": ticket.number,
                "thread_root": false,
                "link": links.staff(ticket.id),
            }),
        )
        .map_err(ApiError::Internal)?;
        outgoing.push((email, mail, None));
    }
    Ok(outgoing)
}
