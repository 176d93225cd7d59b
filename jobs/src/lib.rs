//! Background work of the SIAGIE back end. For now it holds the mail transport settings that the
//! server validates at start; the scheduler and the mail outbox build on them.

pub mod mail;

pub use mail::MailConfig;
