//! A student's record as a page (`/consola/estudiantes?documento=`): every year with a closed
//! acta, from the IE where it was closed, with its grades and final situation. The service of
//! `GET /students/record` (`evaluation::record`): for the student's IE's director and the
//! specialists over one of its IEs; any other document is not found alike.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{
    layout::{PageQuery, render_wide},
    session::Signed,
    ticket_view::spanish,
};
use crate::{
    error::ApiError,
    evaluation::{
        record::{self, RecordQuery},
        scale::situation_label,
    },
    links::RECORD_PATH,
    state::AppState,
};

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    #[serde(default)]
    documento: String,
}

/// The search form and, for a document, the record.
pub async fn page(
    State(state): State<AppState>,
    PageQuery(asked): PageQuery<Asked>,
    signed: Signed,
) -> Response {
    let reads = signed
        .principal
        .assignments
        .iter()
        .any(|a| crate::auth::policy::grants(a.role, crate::auth::policy::Action::ReadRecord));
    if !reads {
        return super::layout::message_page(
            StatusCode::FORBIDDEN,
            Some(&signed.person()),
            "Sin acceso",
            "El récord de un estudiante lo leen el director de su IE y los especialistas de su UGEL o DRE.",
        );
    }
    let document = asked.documento.trim();
    let mut status = StatusCode::OK;
    let mut error = None;
    let mut found = None;
    if !document.is_empty() {
        let query = RecordQuery {
            document: document.to_owned(),
        };
        match record::read(&state.db, &signed.principal, query).await {
            Ok(record) => found = Some(record),
            Err(e @ ApiError::Client { .. }) => {
                status = e.status();
                error = Some(if status == StatusCode::FORBIDDEN {
                    "No encontramos un estudiante con ese documento en su ámbito.".to_owned()
                } else {
                    spanish(&e)
                });
                if status == StatusCode::FORBIDDEN {
                    status = StatusCode::NOT_FOUND;
                }
            }
            Err(e) => return e.into_response(),
        }
    }
    let years: Vec<Value> = found
        .iter()
        .flat_map(|r| r.years.iter())
        .map(|y| {
            context! {
                year => y.year,
                grade => &y.grade,
                section => &y.section,
                school => format!("{} ({})", y.school_name, y.codigo_modular),
                situation => situation_label(y.situation),
                grades => y.grades.iter().map(|g| context! { area => &g.area, value => &g.value }).collect::<Vec<_>>(),
                recovery => y.recovery.as_ref().map(|r| r.grades.iter().map(|g| format!("{}: {}", g.area, g.value)).collect::<Vec<_>>().join(" · ")),
            }
        })
        .collect();
    render_wide(
        status,
        Some(&signed.person()),
        "Récord de un estudiante",
        "console_record.html",
        context! {
            path => RECORD_PATH,
            document,
            error,
            student => found.as_ref().map(|r| context! { name => &r.full_name, document => &r.document, birth => r.birth_date.map(|d| d.format("%d/%m/%Y").to_string()) }),
            years,
        },
    )
}
