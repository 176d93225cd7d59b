//! Who has a ticket open: each help-desk person's page of a ticket notes the moment it was last
//! opened or refreshed, so that another person's page can warn that someone else is on it. Kept
//! in the database, so every instance sees the same.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};

use entity::helpdesk_presence;

use crate::error::Result;

/// How long a page counts as open after it was last loaded (it refreshes itself more often).
pub const OPEN_FOR: Duration = Duration::minutes(2);

/// Notes that `user` has the ticket open now, and answers the others who have it open, with when
/// each last loaded it.
pub async fn seen(
    db: &DatabaseConnection,
    ticket_id: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, DateTime<Utc>)>> {
    use helpdesk_presence::Column as P;
    helpdesk_presence::Entity::insert(helpdesk_presence::ActiveModel {
        ticket_id: Set(ticket_id),
        user_id: Set(user_id),
        seen_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([P::TicketId, P::UserId])
            .update_column(P::SeenAt)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(helpdesk_presence::Entity::find()
        .filter(P::TicketId.eq(ticket_id))
        .filter(P::UserId.ne(user_id))
        .filter(P::SeenAt.gt(now - OPEN_FOR))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.user_id, p.seen_at))
        .collect())
}
