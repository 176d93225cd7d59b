//! The ticket's transitions, each allowed only to certain readers and written to the append-only
//! event log: taking and assigning (by hand or round-robin), asking the requester (the clock
//! pauses), escalating and returning between levels with a reason, resolving, the requester's
//! confirmation, reopening and rating, merging duplicates, annulling, and the priority.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

use entity::{
    helpdesk_availability, helpdesk_event, helpdesk_message, helpdesk_ticket,
    helpdesk_vocabulary::{EventKind, N2Unit, Severity, TicketState},
    role_assignment,
};

use super::{
    HelpdeskConfig,
    access::{self, Access},
    dto::TicketView,
    mail::{self, Notice, StaffNotice},
    rules::{self, MAX_TEXT, text},
    tickets,
    transitions::{self, Actor, Below, Facts, StepKind},
};
use crate::{
    auth::{Principal, Role},
    error::{ApiError, ErrorCode, Fields, Result},
    record::{AuditAction, Change, Event, TicketStep, record},
    state::AppState,
};

/// A step asked of a ticket.
#[derive(Debug)]
pub enum Step {
    Take,
    Assign(Option<i64>),
    /// Ask the requester (a public message); the clock pauses.
    Wait(String),
    Escalate(String),
    Return(String),
    Resolve(String),
    /// The requester confirms the resolution.
    Close,
    /// The requester reopens within the allowed days.
    Reopen(String),
    Merge {
        into: String,
        reason: String,
    },
    Annul(String),
    Priority {
        impact: String,
        urgency: String,
        reason: String,
    },
    Rate {
        score: i16,
        comment: Option<String>,
    },
}

impl Step {
    /// The step without its values, as the transition table knows it.
    pub fn kind(&self) -> StepKind {
        match self {
            Step::Take => StepKind::Take,
            Step::Assign(_) => StepKind::Assign,
            Step::Wait(_) => StepKind::Wait,
            Step::Escalate(_) => StepKind::Escalate,
            Step::Return(_) => StepKind::Return,
            Step::Resolve(_) => StepKind::Resolve,
            Step::Close => StepKind::Close,
            Step::Reopen(_) => StepKind::Reopen,
            Step::Merge { .. } => StepKind::Merge,
            Step::Annul(_) => StepKind::Annul,
            Step::Priority { .. } => StepKind::Priority,
            Step::Rate { .. } => StepKind::Rate,
        }
    }
}

fn reason(value: &str, field: &str, required: &str) -> Result<String> {
    text(Some(value), MAX_TEXT, required).map_err(|m| ApiError::field(field, m))
}

/// Where a ticket is worked: its level, and at N2 whose specialist (the UGEL's or the DRE's).
type Stage = (i16, Option<N2Unit>);

/// The order of the stages: N1, N2 UGEL, N2 DRE, N3.
fn rank((level, unit): Stage) -> u8 {
    match (level, unit) {
        (1, _) => 0,
        (2, Some(N2Unit::Dre)) => 2,
        (2, _) => 1,
        _ => 3,
    }
}

/// Whether someone holds the role, active, in the unit (a UGEL's or a DRE's id).
async fn staffed(
    db: &impl ConnectionTrait,
    role: Role,
    column: role_assignment::Column,
    unit: i64,
) -> Result<bool> {
    Ok(role_assignment::Entity::find()
        .filter(role_assignment::Column::Role.eq(role.code()))
        .filter(role_assignment::Column::Active.eq(true))
        .filter(column.eq(unit))
        .one(db)
        .await?
        .is_some())
}

/// The stage above the ticket's: from N1 the Especialista SIAGIE of the requester's UGEL, from
/// there the one of its DRE, from there N3 (MINEDU). A stage the ticket has no unit for (filed by
/// someone without an IE or UGEL), or whose unit has no active specialist, is passed over, so
/// that a ticket never waits in a queue nobody works.
async fn stage_up(
    db: &impl ConnectionTrait,
    ticket: &helpdesk_ticket::Model,
) -> Result<Option<Stage>> {
    let here = rank((ticket.level, ticket.n2_unit));
    if here < 1
        && let Some(ugel) = ticket.ugel_id
        && staffed(
            db,
            Role::UgelSpecialist,
            role_assignment::Column::UgelId,
            ugel,
        )
        .await?
    {
        return Ok(Some((2, Some(N2Unit::Ugel))));
    }
    if here < 2
        && let Some(dre) = ticket.dre_id
        && staffed(db, Role::DreSpecialist, role_assignment::Column::DreId, dre).await?
    {
        return Ok(Some((2, Some(N2Unit::Dre))));
    }
    Ok((here < 3).then_some((3, None)))
}

/// The stage below the ticket's: the one it was escalated from into its current stage (N3 goes
/// back to the N2 it came from, the DRE to the UGEL, the UGEL to N1), read from the event log.
async fn stage_down(
    db: &impl ConnectionTrait,
    ticket: &helpdesk_ticket::Model,
) -> Result<Option<Stage>> {
    let here: Stage = (ticket.level, ticket.n2_unit);
    if rank(here) == 0 {
        return Ok(None);
    }
    let events = helpdesk_event::Entity::find()
        .filter(helpdesk_event::Column::TicketId.eq(ticket.id))
        .order_by_asc(helpdesk_event::Column::Id)
        .all(db)
        .await?;
    let from = events
        .iter()
        .rposition(|e| e.kind == EventKind::Escalated && rank((e.level, e.n2_unit)) == rank(here))
        .and_then(|i| i.checked_sub(1))
        .map(|i| (events[i].level, events[i].n2_unit))
        .filter(|s| rank(*s) < rank(here));
    Ok(Some(from.unwrap_or((1, None))))
}

/// Takes a step on a ticket: the caller must reach it (404), be allowed the step (403), give
/// valid values (422) and find the ticket in a state that allows it (409, see
/// [`transitions`]). The change, its log entry, the audit event and the e-mails it causes are
/// recorded together.
pub async fn apply(
    state: &AppState,
    p: &Principal,
    id: i64,
    step: Step,
    now: DateTime<Utc>,
) -> Result<TicketView> {
    let config = &state.config.helpdesk;
    let (txn, ticket, access) = tickets::begin_on(&state.db, p, id).await?;
    let actor = Actor::from(&access);
    transitions::authorize(step.kind(), actor)?;
    let plan = plan(&txn, config, p, &ticket, actor, step, now).await?;
    let (saved, plan) = write(&txn, p, &ticket, &access, plan, now).await?;
    let mail = mail::about(&txn, &saved, plan.requester, plan.staff, p.user_id).await?;
    let event = Event::new(AuditAction::HelpdeskTicketChanged, saved.id)
        .by(p.user_id)
        .in_unit(access::target(&saved))
        .before(&serde_json::json!({"state": ticket.state, "level": ticket.level, "n2_unit": ticket.n2_unit}))
        .after(&serde_json::json!({"step": plan.kind, "state": saved.state, "level": saved.level, "n2_unit": saved.n2_unit}));
    let step = TicketStep::new(plan.kind, Some(p.user_id), Some(ticket.state)).because(plan.reason);
    record(
        &txn,
        Change::Ticket {
            ticket: &saved,
            step: Some(step),
            event,
            mail,
            at: now,
        },
    )
    .await?;
    txn.commit().await?;
    tickets::read_as(&state.db, config, p, &saved, now).await
}

/// What a step writes: the ticket's new values, the kind and reason of its log entry, the public
/// message it posts, and whom it tells.
struct Plan {
    next: helpdesk_ticket::ActiveModel,
    kind: EventKind,
    reason: Option<String>,
    message: Option<String>,
    requester: Option<Notice>,
    staff: Option<StaffNotice>,
}

impl Plan {
    fn new(ticket: &helpdesk_ticket::Model, kind: EventKind, now: DateTime<Utc>) -> Self {
        let mut next: helpdesk_ticket::ActiveModel = ticket.clone().into();
        next.updated_at = Set(now);
        Self {
            next,
            kind,
            reason: None,
            message: None,
            requester: None,
            staff: None,
        }
    }
}

/// Checks a step's values, asks the transition table where it leads, and plans its writes.
async fn plan(
    db: &impl ConnectionTrait,
    config: &HelpdeskConfig,
    p: &Principal,
    ticket: &helpdesk_ticket::Model,
    actor: Actor,
    step: Step,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let facts = Facts {
        actor,
        ..Facts::default()
    };
    match step {
        Step::Take => assign(ticket, facts, p, p.user_id, StepKind::Take, now),
        Step::Assign(user) => {
            let assignee = assignee(db, ticket, user).await?;
            assign(ticket, facts, p, assignee, StepKind::Assign, now)
        }
        Step::Wait(question) => wait(ticket, facts, &question, now),
        Step::Escalate(why) => escalate(db, ticket, facts, &why, now).await,
        Step::Return(why) => return_down(db, ticket, facts, &why, now).await,
        Step::Resolve(resolution) => resolve(ticket, facts, &resolution, now),
        Step::Close => {
            let to = transitions::next(ticket.state, StepKind::Close, facts)?;
            let mut plan = Plan::new(ticket, EventKind::Closed, now);
            plan.next.state = Set(to);
            plan.next.closed_at = Set(Some(now));
            Ok(plan)
        }
        Step::Reopen(why) => reopen(config, ticket, facts, &why, now),
        Step::Merge { into, reason } => merge(db, p, ticket, facts, &into, &reason, now).await,
        Step::Annul(why) => {
            let why = reason(&why, "reason", "Indique el motivo de la anulación.")?;
            let to = transitions::next(ticket.state, StepKind::Annul, facts)?;
            let mut plan = Plan::new(ticket, EventKind::Annulled, now);
            plan.next.state = Set(to);
            plan.next.assignee_id = Set(None);
            plan.reason = Some(why);
            Ok(plan)
        }
        Step::Priority {
            impact,
            urgency,
            reason,
        } => prioritize(ticket, facts, &impact, &urgency, &reason, now),
        Step::Rate { score, comment } => rate(ticket, facts, score, comment, now),
    }
}

/// The person an assignment names, who must work the ticket at its level; or, named none, the
/// least loaded available one (409 `no_agent_available` when nobody is).
async fn assignee(
    db: &impl ConnectionTrait,
    ticket: &helpdesk_ticket::Model,
    user: Option<i64>,
) -> Result<i64> {
    let Some(user) = user else {
        return round_robin(db, ticket)
            .await?
            .ok_or_else(|| ApiError::from(ErrorCode::NoAgentAvailable));
    };
    let them = crate::auth::principal::load_principal(db, user)
        .await
        .map_err(|_| ApiError::field("user_id", "La cuenta no existe o no está activa."))?;
    if !access::of(&them, ticket).works {
        return Err(ApiError::field(
            "user_id",
            "Esa persona no atiende tickets en el nivel actual de este ticket.",
        ));
    }
    Ok(user)
}

/// Taking or assigning: the ticket is worked by `assignee`, who owns it at N1 if nobody did.
fn assign(
    ticket: &helpdesk_ticket::Model,
    facts: Facts,
    p: &Principal,
    assignee: i64,
    kind: StepKind,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let facts = Facts {
        assigned_to_other: ticket.assignee_id.is_some_and(|a| a != p.user_id),
        ..facts
    };
    let to = transitions::next(ticket.state, kind, facts)?;
    let by_self = assignee == p.user_id;
    let kind = if by_self {
        EventKind::Taken
    } else {
        EventKind::Assigned
    };
    let mut plan = Plan::new(ticket, kind, now);
    plan.next.state = Set(to);
    plan.next.assignee_id = Set(Some(assignee));
    if !by_self {
        plan.staff = Some(StaffNotice::Assigned);
    }
    if ticket.level == 1 && ticket.owner_id.is_none() {
        plan.next.owner_id = Set(Some(assignee));
    }
    Ok(plan)
}

/// Asking the requester: the question is a public message, and the clock pauses.
fn wait(
    ticket: &helpdesk_ticket::Model,
    facts: Facts,
    question: &str,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let question = reason(question, "reason", "Escriba la pregunta para el usuario.")?;
    let to = transitions::next(ticket.state, StepKind::Wait, facts)?;
    let mut plan = Plan::new(ticket, EventKind::Waiting, now);
    plan.next.state = Set(to);
    plan.message = Some(question);
    plan.requester = Some(Notice::Question);
    Ok(plan)
}

/// Escalating to the stage above, which nobody has yet.
async fn escalate(
    db: &impl ConnectionTrait,
    ticket: &helpdesk_ticket::Model,
    facts: Facts,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let why = reason(why, "reason", "Indique el motivo de la derivación.")?;
    let above = stage_up(db, ticket).await?;
    let facts = Facts {
        stage_above: above.is_some(),
        ..facts
    };
    let to = transitions::next(ticket.state, StepKind::Escalate, facts)?;
    let Some((level, unit)) = above else {
        return Err(ErrorCode::TicketStateConflict.into());
    };
    let mut plan = Plan::new(ticket, EventKind::Escalated, now);
    let next = &mut plan.next;
    next.state = Set(to);
    next.level = Set(level);
    next.n2_unit = Set(unit);
    next.reached_level = Set(ticket.reached_level.max(level));
    next.reached_ugel = Set(ticket.reached_ugel || unit == Some(N2Unit::Ugel));
    next.reached_dre = Set(ticket.reached_dre || unit == Some(N2Unit::Dre));
    next.assignee_id = Set(None);
    next.level_since = Set(now);
    plan.staff = Some(StaffNotice::Escalated(why.clone()));
    plan.reason = Some(why);
    Ok(plan)
}

/// Returning to the stage below: at N1 to the agent who owned it, or to the N1 queue.
async fn return_down(
    db: &impl ConnectionTrait,
    ticket: &helpdesk_ticket::Model,
    facts: Facts,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let why = reason(why, "reason", "Indique el motivo de la devolución.")?;
    let below = stage_down(db, ticket).await?;
    let facts = Facts {
        stage_below: below.map(|(level, _)| match (level, ticket.owner_id) {
            (1, Some(_)) => Below::Owner,
            (1, None) => Below::FirstLevel,
            _ => Below::Specialist,
        }),
        ..facts
    };
    let to = transitions::next(ticket.state, StepKind::Return, facts)?;
    let Some((level, unit)) = below else {
        return Err(ErrorCode::TicketStateConflict.into());
    };
    let mut plan = Plan::new(ticket, EventKind::Returned, now);
    plan.next.level = Set(level);
    plan.next.n2_unit = Set(unit);
    plan.next.level_since = Set(now);
    plan.next.state = Set(to);
    // Back at N1 with an owner, the owner works it again; anywhere else it waits in the queue.
    plan.next.assignee_id = Set(ticket.owner_id.filter(|_| to == TicketState::EnAtencion));
    plan.staff = Some(StaffNotice::Returned(why.clone()));
    plan.reason = Some(why);
    Ok(plan)
}

/// Resolving, with the resolution the requester is sent.
fn resolve(
    ticket: &helpdesk_ticket::Model,
    facts: Facts,
    resolution: &str,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let resolution = text(Some(resolution), MAX_TEXT, "Describa la solución.")
        .map_err(|m| ApiError::field("resolution", m))?;
    let to = transitions::next(ticket.state, StepKind::Resolve, facts)?;
    let mut plan = Plan::new(ticket, EventKind::Resolved, now);
    plan.next.state = Set(to);
    plan.next.resolution = Set(Some(resolution));
    plan.next.resolved_at = Set(Some(now));
    if ticket.first_response_at.is_none() {
        plan.next.first_response_at = Set(Some(now));
    }
    plan.requester = Some(Notice::Resolved);
    Ok(plan)
}

/// The requester reopens, within the configured days from the resolution.
fn reopen(
    config: &HelpdeskConfig,
    ticket: &helpdesk_ticket::Model,
    facts: Facts,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let why = reason(why, "reason", "Cuéntenos por qué el problema continúa.")?;
    let resolved = ticket.resolved_at.unwrap_or(ticket.updated_at);
    let facts = Facts {
        within_reopen_window: now - resolved <= Duration::days(config.reopen_days),
        ..facts
    };
    let to = transitions::next(ticket.state, StepKind::Reopen, facts)?;
    let mut plan = Plan::new(ticket, EventKind::Reopened, now);
    plan.next.state = Set(to);
    plan.next.closed_at = Set(None);
    plan.next.resolved_at = Set(None);
    plan.staff = Some(StaffNotice::Reopened(why.clone()));
    plan.message = Some(why);
    Ok(plan)
}

/// Merging into another open ticket the caller reads as the help desk.
async fn merge(
    db: &impl ConnectionTrait,
    p: &Principal,
    ticket: &helpdesk_ticket::Model,
    facts: Facts,
    into: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let mut fields = Fields::default();
    let why = fields.check(
        "reason",
        text(Some(why), MAX_TEXT, "Indique el motivo de la fusión."),
    );
    let target = match find_ticket(db, into).await? {
        Some(t) if t.id != ticket.id && access::of(p, &t).staff => Some(t),
        Some(t) if t.id == ticket.id => {
            fields.add("into", "Un ticket no se fusiona consigo mismo.");
            None
        }
        _ => {
            fields.add("into", "No existe ese ticket.");
            None
        }
    };
    if target.as_ref().is_some_and(|t| !t.state.is_open()) {
        fields.add(
            "into",
            "Un ticket se fusiona solo en otro que siga abierto (no resuelto, cerrado, fusionado ni anulado).",
        );
    }
    fields.finish()?;
    let to = transitions::next(ticket.state, StepKind::Merge, facts)?;
    let target = target.ok_or_else(|| ApiError::from(ErrorCode::ValidationFailed))?;
    let mut plan = Plan::new(ticket, EventKind::Merged, now);
    plan.next.state = Set(to);
    plan.next.merged_into = Set(Some(target.id));
    plan.next.assignee_id = Set(None);
    plan.reason = Some(format!("{} ({})", why.unwrap_or_default(), target.number));
    Ok(plan)
}

/// A new impact and urgency, and the priority they give.
fn prioritize(
    ticket: &helpdesk_ticket::Model,
    facts: Facts,
    impact: &str,
    urgency: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let mut fields = Fields::default();
    let impact = fields.check("impact", Severity::parse(impact));
    let urgency = fields.check("urgency", Severity::parse(urgency));
    let why = fields.check(
        "reason",
        text(
            Some(why),
            MAX_TEXT,
            "Indique el motivo del cambio de prioridad.",
        ),
    );
    fields.finish()?;
    let (Some(impact), Some(urgency)) = (impact, urgency) else {
        return Err(ErrorCode::ValidationFailed.into());
    };
    transitions::next(ticket.state, StepKind::Priority, facts)?;
    let mut plan = Plan::new(ticket, EventKind::Priority, now);
    plan.next.impact = Set(impact);
    plan.next.urgency = Set(urgency);
    plan.next.priority = Set(rules::priority(impact, urgency));
    plan.reason = why;
    Ok(plan)
}

/// The requester's rating: 1 to 5, a comment required below 3.
fn rate(
    ticket: &helpdesk_ticket::Model,
    facts: Facts,
    score: i16,
    comment: Option<String>,
    now: DateTime<Utc>,
) -> Result<Plan> {
    let comment = comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let mut fields = Fields::default();
    if !(1..=5).contains(&score) {
        fields.add("score", "La calificación va de 1 a 5.");
    } else if score < 3 && comment.is_none() {
        fields.add(
            "comment",
            "Cuéntenos qué no funcionó: el comentario es obligatorio con una calificación menor que 3.",
        );
    }
    if let Some(c) = &comment {
        fields.check("comment", text(Some(c), MAX_TEXT, "").map(|_| ()));
    }
    fields.finish()?;
    let facts = Facts {
        rated: ticket.rating.is_some(),
        ..facts
    };
    transitions::next(ticket.state, StepKind::Rate, facts)?;
    let mut plan = Plan::new(ticket, EventKind::Rated, now);
    plan.next.rating = Set(Some(score));
    plan.next.rating_comment = Set(comment);
    Ok(plan)
}

/// Writes a planned step: the ticket if nobody changed it meanwhile, and the public message the
/// step posts (the help desk's first public word is its first response). Answers the ticket as
/// written, and the plan with a question turned into the reply the requester is sent.
async fn write(
    db: &impl ConnectionTrait,
    p: &Principal,
    ticket: &helpdesk_ticket::Model,
    access: &Access,
    mut plan: Plan,
    now: DateTime<Utc>,
) -> Result<(helpdesk_ticket::Model, Plan)> {
    let next = std::mem::take(&mut plan.next);
    let saved = tickets::write_if_unchanged(db, ticket, next).await?;
    let Some(body) = plan.message.clone() else {
        return Ok((saved, plan));
    };
    helpdesk_message::ActiveModel {
        ticket_id: Set(saved.id),
        author_id: Set(p.user_id),
        internal: Set(false),
        body: Set(body.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if !access.requester && saved.first_response_at.is_none() {
        let mut first: helpdesk_ticket::ActiveModel = saved.clone().into();
        first.first_response_at = Set(Some(now));
        first.update(db).await?;
    }
    if let Some(Notice::Question) = plan.requester {
        plan.requester = Some(Notice::Reply(body));
    }
    let saved = helpdesk_ticket::Entity::find_by_id(saved.id)
        .one(db)
        .await?
        .unwrap_or(saved);
    Ok((saved, plan))
}

/// A ticket by its number (`ISOS-2026-000123`) or id.
async fn find_ticket(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<helpdesk_ticket::Model>> {
    let key = key.trim();
    let query = match key.parse::<i64>() {
        Ok(id) => helpdesk_ticket::Entity::find_by_id(id),
        Err(_) => helpdesk_ticket::Entity::find()
            .filter(helpdesk_ticket::Column::Number.eq(key.to_uppercase())),
    };
    Ok(query.one(db).await?)
}

/// The person of the ticket's stage with the fewest open tickets assigned (the lowest id first
/// among equals): round-robin by load among those who work this ticket and are available.
async fn round_robin(
    db: &impl ConnectionTrait,
    ticket: &helpdesk_ticket::Model,
) -> Result<Option<i64>> {
    let roles = access::roles_at(ticket.level, ticket.n2_unit);
    let mut candidates: Vec<i64> = role_assignment::Entity::find()
        .filter(role_assignment::Column::Active.eq(true))
        .filter(role_assignment::Column::Role.is_in(roles.iter().map(|r| r.code())))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    let away: std::collections::HashSet<i64> = helpdesk_availability::Entity::find()
        .filter(helpdesk_availability::Column::UserId.is_in(candidates.clone()))
        .filter(helpdesk_availability::Column::Available.eq(false))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    let mut best: Option<(u64, i64)> = None;
    for user in candidates.into_iter().filter(|u| !away.contains(u)) {
        let Ok(them) = crate::auth::principal::load_principal(db, user).await else {
            continue;
        };
        if !access::of(&them, ticket).works {
            continue;
        }
        use sea_orm::PaginatorTrait;
        let load = helpdesk_ticket::Entity::find()
            .filter(helpdesk_ticket::Column::AssigneeId.eq(user))
            .filter(helpdesk_ticket::Column::State.is_in([
                TicketState::EnAtencion,
                TicketState::EsperandoUsuario,
                TicketState::Reabierto,
            ]))
            .count(db)
            .await?;
        if best.is_none_or(|(l, _)| load < l) {
            best = Some((load, user));
        }
    }
    Ok(best.map(|(_, user)| user))
}
