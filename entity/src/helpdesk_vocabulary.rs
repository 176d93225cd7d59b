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

/// The level a ticket is at: N1, the Central de Atención; N2, the Especialista SIAGIE of the
/// UGEL, then of the DRE (`n2_unit`); N3, the Especialista SIAGIE of MINEDU. Stored, and sent over
/// the API, as its number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, DeriveActiveEnum, Serialize,
)]
#[sea_orm(rs_type = "i16", db_type = "SmallInteger")]
#[serde(into = "i16")]
pub enum TicketLevel {
    #[sea_orm(num_value = 1)]
    N1,
    #[sea_orm(num_value = 2)]
    N2,
    #[sea_orm(num_value = 3)]
    N3,
}

impl TicketLevel {
    /// Every level, from the first.
    pub const ALL: &'static [Self] = &[Self::N1, Self::N2, Self::N3];

    /// The level's number, 1 to 3.
    pub fn number(self) -> i16 {
        match self {
            Self::N1 => 1,
            Self::N2 => 2,
            Self::N3 => 3,
        }
    }

    /// Reads a level's number.
    pub fn from_number(number: i16) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|l| l.number() == number)
            .ok_or_else(|| format!("Nivel no válido: «{number}». Valores permitidos: 1, 2, 3."))
    }

    /// The Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::N1 => "N1 — Central de Atención",
            Self::N2 => "N2 — Especialista SIAGIE UGEL/DRE",
            Self::N3 => "N3 — Especialista SIAGIE MINEDU",
        }
    }
}

impl From<TicketLevel> for i16 {
    fn from(level: TicketLevel) -> Self {
        level.number()
    }
}

/// A ticket's priority, from impact × urgency: 1 (muy baja) to 5 (muy alta). Stored, and sent
/// over the API, as its number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, DeriveActiveEnum, Serialize,
)]
#[sea_orm(rs_type = "i16", db_type = "SmallInteger")]
#[serde(into = "i16")]
pub enum Priority {
    #[sea_orm(num_value = 1)]
    MuyBaja,
    #[sea_orm(num_value = 2)]
    Baja,
    #[sea_orm(num_value = 3)]
    Media,
    #[sea_orm(num_value = 4)]
    Alta,
    #[sea_orm(num_value = 5)]
    MuyAlta,
}

impl Priority {
    /// Every priority, from the lowest.
    pub const ALL: &'static [Self] = &[
        Self::MuyBaja,
        Self::Baja,
        Self::Media,
        Self::Alta,
        Self::MuyAlta,
    ];

    /// The priority's number, 1 to 5.
    pub fn number(self) -> i16 {
        match self {
            Self::MuyBaja => 1,
            Self::Baja => 2,
            Self::Media => 3,
            Self::Alta => 4,
            Self::MuyAlta => 5,
        }
    }

    /// Reads a priority's number.
    pub fn from_number(number: i16) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.number() == number)
            .ok_or_else(|| {
                format!("Prioridad no válida: «{number}». Valores permitidos: 1, 2, 3, 4, 5.")
            })
    }

    /// The priority of an impact and an urgency (GLPI's matrix, on three steps each).
    pub fn of(impact: Severity, urgency: Severity) -> Self {
        let step = |s: Severity| match s {
            Severity::Baja => 0,
            Severity::Media => 1,
            Severity::Alta => 2,
        };
        Self::ALL[step(impact) + step(urgency)]
    }

    /// The Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::MuyAlta => "Muy alta",
            Self::Alta => "Alta",
            Self::Media => "Media",
            Self::Baja => "Baja",
            Self::MuyBaja => "Muy baja",
        }
    }
}

impl From<Priority> for i16 {
    fn from(priority: Priority) -> Self {
        priority.number()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_priorities_read_their_own_numbers() {
        for level in TicketLevel::ALL {
            assert_eq!(TicketLevel::from_number(level.number()), Ok(*level));
        }
        assert!(TicketLevel::from_number(4).is_err());
        let numbers: Vec<i16> = Priority::ALL.iter().map(|p| p.number()).collect();
        assert_eq!(numbers, [1, 2, 3, 4, 5]);
        assert_eq!(
            Priority::of(Severity::Baja, Severity::Baja),
            Priority::MuyBaja
        );
        assert_eq!(
            Priority::of(Severity::Alta, Severity::Media),
            Priority::Alta
        );
        assert_eq!(
            Priority::of(Severity::Alta, Severity::Alta),
            Priority::MuyAlta
        );
    }

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
