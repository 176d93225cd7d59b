//! The organisation registry: DRE → UGEL → IE, academic years and their calendar, grades,
//! sections, students, enrollments, staff and teacher assignments.

mod dto;
mod import;
pub mod repo;
mod routes;
pub mod search;
mod service;

pub use dto::*;
pub use repo::{SchoolScope, SectionScope, school_scope, section_scope, year_by_number};
pub use routes::router;
pub use service::{EnrollmentInput, confirm_person, enroll_many};
