//! The append-only audit trail: who did what, when, in which unit, with before and after.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait};
use serde::Serialize;

use entity::audit_event;

use crate::{auth::Target, error::Result, time::now};

/// One entry of the trail, built step by step.
#[derive(Debug, Default)]
pub struct Event {
    action: &'static str,
    entity_type: &'static str,
    entity_id: Option<i64>,
    actor: Option<i64>,
    unit: Target,
    before: Option<String>,
    after: Option<String>,
}

impl Event {
    /// An event about one record (`None` when the record has no numeric id).
    pub fn new(
        action: &'static str,
        entity_type: &'static str,
        entity_id: impl Into<Option<i64>>,
    ) -> Self {
        Self {
            action,
            entity_type,
            entity_id: entity_id.into(),
            ..Self::default()
        }
    }

    /// Who did it.
    pub fn by(mut self, user_id: i64) -> Self {
        self.actor = Some(user_id);
        self
    }

    /// The unit it happened in, so that those who oversee the unit can read it.
    pub fn in_unit(mut self, unit: Target) -> Self {
        self.unit = unit;
        self
    }

    pub fn before(mut self, value: &impl Serialize) -> Self {
        self.before = serde_json::to_string(value).ok();
        self
    }

    pub fn after(mut self, value: &impl Serialize) -> Self {
        self.after = serde_json::to_string(value).ok();
        self
    }
}

/// Appends an event, in the caller's transaction.
pub async fn record(db: &impl ConnectionTrait, event: Event) -> Result<()> {
    audit_event::ActiveModel {
        at: Set(now()),
        actor_user_id: Set(event.actor),
        action: Set(event.action.to_owned()),
        entity_type: Set(event.entity_type.to_owned()),
        entity_id: Set(event.entity_id),
        dre_id: Set(event.unit.dre_id),
        ugel_id: Set(event.unit.ugel_id),
        school_id: Set(event.unit.school_id),
        before: Set(event.before),
        after: Set(event.after),
        request_id: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

mod routes;

pub use routes::router;
