//! Bulk roster import: a section's nómina as CSV. Every row is checked; one bad row rejects the
//! whole file, with every problem listed, and nothing is written.

use std::collections::HashSet;

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

use super::{
    dto::{ImportReport, RowError},
    enrollments::{self, Conflict, EnrollmentInput},
    repo::{self, SectionScope},
};
use crate::{
    auth::{policy::Action, principal::Principal},
    domain::{FullName, StudentDocument},
    error::{ApiError, ErrorCode, Result},
    record::{AuditAction, Change, Event, record},
    time::{parse_date, today_lima},
};

/// The columns, in any order; `fecha_nacimiento` and `sexo` may be empty.
const COLUMNS: [&str; 7] = [
    "documento",
    "apellido_paterno",
    "apellido_materno",
    "nombres",
    "fecha_nacimiento",
    "sexo",
    "fecha_matricula",
];

/// Most rows accepted in one file.
const MAX_ROWS: usize = 200;

/// The section, when the caller may import its roster: checked before the file is read.
pub async fn section_for_import(
    db: &DatabaseConnection,
    p: &Principal,
    section_id: i64,
) -> Result<SectionScope> {
    let scope = repo::section_scope(db, section_id).await?;
    p.authorize(Action::ManageRoster, &scope.target)?;
    Ok(scope)
}

/// Registers a section's roster from the CSV text of a file (see [`COLUMNS`]): all rows or none.
pub async fn import_roster(
    db: &DatabaseConnection,
    p: &Principal,
    scope: SectionScope,
    bytes: &[u8],
) -> Result<ImportReport> {
    let id = scope.section.id;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::invalid_body("El archivo debe estar codificado en UTF-8."))?;
    let inputs = parse(text, &scope, today_lima())?;

    let txn = crate::db::begin(db).await?;
    if let Some(from) = inputs.iter().map(|i| i.starts_on).min() {
        super::closed::refuse_if_closed(
            &txn,
            super::closed::Sections::Ids(vec![id]),
            from,
            scope.year.ends_on,
            crate::time::now(),
        )
        .await?;
    }
    super::closed::refuse_if_acta_closed(&txn, id, crate::time::now()).await?;
    let outcome = enrollments::enroll_many(&txn, &scope, &inputs).await?;
    if !outcome.conflicts.is_empty() {
        let errors: Vec<RowError> = outcome
            .conflicts
            .into_iter()
            .map(|(index, conflict)| match conflict {
                Conflict::EnrolledElsewhere(message) => RowError {
                    line: index + 2,
                    field: "documento".into(),
                    message,
                },
                Conflict::NamesDiffer => RowError {
                    line: index + 2,
                    field: "nombres".into(),
                    message: Conflict::NAMES_DIFFER.into(),
                },
            })
            .collect();
        return Err(rejected(errors));
    }
    let event = Event::new(AuditAction::RosterImported, id)
        .by(p.user_id)
        .in_unit(scope.target)
        .after(&serde_json::json!({
            "rows": inputs.len(),
            "students_created": outcome.students_created,
            "enrolled": outcome.enrolled,
        }));
    let change = Change::Roster {
        school_id: scope.school.id,
        section_id: id,
        enrollment_id: None,
        event,
    };
    record(&txn, change).await?;
    txn.commit().await?;
    Ok(ImportReport {
        rows: inputs.len(),
        students_created: outcome.students_created,
        enrolled: outcome.enrolled,
        already_enrolled: outcome.already_enrolled,
    })
}

fn rejected(errors: Vec<RowError>) -> ApiError {
    ApiError::because(
        ErrorCode::RosterInvalid,
        format!(
            "La nómina tiene {}; no se registró ningún estudiante. Corrija las filas indicadas y vuelva a enviarla.",
            if errors.len() == 1 {
                "1 error".to_owned()
            } else {
                format!("{} errores", errors.len())
            }
        ),
    )
    .with_details(serde_json::json!({ "rows": errors }))
}

/// The value of a checked cell, or its error recorded for the row.
fn take<T>(
    errors: &mut Vec<RowError>,
    line: usize,
    field: &str,
    result: std::result::Result<T, String>,
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(message) => {
            errors.push(RowError {
                line,
                field: field.into(),
                message,
            });
            None
        }
    }
}

/// Reads and checks every row.
fn parse(text: &str, scope: &SectionScope, today: NaiveDate) -> Result<Vec<EnrollmentInput>> {
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
        .map(|h| h.to_lowercase())
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .copied()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid_body(format!(
            "Faltan columnas en el encabezado: {}.",
            missing.join(", ")
        )));
    }
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap_or_default();
    let idx: Vec<usize> = COLUMNS.iter().map(|c| column(c)).collect();

    let mut inputs = Vec::new();
    let mut sexes = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                errors.push(RowError {
                    line,
                    field: "fila".into(),
                    message: "La fila no se pudo leer.".into(),
                });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        if inputs.len() + errors.len() >= MAX_ROWS {
            return Err(ApiError::because(
                ErrorCode::RosterTooLarge,
                format!("Una nómina admite hasta {MAX_ROWS} estudiantes por archivo."),
            ));
        }
        let cell = |i: usize| record.get(idx[i]).unwrap_or_default();
        let mut row_errors = Vec::new();
        let document = take(
            &mut row_errors,
            line,
            COLUMNS[0],
            StudentDocument::parse(cell(0)),
        );
        let name = match FullName::parse(cell(1), cell(2), cell(3)) {
            Ok(name) => Some(name),
            Err(parts) => {
                for (part, message) in parts {
                    take::<()>(
                        &mut row_errors,
                        line,
                        COLUMNS[1 + part.index()],
                        Err(message),
                    );
                }
                None
            }
        };
        let birth = take(
            &mut row_errors,
            line,
            COLUMNS[4],
            if cell(4).is_empty() {
                Ok(None)
            } else {
                parse_date(cell(4)).map(Some)
            },
        );
        let sex = take(
            &mut row_errors,
            line,
            COLUMNS[5],
            if cell(5).is_empty() {
                Ok(None)
            } else {
                SexCell::parse(cell(5)).map(Some)
            },
        );
        let starts = take(
            &mut row_errors,
            line,
            COLUMNS[6],
            parse_date(cell(6))
                .and_then(|d| enrollments::check_start(d, &scope.year, today).map(|()| d)),
        );
        if let (Some(Some(b)), Some(s)) = (birth, starts)
            && b >= s
        {
            take::<()>(
                &mut row_errors,
                line,
                COLUMNS[4],
                Err("La fecha de nacimiento debe ser anterior a la matrícula.".into()),
            );
        }
        if let Some(doc) = &document
            && !seen.insert(doc.as_str().to_owned())
        {
            take::<()>(
                &mut row_errors,
                line,
                COLUMNS[0],
                Err("El documento se repite en el archivo.".into()),
            );
        }
        match (document, name, birth, sex, starts) {
            (Some(document), Some(name), Some(birth_date), Some(sex), Some(starts_on))
                if row_errors.is_empty() =>
            {
                sexes.push((line, sex));
                inputs.push(EnrollmentInput {
                    document,
                    name,
                    birth_date,
                    sex: None,
                    starts_on,
                });
            }
            _ => errors.append(&mut row_errors),
        }
    }
    if errors.is_empty() {
        match read_sexes(&sexes) {
            Ok(read) => {
                for (input, sex) in inputs.iter_mut().zip(read) {
                    input.sex = sex;
                }
            }
            Err(mut wrong) => errors.append(&mut wrong),
        }
    }
    if !errors.is_empty() {
        return Err(rejected(errors));
    }
    if inputs.is_empty() {
        return Err(ApiError::invalid_body(
            "El archivo no tiene filas de estudiantes.",
        ));
    }
    Ok(inputs)
}

/// The `sexo` cell as written: a word says what it means; a letter depends on the convention of
/// the whole file (SIAGIE's H/M, or the DNI's M/F).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SexCell {
    /// `hombre` or `masculino`.
    Male,
    /// `mujer` or `femenino`.
    Female,
    H,
    M,
    F,
}

impl SexCell {
    fn parse(value: &str) -> std::result::Result<Self, String> {
        match super::search::fold(value.trim()).as_str() {
            "hombre" | "masculino" | "varon" => Ok(Self::Male),
            "mujer" | "femenino" => Ok(Self::Female),
            "h" => Ok(Self::H),
            "m" => Ok(Self::M),
            "f" => Ok(Self::F),
            _ => Err(
                "El sexo debe ser H o M (hombre, mujer) o, como en el DNI, M o F (masculino, femenino)."
                    .into(),
            ),
        }
    }
}

/// The sex of each row, stored as SIAGIE writes it (`H`, `M`). A file whose letters are M and F
/// follows the DNI (M masculino, F femenino); one with H and M (or only M: the nómina's own
/// columns are SIAGIE's), SIAGIE's (H hombre, M mujer). A file that mixes H and F is refused
/// naming the rows, since reading it either way would record some boy as a girl.
fn read_sexes(
    rows: &[(usize, Option<SexCell>)],
) -> std::result::Result<Vec<Option<String>>, Vec<RowError>> {
    let has = |wanted: SexCell| rows.iter().any(|(_, s)| *s == Some(wanted));
    let dni = has(SexCell::F);
    let siagie = has(SexCell::H);
    if dni && siagie {
        let message = "El archivo mezcla H (hombre) con F (femenino, como en el DNI): use en todas las filas H/M o M/F, o escriba hombre/mujer.";
        return Err(rows
            .iter()
            .filter(|(_, s)| matches!(s, Some(SexCell::H | SexCell::M | SexCell::F)))
            .map(|(line, _)| RowError {
                line: *line,
                field: "sexo".into(),
                message: message.into(),
            })
            .collect());
    }
    Ok(rows
        .iter()
        .map(|(_, sex)| {
            sex.map(|sex| {
                let male = match sex {
                    SexCell::Male | SexCell::H => true,
                    SexCell::Female | SexCell::F => false,
                    SexCell::M => dni,
                };
                if male { "H" } else { "M" }.to_owned()
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(letters: &[&str]) -> std::result::Result<Vec<Option<String>>, Vec<usize>> {
        let rows: Vec<(usize, Option<SexCell>)> = letters
            .iter()
            .enumerate()
            .map(|(i, l)| (i + 2, (!l.is_empty()).then(|| SexCell::parse(l).unwrap())))
            .collect();
        read_sexes(&rows).map_err(|errors| errors.into_iter().map(|e| e.line).collect())
    }

    fn stored(values: &[&str]) -> Vec<Option<String>> {
        values
            .iter()
            .map(|v| (!v.is_empty()).then(|| (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_file_in_the_dnis_letters_records_m_as_a_boy() {
        assert_eq!(read(&["M", "F", "m", ""]), Ok(stored(&["H", "M", "H", ""])));
    }

    #[test]
    fn a_file_in_siagies_letters_records_m_as_a_girl() {
        assert_eq!(read(&["H", "M", "h"]), Ok(stored(&["H", "M", "H"])));
        assert_eq!(read(&["H", "H"]), Ok(stored(&["H", "H"])));
        assert_eq!(read(&["F"]), Ok(stored(&["M"])));
    }

    #[test]
    fn words_say_what_they_mean_in_any_file() {
        assert_eq!(
            read(&["Masculino", "mujer", "HOMBRE", "Femenino"]),
            Ok(stored(&["H", "M", "H", "M"]))
        );
        assert_eq!(read(&["varón", "F"]), Ok(stored(&["H", "M"])));
    }

    #[test]
    fn a_file_that_mixes_the_conventions_is_refused_naming_its_rows() {
        assert_eq!(read(&["H", "M", "F", "mujer"]), Err(vec![2, 3, 4]));
        // Only M: the nómina's own convention, mujer.
        assert_eq!(read(&["M", "M", "hombre"]), Ok(stored(&["M", "M", "H"])));
    }
}
