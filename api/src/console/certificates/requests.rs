//! The IE's certificate requests: the searchable list, a request with its forms (years,
//! observations, issue, reject) and the preview of its certificate.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context};
use serde::Deserialize;

use entity::certificate_request::RequestStatus;

use super::common::{
    DoneQuery, StepForm, certificate_status, not_found, refused, state_label, when,
};
use crate::console::{
    layout::{PageQuery, message_page, pdf, render_wide},
    session::{Posted, Signed},
};
use crate::{
    auth::policy::Unit,
    certificates::{
        issue,
        lists::{self, Search},
        public,
        requests::{self, Reason},
    },
    error::ApiError,
    links::CERTIFICATES_PATH,
    registry::{SectionFilter, list_sections},
    state::AppState,
    time::LIMA,
};

/// The list's query.
#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    /// The IE; the person's own when it works in one.
    ie: Option<i64>,
    /// `pendientes` (the default), `emitidas`, `rechazadas` or `certificados`.
    #[serde(default)]
    ver: String,
    #[serde(default)]
    q: String,
    pagina: Option<u64>,
    #[serde(default)]
    hecho: String,
}

/// The IE the page is about: the one asked for, or the person's own.
pub(crate) fn school_of(signed: &Signed, asked: Option<i64>) -> Option<i64> {
    asked.or_else(|| {
        signed
            .principal
            .assignments
            .iter()
            .find_map(|a| match a.unit {
                Unit::School { school_id, .. } => Some(school_id),
                _ => None,
            })
    })
}

/// The IE's requests or certificates, searchable, and its sections.
pub async fn list(
    State(state): State<AppState>,
    PageQuery(asked): PageQuery<Asked>,
    signed: Signed,
) -> Response {
    let Some(school_id) = school_of(&signed, asked.ie) else {
        return message_page(
            StatusCode::FORBIDDEN,
            Some(&signed.person()),
            "Sin acceso",
            "Los certificados los emite la IE: su director o quien él autorice.",
        );
    };
    let p = &signed.principal;
    let query = asked.q.trim();
    let (document, name) = if !query.is_empty() && query.chars().all(|c| c.is_ascii_digit()) {
        (Some(query.to_owned()), None)
    } else {
        (None, (!query.is_empty()).then(|| query.to_owned()))
    };
    let search = Search {
        school_id,
        status: match asked.ver.as_str() {
            "emitidas" => Some(RequestStatus::Issued),
            "rechazadas" => Some(RequestStatus::Rejected),
            _ => Some(RequestStatus::Pending),
        },
        document,
        name,
        from: None,
        to: None,
        last_year: None,
        page: asked.pagina,
        per_page: Some(50),
    };
    let certificates = asked.ver == "certificados";
    let lines: Result<(Vec<Value>, u64, u64), ApiError> = if certificates {
        lists::issued(
            &state.db,
            p,
            Search {
                status: None,
                ..search
            },
        )
        .await
        .map(|page| {
            let pages = page.total.div_ceil(page.per_page).max(1);
            let rows = page
                .items
                .iter()
                .map(|c| {
                    context! {
                        link => format!("{CERTIFICATES_PATH}/{}", c.id),
                        code => &c.virtual_code,
                        name => &c.student_name,
                        document => &c.student_document,
                        last_year => c.last_year,
                        date => when(c.issued_at),
                        status => certificate_status(c.status),
                    }
                })
                .collect();
            (rows, page.page, pages)
        })
    } else {
        lists::requests(&state.db, p, search).await.map(|page| {
            let pages = page.total.div_ceil(page.per_page).max(1);
            let rows = page
                .items
                .iter()
                .map(|r| {
                    context! {
                        link => format!("{CERTIFICATES_PATH}/solicitudes/{}", r.id),
                        code => r.number.clone().unwrap_or_else(|| r.id.to_string()),
                        name => &r.student_name,
                        document => &r.student_document,
                        last_year => r.last_year,
                        date => when(r.created_at),
                        origin => if r.origin == entity::certificate_request::RequestOrigin::Public { "Formulario público" } else { "De la IE" },
                        reason => &r.reject_reason,
                    }
                })
                .collect();
            (rows, page.page, pages)
        })
    };
    let (rows, page, pages) = match lines {
        Ok(found) => found,
        Err(error @ ApiError::Client { .. }) if error.status() == StatusCode::FORBIDDEN => {
            return message_page(
                StatusCode::FORBIDDEN,
                Some(&signed.person()),
                "Sin acceso",
                "Los certificados los emite la IE: su director o quien él autorice.",
            );
        }
        Err(error) => return refused(&signed, error),
    };
    let year = crate::time::now().with_timezone(&LIMA).date_naive();
    // An issuer the director authorised may not read the IE's sections: it issues by request.
    let sections = match list_sections(
        &state.db,
        p,
        school_id,
        SectionFilter {
            year: Some(chrono::Datelike::year(&year)),
        },
    )
    .await
    {
        Ok(sections) => sections,
        Err(ApiError::Client { .. }) => Vec::new(),
        Err(error) => return error.into_response(),
    };
    let sections = sections
        .into_iter()
        .map(|s| {
            context! {
                name => format!("{} {}", s.grade_name, s.name),
                link => format!("{CERTIFICATES_PATH}/secciones/{}", s.id),
            }
        })
        .collect::<Vec<_>>();
    let tab = |ver: &str| {
        let mut pairs = vec![("ver", ver.to_owned())];
        if let Some(ie) = asked.ie {
            pairs.push(("ie", ie.to_string()));
        }
        format!(
            "{CERTIFICATES_PATH}?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let done = match asked.hecho.as_str() {
        "rechazar" => Some("Solicitud rechazada; se avisó a quien la hizo."),
        _ => None,
    };
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Certificados de estudios",
        "console_certificates.html",
        context! {
            rows,
            certificates,
            view => if asked.ver.is_empty() { "pendientes" } else { asked.ver.as_str() },
            q => query,
            ie => asked.ie,
            page,
            pages,
            next => (page < pages).then(|| format!("{}&pagina={}", tab(&asked.ver), page + 1)),
            previous => (page > 1).then(|| format!("{}&pagina={}", tab(&asked.ver), page - 1)),
            tabs => [
                ("pendientes", "Solicitudes por atender"),
                ("emitidas", "Solicitudes emitidas"),
                ("rechazadas", "Solicitudes rechazadas"),
                ("certificados", "Certificados emitidos"),
            ].iter().map(|(v, label)| context! { link => tab(v), label, current => (asked.ver.is_empty() && *v == "pendientes") || asked.ver == *v }).collect::<Vec<_>>(),
            sections,
            done,
            path => CERTIFICATES_PATH,
        },
    )
}

/// A request: the student, its years, what it lacks, and its forms.
pub async fn request(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageQuery(done): PageQuery<DoneQuery>,
    signed: Signed,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let view = match requests::read(&state.db, &signed.principal, id).await {
        Ok(view) => view,
        Err(error) => return refused(&signed, error),
    };
    let years: Vec<Value> = view
        .years
        .iter()
        .map(|y| {
            context! {
                year => y.year.year,
                grade => &y.year.grade,
                school => format!("{} ({})", y.year.school_name.clone().unwrap_or_default(), y.year.codigo_modular),
                situation => &y.year.situation,
                typed => y.source == "transcribed",
                areas => y.year.areas.iter().map(|a| format!("{}: {}", a.area, a.value)).collect::<Vec<_>>().join(" · "),
            }
        })
        .collect();
    let base = format!("{CERTIFICATES_PATH}/solicitudes/{id}");
    let pending = view.status == RequestStatus::Pending;
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Solicitud de certificado",
        "console_certificate_request.html",
        context! {
            id => view.id,
            number => view.number.clone().unwrap_or_else(|| view.id.to_string()),
            student => &view.student.name,
            document => &view.student.document,
            state => state_label(&view.state),
            missing => &view.missing,
            years,
            purpose => &view.purpose,
            reason => &view.reject_reason,
            pending,
            issuable => pending && view.missing.is_empty(),
            public => view.origin == entity::certificate_request::RequestOrigin::Public,
            certificate => view.certificate_id.map(|c| format!("{CERTIFICATES_PATH}/{c}")),
            base,
            csrf => &signed.csrf,
            back => CERTIFICATES_PATH,
            done => match done.hecho.as_str() {
                "enlace" => Some("Se envió un nuevo enlace de descarga al correo de la solicitud."),
                _ => None,
            },
        },
    )
}

/// The preview of a request's certificate ("VISTA PREVIA – SIN VALOR OFICIAL").
pub async fn preview(
    State(state): State<AppState>,
    Path(id): Path<String>,
    signed: Signed,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    match issue::preview(&state.db, &state.certificates, &signed.principal, id).await {
        Ok(bytes) => pdf(&format!("vista-previa-{id}"), bytes),
        Err(error) => refused(&signed, error),
    }
}

/// A request's forms: `emitir`, `rechazar`, `enlace`.
pub async fn request_step(
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    posted: Posted<StepForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let p = &signed.principal;
    let base = format!("{CERTIFICATES_PATH}/solicitudes/{id}");
    match step.as_str() {
        "emitir" => match issue::issue(&state.db, &state.certificates, p, id).await {
            Ok(view) => Redirect::to(&format!("{CERTIFICATES_PATH}/{}?hecho=emitir", view.id))
                .into_response(),
            Err(error) => refused(&signed, error),
        },
        "rechazar" => {
            let reason = Reason {
                reason: form.reason,
            };
            match requests::reject(&state.db, p, id, reason).await {
                Ok(_) => {
                    Redirect::to(&format!("{CERTIFICATES_PATH}?hecho=rechazar")).into_response()
                }
                Err(error) => refused(&signed, error),
            }
        }
        "enlace" => match public::resend_link(&state.db, &state.certificates, p, id).await {
            Ok(_) => Redirect::to(&format!("{base}?hecho=enlace")).into_response(),
            Err(error) => refused(&signed, error),
        },
        _ => not_found(&signed),
    }
}
