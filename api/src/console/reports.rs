//! The help desk's reports as a page (`/consola/mesa-de-ayuda/reportes`): the backlog by level
//! and state with a bar chart drawn on the server (SVG, no library), SLA compliance of the last
//! 30 days, and both as CSV. The same services as `/helpdesk/reports/*`.

use std::collections::BTreeMap;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use minijinja::context;

use entity::helpdesk_vocabulary::TicketState;

use super::{
    layout::{QUEUE_PATH, message_page, render_wide},
    session::Signed,
    ticket_view::spanish,
};
use crate::{
    error::ApiError,
    helpdesk::reports::{self, BacklogRow},
    http::download,
    state::AppState,
    time::now,
};

/// The reports page.
pub const REPORTS_PATH: &str = "/consola/mesa-de-ayuda/reportes";

fn refused(signed: &Signed) -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        Some(&signed.person()),
        "Sin acceso",
        "Los reportes de la mesa de ayuda son para su supervisión nacional.",
    )
}

/// The backlog and the last 30 days' figures.
pub async fn page(State(state): State<AppState>, signed: Signed) -> Response {
    if !reports::reads_reports(&signed.principal) {
        return refused(&signed);
    }
    let p = &signed.principal;
    let at = now();
    let loaded = async {
        let rows = reports::backlog(&state.db, p).await?;
        let period = reports::period(None, None, at)?;
        let summary = reports::summary(&state.db, &state.config.helpdesk, p, period, at).await?;
        Ok::<_, ApiError>((rows, summary))
    }
    .await;
    let (rows, summary) = match loaded {
        Ok(loaded) => loaded,
        Err(error @ ApiError::Client { .. }) => {
            return message_page(
                error.status(),
                Some(&signed.person()),
                "Reportes",
                &spanish(&error),
            );
        }
        Err(error) => return error.into_response(),
    };
    let bars = bars(&rows);
    let sla: Vec<minijinja::Value> = summary
        .sla
        .iter()
        .map(|c| {
            context! {
                level => format!("N{}", c.level),
                target => if c.target == "first_response" { "Primera respuesta" } else { "Resolución" },
                met => c.met,
                missed => c.missed,
                percent => c.percent.map(|p| format!("{p:.1} %")),
            }
        })
        .collect();
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Reportes de la mesa de ayuda",
        "console_reports.html",
        context! {
            queue => QUEUE_PATH,
            csv_backlog => format!("{REPORTS_PATH}/pendientes.csv"),
            csv_summary => format!("{REPORTS_PATH}/resumen.csv"),
            chart => bars,
            total => rows.iter().map(|r| r.tickets).sum::<u64>(),
            from => summary.from.format("%d/%m/%Y").to_string(),
            to => summary.to.format("%d/%m/%Y").to_string(),
            filed => summary.tickets,
            open => summary.open,
            sla,
            average_rating => summary.average_rating.map(|r| format!("{r:.1}")),
            reopen_rate => summary.reopen_rate.map(|r| format!("{r:.1} %")),
        },
    )
}

/// Open tickets per level and state, as the bars of the chart: each bar's label, count, and its
/// width in the SVG's units (the longest is 100).
fn bars(rows: &[BacklogRow]) -> Vec<minijinja::Value> {
    let mut counts: BTreeMap<(i16, usize), u64> = BTreeMap::new();
    for row in rows {
        let order = TicketState::ALL
            .iter()
            .position(|s| *s == row.state)
            .unwrap_or_default();
        *counts.entry((row.level, order)).or_default() += row.tickets;
    }
    let most = counts.values().copied().max().unwrap_or(1).max(1);
    counts
        .into_iter()
        .enumerate()
        .map(|(i, ((level, state), count))| {
            context! {
                label => format!("N{level} · {}", TicketState::ALL[state].label()),
                count,
                width => (count * 100).div_ceil(most),
                y => i * 28,
            }
        })
        .collect()
}

/// A report as CSV: `pendientes.csv` (the backlog) or `resumen.csv` (the last 30 days).
pub async fn csv(
    State(state): State<AppState>,
    signed: Signed,
    Path(file): Path<String>,
) -> Response {
    if !reports::reads_reports(&signed.principal) {
        return refused(&signed);
    }
    let p = &signed.principal;
    let at = now();
    let answer = match file.as_str() {
        "pendientes.csv" => match reports::backlog(&state.db, p).await {
            Ok(rows) => download::csv(reports::backlog_csv(&rows), "pendientes", true),
            Err(error) => Err(error),
        },
        "resumen.csv" => {
            let summary = async {
                let period = reports::period(None, None, at)?;
                reports::summary(&state.db, &state.config.helpdesk, p, period, at).await
            }
            .await;
            summary.and_then(|s| download::csv(reports::summary_csv(&s), "resumen", true))
        }
        _ => Err(ApiError::not_found("el reporte")),
    };
    answer.into_response()
}
