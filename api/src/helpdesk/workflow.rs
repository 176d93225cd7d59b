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
    helpdesk_vocabulary::{N2Unit, Severity, TicketState},
    role_assignment,
};

use super::{
    access::{self, Access},
    dto::TicketView,
    mail::{self, Notice, StaffNotice},
    rules::{self, MAX_TEXT, text},
    tickets,
};
use crate::{
    auth::{Principal, Role},
    error::{ApiError, ErrorCode, Fields, Result},
    record::{AuditAction, Change, Event, record},
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
    /// Whether the requester takes the step (otherwise the help desk at the ticket's level).
    fn by_requester(&self) -> bool {
        matches!(self, Step::Close | Step::Reopen(_) | Step::Rate { .. })
    }
}

fn reason(value: &str, field: &str, required: &str) -> Result<String> {
    text(Some(value), MAX_TEXT, required).map_err(|m| ApiError::field(field, m))
}

fn conflict(message: &'static str) -> ApiError {
    ApiError::because(ErrorCode::TicketStateConflict, message)
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
        .rposition(|e| e.kind == "escalated" && rank((e.level, e.n2_unit)) == rank(here))
        .and_then(|i| i.checked_sub(1))
        .map(|i| (events[i].level, events[i].n2_unit))
        .filter(|s| rank(*s) < rank(here));
    Ok(Some(from.unwrap_or((1, None))))
}

/// Takes a step on a ticket: the caller must reach it (404), be allowed the step (403), give
/// valid values (422) and find the ticket in a state that allows it (409). The change, its log
/// entry, the audit event and the requester's e-mail are written together.
pub async fn apply(
    state: &AppState,
    p: &Principal,
    id: i64,
    step: Step,
    now: DateTime<Utc>,
) -> Result<TicketView> {
    let config = &state.config.helpdesk;
    let (txn, ticket, access) = tickets::begin_on(&state.db, p, id).await?;
    allowed(&access, &step)?;
    let before = ticket.state;
    let open = before.is_open();
    let mut next: helpdesk_ticket::ActiveModel = ticket.clone().into();
    next.updated_at = Set(now);
    let mut notice = None;
    let mut public_message: Option<String> = None;
    let mut staff_notice = None;
    let (kind, why): (&str, Option<String>) = match step {
        Step::Take | Step::Assign(_) => {
            // Taking is for a ticket nobody works yet: another person's is reassigned by name.
            if matches!(step, Step::Take)
                && before == TicketState::EnAtencion
                && ticket.assignee_id.is_some_and(|a| a != p.user_id)
            {
                return Err(conflict(
                    "Otra persona ya atiende este ticket: para reasignarlo, use «asignar».",
                ));
            }
            let assignee = match step {
                Step::Assign(Some(user)) => {
                    let them = crate::auth::principal::load_principal(&txn, user)
                        .await
                        .map_err(|_| {
                            ApiError::field("user_id", "La cuenta no existe o no está activa.")
                        })?;
                    if !access::of(&them, &ticket).works {
                        return Err(ApiError::field(
                            "user_id",
                            "Esa persona no atiende tickets en el nivel actual de este ticket.",
                        ));
                    }
                    user
                }
                Step::Assign(None) => round_robin(&txn, &ticket)
                    .await?
                    .ok_or_else(|| ApiError::from(ErrorCode::NoAgentAvailable))?,
                _ => p.user_id,
            };
            if !matches!(
                before,
                TicketState::Nuevo
                    | TicketState::Escalado
                    | TicketState::Reabierto
                    | TicketState::EnAtencion
            ) {
                return Err(conflict(
                    "Solo se asigna un ticket nuevo, escalado, reabierto o en atención.",
                ));
            }
            next.state = Set(TicketState::EnAtencion);
            next.assignee_id = Set(Some(assignee));
            if assignee != p.user_id {
                staff_notice = Some(StaffNotice::Assigned);
            }
            if ticket.level == 1 && ticket.owner_id.is_none() {
                next.owner_id = Set(Some(assignee));
            }
            (
                if assignee == p.user_id {
                    "taken"
                } else {
                    "assigned"
                },
                None,
            )
        }
        Step::Wait(question) => {
            let question = reason(&question, "reason", "Escriba la pregunta para el usuario.")?;
            if !matches!(before, TicketState::EnAtencion | TicketState::Reabierto) {
                return Err(conflict(
                    "Solo se consulta al usuario sobre un ticket en atención.",
                ));
            }
            next.state = Set(TicketState::EsperandoUsuario);
            public_message = Some(question);
            notice = Some(Notice::Question);
            ("waiting", None)
        }
        Step::Escalate(why) => {
            let why = reason(&why, "reason", "Indique el motivo de la derivación.")?;
            if !open || before == TicketState::EsperandoUsuario {
                return Err(conflict(
                    "Solo se deriva un ticket abierto que no espera al usuario.",
                ));
            }
            let Some((level, unit)) = stage_up(&txn, &ticket).await? else {
                return Err(conflict("El ticket ya está en el último nivel (N3)."));
            };
            next.state = Set(TicketState::Escalado);
            next.level = Set(level);
            next.n2_unit = Set(unit);
            next.reached_level = Set(ticket.reached_level.max(level));
            next.reached_ugel = Set(ticket.reached_ugel || unit == Some(N2Unit::Ugel));
            next.reached_dre = Set(ticket.reached_dre || unit == Some(N2Unit::Dre));
            next.assignee_id = Set(None);
            next.level_since = Set(now);
            staff_notice = Some(StaffNotice::Escalated(why.clone()));
            ("escalated", Some(why))
        }
        Step::Return(why) => {
            let why = reason(&why, "reason", "Indique el motivo de la devolución.")?;
            if !open || before == TicketState::EsperandoUsuario {
                return Err(conflict(
                    "Solo se devuelve un ticket abierto que no espera al usuario.",
                ));
            }
            let Some((level, unit)) = stage_down(&txn, &ticket).await? else {
                return Err(conflict(
                    "El ticket está en el primer nivel: no se puede devolver.",
                ));
            };
            next.level = Set(level);
            next.n2_unit = Set(unit);
            next.level_since = Set(now);
            match (level, ticket.owner_id) {
                (1, Some(owner)) => {
                    next.state = Set(TicketState::EnAtencion);
                    next.assignee_id = Set(Some(owner));
                }
                (1, None) => {
                    next.state = Set(TicketState::Nuevo);
                    next.assignee_id = Set(None);
                }
                _ => {
                    next.state = Set(TicketState::Escalado);
                    next.assignee_id = Set(None);
                }
            }
            staff_notice = Some(StaffNotice::Returned(why.clone()));
            ("returned", Some(why))
        }
        Step::Resolve(resolution) => {
            let resolution = text(Some(&resolution), MAX_TEXT, "Describa la solución.")
                .map_err(|m| ApiError::field("resolution", m))?;
            if !open {
                return Err(conflict("Solo se resuelve un ticket abierto."));
            }
            next.state = Set(TicketState::Resuelto);
            next.resolution = Set(Some(resolution));
            next.resolved_at = Set(Some(now));
            if ticket.first_response_at.is_none() {
                next.first_response_at = Set(Some(now));
            }
            notice = Some(Notice::Resolved);
            ("resolved", None)
        }
        Step::Close => {
            if before != TicketState::Resuelto {
                return Err(conflict("Solo se cierra un ticket resuelto."));
            }
            next.state = Set(TicketState::Cerrado);
            next.closed_at = Set(Some(now));
            ("closed", None)
        }
        Step::Reopen(why) => {
            let why = reason(&why, "reason", "Cuéntenos por qué el problema continúa.")?;
            if !matches!(before, TicketState::Resuelto | TicketState::Cerrado) {
                return Err(conflict("Solo se reabre un ticket resuelto o cerrado."));
            }
            let resolved = ticket.resolved_at.unwrap_or(ticket.updated_at);
            if now - resolved > Duration::days(config.reopen_days) {
                return Err(ErrorCode::ReopenWindowOver.into());
            }
            next.state = Set(TicketState::Reabierto);
            next.closed_at = Set(None);
            next.resolved_at = Set(None);
            staff_notice = Some(StaffNotice::Reopened(why.clone()));
            public_message = Some(why);
            ("reopened", None)
        }
        Step::Merge { into, reason: why } => {
            let mut fields = Fields::default();
            let why = fields.check(
                "reason",
                text(Some(&why), MAX_TEXT, "Indique el motivo de la fusión."),
            );
            let target = find_ticket(&txn, &into).await?;
            let target = match target {
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
            if !open {
                return Err(conflict("Solo se fusiona un ticket abierto."));
            }
            let target = target.ok_or_else(|| ApiError::from(ErrorCode::ValidationFailed))?;
            next.state = Set(TicketState::Fusionado);
            next.merged_into = Set(Some(target.id));
            next.assignee_id = Set(None);
            (
                "merged",
                Some(format!("{} ({})", why.unwrap_or_default(), target.number)),
            )
        }
        Step::Annul(why) => {
            let why = reason(&why, "reason", "Indique el motivo de la anulación.")?;
            if !open {
                return Err(conflict("Solo se anula un ticket abierto."));
            }
            next.state = Set(TicketState::Anulado);
            next.assignee_id = Set(None);
            ("annulled", Some(why))
        }
        Step::Priority {
            impact,
            urgency,
            reason: why,
        } => {
            let mut fields = Fields::default();
            let impact = fields.check("impact", Severity::parse(&impact));
            let urgency = fields.check("urgency", Severity::parse(&urgency));
            let why = fields.check(
                "reason",
                text(
                    Some(&why),
                    MAX_TEXT,
                    "Indique el motivo del cambio de prioridad.",
                ),
            );
            fields.finish()?;
            let (Some(impact), Some(urgency)) = (impact, urgency) else {
                return Err(ErrorCode::ValidationFailed.into());
            };
            if !open {
                return Err(conflict("Solo cambia la prioridad de un ticket abierto."));
            }
            next.impact = Set(impact);
            next.urgency = Set(urgency);
            next.priority = Set(rules::priority(impact, urgency));
            ("priority", why)
        }
        Step::Rate { score, comment } => {
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
            if !matches!(before, TicketState::Resuelto | TicketState::Cerrado) {
                return Err(conflict("Solo se califica un ticket resuelto."));
            }
            if ticket.rating.is_some() {
                return Err(ErrorCode::TicketAlreadyRated.into());
            }
            next.rating = Set(Some(score));
            next.rating_comment = Set(comment);
            ("rated", None)
        }
    };
    let saved = tickets::write_if_unchanged(&txn, &ticket, next).await?;
    if let Some(body) = public_message {
        helpdesk_message::ActiveModel {
            ticket_id: Set(saved.id),
            author_id: Set(p.user_id),
            internal: Set(false),
            body: Set(body.clone()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if !access.requester && saved.first_response_at.is_none() {
            let mut first: helpdesk_ticket::ActiveModel = saved.clone().into();
            first.first_response_at = Set(Some(now));
            first.update(&txn).await?;
        }
        if let Some(Notice::Question) = notice {
            notice = Some(Notice::Reply(body));
        }
    }
    let saved = helpdesk_ticket::Entity::find_by_id(saved.id)
        .one(&txn)
        .await?
        .unwrap_or(saved);
    rules::log(&txn, &saved, Some(p.user_id), kind, Some(before), why, now).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HelpdeskTicketChanged, saved.id)
                .by(p.user_id)
                .in_unit(access::target(&saved))
                .before(&serde_json::json!({"state": before, "level": ticket.level, "n2_unit": ticket.n2_unit}))
                .after(
                    &serde_json::json!({"step": kind, "state": saved.state, "level": saved.level, "n2_unit": saved.n2_unit}),
                ),
        ),
    )
    .await?;
    if let Some(notice) = notice {
        mail::notify(&txn, &saved, notice, now).await?;
    }
    if let Some(notice) = staff_notice {
        mail::tell_staff(&txn, &saved, notice, p.user_id, now).await?;
    }
    txn.commit().await?;
    tickets::read_as(&state.db, config, p, &saved, now).await
}

fn allowed(access: &Access, step: &Step) -> Result<()> {
    let ok = if step.by_requester() {
        access.requester || (access.supervisor && matches!(step, Step::Close))
    } else {
        access.works
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
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
