//! Altas y bajas (docs/domain.md §2, docs/provisioning.md): requests to give or end a role,
//! approved or rejected by the authority it names, with credentials shown once for a new
//! account; manager password resets.

mod accounts;
mod authority;
mod decisions;
mod dto;
pub mod files;
mod notices;
mod pdf_check;
mod requests;
mod routes;
mod units;
mod visibility;

pub use accounts::reset_by_manager;
pub use authority::{decided_by, is_authority, visible_request};
pub use decisions::{approve, reject};
pub use dto::{Credentials, NewRequestForm, RequestView};
pub use requests::{create, holder_assignment, list};
pub(crate) use routes::read_form;
pub use routes::router;
