//! Recuperación pedagógica: once the acta is closed, the director records, for each student it
//! left *requiere recuperación*, the recuperación's grade in every area the acta left failed and
//! the situation they lead to (promovido or permanece). The acta stays as it was closed; the result
//! is kept beside it, audited, and read by the record, the acta's PDF and the certificates.
//!
//! A result is recorded once; it changes only while the acta is under an enabled exceptional
//! modification, as the acta itself does.

use std::collections::HashSet;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Statement, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::{
    enrollment, recovery, recovery_grade,
    vocabulary::{EnrollmentStatus, FinalSituation},
};

use super::{
    scale,
    sheet::{ActaState, ActaView, GradeError, Sheet, kept_by, lock},
};
use crate::{
    auth::principal::Principal,
    error::{ApiError, ErrorCode, Result},
    record::{AuditAction, Change, Event, record},
    time::now,
};

/// A recuperación grade, typed on the area's scale.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RecoveryGradeInput {
    pub area_id: i64,
    /// `12` (vigesimal) or `A` (literal).
    pub value: String,
}

/// One student's recuperación.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RecoveryInput {
    pub enrollment_id: i64,
    /// A grade for each area the acta left failed, and for no other.
    pub grades: Vec<RecoveryGradeInput>,
    /// `promovido` or `permanece`; what the grades suggest when left out.
    pub situation: Option<FinalSituation>,
    /// Required when the situation differs from the suggestion (at least 10 letters or digits, up to 500 characters).
    pub reason: Option<String>,
}

/// `PUT /sections/{id}/acta/recovery` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RecoveriesInput {
    pub students: Vec<RecoveryInput>,
}

/// A result to record, as the audit trail keeps it.
#[derive(Debug, Serialize)]
struct Recorded {
    enrollment_id: i64,
    /// (area, grade) of the recuperación.
    grades: Vec<(i64, i16)>,
    situation: FinalSituation,
    suggested: FinalSituation,
    reason: Option<String>,
}

/// Records the recuperación of students of a closed acta: all or none.
pub async fn record_results(
    db: &DatabaseConnection,
    p: &Principal,
    section_id: i64,
    input: RecoveriesInput,
) -> Result<ActaView> {
    let scope = kept_by(db, p, section_id).await?;
    if input.students.is_empty() || input.students.len() > 200 {
        return Err(ApiError::field(
            "students",
            "Envíe entre 1 y 200 estudiantes por solicitud.",
        ));
    }
    let at = now();
    let txn = crate::db::begin(db).await?;
    let acta = lock(&txn, section_id).await?;
    let target = scope.target;
    let sheet = Sheet::load(&txn, scope).await?;
    let state = sheet.state(at);
    if state == ActaState::Abierta {
        return Err(ErrorCode::RecoveryActaOpen.into());
    }
    let (rows, errors) = check(&sheet, &input.students);
    if !errors.is_empty() {
        return Err(ApiError::from(ErrorCode::ValidationFailed)
            .with_details(serde_json::json!({ "students": errors })));
    }
    let before: Vec<&recovery::Model> = rows
        .iter()
        .filter_map(|r| sheet.recoveries.get(&r.enrollment_id).map(|(m, _)| m))
        .collect();
    if !before.is_empty() && state != ActaState::EnModificacion {
        return Err(ErrorCode::RecoveryRecorded.into());
    }
    write(&txn, p.user_id, at, &rows).await?;
    record(
        &txn,
        Change::Acta {
            event: Event::new(AuditAction::RecoveryRecorded, acta.id)
                .by(p.user_id)
                .in_unit(target)
                .before(&before)
                .after(&rows),
            outdated: &[],
        },
    )
    .await?;
    let sheet = Sheet::load(&txn, sheet.scope).await?;
    txn.commit().await?;
    Ok(sheet.view(at))
}

/// Checks each student's recuperación against the closed acta; every error under its student.
fn check(sheet: &Sheet, inputs: &[RecoveryInput]) -> (Vec<Recorded>, Vec<GradeError>) {
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (index, item) in inputs.iter().enumerate() {
        let mut fail = |field: &str, message: String| {
            errors.push(GradeError {
                index,
                field: field.into(),
                message,
            })
        };
        let enrollment = match sheet.named_once(item.enrollment_id, &mut seen) {
            Ok(enrollment) => enrollment,
            Err(message) => {
                fail("enrollment_id", message);
                continue;
            }
        };
        if enrollment.status != EnrollmentStatus::Activo
            || sheet.situation(enrollment) != Some(FinalSituation::RequiereRecuperacion)
        {
            fail(
                "enrollment_id",
                "El acta no registra a este estudiante con situación «requiere recuperación»."
                    .into(),
            );
            continue;
        }
        match result_of(sheet, enrollment, item) {
            Ok(row) => rows.push(row),
            Err((field, message)) => fail(&field, message),
        }
    }
    (rows, errors)
}

/// One student's grades and situation, checked: a grade on its scale for each failed area and for
/// no other, a situation of promovido or permanece, a reason when it is not the suggestion.
fn result_of(
    sheet: &Sheet,
    enrollment: &enrollment::Model,
    item: &RecoveryInput,
) -> std::result::Result<Recorded, (String, String)> {
    let failed = sheet.failed_areas(enrollment.id);
    let mut grades = Vec::new();
    for (j, g) in item.grades.iter().enumerate() {
        let field = |name: &str| format!("grades[{j}].{name}");
        let Some(area) = failed.iter().find(|a| a.id == g.area_id) else {
            let name = sheet
                .area(g.area_id)
                .map_or("esa área", |a| a.name.as_str());
            return Err((
                field("area_id"),
                format!("El acta no registra {name} como desaprobada para este estudiante."),
            ));
        };
        if grades.iter().any(|(id, _)| *id == area.id) {
            return Err((field("area_id"), format!("{} se repite.", area.name)));
        }
        let value = scale::parse(area.scale, &g.value).map_err(|m| (field("value"), m))?;
        grades.push((area.id, value));
    }
    if let Some(area) = failed
        .iter()
        .find(|a| !grades.iter().any(|(id, _)| *id == a.id))
    {
        return Err((
            "grades".into(),
            format!("Falta la calificación de recuperación de {}.", area.name),
        ));
    }
    let still_failed = failed
        .iter()
        .filter(|a| {
            grades
                .iter()
                .any(|(id, v)| *id == a.id && scale::fails(a.scale, *v))
        })
        .count();
    let suggested = scale::suggest_after_recovery(sheet.grade.level, still_failed);
    let situation = item.situation.unwrap_or(suggested);
    if !matches!(
        situation,
        FinalSituation::Promovido | FinalSituation::Permanece
    ) {
        return Err((
            "situation".into(),
            "Después de la recuperación la situación es promovido o permanece.".into(),
        ));
    }
    let reason = item
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if situation != suggested && !reason.is_some_and(|r| crate::domain::argued(r, 500)) {
        return Err((
            "reason".into(),
            format!(
                "Las calificaciones de recuperación sugieren «{}»: sustente otra situación ({}).",
                suggested.code(),
                crate::domain::argument_rule(500)
            ),
        ));
    }
    Ok(Recorded {
        enrollment_id: enrollment.id,
        grades,
        situation,
        suggested,
        reason: (situation != suggested)
            .then(|| reason.map(str::to_owned))
            .flatten(),
    })
}

/// How many students of a section's acta are left *requiere recuperación* without a recorded
/// result: not yet, or deleted when an exceptional modification changed the acta under it (as
/// the director's "Pendientes" counts them).
pub async fn left_to_record(db: &impl ConnectionTrait, section_id: i64) -> Result<i64> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT COUNT(*) AS students FROM enrollment e \
             JOIN final_situation fs ON fs.enrollment_id = e.id \
                  AND fs.situation = 'requiere_recuperacion' \
             LEFT JOIN recovery r ON r.enrollment_id = e.id \
             WHERE e.section_id = $1 AND r.enrollment_id IS NULL",
            [section_id.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => row.try_get("", "students")?,
        None => 0,
    })
}

async fn write(
    txn: &sea_orm::DatabaseTransaction,
    by: i64,
    at: chrono::DateTime<chrono::Utc>,
    rows: &[Recorded],
) -> Result<()> {
    let ids: Vec<i64> = rows.iter().map(|r| r.enrollment_id).collect();
    recovery_grade::Entity::delete_many()
        .filter(recovery_grade::Column::EnrollmentId.is_in(ids))
        .exec(txn)
        .await?;
    recovery::Entity::insert_many(rows.iter().map(|r| recovery::ActiveModel {
        enrollment_id: Set(r.enrollment_id),
        situation: Set(r.situation),
        suggested: Set(r.suggested),
        reason: Set(r.reason.clone()),
        recorded_by: Set(by),
        recorded_at: Set(at),
    }))
    .on_conflict(
        OnConflict::column(recovery::Column::EnrollmentId)
            .update_columns([
                recovery::Column::Situation,
                recovery::Column::Suggested,
                recovery::Column::Reason,
                recovery::Column::RecordedBy,
                recovery::Column::RecordedAt,
            ])
            .to_owned(),
    )
    .exec(txn)
    .await?;
    let grades: Vec<recovery_grade::ActiveModel> = rows
        .iter()
        .flat_map(|r| {
            r.grades
                .iter()
                .map(|(area_id, value)| recovery_grade::ActiveModel {
                    enrollment_id: Set(r.enrollment_id),
                    area_id: Set(*area_id),
                    value: Set(*value),
                })
        })
        .collect();
    if !grades.is_empty() {
        recovery_grade::Entity::insert_many(grades)
            .exec(txn)
            .await?;
    }
    Ok(())
}
