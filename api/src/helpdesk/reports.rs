//! Reports of the help desk (JSON, or CSV): the backlog by level, state, topic and UGEL; and a
//! summary — SLA compliance per level and target, median time to first response and to
//! resolution, time spent at each level, bounces between levels, reopen rate, satisfaction.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use entity::{
    helpdesk_event, helpdesk_ticket, helpdesk_topic,
    helpdesk_vocabulary::{EventKind, TicketLevel, TicketState},
    ugel,
};

use super::{HelpdeskConfig, sla, sla_job};
use crate::{
    auth::{
        Principal,
        policy::{Action, Target},
    },
    error::{ApiError, ErrorCode, Result},
    http::download::csv_field,
    time::LIMA,
};

/// One cell of the backlog.
#[derive(Debug, Serialize, ToSchema)]
pub struct BacklogRow {
    pub level: i16,
    pub state: TicketState,
    pub topic: String,
    pub ugel: Option<String>,
    pub tickets: u64,
}

/// SLA compliance of one target at one level.
#[derive(Debug, Serialize, ToSchema)]
pub struct Compliance {
    pub level: i16,
    pub target: &'static str,
    pub met: u64,
    pub missed: u64,
    /// Met ÷ measured, 0 to 100 with one decimal (no measure: null).
    pub percent: Option<f64>,
}

/// The help desk's figures, over the tickets filed in a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    /// The first day of the period (Lima).
    pub from: NaiveDate,
    /// The last day of the period, included.
    pub to: NaiveDate,
    /// Tickets filed in the period.
    pub tickets: u64,
    pub open: u64,
    pub sla: Vec<Compliance>,
    /// Median minutes (wall clock) from filing to the first response.
    pub median_first_response_minutes: Option<i64>,
    /// Median minutes (wall clock) from filing to resolution.
    pub median_resolution_minutes: Option<i64>,
    /// Minutes spent at each level, summed over tickets (wall clock).
    #[schema(value_type = BTreeMap<String, i64>)]
    pub minutes_per_level: BTreeMap<i16, i64>,
    /// Tickets returned to a lower level at least once, and returns in total.
    pub bounced_tickets: u64,
    pub returns: u64,
    /// Reopened ÷ resolved at some point, 0 to 100 with one decimal.
    pub reopen_rate: Option<f64>,
    /// Ratings 1 to 5: how many of each, and the average.
    #[schema(value_type = BTreeMap<String, u64>)]
    pub ratings: BTreeMap<i16, u64>,
    pub average_rating: Option<f64>,
}

/// Whether the caller reads the help desk's reports (national figures).
pub fn reads_reports(p: &Principal) -> bool {
    p.can(Action::ReadHelpdeskReports, &Target::national())
}

fn authorize(p: &Principal) -> Result<()> {
    if reads_reports(p) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Level, state, topic and UGEL of a backlog cell.
type BacklogKey = (i16, &'static str, String, Option<String>);

/// The open tickets counted by level, state, topic and UGEL.
pub async fn backlog(db: &DatabaseConnection, p: &Principal) -> Result<Vec<BacklogRow>> {
    authorize(p)?;
    let topics: HashMap<i64, String> = helpdesk_topic::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let ugels: HashMap<i64, String> = ugel::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    use helpdesk_ticket::Column as T;
    let cells: Vec<(i16, TicketState, i64, Option<i64>, i64)> = helpdesk_ticket::Entity::find()
        .select_only()
        .columns([T::Level, T::State, T::TopicId, T::UgelId])
        .column_as(T::Id.count(), "tickets")
        .filter(T::State.is_in(TicketState::ALL.iter().copied().filter(|s| s.is_open())))
        .group_by(T::Level)
        .group_by(T::State)
        .group_by(T::TopicId)
        .group_by(T::UgelId)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: BTreeMap<BacklogKey, (TicketState, u64)> = BTreeMap::new();
    for (level, state, topic, ugel, tickets) in cells {
        let key = (
            level,
            state.code(),
            topics.get(&topic).cloned().unwrap_or_default(),
            ugel.and_then(|u| ugels.get(&u).cloned()),
        );
        counts.entry(key).or_insert((state, 0)).1 += tickets.max(0) as u64;
    }
    Ok(counts
        .into_iter()
        .map(|((level, _, topic, ugel), (state, tickets))| BacklogRow {
            level,
            state,
            topic,
            ugel,
            tickets,
        })
        .collect())
}

fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[values.len() / 2])
}

/// The days a summary covers: `to` (default today, Lima) and the 30 days before, or `from`.
pub fn period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<(NaiveDate, NaiveDate)> {
    let to = to.unwrap_or_else(|| now.with_timezone(&LIMA).date_naive());
    let from = from.unwrap_or(to - Duration::days(30));
    if from > to {
        return Err(ApiError::because(
            ErrorCode::InvalidQuery,
            "La fecha inicial («from») no puede ser posterior a la final («to»).",
        ));
    }
    if (to - from).num_days() > 366 {
        return Err(ApiError::because(
            ErrorCode::InvalidQuery,
            "El periodo del resumen abarca hasta 366 días.",
        ));
    }
    Ok((from, to))
}

/// The summary figures of the tickets filed in a period (see [`period`]), as of `now`.
pub async fn summary(
    db: &DatabaseConnection,
    config: &HelpdeskConfig,
    p: &Principal,
    (from, to): (NaiveDate, NaiveDate),
    now: DateTime<Utc>,
) -> Result<Summary> {
    authorize(p)?;
    let start_of = |day: NaiveDate| {
        LIMA.from_local_datetime(&day.and_time(NaiveTime::MIN))
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now)
    };
    let tickets = helpdesk_ticket::Entity::find()
        .filter(helpdesk_ticket::Column::CreatedAt.gte(start_of(from)))
        .filter(helpdesk_ticket::Column::CreatedAt.lt(start_of(to + Duration::days(1))))
        .all(db)
        .await?;
    let events = logs(db, &tickets).await?;
    // One calendar per DRE (their holidays apply to N2), read once.
    let mut calendars: HashMap<Option<i64>, sla::Calendar> = HashMap::new();
    let mut tally = Tally::default();
    for t in &tickets {
        let log = events.get(&t.id).map(Vec::as_slice).unwrap_or_default();
        let dre = if t.level == TicketLevel::N2 {
            t.dre_id
        } else {
            None
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = calendars.entry(dre) {
            slot.insert(sla_job::calendar_for(db, t, config).await?);
        }
        tally.clocks(t, sla_job::clocks(&calendars[&dre], t, log, now));
        tally.ticket(t, log, now);
    }
    Ok(tally.summary(from, to, tickets.len() as u64))
}

/// The event logs of tickets, by ticket, in order.
async fn logs(
    db: &DatabaseConnection,
    tickets: &[helpdesk_ticket::Model],
) -> Result<HashMap<i64, Vec<helpdesk_event::Model>>> {
    let mut events: HashMap<i64, Vec<helpdesk_event::Model>> = HashMap::new();
    for chunk in tickets.chunks(1_000) {
        for e in helpdesk_event::Entity::find()
            .filter(helpdesk_event::Column::TicketId.is_in(chunk.iter().map(|t| t.id)))
            .order_by_asc(helpdesk_event::Column::Id)
            .all(db)
            .await?
        {
            events.entry(e.ticket_id).or_default().push(e);
        }
    }
    Ok(events)
}

/// The summary's figures, counted ticket by ticket.
#[derive(Default)]
struct Tally {
    open: u64,
    compliance: BTreeMap<(TicketLevel, &'static str), (u64, u64)>,
    first_response: Vec<i64>,
    resolution: Vec<i64>,
    per_level: BTreeMap<TicketLevel, i64>,
    bounced: u64,
    returns: u64,
    reopened: u64,
    ever_resolved: u64,
    ratings: BTreeMap<i16, u64>,
}

impl Tally {
    /// A ticket's SLA clocks: met or missed, first response counted at N1.
    fn clocks(&mut self, t: &helpdesk_ticket::Model, clocks: Vec<sla::Target>) {
        for clock in clocks {
            let level = if clock.target == "first_response" {
                TicketLevel::N1
            } else {
                t.level
            };
            let entry = self.compliance.entry((level, clock.target)).or_default();
            match clock.met {
                Some(true) => entry.0 += 1,
                Some(false) => entry.1 += 1,
                None if clock.status == "vencido" => entry.1 += 1,
                None => {}
            }
        }
    }

    /// A ticket's times, its time at each level from its log, its bounces, reopenings and rating.
    fn ticket(
        &mut self,
        t: &helpdesk_ticket::Model,
        log: &[helpdesk_event::Model],
        now: DateTime<Utc>,
    ) {
        if t.state.is_open() {
            self.open += 1;
        }
        if let Some(at) = t.first_response_at {
            self.first_response.push((at - t.created_at).num_minutes());
        }
        if let Some(at) = t.resolved_at {
            self.resolution.push((at - t.created_at).num_minutes());
        }
        let mut since = t.created_at;
        let mut level = TicketLevel::N1;
        let mut bounces = 0;
        for e in log {
            if e.level != level {
                *self.per_level.entry(level).or_default() += (e.at - since).num_minutes();
                since = e.at;
                level = e.level;
            }
            match e.kind {
                EventKind::Returned => bounces += 1,
                EventKind::Reopened => self.reopened += 1,
                EventKind::Resolved => self.ever_resolved += 1,
                _ => {}
            }
        }
        let end = t.resolved_at.or(t.closed_at).unwrap_or(now);
        if t.state.is_open() || t.resolved_at.is_some() {
            *self.per_level.entry(level).or_default() += (end - since).num_minutes().max(0);
        }
        if bounces > 0 {
            self.bounced += 1;
            self.returns += bounces;
        }
        if let Some(r) = t.rating {
            *self.ratings.entry(r).or_default() += 1;
        }
    }

    fn summary(self, from: NaiveDate, to: NaiveDate, tickets: u64) -> Summary {
        let rated: u64 = self.ratings.values().sum();
        let average_rating = (rated > 0).then(|| {
            one_decimal(
                self.ratings
                    .iter()
                    .map(|(r, n)| f64::from(*r) * *n as f64)
                    .sum::<f64>()
                    / rated as f64,
            )
        });
        Summary {
            from,
            to,
            tickets,
            open: self.open,
            sla: self
                .compliance
                .into_iter()
                .map(|((level, target), (met, missed))| Compliance {
                    level: level.number(),
                    target,
                    met,
                    missed,
                    percent: (met + missed > 0)
                        .then(|| one_decimal(100.0 * met as f64 / (met + missed) as f64)),
                })
                .collect(),
            median_first_response_minutes: median(self.first_response),
            median_resolution_minutes: median(self.resolution),
            minutes_per_level: self
                .per_level
                .into_iter()
                .map(|(level, minutes)| (level.number(), minutes))
                .collect(),
            bounced_tickets: self.bounced,
            returns: self.returns,
            reopen_rate: (self.ever_resolved > 0)
                .then(|| one_decimal(100.0 * self.reopened as f64 / self.ever_resolved as f64)),
            ratings: self.ratings,
            average_rating,
        }
    }
}

/// A figure rounded to one decimal, as a person reads it (66.666… → 66.7).
fn one_decimal(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// The backlog as CSV lines (header first), its columns and states in Spanish.
pub fn backlog_csv(rows: &[BacklogRow]) -> Vec<String> {
    let mut lines = vec!["Nivel,Estado,Tema,UGEL,Tickets abiertos\n".to_owned()];
    for r in rows {
        lines.push(format!(
            "N{},{},{},{},{}\n",
            r.level,
            csv_field(r.state.label()),
            csv_field(&r.topic),
            csv_field(r.ugel.as_deref().unwrap_or("")),
            r.tickets
        ));
    }
    lines
}

/// The summary as CSV lines `Indicador,Valor`, each indicator named in Spanish, percentages
/// and the average with one decimal.
pub fn summary_csv(s: &Summary) -> Vec<String> {
    let opt = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_default();
    let mut lines = vec!["Indicador,Valor\n".to_owned()];
    let mut push = |k: String, v: String| lines.push(format!("{},{}\n", csv_field(&k), v));
    push("Desde".into(), s.from.to_string());
    push("Hasta".into(), s.to.to_string());
    push("Tickets registrados".into(), s.tickets.to_string());
    push("Tickets abiertos".into(), s.open.to_string());
    for c in &s.sla {
        let target = match c.target {
            "first_response" => "primera respuesta",
            _ => "resolución",
        };
        push(
            format!("Cumplimiento del SLA de {target} en N{} (%)", c.level),
            opt(c.percent),
        );
    }
    push(
        "Mediana hasta la primera respuesta (minutos)".into(),
        s.median_first_response_minutes
            .map(|v| v.to_string())
            .unwrap_or_default(),
    );
    push(
        "Mediana hasta la resolución (minutos)".into(),
        s.median_resolution_minutes
            .map(|v| v.to_string())
            .unwrap_or_default(),
    );
    for (level, minutes) in &s.minutes_per_level {
        push(format!("Minutos en N{level}"), minutes.to_string());
    }
    push("Tickets devueltos".into(), s.bounced_tickets.to_string());
    push("Devoluciones".into(), s.returns.to_string());
    push("Tasa de reapertura (%)".into(), opt(s.reopen_rate));
    for (score, count) in &s.ratings {
        push(format!("Calificaciones de {score}"), count.to_string());
    }
    push(
        "Satisfacción promedio (1 a 5)".into(),
        opt(s.average_rating),
    );
    lines
}
