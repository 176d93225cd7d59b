//! Where a ticket goes: the stage above it (passing over a unit nobody staffs), the stage it came
//! from, the least loaded person of its stage, and a ticket named by number.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use entity::{
    helpdesk_availability, helpdesk_event, helpdesk_ticket,
    helpdesk_vocabulary::{EventKind, N2Unit, TicketLevel, TicketState},
    role_assignment,
};

use crate::{auth::Role, error::Result, helpdesk::access};

/// Where a ticket is worked: its level, and at N2 whose specialist (the UGEL's or the DRE's).
pub(super) type Stage = (TicketLevel, Option<N2Unit>);

/// The order of the stages: N1, N2 UGEL, N2 DRE, N3.
fn rank((level, unit): Stage) -> u8 {
    match (level, unit) {
        (TicketLevel::N1, _) => 0,
        (TicketLevel::N2, Some(N2Unit::Dre)) => 2,
        (TicketLevel::N2, _) => 1,
        (TicketLevel::N3, _) => 3,
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
pub(super) async fn stage_up(
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
        return Ok(Some((TicketLevel::N2, Some(N2Unit::Ugel))));
    }
    if here < 2
        && let Some(dre) = ticket.dre_id
        && staffed(db, Role::DreSpecialist, role_assignment::Column::DreId, dre).await?
    {
        return Ok(Some((TicketLevel::N2, Some(N2Unit::Dre))));
    }
    Ok((here < 3).then_some((TicketLevel::N3, None)))
}

/// The stage below the ticket's: the one it was escalated from into its current stage (N3 goes
/// back to the N2 it came from, the DRE to the UGEL, the UGEL to N1), read from the event log.
pub(super) async fn stage_down(
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
    Ok(Some(from.unwrap_or((TicketLevel::N1, None))))
}

/// A ticket by its number (`ISOS-2026-000123`) or id.
pub(super) async fn find_ticket(
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
pub(super) async fn round_robin(
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
