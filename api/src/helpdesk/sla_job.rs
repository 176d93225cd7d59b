//! The SLA of open tickets, measured from their event log on the help-desk calendar (so a change
//! of the calendar re-evaluates every open ticket), and the scheduled job that warns the assignee
//! at 80 % of a target, alerts the supervisors on a breach, and closes resolved tickets the
//! requester did not answer — each once (the outbox's keys), only in working hours.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};

use entity::{
    helpdesk_event, helpdesk_holiday, helpdesk_ticket, helpdesk_vocabulary::TicketState, person,
    role_assignment, user_account,
};

use super::{
    HelpdeskConfig, rules,
    sla::{self, Calendar, Step, Target},
};
use crate::{
    auth::Role,
    record::{AuditAction, Change, Event, record},
    time::LIMA,
};

/// Holidays of the years around `at`: national ones, and the DRE's when `dre_id` is given.
async fn holidays(
    db: &impl ConnectionTrait,
    dre_id: Option<i64>,
) -> Result<HashSet<chrono::NaiveDate>, sea_orm::DbErr> {
    let mut condition = sea_orm::Condition::any().add(helpdesk_holiday::Column::DreId.is_null());
    if let Some(dre) = dre_id {
        condition = condition.add(helpdesk_holiday::Column::DreId.eq(dre));
    }
    Ok(helpdesk_holiday::Entity::find()
        .filter(condition)
        .all(db)
        .await?
        .into_iter()
        .map(|h| h.date)
        .collect())
}

/// The calendar a ticket's current level works on: the DRE's holidays apply to N2.
pub async fn calendar_for(
    db: &impl ConnectionTrait,
    ticket: &helpdesk_ticket::Model,
    config: &HelpdeskConfig,
) -> Result<Calendar, sea_orm::DbErr> {
    let dre = if ticket.level == 2 {
        ticket.dre_id
    } else {
        None
    };
    let (opens, closes) = config.hours();
    Ok(Calendar::new(opens, closes, holidays(db, dre).await?))
}

/// A ticket's clocks: first response (from filing) and resolution at the current level (from
/// when the ticket reached it), with the waits for the requester as pauses.
pub fn clocks(
    calendar: &Calendar,
    ticket: &helpdesk_ticket::Model,
    events: &[helpdesk_event::Model],
    now: DateTime<Utc>,
) -> Vec<Target> {
    if matches!(ticket.state, TicketState::Fusionado | TicketState::Anulado) {
        return Vec::new();
    }
    let steps: Vec<Step> = events
        .iter()
        .map(|e| Step {
            at: e.at,
            state: e.to_state,
        })
        .collect();
    let first = sla::measure(
        calendar,
        "first_response",
        sla::first_response_hours(ticket.priority) * 3600,
        ticket.created_at,
        ticket.first_response_at,
        &steps,
        now,
    );
    let resolution = sla::measure(
        calendar,
        "resolution",
        sla::resolution_hours(ticket.priority, ticket.level) * 3600,
        ticket.level_since,
        ticket.resolved_at,
        &steps,
        now,
    );
    vec![first, resolution]
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

async fn contacts(
    db: &impl ConnectionTrait,
    users: Vec<i64>,
) -> Result<Vec<(i64, String, String)>, sea_orm::DbErr> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let accounts = user_account::Entity::find()
        .filter(user_account::Column::Id.is_in(users))
        .all(db)
        .await?;
    let people: HashMap<i64, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(accounts.iter().map(|a| a.person_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(accounts
        .into_iter()
        .filter_map(|a| {
            let p = people.get(&a.person_id)?;
            Some((a.id, p.email.clone()?, p.given_names.clone()))
        })
        .collect())
}

/// The job for the scheduler (`jobs.helpdesk_sla`), claimed per occurrence like the alerts.
pub fn scheduled(
    db: DatabaseConnection,
    config: HelpdeskConfig,
) -> (&'static str, jobs::schedule::JobFn) {
    let work: jobs::schedule::JobFn = std::sync::Arc::new(move |at| {
        let (db, config) = (db.clone(), config.clone());
        Box::pin(async move { run(&db, &config, at).await })
    });
    ("helpdesk_sla", work)
}

/// Runs the SLA job as of `at`: outside working hours it does nothing (no alert at midnight).
pub async fn run(
    db: &DatabaseConnection,
    config: &HelpdeskConfig,
    at: DateTime<Utc>,
) -> anyhow::Result<String> {
    let national = {
        let (opens, closes) = config.hours();
        Calendar::new(opens, closes, holidays(db, None).await?)
    };
    if !national.is_working_time(at) {
        return Ok("fuera del horario de atención: sin avisos".into());
    }
    let open_states = [
        TicketState::Nuevo,
        TicketState::EnAtencion,
        TicketState::EsperandoUsuario,
        TicketState::Escalado,
        TicketState::Reabierto,
    ];
    let open = helpdesk_ticket::Entity::find()
        .filter(helpdesk_ticket::Column::State.is_in(open_states))
        .all(db)
        .await?;
    let ids: Vec<i64> = open.iter().map(|t| t.id).collect();
    let mut events: HashMap<i64, Vec<helpdesk_event::Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for e in helpdesk_event::Entity::find()
            .filter(helpdesk_event::Column::TicketId.is_in(chunk.to_vec()))
            .order_by_asc(helpdesk_event::Column::Id)
            .all(db)
            .await?
        {
            events.entry(e.ticket_id).or_default().push(e);
        }
    }
    let supervisors = holders(db, &[Role::MineduAdmin]).await?;
    let mut regional: HashMap<i64, Calendar> = HashMap::new();
    let mut outgoing = Vec::new();
    for ticket in &open {
        let calendar = match (ticket.level, ticket.dre_id) {
            (2, Some(dre)) => {
                if let std::collections::hash_map::Entry::Vacant(slot) = regional.entry(dre) {
                    let (opens, closes) = config.hours();
                    slot.insert(Calendar::new(opens, closes, holidays(db, Some(dre)).await?));
                }
                &regional[&dre]
            }
            _ => &national,
        };
        let log = events
            .get(&ticket.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for clock in clocks(calendar, ticket, log, at) {
            let breached = match clock.status {
                "vencido" => true,
                "por_vencer" => false,
                _ => continue,
            };
            let target = match clock.target {
                "first_response" => "primera respuesta",
                _ => "resolución",
            };
            let mut to = Vec::new();
            if let Some(assignee) = ticket.assignee_id {
                to.extend(contacts(db, vec![assignee]).await?);
            }
            if breached {
                to.extend(supervisors.iter().cloned());
            }
            let kind = if breached { "vencido" } else { "80" };
            for (user, email, name) in to {
                let context = serde_json::json!({
                    "name": name,
                    "number": ticket.number,
                    "breached": breached,
                    "target": target,
                    "level": rules::level_label(ticket.level),
                    "due": clock.due_at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string(),
                    "priority": rules::priority_label(ticket.priority),
                });
                outgoing.push((
                    email,
                    jobs::templates::Mail::new("helpdesk_sla", &context)?,
                    Some(format!(
                        "helpdesk_sla:{}:{}:{}:{}:{}",
                        ticket.id, clock.target, ticket.level, kind, user
                    )),
                ));
            }
        }
    }
    let txn = crate::db::begin(db).await?;
    // Queued now, whatever instant the run is for: it is sent at once.
    let queued = jobs::outbox::enqueue_many(&txn, outgoing, crate::time::now()).await?;

    // Resolved tickets the requester did not confirm close after the configured working days.
    let resolved = helpdesk_ticket::Entity::find()
        .filter(helpdesk_ticket::Column::State.eq(TicketState::Resuelto))
        .all(&txn)
        .await?;
    let mut closed = 0;
    for ticket in resolved {
        let Some(resolved_at) = ticket.resolved_at else {
            continue;
        };
        let waited = national.working_secs(resolved_at, at);
        let (opens, closes) = config.hours();
        let day = (closes - opens).num_seconds().max(1);
        if waited < config.close_after_working_days * day {
            continue;
        }
        let mut next: helpdesk_ticket::ActiveModel = ticket.clone().into();
        next.state = Set(TicketState::Cerrado);
        next.closed_at = Set(Some(at));
        next.updated_at = Set(at);
        let saved = next.update(&txn).await?;
        rules::log(
            &txn,
            &saved,
            None,
            "closed",
            Some(TicketState::Resuelto),
            None,
            at,
        )
        .await?;
        record(
            &txn,
            Change::Audited(
                Event::new(AuditAction::HelpdeskTicketChanged, saved.id)
                    .in_unit(super::access::target(&saved))
                    .after(&serde_json::json!({"step": "closed", "state": saved.state})),
            ),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        closed += 1;
    }
    txn.commit().await?;
    Ok(format!(
        "{queued} avisos de plazo encolados; {closed} tickets resueltos cerrados sin respuesta del usuario"
    ))
}
