//! The SLA job's e-mails: each warning told to the ticket's assignee (a breach of a ticket nobody
//! has, to everyone who works its stage), and the supervisors' digest of a run's breaches.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use jobs::outbox::Queued;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::role_assignment;

use super::ticket::SlaTicket;
use crate::{
    auth::Role,
    helpdesk::{
        links::Links,
        mail::{self, Stage},
        rules,
        sla::{Calendar, Target},
    },
    time::LIMA,
};

/// A warning the run owes: a ticket's clock that reached 80 % or was breached.
pub(super) struct Owed {
    pub(super) ticket: usize,
    pub(super) clock: Target,
    pub(super) breached: bool,
}

/// What a run owes: the warnings, and the national calendar it measured on.
pub(super) struct Owes {
    pub(super) warnings: Vec<Owed>,
    pub(super) national: Calendar,
}

/// Accounts holding these roles, with their e-mail and name.
async fn holders(
    db: &impl ConnectionTrait,
    roles: &[Role],
) -> Result<Vec<(i64, String, String)>, sea_orm::DbErr> {
    let users: Vec<i64> = role_assignment::Entity::find()
        .filter(role_assignment::Column::Active.eq(true))
        .filter(role_assignment::Column::Role.is_in(roles.iter().map(|r| r.code())))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    contacts(db, users).await
}

/// The e-mail and given names of accounts, by account.
async fn contacts(
    db: &impl ConnectionTrait,
    users: Vec<i64>,
) -> Result<Vec<(i64, String, String)>, sea_orm::DbErr> {
    Ok(rules::accounts(db, &users)
        .await?
        .into_iter()
        .filter_map(|(a, p)| {
            let p = p?;
            Some((a.id, p.email?, p.given_names))
        })
        .collect())
}

/// Tickets listed in a supervisor's digest; the rest are counted.
const DIGEST_LISTS: usize = 50;

/// A warning's facts, for the e-mails that tell it.
fn describe(links: Links, ticket: &SlaTicket, o: &Owed) -> serde_json::Value {
    serde_json::json!({
        "number": ticket.number,
        "breached": o.breached,
        "target": match o.clock.target {
            "first_response" => "primera respuesta",
            _ => "resolución",
        },
        "level": rules::stage_label(ticket.level, ticket.n2_unit),
        "due": o.clock.due_at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string(),
        "priority": ticket.priority.label(),
        "link": links.staff(ticket.id),
    })
}

/// The e-mails of the warnings owed: the assignees', one per ticket and warning (a breach of a
/// ticket nobody has goes to everyone who works its stage); the supervisors', one digest.
pub(super) async fn warnings(
    db: &impl ConnectionTrait,
    links: Links<'_>,
    open: &[SlaTicket],
    owed: &Owes,
    at: DateTime<Utc>,
) -> anyhow::Result<Vec<Queued>> {
    let mut assignees: Vec<i64> = owed
        .warnings
        .iter()
        .filter_map(|o| open[o.ticket].assignee_id)
        .collect();
    assignees.sort_unstable();
    assignees.dedup();
    let assignees: HashMap<i64, (String, String)> = contacts(db, assignees)
        .await?
        .into_iter()
        .map(|(id, email, name)| (id, (email, name)))
        .collect();
    let mut outgoing = Vec::new();
    // The people of each stage that has an unassigned ticket in breach.
    let mut stages: HashMap<Stage, Vec<mail::Contact>> = HashMap::new();
    for o in &owed.warnings {
        let ticket = &open[o.ticket];
        if ticket.assignee_id.is_none() && o.breached {
            let stage = Stage {
                level: ticket.level,
                n2_unit: ticket.n2_unit,
                ugel_id: ticket.ugel_id,
                dre_id: ticket.dre_id,
            };
            if let std::collections::hash_map::Entry::Vacant(slot) = stages.entry(stage) {
                let people = mail::stage_people(db, stage)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                slot.insert(people);
            }
            outgoing.extend(to_stage(links, ticket, o, &stages[&stage])?);
            continue;
        }
        let Some(assignee) = ticket.assignee_id.and_then(|a| assignees.get(&a)) else {
            continue;
        };
        outgoing.push(to_assignee(links, ticket, o, assignee)?);
    }
    outgoing.extend(digest(db, links, open, &owed.warnings, at).await?);
    Ok(outgoing)
}

/// A level's clock is keyed by when the ticket reached it: a ticket that comes back to a level is
/// warned again.
fn clock_key(ticket: &SlaTicket, o: &Owed) -> String {
    match o.clock.target {
        "first_response" => "first_response".to_owned(),
        _ => format!(
            "resolution:{}:{}",
            ticket.level.number(),
            ticket.level_since.timestamp()
        ),
    }
}

/// A breach of a ticket nobody has, told to each person of its stage.
fn to_stage(
    links: Links,
    ticket: &SlaTicket,
    o: &Owed,
    people: &[mail::Contact],
) -> anyhow::Result<Vec<Queued>> {
    let key = clock_key(ticket, o);
    let mut outgoing = Vec::new();
    for (user, email, name) in people {
        let mut context = describe(links, ticket, o);
        context["name"] = name.clone().into();
        context["unassigned"] = true.into();
        outgoing.push((
            email.clone(),
            jobs::templates::Mail::new("helpdesk_sla", &context)?,
            Some(format!(
                "helpdesk_sla:{}:{key}:vencido:etapa:{user}",
                ticket.id
            )),
        ));
    }
    Ok(outgoing)
}

/// A warning told to the ticket's assignee.
fn to_assignee(
    links: Links,
    ticket: &SlaTicket,
    o: &Owed,
    (email, name): &(String, String),
) -> anyhow::Result<Queued> {
    let mut context = describe(links, ticket, o);
    context["name"] = name.clone().into();
    Ok((
        email.clone(),
        jobs::templates::Mail::new("helpdesk_sla", &context)?,
        Some(format!(
            "helpdesk_sla:{}:{}:{}:{}",
            ticket.id,
            clock_key(ticket, o),
            if o.breached { "vencido" } else { "80" },
            ticket.assignee_id.unwrap_or_default()
        )),
    ))
}

/// The supervisors' digest of the run's breaches, if any.
async fn digest(
    db: &impl ConnectionTrait,
    links: Links<'_>,
    open: &[SlaTicket],
    owed: &[Owed],
    at: DateTime<Utc>,
) -> anyhow::Result<Vec<Queued>> {
    let breaches: Vec<&Owed> = owed.iter().filter(|o| o.breached).collect();
    if breaches.is_empty() {
        return Ok(Vec::new());
    }
    let listed: Vec<serde_json::Value> = breaches
        .iter()
        .take(DIGEST_LISTS)
        .map(|o| describe(links, &open[o.ticket], o))
        .collect();
    let mut outgoing = Vec::new();
    for (user, email, name) in holders(db, &[Role::MineduAdmin]).await? {
        let context = serde_json::json!({
            "name": name,
            "count": breaches.len(),
            "date": at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string(),
            "tickets": listed,
            "more": breaches.len().saturating_sub(DIGEST_LISTS),
            "queue": links.queue(),
        });
        outgoing.push((
            email,
            jobs::templates::Mail::new("helpdesk_sla_digest", &context)?,
            Some(format!("helpdesk_sla_digest:{}:{user}", at.timestamp())),
        ));
    }
    Ok(outgoing)
}
