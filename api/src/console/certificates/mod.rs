//! Certificates as pages (`/consola/certificados`), for an IE's issuers: the requests received
//! (from the public page or typed in) and the certificates issued, searchable; a section's status
//! list with its batch issue and the batch's PDF; a request's page (preview, issue, reject, a new
//! download link) and a certificate's page (PDF, annul, correct). Every form calls the service
//! of the API's route (`crate::certificates`).

mod common;
mod issued;
mod requests;
mod sections;

pub use issued::{certificate, certificate_pdf, certificate_step};
pub(crate) use requests::school_of;
pub use requests::{list, preview, request, request_step};
pub use sections::{batch_pdf, issue_section, section};
