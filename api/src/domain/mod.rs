//! Domain values that can only be built valid: parse, don't validate.
//!
//! Each type's `parse` is the only way in, and its error is a Spanish message for the field.

mod contact;
mod digits;
mod documents;
mod enums;
mod names;
mod text;

pub use contact::{CellPhone, Email};
pub use documents::{Anexo, CodigoModular, Dni, StudentCode, StudentDocument};
pub use enums::{EnrollmentStatus, Level, Management, Modality, Position};
pub use names::{FullName, NamePart, PersonName, person_key, spanish_key, unaccented};
pub use text::{argued, argument_rule, forbidden_control, has_control, said};
