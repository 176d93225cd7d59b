//! The monthly register as a page (`/consola/registros/{section}/{year}/{month}`): the grid as
//! SIAGIE shows it (students in Spanish order, days, non-academic days greyed), written cell by
//! cell from one form, "completar hasta el día N", the closure, the marks held for review, the
//! request for an exceptional modification and the PDF. Every form calls the service of the
//! API's route (`attendance::{register, cells, closure}`, `exceptional`).

mod forms;
mod page;

pub use forms::act;
pub use page::{PATH, export, reads_section, register_pdf, show};
