//! The workflow of an exceptional modification, once for every kind of record it reopens: the
//! director asks, the Especialista del nivel gives its opinion, the Especialista SIAGIE UGEL
//! enables it until a deadline, and the record closes again then; the requests each participant
//! can read, and the e-mail that tells the next person at each step. A kind of record supplies
//! what differs ([`Reopenable`]).

use std::{collections::HashMap, future::Future};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, IntoActiveModel, ModelTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
    sea_query::{Expr, ExprTrait, Query},
};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use entity::{
    academic_year, exceptional_modification as modification, grade, school, section,
    vocabulary::{ModificationKind, ModificationStatus},
};

use super::{
    steps::{
        Enable, ModificationRequest, Opinion, Step, Told, may_take_step, next_step_by, parse_state,
        recipients, schools_taking_part, takes_part, tell,
    },
    view::About,
};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, ErrorCode, Result},
    http::{Page, PageParams},
    links::Links,
    record::{AuditAction, Change, Event, record},
    registry::repo::{SectionScope, section_scope},
    time::now,
};

/// The audit trail's names of a kind's steps.
#[derive(Debug, Clone, Copy)]
pub struct Actions {
    pub requested: AuditAction,
    pub opinion: AuditAction,
    pub enabled: AuditAction,
    pub expired: AuditAction,
}

/// A kind of closed record an exceptional modification reopens, and what the workflow cannot
/// know of it: how to find it, who may ask, what "enabled until" is on its row, its words in
/// messages and e-mails, its audit actions and what tablets learn of it.
pub trait Reopenable: Send + Sync + 'static {
    /// The kind, as stored.
    const KIND: ModificationKind;
    /// The record's table.
    type Entity: EntityTrait<Model = Self::Record>;
    /// A record, as read.
    type Record: ModelTrait + Serialize + Clone + Send + Sync;
    /// The record's id.
    const ID: <Self::Entity as EntityTrait>::Column;
    /// The record's section.
    const SECTION: <Self::Entity as EntityTrait>::Column;
    /// Until when the record takes changes under an enabled modification.
    const UNTIL: <Self::Entity as EntityTrait>::Column;
    /// What names the record in the path of a request.
    type Key: Copy + Send + Sync;
    /// A request, as its routes answer it.
    type View: Serialize + Send;
    /// A request not found, as a person reads it (`la solicitud de modificación`).
    const NOT_FOUND: &'static str;
    /// The e-mail template of the steps.
    const TEMPLATE: &'static str;
    /// What the outbox keys of a request's e-mails start with.
    const OUTBOX_KEY: &'static str;
    /// The audit actions of the steps.
    const ACTIONS: Actions;

    /// The section of the record `key` names, for a caller who may ask to modify it (403 or
    /// 404 otherwise).
    fn reached(
        db: &DatabaseConnection,
        p: &Principal,
        key: Self::Key,
    ) -> impl Future<Output = Result<SectionScope>> + Send;

    /// The record `key` names, closed (409 otherwise).
    fn closed(
        db: &DatabaseConnection,
        key: Self::Key,
    ) -> impl Future<Output = Result<Self::Record>> + Send;

    /// 409: a request for the record is already under way.
    fn pending() -> ApiError;

    /// The record's id.
    fn id(record: &Self::Record) -> i64;

    /// The record's section.
    fn section_id(record: &Self::Record) -> i64;

    /// A request, as its routes answer it.
    fn view(about: About<'_, Self::Record>) -> Self::View;

    /// What names the record in the e-mails: the template's variable and its value.
    fn named(about: &About<'_, Self::Record>) -> (&'static str, serde_json::Value);

    /// What is recorded when a modification of the record is enabled or closes again: the audit
    /// `event`, and what tablets learn where they carry the record.
    fn change(scope: &SectionScope, record: &Self::Record, event: Event) -> Change<'static>;

    /// What the director is left to do on the record when its deadline closes it again, as a
    /// variable of the e-mail that says so (`None`: nothing).
    fn left_to_do(
        db: &DatabaseTransaction,
        record: &Self::Record,
        links: Links<'_>,
    ) -> impl Future<Output = Result<Option<(&'static str, serde_json::Value)>>> + Send {
        let _ = (db, record, links);
        async { Ok(None) }
    }
}

/// Filters of a list of requests.
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

/// The column of a request that names the record of its kind.
fn record_column(kind: ModificationKind) -> modification::Column {
    match kind {
        ModificationKind::Register => modification::Column::RegisterId,
        ModificationKind::Acta => modification::Column::ActaId,
    }
}

/// The record a request is about.
fn record_of(m: &modification::Model) -> Option<i64> {
    match m.kind {
        ModificationKind::Register => m.register_id,
        ModificationKind::Acta => m.acta_id,
    }
}

/// What the views of some requests read besides the requests: their records, sections, IEs,
/// grades and years, each read at once.
struct Context<K: Reopenable> {
    records: HashMap<i64, K::Record>,
    sections: HashMap<i64, section::Model>,
    schools: HashMap<i64, school::Model>,
    grades: HashMap<i64, String>,
    years: HashMap<i64, i32>,
}

impl<K: Reopenable> Context<K> {
    async fn load(db: &impl ConnectionTrait, rows: &[modification::Model]) -> Result<Self> {
        let records: HashMap<i64, K::Record> = K::Entity::find()
            .filter(K::ID.is_in(rows.iter().filter_map(record_of)))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (K::id(&r), r))
            .collect();
        let sections: HashMap<i64, section::Model> = section::Entity::find()
            .filter(section::Column::Id.is_in(records.values().map(K::section_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let schools = school::Entity::find()
            .filter(school::Column::Id.is_in(sections.values().map(|s| s.school_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let grades = grade::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
        let years = academic_year::Entity::find()
            .filter(academic_year::Column::Id.is_in(sections.values().map(|s| s.academic_year_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|y| (y.id, y.year))
            .collect();
        Ok(Self {
            records,
            sections,
            schools,
            grades,
            years,
        })
    }

    /// A request with what it is about; `None` when its record is gone.
    fn about<'a>(&'a self, m: &'a modification::Model) -> Option<About<'a, K::Record>> {
        let record = self.records.get(&record_of(m)?)?;
        let section = self.sections.get(&K::section_id(record))?;
        let school = self.schools.get(&section.school_id)?;
        Some(About {
            modification: m,
            record,
            school,
            section,
            grade: self
                .grades
                .get(&section.grade_id)
                .map(String::as_str)
                .unwrap_or_default(),
            year: self
                .years
                .get(&section.academic_year_id)
                .copied()
                .unwrap_or_default(),
            next_step_by: None,
        })
    }
}

/// The views of some requests.
async fn views<K: Reopenable>(
    db: &impl ConnectionTrait,
    rows: Vec<modification::Model>,
) -> Result<Vec<K::View>> {
    let context = Context::<K>::load(db, &rows).await?;
    Ok(rows
        .iter()
        .filter_map(|m| context.about(m).map(K::view))
        .collect())
}

/// The view of a request after a step, with who takes the next one, and the e-mail of the step
/// to whoever acts next, written to the outbox in the caller's transaction.
async fn announce<K: Reopenable>(
    db: &DatabaseTransaction,
    links: Links<'_>,
    step: Step,
    modification: modification::Model,
    scope: &SectionScope,
    left: Option<(&'static str, serde_json::Value)>,
) -> Result<K::View> {
    let rows = [modification];
    let context = Context::<K>::load(db, &rows).await?;
    let mut about = context
        .about(&rows[0])
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("modification without its record")))?;
    about.next_step_by = next_step_by(db, step, scope).await?;
    let level = scope.school.level.code();
    let people = recipients(db, step, rows[0].requested_by, &scope.target, level).await?;
    let told = Told {
        school: format!("{} ({})", about.school.name, about.school_code()),
        section: format!("{} {}", about.grade, about.section.name),
        record: K::named(&about),
        reason: &rows[0].reason,
        note: rows[0].opinion_note.as_deref(),
        until: rows[0].enabled_until,
        link: links.modifications(),
        left,
    };
    let key = match step {
        // A modification drops results as often as its changes do: each drop is told.
        Step::Dropped => format!(
            "{}-{}-{}",
            K::OUTBOX_KEY,
            rows[0].id,
            now().timestamp_micros()
        ),
        _ => format!("{}-{}", K::OUTBOX_KEY, rows[0].id),
    };
    tell(db, step, people, K::TEMPLATE, told, &key).await?;
    Ok(K::view(about))
}

/// Tells the director who asked for the record's enabled modification that a change under it
/// deleted results it left without ground, `dropped` (the template's variable and its value:
/// how many, and where they are recorded again), in the caller's transaction.
pub async fn tell_dropped<K: Reopenable>(
    db: &DatabaseTransaction,
    links: Links<'_>,
    record_id: i64,
    scope: &SectionScope,
    dropped: (&'static str, serde_json::Value),
) -> Result<()> {
    let enabled = modification::Entity::find()
        .filter(modification::Column::Kind.eq(K::KIND))
        .filter(record_column(K::KIND).eq(record_id))
        .filter(modification::Column::Status.eq(ModificationStatus::Enabled))
        .one(db)
        .await?;
    if let Some(modification) = enabled {
        announce::<K>(db, links, Step::Dropped, modification, scope, Some(dropped)).await?;
    }
    Ok(())
}

/// The record of a request, locked until the transaction ends (PostgreSQL; SQLite has one
/// writer), so that two requests about one record are taken one after the other.
async fn locked<K: Reopenable>(db: &impl ConnectionTrait, id: i64) -> Result<K::Record> {
    let query = K::Entity::find().filter(K::ID.eq(id));
    let query = match db.get_database_backend() {
        DbBackend::Postgres => query.lock_exclusive(),
        _ => query,
    };
    query
        .one(db)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("record gone under its request")))
}

/// The next number of a kind's requests: one row per kind, incremented by one atomic
/// statement, so two requests never share a number.
async fn next_number(db: &impl ConnectionTrait, kind: ModificationKind) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO exceptional_modification_counter (kind, last) VALUES ($1, 1) \
             ON CONFLICT (kind) DO UPDATE SET last = exceptional_modification_counter.last + 1 \
             RETURNING last",
            [kind.to_value().into()],
        ))
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the counter answered no row")))?;
    Ok(row.try_get_by_index(0)?)
}

/// The director asks the UGEL, with a reason, to modify the closed record `key` names.
pub async fn request<K: Reopenable>(
    db: &DatabaseConnection,
    links: Links<'_>,
    p: &Principal,
    key: K::Key,
    body: ModificationRequest,
) -> Result<K::View> {
    let scope = K::reached(db, p, key).await?;
    let reason = body.checked_reason()?;
    let closed = K::closed(db, key).await?;
    let txn = crate::db::begin(db).await?;
    let reopened = locked::<K>(&txn, K::id(&closed)).await?;
    let column = record_column(K::KIND);
    let pending = modification::Entity::find()
        .filter(modification::Column::Kind.eq(K::KIND))
        .filter(column.eq(K::id(&reopened)))
        .filter(modification::Column::Status.is_in([
            ModificationStatus::Requested,
            ModificationStatus::Favorable,
            ModificationStatus::Enabled,
        ]))
        .one(&txn)
        .await?;
    if pending.is_some() {
        return Err(K::pending());
    }
    let mut created = modification::ActiveModel {
        kind: Set(K::KIND),
        id: Set(next_number(&txn, K::KIND).await?),
        status: Set(ModificationStatus::Requested),
        reason: Set(reason),
        requested_by: Set(p.user_id),
        requested_at: Set(now()),
        ..Default::default()
    };
    created.set(column, Some(K::id(&reopened)).into());
    let created = created.insert(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(K::ACTIONS.requested, created.id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&created),
        ),
    )
    .await?;
    let view = announce::<K>(&txn, links, Step::Requested, created, &scope, None).await?;
    txn.commit().await?;
    Ok(view)
}

/// A request with its record and the record's section, whoever asks.
async fn find<K: Reopenable>(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<(modification::Model, K::Record, SectionScope)> {
    let not_found = || ApiError::not_found(K::NOT_FOUND);
    let modification = modification::Entity::find_by_id((K::KIND, id))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let record = K::Entity::find()
        .filter(K::ID.eq(record_of(&modification).ok_or_else(not_found)?))
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let scope = section_scope(db, K::section_id(&record)).await?;
    Ok((modification, record, scope))
}

/// A request for a step of `action`: 404 outside the caller's reach, 403 inside it without the
/// role that takes the step (at the UGEL, or the unit above where the UGEL has nobody in it).
async fn for_step<K: Reopenable>(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    action: Action,
) -> Result<(modification::Model, K::Record, SectionScope)> {
    let (modification, record, scope) = find::<K>(db, id).await?;
    let level = scope.school.level.code();
    may_take_step(db, p, action, &scope.target, level, K::NOT_FOUND).await?;
    Ok((modification, record, scope))
}

/// The Especialista del nivel gives its opinion on a request.
pub async fn give_opinion<K: Reopenable>(
    db: &DatabaseConnection,
    links: Links<'_>,
    p: &Principal,
    id: i64,
    body: Opinion,
) -> Result<K::View> {
    let (modification, _, scope) = for_step::<K>(db, p, id, Action::OpineModification).await?;
    if modification.status != ModificationStatus::Requested {
        return Err(ApiError::from(ErrorCode::ModificationDecided));
    }
    let txn = crate::db::begin(db).await?;
    let mut active = modification.into_active_model();
    active.status = Set(body.status());
    active.favorable = Set(Some(body.favorable));
    active.opinion_note = Set(body.checked_note());
    active.opinion_by = Set(Some(p.user_id));
    active.opinion_at = Set(Some(now()));
    let updated = active.update(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(K::ACTIONS.opinion, id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&updated),
        ),
    )
    .await?;
    let view = announce::<K>(&txn, links, body.step(), updated, &scope, None).await?;
    txn.commit().await?;
    Ok(view)
}

/// The Especialista SIAGIE UGEL enables a favourably reviewed modification until a deadline:
/// until then the record takes changes (each one audited).
pub async fn enable<K: Reopenable>(
    db: &DatabaseConnection,
    links: Links<'_>,
    p: &Principal,
    id: i64,
    body: Enable,
) -> Result<K::View> {
    let (modification, reopened, scope) =
        for_step::<K>(db, p, id, Action::EnableModification).await?;
    if modification.status != ModificationStatus::Favorable {
        return Err(ApiError::from(ErrorCode::OpinionRequired));
    }
    let at = now();
    body.check(at)?;
    let txn = crate::db::begin(db).await?;
    let mut active = modification.into_active_model();
    active.status = Set(ModificationStatus::Enabled);
    active.enabled_by = Set(Some(p.user_id));
    active.enabled_at = Set(Some(at));
    active.enabled_until = Set(Some(body.until));
    let updated = active.update(&txn).await?;
    K::Entity::update_many()
        .col_expr(K::UNTIL, Expr::value(Some(body.until)))
        .filter(K::ID.eq(K::id(&reopened)))
        .exec(&txn)
        .await?;
    let event = Event::new(K::ACTIONS.enabled, id)
        .by(p.user_id)
        .in_unit(scope.target)
        .after(&updated);
    record(&txn, K::change(&scope, &reopened, event)).await?;
    let view = announce::<K>(&txn, links, Step::Enabled, updated, &scope, None).await?;
    txn.commit().await?;
    Ok(view)
}

/// A kind's requests in the caller's reach (the director of the IE, the Especialista del nivel
/// and the Especialista SIAGIE of its UGEL, the units above, the administrator), newest first.
pub async fn list_in_reach<K: Reopenable>(
    db: &DatabaseConnection,
    p: &Principal,
    filter: ModificationFilter,
) -> Result<Page<K::View>> {
    let mut schools = Condition::all().add(schools_taking_part(p)?);
    if let Some(ugel_id) = filter.ugel_id {
        schools = schools.add(school::Column::UgelId.eq(ugel_id));
    }
    if let Some(school_id) = filter.school_id {
        schools = schools.add(school::Column::Id.eq(school_id));
    }
    let table = K::Entity::default();
    let records = Query::select()
        .column((table, K::ID))
        .from(table)
        .inner_join(
            section::Entity,
            Expr::col((section::Entity, section::Column::Id)).equals((table, K::SECTION)),
        )
        .inner_join(
            school::Entity,
            Expr::col((school::Entity, school::Column::Id))
                .equals((section::Entity, section::Column::SchoolId)),
        )
        .cond_where(schools)
        .to_owned();
    let mut query = modification::Entity::find()
        .filter(modification::Column::Kind.eq(K::KIND))
        .filter(record_column(K::KIND).in_subquery(records));
    if let Some(wanted) = parse_state(filter.state.as_deref())? {
        query = query.filter(modification::Column::Status.eq(wanted));
    }
    let (page, per_page) = PageParams {
        page: filter.page,
        per_page: filter.per_page,
    }
    .resolve()?;
    let paginator = query
        .order_by_desc(modification::Column::RequestedAt)
        .order_by_desc(modification::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let rows = paginator.fetch_page(page - 1).await?;
    Ok(Page {
        items: views::<K>(db, rows).await?,
        total,
        page,
        per_page,
    })
}

/// One request, for those who take part in it.
pub async fn get_in_reach<K: Reopenable>(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> Result<K::View> {
    let (modification, _, scope) = find::<K>(db, id).await?;
    if !takes_part(p, &scope.target) {
        return Err(ApiError::not_found(K::NOT_FOUND));
    }
    views::<K>(db, vec![modification])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found(K::NOT_FOUND))
}

/// Closes a kind's modifications whose deadline has passed (their records are locked again by
/// the deadline itself) and tells each director, once: each in its own transaction. Answers how
/// many.
pub async fn close_expired<K: Reopenable>(
    db: &DatabaseConnection,
    links: Links<'_>,
    at: DateTime<Utc>,
) -> Result<usize> {
    let expired = modification::Entity::find()
        .filter(modification::Column::Kind.eq(K::KIND))
        .filter(modification::Column::Status.eq(ModificationStatus::Enabled))
        .filter(modification::Column::EnabledUntil.lte(at))
        .all(db)
        .await?;
    let mut closed = 0;
    for modification in expired {
        let txn = crate::db::begin(db).await?;
        // Claimed by its status: of two runs at once, one closes it and tells the director.
        let claimed = modification::Entity::update_many()
            .col_expr(
                modification::Column::Status,
                Expr::value(ModificationStatus::Closed),
            )
            .col_expr(
                modification::Column::ClosedAt,
                Expr::value(modification.enabled_until),
            )
            .filter(modification::Column::Kind.eq(K::KIND))
            .filter(modification::Column::Id.eq(modification.id))
            .filter(modification::Column::Status.eq(ModificationStatus::Enabled))
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 1 {
            let (_, reopened, scope) = find::<K>(&txn, modification.id).await?;
            let mut updated = modification.clone();
            updated.status = ModificationStatus::Closed;
            updated.closed_at = modification.enabled_until;
            let left = K::left_to_do(&txn, &reopened, links).await?;
            announce::<K>(&txn, links, Step::Expired, updated.clone(), &scope, left).await?;
            let event = Event::new(K::ACTIONS.expired, modification.id)
                .in_unit(scope.target)
                .before(&modification)
                .after(&updated);
            // The record is closed again: tablets learn it as they learn its closure.
            record(&txn, K::change(&scope, &reopened, event)).await?;
            closed += 1;
        }
        txn.commit().await?;
    }
    Ok(closed)
}

/// Closes the enabled modifications of a record that its director closed again, in the caller's
/// transaction.
pub async fn close_open(
    txn: &impl ConnectionTrait,
    kind: ModificationKind,
    record_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    modification::Entity::update_many()
        .col_expr(
            modification::Column::Status,
            Expr::value(ModificationStatus::Closed),
        )
        .col_expr(modification::Column::ClosedAt, Expr::value(Some(at)))
        .filter(modification::Column::Kind.eq(kind))
        .filter(record_column(kind).eq(record_id))
        .filter(modification::Column::Status.eq(ModificationStatus::Enabled))
        .exec(txn)
        .await?;
    Ok(())
}
