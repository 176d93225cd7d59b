//! Certificates as pages (`/consola/certificados`), for an IE's issuers: the requests received
//! (from the public page or typed in) and the certificates issued, searchable; a section's status
//! list with its batch issue and the batch's PDF; a request's page (preview, issue, reject, a new
//! download link) and a certificate's page (PDF, annul, correct). Every form calls the service
//! of the API's route (`crate::certificates`).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::{Value, context};
use serde::Deserialize;

use entity::{certificate::CertificateStatus, certificate_request::RequestStatus};

use super::{
    layout::{PageQuery, message_page, pdf, render_wide},
    session::{Posted, Signed},
    ticket_view::spanish,
};
use crate::{
    auth::policy::Unit,
    certificates::{
        batch::{self, Batch},
        issue,
        lists::{self, Search},
        public,
        requests::{self, Reason},
        revocation::{self, Annulment, Correction, StatusCategory},
    },
    error::ApiError,
    links::CERTIFICATES_PATH,
    registry::{SectionFilter, list_sections},
    state::AppState,
    time::LIMA,
};

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&LIMA).format("%d/%m/%Y").to_string()
}

fn state_label(state: &str) -> &'static str {
    match state {
        "informacion_completa" => "Información completa",
        "informacion_incompleta" => "Información incompleta",
        "por_emitir" => "Por emitir",
        "emitido" => "Emitido",
        "rechazado" => "Rechazado",
        _ => "",
    }
}

fn certificate_status(status: CertificateStatus) -> &'static str {
    match status {
        CertificateStatus::Valid => "Vigente",
        CertificateStatus::Annulled => "Anulado",
        _ => "Reemplazado por una corrección",
    }
}

fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "No encontrado",
        "No encontramos esa solicitud o ese certificado, o no está a su alcance.",
    )
}

/// A refusal of the service: out of reach is not found; anything else, said on a page.
fn refused(signed: &Signed, error: ApiError) -> Response {
    match &error {
        ApiError::Client { .. }
            if matches!(
                error.status(),
                StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
            ) =>
        {
            not_found(signed)
        }
        ApiError::Client { .. } => message_page(
            error.status(),
            Some(&signed.person()),
            "No se pudo completar",
            &spanish(&error),
        ),
        ApiError::Internal(_) => error.into_response(),
    }
}

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
pub(super) fn school_of(signed: &Signed, asked: Option<i64>) -> Option<i64> {
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

/// A section's students and where each one's certificate stands, with the batch's form.
pub async fn section(
    State(state): State<AppState>,
    Path(section): Path<String>,
    signed: Signed,
) -> Response {
    let Ok(section) = section.parse::<i64>() else {
        return not_found(&signed);
    };
    let rows = match batch::section_status(&state.db, &signed.principal, section).await {
        Ok(rows) => rows,
        Err(error) => return refused(&signed, error),
    };
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            context! {
                id => r.student_id,
                name => &r.name,
                document => &r.document,
                state => state_label(&r.state),
                ready => r.state == "informacion_completa" || r.state == "por_emitir",
                missing => r.missing.join("; "),
                request => r.request_id.map(|id| format!("{CERTIFICATES_PATH}/solicitudes/{id}")),
                certificate => r.certificate_id.map(|id| format!("{CERTIFICATES_PATH}/{id}")),
            }
        })
        .collect();
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Certificados de la sección",
        "console_certificate_section.html",
        context! {
            rows,
            action => format!("{CERTIFICATES_PATH}/secciones/{section}/emitir"),
            csrf => &signed.csrf,
            back => CERTIFICATES_PATH,
        },
    )
}

/// Issues the certificates of the students ticked, then lists what was issued and what not.
pub async fn issue_section(
    State(state): State<AppState>,
    Path(section): Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(section) = section.parse::<i64>() else {
        return not_found(&signed);
    };
    let student_ids: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "student")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let result = batch::issue_batch(
        &state.db,
        &state.certificates,
        &signed.principal,
        Batch {
            section_id: section,
            student_ids,
        },
    )
    .await;
    let result = match result {
        Ok(result) => result,
        Err(error) => return refused(&signed, error),
    };
    let ids: Vec<String> = result.issued.iter().map(|c| c.id.to_string()).collect();
    let issued: Vec<Value> = result
        .issued
        .iter()
        .map(|c| {
            context! {
                name => &c.student_name,
                code => &c.virtual_code,
                link => format!("{CERTIFICATES_PATH}/{}", c.id),
            }
        })
        .collect();
    let skipped: Vec<Value> = result
        .skipped
        .iter()
        .map(|s| context! { id => s.student_id, reason => &s.reason })
        .collect();
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Certificados emitidos",
        "console_certificate_batch.html",
        context! {
            issued,
            skipped,
            pdf => (!ids.is_empty()).then(|| format!("{CERTIFICATES_PATH}/lote.pdf?ids={}", ids.join(","))),
            back => format!("{CERTIFICATES_PATH}/secciones/{section}"),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct Ids {
    ids: String,
}

/// The certificates of a batch as one PDF, a page each.
pub async fn batch_pdf(
    State(state): State<AppState>,
    PageQuery(ids): PageQuery<Ids>,
    signed: Signed,
) -> Response {
    match batch::combined_pdf(&state.db, &state.certificates, &signed.principal, &ids.ids).await {
        Ok(bytes) => pdf("certificados", bytes),
        Err(error) => refused(&signed, error),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    hecho: String,
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

#[derive(Debug, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    category: String,
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

/// An issued certificate: its status, the PDF, and the forms to annul or correct it.
pub async fn certificate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageQuery(done): PageQuery<DoneQuery>,
    signed: Signed,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let view = match issue::read(&state.db, &state.certificates, &signed.principal, id).await {
        Ok(view) => view,
        Err(error) => return refused(&signed, error),
    };
    let categories = [
        ("error_de_emision", "Error de emisión"),
        ("datos_incorrectos", "Datos incorrectos"),
        ("duplicado", "Duplicado"),
        ("fraude", "Fraude"),
        ("otro", "Otro"),
    ];
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Certificado de estudios",
        "console_certificate.html",
        context! {
            code => &view.virtual_code,
            student => &view.student_name,
            document => &view.student_document,
            last_year => view.last_year,
            date => when(view.issued_at),
            status => certificate_status(view.status),
            valid => view.status == CertificateStatus::Valid,
            annul_reason => &view.annul_reason,
            superseded_by => &view.superseded_by,
            supersedes => &view.supersedes,
            base => format!("{CERTIFICATES_PATH}/{id}"),
            csrf => &signed.csrf,
            back => CERTIFICATES_PATH,
            categories => categories.iter().map(|(code, label)| context! { code, label }).collect::<Vec<_>>(),
            done => match done.hecho.as_str() {
                "emitir" => Some("Certificado emitido."),
                "anular" => Some("Certificado anulado: quien lo verifique lo verá anulado."),
                "corregir" => Some("Certificado corregido: este es el nuevo; el anterior figura como reemplazado."),
                _ => None,
            },
        },
    )
}

/// The certificate's PDF (with its QR), again.
pub async fn certificate_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    signed: Signed,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    match issue::download(&state.db, &state.certificates, &signed.principal, id).await {
        Ok((code, bytes)) => pdf(&format!("certificado-{code}"), bytes),
        Err(error) => refused(&signed, error),
    }
}

/// A certificate's forms: `anular`, `corregir`.
pub async fn certificate_step(
    State(state): State<AppState>,
    Path((id, step)): Path<(String, String)>,
    posted: Posted<StepForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let p = &signed.principal;
    match step.as_str() {
        "anular" => {
            let category = match form.category.as_str() {
                "" => None,
                code => {
                    match serde_json::from_value::<StatusCategory>(serde_json::Value::from(code)) {
                        Ok(category) => Some(category),
                        Err(_) => {
                            return refused(
                                &signed,
                                ApiError::field("category", "Elija el motivo de la lista."),
                            );
                        }
                    }
                }
            };
            let annulment = Annulment {
                reason: form.reason,
                category,
            };
            match revocation::annul(&state.db, &state.certificates, p, id, annulment).await {
                Ok(_) => {
                    Redirect::to(&format!("{CERTIFICATES_PATH}/{id}?hecho=anular")).into_response()
                }
                Err(error) => refused(&signed, error),
            }
        }
        "corregir" => {
            let correction = Correction {
                reason: form.reason,
                years: None,
            };
            match revocation::correct(&state.db, &state.certificates, p, id, correction).await {
                Ok(view) => {
                    Redirect::to(&format!("{CERTIFICATES_PATH}/{}?hecho=corregir", view.id))
                        .into_response()
                }
                Err(error) => refused(&signed, error),
            }
        }
        _ => not_found(&signed),
    }
}
