//! The ticket's state machine as a table: for a state, a step and the facts about the caller and
//! the ticket, the state the step leads to or why it is refused. Pure: the facts are read before
//! (who the caller is to the ticket, whether a stage above or below exists, the reopening
//! window), so every rule is tested without a database.

use entity::helpdesk_vocabulary::TicketState::{self, *};

use super::access::Access;
use crate::error::{ApiError, ErrorCode};

/// The steps a ticket can be asked to take, without their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Take,
    Assign,
    Wait,
    Escalate,
    Return,
    Resolve,
    Close,
    Reopen,
    Merge,
    Annul,
    Priority,
    Rate,
}

impl StepKind {
    /// Every step, in order.
    pub const ALL: [StepKind; 12] = [
        Self::Take,
        Self::Assign,
        Self::Wait,
        Self::Escalate,
        Self::Return,
        Self::Resolve,
        Self::Close,
        Self::Reopen,
        Self::Merge,
        Self::Annul,
        Self::Priority,
        Self::Rate,
    ];

    /// Whether the requester takes the step (otherwise the help desk at the ticket's level).
    pub fn by_requester(self) -> bool {
        matches!(self, Self::Close | Self::Reopen | Self::Rate)
    }
}

/// Who the caller is to the ticket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actor {
    /// The caller filed the ticket.
    pub requester: bool,
    /// The caller works the ticket at its current level.
    pub works: bool,
    /// The caller supervises the help desk (the administrator).
    pub supervisor: bool,
}

impl From<&Access> for Actor {
    fn from(a: &Access) -> Self {
        Self {
            requester: a.requester,
            works: a.works,
            supervisor: a.supervisor,
        }
    }
}

/// Where a returned ticket goes: back to its N1 owner, to the N1 queue, or to a specialist's
/// queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Below {
    /// N1, where the agent who first took it works it again.
    Owner,
    /// N1, that nobody took before.
    FirstLevel,
    /// An N2 stage.
    Specialist,
}

/// What the table reads besides the state and the step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub actor: Actor,
    /// Someone other than the caller is assigned the ticket.
    pub assigned_to_other: bool,
    /// A staffed stage exists above the ticket's (for an escalation).
    pub stage_above: bool,
    /// The stage below the ticket's (for a return); none at N1.
    pub stage_below: Option<Below>,
    /// The requester is still within the days allowed to reopen.
    pub within_reopen_window: bool,
    /// The requester already rated the ticket.
    pub rated: bool,
}

/// Why a step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller may not take this step on this ticket (403).
    Forbidden,
    /// The ticket's state does not allow it (409 `ticket_state_conflict`, with the message).
    Conflict(&'static str),
    /// Too late to reopen (409 `reopen_window_over`).
    ReopenWindowOver,
    /// Rated already (409 `ticket_already_rated`).
    AlreadyRated,
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Forbidden => ApiError::forbidden(),
            Refusal::Conflict(message) => {
                ApiError::because(ErrorCode::TicketStateConflict, message)
            }
            Refusal::ReopenWindowOver => ErrorCode::ReopenWindowOver.into(),
            Refusal::AlreadyRated => ErrorCode::TicketAlreadyRated.into(),
        }
    }
}

/// Whether the caller may take a kind of step at all: the requester's steps are the requester's
/// (the supervisor may also close), the others belong to who works the ticket's level.
pub fn authorize(step: StepKind, actor: Actor) -> Result<(), Refusal> {
    let ok = if step.by_requester() {
        actor.requester || (actor.supervisor && step == StepKind::Close)
    } else {
        actor.works
    };
    if ok { Ok(()) } else { Err(Refusal::Forbidden) }
}

/// The state a step leads to from `state`, or why it is refused.
pub fn next(state: TicketState, step: StepKind, facts: Facts) -> Result<TicketState, Refusal> {
    use Refusal::Conflict;
    authorize(step, facts.actor)?;
    let open = state.is_open();
    match step {
        StepKind::Take | StepKind::Assign => {
            // Taking is for a ticket nobody works yet: another person's is reassigned by name.
            if step == StepKind::Take && state == EnAtencion && facts.assigned_to_other {
                return Err(Conflict(
                    "Otra persona ya atiende este ticket: para reasignarlo, use «asignar».",
                ));
            }
            match state {
                Nuevo | Escalado | Reabierto | EnAtencion => Ok(EnAtencion),
                _ => Err(Conflict(
                    "Solo se asigna un ticket nuevo, escalado, reabierto o en atención.",
                )),
            }
        }
        StepKind::Wait => match state {
            EnAtencion | Reabierto => Ok(EsperandoUsuario),
            _ => Err(Conflict(
                "Solo se consulta al usuario sobre un ticket en atención.",
            )),
        },
        StepKind::Escalate if !open || state == EsperandoUsuario => Err(Conflict(
            "Solo se deriva un ticket abierto que no espera al usuario.",
        )),
        StepKind::Escalate if !facts.stage_above => {
            Err(Conflict("El ticket ya está en el último nivel (N3)."))
        }
        StepKind::Escalate => Ok(Escalado),
        StepKind::Return if !open || state == EsperandoUsuario => Err(Conflict(
            "Solo se devuelve un ticket abierto que no espera al usuario.",
        )),
        StepKind::Return => match facts.stage_below {
            None => Err(Conflict(
                "El ticket está en el primer nivel: no se puede devolver.",
            )),
            Some(Below::Owner) => Ok(EnAtencion),
            Some(Below::FirstLevel) => Ok(Nuevo),
            Some(Below::Specialist) => Ok(Escalado),
        },
        StepKind::Resolve if open => Ok(Resuelto),
        StepKind::Resolve => Err(Conflict("Solo se resuelve un ticket abierto.")),
        StepKind::Close if state == Resuelto => Ok(Cerrado),
        StepKind::Close => Err(Conflict("Solo se cierra un ticket resuelto.")),
        StepKind::Reopen => match state {
            Resuelto | Cerrado if facts.within_reopen_window => Ok(Reabierto),
            Resuelto | Cerrado => Err(Refusal::ReopenWindowOver),
            _ => Err(Conflict("Solo se reabre un ticket resuelto o cerrado.")),
        },
        StepKind::Merge if open => Ok(Fusionado),
        StepKind::Merge => Err(Conflict("Solo se fusiona un ticket abierto.")),
        StepKind::Annul if open => Ok(Anulado),
        StepKind::Annul => Err(Conflict("Solo se anula un ticket abierto.")),
        StepKind::Priority if open => Ok(state),
        StepKind::Priority => Err(Conflict("Solo cambia la prioridad de un ticket abierto.")),
        StepKind::Rate => match state {
            Resuelto | Cerrado if facts.rated => Err(Refusal::AlreadyRated),
            Resuelto | Cerrado => Ok(state),
            _ => Err(Conflict("Solo se califica un ticket resuelto.")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORKER: Actor = Actor {
        requester: false,
        works: true,
        supervisor: false,
    };
    const REQUESTER: Actor = Actor {
        requester: true,
        works: false,
        supervisor: false,
    };
    const SUPERVISOR: Actor = Actor {
        requester: false,
        works: false,
        supervisor: true,
    };

    /// Facts under which every step that can go ahead does: a stage above and below, within the
    /// reopening window, nobody else assigned, not rated.
    fn easy(actor: Actor) -> Facts {
        Facts {
            actor,
            stage_above: true,
            stage_below: Some(Below::Specialist),
            within_reopen_window: true,
            ..Facts::default()
        }
    }

    fn actor_for(step: StepKind) -> Actor {
        if step.by_requester() {
            REQUESTER
        } else {
            WORKER
        }
    }

    /// The whole table with easy facts: for each step, the state each state leads to.
    fn expected(state: TicketState, step: StepKind) -> Option<TicketState> {
        let open = state.is_open();
        match step {
            StepKind::Take | StepKind::Assign => {
                matches!(state, Nuevo | Escalado | Reabierto | EnAtencion).then_some(EnAtencion)
            }
            StepKind::Wait => matches!(state, EnAtencion | Reabierto).then_some(EsperandoUsuario),
            StepKind::Escalate => (open && state != EsperandoUsuario).then_some(Escalado),
            StepKind::Return => (open && state != EsperandoUsuario).then_some(Escalado),
            StepKind::Resolve => open.then_some(Resuelto),
            StepKind::Close => (state == Resuelto).then_some(Cerrado),
            StepKind::Reopen => matches!(state, Resuelto | Cerrado).then_some(Reabierto),
            StepKind::Merge => open.then_some(Fusionado),
            StepKind::Annul => open.then_some(Anulado),
            StepKind::Priority => open.then_some(state),
            StepKind::Rate => matches!(state, Resuelto | Cerrado).then_some(state),
        }
    }

    #[test]
    fn every_step_from_every_state_leads_where_the_table_says() {
        for step in StepKind::ALL {
            for &state in TicketState::ALL {
                let got = next(state, step, easy(actor_for(step)));
                match expected(state, step) {
                    Some(to) => assert_eq!(got, Ok(to), "{step:?} from {state:?}"),
                    None => assert!(
                        matches!(got, Err(Refusal::Conflict(_))),
                        "{step:?} from {state:?}: {got:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn a_closed_merged_or_annulled_ticket_takes_no_help_desk_step() {
        for state in [Cerrado, Fusionado, Anulado] {
            for step in StepKind::ALL.into_iter().filter(|s| !s.by_requester()) {
                assert!(
                    next(state, step, easy(WORKER)).is_err(),
                    "{step:?} {state:?}"
                );
            }
        }
    }

    #[test]
    fn the_help_desk_steps_belong_to_who_works_the_level() {
        for step in StepKind::ALL.into_iter().filter(|s| !s.by_requester()) {
            for actor in [REQUESTER, SUPERVISOR, Actor::default()] {
                assert_eq!(
                    next(Nuevo, step, easy(actor)),
                    Err(Refusal::Forbidden),
                    "{step:?} {actor:?}"
                );
            }
            assert_eq!(authorize(step, WORKER), Ok(()));
        }
    }

    #[test]
    fn the_requester_steps_belong_to_the_requester_and_the_supervisor_may_close() {
        for step in [StepKind::Close, StepKind::Reopen, StepKind::Rate] {
            assert_eq!(authorize(step, REQUESTER), Ok(()));
            assert_eq!(authorize(step, WORKER), Err(Refusal::Forbidden));
        }
        assert_eq!(authorize(StepKind::Close, SUPERVISOR), Ok(()));
        assert_eq!(
            authorize(StepKind::Reopen, SUPERVISOR),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            authorize(StepKind::Rate, SUPERVISOR),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            next(Resuelto, StepKind::Close, easy(SUPERVISOR)),
            Ok(Cerrado)
        );
    }

    #[test]
    fn taking_a_ticket_someone_else_works_is_refused_but_assigning_it_is_not() {
        let facts = Facts {
            assigned_to_other: true,
            ..easy(WORKER)
        };
        assert!(matches!(
            next(EnAtencion, StepKind::Take, facts),
            Err(Refusal::Conflict(m)) if m.contains("asignar")
        ));
        assert_eq!(next(EnAtencion, StepKind::Assign, facts), Ok(EnAtencion));
        // Once escalated it is nobody's: anyone of the level takes it.
        assert_eq!(next(Escalado, StepKind::Take, facts), Ok(EnAtencion));
    }

    #[test]
    fn a_ticket_at_the_last_level_is_not_escalated() {
        let facts = Facts {
            stage_above: false,
            ..easy(WORKER)
        };
        assert!(matches!(
            next(EnAtencion, StepKind::Escalate, facts),
            Err(Refusal::Conflict(m)) if m.contains("N3")
        ));
    }

    #[test]
    fn a_returned_ticket_goes_to_its_owner_the_first_level_queue_or_a_specialist() {
        let to = |below| {
            next(
                EnAtencion,
                StepKind::Return,
                Facts {
                    stage_below: below,
                    ..easy(WORKER)
                },
            )
        };
        assert_eq!(to(Some(Below::Owner)), Ok(EnAtencion));
        assert_eq!(to(Some(Below::FirstLevel)), Ok(Nuevo));
        assert_eq!(to(Some(Below::Specialist)), Ok(Escalado));
        assert!(matches!(to(None), Err(Refusal::Conflict(m)) if m.contains("primer nivel")));
    }

    #[test]
    fn a_ticket_waiting_for_the_requester_is_neither_escalated_nor_returned() {
        for step in [StepKind::Escalate, StepKind::Return] {
            assert!(matches!(
                next(EsperandoUsuario, step, easy(WORKER)),
                Err(Refusal::Conflict(_))
            ));
        }
    }

    #[test]
    fn reopening_after_the_window_is_refused_with_its_own_code() {
        let late = Facts {
            within_reopen_window: false,
            ..easy(REQUESTER)
        };
        for state in [Resuelto, Cerrado] {
            assert_eq!(
                next(state, StepKind::Reopen, late),
                Err(Refusal::ReopenWindowOver)
            );
        }
        // An open ticket is refused for its state, whatever the window.
        assert!(matches!(
            next(EnAtencion, StepKind::Reopen, late),
            Err(Refusal::Conflict(_))
        ));
    }

    #[test]
    fn a_ticket_is_rated_once() {
        let rated = Facts {
            rated: true,
            ..easy(REQUESTER)
        };
        assert_eq!(
            next(Resuelto, StepKind::Rate, rated),
            Err(Refusal::AlreadyRated)
        );
        assert!(matches!(
            next(Nuevo, StepKind::Rate, rated),
            Err(Refusal::Conflict(_))
        ));
    }

    #[test]
    fn every_refusal_answers_its_error_code() {
        let code = |r: Refusal| ApiError::from(r).code();
        assert_eq!(code(Refusal::Forbidden), Some(ErrorCode::Forbidden));
        assert_eq!(
            code(Refusal::Conflict("x")),
            Some(ErrorCode::TicketStateConflict)
        );
        assert_eq!(
            code(Refusal::ReopenWindowOver),
            Some(ErrorCode::ReopenWindowOver)
        );
        assert_eq!(
            code(Refusal::AlreadyRated),
            Some(ErrorCode::TicketAlreadyRated)
        );
    }
}
