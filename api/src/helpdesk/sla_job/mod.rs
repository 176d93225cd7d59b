//! The SLA of open tickets, measured from their event log on the help-desk calendar (so a change
//! of the calendar re-evaluates every open ticket), and the scheduled job that warns the assignee
//! at 80 % of a target and on a breach, sends the supervisors a digest of the breaches, and
//! closes resolved tickets the requester did not answer — each once, only in working hours.

mod closing;
mod ticket;
mod warnings;

pub use ticket::SlaTicket;
use warnings::{Owed, Owes};

use super::links::Links;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};

use entity::{
    helpdesk_event, helpdesk_holiday, helpdesk_ticket,
    helpdesk_vocabulary::{TicketLevel, TicketState},
};

use super::{
    HelpdeskConfig,
    sla::{self, Calendar, Step, Target},
};
use crate::time::LIMA;

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
    let dre = if ticket.level == TicketLevel::N2 {
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
    let steps: Vec<Step> = events
        .iter()
        .map(|e| Step {
            at: e.at,
            state: e.to_state,
        })
        .collect();
    measure_clocks(calendar, &ticket.into(), &steps, now)
}

fn measure_clocks(
    calendar: &Calendar,
    ticket: &SlaTicket,
    steps: &[Step],
    now: DateTime<Utc>,
) -> Vec<Target> {
    if matches!(ticket.state, TicketState::Fusionado | TicketState::Anulado) {
        return Vec::new();
    }
    let first = sla::measure(
        calendar,
        "first_response",
        sla::first_response_hours(ticket.priority) * 3600,
        ticket.created_at,
        ticket.first_response_at,
        steps,
        now,
    );
    let resolution = sla::measure(
        calendar,
        "resolution",
        sla::resolution_hours(ticket.priority, ticket.level) * 3600,
        ticket.level_since,
        ticket.resolved_at,
        steps,
        now,
    );
    vec![first, resolution]
}

/// The warnings a ticket has had, kept in `sla_notified`: per target, at 80 % and on a breach.
/// The resolution's belong to the level the ticket reached at `sla_notified_since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Notified(i16);

impl Notified {
    const FIRST_WARNED: i16 = 1;
    const FIRST_BREACHED: i16 = 2;
    const RESOLUTION_WARNED: i16 = 4;
    const RESOLUTION_BREACHED: i16 = 8;

    /// What still holds for the ticket's current level.
    fn of(t: &SlaTicket) -> Self {
        if t.sla_notified_since == Some(t.level_since) {
            Self(t.sla_notified)
        } else {
            Self(t.sla_notified & (Self::FIRST_WARNED | Self::FIRST_BREACHED))
        }
    }

    fn bits(target: &str) -> (i16, i16) {
        match target {
            "first_response" => (Self::FIRST_WARNED, Self::FIRST_BREACHED),
            _ => (Self::RESOLUTION_WARNED, Self::RESOLUTION_BREACHED),
        }
    }

    /// Whether a clock that has run at most `wall` seconds of `target` might owe a warning: its
    /// working time cannot exceed the time on the wall, so most tickets are settled unread.
    fn may_owe(self, warned: i16, breached: i16, wall: i64, target: i64) -> bool {
        let reached_80 = wall * 5 >= target * 4;
        (self.0 & breached == 0 && wall > target)
            || (self.0 & (warned | breached) == 0 && reached_80)
    }
}

/// The open tickets' states, as the SLA job reads them.
const OPEN_STATES: [TicketState; 5] = [
    TicketState::Nuevo,
    TicketState::EnAtencion,
    TicketState::EsperandoUsuario,
    TicketState::Escalado,
    TicketState::Reabierto,
];

/// Ids per `IN (…)` list.
const CHUNK: usize = 1_000;

/// The job for the scheduler (`jobs.helpdesk_sla`), claimed per occurrence like the alerts.
pub fn scheduled(
    db: DatabaseConnection,
    config: HelpdeskConfig,
    base_url: String,
) -> (&'static str, jobs::schedule::JobFn) {
    let work: jobs::schedule::JobFn = std::sync::Arc::new(move |at| {
        let (db, config, base_url) = (db.clone(), config.clone(), base_url.clone());
        Box::pin(async move { run(&db, &config, Links::new(&base_url), at).await })
    });
    ("helpdesk_sla", work)
}

/// Runs the SLA job as of `at`: outside working hours it does nothing (no alert at midnight).
///
/// Each open ticket's clocks are measured from its event log, but only where a warning may be
/// owed: a clock whose time on the wall has not reached 80 % of its target, or whose warnings
/// were given, is settled without reading its log. The assignee is told of each ticket at 80 %
/// and on a breach; the supervisors get one digest of the run's breaches. The warnings given are
/// kept on the ticket in the same transaction as the e-mails, and the outbox's keys make each
/// e-mail once even if two runs overlap.
pub async fn run(
    db: &DatabaseConnection,
    config: &HelpdeskConfig,
    links: Links<'_>,
    at: DateTime<Utc>,
) -> anyhow::Result<String> {
    let calendars = Calendars::new(db, config, at).await?;
    if !calendars.national.is_working_time(at) {
        return Ok("fuera del horario de atención: sin avisos".into());
    }
    let open = open_tickets(db).await?;
    let candidates = candidates(&open, at);
    let steps = state_changes(db, &open, &candidates).await?;
    let (owed, marks) = measure(db, calendars, &open, &candidates, &steps, at).await?;
    let outgoing = warnings::warnings(db, links, &open, &owed, at).await?;

    let txn = crate::db::begin(db).await?;
    // Queued now, whatever instant the run is for: it is sent at once.
    let queued = jobs::outbox::enqueue_many(&txn, outgoing, crate::time::now()).await?;
    keep_marks(&txn, marks).await?;
    let closed = closing::close_unconfirmed(&txn, config, &owed.national, at).await?;
    txn.commit().await?;
    Ok(format!(
        "{} tickets abiertos, {} medidos; {queued} avisos de plazo encolados; \
         {closed} tickets resueltos cerrados sin respuesta del usuario",
        open.len(),
        candidates.len()
    ))
}

/// The working-time calendars of a run: the national one, and each DRE's for N2, indexed over
/// the years around the run.
struct Calendars {
    opens: chrono::NaiveTime,
    closes: chrono::NaiveTime,
    today: chrono::NaiveDate,
    national: Calendar,
    regional: HashMap<i64, Calendar>,
}

impl Calendars {
    async fn new(
        db: &impl ConnectionTrait,
        config: &HelpdeskConfig,
        at: DateTime<Utc>,
    ) -> Result<Self, sea_orm::DbErr> {
        let (opens, closes) = config.hours();
        let today = at.with_timezone(&LIMA).date_naive();
        let national = Self::span(
            today,
            Calendar::new(opens, closes, holidays(db, None).await?),
        );
        Ok(Self {
            opens,
            closes,
            today,
            national,
            regional: HashMap::new(),
        })
    }

    fn span(today: chrono::NaiveDate, calendar: Calendar) -> Calendar {
        calendar.indexed(
            today - chrono::Duration::days(730),
            today + chrono::Duration::days(400),
        )
    }

    /// The calendar a ticket's current level works on, the DRE's read once per run.
    async fn of(
        &mut self,
        db: &impl ConnectionTrait,
        ticket: &SlaTicket,
    ) -> Result<&Calendar, sea_orm::DbErr> {
        let (TicketLevel::N2, Some(dre)) = (ticket.level, ticket.dre_id) else {
            return Ok(&self.national);
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = self.regional.entry(dre) {
            let holidays = holidays(db, Some(dre)).await?;
            let calendar = Calendar::new(self.opens, self.closes, holidays);
            slot.insert(Self::span(self.today, calendar));
        }
        Ok(&self.regional[&dre])
    }
}

/// The open tickets, with only what their clocks are measured from.
async fn open_tickets(db: &impl ConnectionTrait) -> Result<Vec<SlaTicket>, sea_orm::DbErr> {
    use helpdesk_ticket::Column as T;
    helpdesk_ticket::Entity::find()
        .select_only()
        .columns([
            T::Id,
            T::Number,
            T::State,
            T::Level,
            T::N2Unit,
            T::UgelId,
            T::DreId,
            T::Priority,
            T::AssigneeId,
            T::CreatedAt,
            T::LevelSince,
            T::FirstResponseAt,
            T::ResolvedAt,
            T::SlaNotified,
            T::SlaNotifiedSince,
        ])
        .filter(T::State.is_in(OPEN_STATES))
        .into_model::<SlaTicket>()
        .all(db)
        .await
}

/// The open tickets (by position) that may owe a warning, judged by the time on the wall.
fn candidates(open: &[SlaTicket], at: DateTime<Utc>) -> Vec<usize> {
    open.iter()
        .enumerate()
        .filter(|(_, t)| {
            let notified = Notified::of(t);
            let wall = |from: DateTime<Utc>| (at - from).num_seconds();
            let (warned, breached) = Notified::bits("first_response");
            let first = t.first_response_at.is_none()
                && notified.may_owe(
                    warned,
                    breached,
                    wall(t.created_at),
                    sla::first_response_hours(t.priority) * 3600,
                );
            let (warned, breached) = Notified::bits("resolution");
            first
                || notified.may_owe(
                    warned,
                    breached,
                    wall(t.level_since),
                    sla::resolution_hours(t.priority, t.level) * 3600,
                )
        })
        .map(|(i, _)| i)
        .collect()
}

/// The state changes of the candidates, in order: the pauses of their clocks.
async fn state_changes(
    db: &impl ConnectionTrait,
    open: &[SlaTicket],
    candidates: &[usize],
) -> Result<HashMap<i64, Vec<Step>>, sea_orm::DbErr> {
    let mut steps: HashMap<i64, Vec<Step>> = HashMap::new();
    for chunk in candidates.chunks(CHUNK) {
        let rows: Vec<(i64, DateTime<Utc>, TicketState)> = helpdesk_event::Entity::find()
            .select_only()
            .columns([
                helpdesk_event::Column::TicketId,
                helpdesk_event::Column::At,
                helpdesk_event::Column::ToState,
            ])
            .filter(helpdesk_event::Column::TicketId.is_in(chunk.iter().map(|&i| open[i].id)))
            .order_by_asc(helpdesk_event::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        for (ticket, at, state) in rows {
            steps.entry(ticket).or_default().push(Step { at, state });
        }
    }
    Ok(steps)
}

/// The warnings bits to keep, with the tickets they belong to.
type Marks = HashMap<i16, Vec<i64>>;

/// Measures the candidates' clocks: the warnings owed, and each ticket's warnings to keep.
async fn measure(
    db: &impl ConnectionTrait,
    mut calendars: Calendars,
    open: &[SlaTicket],
    candidates: &[usize],
    steps: &HashMap<i64, Vec<Step>>,
    at: DateTime<Utc>,
) -> Result<(Owes, Marks), sea_orm::DbErr> {
    let mut owed = Vec::new();
    let mut marks: Marks = HashMap::new();
    for &i in candidates {
        let ticket = &open[i];
        let calendar = calendars.of(db, ticket).await?;
        let log = steps.get(&ticket.id).map(Vec::as_slice).unwrap_or_default();
        let before = Notified::of(ticket);
        let mut after = before;
        for clock in measure_clocks(calendar, ticket, log, at) {
            let (warned, breached) = Notified::bits(clock.target);
            let (bits, is_breach) = match clock.status {
                "vencido" => (warned | breached, true),
                "por_vencer" => (warned, false),
                _ => continue,
            };
            if after.0 & bits == bits {
                continue;
            }
            after.0 |= bits;
            owed.push(Owed {
                ticket: i,
                clock,
                breached: is_breach,
            });
        }
        // Kept when it grew, or to forget a former level's warnings.
        if after != before || ticket.sla_notified != after.0 {
            marks.entry(after.0).or_default().push(ticket.id);
        }
    }
    let owes = Owes {
        warnings: owed,
        national: calendars.national,
    };
    Ok((owes, marks))
}

/// Keeps the warnings given on the tickets, in the transaction of their e-mails.
async fn keep_marks(db: &impl ConnectionTrait, marks: Marks) -> Result<(), sea_orm::DbErr> {
    use helpdesk_ticket::Column as T;
    for (bits, ids) in marks {
        for chunk in ids.chunks(CHUNK) {
            helpdesk_ticket::Entity::update_many()
                .col_expr(T::SlaNotified, Expr::value(bits))
                .col_expr(T::SlaNotifiedSince, Expr::col(T::LevelSince))
                .filter(T::Id.is_in(chunk.to_vec()))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use entity::helpdesk_vocabulary::N2Unit;

    use super::*;

    fn ticket(notified: i16, since_matches: bool) -> SlaTicket {
        let at = Utc::now();
        SlaTicket {
            id: 1,
            number: "ISOS-2026-000001".into(),
            state: TicketState::EnAtencion,
            level: TicketLevel::N2,
            n2_unit: Some(N2Unit::Ugel),
            ugel_id: None,
            dre_id: None,
            priority: entity::helpdesk_vocabulary::Priority::Media,
            assignee_id: None,
            created_at: at,
            level_since: at,
            first_response_at: None,
            resolved_at: None,
            sla_notified: notified,
            sla_notified_since: Some(if since_matches {
                at
            } else {
                at - chrono::Duration::hours(1)
            }),
        }
    }

    #[test]
    fn a_new_level_forgets_the_resolution_warnings_and_keeps_the_first_response_ones() {
        let all = Notified::FIRST_WARNED
            | Notified::FIRST_BREACHED
            | Notified::RESOLUTION_WARNED
            | Notified::RESOLUTION_BREACHED;
        assert_eq!(Notified::of(&ticket(all, true)).0, all);
        assert_eq!(
            Notified::of(&ticket(all, false)).0,
            Notified::FIRST_WARNED | Notified::FIRST_BREACHED
        );
    }

    #[test]
    fn a_clock_is_read_only_when_the_wall_says_a_warning_may_be_owed() {
        let (warned, breached) = Notified::bits("resolution");
        let target = 10_000;
        let none = Notified(0);
        // Below 80 % on the wall: working time is less still.
        assert!(!none.may_owe(warned, breached, 7_999, target));
        assert!(none.may_owe(warned, breached, 8_000, target));
        // Warned at 80 %: only a breach is left to tell, once the wall passes the target.
        let told = Notified(warned);
        assert!(!told.may_owe(warned, breached, 9_000, target));
        assert!(told.may_owe(warned, breached, 10_001, target));
        // Breached: nothing more.
        assert!(!Notified(warned | breached).may_owe(warned, breached, 99_999, target));
    }
}
