//! The floor every write stands on: [`record`] takes what changed and does, in the write's own
//! transaction, everything that change implies — the audit trail's event, the change log the
//! tablets pull from, the register coverage to recompute. A service says *what* happened; which
//! side effects follow is decided here, once, so that no write can forget one.
//!
//! | change | audit trail | tablets' change log | register coverage |
//! |---|---|---|---|
//! | [`Change::Audited`] | ✓ | | |
//! | [`Change::CalendarDay`] | ✓ | calendar (the country, or the IE) | that day's registers in reach |
//! | [`Change::SectionCreated`] | ✓ | section | |
//! | [`Change::Roster`] | ✓ | enrollment | the section's registers |
//! | [`Change::Teachers`] | ✓ | teacher | |
//! | [`Change::RegisterState`] | ✓ | register | |
//! | [`Change::Cells`] | (the batch is the history) | | those days' registers |
//! | [`Change::Ticket`] | ✓, and the ticket's own log entry and e-mails (outbox) | | |
//! | [`Change::Acta`] | ✓, and the recorded recuperaciones the change leaves without ground, deleted | | |
//! | [`Change::Certificate`] | ✓ (none for a public request that matched no student), and e-mails (outbox) | | |
//! | [`Change::Mail`] | (the e-mails of a change recorded with its own event: outbox) | | |
//!
//! An audit event that is a write of its own, with no transaction to join (a certificate's
//! verification), goes through [`AuditWriter`] instead: the events of requests running at once
//! are written in one statement, each request answered once it is committed.
//!
//! It depends on nothing above it: the entities, the error type, the clock, the unit an event
//! belongs to and the mail outbox.

mod audit;
mod change_log;
mod coverage;
mod recovery;
mod ticket_log;
mod writer;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;

use entity::{helpdesk_ticket, non_academic_day};

pub use audit::{AuditAction, Event};
pub use change_log::{ChangeKind, Reach};
pub use ticket_log::TicketStep;
pub use writer::AuditWriter;

use crate::error::Result;

/// What a write changed.
#[derive(Debug)]
pub enum Change<'a> {
    /// A write only the trail keeps: units of the registry, accounts, assignments, provisioning
    /// requests, devices, the steps of a modification request.
    Audited(Event),
    /// A non-academic day added, for the country, a UGEL or an IE.
    CalendarDay {
        day: &'a non_academic_day::Model,
        event: Event,
    },
    /// A section created.
    SectionCreated {
        school_id: i64,
        section_id: i64,
        event: Event,
    },
    /// A section's roster changed: students enrolled (one or a whole roster), a traslado,
    /// retiro or fallecimiento recorded or undone.
    Roster {
        school_id: i64,
        section_id: i64,
        enrollment_id: Option<i64>,
        event: Event,
    },
    /// A teacher assigned to a section, or no longer.
    Teachers {
        school_id: i64,
        section_id: i64,
        row_id: i64,
        event: Event,
    },
    /// A month's register closed, opened for an exceptional modification, or closed again.
    RegisterState {
        school_id: i64,
        section_id: i64,
        register_id: i64,
        event: Event,
    },
    /// The standing value of these cells (section, day) changed.
    Cells(&'a [(i64, NaiveDate)]),
    /// A help-desk ticket changed, or was written on, at `at`: the step appended to its log
    /// (none for a message that moves nothing), the audit event, and the e-mails the change
    /// causes, queued in the outbox so that they leave only if the change commits.
    Ticket {
        /// The ticket as it is after the change.
        ticket: &'a helpdesk_ticket::Model,
        step: Option<TicketStep>,
        event: Event,
        mail: Vec<jobs::outbox::Queued>,
        at: DateTime<Utc>,
    },
    /// An acta's grades, situations, recuperación or state changed. A recorded recuperación
    /// answers the acta as it was: those of `outdated` (enrollments whose situation or failed
    /// areas the change moved) are deleted with it, and the trail keeps what they held.
    Acta {
        event: Event,
        /// Enrollments whose recorded recuperación no longer answers the acta.
        outdated: &'a [i64],
    },
    /// A certificate, or a request for one, changed: the audit event (none for a public request
    /// that matched no student: nothing of the registry changed), and the e-mails the change
    /// causes, queued in the outbox so that they leave only if the change commits.
    Certificate {
        event: Option<Event>,
        mail: Vec<jobs::outbox::Queued>,
    },
    /// The e-mails a change causes besides its own record (a workflow's step told to whoever
    /// takes the next one, a password's link, a role given): queued in the outbox so that they
    /// leave only if the change commits.
    Mail(Vec<jobs::outbox::Queued>),
}

/// Records a change and everything it implies, in the caller's transaction.
pub async fn record(db: &impl ConnectionTrait, change: Change<'_>) -> Result<()> {
    match change {
        Change::Audited(event) => audit::append(db, event).await,
        Change::CalendarDay { day, event } => {
            coverage::invalidate(
                db,
                coverage::Stale::Calendar {
                    date: day.date,
                    ugel_id: day.ugel_id,
                    school_id: day.school_id,
                },
            )
            .await?;
            audit::append(db, event).await?;
            let reach = match day.school_id {
                Some(school_id) => Reach::School {
                    school_id,
                    section_id: None,
                },
                // A UGEL's day reaches its IEs' tablets; the log names IEs or the country.
                None => Reach::Country,
            };
            change_log::append(db, reach, ChangeKind::Calendar, Some(day.id)).await
        }
        Change::SectionCreated {
            school_id,
            section_id,
            event,
        } => {
            let reach = section_reach(school_id, section_id);
            audit::append(db, event).await?;
            change_log::append(db, reach, ChangeKind::Section, Some(section_id)).await
        }
        Change::Roster {
            school_id,
            section_id,
            enrollment_id,
            event,
        } => {
            coverage::invalidate(db, coverage::Stale::Enrollments(section_id)).await?;
            audit::append(db, event).await?;
            let reach = section_reach(school_id, section_id);
            change_log::append(db, reach, ChangeKind::Enrollment, enrollment_id).await
        }
        Change::Teachers {
            school_id,
            section_id,
            row_id,
            event,
        } => {
            audit::append(db, event).await?;
            let reach = section_reach(school_id, section_id);
            change_log::append(db, reach, ChangeKind::Teacher, Some(row_id)).await
        }
        Change::RegisterState {
            school_id,
            section_id,
            register_id,
            event,
        } => {
            audit::append(db, event).await?;
            let reach = section_reach(school_id, section_id);
            change_log::append(db, reach, ChangeKind::Register, Some(register_id)).await
        }
        Change::Cells(cells) => coverage::invalidate(db, coverage::Stale::Cells(cells)).await,
        Change::Ticket {
            ticket,
            step,
            event,
            mail,
            at,
        } => {
            if let Some(step) = step {
                ticket_log::append(db, ticket, step, at).await?;
            }
            audit::append(db, event).await?;
            if !mail.is_empty() {
                jobs::outbox::enqueue_many(db, mail, at).await?;
            }
            Ok(())
        }
        Change::Acta { event, outdated } => {
            let dropped = recovery::drop(db, outdated, &event).await?;
            audit::append(db, event).await?;
            if let Some(dropped) = dropped {
                audit::append(db, dropped).await?;
            }
            Ok(())
        }
        Change::Certificate { event, mail } => {
            if let Some(event) = event {
                audit::append(db, event).await?;
            }
            queue(db, mail).await
        }
        Change::Mail(mail) => queue(db, mail).await,
    }
}

/// The tablets of a section of an IE.
fn section_reach(school_id: i64, section_id: i64) -> Reach {
    Reach::School {
        school_id,
        section_id: Some(section_id),
    }
}

/// Writes e-mails to the outbox, in the caller's transaction.
async fn queue(db: &impl ConnectionTrait, mail: Vec<jobs::outbox::Queued>) -> Result<()> {
    if !mail.is_empty() {
        jobs::outbox::enqueue_many(db, mail, crate::time::now()).await?;
    }
    Ok(())
}
