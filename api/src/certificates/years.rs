//! The years an issuer types in (docs/certificates.md, "Years typed in"): parsed once at the edge
//! into [`CertificateYear`]s, each grade checked against its scale and each código modular against
//! the registry.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use entity::school;

use super::payload::{
    AreaGrade, AreaKind, CertificateYear, Observation, SITUATIONS, Scale, Transcription,
};
use crate::{
    domain::{CodigoModular, Level},
    error::{ApiError, ErrorCode, FieldErrors, Result},
};

/// Fewest curricular areas a typed-in year has before a certificate is issued (§6.2.4).
pub const MIN_AREAS: usize = 4;

/// One area's grade as typed.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct AreaInput {
    /// The area's name, e.g. "Matemática".
    pub area: String,
    #[serde(default = "general")]
    pub kind: AreaKind,
    pub scale: Scale,
    pub value: String,
}

fn general() -> AreaKind {
    AreaKind::General
}

/// One year as typed.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct YearInput {
    pub year: i32,
    /// The grade, e.g. "1.º" or "Primero".
    pub grade: String,
    /// `inicial`, `primaria` or `secundaria` (the IE's level when absent).
    #[schema(value_type = Option<String>)]
    pub level: Option<Level>,
    /// The IE's código modular, with or without its anexo ("0412345-0").
    pub codigo_modular: String,
    /// The IE's name, for an IE not in the registry.
    pub school_name: Option<String>,
    /// `promovido`, `requiere_recuperacion`, `permanece`, `retirado` or `trasladado`.
    pub situation: String,
    #[serde(default)]
    pub areas: Vec<AreaInput>,
}

/// An observation as typed.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ObservationInput {
    pub observation: String,
    pub year: Option<i32>,
    pub resolution: Option<String>,
    pub reason: Option<String>,
}

/// A typed year, checked, with whether its código modular is in the registry.
pub struct TypedYear {
    pub year: CertificateYear,
    pub registered: bool,
}

fn clean(text: &str, max: usize) -> Option<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty() && text.chars().count() <= max).then_some(text)
}

/// Checks typed years: formats, scales, repeated years; each error under its field.
pub async fn parse_years(
    db: &impl ConnectionTrait,
    inputs: &[YearInput],
    default_level: Level,
    entered_by: &str,
    this_year: i32,
) -> Result<Vec<TypedYear>> {
    let mut fields = FieldErrors::new();
    let mut out_of_scale = false;
    let mut years = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let at = |field: &str| format!("years[{i}].{field}");
        if !(1950..=this_year).contains(&input.year) {
            fields.insert(
                at("year"),
                format!("El año debe estar entre 1950 y {this_year}."),
            );
        }
        if inputs[..i].iter().any(|o| o.year == input.year) {
            fields.insert(at("year"), format!("El año {} está repetido.", input.year));
        }
        let grade = clean(&input.grade, 32);
        let level = input.level.unwrap_or(default_level);
        if grade.is_none() {
            fields.insert(
                at("grade"),
                "Indique el grado (hasta 32 caracteres).".into(),
            );
        } else if grade
            .as_deref()
            .and_then(|g| super::completeness::grade_ordinal(level, g))
            .is_none()
        {
            let (first, last) = super::completeness::grade_range(level);
            fields.insert(
                at("grade"),
                format!(
                    "Indique un grado de {}, del {first} al {last}, como número («{first}.º») o en letras («Primero»).",
                    level.code()
                ),
            );
        }
        let code = input.codigo_modular.trim();
        let parsed = if code.contains('-') {
            CodigoModular::parse_with_anexo(code).map(|(c, a)| (c, Some(a)))
        } else {
            CodigoModular::parse(code).map(|c| (c, None))
        };
        let (codigo, anexo) = match parsed {
            Ok(ok) => ok,
            Err(message) => {
                fields.insert(at("codigo_modular"), message);
                continue;
            }
        };
        if !SITUATIONS.iter().any(|(c, _)| *c == input.situation) {
            fields.insert(
                at("situation"),
                format!(
                    "Situación final no válida: «{}». Valores permitidos: {}.",
                    input.situation,
                    SITUATIONS
                        .iter()
                        .map(|(c, _)| *c)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let mut areas = Vec::with_capacity(input.areas.len());
        for (j, area) in input.areas.iter().enumerate() {
            let Some(name) = clean(&area.area, 80) else {
                fields.insert(
                    format!("years[{i}].areas[{j}].area"),
                    "Indique el nombre del área (hasta 80 caracteres).".into(),
                );
                continue;
            };
            let name = name.to_uppercase();
            if areas.iter().any(|a: &AreaGrade| a.area == name) {
                fields.insert(
                    format!("years[{i}].areas[{j}].area"),
                    format!("El área «{name}» está repetida en el año {}.", input.year),
                );
            }
            match super::payload::check_grade(area.scale, &area.value) {
                Ok(value) => areas.push(AreaGrade {
                    area: name,
                    kind: area.kind,
                    scale: area.scale,
                    value,
                }),
                Err(message) => {
                    out_of_scale = true;
                    fields.insert(format!("years[{i}].areas[{j}].value"), message);
                }
            }
        }
        let registered = school::Entity::find()
            .filter(school::Column::CodigoModular.eq(codigo.as_str()))
            .filter(school::Column::Anexo.eq(anexo.map_or(0, |a| a.value())))
            .one(db)
            .await?;
        let codigo_modular = format!("{}-{}", codigo.as_str(), anexo.map_or(0, |a| a.value()));
        years.push(TypedYear {
            registered: registered.is_some(),
            year: CertificateYear {
                year: input.year,
                grade: grade.unwrap_or_default(),
                level,
                codigo_modular,
                school_name: registered
                    .map(|s| s.name)
                    .or_else(|| input.school_name.as_deref().and_then(|n| clean(n, 120))),
                areas,
                situation: input.situation.clone(),
                transcribed: Some(Transcription {
                    entered_by: entered_by.to_owned(),
                }),
                regularized: None,
            },
        });
    }
    if !fields.is_empty() {
        let code = if out_of_scale {
            ErrorCode::GradeOutOfScale
        } else {
            ErrorCode::ValidationFailed
        };
        return Err(ApiError::from(code).with_fields(fields));
    }
    years.sort_by_key(|y| y.year.year);
    Ok(years)
}

/// Checks observations.
pub fn parse_observations(inputs: &[ObservationInput]) -> Result<Vec<Observation>> {
    let mut fields = FieldErrors::new();
    let mut out = Vec::new();
    for (i, o) in inputs.iter().enumerate() {
        let Some(observation) = clean(&o.observation, 300) else {
            fields.insert(
                format!("observations[{i}].observation"),
                "Escriba la observación (hasta 300 caracteres).".into(),
            );
            continue;
        };
        out.push(Observation {
            observation,
            year: o.year,
            resolution: o.resolution.as_deref().and_then(|r| clean(r, 80)),
            reason: o.reason.as_deref().and_then(|r| clean(r, 300)),
        });
    }
    if fields.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::validation(fields))
    }
}

/// 422 `too_few_areas` naming each typed year with fewer than [`MIN_AREAS`] areas.
pub fn check_complete(years: &[CertificateYear]) -> Result<()> {
    let short: Vec<String> = years
        .iter()
        .filter(|y| y.transcribed.is_some() && y.areas.len() < MIN_AREAS)
        .map(|y| y.year.to_string())
        .collect();
    if short.is_empty() {
        return Ok(());
    }
    Err(ApiError::because(
        ErrorCode::TooFewAreas,
        format!(
            "Cada año registrado necesita al menos {MIN_AREAS} áreas curriculares antes de emitir el certificado; faltan en: {}.",
            short.join(", ")
        ),
    )
    .with_details(serde_json::json!({ "years": short })))
}
