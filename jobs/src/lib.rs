//! Background work of the SIAGIE back end: the mail transport, e-mail templates and the mail
//! outbox with its sender.

pub mod mail;
pub mod outbox;
pub mod templates;

pub use mail::{Email, MailConfig, Mailer};
