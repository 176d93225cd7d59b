//! Who the help desk's pages are for, and the choices several of its forms offer.

use minijinja::context;

use entity::helpdesk_vocabulary::Severity;

use super::session::Signed;
use crate::helpdesk::access;

/// Whether the signed-in person works in the help desk (agents and specialists).
pub fn is_help_desk(signed: &Signed) -> bool {
    access::is_staff(&signed.principal)
}

/// The values of impact and urgency, with their names.
pub fn severities() -> Vec<minijinja::Value> {
    Severity::ALL
        .iter()
        .map(|s| {
            context! {
                code => s.code(),
                label => match s { Severity::Baja => "Baja", Severity::Media => "Media", Severity::Alta => "Alta" },
            }
        })
        .collect()
}
