//! The organisation registry: DRE → UGEL → IE, academic years and their calendar, grades,
//! sections, students, enrollments, staff and teacher assignments.

pub mod closed;
mod dto;
mod enrollments;
mod import;
pub mod regularization;
pub mod repo;
mod routes;
pub mod search;
mod sections;
mod staff;
mod units;

pub use dto::*;
pub use enrollments::{EnrollmentInput, enroll_many};
pub use repo::{SchoolScope, SectionScope, school_scope, section_scope, year_by_number};
pub use routes::router;
pub use sections::{assign_teacher, list_sections, list_teachers, unassign_teacher};
pub use staff::confirm_person;
pub use staff::{add_staff, list_staff};
