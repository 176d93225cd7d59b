//! Each step planned: its values checked, the transition table asked where it leads, and what it
//! writes and whom it tells.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;

use entity::{
    helpdesk_ticket,
    helpdesk_vocabulary::{EventKind, N2Unit, Priority, Severity, TicketLevel, TicketState},
};

use super::stages::{find_ticket, round_robin, stage_down, stage_up};
use crate::{
    auth::Principal,
    error::{ApiError, ErrorCode, Fields, Result},
    helpdesk::{
        HelpdeskConfig, access,
        mail::{Notice, StaffNotice},
        rules::{MAX_TEXT, text},
        transitions::{self, Actor, Below, Facts, StepKind},
    },
};
use sea_orm::ActiveValue::Set;

/// A step asked of a ticket.
#[derive(Debug, Clone)]
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

/// What a step writes: the ticket's new values, the kind and reason of its log entry, the public
/// message it posts, and whom it tells.
pub(super) struct Plan {
    pub(super) next: helpdesk_ticket::ActiveModel,
    pub(super) kind: EventKind,
    pub(super) reason: Option<String>,
    pub(super) message: Option<String>,
    pub(super) requester: Option<Notice>,
    pub(super) staff: Option<StaffNotice>,
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

pub(super) fn reason(value: &str, field: &str, required: &str) -> Result<String> {
    text(Some(value), MAX_TEXT, required).map_err(|m| ApiError::field(field, m))
}

/// Checks a step's values, asks the transition table where it leads, and plans its writes.
pub(super) async fn plan(
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
    if ticket.level == TicketLevel::N1 && ticket.owner_id.is_none() {
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
            (TicketLevel::N1, Some(_)) => Below::Owner,
            (TicketLevel::N1, None) => Below::FirstLevel,
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
    plan.next.priority = Set(Priority::of(impact, urgency));
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
