//! A student's record: every year with a closed acta, from the IE where it was closed, with its
//! areas, grades and final situation. What a certificate is issued from.

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use entity::{
    student,
    vocabulary::{AreaKind, EnrollmentStatus, FinalSituation, GradeScale, Level},
};

use super::{scale, sheet};
use crate::{
    auth::{Target, policy::Action, principal::Principal},
    domain::StudentDocument,
    error::{ApiError, Result},
    record::{AuditAction, Change, Event, record},
};

/// `GET /students/record?document=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RecordQuery {
    /// DNI (8 digits) or código de estudiante (14 digits).
    pub document: String,
}

/// One area's grade in a year of the record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordGrade {
    pub code: String,
    pub area: String,
    pub kind: AreaKind,
    pub scale: GradeScale,
    /// `15` or `AD`.
    pub value: String,
}

/// Where a year of the record comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum YearOrigin {
    /// An acta of a section enrolled during its academic year.
    Acta,
    /// An acta of a year recorded after it ended, approved by the Especialista SIAGIE named.
    Regularization {
        approved_by: String,
        approved_on: NaiveDate,
    },
}

/// A year of the record: the closed acta of the section the student finished it in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordYear {
    pub year: i32,
    pub level: Level,
    /// `Quinto grado`.
    pub grade: String,
    /// 1 for the first grade of the level.
    pub grade_ordinal: i16,
    pub section: String,
    pub school_id: i64,
    /// Código modular and anexo of the IE, `0412345-0`.
    pub codigo_modular: String,
    pub school_name: String,
    pub grades: Vec<RecordGrade>,
    /// The year's final situation: the acta's, or for a student who required recuperación, the
    /// one its recuperación led to once recorded.
    pub situation: FinalSituation,
    pub origin: YearOrigin,
    /// The recuperación pedagógica of a year the acta left `requiere_recuperacion`, once recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecordRecovery>,
}

/// The recuperación of a year: its grades in the areas the acta left failed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordRecovery {
    pub grades: Vec<RecordGrade>,
    pub recorded_on: NaiveDate,
}

/// A student and its record.
#[derive(Debug, Serialize, ToSchema)]
pub struct StudentRecord {
    pub student_id: i64,
    pub document: String,
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub years: Vec<RecordYear>,
}

/// The record's query: every enrollment of a student with its section, grade, year and IE (with
/// its UGEL and DRE, for the caller's reach), and for the closed actas its situation and grades,
/// one row per grade. One round trip, served by the keys of each table. An enrollment made after
/// its year ended (a regularization) counts only once its section's regularization is approved,
/// and then names who approved it.
const RECORD: &str = "\
    SELECT e.id AS enrollment_id, e.status AS status, s.name AS section, g.level AS level, \
           g.name AS grade, g.ordinal AS ordinal, ay.year AS year, sc.id AS school_id, \
           sc.codigo_modular AS codigo_modular, sc.anexo AS anexo, sc.name AS school_name, \
           sc.level AS school_level, u.id AS ugel_id, u.dre_id AS dre_id, a.id AS acta_id, \
           fs.situation AS situation, ca.code AS code, ca.name AS area, ca.kind AS kind, \
           ca.scale AS scale, fg.value AS value, r.decided_at AS approved_at, \
           ap.given_names AS approver_given, ap.paternal_surname AS approver_paternal, \
           ap.maternal_surname AS approver_maternal, rc.situation AS recovery_situation, \
           rc.recorded_at AS recovery_at \
    FROM enrollment e \
    JOIN section s ON s.id = e.section_id \
    JOIN grade g ON g.id = s.grade_id \
    JOIN academic_year ay ON ay.id = s.academic_year_id \
    JOIN school sc ON sc.id = s.school_id \
    JOIN ugel u ON u.id = sc.ugel_id \
    LEFT JOIN acta a ON a.section_id = s.id AND a.closed_at IS NOT NULL \
    LEFT JOIN final_situation fs ON fs.enrollment_id = e.id AND a.id IS NOT NULL \
    LEFT JOIN final_grade fg ON fg.enrollment_id = e.id AND a.id IS NOT NULL \
    LEFT JOIN curricular_area ca ON ca.id = fg.area_id \
    LEFT JOIN recovery rc ON rc.enrollment_id = e.id AND fs.situation = 'requiere_recuperacion' \
    LEFT JOIN regularization r ON r.section_id = s.id AND e.regularization = TRUE \
    LEFT JOIN user_account ua ON ua.id = r.decided_by \
    LEFT JOIN person ap ON ap.id = ua.person_id \
    WHERE e.student_id = $1 AND (e.regularization = FALSE OR r.status = 'approved') \
    ORDER BY ay.year, e.id, ca.position, ca.id";

/// The recuperación grades of a student's enrollments, with their areas, in the order of the
/// areas.
const RECOVERY_GRADES: &str = "\
    SELECT rg.enrollment_id AS enrollment_id, ca.code AS code, ca.name AS area, ca.kind AS kind, \
           ca.scale AS scale, rg.value AS value \
    FROM recovery_grade rg \
    JOIN enrollment e ON e.id = rg.enrollment_id \
    JOIN curricular_area ca ON ca.id = rg.area_id \
    WHERE e.student_id = $1 \
    ORDER BY rg.enrollment_id, ca.position, ca.id";

/// Where a student studied and what its closed actas say.
struct Studied {
    /// The IE of each enrollment, as an authorization target.
    schools: Vec<Target>,
    /// The IE of the latest enrollment (the current one, or the last), when it continues the
    /// student's schooling: in the year of the one before it (a traslado) or the next.
    current: Option<Target>,
    years: Vec<RecordYear>,
}

async fn studied(db: &impl ConnectionTrait, student_id: i64) -> Result<Studied> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            RECORD,
            [student_id.into()],
        ))
        .await?;
    let mut schools: Vec<Target> = Vec::new();
    // (enrollment, year, IE) of the latest two enrollments.
    let mut latest: Option<(i64, i32, Target)> = None;
    let mut before_latest: Option<i32> = None;
    let mut years: Vec<(i64, RecordYear)> = Vec::new();
    let bad = |what: &str| ApiError::Internal(anyhow::anyhow!("record: {what}"));
    for row in rows {
        let text = |column: &str| row.try_get::<String>("", column);
        let school_level = Level::parse(&text("school_level")?).map_err(|_| bad("level"))?;
        let target = Target::school(
            row.try_get("", "school_id")?,
            row.try_get("", "ugel_id")?,
            row.try_get("", "dre_id")?,
            school_level,
        );
        if !schools.contains(&target) {
            schools.push(target);
        }
        // Rows come by year: the last enrollment is the latest.
        let enrollment_id: i64 = row.try_get("", "enrollment_id")?;
        let year_number: i32 = row.try_get("", "year")?;
        if latest.is_none_or(|(id, _, _)| id != enrollment_id) {
            before_latest = latest.map(|(_, year, _)| year);
            latest = Some((enrollment_id, year_number, target));
        }
        // A year is in the record once its acta is closed; one left by traslado is told by the
        // IE the student moved to.
        let acta: Option<i64> = row.try_get("", "acta_id")?;
        let status = EnrollmentStatus::parse(&text("status")?).map_err(|_| bad("status"))?;
        if acta.is_none() || status == EnrollmentStatus::Trasladado {
            continue;
        }
        let mut situation = match row.try_get::<Option<String>>("", "situation")? {
            Some(code) => FinalSituation::parse(&code).map_err(|_| bad("situation"))?,
            None if status == EnrollmentStatus::Activo => continue,
            None => FinalSituation::Retirado,
        };
        let recovery = match row.try_get::<Option<String>>("", "recovery_situation")? {
            Some(code) => {
                situation = FinalSituation::parse(&code).map_err(|_| bad("recovery"))?;
                let at: chrono::DateTime<chrono::Utc> = row.try_get("", "recovery_at")?;
                Some(RecordRecovery {
                    grades: Vec::new(),
                    recorded_on: at.with_timezone(&crate::time::LIMA).date_naive(),
                })
            }
            None => None,
        };
        let enrollment: i64 = row.try_get("", "enrollment_id")?;
        if years.last().is_none_or(|(id, _)| *id != enrollment) {
            let anexo: i16 = row.try_get("", "anexo")?;
            years.push((
                enrollment,
                RecordYear {
                    year: row.try_get("", "year")?,
                    level: Level::parse(&text("level")?).map_err(|_| bad("level"))?,
                    grade: text("grade")?,
                    grade_ordinal: row.try_get("", "ordinal")?,
                    section: text("section")?,
                    school_id: row.try_get("", "school_id")?,
                    codigo_modular: format!("{}-{anexo}", text("codigo_modular")?),
                    school_name: text("school_name")?,
                    grades: Vec::new(),
                    situation,
                    origin: origin(&row)?,
                    recovery,
                },
            ));
        }
        if let (Some(code), Some(value)) = (
            row.try_get::<Option<String>>("", "code")?,
            row.try_get::<Option<i16>>("", "value")?,
        ) && let Some((_, year)) = years.last_mut()
        {
            let kind = AreaKind::parse(&text("kind")?).map_err(|_| bad("kind"))?;
            let scale = GradeScale::parse(&text("scale")?).map_err(|_| bad("scale"))?;
            year.grades.push(RecordGrade {
                code,
                area: text("area")?,
                kind,
                scale,
                value: scale::show(scale, value),
            });
        }
    }
    let current = latest
        .filter(|(_, year, _)| before_latest.is_none_or(|before| year - before <= 1))
        .map(|(_, _, target)| target);
    if years.iter().any(|(_, y)| y.recovery.is_some()) {
        recovery_grades(db, student_id, &mut years).await?;
    }
    Ok(Studied {
        schools,
        current,
        years: years.into_iter().map(|(_, y)| y).collect(),
    })
}

/// Adds their recuperación grades to the years that have one.
async fn recovery_grades(
    db: &impl ConnectionTrait,
    student_id: i64,
    years: &mut [(i64, RecordYear)],
) -> Result<()> {
    let bad = |what: &str| ApiError::Internal(anyhow::anyhow!("record recovery: {what}"));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            RECOVERY_GRADES,
            [student_id.into()],
        ))
        .await?;
    for row in rows {
        let enrollment: i64 = row.try_get("", "enrollment_id")?;
        let Some(recovery) = years
            .iter_mut()
            .find(|(id, _)| *id == enrollment)
            .and_then(|(_, y)| y.recovery.as_mut())
        else {
            continue;
        };
        let text = |column: &str| row.try_get::<String>("", column);
        let scale = GradeScale::parse(&text("scale")?).map_err(|_| bad("scale"))?;
        recovery.grades.push(RecordGrade {
            code: text("code")?,
            area: text("area")?,
            kind: AreaKind::parse(&text("kind")?).map_err(|_| bad("kind"))?,
            scale,
            value: scale::show(scale, row.try_get("", "value")?),
        });
    }
    Ok(())
}

/// Where the year of a row of [`RECORD`] comes from.
fn origin(row: &sea_orm::QueryResult) -> Result<YearOrigin> {
    let Some(approved_at) =
        row.try_get::<Option<chrono::DateTime<chrono::Utc>>>("", "approved_at")?
    else {
        return Ok(YearOrigin::Acta);
    };
    let name = |column: &str| row.try_get::<Option<String>>("", column);
    let approved_by = [
        name("approver_given")?,
        name("approver_paternal")?,
        name("approver_maternal")?,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    Ok(YearOrigin::Regularization {
        approved_by,
        approved_on: approved_at.with_timezone(&crate::time::LIMA).date_naive(),
    })
}

/// Every closed year of a student, oldest first. A year the student left by traslado is told by
/// the IE it moved to; a year whose acta is not closed is not part of the record yet.
pub async fn student_record(db: &impl ConnectionTrait, student_id: i64) -> Result<Vec<RecordYear>> {
    Ok(studied(db, student_id).await?.years)
}

/// The years of a student an IE reads: every year when the student's latest enrollment is in the
/// IE and continues its schooling there, otherwise the years it studied in the IE.
pub async fn years_for_school(
    db: &impl ConnectionTrait,
    student_id: i64,
    school_id: i64,
) -> Result<Vec<RecordYear>> {
    let studied = studied(db, student_id).await?;
    let mut years = studied.years;
    if studied.current.and_then(|c| c.school_id) != Some(school_id) {
        years.retain(|y| y.school_id == school_id);
    }
    Ok(years)
}

/// The record of a student found by document, for a caller who reads records where the student
/// studied (the UGEL and DRE specialists over one of its IEs, MINEDU) and for the director of an
/// IE where it studied. A director reads the years of other IEs only for a student whose latest
/// enrollment is in its IE (a traslado, or the next year's matrícula, made with the student's
/// names), and that read is audited; otherwise only its own IE's years. Any other document,
/// existing or not, is answered 404 alike.
pub async fn read(
    db: &DatabaseConnection,
    p: &Principal,
    query: RecordQuery,
) -> Result<StudentRecord> {
    let document =
        StudentDocument::parse(&query.document).map_err(|m| ApiError::field("document", m))?;
    if p.reach(Action::ReadRecord).is_empty() {
        return Err(ApiError::forbidden());
    }
    let not_found = || ApiError::not_found("el estudiante");
    let student = student::Entity::find()
        .filter(match &document {
            StudentDocument::Dni(dni) => student::Column::Dni.eq(dni.as_str()),
            StudentDocument::Code(code) => student::Column::StudentCode.eq(code.as_str()),
        })
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let studied = studied(db, student.id).await?;
    if !studied
        .schools
        .iter()
        .any(|school| p.can(Action::ReadRecord, school))
    {
        return Err(not_found());
    }
    let reach = p.reach(Action::ReadRecord);
    let oversees = reach.national || !reach.dres.is_empty() || !reach.ugels.is_empty();
    let continues_here = studied
        .current
        .is_some_and(|current| p.can(Action::ReadRecord, &current));
    let mut years = studied.years;
    if !oversees {
        let own = |year: &RecordYear| {
            studied
                .schools
                .iter()
                .any(|s| s.school_id == Some(year.school_id) && p.can(Action::ReadRecord, s))
        };
        if continues_here {
            let elsewhere: Vec<(i32, &str)> = years
                .iter()
                .filter(|y| !own(y))
                .map(|y| (y.year, y.codigo_modular.as_str()))
                .collect();
            if !elsewhere.is_empty()
                && let Some(current) = studied.current
            {
                let event = Event::new(AuditAction::StudentRecordRead, student.id)
                    .by(p.user_id)
                    .in_unit(current)
                    .after(&serde_json::json!({ "years_elsewhere": elsewhere }));
                record(db, Change::Audited(event)).await?;
            }
        } else {
            years.retain(own);
        }
    }
    Ok(StudentRecord {
        student_id: student.id,
        document: sheet::document(&student),
        full_name: sheet::full_name(&student),
        birth_date: student.birth_date,
        years,
    })
}
