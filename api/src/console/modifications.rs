//! Exceptional modifications as pages (`/consola/modificaciones`): the requests of registers and
//! actas in the person's reach, newest first; the Especialista del nivel gives its opinion and
//! the Especialista SIAGIE of the UGEL enables a favourable one with a deadline, from forms that
//! call the API's services (`crate::exceptional`). The director follows its requests here.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{Duration, NaiveDate, NaiveTime, TimeZone};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use super::{
    layout::{PageQuery, message_page, render_wide},
    session::{Posted, Signed},
    ticket_view::spanish,
};
use crate::{
    attendance::modification::RegisterModification,
    auth::policy::{Action, grants},
    error::ApiError,
    evaluation::modification::ActaModification,
    exceptional::{self, Enable, ModificationFilter, Opinion, Reopenable},
    links::{Links, MODIFICATIONS_PATH, register_path},
    state::AppState,
    time::{LIMA, now},
};

/// What the page was asked: a state, and what a form did.
#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    /// `requested`, `favorable`, `unfavorable`, `enabled` or `closed`.
    #[serde(default)]
    estado: String,
    #[serde(default)]
    hecho: String,
}

fn status_label(status: &str) -> &'static str {
    match status {
        "requested" => "Solicitada: espera la opinión del especialista del nivel",
        "favorable" => "Opinión favorable: espera su habilitación por la UGEL",
        "unfavorable" => "Opinión desfavorable",
        "enabled" => "Habilitada",
        "closed" => "Cerrada",
        _ => "",
    }
}

fn when(at: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    at.map(|at| at.with_timezone(&LIMA).format("%d/%m/%Y %H:%M").to_string())
}

/// The fields every kind's view has, read from its JSON form.
#[derive(Deserialize, Serialize)]
struct Row {
    id: i64,
    status: String,
    reason: String,
    requested_at: chrono::DateTime<chrono::Utc>,
    opinion_note: Option<String>,
    enabled_until: Option<chrono::DateTime<chrono::Utc>>,
    school_code: String,
    school_name: String,
    section_id: i64,
    grade: String,
    section: String,
    year: i32,
    month: Option<u32>,
}

/// A kind's requests in reach, as the template reads them.
async fn rows<K: Reopenable>(
    state: &AppState,
    signed: &Signed,
    kind: &str,
    status: &str,
) -> Result<Vec<Value>, ApiError>
where
    K::View: Serialize,
{
    let filter = ModificationFilter {
        state: (!status.is_empty()).then(|| status.to_owned()),
        ugel_id: None,
        school_id: None,
        page: Some(1),
        per_page: Some(100),
    };
    let found = exceptional::list_in_reach::<K>(&state.db, &signed.principal, filter).await?;
    let p = &signed.principal;
    let opines = p
        .assignments
        .iter()
        .any(|a| grants(a.role, Action::OpineModification));
    let enables = p
        .assignments
        .iter()
        .any(|a| grants(a.role, Action::EnableModification));
    let mut out = Vec::new();
    for view in found.items {
        let row: Row = serde_json::to_value(&view)
            .and_then(serde_json::from_value)
            .map_err(|e| ApiError::Internal(e.into()))?;
        let period = match row.month {
            Some(month) => super::pending::month_label(row.year, month),
            None => format!("acta de {}", row.year),
        };
        let link = row
            .month
            .map(|month| register_path(row.section_id, row.year, month));
        out.push(context! {
            id => row.id,
            kind,
            school => format!("{} ({})", row.school_name, row.school_code),
            section => format!("{} {}", row.grade, row.section),
            period,
            link,
            reason => row.reason,
            status => status_label(&row.status),
            note => row.opinion_note,
            requested => when(Some(row.requested_at)),
            until => when(row.enabled_until),
            opine => opines && row.status == "requested",
            enable => enables && row.status == "favorable",
        });
    }
    Ok(out)
}

/// The page.
pub async fn page(
    State(state): State<AppState>,
    PageQuery(asked): PageQuery<Asked>,
    signed: Signed,
) -> Response {
    let done = match asked.hecho.as_str() {
        "opinion" => Some("Opinión registrada; se avisó a quien sigue."),
        "habilitar" => Some("Modificación habilitada; se avisó a la dirección."),
        _ => None,
    };
    show(&state, &signed, &asked.estado, StatusCode::OK, done, None).await
}

async fn show(
    state: &AppState,
    signed: &Signed,
    status: &str,
    code: StatusCode,
    done: Option<&str>,
    error: Option<String>,
) -> Response {
    let loaded = async {
        Ok::<_, ApiError>((
            rows::<RegisterModification>(state, signed, "registro", status).await?,
            rows::<ActaModification>(state, signed, "acta", status).await?,
        ))
    }
    .await;
    let (registers, actas) = match loaded {
        Ok(found) => found,
        Err(error @ ApiError::Client { .. }) => {
            return message_page(
                error.status(),
                Some(&signed.person()),
                "Modificaciones excepcionales",
                &spanish(&error),
            );
        }
        Err(error) => return error.into_response(),
    };
    let today = now().with_timezone(&LIMA).date_naive();
    let states: Vec<Value> = ["requested", "favorable", "enabled", "unfavorable", "closed"]
        .into_iter()
        .map(|s| context! { code => s, label => status_label(s), chosen => s == status })
        .collect();
    render_wide(
        code,
        Some(&signed.person()),
        "Modificaciones excepcionales",
        "console_modifications.html",
        context! {
            registers,
            actas,
            states,
            all => status.is_empty(),
            path => MODIFICATIONS_PATH,
            csrf => &signed.csrf,
            done,
            error,
            until_default => (today + Duration::days(7)).to_string(),
            until_max => (today + Duration::days(30)).to_string(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    favorable: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    until: String,
}

/// The end of a day in Lima, as the deadline of an enabled modification.
fn end_of_day(text: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| ApiError::field("until", "Indique la fecha del plazo."))?;
    let end = date.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
    LIMA.from_local_datetime(&end)
        .single()
        .map(|at| at.to_utc())
        .ok_or_else(|| ApiError::field("until", "Indique la fecha del plazo."))
}

/// A step on a request: `opinion` or `habilitar`, of a `registro` or an `acta`.
pub async fn act(
    State(state): State<AppState>,
    Path((kind, id, step)): Path<(String, String, String)>,
    posted: Posted<StepForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let p = &signed.principal;
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let opinion = || {
        let favorable = match form.favorable.as_str() {
            "si" => Ok(true),
            "no" => Ok(false),
            _ => Err(ApiError::field(
                "favorable",
                "Elija si su opinión es favorable.",
            )),
        }?;
        let note = form.note.trim();
        Ok::<_, ApiError>(Opinion {
            favorable,
            note: (!note.is_empty()).then(|| note.to_owned()),
        })
    };
    let result = match (kind.as_str(), step.as_str()) {
        ("registro", "opinion") => match opinion() {
            Ok(o) => exceptional::give_opinion::<RegisterModification>(
                &state.db,
                Links::new(&state.config.auth.public_base_url),
                p,
                id,
                o,
            )
            .await
            .map(drop),
            Err(e) => Err(e),
        },
        ("acta", "opinion") => match opinion() {
            Ok(o) => exceptional::give_opinion::<ActaModification>(
                &state.db,
                Links::new(&state.config.auth.public_base_url),
                p,
                id,
                o,
            )
            .await
            .map(drop),
            Err(e) => Err(e),
        },
        ("registro", "habilitar") => match end_of_day(&form.until) {
            Ok(until) => exceptional::enable::<RegisterModification>(
                &state.db,
                Links::new(&state.config.auth.public_base_url),
                p,
                id,
                Enable { until },
            )
            .await
            .map(drop),
            Err(e) => Err(e),
        },
        ("acta", "habilitar") => match end_of_day(&form.until) {
            Ok(until) => exceptional::enable::<ActaModification>(
                &state.db,
                Links::new(&state.config.auth.public_base_url),
                p,
                id,
                Enable { until },
            )
            .await
            .map(drop),
            Err(e) => Err(e),
        },
        _ => return not_found(&signed),
    };
    match result {
        Ok(()) => Redirect::to(&format!("{MODIFICATIONS_PATH}?hecho={step}")).into_response(),
        Err(error @ ApiError::Client { .. }) if error.status() == StatusCode::NOT_FOUND => {
            not_found(&signed)
        }
        Err(error @ ApiError::Client { .. }) => {
            let text = spanish(&error);
            show(&state, &signed, "", error.status(), None, Some(text)).await
        }
        Err(error) => error.into_response(),
    }
}

fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "Solicitud no encontrada",
        "No encontramos esa solicitud de modificación, o no está a su alcance.",
    )
}
