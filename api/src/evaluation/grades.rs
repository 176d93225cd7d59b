//! Entering final grades: a section's grades in one request (the web), or a CSV file of the
//! section (one row per student, one column per area). Both check everything first and write all
//! or nothing; a student whose grades change must have its final situation confirmed again.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityTrait, QueryFilter, Statement, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::{
    final_grade, final_situation, teacher_area,
    vocabulary::{EnrollmentStatus, FinalSituation},
};

use super::{
    modification::tell_dropped_recoveries,
    scale,
    sheet::{self, GradeError, Sheet},
};
use crate::{
    auth::{policy::Action, principal::Principal},
    error::{ApiError, ErrorCode, Result},
    links::Links,
    record::{AuditAction, Change, Event, record},
    registry::repo::{SectionScope, section_scope},
    time::now,
};

/// Most grades in one request: a section of 60 students with 20 areas.
const MAX_GRADES: usize = 1200;

/// One grade to record.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GradeInput {
    pub enrollment_id: i64,
    pub area_id: i64,
    /// `0`–`20` on the vigesimal scale, `AD`, `A`, `B` or `C` on the literal one; `null` erases it.
    pub value: Option<String>,
    /// The value the writer last saw (`""` for none), to write only over it: when the acta holds
    /// another value by then, nothing is written (409 `changed_since_loaded`, with each such
    /// grade's index under `details.grades`). Without it, the grade is written whatever stands.
    #[serde(default)]
    pub was: Option<String>,
}

/// `PUT /sections/{id}/acta/grades` body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct GradesInput {
    pub grades: Vec<GradeInput>,
}

/// What a write of grades did.
#[derive(Debug, Serialize, ToSchema)]
pub struct GradesSaved {
    /// Grades written, changed or erased.
    pub changed: usize,
    /// Students whose recorded final situation must be confirmed again.
    pub situations_to_confirm: usize,
    /// Students whose recorded recuperación the new grades left without ground (under an
    /// exceptional modification): deleted, to be recorded again.
    pub recoveries_dropped: usize,
}

/// A grade checked against the acta.
struct Checked {
    enrollment_id: i64,
    area_id: i64,
    value: Option<i16>,
    /// The value the writer saw, when it said (`Some(None)`: none).
    was: Option<Option<i16>>,
}

/// The section, authorized for entering grades.
async fn in_reach(db: &DatabaseConnection, p: &Principal, section_id: i64) -> Result<SectionScope> {
    let scope = section_scope(db, section_id).await?;
    p.authorize(Action::EnterGrades, &scope.target)?;
    Ok(scope)
}

/// The areas a caller may grade in a section: every one for whoever keeps the IE's actas; for a
/// teacher, those assigned to it there (all when none is).
/// The areas a person grades in a section: every one for who keeps the acta (`None`), else
/// those assigned to it (every one when none is).
pub async fn allowed_areas(
    db: &impl ConnectionTrait,
    p: &Principal,
    scope: &SectionScope,
) -> Result<Option<HashSet<i64>>> {
    if p.can(Action::KeepActa, &scope.target) {
        return Ok(None);
    }
    let assigned: HashSet<i64> = teacher_area::Entity::find()
        .filter(teacher_area::Column::SectionId.eq(scope.section.id))
        .filter(teacher_area::Column::PersonId.eq(p.person_id))
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.area_id)
        .collect();
    Ok((!assigned.is_empty()).then_some(assigned))
}

/// Checks one grade against the acta: a student of the section still enrolled, an area the
/// section takes, a value on its scale.
fn check(sheet: &Sheet, input: &GradeInput) -> std::result::Result<Checked, (String, String)> {
    let Some((enrollment, _)) = sheet.enrollment(input.enrollment_id) else {
        return Err((
            "enrollment_id".into(),
            "El estudiante no está matriculado en esta sección.".into(),
        ));
    };
    if enrollment.status != EnrollmentStatus::Activo {
        let date = enrollment
            .status_date
            .map(|d| format!(" el {}", d.format("%d/%m/%Y")))
            .unwrap_or_default();
        return Err((
            "enrollment_id".into(),
            format!(
                "La matrícula del estudiante terminó ({}{date}): conserva las calificaciones registradas antes, pero no se registran nuevas.",
                enrollment.status.code()
            ),
        ));
    }
    let Some(area) = sheet.area(input.area_id) else {
        return Err((
            "area_id".into(),
            format!(
                "La sección no lleva esa área curricular en {}.",
                sheet.scope.year.year
            ),
        ));
    };
    let on_scale = |field: &str, text: Option<&str>| match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => scale::parse(area.scale, text)
            .map(Some)
            .map_err(|m| (field.to_owned(), format!("{}: {m}", area.name))),
    };
    let value = on_scale("value", input.value.as_deref())?;
    let was = match &input.was {
        None => None,
        Some(text) => Some(on_scale("was", Some(text.as_str()))?),
    };
    Ok(Checked {
        enrollment_id: input.enrollment_id,
        area_id: input.area_id,
        value,
        was,
    })
}

/// Records a section's grades (teachers of the section in their areas, the director in every
/// section of its IE): all or none.
pub async fn enter(
    db: &DatabaseConnection,
    links: Links<'_>,
    p: &Principal,
    section_id: i64,
    input: GradesInput,
) -> Result<GradesSaved> {
    let scope = in_reach(db, p, section_id).await?;
    if input.grades.len() > MAX_GRADES {
        return Err(ApiError::field(
            "grades",
            format!("Envíe hasta {MAX_GRADES} calificaciones por solicitud."),
        ));
    }
    let txn = crate::db::begin(db).await?;
    let saved = apply(&txn, links, p, scope, Source::Request(input.grades)).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Records a section's grades from a CSV file: a `documento` column and one column per area code
/// (`MAT`, `COM`, …); an empty cell leaves the grade as it is. All rows or none.
pub async fn import(
    db: &DatabaseConnection,
    links: Links<'_>,
    p: &Principal,
    section_id: i64,
    bytes: &[u8],
) -> Result<GradesSaved> {
    let scope = in_reach(db, p, section_id).await?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::invalid_body("El archivo debe estar codificado en UTF-8."))?;
    let txn = crate::db::begin(db).await?;
    let saved = apply(&txn, links, p, scope, Source::File(text)).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Where the grades come from.
enum Source<'a> {
    Request(Vec<GradeInput>),
    File(&'a str),
}

async fn apply(
    txn: &DatabaseTransaction,
    links: Links<'_>,
    p: &Principal,
    scope: SectionScope,
    source: Source<'_>,
) -> Result<GradesSaved> {
    let at = now();
    let acta = sheet::lock(txn, scope.section.id).await?;
    let target = scope.target;
    let sheet = Sheet::load(txn, scope).await?;
    sheet.ensure_writable(at)?;
    let (inputs, errors, from_file) = match source {
        Source::Request(inputs) => (inputs.into_iter().enumerate().collect(), Vec::new(), false),
        Source::File(text) => {
            let (inputs, errors) = read_file(&sheet, text)?;
            (inputs, errors, true)
        }
    };
    let allowed = allowed_areas(txn, p, &sheet.scope).await?;
    let checked = check_all(&sheet, &inputs, errors, from_file, allowed.as_ref())?;

    // Only what changes is written and audited.
    let changes: Vec<&Checked> = checked
        .iter()
        .filter(|c| sheet.grades.get(&(c.enrollment_id, c.area_id)).copied() != c.value)
        .collect();
    if changes.is_empty() {
        return Ok(GradesSaved {
            changed: 0,
            situations_to_confirm: 0,
            recoveries_dropped: 0,
        });
    }
    write(txn, &changes).await?;
    let to_confirm = unconfirm(txn, &sheet, &changes).await?;
    let outdated = outdated_recoveries(&sheet, &changes, &to_confirm);
    let cell = |c: &Checked, value: Option<i16>| {
        let area = sheet.area(c.area_id);
        serde_json::json!({
            "enrollment_id": c.enrollment_id,
            "area": area.map(|a| a.code.as_str()),
            "value": value.zip(area).map(|(v, a)| scale::show(a.scale, v)),
        })
    };
    let before: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| cell(c, sheet.grades.get(&(c.enrollment_id, c.area_id)).copied()))
        .collect();
    let after: Vec<serde_json::Value> = changes.iter().map(|c| cell(c, c.value)).collect();
    let action = if from_file {
        AuditAction::GradesImported
    } else {
        AuditAction::GradesEntered
    };
    record(
        txn,
        Change::Acta {
            event: Event::new(action, acta.id)
                .by(p.user_id)
                .in_unit(target)
                .before(&before)
                .after(&after),
            outdated: &outdated,
        },
    )
    .await?;
    if !outdated.is_empty() {
        tell_dropped_recoveries(txn, links, acta.id, &sheet.scope, outdated.len()).await?;
    }
    Ok(GradesSaved {
        changed: changes.len(),
        situations_to_confirm: to_confirm.len(),
        recoveries_dropped: outdated.len(),
    })
}

/// Checks every grade against the acta, all or none: each on its area's scale and named once
/// (422 with each error at its index, or at its file's line and column), in the caller's areas
/// (403), and as the writer saw it (409 `changed_since_loaded`: the acta is locked, so nobody
/// changes a grade between this check and the write).
fn check_all(
    sheet: &Sheet,
    inputs: &[Lined],
    mut errors: Vec<GradeError>,
    from_file: bool,
    allowed: Option<&HashSet<i64>>,
) -> Result<Vec<Checked>> {
    let mut checked = Vec::with_capacity(inputs.len());
    let mut seen = HashSet::new();
    let mut moved = Vec::new();
    for (index, input) in inputs {
        match check(sheet, input) {
            Ok(c) if !seen.insert((c.enrollment_id, c.area_id)) => errors.push(GradeError {
                index: *index,
                field: "area_id".into(),
                message: "La calificación de ese estudiante y área se repite.".into(),
            }),
            Ok(c) => {
                let now = sheet.grades.get(&(c.enrollment_id, c.area_id)).copied();
                if c.was.is_some_and(|was| was != now) {
                    moved.push(GradeError {
                        index: *index,
                        field: "was".into(),
                        message: "Alguien más cambió esta calificación mientras editaba.".into(),
                    });
                }
                checked.push(c);
            }
            Err((field, message)) => errors.push(GradeError {
                index: *index,
                // A file names the column of the area.
                field: match sheet.area(input.area_id) {
                    Some(area) if from_file && field == "value" => area.code.clone(),
                    _ => field,
                },
                message,
            }),
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.index);
        let code = if from_file {
            ErrorCode::GradesFileInvalid
        } else {
            ErrorCode::InvalidGrades
        };
        return Err(ApiError::from(code).with_details(serde_json::json!({ "grades": errors })));
    }
    if let Some(allowed) = allowed
        && checked.iter().any(|c| !allowed.contains(&c.area_id))
    {
        return Err(ApiError::from(ErrorCode::AreaNotAssigned));
    }
    if !moved.is_empty() {
        return Err(ApiError::from(ErrorCode::ChangedSinceLoaded)
            .with_details(serde_json::json!({ "grades": moved })));
    }
    Ok(checked)
}

/// Writes the grades that change: new values in one statement, erased ones in another.
async fn write(txn: &impl ConnectionTrait, changes: &[&Checked]) -> Result<()> {
    let (written, erased): (Vec<&Checked>, Vec<&Checked>) =
        changes.iter().copied().partition(|c| c.value.is_some());
    match txn.get_database_backend() {
        DbBackend::Postgres => write_postgres(txn, &written, &erased).await,
        _ => write_rows(txn, &written, &erased).await,
    }
}

/// PostgreSQL: each statement of one text whatever the number of grades (the grades travel as
/// arrays that `unnest` turns back into rows), so each connection prepares and plans it once,
/// where a multi-row `VALUES` was a statement of its own for each number of grades, with three
/// parameters a grade (1,260 for a section of 35 × 12) to parse and bind.
const UPSERT_GRADES: &str = "INSERT INTO final_grade (enrollment_id, area_id, value) \
     SELECT * FROM unnest($1::int8[], $2::int8[], $3::int2[]) \
     ON CONFLICT (enrollment_id, area_id) DO UPDATE SET value = excluded.value";
const ERASE_GRADES: &str = "DELETE FROM final_grade \
     WHERE (enrollment_id, area_id) IN (SELECT * FROM unnest($1::int8[], $2::int8[]))";

async fn write_postgres(
    txn: &impl ConnectionTrait,
    written: &[&Checked],
    erased: &[&Checked],
) -> Result<()> {
    let column = |grades: &[&Checked], f: fn(&Checked) -> i64| -> sea_orm::Value {
        grades.iter().map(|c| f(c)).collect::<Vec<i64>>().into()
    };
    if !written.is_empty() {
        let values: Vec<i16> = written.iter().filter_map(|c| c.value).collect();
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            UPSERT_GRADES,
            [
                column(written, |c| c.enrollment_id),
                column(written, |c| c.area_id),
                values.into(),
            ],
        ))
        .await?;
    }
    if !erased.is_empty() {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            ERASE_GRADES,
            [
                column(erased, |c| c.enrollment_id),
                column(erased, |c| c.area_id),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// SQLite (in process: a statement's text costs no round trip): multi-row statements.
async fn write_rows(
    txn: &impl ConnectionTrait,
    written: &[&Checked],
    erased: &[&Checked],
) -> Result<()> {
    let rows: Vec<final_grade::ActiveModel> = written
        .iter()
        .filter_map(|c| {
            c.value.map(|value| final_grade::ActiveModel {
                enrollment_id: sea_orm::ActiveValue::Set(c.enrollment_id),
                area_id: sea_orm::ActiveValue::Set(c.area_id),
                value: sea_orm::ActiveValue::Set(value),
            })
        })
        .collect();
    if !rows.is_empty() {
        final_grade::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    final_grade::Column::EnrollmentId,
                    final_grade::Column::AreaId,
                ])
                .update_column(final_grade::Column::Value)
                .to_owned(),
            )
            .exec(txn)
            .await?;
    }
    // SQLite nests a chain of `OR` one level per term, and refuses a statement deeper than 1,000.
    for chunk in erased.chunks(200) {
        let mut which = Condition::any();
        for c in chunk {
            which = which.add(
                Condition::all()
                    .add(final_grade::Column::EnrollmentId.eq(c.enrollment_id))
                    .add(final_grade::Column::AreaId.eq(c.area_id)),
            );
        }
        final_grade::Entity::delete_many()
            .filter(which)
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// A situation confirmed against other grades must be confirmed again: deletes those of the
/// students whose grades change, and answers whose.
async fn unconfirm(
    txn: &impl ConnectionTrait,
    sheet: &Sheet,
    changes: &[&Checked],
) -> Result<Vec<i64>> {
    let touched: HashSet<i64> = changes.iter().map(|c| c.enrollment_id).collect();
    let to_confirm: Vec<i64> = touched
        .iter()
        .copied()
        .filter(|e| sheet.situations.contains_key(e))
        .collect();
    if !to_confirm.is_empty() {
        final_situation::Entity::delete_many()
            .filter(final_situation::Column::EnrollmentId.is_in(to_confirm.iter().copied()))
            .filter(final_situation::Column::Situation.is_in([
                FinalSituation::Promovido,
                FinalSituation::RequiereRecuperacion,
                FinalSituation::Permanece,
            ]))
            .exec(txn)
            .await?;
    }
    Ok(to_confirm)
}

/// The recorded recuperaciones the new grades leave without ground (see
/// [`Sheet::outdated_recoveries`]): only under an exceptional modification can a closed acta's
/// recuperación meet new grades.
fn outdated_recoveries(sheet: &Sheet, changes: &[&Checked], unconfirmed: &[i64]) -> Vec<i64> {
    if sheet.recoveries.is_empty() {
        return Vec::new();
    }
    let changed: HashMap<(i64, i64), Option<i16>> = changes
        .iter()
        .map(|c| ((c.enrollment_id, c.area_id), c.value))
        .collect();
    sheet.outdated_recoveries(
        |e, area| match changed.get(&(e, area)) {
            Some(value) => *value,
            None => sheet.grades.get(&(e, area)).copied(),
        },
        |e| {
            sheet
                .situations
                .get(&e)
                .filter(|_| !unconfirmed.contains(&e))
                .map(|s| s.situation)
        },
    )
}

/// A grade read from a file, with its line.
type Lined = (usize, GradeInput);

/// Most rows of a file.
const MAX_ROWS: usize = 200;

/// Reads a grades file into the grades it carries, each with its line, and the lines whose student
/// is not in the section.
fn read_file(sheet: &Sheet, text: &str) -> Result<(Vec<Lined>, Vec<GradeError>)> {
    let text = text.trim_start_matches('\u{feff}');
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|_| ApiError::invalid_body("No se pudo leer la fila de encabezados del CSV."))?
        .iter()
        .map(|h| h.trim().to_uppercase())
        .collect();
    let Some(document_column) = headers.iter().position(|h| h == "DOCUMENTO") else {
        return Err(ApiError::invalid_body(
            "Falta la columna «documento» en el encabezado.",
        ));
    };
    let codes: HashMap<&str, i64> = sheet
        .areas
        .iter()
        .map(|a| (a.code.as_str(), a.id))
        .collect();
    let mut columns = Vec::new();
    let mut unknown = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        if i == document_column {
            continue;
        }
        match codes.get(header.as_str()) {
            Some(area_id) => columns.push((i, *area_id)),
            None => unknown.push(header.clone()),
        }
    }
    if !unknown.is_empty() {
        let expected: Vec<&str> = sheet.areas.iter().map(|a| a.code.as_str()).collect();
        return Err(ApiError::invalid_body(format!(
            "Columnas que no son áreas de la sección en {}: {}. Las áreas son: {}.",
            sheet.scope.year.year,
            unknown.join(", "),
            expected.join(", ")
        )));
    }
    let by_document: HashMap<String, i64> = sheet
        .students
        .iter()
        .map(|(e, s)| (sheet::document(s), e.id))
        .collect();
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for (n, row) in reader.records().enumerate() {
        let line = n + 2;
        let Ok(row) = row else {
            errors.push(GradeError {
                index: line,
                field: "fila".into(),
                message: "La fila no se pudo leer.".into(),
            });
            continue;
        };
        if row.iter().all(str::is_empty) {
            continue;
        }
        if n >= MAX_ROWS {
            return Err(ApiError::invalid_body(format!(
                "Un archivo de calificaciones admite hasta {MAX_ROWS} estudiantes."
            )));
        }
        let document = row.get(document_column).unwrap_or_default().to_uppercase();
        let Some(enrollment_id) = by_document.get(&document).copied() else {
            errors.push(GradeError {
                index: line,
                field: "documento".into(),
                message: "No hay un estudiante con ese documento en la sección.".into(),
            });
            continue;
        };
        for (column, area_id) in &columns {
            let cell = row.get(*column).unwrap_or_default();
            if !cell.is_empty() {
                inputs.push((
                    line,
                    GradeInput {
                        enrollment_id,
                        area_id: *area_id,
                        value: Some(cell.to_owned()),
                        was: None,
                    },
                ));
            }
        }
    }
    Ok((inputs, errors))
}
