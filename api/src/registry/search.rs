//! Finding things within one's reach: a student by document, the accounts of a unit (what a baja
//! needs), and IEs by name whatever the accents.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::{Expr, SimpleExpr},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use entity::{
    academic_year, enrollment, grade, person, role_assignment, school, section, student,
    user_account,
};

use crate::{
    auth::{
        policy::{Action, Role, Target, UnitKind},
        principal::Principal,
    },
    domain::StudentDocument,
    error::{ApiError, ErrorCode, Result},
};

/// `GET /students?document=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StudentQuery {
    /// DNI (8 digits) or código de estudiante (14 digits).
    pub document: String,
}

/// A student found, with the enrollments the caller may read.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudentFound {
    pub student_id: i64,
    pub dni: Option<String>,
    pub student_code: Option<String>,
    pub paternal_surname: String,
    pub maternal_surname: String,
    pub given_names: String,
    pub enrollments: Vec<EnrollmentFound>,
}

/// One enrollment of a student found.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentFound {
    pub enrollment_id: i64,
    pub academic_year: i32,
    pub school_id: i64,
    /// Código modular and anexo, `0412345-0`.
    pub school_code: String,
    pub school_name: String,
    pub section_id: i64,
    pub grade: String,
    pub section: String,
    pub starts_on: NaiveDate,
    /// `activo`, `trasladado`, `retirado` or `fallecido`.
    pub status: String,
}

/// `GET /accounts?school_id=` (or `ugel_id`, `dre_id`).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    pub school_id: Option<i64>,
    pub ugel_id: Option<i64>,
    pub dre_id: Option<i64>,
}

/// An account with its active assignments in the unit.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitAccount {
    pub user_id: i64,
    pub username: String,
    pub paternal_surname: String,
    pub maternal_surname: String,
    pub given_names: String,
    pub assignments: Vec<UnitAssignment>,
}

/// An active assignment: what a baja names.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitAssignment {
    pub assignment_id: i64,
    pub role: Role,
    pub role_name: &'static str,
    pub level: Option<String>,
    pub starts_at: DateTime<Utc>,
}

/// Whether the caller files bajas in the unit: the director of the IE (for its staff), or a
/// MINEDU, DRE or UGEL role over it (not the help desk).
fn files_bajas(p: &Principal, target: &Target, is_school: bool) -> bool {
    (is_school && p.holds(Role::Director, target))
        || p.assignments.iter().any(|a| {
            a.role.unit_kind() != UnitKind::School
                && a.role != Role::HelpdeskAgent
                && a.covers(target, &[])
        })
}

/// A text column folded as [`fold`] folds a query: lower case, without accents, ñ as n (typed on a
/// keyboard without it), the same on SQLite (whose `LOWER` knows only ASCII) and PostgreSQL.
pub fn folded(column: &str) -> SimpleExpr {
    let mut sql = column.to_owned();
    for (from, to) in [
        ("Á", "a"),
        ("É", "e"),
        ("Í", "i"),
        ("Ó", "o"),
        ("Ú", "u"),
        ("Ü", "u"),
        ("á", "a"),
        ("é", "e"),
        ("í", "i"),
        ("ó", "o"),
        ("ú", "u"),
        ("ü", "u"),
        ("Ñ", "n"),
        ("ñ", "n"),
    ] {
        sql = format!("REPLACE({sql}, '{from}', '{to}')");
    }
    Expr::cust(format!("LOWER({sql})"))
}

/// A query folded for [`folded`], with LIKE's wildcards escaped.
pub fn fold(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    for c in query.chars().flat_map(char::to_lowercase) {
        match crate::domain::unaccented(c) {
            'ñ' => out.push('n'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Find a student by DNI or código de estudiante. Only a student with an enrollment in the
/// caller's reach is answered (a teacher: in the sections it teaches), with those enrollments; any
/// other document answers an empty list, whether or not it exists.
pub async fn find_student(
    db: &DatabaseConnection,
    p: &Principal,
    query: StudentQuery,
) -> Result<Vec<StudentFound>> {
    let document =
        StudentDocument::parse(&query.document).map_err(|m| ApiError::field("document", m))?;
    let Some(found) = student::Entity::find()
        .filter(match &document {
            StudentDocument::Dni(d) => student::Column::Dni.eq(d.as_str()),
            StudentDocument::Code(c) => student::Column::StudentCode.eq(c.as_str()),
        })
        .one(db)
        .await?
    else {
        return Ok(Vec::new());
    };
    let enrollments = enrollment::Entity::find()
        .filter(enrollment::Column::StudentId.eq(found.id))
        .all(db)
        .await?;
    let sections: std::collections::HashMap<i64, section::Model> = section::Entity::find()
        .filter(section::Column::Id.is_in(enrollments.iter().map(|e| e.section_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let enrollments: Vec<(enrollment::Model, Option<section::Model>)> = enrollments
        .into_iter()
        .map(|e| {
            let s = sections.get(&e.section_id).cloned();
            (e, s)
        })
        .collect();
    let schools: std::collections::HashMap<i64, (school::Model, i64)> = school::Entity::find()
        .filter(
            school::Column::Id.is_in(
                enrollments
                    .iter()
                    .filter_map(|(_, s)| s.as_ref().map(|s| s.school_id)),
            ),
        )
        .find_also_related(entity::ugel::Entity)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(s, u)| Some((s.id, (s, u?.dre_id))))
        .collect();
    let grades: std::collections::HashMap<i64, String> = grade::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let years: std::collections::HashMap<i64, i32> = academic_year::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|y| (y.id, y.year))
        .collect();
    let mut visible = Vec::new();
    for (e, s) in enrollments {
        let Some(s) = s else { continue };
        let Some((school, dre_id)) = schools.get(&s.school_id) else {
            continue;
        };
        let target = Target {
            dre_id: Some(*dre_id),
            ugel_id: Some(school.ugel_id),
            school_id: Some(school.id),
            school_level: Some(school.level),
            section_id: Some(s.id),
        };
        if !p.can(Action::ReadRoster, &target) {
            continue;
        }
        visible.push(EnrollmentFound {
            enrollment_id: e.id,
            academic_year: years.get(&s.academic_year_id).copied().unwrap_or_default(),
            school_id: school.id,
            school_code: format!("{}-{}", school.codigo_modular, school.anexo),
            school_name: school.name.clone(),
            section_id: s.id,
            grade: grades.get(&s.grade_id).cloned().unwrap_or_default(),
            section: s.name.clone(),
            starts_on: e.starts_on,
            status: e.status.code().to_owned(),
        });
    }
    if visible.is_empty() {
        return Ok(Vec::new());
    }
    visible.sort_by_key(|e| std::cmp::Reverse((e.academic_year, e.starts_on)));
    Ok(vec![StudentFound {
        student_id: found.id,
        dni: found.dni,
        student_code: found.student_code,
        paternal_surname: found.paternal_surname,
        maternal_surname: found.maternal_surname,
        given_names: found.given_names,
        enrollments: visible,
    }])
}

/// The accounts with an active role held in exactly this unit (an IE, a UGEL or a DRE), with
/// those roles, in Spanish order of their names: what a baja needs.
pub async fn unit_accounts(
    db: &DatabaseConnection,
    p: &Principal,
    query: UnitQuery,
) -> Result<Vec<UnitAccount>> {
    let (target, held_here, is_school) = match (query.school_id, query.ugel_id, query.dre_id) {
        (Some(id), None, None) => {
            let scope = super::repo::school_scope(db, id).await?;
            (
                scope.target,
                Condition::all().add(role_assignment::Column::SchoolId.eq(id)),
                true,
            )
        }
        (None, Some(id), None) => {
            let ugel = entity::ugel::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::not_found("la UGEL"))?;
            (
                Target::ugel(ugel.id, ugel.dre_id),
                Condition::all()
                    .add(role_assignment::Column::UgelId.eq(id))
                    .add(role_assignment::Column::SchoolId.is_null()),
                false,
            )
        }
        (None, None, Some(id)) => {
            entity::dre::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or_else(|| ApiError::not_found("la DRE"))?;
            (
                Target::dre(id),
                Condition::all()
                    .add(role_assignment::Column::DreId.eq(id))
                    .add(role_assignment::Column::UgelId.is_null())
                    .add(role_assignment::Column::SchoolId.is_null()),
                false,
            )
        }
        _ => {
            return Err(ApiError::because(
                ErrorCode::InvalidQuery,
                "Indique una sola unidad: school_id, ugel_id o dre_id.",
            ));
        }
    };
    if !files_bajas(p, &target, is_school) {
        return Err(ApiError::forbidden());
    }
    let assignments = role_assignment::Entity::find()
        .filter(role_assignment::Column::Active.eq(true))
        .filter(held_here)
        .all(db)
        .await?;
    let accounts = user_account::Entity::find()
        .filter(user_account::Column::Id.is_in(assignments.iter().map(|a| a.user_id)))
        .all(db)
        .await?;
    let people: std::collections::HashMap<i64, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(accounts.iter().map(|a| a.person_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let accounts: Vec<(user_account::Model, Option<person::Model>)> = accounts
        .into_iter()
        .map(|a| {
            let holder = people.get(&a.person_id).cloned();
            (a, holder)
        })
        .collect();
    let mut out: Vec<UnitAccount> = accounts
        .into_iter()
        .filter_map(|(account, holder)| {
            let holder = holder?;
            Some(UnitAccount {
                user_id: account.id,
                username: account.username,
                paternal_surname: holder.paternal_surname,
                maternal_surname: holder.maternal_surname,
                given_names: holder.given_names,
                assignments: assignments
                    .iter()
                    .filter(|a| a.user_id == account.id)
                    .filter_map(|a| {
                        let role = Role::parse(&a.role)?;
                        Some(UnitAssignment {
                            assignment_id: a.id,
                            role,
                            role_name: role.label(),
                            level: a.level.map(|l| l.code().to_owned()),
                            starts_at: a.starts_at,
                        })
                    })
                    .collect(),
            })
        })
        .collect();
    out.sort_by_cached_key(|a| {
        crate::domain::person_key(&a.paternal_surname, &a.maternal_surname, &a.given_names)
    });
    Ok(out)
}
