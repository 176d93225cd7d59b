//! A section within the caller's reach, with what its register needs.

use sea_orm::DatabaseConnection;

use super::calendar::SchoolCalendar;
use crate::{
    auth::{policy::Action, principal::Principal},
    error::Result,
    registry::repo::{SectionScope, section_scope},
};

/// The section, authorized for `action`, with its IE's calendar.
pub async fn in_reach(
    db: &DatabaseConnection,
    p: &Principal,
    section_id: i64,
    action: Action,
) -> Result<(SectionScope, SchoolCalendar)> {
    let scope = section_scope(db, section_id).await?;
    p.authorize(action, &scope.target)?;
    let calendar = SchoolCalendar::load(db, &scope.school, scope.year.clone()).await?;
    Ok((scope, calendar))
}
