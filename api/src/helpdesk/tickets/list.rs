//! Lists of tickets within reach: the caller's own or its queues, filtered, searched and sorted,
//! in keyset pages, with each queued ticket's running SLA clock.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use entity::{
    helpdesk_event, helpdesk_ticket, helpdesk_topic,
    helpdesk_vocabulary::{N2Unit, TicketLevel, TicketState},
    school,
};

use super::detail::names;
use crate::{
    auth::Principal,
    error::{ApiError, ErrorCode, Result},
    helpdesk::{
        HelpdeskConfig, access,
        dto::{Clock, TicketFilter, TicketPage, TicketSummary},
        rules::subject,
        sla, sla_job,
    },
};

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Newest,
    Deadline,
    Priority,
    Age,
}

fn sort_of(value: Option<&str>) -> Result<Sort> {
    match value.map(str::trim) {
        None | Some("") | Some("newest") => Ok(Sort::Newest),
        Some("deadline") => Ok(Sort::Deadline),
        Some("priority") => Ok(Sort::Priority),
        Some("age") => Ok(Sort::Age),
        Some(other) => Err(ApiError::because(
            ErrorCode::InvalidQuery,
            format!(
                "Orden no válido: «{}». Valores permitidos: newest, deadline, priority, age.",
                other.chars().take(40).collect::<String>()
            ),
        )),
    }
}

/// The states asked for: one or several separated by commas, `todos` for all; by default the
/// open ones in a queue and every one in the caller's own tickets.
fn states_of(value: Option<&str>, queue: bool) -> Result<Option<Vec<TicketState>>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None if queue => Ok(Some(
            TicketState::ALL
                .iter()
                .copied()
                .filter(|s| s.is_open())
                .collect(),
        )),
        None | Some("todos") => Ok(None),
        Some(list) => list
            .split(',')
            .map(|s| {
                TicketState::parse(s).map_err(|m| ApiError::because(ErrorCode::InvalidQuery, m))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
    }
}

/// Tickets found by `q`: its number (whole, or its last digits), its IE's código modular, or
/// words of its comment.
fn search(q: &str) -> Result<sea_orm::Condition> {
    use helpdesk_ticket::Column as T;
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let q = q.trim();
    if q.chars().count() > 100 {
        return Err(ApiError::because(
            ErrorCode::InvalidQuery,
            "La búsqueda («q») admite hasta 100 caracteres.",
        ));
    }
    let escaped: String = q
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let mut any = sea_orm::Condition::any()
        .add(T::Number.eq(q.to_uppercase()))
        .add(T::CodigoModular.eq(q))
        .add(
            Expr::expr(Func::lower(Expr::col((
                helpdesk_ticket::Entity,
                T::Comment,
            ))))
            .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    if !q.is_empty() && q.chars().all(|c| c.is_ascii_digit()) {
        any = any.add(T::Number.like(format!("%-%{q}")));
    }
    Ok(any)
}

/// The clock a ticket runs on now, from its SLA targets.
fn running_clock(ticket: &helpdesk_ticket::Model, targets: &[sla::Target]) -> Option<Clock> {
    if !ticket.state.is_open() {
        return None;
    }
    let name = if ticket.first_response_at.is_none() {
        "first_response"
    } else {
        "resolution"
    };
    let t = targets.iter().find(|t| t.target == name)?;
    let minutes_left = t.target_minutes - t.elapsed_minutes;
    Some(Clock {
        target: t.target,
        due_at: t.due_at,
        minutes_left,
        overdue: t.status == "vencido" || minutes_left < 0,
        paused: t.paused,
        status: t.status,
    })
}

/// Tickets a deadline sort reads, at most: it measures each one's clock.
const DEADLINE_SORTS: u64 = 5_000;

/// The running clocks of tickets, by ticket, from their logs and calendars.
async fn clocks_of(
    db: &impl ConnectionTrait,
    config: &HelpdeskConfig,
    tickets: &[helpdesk_ticket::Model],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Clock>> {
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
    let mut calendars: HashMap<Option<i64>, sla::Calendar> = HashMap::new();
    let mut clocks = HashMap::new();
    for ticket in tickets.iter().filter(|t| t.state.is_open()) {
        let key = if ticket.level == TicketLevel::N2 {
            ticket.dre_id
        } else {
            None
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = calendars.entry(key) {
            slot.insert(sla_job::calendar_for(db, ticket, config).await?);
        }
        let log = events
            .get(&ticket.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let targets = sla_job::clocks(&calendars[&key], ticket, log, now);
        if let Some(clock) = running_clock(ticket, &targets) {
            clocks.insert(ticket.id, clock);
        }
    }
    Ok(clocks)
}

/// A page of tickets: those the caller filed, or those of its queues (open ones unless other
/// states are asked), found by `q`, in the order asked; the queue shows each one's running SLA
/// clock, and every list its requester and IE.
pub async fn list(
    db: &DatabaseConnection,
    config: &HelpdeskConfig,
    p: &Principal,
    filter: TicketFilter,
    now: DateTime<Utc>,
) -> Result<TicketPage> {
    let queue = is_queue(p, filter.view.as_deref())?;
    let overdue = filter.overdue == Some(true);
    let sort = if overdue {
        Sort::Deadline
    } else {
        sort_of(filter.sort.as_deref())?
    };
    let topics: HashMap<i64, helpdesk_topic::Model> = helpdesk_topic::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let query = filtered(p, &filter, queue, &topics)?;
    let limit = filter.limit.unwrap_or(50).clamp(1, 200);
    let (rows, more, mut clocks) = if sort == Sort::Deadline {
        by_deadline(db, config, query, filter.before, limit, overdue, now).await?
    } else {
        let (rows, more) = keyset_page(db, query, sort, filter.before, limit).await?;
        (rows, more, HashMap::new())
    };
    if queue && sort != Sort::Deadline {
        clocks = clocks_of(db, config, &rows, now).await?;
    }
    if !queue {
        clocks.clear();
    }
    let items = summaries(db, rows, &topics, clocks).await?;
    let next_before = if more {
        items.last().map(|t| t.id)
    } else {
        None
    };
    Ok(TicketPage { items, next_before })
}

/// Whether a list is of the caller's queues (`view=queue`, the help desk's default) or of the
/// tickets it filed (`view=filed`).
fn is_queue(p: &Principal, view: Option<&str>) -> Result<bool> {
    let staff = access::is_staff(p);
    let queue = match view {
        None => staff,
        Some("queue") => true,
        Some("filed") => false,
        Some(other) => {
            return Err(ApiError::because(
                ErrorCode::InvalidQuery,
                format!(
                    "Vista no válida: «{}». Valores permitidos: filed, queue.",
                    other.chars().take(40).collect::<String>()
                ),
            ));
        }
    };
    if queue && !staff {
        return Err(ApiError::forbidden());
    }
    Ok(queue)
}

/// The tickets of a list, filtered as asked.
fn filtered(
    p: &Principal,
    filter: &TicketFilter,
    queue: bool,
    topics: &HashMap<i64, helpdesk_topic::Model>,
) -> Result<Select<helpdesk_ticket::Entity>> {
    use helpdesk_ticket::Column as T;
    let states = states_of(filter.state.as_deref(), queue)?;
    let mut query = helpdesk_ticket::Entity::find();
    query = if queue {
        query.filter(access::queue_condition(p))
    } else {
        query.filter(T::RequesterId.eq(p.user_id))
    };
    if let Some(states) = states {
        query = query.filter(T::State.is_in(states));
    }
    if let Some(level) = filter.level {
        let level = TicketLevel::from_number(level)
            .map_err(|m| ApiError::because(ErrorCode::InvalidQuery, m))?;
        query = query.filter(T::Level.eq(level));
    }
    if let Some(unit) = filter.n2_unit.as_deref() {
        let unit =
            N2Unit::parse(unit).map_err(|m| ApiError::because(ErrorCode::InvalidQuery, m))?;
        query = query
            .filter(T::Level.eq(TicketLevel::N2))
            .filter(T::N2Unit.eq(unit));
    }
    if let Some(ugel_id) = filter.ugel_id {
        query = query.filter(T::UgelId.eq(ugel_id));
    }
    if filter.mine == Some(true) {
        query = query.filter(T::AssigneeId.eq(p.user_id));
    }
    if filter.unassigned == Some(true) {
        query = query.filter(T::AssigneeId.is_null());
    }
    if let Some(q) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
        query = query.filter(search(q)?);
    }
    if let Some(code) = filter.topic.as_deref() {
        let Some(topic) = topics.values().find(|t| t.code == code.trim()) else {
            return Err(ApiError::because(
                ErrorCode::InvalidQuery,
                format!(
                    "Tema no válido: «{}»: no está en el catálogo de la mesa de ayuda.",
                    code.chars().take(40).collect::<String>()
                ),
            ));
        };
        query = query.filter(T::TopicId.eq(topic.id));
    }
    Ok(query)
}

/// A page of open tickets by deadline, the soonest first: every one's clock is measured, so at
/// most [`DEADLINE_SORTS`] are sorted; `overdue` keeps only those past their deadline. Answers the
/// page, whether more follow, and the clocks.
async fn by_deadline(
    db: &DatabaseConnection,
    config: &HelpdeskConfig,
    query: Select<helpdesk_ticket::Entity>,
    before: Option<i64>,
    limit: u64,
    overdue: bool,
    now: DateTime<Utc>,
) -> Result<(Vec<helpdesk_ticket::Model>, bool, HashMap<i64, Clock>)> {
    use helpdesk_ticket::Column as T;
    use sea_orm::PaginatorTrait;
    let open: Vec<TicketState> = TicketState::ALL
        .iter()
        .copied()
        .filter(|s| s.is_open())
        .collect();
    let query = query.filter(T::State.is_in(open));
    if query.clone().count(db).await? > DEADLINE_SORTS {
        return Err(ApiError::because(
            ErrorCode::TooManyToSortByDeadline,
            format!(
                "Hay más de {DEADLINE_SORTS} tickets para ordenar por vencimiento: filtre por nivel, estado, UGEL o tema."
            ),
        ));
    }
    let all = query.all(db).await?;
    let clocks = clocks_of(db, config, &all, now).await?;
    let mut all: Vec<(DateTime<Utc>, helpdesk_ticket::Model)> = all
        .into_iter()
        .filter(|t| !overdue || clocks.get(&t.id).is_some_and(|c| c.overdue && !c.paused))
        .map(|t| {
            let due = clocks
                .get(&t.id)
                .map_or(DateTime::<Utc>::MAX_UTC, |c| c.due_at);
            (due, t)
        })
        .collect();
    all.sort_by_key(|(due, t)| (*due, t.id));
    let start = before
        .and_then(|id| all.iter().position(|(_, t)| t.id == id))
        .map_or(0, |i| i + 1);
    let rest: Vec<helpdesk_ticket::Model> = all.into_iter().skip(start).map(|(_, t)| t).collect();
    let more = rest.len() as u64 > limit;
    let page = rest.into_iter().take(limit as usize).collect();
    Ok((page, more, clocks))
}

/// A keyset page in the order asked: the cursor is the last ticket of the previous page, and the
/// next page starts after it.
async fn keyset_page(
    db: &DatabaseConnection,
    mut query: Select<helpdesk_ticket::Entity>,
    sort: Sort,
    before: Option<i64>,
    limit: u64,
) -> Result<(Vec<helpdesk_ticket::Model>, bool)> {
    use helpdesk_ticket::Column as T;
    use sea_orm::Condition;
    let cursor = match before {
        Some(id) if sort != Sort::Newest => helpdesk_ticket::Entity::find_by_id(id).one(db).await?,
        _ => None,
    };
    query = match (sort, &cursor) {
        (Sort::Priority, Some(c)) => query.filter(
            Condition::any().add(T::Priority.lt(c.priority)).add(
                Condition::all()
                    .add(T::Priority.eq(c.priority))
                    .add(T::Id.gt(c.id)),
            ),
        ),
        (Sort::Age, Some(c)) => query.filter(
            Condition::any().add(T::CreatedAt.gt(c.created_at)).add(
                Condition::all()
                    .add(T::CreatedAt.eq(c.created_at))
                    .add(T::Id.gt(c.id)),
            ),
        ),
        (Sort::Newest, _) => match before {
            Some(before) => query.filter(T::Id.lt(before)),
            None => query,
        },
        _ => query,
    };
    query = match sort {
        Sort::Priority => query.order_by_desc(T::Priority).order_by_asc(T::Id),
        Sort::Age => query.order_by_asc(T::CreatedAt).order_by_asc(T::Id),
        _ => query.order_by_desc(T::Id),
    };
    let mut rows = query.limit(limit + 1).all(db).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// The lines of a list: each ticket with its topic, subject, IE, requester and running clock.
async fn summaries(
    db: &DatabaseConnection,
    rows: Vec<helpdesk_ticket::Model>,
    topics: &HashMap<i64, helpdesk_topic::Model>,
    mut clocks: HashMap<i64, Clock>,
) -> Result<Vec<TicketSummary>> {
    let requesters = names(db, rows.iter().map(|t| t.requester_id).collect()).await?;
    let school_ids: Vec<i64> = rows.iter().filter_map(|t| t.school_id).collect();
    let schools: HashMap<i64, String> = school::Entity::find()
        .filter(school::Column::Id.is_in(school_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|t| TicketSummary {
            id: t.id,
            state: t.state,
            state_label: t.state.label(),
            level: t.level,
            n2_unit: t.n2_unit,
            priority: t.priority,
            priority_label: t.priority.label(),
            topic: topics
                .get(&t.topic_id)
                .map(|x| x.name.clone())
                .unwrap_or_default(),
            subject: subject(&t.comment),
            school: t.school_id.and_then(|id| schools.get(&id).cloned()),
            requester: requesters.get(&t.requester_id).cloned().unwrap_or_default(),
            clock: clocks.remove(&t.id),
            number: t.number,
            codigo_modular: t.codigo_modular,
            ugel_id: t.ugel_id,
            assignee_id: t.assignee_id,
            created_at: t.created_at,
            updated_at: t.updated_at,
        })
        .collect())
}
