//! What a certificate says, and its compact CBOR form: the bytes the signature covers.
//!
//! The CBOR is a map with small integer keys, and the names of the curricular areas of the
//! national curriculum travel as small numbers ([`AREAS`]): the whole payload has to fit in a
//! QR code that a phone reads from paper.

use chrono::{Datelike, NaiveDate};
use ciborium::Value;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Level;

/// An area's kind and scale are the evaluation's own vocabularies.
pub use entity::vocabulary::{AreaKind, GradeScale as Scale};

/// Checks a grade against its scale and writes it as a certificate prints it (`07`, `AD`); the
/// error is a Spanish sentence.
pub fn check_grade(scale: Scale, value: &str) -> Result<String, String> {
    crate::evaluation::scale::parse(scale, value).map(|v| crate::evaluation::scale::show(scale, v))
}

/// The scale a printed grade is written in.
pub fn scale_of(value: &str) -> Scale {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        Scale::Vigesimal
    } else {
        Scale::Literal
    }
}

/// One area's grade in one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AreaGrade {
    /// The area's name in capitals, e.g. "MATEMÁTICA".
    pub area: String,
    pub kind: AreaKind,
    pub scale: Scale,
    pub value: String,
}

/// Who typed a year in (a year without a closed acta in the system).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Transcription {
    pub entered_by: String,
}

/// Who approved a year recorded after its academic year ended (a regularization).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Regularized {
    pub approved_by: String,
}

/// One school year of a certificate: from a closed acta, or typed in by the issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CertificateYear {
    pub year: i32,
    /// The grade as printed, e.g. "5.º".
    pub grade: String,
    #[schema(value_type = String)]
    pub level: Level,
    /// The IE's código modular, with its anexo when known ("0412345-0").
    pub codigo_modular: String,
    pub school_name: Option<String>,
    pub areas: Vec<AreaGrade>,
    /// `promovido`, `requiere_recuperacion`, `permanece`, `retirado` or `trasladado`.
    pub situation: String,
    /// Set for a year typed in, with who entered it.
    pub transcribed: Option<Transcription>,
    /// Set for a year from an acta recorded after its year ended, with who approved it.
    #[serde(default)]
    pub regularized: Option<Regularized>,
}

/// A note printed under the grades (§6.2.5): an observation, its year, resolution and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Observation {
    pub observation: String,
    pub year: Option<i32>,
    pub resolution: Option<String>,
    pub reason: Option<String>,
}

/// Everything a certificate states, as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CertificateContent {
    pub virtual_code: String,
    /// Código modular and anexo of the issuing IE ("0412345-0").
    pub school_code: String,
    pub school_name: String,
    pub student_name: String,
    /// The student's document with its middle hidden: "4*****78".
    pub masked_document: String,
    #[schema(value_type = String)]
    pub level: Level,
    pub issued_on: NaiveDate,
    pub years: Vec<CertificateYear>,
    pub observations: Vec<Observation>,
    /// The virtual code of the certificate this one corrects.
    pub supersedes: Option<String>,
}

/// Final situations of a year, with how the certificate prints them.
pub const SITUATIONS: &[(&str, &str)] = &[
    ("promovido", "PROMOVIDO"),
    ("requiere_recuperacion", "REQUIERE RECUPERACIÓN"),
    ("permanece", "PERMANECE EN EL GRADO"),
    ("retirado", "RETIRADO"),
    ("trasladado", "TRASLADADO"),
];

/// How a final situation is printed.
pub fn situation_label(code: &str) -> &str {
    SITUATIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| label)
}

/// The areas of the national curriculum (old and current), sent as their position in this list.
/// Append only: a payload's numbers must keep their meaning.
pub const AREAS: &[&str] = &[
    "MATEMÁTICA",
    "COMUNICACIÓN",
    "INGLÉS",
    "ARTE",
    "ARTE Y CULTURA",
    "CIENCIA Y TECNOLOGÍA",
    "CIENCIA, TECNOLOGÍA Y AMBIENTE",
    "CIENCIAS SOCIALES",
    "HISTORIA, GEOGRAFÍA Y ECONOMÍA",
    "FORMACIÓN CIUDADANA Y CÍVICA",
    "PERSONA, FAMILIA Y RELACIONES HUMANAS",
    "DESARROLLO PERSONAL, CIUDADANÍA Y CÍVICA",
    "EDUCACIÓN FÍSICA",
    "EDUCACIÓN RELIGIOSA",
    "EDUCACIÓN PARA EL TRABAJO",
    "COMPORTAMIENTO",
    "PERSONAL SOCIAL",
    "CIENCIA Y AMBIENTE",
    "CASTELLANO COMO SEGUNDA LENGUA",
    "COMUNICACIÓN EN LENGUA ORIGINARIA",
    "INGLÉS COMO LENGUA EXTRANJERA",
];

/// Hides the middle of a document number: the first digit and the last two stay.
pub fn mask_document(document: &str) -> String {
    let chars: Vec<char> = document.chars().collect();
    if chars.len() < 4 {
        return "*".repeat(chars.len());
    }
    let mut out = String::with_capacity(chars.len());
    out.push(chars[0]);
    out.extend(std::iter::repeat_n('*', chars.len() - 3));
    out.extend(&chars[chars.len() - 2..]);
    out
}

// Map keys of the payload.
const K_CODE: i64 = 1;
const K_SCHOOL: i64 = 2;
const K_STUDENT: i64 = 3;
const K_DOCUMENT: i64 = 4;
const K_LEVEL: i64 = 5;
const K_ISSUED: i64 = 6;
const K_YEARS: i64 = 7;
const K_OBSERVATIONS: i64 = 8;
const K_SUPERSEDES: i64 = 9;

fn level_number(level: Level) -> i64 {
    match level {
        Level::Inicial => 1,
        Level::Primaria => 2,
        Level::Secundaria => 3,
    }
}

fn level_of(n: i64) -> Option<Level> {
    match n {
        1 => Some(Level::Inicial),
        2 => Some(Level::Primaria),
        3 => Some(Level::Secundaria),
        _ => None,
    }
}

fn kind_number(kind: AreaKind) -> i64 {
    match kind {
        AreaKind::General => 0,
        AreaKind::Taller => 1,
        AreaKind::Comportamiento => 2,
    }
}

fn kind_of(n: i64) -> Option<AreaKind> {
    match n {
        0 => Some(AreaKind::General),
        1 => Some(AreaKind::Taller),
        2 => Some(AreaKind::Comportamiento),
        _ => None,
    }
}

fn situation_number(code: &str) -> Value {
    match SITUATIONS.iter().position(|(c, _)| *c == code) {
        Some(i) => Value::from(i as i64),
        None => Value::from(code),
    }
}

fn int(n: i64) -> Value {
    Value::from(n)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn opt_text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, text)
}

/// A grade as CBOR: vigesimal grades as integers, literal ones as text.
fn grade_value(value: &str) -> Value {
    match value.parse::<i64>() {
        Ok(n) if scale_of(value) == Scale::Vigesimal => int(n),
        _ => text(value),
    }
}

/// The compact CBOR of a certificate's content.
pub fn encode(content: &CertificateContent) -> Vec<u8> {
    let years = content
        .years
        .iter()
        .map(|y| {
            let areas = y
                .areas
                .iter()
                .map(|a| {
                    let name = match AREAS.iter().position(|n| *n == a.area) {
                        Some(i) => int(i as i64),
                        None => text(&a.area),
                    };
                    let mut cells = vec![name, grade_value(&a.value)];
                    if a.kind != AreaKind::General {
                        cells.push(int(kind_number(a.kind)));
                    }
                    Value::Array(cells)
                })
                .collect();
            let mut cells = vec![
                int(i64::from(y.year)),
                text(&y.grade),
                int(level_number(y.level)),
                text(&y.codigo_modular),
                situation_number(&y.situation),
                Value::Array(areas),
                opt_text(y.transcribed.as_ref().map(|t| t.entered_by.as_str())),
            ];
            // An eighth cell only for a regularized year: other years are encoded as before.
            if let Some(r) = &y.regularized {
                cells.push(text(&r.approved_by));
            }
            Value::Array(cells)
        })
        .collect();
    let issued = content.issued_on;
    let mut map = vec![
        (int(K_CODE), text(&content.virtual_code)),
        (
            int(K_SCHOOL),
            Value::Array(vec![text(&content.school_code), text(&content.school_name)]),
        ),
        (int(K_STUDENT), text(&content.student_name)),
        (int(K_DOCUMENT), text(&content.masked_document)),
        (int(K_LEVEL), int(level_number(content.level))),
        (
            int(K_ISSUED),
            int(i64::from(issued.year()) * 10_000
                + i64::from(issued.month()) * 100
                + i64::from(issued.day())),
        ),
        (int(K_YEARS), Value::Array(years)),
    ];
    if !content.observations.is_empty() {
        let observations = content
            .observations
            .iter()
            .map(|o| {
                Value::Array(vec![
                    text(&o.observation),
                    o.year.map_or(Value::Null, |y| int(i64::from(y))),
                    opt_text(o.resolution.as_deref()),
                    opt_text(o.reason.as_deref()),
                ])
            })
            .collect();
        map.push((int(K_OBSERVATIONS), Value::Array(observations)));
    }
    if let Some(code) = &content.supersedes {
        map.push((int(K_SUPERSEDES), text(code)));
    }
    let mut out = Vec::with_capacity(512);
    // Writing CBOR to a Vec cannot fail.
    let _ = ciborium::into_writer(&Value::Map(map), &mut out);
    out
}

/// Reads the CBOR of [`encode`]; `None` for anything that is not one.
pub fn decode(bytes: &[u8]) -> Option<CertificateContent> {
    let value: Value = ciborium::from_reader(bytes).ok()?;
    let map = value.into_map().ok()?;
    let get = |key: i64| {
        map.iter()
            .find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(key))
            .map(|(_, v)| v.clone())
    };
    let as_i64 = |v: &Value| v.as_integer().and_then(|i| i64::try_from(i).ok());
    let as_text = |v: &Value| v.as_text().map(str::to_owned);
    let school = get(K_SCHOOL)?.into_array().ok()?;
    let issued = as_i64(&get(K_ISSUED)?)?;
    let issued_on = NaiveDate::from_ymd_opt(
        i32::try_from(issued / 10_000).ok()?,
        u32::try_from(issued / 100 % 100).ok()?,
        u32::try_from(issued % 100).ok()?,
    )?;
    let mut years = Vec::new();
    for year in get(K_YEARS)?.into_array().ok()? {
        let cells = year.into_array().ok()?;
        let (cells, regularized) = match cells.as_slice() {
            [rest @ .., approver] if rest.len() == 7 => (rest, Some(as_text(approver)?)),
            all => (all, None),
        };
        let [year, grade, level, code, situation, areas, transcribed] = cells else {
            return None;
        };
        let situation = match situation {
            Value::Text(t) => t.clone(),
            other => SITUATIONS
                .get(usize::try_from(as_i64(other)?).ok()?)?
                .0
                .to_owned(),
        };
        let mut grades = Vec::new();
        for area in areas.as_array()? {
            let cells = area.as_array()?;
            let name = match cells.first()? {
                Value::Text(t) => t.clone(),
                other => (*AREAS.get(usize::try_from(as_i64(other)?).ok()?)?).to_owned(),
            };
            let value = match cells.get(1)? {
                Value::Text(t) => t.clone(),
                other => format!("{:02}", as_i64(other)?),
            };
            let kind = match cells.get(2) {
                Some(k) => kind_of(as_i64(k)?)?,
                None => AreaKind::General,
            };
            grades.push(AreaGrade {
                area: name,
                kind,
                scale: scale_of(&value),
                value,
            });
        }
        years.push(CertificateYear {
            year: i32::try_from(as_i64(year)?).ok()?,
            grade: as_text(grade)?,
            level: level_of(as_i64(level)?)?,
            codigo_modular: as_text(code)?,
            school_name: None,
            areas: grades,
            situation,
            transcribed: match transcribed {
                Value::Null => None,
                other => Some(Transcription {
                    entered_by: as_text(other)?,
                }),
            },
            regularized: regularized.map(|approved_by| Regularized { approved_by }),
        });
    }
    let mut observations = Vec::new();
    if let Some(list) = get(K_OBSERVATIONS) {
        for o in list.into_array().ok()? {
            let cells = o.into_array().ok()?;
            let [observation, year, resolution, reason] = cells.as_slice() else {
                return None;
            };
            observations.push(Observation {
                observation: as_text(observation)?,
                year: match year {
                    Value::Null => None,
                    y => Some(i32::try_from(as_i64(y)?).ok()?),
                },
                resolution: as_text(resolution),
                reason: as_text(reason),
            });
        }
    }
    Some(CertificateContent {
        virtual_code: as_text(&get(K_CODE)?)?,
        school_code: as_text(school.first()?)?,
        school_name: as_text(school.get(1)?)?,
        student_name: as_text(&get(K_STUDENT)?)?,
        masked_document: as_text(&get(K_DOCUMENT)?)?,
        level: level_of(as_i64(&get(K_LEVEL)?)?)?,
        issued_on,
        years,
        observations,
        supersedes: get(K_SUPERSEDES).and_then(|v| as_text(&v)),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A secondary certificate of five years, four of them typed in.
    pub fn sample() -> CertificateContent {
        let areas = |n: usize| {
            AREAS
                .iter()
                .take(n)
                .enumerate()
                .map(|(i, a)| AreaGrade {
                    area: (*a).to_owned(),
                    kind: if *a == "COMPORTAMIENTO" {
                        AreaKind::Comportamiento
                    } else {
                        AreaKind::General
                    },
                    scale: if *a == "COMPORTAMIENTO" {
                        Scale::Literal
                    } else {
                        Scale::Vigesimal
                    },
                    value: if *a == "COMPORTAMIENTO" {
                        "AD".into()
                    } else {
                        format!("{:02}", 11 + i % 9)
                    },
                })
                .collect::<Vec<_>>()
        };
        let mut years: Vec<CertificateYear> = (0..5)
            .map(|i| CertificateYear {
                year: 2008 + i,
                grade: format!("{}.º", i + 1),
                level: Level::Secundaria,
                codigo_modular: "1413889-0".into(),
                school_name: None,
                areas: areas(13),
                situation: "promovido".into(),
                transcribed: Some(Transcription {
                    entered_by: "ROJAS DÍAZ, ANA".into(),
                }),
                regularized: None,
            })
            .collect();
        years[4].areas.push(AreaGrade {
            area: "TALLER DE ROBÓTICA".into(),
            kind: AreaKind::Taller,
            scale: Scale::Vigesimal,
            value: "18".into(),
        });
        years[4].transcribed = None;
        CertificateContent {
            virtual_code: "K7XQ9MPR4T".into(),
            school_code: "1413889-0".into(),
            school_name: "IE N° 16471 SEÑOR DE HUAMANTANGA".into(),
            student_name: "MARICIELO KIARA BALDEÓN MOSCOSO".into(),
            masked_document: mask_document("70845108"),
            level: Level::Secundaria,
            issued_on: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            years,
            observations: vec![Observation {
                observation: "Convalidación".into(),
                year: Some(2010),
                resolution: Some("RD 123-2010".into()),
                reason: None,
            }],
            supersedes: None,
        }
    }

    #[test]
    fn the_cbor_round_trips_every_field() {
        let content = sample();
        let bytes = encode(&content);
        assert_eq!(decode(&bytes), Some(content));
    }

    #[test]
    fn a_regularized_year_names_its_approver_and_other_years_encode_as_before() {
        let plain = sample();
        let mut regularized = sample();
        regularized.years[4].regularized = Some(Regularized {
            approved_by: "Oscar Huamán Tello".into(),
        });
        let bytes = encode(&regularized);
        assert_eq!(decode(&bytes), Some(regularized));
        // Only the regularized year grows by its approver's name.
        assert_eq!(
            bytes.len(),
            encode(&plain).len() + "Oscar Huamán Tello".len() + 1
        );
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert_eq!(decode(b"\xa1\x01\x02"), None);
        assert_eq!(decode(b""), None);
        assert_eq!(decode(&[0xff; 40]), None);
    }

    #[test]
    fn a_document_is_masked_but_its_ends() {
        assert_eq!(mask_document("70845108"), "7*****08");
        assert_eq!(mask_document("08150655900380"), "0***********80");
    }

    #[test]
    fn grades_are_checked_against_their_scale() {
        assert_eq!(check_grade(Scale::Vigesimal, "7"), Ok("07".into()));
        assert!(check_grade(Scale::Vigesimal, "21").is_err());
        assert!(check_grade(Scale::Vigesimal, "AD").is_err());
        assert_eq!(check_grade(Scale::Literal, "ad"), Ok("AD".into()));
        assert!(check_grade(Scale::Literal, "15").is_err());
    }
}
