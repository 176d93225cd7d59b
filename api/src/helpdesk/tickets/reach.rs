//! The two things every write on a ticket starts from: the ticket read in the write's
//! transaction as the caller reaches it, and the conditional update that refuses a step when
//! someone else moved first.

use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use entity::helpdesk_ticket;

use crate::{
    auth::Principal,
    error::{ApiError, ErrorCode, Result},
    helpdesk::access::{self, Access},
};

/// One ticket the caller reaches (404 otherwise, so that its existence is not told).
pub async fn load(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> Result<(helpdesk_ticket::Model, Access)> {
    let ticket = helpdesk_ticket::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el ticket"))?;
    let access = access::of(p, &ticket);
    if !access.reads() {
        return Err(ApiError::not_found("el ticket"));
    }
    Ok((ticket, access))
}

/// Writes a step's change only if the ticket is still as the step read it (its state, stage,
/// assignee and rating), in one conditional `UPDATE`: when another step on the same ticket
/// committed in between (PostgreSQL lets two transactions read the same row; SQLite's writers
/// take turns, so there it never happens), this one is refused with 409 `ticket_state_conflict`
/// and writes nothing. PostgreSQL re-reads the row the `UPDATE` waited for, so the check holds
/// against a step that was still running when this one read.
pub async fn write_if_unchanged(
    db: &impl ConnectionTrait,
    read: &helpdesk_ticket::Model,
    next: helpdesk_ticket::ActiveModel,
) -> Result<helpdesk_ticket::Model> {
    use helpdesk_ticket::Column as T;
    let mut update = helpdesk_ticket::Entity::update_many()
        .set(next)
        .filter(T::Id.eq(read.id))
        .filter(T::State.eq(read.state))
        .filter(T::Level.eq(read.level));
    update = match read.n2_unit {
        Some(unit) => update.filter(T::N2Unit.eq(unit)),
        None => update.filter(T::N2Unit.is_null()),
    };
    update = match read.assignee_id {
        Some(user) => update.filter(T::AssigneeId.eq(user)),
        None => update.filter(T::AssigneeId.is_null()),
    };
    update = match read.rating {
        Some(score) => update.filter(T::Rating.eq(score)),
        None => update.filter(T::Rating.is_null()),
    };
    if update.exec(db).await?.rows_affected != 1 {
        return Err(ApiError::because(
            ErrorCode::TicketStateConflict,
            "Otra persona cambió el ticket mientras usted actuaba: vuelva a abrirlo y revise su estado antes de continuar.",
        ));
    }
    helpdesk_ticket::Entity::find_by_id(read.id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el ticket"))
}

/// Starts a write on a ticket the caller reaches: the transaction and the ticket read in it.
pub async fn begin_on(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> Result<(sea_orm::DatabaseTransaction, helpdesk_ticket::Model, Access)> {
    let txn = crate::db::begin(db).await?;
    let (ticket, access) = load(&txn, p, id).await?;
    Ok((txn, ticket, access))
}
