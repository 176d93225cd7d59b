//! Background work of the SIAGIE back end: the mail transport settings and, on top of them, the
//! scheduler and the mail outbox.

pub mod mail;

pub use mail::MailConfig;
