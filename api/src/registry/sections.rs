//! Sections of an IE and the teachers assigned to them.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};

use entity::{academic_year, grade, person, school, school_staff, section, teacher_section};

use super::{dto::*, repo};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, Result},
    record::{AuditAction, Change, Event, record},
    time::now,
};

/// Sections of an IE (a teacher sees the ones it teaches).
pub async fn list_sections(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    filter: SectionFilter,
) -> Result<Vec<SectionView>> {
    let scope = repo::school_scope(db, id).await?;
    p.authorize(Action::ReadRoster, &scope.target)?;
    let mut query = section::Entity::find().filter(section::Column::SchoolId.eq(id));
    if let Some(year) = filter.year {
        let year = repo::year_by_number(db, year).await?;
        query = query.filter(section::Column::AcademicYearId.eq(year.id));
    }
    let reach = p.reach(Action::ReadRoster);
    let wider = reach.national || !reach.dres.is_empty() || !reach.ugels.is_empty();
    if let (false, Some(only)) = (wider, reach.sections_only) {
        query = query.filter(section::Column::Id.is_in(only));
    }
    let rows = query
        .find_also_related(grade::Entity)
        .order_by_asc(section::Column::GradeId)
        .order_by_asc(section::Column::Name)
        .all(db)
        .await?;
    let years: Vec<academic_year::Model> = academic_year::Entity::find().all(db).await?;
    let year_of = |id: i64| years.iter().find(|y| y.id == id).map_or(0, |y| y.year);
    Ok(rows
        .into_iter()
        .filter_map(|(s, g)| {
            g.map(|g| SectionView::new(s.clone(), year_of(s.academic_year_id), &g))
        })
        .collect())
}

/// Create a section in an IE (its director, or the administrator).
pub async fn create_section(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    body: NewSection,
) -> Result<SectionView> {
    let scope = repo::school_scope(db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let year = repo::year_by_number(db, body.academic_year)
        .await
        .map_err(|_| ApiError::field("academic_year", "El año académico no existe."))?;
    let grade = grade_for_school(db, body.grade_id, &scope.school).await?;
    let name = body.name.trim().to_uppercase();
    if name.is_empty() || name.chars().count() > 16 || name.chars().any(char::is_control) {
        return Err(ApiError::field(
            "name",
            "El nombre de la sección es obligatorio (hasta 16 letras, números o signos).",
        ));
    }
    let txn = crate::db::begin(db).await?;
    // A section already there breaks the unique rule: `section_exists`.
    let created = section::ActiveModel {
        school_id: Set(id),
        academic_year_id: Set(year.id),
        grade_id: Set(grade.id),
        name: Set(name),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let event = Event::new(AuditAction::SectionCreated, created.id)
        .by(p.user_id)
        .in_unit(scope.target)
        .after(&created);
    let change = Change::SectionCreated {
        school_id: id,
        section_id: created.id,
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    Ok(SectionView::new(created, year.year, &grade))
}

/// One section.
pub async fn get_section(db: &DatabaseConnection, p: &Principal, id: i64) -> Result<SectionView> {
    let scope = repo::section_scope(db, id).await?;
    p.authorize(Action::ReadRoster, &scope.target)?;
    let grade = grade::Entity::find_by_id(scope.section.grade_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el grado"))?;
    Ok(SectionView::new(scope.section, scope.year.year, &grade))
}

/// Teachers assigned to a section.
pub async fn list_teachers(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> Result<Vec<StaffView>> {
    let scope = repo::section_scope(db, id).await?;
    p.authorize(Action::ReadRoster, &scope.target)?;
    let rows = teacher_section::Entity::find()
        .filter(teacher_section::Column::SectionId.eq(id))
        .filter(teacher_section::Column::Active.eq(true))
        .find_also_related(person::Entity)
        .all(db)
        .await?;
    let mut rows = rows;
    rows.sort_by_cached_key(|(_, p)| {
        p.as_ref()
            .map(|p| {
                crate::domain::person_key(&p.paternal_surname, &p.maternal_surname, &p.given_names)
            })
            .unwrap_or_default()
    });
    Ok(rows
        .into_iter()
        .filter_map(|(_, p)| p.map(|p| StaffView::new(p, "teacher".into(), true)))
        .collect())
}

/// Assign a teacher registered in the IE to the section (its director).
pub async fn assign_teacher(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    body: TeacherAssignment,
) -> Result<()> {
    let scope = repo::section_scope(db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let staff = school_staff::Entity::find()
        .filter(school_staff::Column::SchoolId.eq(scope.school.id))
        .filter(school_staff::Column::PersonId.eq(body.person_id))
        .filter(school_staff::Column::Active.eq(true))
        .one(db)
        .await?;
    if staff.is_none() {
        return Err(ApiError::field(
            "person_id",
            "La persona no está registrada como personal activo de la IE.",
        ));
    }
    let txn = crate::db::begin(db).await?;
    let existing = teacher_section::Entity::find()
        .filter(teacher_section::Column::SectionId.eq(id))
        .filter(teacher_section::Column::PersonId.eq(body.person_id))
        .one(&txn)
        .await?;
    let row_id = match existing {
        Some(row) => {
            let mut active: teacher_section::ActiveModel = row.into();
            active.active = Set(true);
            active.update(&txn).await?.id
        }
        None => {
            teacher_section::ActiveModel {
                section_id: Set(id),
                person_id: Set(body.person_id),
                active: Set(true),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id
        }
    };
    let event = Event::new(AuditAction::TeacherAssigned, row_id)
        .by(p.user_id)
        .in_unit(scope.target);
    let change = Change::Teachers {
        school_id: scope.school.id,
        section_id: id,
        row_id,
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    Ok(())
}

/// End a teacher's assignment to a section (its director).
pub async fn unassign_teacher(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    person_id: i64,
) -> Result<()> {
    let scope = repo::section_scope(db, id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    let row = teacher_section::Entity::find()
        .filter(teacher_section::Column::SectionId.eq(id))
        .filter(teacher_section::Column::PersonId.eq(person_id))
        .filter(teacher_section::Column::Active.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("la asignación del docente"))?;
    let txn = crate::db::begin(db).await?;
    let mut active: teacher_section::ActiveModel = row.clone().into();
    active.active = Set(false);
    active.update(&txn).await?;
    let event = Event::new(AuditAction::TeacherUnassigned, row.id)
        .by(p.user_id)
        .in_unit(scope.target);
    let change = Change::Teachers {
        school_id: scope.school.id,
        section_id: id,
        row_id: row.id,
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    Ok(())
}

/// The grade, checked against the level of the IE.
pub async fn grade_for_school(
    db: &impl ConnectionTrait,
    grade_id: i64,
    school: &school::Model,
) -> Result<grade::Model> {
    let grade = grade::Entity::find_by_id(grade_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::field("grade_id", "El grado no existe."))?;
    if grade.level != school.level {
        return Err(ApiError::field(
            "grade_id",
            "El grado no corresponde al nivel de la IE.",
        ));
    }
    Ok(grade)
}
