//! The exceptional modification of a closed acta (seed 002, Director IE e): the same workflow as
//! the attendance register's (`crate::exceptional`), about a section's acta of a year.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder,
    sea_query::{Expr, ExprTrait, Query},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use entity::{acta, acta_modification, grade, school, section, vocabulary::ModificationStatus};

use super::closure::kept_by;
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, ErrorCode, Result},
    exceptional::{
        Enable, ModificationRequest, Opinion, Step, Told, may_take_step, parse_state, recipients,
        schools_taking_part, takes_part, tell,
    },
    http::{Page, PageParams},
    record::{AuditAction, Change, Event, record},
    registry::repo::{SectionScope, section_scope},
    time::now,
};

/// An exceptional modification request of an acta, with the section it is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActaModificationView {
    pub id: i64,
    pub acta_id: i64,
    /// `requested`, `favorable`, `unfavorable`, `enabled` or `closed`.
    pub status: String,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub favorable: Option<bool>,
    pub opinion_note: Option<String>,
    pub opinion_at: Option<DateTime<Utc>>,
    /// The deadline of the enabled modification.
    pub enabled_until: Option<DateTime<Utc>>,
    pub school_id: i64,
    /// Código modular and anexo, `0412345-0`.
    pub school_code: String,
    pub school_name: String,
    pub section_id: i64,
    pub grade: String,
    pub section: String,
    pub year: i32,
    /// In the answer to a step: who takes the next one (the UGEL, or the unit above where the
    /// UGEL has nobody in that role).
    pub next_step_by: Option<String>,
}

/// Filters of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActaModificationFilter {
    /// `requested`, `favorable`, `unfavorable`, `enabled` or `closed`.
    pub state: Option<String>,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

const NOT_FOUND: &str = "la solicitud de modificación del acta";

/// The views of some requests, with their actas, sections, IEs and grades read at once.
async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<acta_modification::Model>,
) -> Result<Vec<ActaModificationView>> {
    let actas: HashMap<i64, acta::Model> = acta::Entity::find()
        .filter(acta::Column::Id.is_in(rows.iter().map(|m| m.acta_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let sections: HashMap<i64, section::Model> = section::Entity::find()
        .filter(section::Column::Id.is_in(actas.values().map(|a| a.section_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let schools: HashMap<i64, school::Model> = school::Entity::find()
        .filter(school::Column::Id.is_in(sections.values().map(|s| s.school_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let grades: HashMap<i64, String> = grade::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let years: HashMap<i64, i32> = entity::academic_year::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|y| (y.id, y.year))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            let acta = actas.get(&m.acta_id)?;
            let section = sections.get(&acta.section_id)?;
            let school = schools.get(&section.school_id)?;
            Some(ActaModificationView {
                id: m.id,
                acta_id: m.acta_id,
                status: m.status.to_value(),
                reason: m.reason,
                requested_at: m.requested_at,
                favorable: m.favorable,
                opinion_note: m.opinion_note,
                opinion_at: m.opinion_at,
                enabled_until: m.enabled_until,
                school_id: school.id,
                school_code: format!("{}-{}", school.codigo_modular, school.anexo),
                school_name: school.name.clone(),
                section_id: section.id,
                grade: grades.get(&section.grade_id).cloned().unwrap_or_default(),
                section: section.name.clone(),
                year: years
                    .get(&section.academic_year_id)
                    .copied()
                    .unwrap_or_default(),
                next_step_by: None,
            })
        })
        .collect())
}

/// The view of one request, and the e-mail of its step to whoever acts next.
async fn announce(
    db: &impl ConnectionTrait,
    step: Step,
    modification: acta_modification::Model,
    scope: &SectionScope,
) -> Result<ActaModificationView> {
    let mut view = views(db, vec![modification.clone()])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("modification without acta")))?;
    view.next_step_by = crate::exceptional::next_step_by(db, step, scope).await?;
    let people = recipients(
        db,
        step,
        modification.requested_by,
        &scope.target,
        scope.school.level.code(),
    )
    .await?;
    let told = Told {
        school: format!("{} ({})", view.school_name, view.school_code),
        section: format!("{} {}", view.grade, view.section),
        record: ("year", view.year.into()),
        reason: &view.reason,
        note: view.opinion_note.as_deref(),
        until: view.enabled_until,
    };
    let key = format!("acta-modification-{}", modification.id);
    tell(db, step, people, "acta_modification", told, &key).await?;
    Ok(view)
}

/// The director asks the UGEL, with a reason, to modify a closed acta.
pub async fn request(
    db: &DatabaseConnection,
    p: &Principal,
    section_id: i64,
    body: ModificationRequest,
) -> Result<ActaModificationView> {
    let scope = kept_by(db, p, section_id).await?;
    let reason = body.checked_reason()?;
    let acta = acta::Entity::find()
        .filter(acta::Column::SectionId.eq(section_id))
        .one(db)
        .await?
        .filter(|a| a.closed_at.is_some())
        .ok_or_else(|| ApiError::from(ErrorCode::ActaNotClosed))?;
    let txn = crate::db::begin(db).await?;
    let pending = acta_modification::Entity::find()
        .filter(acta_modification::Column::ActaId.eq(acta.id))
        .filter(acta_modification::Column::Status.is_in([
            ModificationStatus::Requested,
            ModificationStatus::Favorable,
            ModificationStatus::Enabled,
        ]))
        .one(&txn)
        .await?;
    if pending.is_some() {
        return Err(ApiError::because(
            ErrorCode::ModificationPending,
            "Ya hay una solicitud de modificación en curso para esta acta.",
        ));
    }
    let created = acta_modification::ActiveModel {
        acta_id: Set(acta.id),
        status: Set(ModificationStatus::Requested),
        reason: Set(reason),
        requested_by: Set(p.user_id),
        requested_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::ActaModificationRequested, created.id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&created),
        ),
    )
    .await?;
    let view = announce(&txn, Step::Requested, created, &scope).await?;
    txn.commit().await?;
    Ok(view)
}

/// A request with its acta and the acta's section, whoever asks.
async fn find(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<(acta_modification::Model, acta::Model, SectionScope)> {
    let modification = acta_modification::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    let acta = acta::Entity::find_by_id(modification.acta_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    let scope = section_scope(db, acta.section_id).await?;
    Ok((modification, acta, scope))
}

/// A request for a step of `action`: 404 outside the caller's reach, 403 inside it without the
/// role that takes the step.
async fn for_step(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    action: Action,
) -> Result<(acta_modification::Model, acta::Model, SectionScope)> {
    let (modification, acta, scope) = find(db, id).await?;
    may_take_step(
        db,
        p,
        action,
        &scope.target,
        scope.school.level.code(),
        NOT_FOUND,
    )
    .await?;
    Ok((modification, acta, scope))
}

/// The Especialista del nivel gives its opinion.
pub async fn give_opinion(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    body: Opinion,
) -> Result<ActaModificationView> {
    let (modification, _, scope) = for_step(db, p, id, Action::OpineModification).await?;
    if modification.status != ModificationStatus::Requested {
        return Err(ApiError::from(ErrorCode::ModificationDecided));
    }
    let txn = crate::db::begin(db).await?;
    let mut active: acta_modification::ActiveModel = modification.into();
    active.status = Set(body.status());
    active.favorable = Set(Some(body.favorable));
    active.opinion_note = Set(body.checked_note());
    active.opinion_by = Set(Some(p.user_id));
    active.opinion_at = Set(Some(now()));
    let updated = active.update(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::ActaModificationOpinion, id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&updated),
        ),
    )
    .await?;
    let view = announce(&txn, body.step(), updated, &scope).await?;
    txn.commit().await?;
    Ok(view)
}

/// The Especialista SIAGIE UGEL enables a favourably reviewed modification until a deadline:
/// until then the acta's grades and situations may change (each change audited).
pub async fn enable(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    body: Enable,
) -> Result<ActaModificationView> {
    let (modification, acta, scope) = for_step(db, p, id, Action::EnableModification).await?;
    if modification.status != ModificationStatus::Favorable {
        return Err(ApiError::from(ErrorCode::OpinionRequired));
    }
    let at = now();
    body.check(at)?;
    let txn = crate::db::begin(db).await?;
    let mut active: acta_modification::ActiveModel = modification.into();
    active.status = Set(ModificationStatus::Enabled);
    active.enabled_by = Set(Some(p.user_id));
    active.enabled_at = Set(Some(at));
    active.enabled_until = Set(Some(body.until));
    let updated = active.update(&txn).await?;
    let mut opened: acta::ActiveModel = acta.into();
    opened.modification_until = Set(Some(body.until));
    opened.update(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::ActaModificationEnabled, id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&updated),
        ),
    )
    .await?;
    let view = announce(&txn, Step::Enabled, updated, &scope).await?;
    txn.commit().await?;
    Ok(view)
}

/// Requests in the caller's reach (the director of the IE, the Especialista del nivel and the
/// Especialista SIAGIE of its UGEL, the administrator), newest first.
pub async fn list_in_reach(
    db: &DatabaseConnection,
    p: &Principal,
    filter: ActaModificationFilter,
) -> Result<Page<ActaModificationView>> {
    let mut schools = Condition::all().add(schools_taking_part(p)?);
    if let Some(ugel_id) = filter.ugel_id {
        schools = schools.add(school::Column::UgelId.eq(ugel_id));
    }
    if let Some(school_id) = filter.school_id {
        schools = schools.add(school::Column::Id.eq(school_id));
    }
    let mut query = acta_modification::Entity::find().filter(
        acta_modification::Column::ActaId.in_subquery(
            Query::select()
                .column((acta::Entity, acta::Column::Id))
                .from(acta::Entity)
                .inner_join(
                    section::Entity,
                    Expr::col((section::Entity, section::Column::Id))
                        .equals((acta::Entity, acta::Column::SectionId)),
                )
                .inner_join(
                    school::Entity,
                    Expr::col((school::Entity, school::Column::Id))
                        .equals((section::Entity, section::Column::SchoolId)),
                )
                .cond_where(schools)
                .to_owned(),
        ),
    );
    if let Some(wanted) = parse_state(filter.state.as_deref())? {
        query = query.filter(acta_modification::Column::Status.eq(wanted));
    }
    let (page, per_page) = PageParams {
        page: filter.page,
        per_page: filter.per_page,
    }
    .resolve()?;
    let paginator = query
        .order_by_desc(acta_modification::Column::RequestedAt)
        .order_by_desc(acta_modification::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page - 1).await?;
    Ok(Page {
        items: views(db, rows).await?,
        total,
        page,
        per_page,
    })
}

/// One request, for those who take part in it.
pub async fn get_in_reach(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> Result<ActaModificationView> {
    let (modification, _, scope) = find(db, id).await?;
    if !takes_part(p, &scope.target) {
        return Err(ApiError::not_found(NOT_FOUND));
    }
    views(db, vec![modification])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))
}

/// Closes the modifications whose deadline has passed (their actas are locked again by the
/// deadline itself) and tells each director, once: each in its own transaction. Answers how many.
pub async fn close_expired(db: &DatabaseConnection, at: DateTime<Utc>) -> Result<usize> {
    let expired = acta_modification::Entity::find()
        .filter(acta_modification::Column::Status.eq(ModificationStatus::Enabled))
        .filter(acta_modification::Column::EnabledUntil.lte(at))
        .all(db)
        .await?;
    let mut closed = 0;
    for modification in expired {
        let txn = crate::db::begin(db).await?;
        // Claimed by its status: of two runs at once, one closes it and tells the director.
        let claimed = acta_modification::Entity::update_many()
            .col_expr(
                acta_modification::Column::Status,
                Expr::value(ModificationStatus::Closed),
            )
            .col_expr(
                acta_modification::Column::ClosedAt,
                Expr::value(modification.enabled_until),
            )
            .filter(acta_modification::Column::Id.eq(modification.id))
            .filter(acta_modification::Column::Status.eq(ModificationStatus::Enabled))
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            let (_, _, scope) = find(&txn, modification.id).await?;
            let mut updated = modification.clone();
            updated.status = ModificationStatus::Closed;
            updated.closed_at = modification.enabled_until;
            announce(&txn, Step::Expired, updated.clone(), &scope).await?;
            record(
                &txn,
                Change::Audited(
                    Event::new(AuditAction::ActaModificationExpired, modification.id)
                        .in_unit(scope.target)
                        .before(&modification)
                        .after(&updated),
                ),
            )
            .await?;
            closed += 1;
        }
        txn.commit().await?;
    }
    Ok(closed)
}
