//! The exceptional modification of a closed register: the director asks with a reason, the
//! Especialista del nivel gives its opinion, the Especialista SIAGIE UGEL enables it until a
//! deadline, and the register closes again then; the requests each participant can read, and
//! the e-mail that tells the next person at each step.

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

use entity::{
    attendance_register, grade, register_modification, school, section,
    vocabulary::ModificationStatus,
};

use super::{cells::register_row, scope::in_reach};
pub use crate::exceptional::{Enable, ModificationRequest, Opinion};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, ErrorCode, Result},
    exceptional::{
        Step, Told, may_take_step, parse_state, recipients, schools_taking_part, takes_part, tell,
    },
    http::{Page, PageParams},
    record::{AuditAction, Change, Event, record},
    registry::repo::{SectionScope, section_scope},
    time::now,
};

/// An exceptional modification request, with the register it is about.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModificationView {
    pub id: i64,
    pub register_id: i64,
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
    pub month: i16,
    /// In the answer to a step: who takes the next one (the UGEL, or the unit above where the
    /// UGEL has nobody in that role).
    pub next_step_by: Option<String>,
}

/// Filters of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ModificationFilter {
    /// `requested`, `favorable`, `unfavorable`, `enabled` or `closed`.
    pub state: Option<String>,
    pub ugel_id: Option<i64>,
    pub school_id: Option<i64>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

/// The views of some requests, with their registers, sections, IEs and grades read at once.
pub async fn views(
    db: &impl ConnectionTrait,
    rows: Vec<register_modification::Model>,
) -> Result<Vec<ModificationView>> {
    let registers: HashMap<i64, attendance_register::Model> = attendance_register::Entity::find()
        .filter(attendance_register::Column::Id.is_in(rows.iter().map(|m| m.register_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let sections: HashMap<i64, section::Model> = section::Entity::find()
        .filter(section::Column::Id.is_in(registers.values().map(|r| r.section_id)))
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
    Ok(rows
        .into_iter()
        .filter_map(|m| {
            let register = registers.get(&m.register_id)?;
            let section = sections.get(&register.section_id)?;
            let school = schools.get(&section.school_id)?;
            Some(ModificationView {
                id: m.id,
                register_id: m.register_id,
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
                year: register.year,
                month: register.month,
                next_step_by: None,
            })
        })
        .collect())
}

/// Writes to the outbox, in the caller's transaction, the e-mail of a step to whoever acts next.
pub async fn notify(
    db: &impl ConnectionTrait,
    step: Step,
    modification: &register_modification::Model,
    view: &ModificationView,
    target: &crate::auth::Target,
    level: &str,
) -> Result<()> {
    let people = recipients(db, step, modification.requested_by, target, level).await?;
    let month = crate::attendance::pdf::month_name(view.month as u32);
    let told = Told {
        school: format!("{} ({})", view.school_name, view.school_code),
        section: format!("{} {}", view.grade, view.section),
        record: ("month", format!("{month} de {}", view.year).into()),
        reason: &view.reason,
        note: view.opinion_note.as_deref(),
        until: view.enabled_until,
    };
    let key = format!("register-modification-{}", modification.id);
    tell(db, step, people, "register_modification", told, &key).await
}

/// Closes the modifications whose deadline has passed (their registers are locked again by the
/// deadline itself) and tells each director, once: each in its own transaction. Answers how many.
pub async fn close_expired(db: &sea_orm::DatabaseConnection, at: DateTime<Utc>) -> Result<usize> {
    let expired = register_modification::Entity::find()
        .filter(register_modification::Column::Status.eq(ModificationStatus::Enabled))
        .filter(register_modification::Column::EnabledUntil.lte(at))
        .all(db)
        .await?;
    let mut closed = 0;
    for modification in expired {
        let txn = crate::db::begin(db).await?;
        // Claimed by its status: of two runs at once, one closes it and tells the director.
        let claimed = register_modification::Entity::update_many()
            .col_expr(
                register_modification::Column::Status,
                sea_orm::sea_query::Expr::value(ModificationStatus::Closed),
            )
            .col_expr(
                register_modification::Column::ClosedAt,
                sea_orm::sea_query::Expr::value(modification.enabled_until),
            )
            .filter(register_modification::Column::Id.eq(modification.id))
            .filter(register_modification::Column::Status.eq(ModificationStatus::Enabled))
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            let register = attendance_register::Entity::find_by_id(modification.register_id)
                .one(&txn)
                .await?;
            if let Some(register) = register {
                let scope = section_scope(&txn, register.section_id).await?;
                let mut updated = modification.clone();
                updated.status = ModificationStatus::Closed;
                updated.closed_at = modification.enabled_until;
                if let Some(view) = views(&txn, vec![updated.clone()]).await?.pop() {
                    notify(
                        &txn,
                        Step::Expired,
                        &updated,
                        &view,
                        &scope.target,
                        scope.school.level.code(),
                    )
                    .await?;
                }
                let event = Event::new(AuditAction::RegisterModificationExpired, modification.id)
                    .in_unit(scope.target)
                    .before(&modification)
                    .after(&updated);
                // The register is closed again: tablets learn it like any other closure.
                let change = Change::RegisterState {
                    school_id: scope.school.id,
                    section_id: register.section_id,
                    register_id: register.id,
                    event,
                };
                record(&txn, change).await?;
            }
            closed += 1;
        }
        txn.commit().await?;
    }
    Ok(closed)
}

/// Modification requests in the caller's reach (the director of the IE, the Especialista del
/// nivel and the Especialista SIAGIE of its UGEL), newest first.
pub async fn list_in_reach(
    db: &DatabaseConnection,
    p: &Principal,
    filter: ModificationFilter,
) -> Result<Page<ModificationView>> {
    let mut schools = Condition::all().add(schools_taking_part(p)?);
    if let Some(ugel_id) = filter.ugel_id {
        schools = schools.add(school::Column::UgelId.eq(ugel_id));
    }
    if let Some(school_id) = filter.school_id {
        schools = schools.add(school::Column::Id.eq(school_id));
    }
    let mut query = register_modification::Entity::find().filter(
        register_modification::Column::RegisterId.in_subquery(
            Query::select()
                .column((attendance_register::Entity, attendance_register::Column::Id))
                .from(attendance_register::Entity)
                .inner_join(
                    section::Entity,
                    Expr::col((section::Entity, section::Column::Id)).equals((
                        attendance_register::Entity,
                        attendance_register::Column::SectionId,
                    )),
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
        query = query.filter(register_modification::Column::Status.eq(wanted));
    }
    let params = PageParams {
        page: filter.page,
        per_page: filter.per_page,
    };
    let (page, per_page) = params.resolve()?;
    let query = query
        .order_by_desc(register_modification::Column::RequestedAt)
        .order_by_desc(register_modification::Column::Id);
    let paginator = query.paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page - 1).await?;
    Ok(Page {
        items: views(db, rows).await?,
        total,
        page,
        per_page,
    })
}

/// One modification request, for those who take part in it.
pub async fn get_in_reach(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> Result<ModificationView> {
    let (modification, _, scope) = find(db, id).await?;
    if !takes_part(p, &scope.target) {
        return Err(ApiError::not_found("la solicitud de modificación"));
    }
    let mut views = views(db, vec![modification]).await?;
    views
        .pop()
        .ok_or_else(|| ApiError::not_found("la solicitud de modificación"))
}

/// The view of one request, and the e-mail of its step to whoever acts next.
async fn announce(
    db: &impl sea_orm::ConnectionTrait,
    step: Step,
    modification: register_modification::Model,
    scope: &SectionScope,
) -> Result<ModificationView> {
    let mut view = super::modification::views(db, vec![modification.clone()])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("modification without register")))?;
    view.next_step_by = crate::exceptional::next_step_by(db, step, scope).await?;
    notify(
        db,
        step,
        &modification,
        &view,
        &scope.target,
        scope.school.level.code(),
    )
    .await?;
    Ok(view)
}

/// The director asks the UGEL, with a reason, to modify a closed register.
pub async fn request(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    year: i32,
    month: u32,
    body: ModificationRequest,
) -> Result<ModificationView> {
    let (scope, _) = in_reach(db, p, id, Action::CloseRegister).await?;
    let reason = body.checked_reason()?;
    let register = register_row(db, id, year, month)
        .await?
        .filter(|r| r.closed_at.is_some())
        .ok_or_else(|| ApiError::from(ErrorCode::RegisterNotClosed))?;
    let pending = register_modification::Entity::find()
        .filter(register_modification::Column::RegisterId.eq(register.id))
        .filter(register_modification::Column::Status.is_in([
            ModificationStatus::Requested,
            ModificationStatus::Favorable,
            ModificationStatus::Enabled,
        ]))
        .one(db)
        .await?;
    if pending.is_some() {
        return Err(ApiError::from(ErrorCode::ModificationPending));
    }
    let txn = crate::db::begin(db).await?;
    let created = register_modification::ActiveModel {
        register_id: Set(register.id),
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
            Event::new(AuditAction::RegisterModificationRequested, created.id)
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

/// A request with its register and the register's section, whoever asks.
async fn find(
    db: &DatabaseConnection,
    id: i64,
) -> Result<(
    register_modification::Model,
    attendance_register::Model,
    SectionScope,
)> {
    let not_found = || ApiError::not_found("la solicitud de modificación");
    let modification = register_modification::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let register = attendance_register::Entity::find_by_id(modification.register_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let scope = section_scope(db, register.section_id).await?;
    Ok((modification, register, scope))
}

async fn load_modification(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    action: Action,
) -> Result<(
    register_modification::Model,
    attendance_register::Model,
    SectionScope,
)> {
    let (modification, register, scope) = find(db, id).await?;
    may_take_step(
        db,
        p,
        action,
        &scope.target,
        scope.school.level.code(),
        "la solicitud de modificación",
    )
    .await?;
    Ok((modification, register, scope))
}

/// The Especialista del nivel gives its opinion on a modification request.
pub async fn give_opinion(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    body: Opinion,
) -> Result<ModificationView> {
    let (modification, _, scope) = load_modification(db, p, id, Action::OpineModification).await?;
    if modification.status != ModificationStatus::Requested {
        return Err(ApiError::from(ErrorCode::ModificationDecided));
    }
    let txn = crate::db::begin(db).await?;
    let mut active: register_modification::ActiveModel = modification.into();
    active.status = Set(body.status());
    active.favorable = Set(Some(body.favorable));
    active.opinion_note = Set(body.checked_note());
    active.opinion_by = Set(Some(p.user_id));
    active.opinion_at = Set(Some(now()));
    let updated = active.update(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::RegisterModificationOpinion, id)
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

/// The Especialista SIAGIE UGEL enables a favourably reviewed modification until a deadline.
pub async fn enable(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    body: Enable,
) -> Result<ModificationView> {
    let (modification, register, scope) =
        load_modification(db, p, id, Action::EnableModification).await?;
    if modification.status != ModificationStatus::Favorable {
        return Err(ApiError::from(ErrorCode::OpinionRequired));
    }
    let at = now();
    body.check(at)?;
    let txn = crate::db::begin(db).await?;
    let mut active: register_modification::ActiveModel = modification.into();
    active.status = Set(ModificationStatus::Enabled);
    active.enabled_by = Set(Some(p.user_id));
    active.enabled_at = Set(Some(at));
    active.enabled_until = Set(Some(body.until));
    let updated = active.update(&txn).await?;
    let mut reg: attendance_register::ActiveModel = register.clone().into();
    reg.modification_until = Set(Some(body.until));
    reg.update(&txn).await?;
    let event = Event::new(AuditAction::RegisterModificationEnabled, id)
        .by(p.user_id)
        .in_unit(scope.target)
        .after(&updated);
    let change = Change::RegisterState {
        school_id: scope.school.id,
        section_id: register.section_id,
        register_id: register.id,
        event,
    };
    record(&txn, change).await?;
    let view = announce(&txn, Step::Enabled, updated, &scope).await?;
    txn.commit().await?;
    Ok(view)
}
