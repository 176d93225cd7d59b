//! The change log tablets pull from: every change a tablet must learn about appends a row, in the
//! same transaction; a pull's cursor is a position in this log.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use entity::change_log;
pub use entity::vocabulary::ChangeKind;

use crate::{error::Result, time::now};

/// Whose tablets must learn of a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Every tablet of the country (a calendar day of the country or of a UGEL).
    Country,
    /// The tablets of one IE, optionally of one of its sections.
    School {
        school_id: i64,
        section_id: Option<i64>,
    },
}

impl Reach {
    /// The stored `school_id` of a change every tablet reads: no IE has this id.
    pub const COUNTRY_SCHOOL_ID: i64 = 0;
}

/// Appends a change, in the caller's transaction.
pub(super) async fn append(
    db: &impl ConnectionTrait,
    reach: Reach,
    kind: ChangeKind,
    entity_id: Option<i64>,
) -> Result<()> {
    let (school_id, section_id) = match reach {
        Reach::Country => (Reach::COUNTRY_SCHOOL_ID, None),
        Reach::School {
            school_id,
            section_id,
        } => (school_id, section_id),
    };
    change_log::ActiveModel {
        school_id: Set(school_id),
        section_id: Set(section_id),
        kind: Set(kind),
        entity_id: Set(entity_id),
        at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
