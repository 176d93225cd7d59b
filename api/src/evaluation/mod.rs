//! Evaluation: the catalogue of curricular areas, each section's acta de evaluación (final grades
//! per student and area, final situations, closure and exceptional modification), the acta as a
//! PDF, and a student's record of closed years across schools.

pub mod catalogue;
pub mod closure;
pub mod grades;
pub mod modification;
pub mod pdf;
pub mod record;
pub mod recovery;
pub mod routes;
pub mod scale;
pub mod sheet;
pub mod teachers;

pub use routes::router;
