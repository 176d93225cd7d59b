//! Background work of the SIAGIE back end: the mail transport, e-mail templates, the mail outbox
//! with its sender, and the scheduler of periodic jobs.

pub mod clock;
pub mod db;
pub mod mail;
pub mod outbox;
pub mod schedule;
pub mod templates;

pub use clock::Clock;
pub use mail::{Email, MailConfig, Mailer};
pub use schedule::JobsConfig;
