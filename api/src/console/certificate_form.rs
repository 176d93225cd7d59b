//! Direct issuance with typed-in years (`/consola/certificados/nueva`): a year at a time, for
//! years without a closed acta in the system. First the student, the year, its level, grade, IE
//! and final situation; then a grade for each area of that level's curriculum in that year
//! (offered from the catalogue, each bound to its scale, not free text). Saved as a new request
//! (`certificates::requests::create`) or added to a pending one (`requests::save_years`); the
//! request's page then previews and issues it.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context};
use serde::Deserialize;

use entity::vocabulary::{GradeScale, Level};

use super::{
    certificates::school_of,
    layout::{PageQuery, message_page, render_wide},
    session::{Posted, Signed},
    ticket_view::spanish,
};
use crate::{
    certificates::{
        requests::{self, NewRequest, SavedYears},
        years::{AreaInput, ObservationInput, YearInput},
    },
    error::ApiError,
    evaluation::catalogue::{self, AreaFilter},
    links::CERTIFICATES_PATH,
    state::AppState,
};

/// The form's path.
pub const PATH: &str = "/consola/certificados/nueva";

/// The year as the first step of the form gives it.
#[derive(Debug, Default, Deserialize)]
pub struct Typed {
    #[serde(default)]
    documento: String,
    /// A pending request to add the year to.
    solicitud: Option<i64>,
    anio: Option<i32>,
    #[serde(default)]
    nivel: String,
    #[serde(default)]
    grado: String,
    #[serde(default)]
    codigo: String,
    #[serde(default)]
    ie_nombre: String,
    #[serde(default)]
    situacion: String,
}

const SITUATIONS: [(&str, &str); 5] = [
    ("promovido", "Promovido"),
    ("requiere_recuperacion", "Requiere recuperación"),
    ("permanece", "Permanece en el grado"),
    ("retirado", "Retirado"),
    ("trasladado", "Trasladado"),
];

/// The form: its first step, or with the year chosen, the areas of its curriculum.
pub async fn form(
    State(state): State<AppState>,
    PageQuery(typed): PageQuery<Typed>,
    signed: Signed,
) -> Response {
    page(&state, &signed, typed, StatusCode::OK, None).await
}

async fn page(
    state: &AppState,
    signed: &Signed,
    typed: Typed,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let Some(school) = school_of(signed, None) else {
        return message_page(
            StatusCode::FORBIDDEN,
            Some(&signed.person()),
            "Sin acceso",
            "Los certificados los emite la IE: su director o quien él autorice.",
        );
    };
    let level = Level::parse(&typed.nivel).ok();
    let areas: Vec<Value> = match (typed.anio, level) {
        (Some(year), Some(level)) => {
            let filter = AreaFilter {
                level: Some(level.code().to_owned()),
                year: Some(year),
            };
            match catalogue::list(&state.db, &signed.principal, filter).await {
                Ok(found) => found
                    .iter()
                    .map(|a| {
                        context! {
                            id => a.id,
                            name => &a.name,
                            literal => a.scale == GradeScale::Literal,
                        }
                    })
                    .collect(),
                Err(error) => return error.into_response(),
            }
        }
        _ => Vec::new(),
    };
    let code = if typed.codigo.is_empty() {
        entity::school::Entity::find_by_id(school)
            .one(&state.db)
            .await
            .ok()
            .flatten()
            .map(|s| format!("{}-{}", s.codigo_modular, s.anexo))
            .unwrap_or_default()
    } else {
        typed.codigo.clone()
    };
    render_wide(
        status,
        Some(&signed.person()),
        "Certificado con años transcritos",
        "console_certificate_form.html",
        context! {
            path => PATH,
            back => CERTIFICATES_PATH,
            csrf => &signed.csrf,
            chosen => !areas.is_empty(),
            areas,
            document => &typed.documento,
            request => typed.solicitud,
            year => typed.anio,
            level => level.map(Level::code),
            grade => &typed.grado,
            code,
            school_name => &typed.ie_nombre,
            situation => &typed.situacion,
            situations => SITUATIONS.iter().map(|(code, label)| context! { code, label }).collect::<Vec<_>>(),
            error,
        },
    )
}

use sea_orm::EntityTrait;

/// Saves the typed year: a new request, or added to the pending one named.
pub async fn save(
    State(state): State<AppState>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { signed, form } = posted;
    let value = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let typed = Typed {
        documento: value("documento"),
        solicitud: value("solicitud").parse().ok(),
        anio: value("anio").parse().ok(),
        nivel: value("nivel"),
        grado: value("grado"),
        codigo: value("codigo"),
        ie_nombre: value("ie_nombre"),
        situacion: value("situacion"),
    };
    let Some(school) = school_of(&signed, None) else {
        return page(&state, &signed, typed, StatusCode::FORBIDDEN, None).await;
    };
    let saved = async {
        let (Some(year), Ok(level)) = (typed.anio, Level::parse(&typed.nivel)) else {
            return Err(ApiError::field("anio", "Indique el año y el nivel."));
        };
        let filter = AreaFilter {
            level: Some(level.code().to_owned()),
            year: Some(year),
        };
        let catalogue = catalogue::list(&state.db, &signed.principal, filter).await?;
        let areas: Vec<AreaInput> = catalogue
            .iter()
            .filter_map(|a| {
                let grade = value(&format!("a{}", a.id)).to_uppercase();
                (!grade.is_empty()).then(|| AreaInput {
                    area: a.name.clone(),
                    kind: a.kind,
                    scale: a.scale,
                    value: grade,
                })
            })
            .collect();
        let new_year = YearInput {
            year,
            grade: typed.grado.clone(),
            level: Some(level),
            codigo_modular: typed.codigo.clone(),
            school_name: (!typed.ie_nombre.is_empty()).then(|| typed.ie_nombre.clone()),
            situation: typed.situacion.clone(),
            areas,
        };
        match typed.solicitud {
            None => requests::create(
                &state.db,
                &signed.principal,
                NewRequest {
                    school_id: school,
                    document: typed.documento.clone(),
                    guardian: None,
                    additional_info: None,
                    years: vec![new_year],
                    observations: Vec::new(),
                },
            )
            .await
            .map(|view| view.id),
            Some(id) => {
                let current = requests::read(&state.db, &signed.principal, id).await?;
                let mut years: Vec<YearInput> = current
                    .years
                    .iter()
                    .filter(|y| y.source == "transcribed")
                    .map(|y| YearInput {
                        year: y.year.year,
                        grade: y.year.grade.clone(),
                        level: Some(y.year.level),
                        codigo_modular: y.year.codigo_modular.clone(),
                        school_name: y.year.school_name.clone(),
                        situation: y.year.situation.clone(),
                        areas: y
                            .year
                            .areas
                            .iter()
                            .map(|a| AreaInput {
                                area: a.area.clone(),
                                kind: a.kind,
                                scale: a.scale,
                                value: a.value.clone(),
                            })
                            .collect(),
                    })
                    .collect();
                years.retain(|y| y.year != new_year.year);
                years.push(new_year);
                let observations = current
                    .observations
                    .iter()
                    .map(|o| ObservationInput {
                        observation: o.observation.clone(),
                        year: o.year,
                        resolution: o.resolution.clone(),
                        reason: o.reason.clone(),
                    })
                    .collect();
                requests::save_years(
                    &state.db,
                    &signed.principal,
                    id,
                    SavedYears {
                        years,
                        observations,
                    },
                )
                .await
                .map(|view| view.id)
            }
        }
    }
    .await;
    match saved {
        Ok(id) => Redirect::to(&format!("{CERTIFICATES_PATH}/solicitudes/{id}")).into_response(),
        Err(error @ ApiError::Client { .. }) => {
            let text = spanish(&error);
            page(&state, &signed, typed, error.status(), Some(text)).await
        }
        Err(error) => error.into_response(),
    }
}
