//! Who reaches a ticket: its requester, and the help desk's levels within their jurisdiction. An
//! N1 agent reaches every ticket; at N2, the Especialista SIAGIE UGEL the tickets of its UGEL that
//! reached its stage, and the Especialista SIAGIE DRE those of its DRE that reached the DRE's
//! stage (each keeps reading them after they move on, but works them only while they are at its
//! stage); an N3 specialist those that reached N3; the administrator, all, as supervisor.

use sea_orm::{ColumnTrait, Condition};

use entity::{
    helpdesk_ticket::{self, Column},
    helpdesk_vocabulary::{N2Unit, TicketLevel},
};

use crate::auth::{
    Principal,
    policy::{Action, Role, Target, grants},
};

/// Where a role works: its level, and at N2 its stage (the administrator: everywhere).
pub fn stage_of(role: Role) -> Option<(TicketLevel, Option<N2Unit>)> {
    match role {
        Role::HelpdeskAgent => Some((TicketLevel::N1, None)),
        Role::UgelSpecialist => Some((TicketLevel::N2, Some(N2Unit::Ugel))),
        Role::DreSpecialist => Some((TicketLevel::N2, Some(N2Unit::Dre))),
        Role::MineduSpecialist => Some((TicketLevel::N3, None)),
        _ => None,
    }
}

/// The roles that work a stage.
pub fn roles_at(level: TicketLevel, unit: Option<N2Unit>) -> &'static [Role] {
    match (level, unit) {
        (TicketLevel::N1, _) => &[Role::HelpdeskAgent],
        (TicketLevel::N2, Some(N2Unit::Dre)) => &[Role::DreSpecialist],
        (TicketLevel::N2, _) => &[Role::UgelSpecialist],
        (TicketLevel::N3, _) => &[Role::MineduSpecialist],
    }
}

/// The unit a ticket belongs to.
pub fn target(ticket: &helpdesk_ticket::Model) -> Target {
    Target {
        dre_id: ticket.dre_id,
        ugel_id: ticket.ugel_id,
        school_id: ticket.school_id,
        school_level: None,
        section_id: None,
    }
}

/// What the caller may do with one ticket.
#[derive(Debug, Clone, Copy)]
pub struct Access {
    /// The caller filed it.
    pub requester: bool,
    /// The caller reads it as the help desk (internal notes included).
    pub staff: bool,
    /// The caller works it at its current level.
    pub works: bool,
    /// The caller supervises (the administrator).
    pub supervisor: bool,
}

impl Access {
    pub fn reads(&self) -> bool {
        self.requester || self.staff
    }
}

/// The caller's access to a ticket.
pub fn of(p: &Principal, ticket: &helpdesk_ticket::Model) -> Access {
    let target = target(ticket);
    let mut access = Access {
        requester: ticket.requester_id == p.user_id,
        staff: false,
        works: false,
        supervisor: false,
    };
    for a in &p.assignments {
        if !grants(a.role, Action::WorkTickets) || !a.covers(&target, &[]) {
            continue;
        }
        if a.role == Role::MineduAdmin {
            access.staff = true;
            access.works = true;
            access.supervisor = true;
            continue;
        }
        let Some((level, unit)) = stage_of(a.role) else {
            continue;
        };
        let reached = match (level, unit) {
            (TicketLevel::N1, _) => true,
            (TicketLevel::N2, Some(N2Unit::Ugel)) => ticket.reached_ugel,
            (TicketLevel::N2, _) => ticket.reached_dre,
            (TicketLevel::N3, _) => ticket.reached_level == TicketLevel::N3,
        };
        if reached {
            access.staff = true;
        }
        if ticket.level == level && (level != TicketLevel::N2 || ticket.n2_unit == unit) {
            access.works = true;
        }
    }
    access
}

/// Whether the caller works tickets at all (has a queue).
pub fn is_staff(p: &Principal) -> bool {
    p.assignments
        .iter()
        .any(|a| grants(a.role, Action::WorkTickets))
}

/// The tickets of the caller's queues, as a filter (nothing when the caller has none).
pub fn queue_condition(p: &Principal) -> Condition {
    let mut any = Condition::any();
    let mut some = false;
    for a in p
        .assignments
        .iter()
        .filter(|a| grants(a.role, Action::WorkTickets))
    {
        use crate::auth::policy::Unit;
        some = true;
        match (a.role, a.unit) {
            (Role::MineduAdmin | Role::HelpdeskAgent, _) => return Condition::all(),
            (Role::MineduSpecialist, _) => any = any.add(Column::ReachedLevel.eq(TicketLevel::N3)),
            (Role::UgelSpecialist, Unit::Ugel { ugel_id, .. }) => {
                any = any.add(
                    Condition::all()
                        .add(Column::UgelId.eq(ugel_id))
                        .add(Column::ReachedUgel.eq(true)),
                )
            }
            (Role::DreSpecialist, Unit::Dre { dre_id }) => {
                any = any.add(
                    Condition::all()
                        .add(Column::DreId.eq(dre_id))
                        .add(Column::ReachedDre.eq(true)),
                )
            }
            _ => {}
        }
    }
    if !some {
        any = any.add(Column::Id.eq(-1));
    }
    any
}

/// Whether the caller keeps the help desk (topics, calendar, knowledge base).
pub fn manages(p: &Principal) -> bool {
    p.can(Action::ManageHelpdesk, &Target::national())
}
