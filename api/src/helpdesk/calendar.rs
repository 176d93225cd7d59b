//! The help-desk calendar the administrator and the Central de Atención keep: national holidays
//! and each DRE's regional ones (which apply to that DRE's N2 queues). Clocks are measured from
//! the event log on every read, so adding, changing or deleting a holiday re-evaluates every
//! open ticket's SLA at once.

use chrono::{Datelike, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, ModelTrait, QueryFilter, QueryOrder,
};

use entity::helpdesk_holiday;

use super::{
    access,
    dto::{Holiday, HolidayInput},
    rules,
};
use crate::{
    auth::Principal,
    error::{ApiError, ErrorCode, Fields, Result},
    record::{AuditAction, Change, Event, record},
};

fn view(h: helpdesk_holiday::Model) -> Holiday {
    Holiday {
        id: h.id,
        date: h.date,
        description: h.description,
        dre_id: h.dre_id,
    }
}

/// The help-desk calendar's holidays of a year (national and regional).
pub async fn list_holidays(db: &DatabaseConnection, year: i32) -> Result<Vec<Holiday>> {
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::field(
            "year",
            "El año debe estar entre 2000 y 2100.",
        ));
    }
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    Ok(helpdesk_holiday::Entity::find()
        .filter(helpdesk_holiday::Column::Date.between(from, to))
        .order_by_asc(helpdesk_holiday::Column::Date)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// A holiday's values, checked whole (422 with every wrong field): its name, a date between 2000
/// and 2100, and a DRE that exists.
async fn checked(db: &impl ConnectionTrait, input: HolidayInput) -> Result<HolidayInput> {
    let mut fields = Fields::default();
    let description = fields.check(
        "description",
        rules::text(
            Some(&input.description),
            120,
            "Indique el nombre del feriado.",
        ),
    );
    if !(2000..=2100).contains(&input.date.year()) {
        fields.add("date", "La fecha debe estar entre los años 2000 y 2100.");
    }
    if let Some(dre) = input.dre_id
        && entity::dre::Entity::find_by_id(dre)
            .one(db)
            .await?
            .is_none()
    {
        fields.add("dre_id", "No existe esa DRE.");
    }
    fields.finish()?;
    Ok(HolidayInput {
        description: description.unwrap_or_default(),
        ..input
    })
}

/// 409 when the calendar already has a holiday that day for the same reach (national, or the
/// same DRE), other than `except`.
async fn unique(
    db: &impl ConnectionTrait,
    input: &HolidayInput,
    except: Option<i64>,
) -> Result<()> {
    let mut query = helpdesk_holiday::Entity::find()
        .filter(helpdesk_holiday::Column::Date.eq(input.date))
        .filter(match input.dre_id {
            Some(dre) => helpdesk_holiday::Column::DreId.eq(dre),
            None => helpdesk_holiday::Column::DreId.is_null(),
        });
    if let Some(id) = except {
        query = query.filter(helpdesk_holiday::Column::Id.ne(id));
    }
    if query.one(db).await?.is_some() {
        return Err(ErrorCode::AlreadyExists.into());
    }
    Ok(())
}

/// Adds a holiday to the help-desk calendar (the administrator, the Central de Atención).
pub async fn add_holiday(
    db: &DatabaseConnection,
    p: &Principal,
    input: HolidayInput,
) -> Result<Holiday> {
    if !access::manages(p) {
        return Err(ApiError::forbidden());
    }
    let input = checked(db, input).await?;
    let txn = crate::db::begin(db).await?;
    unique(&txn, &input, None).await?;
    let saved = helpdesk_holiday::ActiveModel {
        date: Set(input.date),
        dre_id: Set(input.dre_id),
        description: Set(input.description),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HelpdeskHolidayAdded, saved.id)
                .by(p.user_id)
                .after(&saved),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(view(saved))
}

/// The holiday to change or delete, for those who keep the calendar (403 before 404, so that a
/// reader learns nothing from the ids).
async fn holiday(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> Result<helpdesk_holiday::Model> {
    if !access::manages(p) {
        return Err(ApiError::forbidden());
    }
    helpdesk_holiday::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el feriado"))
}

/// Changes a holiday's date, name or DRE, with the same checks as adding one.
pub async fn change_holiday(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    input: HolidayInput,
) -> Result<Holiday> {
    holiday(db, p, id).await?;
    let input = checked(db, input).await?;
    let txn = crate::db::begin(db).await?;
    let before = holiday(&txn, p, id).await?;
    unique(&txn, &input, Some(id)).await?;
    let mut next: helpdesk_holiday::ActiveModel = before.clone().into();
    next.date = Set(input.date);
    next.dre_id = Set(input.dre_id);
    next.description = Set(input.description);
    let saved = next.update(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HelpdeskHolidayChanged, saved.id)
                .by(p.user_id)
                .before(&before)
                .after(&saved),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(view(saved))
}

/// Deletes a holiday from the calendar.
pub async fn delete_holiday(db: &DatabaseConnection, p: &Principal, id: i64) -> Result<()> {
    let txn = crate::db::begin(db).await?;
    let before = holiday(&txn, p, id).await?;
    before.clone().delete(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HelpdeskHolidayDeleted, before.id)
                .by(p.user_id)
                .before(&before),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
