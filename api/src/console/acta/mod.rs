//! The acta consolidada de evaluación as a page (`/consola/actas/{section}`): the grades grid
//! (students × areas, each input bound to its area's scale, a teacher's inputs only in its
//! areas), a CSV import whose errors are shown on the grid, the final situations with the
//! grades' suggestion, the closure, the recuperación, the exceptional modification and the PDF.
//! Every form calls the service of the API's route (`evaluation::{sheet, grades, closure,
//! recovery}`, `exceptional`).

mod forms;
mod page;

pub use forms::{act, import};
pub use page::{MAX_FILE_BYTES, PATH, acta_pdf, show};
