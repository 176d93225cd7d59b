//! The catalogue of curricular areas per level and curriculum period, which the administrator
//! keeps. A year's set of areas is fixed once a grade exists for it: an area with grades does not
//! change, and no area is added to or removed from a level's year that has grades.

use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use entity::{
    academic_year, curricular_area, enrollment, final_grade, grade, section,
    vocabulary::{AreaKind, GradeScale, Level},
};

use crate::{
    auth::{Target, policy::Action, principal::Principal},
    error::{ApiError, ErrorCode, Fields, Result},
    record::{AuditAction, Change, Event, record},
};

/// A curricular area of the catalogue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Area {
    pub id: i64,
    pub level: Level,
    pub code: String,
    pub name: String,
    pub kind: AreaKind,
    pub scale: GradeScale,
    pub from_year: i32,
    /// The last year it applies to; none while it is in force.
    pub to_year: Option<i32>,
    pub position: i16,
}

impl From<curricular_area::Model> for Area {
    fn from(a: curricular_area::Model) -> Self {
        Self {
            id: a.id,
            level: a.level,
            code: a.code,
            name: a.name,
            kind: a.kind,
            scale: a.scale,
            from_year: a.from_year,
            to_year: a.to_year,
            position: a.position,
        }
    }
}

/// Filters of the catalogue.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AreaFilter {
    /// `inicial`, `primaria` or `secundaria`.
    pub level: Option<String>,
    /// Only the areas that apply in this year.
    pub year: Option<i32>,
}

/// `POST /curricular-areas` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewArea {
    pub level: String,
    pub code: String,
    pub name: String,
    /// `general`, `taller` or `comportamiento`.
    pub kind: String,
    /// `vigesimal` or `literal`.
    pub scale: String,
    pub from_year: i32,
    pub to_year: Option<i32>,
    pub position: Option<i16>,
}

/// `PATCH /curricular-areas/{id}` body: what may change of an area without grades.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AreaChange {
    pub name: Option<String>,
    /// The last year it applies to (`null` keeps it in force).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub to_year: Option<Option<i32>>,
    pub position: Option<i16>,
}

/// A field that may be sent as `null`: `Some(None)`, apart from a field not sent (`None`).
fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<i32>>, D::Error> {
    Option::<i32>::deserialize(d).map(Some)
}

/// The areas that apply to a level in a year, in the order of the acta.
pub async fn areas_for(
    db: &impl ConnectionTrait,
    level: Level,
    year: i32,
) -> Result<Vec<curricular_area::Model>> {
    Ok(curricular_area::Entity::find()
        .filter(curricular_area::Column::Level.eq(level))
        .filter(applies_in(year))
        .order_by_asc(curricular_area::Column::Position)
        .order_by_asc(curricular_area::Column::Id)
        .all(db)
        .await?)
}

fn applies_in(year: i32) -> Condition {
    Condition::all()
        .add(curricular_area::Column::FromYear.lte(year))
        .add(
            Condition::any()
                .add(curricular_area::Column::ToYear.is_null())
                .add(curricular_area::Column::ToYear.gte(year)),
        )
}

/// The catalogue, for anyone signed in who reads the organisation.
pub async fn list(db: &DatabaseConnection, p: &Principal, filter: AreaFilter) -> Result<Vec<Area>> {
    if p.reach(Action::ReadOrganisation).is_empty() {
        return Err(ApiError::forbidden());
    }
    let mut query = curricular_area::Entity::find();
    if let Some(level) = filter.level.as_deref() {
        let level = Level::parse(level).map_err(|m| ApiError::field("level", m))?;
        query = query.filter(curricular_area::Column::Level.eq(level));
    }
    if let Some(year) = filter.year {
        query = query.filter(applies_in(year));
    }
    Ok(query
        .order_by_asc(curricular_area::Column::Level)
        .order_by_asc(curricular_area::Column::FromYear)
        .order_by_asc(curricular_area::Column::Position)
        .order_by_asc(curricular_area::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Area::from)
        .collect())
}

/// Whether grades exist for `level` in any year from `from` to `to` (open-ended when `None`).
async fn graded_years(
    db: &impl ConnectionTrait,
    level: Level,
    from: i32,
    to: Option<i32>,
) -> Result<bool> {
    let mut years = Condition::all()
        .add(Expr::col((academic_year::Entity, academic_year::Column::Year)).gte(from));
    if let Some(to) = to {
        years = years.add(Expr::col((academic_year::Entity, academic_year::Column::Year)).lte(to));
    }
    let sections = Query::select()
        .column((enrollment::Entity, enrollment::Column::Id))
        .from(enrollment::Entity)
        .inner_join(
            section::Entity,
            Expr::col((section::Entity, section::Column::Id))
                .equals((enrollment::Entity, enrollment::Column::SectionId)),
        )
        .inner_join(
            grade::Entity,
            Expr::col((grade::Entity, grade::Column::Id))
                .equals((section::Entity, section::Column::GradeId)),
        )
        .inner_join(
            academic_year::Entity,
            Expr::col((academic_year::Entity, academic_year::Column::Id))
                .equals((section::Entity, section::Column::AcademicYearId)),
        )
        .cond_where(
            Condition::all()
                .add(Expr::col((grade::Entity, grade::Column::Level)).eq(level.code()))
                .add(years),
        )
        .to_owned();
    let found = final_grade::Entity::find()
        .select_only()
        .column(final_grade::Column::EnrollmentId)
        .filter(final_grade::Column::EnrollmentId.in_subquery(sections))
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// Adds an area to the catalogue (the administrator), unless a year it would apply to already has
/// grades for its level.
pub async fn create(db: &DatabaseConnection, p: &Principal, body: NewArea) -> Result<Area> {
    p.authorize(Action::ManageOrganisation, &Target::default())?;
    let mut fields = Fields::default();
    let level = fields.check("level", Level::parse(&body.level));
    let kind = fields.check("kind", AreaKind::parse(&body.kind));
    let scale = fields.check("scale", GradeScale::parse(&body.scale));
    let code = body.code.trim().to_uppercase();
    if code.is_empty()
        || code.len() > 12
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        fields.add(
            "code",
            "El código tiene de 1 a 12 letras o dígitos, sin espacios.",
        );
    }
    let name = body.name.trim().to_owned();
    if name.chars().count() < 2 || name.chars().count() > 80 {
        fields.add("name", "El nombre tiene de 2 a 80 caracteres.");
    }
    if !(2000..=2100).contains(&body.from_year) {
        fields.add(
            "from_year",
            "El año de inicio debe estar entre 2000 y 2100.",
        );
    }
    if body
        .to_year
        .is_some_and(|to| to < body.from_year || to > 2100)
    {
        fields.add(
            "to_year",
            "El último año no puede ser anterior al año de inicio.",
        );
    }
    fields.finish()?;
    let (Some(level), Some(kind), Some(scale)) = (level, kind, scale) else {
        return Err(ApiError::from(ErrorCode::ValidationFailed));
    };
    let txn = crate::db::begin(db).await?;
    if graded_years(&txn, level, body.from_year, body.to_year).await? {
        return Err(ApiError::from(ErrorCode::CurriculumFixed));
    }
    let created = curricular_area::ActiveModel {
        level: Set(level),
        code: Set(code),
        name: Set(name),
        kind: Set(kind),
        scale: Set(scale),
        from_year: Set(body.from_year),
        to_year: Set(body.to_year),
        position: Set(body.position.unwrap_or(50)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::CurricularAreaCreated, created.id)
                .by(p.user_id)
                .after(&created),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(created.into())
}

/// Changes an area without grades (the administrator): its name, its last year, its order. Ending
/// it or extending it must not touch a year whose set of areas is fixed.
pub async fn change(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    body: AreaChange,
) -> Result<Area> {
    p.authorize(Action::ManageOrganisation, &Target::default())?;
    let txn = crate::db::begin(db).await?;
    let area = curricular_area::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("el área curricular"))?;
    let mut fields = Fields::default();
    if let Some(name) = body.name.as_deref()
        && !(2..=80).contains(&name.trim().chars().count())
    {
        fields.add("name", "El nombre tiene de 2 a 80 caracteres.");
    }
    if let Some(Some(to)) = body.to_year
        && to < area.from_year
    {
        fields.add(
            "to_year",
            "El último año no puede ser anterior al año de inicio.",
        );
    }
    fields.finish()?;
    let graded = final_grade::Entity::find()
        .filter(final_grade::Column::AreaId.eq(id))
        .one(&txn)
        .await?
        .is_some();
    if graded {
        return Err(ApiError::from(ErrorCode::CurriculumFixed));
    }
    if let Some(to) = body.to_year {
        // The years the change adds or removes must have no grades at the level.
        let (from, until) = match (area.to_year, to) {
            (Some(old), Some(new)) => (Ord::min(old, new) + 1, Some(Ord::max(old, new))),
            (None, Some(new)) => (new + 1, None),
            (Some(old), None) => (old + 1, None),
            (None, None) => (i32::MAX, Some(i32::MAX)),
        };
        if from != i32::MAX && graded_years(&txn, area.level, from, until).await? {
            return Err(ApiError::from(ErrorCode::CurriculumFixed));
        }
    }
    let before = area.clone();
    let mut active: curricular_area::ActiveModel = area.into();
    if let Some(name) = body.name {
        active.name = Set(name.trim().to_owned());
    }
    if let Some(to) = body.to_year {
        active.to_year = Set(to);
    }
    if let Some(position) = body.position {
        active.position = Set(position);
    }
    let updated = active.update(&txn).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::CurricularAreaChanged, id)
                .by(p.user_id)
                .before(&before)
                .after(&updated),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(updated.into())
}
