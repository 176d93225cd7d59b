//! The change log tablets pull from: every change a tablet must learn about appends a row, in the
//! same transaction; a pull's cursor is a position in this log.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};

use entity::change_log;

use crate::{error::Result, time::now};

/// Records that something of an IE (optionally of one section) changed.
pub async fn log(
    db: &impl ConnectionTrait,
    school_id: i64,
    section_id: Option<i64>,
    kind: &str,
    entity_id: Option<i64>,
) -> Result<()> {
    change_log::ActiveModel {
        school_id: Set(school_id),
        section_id: Set(section_id),
        kind: Set(kind.to_owned()),
        entity_id: Set(entity_id),
        at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
