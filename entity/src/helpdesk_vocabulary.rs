//! The closed vocabularies of the help desk, typed and stored as their snake_case text.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::vocabulary::vocabulary;

vocabulary!(
    /// The state of a ticket.
    TicketState, "Estado" {
        Nuevo => "nuevo", EnAtencion => "en_atencion", EsperandoUsuario => "esperando_usuario",
        Escalado => "escalado", Resuelto => "resuelto", Cerrado => "cerrado",
        Reabierto => "reabierto", Fusionado => "fusionado", Anulado => "anulado"
    }
);

impl TicketState {
    /// Whether the ticket still needs work from the help desk.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Nuevo
                | Self::EnAtencion
                | Self::EsperandoUsuario
                | Self::Escalado
                | Self::Reabierto
        )
    }

    /// The Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Nuevo => "Nuevo",
            Self::EnAtencion => "En atención",
            Self::EsperandoUsuario => "Esperando al usuario",
            Self::Escalado => "Escalado",
            Self::Resuelto => "Resuelto",
            Self::Cerrado => "Cerrado",
            Self::Reabierto => "Reabierto",
            Self::Fusionado => "Fusionado",
            Self::Anulado => "Anulado",
        }
    }
}

vocabulary!(
    /// Impact or urgency of a ticket (GLPI's matrix, three steps).
    Severity, "Valor" { Baja => "baja", Media => "media", Alta => "alta" }
);

vocabulary!(
    /// The stage of N2 a ticket is at: the Especialista SIAGIE of the requester's UGEL, then of
    /// its DRE.
    N2Unit, "Valor de unidad de N2" { Ugel => "ugel", Dre => "dre" }
);

vocabulary!(
    /// What an entry of a ticket's log records (`helpdesk_event.kind`).
    EventKind, "Tipo de evento" {
        Filed => "filed", Taken => "taken", Assigned => "assigned", Waiting => "waiting",
        Replied => "replied", Escalated => "escalated", Returned => "returned",
        Resolved => "resolved", Closed => "closed", Reopened => "reopened", Merged => "merged",
        Annulled => "annulled", Priority => "priority", Rated => "rated"
    }
);

vocabulary!(
    /// The state of a knowledge-base article.
    ArticleState, "Estado del artículo" { Borrador => "borrador", Publicado => "publicado", Archivado => "archivado" }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_its_own_code() {
        for state in TicketState::ALL {
            assert_eq!(TicketState::parse(state.code()), Ok(*state));
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::json!(state.code())
            );
        }
        assert!(TicketState::parse("abierto").is_err());
    }

    #[test]
    fn every_event_kind_is_stored_and_sent_as_its_code() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.code()), Ok(*kind));
            assert_eq!(sea_orm::ActiveEnum::to_value(kind), kind.code());
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.code())
            );
        }
    }
}

vocabulary!(
    /// What sending a canned reply also does to the ticket.
    CannedStep, "Paso" { Wait => "wait", Resolve => "resolve" }
);

impl CannedStep {
    /// The Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Wait => "y consultar al usuario (pausa el plazo)",
            Self::Resolve => "y resolver el ticket",
        }
    }
}
