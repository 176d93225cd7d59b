//! The closed vocabularies of the help desk, typed and stored as their snake_case text.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize,
            Deserialize, utoipa::ToSchema,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $(#[sea_orm(string_value = $code)] $variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The machine code stored and sent over the API.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            /// Reads a machine code.
            pub fn parse(value: &str) -> Result<Self, String> {
                match value.trim() {
                    $($code => Ok(Self::$variant),)+
                    other => Err(format!(
                        concat!($what, " no válido: «{}». Valores permitidos: {}."),
                        other,
                        [$($code),+].join(", ")
                    )),
                }
            }
        }
    };
}

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
