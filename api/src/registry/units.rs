//! The organisation registry's units and calendar: DREs, UGELs, IEs, grades, academic years
//! and non-academic days. Each write checks its values, is audited and, for the calendar, tells
//! the tablets and marks the registers of that day to recompute.

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
    sea_query::{Expr, ExprTrait, LikeExpr},
};

use entity::{academic_year, dre, grade, non_academic_day, school, ugel, vocabulary::DayScope};

use super::{dto::*, repo};
use crate::{
    auth::{
        policy::{Action, Target},
        principal::Principal,
    },
    domain::{Anexo, CodigoModular, Email, Level, Management, Modality},
    error::{ApiError, Fields, Result},
    http::{Page, PageParams},
    record::{AuditAction, Change, Event, record},
    registry::closed,
    time::now,
};

/// DREs in the caller's reach.
pub async fn list_dres(db: &DatabaseConnection, p: &Principal) -> Result<Vec<DreView>> {
    let mut query = dre::Entity::find().order_by_asc(dre::Column::Name);
    if !p.reach(Action::ReadOrganisation).national {
        let ids: Vec<i64> = p
            .assignments
            .iter()
            .filter_map(|a| unit_dre(a.unit))
            .collect();
        query = query.filter(dre::Column::Id.is_in(ids));
    }
    Ok(query.all(db).await?.into_iter().map(Into::into).collect())
}

/// Create a DRE (MINEDU administrator).
pub async fn create_dre(db: &DatabaseConnection, p: &Principal, body: NewDre) -> Result<DreView> {
    p.authorize(Action::ManageOrganisation, &Target::national())?;
    let txn = crate::db::begin(db).await?;
    let created = insert_dre(&txn, body).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::DreCreated, created.id)
                .by(p.user_id)
                .in_unit(Target::dre(created.id))
                .after(&created),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(created.into())
}

/// UGELs in the caller's reach, optionally of one DRE.
pub async fn list_ugels(
    db: &DatabaseConnection,
    p: &Principal,
    filter: UgelFilter,
) -> Result<Vec<UgelView>> {
    let reach = p.reach(Action::ReadOrganisation);
    let mut query = ugel::Entity::find().order_by_asc(ugel::Column::Name);
    if !reach.national {
        use crate::auth::policy::Unit;
        let mut any = Condition::any().add(ugel::Column::DreId.is_in(reach.dres.clone()));
        let ugel_ids: Vec<i64> = p
            .assignments
            .iter()
            .filter_map(|a| match a.unit {
                Unit::Ugel { ugel_id, .. } | Unit::School { ugel_id, .. } => Some(ugel_id),
                _ => None,
            })
            .collect();
        any = any.add(ugel::Column::Id.is_in(ugel_ids));
        query = query.filter(any);
    }
    if let Some(dre_id) = filter.dre_id {
        query = query.filter(ugel::Column::DreId.eq(dre_id));
    }
    Ok(query.all(db).await?.into_iter().map(Into::into).collect())
}

/// Create a UGEL (MINEDU administrator).
pub async fn create_ugel(
    db: &DatabaseConnection,
    p: &Principal,
    body: NewUgel,
) -> Result<UgelView> {
    p.authorize(Action::ManageOrganisation, &Target::dre(body.dre_id))?;
    let txn = crate::db::begin(db).await?;
    let created = insert_ugel(&txn, body).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::UgelCreated, created.id)
                .by(p.user_id)
                .in_unit(Target::ugel(created.id, created.dre_id))
                .after(&created),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(created.into())
}

/// IEs in the caller's reach, page by page.
pub async fn list_schools(
    db: &DatabaseConnection,
    p: &Principal,
    filter: SchoolFilter,
) -> Result<Page<SchoolView>> {
    let mut query =
        school::Entity::find().filter(p.reach(Action::ReadOrganisation).school_condition());
    if let Some(ugel_id) = filter.ugel_id {
        query = query.filter(school::Column::UgelId.eq(ugel_id));
    }
    if let Some(dre_id) = filter.dre_id {
        let ugels: Vec<i64> = ugel::Entity::find()
            .filter(ugel::Column::DreId.eq(dre_id))
            .all(db)
            .await?
            .into_iter()
            .map(|u| u.id)
            .collect();
        query = query.filter(school::Column::UgelId.is_in(ugels));
    }
    if let Some(level) = filter.level.as_deref() {
        let level = Level::parse(level).map_err(|m| ApiError::field("level", m))?;
        query = query.filter(school::Column::Level.eq(level.code()));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = match crate::domain::CodigoModular::parse_with_anexo(q) {
            // `0412345-0`: that IE.
            Ok((code, anexo)) if q.contains('-') => query
                .filter(school::Column::CodigoModular.eq(code.as_str()))
                .filter(school::Column::Anexo.eq(anexo.value())),
            // Part of the name whatever its accents and case, or the start of the código modular.
            _ => query.filter(
                Condition::any()
                    .add(
                        Expr::expr(super::search::folded("\"school\".\"name\"")).like(
                            LikeExpr::new(format!("%{}%", super::search::fold(q))).escape('\\'),
                        ),
                    )
                    .add(if q.bytes().all(|b| b.is_ascii_digit()) {
                        school::Column::CodigoModular.starts_with(q)
                    } else {
                        Expr::val(1).eq(0)
                    }),
            ),
        };
    }
    let params = PageParams {
        page: filter.page,
        per_page: filter.per_page,
    };
    let query = query
        .order_by_asc(school::Column::Name)
        .order_by_asc(school::Column::Id);
    Page::fetch(db, query, params).await
}

/// One IE.
pub async fn get_school(db: &DatabaseConnection, p: &Principal, id: i64) -> Result<SchoolView> {
    let scope = repo::school_scope(db, id).await?;
    p.authorize(Action::ReadOrganisation, &scope.target)?;
    Ok(scope.school.into())
}

/// Create an IE (MINEDU administrator).
pub async fn create_school(
    db: &DatabaseConnection,
    p: &Principal,
    body: NewSchool,
) -> Result<SchoolView> {
    p.authorize(Action::ManageOrganisation, &Target::national())?;
    let txn = crate::db::begin(db).await?;
    let created = insert_school(&txn, body).await?;
    let scope = repo::school_scope(&txn, created.id).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::SchoolCreated, created.id)
                .by(p.user_id)
                .in_unit(scope.target)
                .after(&created),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(created.into())
}

/// The grade catalogue.
pub async fn list_grades(db: &DatabaseConnection) -> Result<Vec<GradeView>> {
    let grades = grade::Entity::find()
        .order_by_asc(grade::Column::Id)
        .all(db)
        .await?;
    Ok(grades.into_iter().map(Into::into).collect())
}

/// Academic years.
pub async fn list_years(db: &DatabaseConnection) -> Result<Vec<AcademicYearView>> {
    let years = academic_year::Entity::find()
        .order_by_desc(academic_year::Column::Year)
        .all(db)
        .await?;
    Ok(years.into_iter().map(Into::into).collect())
}

/// Open an academic year (MINEDU administrator).
pub async fn create_year(
    db: &DatabaseConnection,
    p: &Principal,
    body: AcademicYearView,
) -> Result<AcademicYearView> {
    p.authorize(Action::ManageOrganisation, &Target::national())?;
    let txn = crate::db::begin(db).await?;
    let created = insert_year(&txn, body.year, body.starts_on, body.ends_on).await?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::AcademicYearCreated, created.id)
                .by(p.user_id)
                .after(&created),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(created.into())
}

/// Non-academic days of a year: national ones, plus those of the IE and its UGEL when
/// `school_id` is given.
pub async fn calendar(
    db: &DatabaseConnection,
    p: &Principal,
    year: i32,
    filter: CalendarFilter,
) -> Result<Vec<NonAcademicDayView>> {
    let year = repo::year_by_number(db, year).await?;
    let mut scope = Condition::any().add(non_academic_day::Column::Scope.eq(DayScope::National));
    if let Some(school_id) = filter.school_id {
        let school = repo::school_scope(db, school_id).await?;
        p.authorize(Action::ReadOrganisation, &school.target)?;
        scope = scope
            .add(non_academic_day::Column::UgelId.eq(school.school.ugel_id))
            .add(non_academic_day::Column::SchoolId.eq(school_id));
    }
    let days = non_academic_day::Entity::find()
        .filter(non_academic_day::Column::AcademicYearId.eq(year.id))
        .filter(scope)
        .order_by_asc(non_academic_day::Column::Date)
        .all(db)
        .await?;
    Ok(days.into_iter().map(Into::into).collect())
}

/// Add a non-academic day: national (administrator), for a UGEL (its Especialista SIAGIE) or
/// for an IE (its director).
pub async fn add_non_academic_day(
    db: &DatabaseConnection,
    p: &Principal,
    year: i32,
    body: NewNonAcademicDay,
) -> Result<NonAcademicDayView> {
    let year = repo::year_by_number(db, year).await?;
    let (scope, target) = match (body.school_id, body.ugel_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::field(
                "school_id",
                "Indique una IE o una UGEL, no ambas.",
            ));
        }
        (Some(school_id), None) => {
            let school = repo::school_scope(db, school_id).await?;
            p.authorize(Action::ManageCalendar, &school.target)?;
            (DayScope::School, school.target)
        }
        (None, Some(ugel_id)) => {
            let ugel = ugel::Entity::find_by_id(ugel_id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::not_found("la UGEL"))?;
            let target = Target::ugel(ugel.id, ugel.dre_id);
            p.authorize(Action::ManageCalendar, &target)?;
            (DayScope::Ugel, target)
        }
        (None, None) => {
            p.authorize(Action::ManageOrganisation, &Target::national())?;
            (DayScope::National, Target::national())
        }
    };
    if body.date < year.starts_on || body.date > year.ends_on {
        return Err(ApiError::field(
            "date",
            "La fecha debe estar dentro del año académico.",
        ));
    }
    let description = body.description.trim();
    if description.is_empty() || description.chars().count() > 120 {
        return Err(ApiError::field(
            "description",
            "Describa el día no académico (hasta 120 caracteres).",
        ));
    }
    let txn = crate::db::begin(db).await?;
    let reach = match (body.school_id, body.ugel_id) {
        (Some(school_id), _) => closed::Sections::School(school_id),
        (None, Some(ugel_id)) => closed::Sections::Ugel(ugel_id),
        (None, None) => closed::Sections::National,
    };
    closed::refuse_if_closed(&txn, reach, body.date, body.date, now()).await?;
    let created = non_academic_day::ActiveModel {
        academic_year_id: Set(year.id),
        date: Set(body.date),
        scope: Set(scope),
        ugel_id: Set(body.ugel_id),
        school_id: Set(body.school_id),
        description: Set(description.to_owned()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let event = Event::new(AuditAction::NonAcademicDayAdded, created.id)
        .by(p.user_id)
        .in_unit(target)
        .after(&created);
    record(
        &txn,
        Change::CalendarDay {
            day: &created,
            event,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created.into())
}

fn unit_dre(unit: crate::auth::policy::Unit) -> Option<i64> {
    use crate::auth::policy::Unit;
    match unit {
        Unit::Minedu => None,
        Unit::Dre { dre_id } | Unit::Ugel { dre_id, .. } | Unit::School { dre_id, .. } => {
            Some(dre_id)
        }
    }
}

fn text(value: &str, max: usize) -> std::result::Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        Err("Este campo es obligatorio.".into())
    } else if value.chars().count() > max {
        Err(format!("No puede tener más de {max} caracteres."))
    } else {
        Ok(value.to_owned())
    }
}

pub(super) fn optional<T>(
    value: Option<&str>,
    parse: impl Fn(&str) -> std::result::Result<T, String>,
) -> std::result::Result<Option<T>, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => parse(v).map(Some),
        None => Ok(None),
    }
}

async fn insert_dre(db: &impl ConnectionTrait, input: NewDre) -> Result<entity::dre::Model> {
    let mut f = Fields::default();
    let code = f.check("code", text(&input.code, 32));
    let name = f.check("name", text(&input.name, 120));
    f.finish()?;
    let (Some(code), Some(name)) = (code, name) else {
        unreachable!("checked above")
    };
    Ok(entity::dre::ActiveModel {
        code: Set(code.to_uppercase()),
        name: Set(name),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

async fn insert_ugel(db: &impl ConnectionTrait, input: NewUgel) -> Result<ugel::Model> {
    let mut f = Fields::default();
    let code = f.check("code", text(&input.code, 32));
    let name = f.check("name", text(&input.name, 120));
    if entity::dre::Entity::find_by_id(input.dre_id)
        .one(db)
        .await?
        .is_none()
    {
        f.add("dre_id", "La DRE no existe.");
    }
    f.finish()?;
    let (Some(code), Some(name)) = (code, name) else {
        unreachable!("checked above")
    };
    Ok(ugel::ActiveModel {
        dre_id: Set(input.dre_id),
        code: Set(code.to_uppercase()),
        name: Set(name),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

async fn insert_school(db: &impl ConnectionTrait, input: NewSchool) -> Result<school::Model> {
    let mut f = Fields::default();
    let codigo = f.check(
        "codigo_modular",
        CodigoModular::parse(&input.codigo_modular),
    );
    let anexo = f.check("anexo", Anexo::new(input.anexo));
    let name = f.check("name", text(&input.name, 160));
    let level = f.check("level", Level::parse(&input.level));
    let modality = f.check("modality", Modality::parse(&input.modality));
    let management = f.check("management", Management::parse(&input.management));
    let centro_poblado = f.check("centro_poblado", text(&input.centro_poblado, 120));
    let district = f.check("district", text(&input.district, 120));
    let email = f.check("email", optional(input.email.as_deref(), Email::parse));
    if input.is_pronoei && level.is_some_and(|l| l != Level::Inicial) {
        f.add("is_pronoei", "Un PRONOEI solo puede ser del nivel inicial.");
    }
    if ugel::Entity::find_by_id(input.ugel_id)
        .one(db)
        .await?
        .is_none()
    {
        f.add("ugel_id", "La UGEL no existe.");
    }
    f.finish()?;
    let (
        Some(codigo),
        Some(anexo),
        Some(name),
        Some(level),
        Some(modality),
        Some(management),
        Some(centro_poblado),
        Some(district),
        Some(email),
    ) = (
        codigo,
        anexo,
        name,
        level,
        modality,
        management,
        centro_poblado,
        district,
        email,
    )
    else {
        unreachable!("checked above")
    };
    // A code already taken breaks the unique rule: `school_exists`.
    Ok(school::ActiveModel {
        ugel_id: Set(input.ugel_id),
        codigo_modular: Set(codigo.as_str().to_owned()),
        anexo: Set(anexo.value()),
        name: Set(name),
        level: Set(level),
        modality: Set(modality),
        management: Set(management),
        is_pronoei: Set(input.is_pronoei),
        centro_poblado: Set(centro_poblado),
        district: Set(district),
        email: Set(email.map(Email::into_inner)),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

async fn insert_year(
    db: &impl ConnectionTrait,
    year: i32,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> Result<academic_year::Model> {
    let mut f = Fields::default();
    if !(2000..=2100).contains(&year) {
        f.add("year", "El año debe estar entre 2000 y 2100.");
    }
    if chrono::Datelike::year(&starts_on) != year || chrono::Datelike::year(&ends_on) != year {
        f.add(
            "starts_on",
            "Las fechas de inicio y fin deben pertenecer al año académico.",
        );
    }
    if ends_on <= starts_on {
        f.add(
            "ends_on",
            "La fecha de fin debe ser posterior a la de inicio.",
        );
    }
    f.finish()?;
    // A year already there breaks the unique rule: `year_exists`.
    Ok(academic_year::ActiveModel {
        year: Set(year),
        starts_on: Set(starts_on),
        ends_on: Set(ends_on),
        ..Default::default()
    }
    .insert(db)
    .await?)
}
