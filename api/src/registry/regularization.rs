//! Regularización: a year of schooling recorded after its academic year ended.
//!
//! An enrollment made once its academic year had ended is a regularization (`enrollment.
//! regularization`): its section's acta can be filled and closed as any other, but the year
//! counts in the student's record and certificates only once the Especialista SIAGIE of the IE's
//! UGEL approves the section's regularization (or the unit above, where the UGEL has nobody in
//! that role: `exceptional::deciders`). The director asks with a reason and the supporting
//! document; whoever decides is told, and so are the directors of the other IEs where those
//! students are enrolled, so that a year invented for somebody else's student does not go
//! unnoticed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, Query},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use entity::{
    acta, enrollment, grade, person, regularization, role_assignment, school, section,
    user_account, vocabulary::RegularizationStatus,
};

use super::repo::{SectionScope, section_scope};
use crate::{
    auth::{Role, policy::Action, principal::Principal},
    error::{ApiError, ErrorCode, Result},
    exceptional::{Stage, deciders, decides_at},
    record::{AuditAction, Change, Event, record},
    time::now,
};

const NOT_FOUND: &str = "la solicitud de regularización";

/// Who approves at the UGEL.
const APPROVER: Role = Role::UgelSpecialist;

/// `POST /sections/{id}/regularization` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegularizationRequest {
    /// Why the year is recorded late (at least 10 letters or digits, up to 1000 characters).
    pub reason: String,
    /// The supporting document, by its number and issuer ("R.D. N.° 0045-2027-UGEL-J").
    pub document: String,
}

/// `POST /regularizations/{id}/decision` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegularizationDecision {
    pub approved: bool,
    /// Required when it is not approved.
    pub note: Option<String>,
}

/// `GET /regularizations` filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegularizationFilter {
    /// `requested`, `approved` or `rejected`.
    #[param(value_type = Option<String>)]
    pub state: Option<RegularizationStatus>,
}

/// A section's regularization, as its director and whoever decides read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegularizationView {
    pub id: i64,
    /// `requested`, `approved` or `rejected`.
    #[schema(value_type = String)]
    pub status: RegularizationStatus,
    pub section_id: i64,
    pub year: i32,
    /// `Primer grado A`.
    pub section: String,
    pub school_id: i64,
    /// Código modular and anexo, `0412345-0`.
    pub school_code: String,
    pub school_name: String,
    /// Students enrolled in the section after its year ended.
    pub students: u64,
    pub reason: String,
    pub document: String,
    pub requested_at: DateTime<Utc>,
    pub requested_by: String,
    /// Who decides (or decided) it: the UGEL, or the unit above where the UGEL has nobody.
    pub stage: Stage,
    /// The same, as a person reads it.
    pub decided_by_unit: String,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub note: Option<String>,
}

/// The director asks for the section's late years to count.
pub async fn request(
    db: &DatabaseConnection,
    p: &Principal,
    section_id: i64,
    body: RegularizationRequest,
) -> Result<RegularizationView> {
    let scope = section_scope(db, section_id).await?;
    if !p.can(Action::ReadRoster, &scope.target) {
        return Err(ApiError::not_found("la sección"));
    }
    p.authorize(Action::KeepActa, &scope.target)?;
    let (reason, document) = checked(&body)?;
    let late = late_students(db, section_id).await?;
    if late.is_empty() {
        return Err(ErrorCode::NothingToRegularize.into());
    }
    acta::Entity::find()
        .filter(acta::Column::SectionId.eq(section_id))
        .one(db)
        .await?
        .filter(|a| a.closed_at.is_some())
        .ok_or_else(|| ApiError::from(ErrorCode::RegularizationActaOpen))?;
    let txn = crate::db::begin(db).await?;
    let existing = regularization::Entity::find()
        .filter(regularization::Column::SectionId.eq(section_id))
        .one(&txn)
        .await?;
    let saved = match existing {
        Some(r) if r.status != RegularizationStatus::Rejected => {
            return Err(ErrorCode::RegularizationPending.into());
        }
        Some(rejected) => {
            let mut again: regularization::ActiveModel = rejected.into();
            again.status = Set(RegularizationStatus::Requested);
            again.reason = Set(reason);
            again.document = Set(document);
            again.requested_by = Set(p.user_id);
            again.requested_at = Set(now());
            again.decided_by = Set(None);
            again.decided_at = Set(None);
            again.note = Set(None);
            again.update(&txn).await?
        }
        None => {
            regularization::ActiveModel {
                section_id: Set(section_id),
                school_id: Set(scope.school.id),
                status: Set(RegularizationStatus::Requested),
                reason: Set(reason),
                document: Set(document),
                requested_by: Set(p.user_id),
                requested_at: Set(now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::RegularizationRequested, saved.id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&saved),
        ),
    )
    .await?;
    let (stage, people) = deciders(&txn, APPROVER, None, &scope.target).await?;
    let view = view(&txn, saved, &scope, stage).await?;
    tell(&txn, &view, "requested", people).await?;
    let elsewhere = directors_elsewhere(&txn, &late, scope.school.id).await?;
    tell(&txn, &view, "notice", elsewhere).await?;
    txn.commit().await?;
    Ok(view)
}

/// The Especialista SIAGIE of the UGEL (or of the unit above) approves or rejects.
pub async fn decide(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    body: RegularizationDecision,
) -> Result<RegularizationView> {
    let (current, scope) = find(db, p, id).await?;
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if note.as_deref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(ApiError::field(
            "note",
            "La observación admite hasta 1000 caracteres.",
        ));
    }
    if note.as_deref().is_some_and(crate::domain::has_control) {
        return Err(ApiError::field(
            "note",
            "La observación contiene caracteres de control no permitidos.",
        ));
    }
    if !body.approved && !note.as_deref().is_some_and(crate::domain::said) {
        return Err(ApiError::field(
            "note",
            "Indique por qué no se aprueba la regularización.",
        ));
    }
    let txn = crate::db::begin(db).await?;
    let (stage, _) = deciders(&txn, APPROVER, None, &scope.target).await?;
    if !decides_at(p, stage, APPROVER, &scope.target) {
        return Err(ApiError::forbidden());
    }
    let status = if body.approved {
        RegularizationStatus::Approved
    } else {
        RegularizationStatus::Rejected
    };
    // Decided once: the update holds only while the request still waits.
    let decided = regularization::Entity::update_many()
        .col_expr(regularization::Column::Status, Expr::value(status))
        .col_expr(regularization::Column::DecidedBy, Expr::value(p.user_id))
        .col_expr(regularization::Column::DecidedAt, Expr::value(now()))
        .col_expr(regularization::Column::Note, Expr::value(note))
        .filter(regularization::Column::Id.eq(id))
        .filter(regularization::Column::Status.eq(RegularizationStatus::Requested))
        .exec(&txn)
        .await?;
    if decided.rows_affected == 0 {
        return Err(ErrorCode::RegularizationDecided.into());
    }
    let saved = regularization::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    let action = if body.approved {
        AuditAction::RegularizationApproved
    } else {
        AuditAction::RegularizationRejected
    };
    record(
        &txn,
        Change::Audited(
            Event::new(action, id)
                .by(p.user_id)
                .in_unit(scope.target)
                .before(&current)
                .after(&saved),
        ),
    )
    .await?;
    let requester = person_of_user(&txn, saved.requested_by).await?;
    let view = view(&txn, saved, &scope, stage).await?;
    let step = if body.approved {
        "approved"
    } else {
        "rejected"
    };
    tell(&txn, &view, step, requester.into_iter().collect()).await?;
    txn.commit().await?;
    Ok(view)
}

/// The regularizations of the IEs whose records the caller reads, newest first.
pub async fn list(
    db: &DatabaseConnection,
    p: &Principal,
    filter: RegularizationFilter,
) -> Result<Vec<RegularizationView>> {
    let reach = p.reach(Action::ReadRecord);
    if reach.is_empty() {
        return Err(ApiError::forbidden());
    }
    let mut query = regularization::Entity::find().filter(
        regularization::Column::SchoolId.in_subquery(
            Query::select()
                .column(school::Column::Id)
                .from(school::Entity)
                .cond_where(reach.school_condition())
                .to_owned(),
        ),
    );
    if let Some(state) = filter.state {
        query = query.filter(regularization::Column::Status.eq(state));
    }
    let rows = query
        .order_by_desc(regularization::Column::RequestedAt)
        .order_by_desc(regularization::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    // Who decides depends only on the UGEL (and its DRE): asked once per UGEL listed.
    let mut stages: HashMap<Option<i64>, Stage> = HashMap::new();
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let scope = section_scope(db, row.section_id).await?;
        let stage = match stages.get(&scope.target.ugel_id) {
            Some(stage) => *stage,
            None => {
                let (stage, _) = deciders(db, APPROVER, None, &scope.target).await?;
                stages.insert(scope.target.ugel_id, stage);
                stage
            }
        };
        views.push(view(db, row, &scope, stage).await?);
    }
    Ok(views)
}

/// One regularization, for whoever reads the IE's records.
pub async fn get(db: &DatabaseConnection, p: &Principal, id: i64) -> Result<RegularizationView> {
    let (row, scope) = find(db, p, id).await?;
    let (stage, _) = deciders(db, APPROVER, None, &scope.target).await?;
    view(db, row, &scope, stage).await
}

/// A regularization in the caller's reach; 404 alike for one that does not exist and one out
/// of reach.
async fn find(
    db: &impl ConnectionTrait,
    p: &Principal,
    id: i64,
) -> Result<(regularization::Model, SectionScope)> {
    let row = regularization::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    let scope = section_scope(db, row.section_id).await?;
    if !p.can(Action::ReadRecord, &scope.target) {
        return Err(ApiError::not_found(NOT_FOUND));
    }
    Ok((row, scope))
}

/// The reason and the document, trimmed and within their lengths.
fn checked(body: &RegularizationRequest) -> Result<(String, String)> {
    let mut f = crate::error::Fields::default();
    let reason = body.reason.trim();
    if !crate::domain::argued(reason, 1000) {
        f.add(
            "reason",
            format!(
                "Sustente la regularización ({}).",
                crate::domain::argument_rule(1000)
            ),
        );
    }
    let document = body.document.trim();
    if !(5..=200).contains(&document.chars().count()) || document.chars().any(char::is_control) {
        f.add(
            "document",
            "Indique el documento que la sustenta, con su número (entre 5 y 200 caracteres).",
        );
    }
    f.finish()?;
    Ok((reason.to_owned(), document.to_owned()))
}

/// The students enrolled in the section after its year ended.
async fn late_students(db: &impl ConnectionTrait, section_id: i64) -> Result<Vec<i64>> {
    Ok(enrollment::Entity::find()
        .select_only()
        .column(enrollment::Column::StudentId)
        .filter(enrollment::Column::SectionId.eq(section_id))
        .filter(enrollment::Column::Regularization.eq(true))
        .into_tuple()
        .all(db)
        .await?)
}

/// The directors of the other IEs where these students are (or were) enrolled.
async fn directors_elsewhere(
    db: &impl ConnectionTrait,
    students: &[i64],
    school_id: i64,
) -> Result<Vec<person::Model>> {
    let mut schools: HashSet<i64> = HashSet::new();
    for chunk in students.chunks(500) {
        let rows: Vec<i64> = section::Entity::find()
            .select_only()
            .column(section::Column::SchoolId)
            .filter(
                section::Column::Id.in_subquery(
                    Query::select()
                        .column(enrollment::Column::SectionId)
                        .from(enrollment::Entity)
                        .and_where(enrollment::Column::StudentId.is_in(chunk.to_vec()))
                        .and_where(enrollment::Column::Regularization.eq(false))
                        .to_owned(),
                ),
            )
            .filter(section::Column::SchoolId.ne(school_id))
            .into_tuple()
            .all(db)
            .await?;
        schools.extend(rows);
    }
    if schools.is_empty() {
        return Ok(Vec::new());
    }
    let directors: Vec<i64> = role_assignment::Entity::find()
        .select_only()
        .column(role_assignment::Column::UserId)
        .filter(role_assignment::Column::Active.eq(true))
        .filter(role_assignment::Column::Role.eq(Role::Director.code()))
        .filter(role_assignment::Column::SchoolId.is_in(schools))
        .into_tuple()
        .all(db)
        .await?;
    let mut people = Vec::new();
    for user in directors {
        people.extend(person_of_user(db, user).await?);
    }
    Ok(people)
}

async fn person_of_user(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<person::Model>> {
    let Some(account) = user_account::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    Ok(person::Entity::find_by_id(account.person_id)
        .one(db)
        .await?)
}

fn name_of(person: &person::Model) -> String {
    format!(
        "{} {} {}",
        person.given_names, person.paternal_surname, person.maternal_surname
    )
}

async fn view(
    db: &impl ConnectionTrait,
    row: regularization::Model,
    scope: &SectionScope,
    stage: Stage,
) -> Result<RegularizationView> {
    let grade = grade::Entity::find_by_id(scope.section.grade_id)
        .one(db)
        .await?
        .map(|g| g.name)
        .unwrap_or_default();
    let students = enrollment::Entity::find()
        .filter(
            Condition::all()
                .add(enrollment::Column::SectionId.eq(row.section_id))
                .add(enrollment::Column::Regularization.eq(true)),
        )
        .count(db)
        .await?;
    let requested_by = person_of_user(db, row.requested_by)
        .await?
        .map(|p| name_of(&p))
        .unwrap_or_default();
    let decided_by = match row.decided_by {
        Some(user) => person_of_user(db, user).await?.map(|p| name_of(&p)),
        None => None,
    };
    Ok(RegularizationView {
        id: row.id,
        status: row.status,
        section_id: row.section_id,
        year: scope.year.year,
        section: format!("{grade} {}", scope.section.name),
        school_id: scope.school.id,
        school_code: format!("{}-{}", scope.school.codigo_modular, scope.school.anexo),
        school_name: scope.school.name.clone(),
        students,
        reason: row.reason,
        document: row.document,
        requested_at: row.requested_at,
        requested_by,
        stage,
        decided_by_unit: stage.label().to_owned(),
        decided_at: row.decided_at,
        decided_by,
        note: row.note,
    })
}

/// E-mails a step to each person with an address, once per regularization, step and person.
async fn tell(
    db: &impl ConnectionTrait,
    view: &RegularizationView,
    step: &str,
    people: Vec<person::Model>,
) -> Result<()> {
    let mut context = serde_json::json!({
        "step": step,
        "school": format!("{} ({})", view.school_name, view.school_code),
        "section": view.section,
        "year": view.year,
        "students": view.students,
        "reason": view.reason,
        "document": view.document,
        "note": view.note.clone().unwrap_or_default(),
    });
    let mut mail = Vec::with_capacity(people.len());
    for to in people {
        let Some(email) = to.email.clone() else {
            continue;
        };
        context["name"] = serde_json::Value::String(to.given_names.clone());
        let told =
            jobs::templates::Mail::new("regularization", &context).map_err(ApiError::Internal)?;
        let key = format!(
            "regularization-{}-{step}-{}-{}",
            view.id,
            to.id,
            view.requested_at.timestamp()
        );
        mail.push((email, told, Some(key)));
    }
    record(db, Change::Mail(mail)).await
}

/// The enrollments that count in records and certificates: all but regularizations not (yet)
/// approved.
pub fn counting_enrollments() -> Condition {
    Condition::any()
        .add(enrollment::Column::Regularization.eq(false))
        .add(
            enrollment::Column::SectionId.in_subquery(
                Query::select()
                    .column(regularization::Column::SectionId)
                    .from(regularization::Entity)
                    .and_where(regularization::Column::Status.eq(RegularizationStatus::Approved))
                    .to_owned(),
            ),
        )
}
