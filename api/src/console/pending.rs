//! "Pendientes", the home of a director or a PRONOEI's coordinator
//! (`crate::pending`): each IE's registers to complete and close, with the days left, its held
//! marks and its silent tablets; each line opens the page that resolves it. The deadline e-mails
//! link here.

use axum::{extract::State, http::StatusCode, response::IntoResponse, response::Response};
use chrono::Datelike;
use minijinja::{Value, context};

use super::{
    layout::{message_page, render_wide},
    session::Signed,
};
use crate::{
    attendance::pdf::month_name,
    error::ApiError,
    links::{CERTIFICATES_PATH, PROVISIONING_PATH, acta_path, register_path, teachers_path},
    pending::{self, SchoolPending},
    state::AppState,
    time::{LIMA, now},
};

/// How a deadline reads: "vence hoy", "quedan 3 días", "venció hace 12 días".
pub fn days_left(days: i64) -> String {
    match days {
        0 => "Vence hoy".to_owned(),
        1 => "Queda 1 día".to_owned(),
        n if n > 1 => format!("Quedan {n} días"),
        -1 => "Venció hace 1 día".to_owned(),
        n => format!("Venció hace {} días", -n),
    }
}

/// A month as a person reads it: "mayo de 2027".
pub fn month_label(year: i32, month: u32) -> String {
    format!("{} de {year}", month_name(month))
}

/// One IE's pending lines, as the template reads them.
fn school_lines(school: &SchoolPending) -> Value {
    let registers: Vec<Value> = school
        .registers
        .iter()
        .map(|r| {
            context! {
                section => format!("{} {}", r.grade, r.section),
                month => month_label(r.year, r.month),
                state => r.state.label(),
                deadline => r.deadline.format("%d/%m/%Y").to_string(),
                left => days_left(r.days_left),
                overdue => r.days_left < 0,
                link => register_path(r.section_id, r.year, r.month),
            }
        })
        .collect();
    let held: Vec<Value> = school
        .held
        .iter()
        .map(|h| {
            context! {
                section => format!("{} {}", h.grade, h.section),
                month => month_label(h.year, h.month),
                marks => h.marks,
                link => format!("{}#retenidas", register_path(h.section_id, h.year, h.month)),
            }
        })
        .collect();
    let tablets: Vec<Value> = school
        .stale_tablets
        .iter()
        .map(|t| {
            context! {
                label => &t.label,
                last => t.last_sync.with_timezone(&LIMA).format("%d/%m/%Y").to_string(),
            }
        })
        .collect();
    let today = now().with_timezone(&LIMA).date_naive();
    let sections: Vec<Value> = school
        .sections
        .iter()
        .map(|s| {
            context! {
                name => format!("{} {}", s.grade, s.section),
                register => register_path(s.section_id, today.year(), today.month()),
                acta => acta_path(s.section_id),
                teachers => teachers_path(s.section_id),
            }
        })
        .collect();
    context! {
        name => &school.name,
        sections,
        code => &school.code,
        is_pronoei => school.is_pronoei,
        clear => school.is_clear(),
        certificate_requests => school.certificate_requests,
        decisions => school.decisions,
        provisioning => format!("{PROVISIONING_PATH}?estado=pending"),
        actas => school.open_actas.iter().map(|a| context! {
            name => format!("{} {}, {}", a.grade, a.section, a.year),
            link => acta_path(a.section_id),
        }).collect::<Vec<_>>(),
        recoveries => school.recoveries.iter().map(|r| context! {
            name => format!("{} {}, {}", r.grade, r.section, r.year),
            students => r.students,
            link => format!("{}#recuperacion", acta_path(r.section_id)),
        }).collect::<Vec<_>>(),
        certificates => format!("{CERTIFICATES_PATH}?ie={}", school.school_id),
        registers,
        held,
        tablets,
    }
}

/// What each IE the person directs needs now; `None` for anyone who directs none.
pub async fn lines(state: &AppState, signed: &Signed) -> Result<Option<Vec<Value>>, ApiError> {
    if pending::directed_schools(&signed.principal).is_empty() {
        return Ok(None);
    }
    let schools = pending::of_director(
        &state.db,
        &signed.principal,
        state.config.jobs.stale_tablet_days,
        now(),
    )
    .await?;
    Ok(Some(schools.iter().map(school_lines).collect()))
}

/// The page.
pub async fn page(State(state): State<AppState>, signed: Signed) -> Response {
    let person = signed.person();
    match lines(&state, &signed).await {
        Ok(Some(schools)) => render_wide(
            StatusCode::OK,
            Some(&person),
            "Pendientes",
            "console_pending.html",
            context! { schools, stale_days => state.config.jobs.stale_tablet_days },
        ),
        Ok(None) => message_page(
            StatusCode::FORBIDDEN,
            Some(&person),
            "Sin acceso",
            "Los pendientes son del director de la IE o del coordinador del PRONOEI.",
        ),
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_reads_as_days_left_or_past() {
        assert_eq!(days_left(0), "Vence hoy");
        assert_eq!(days_left(1), "Queda 1 día");
        assert_eq!(days_left(14), "Quedan 14 días");
        assert_eq!(days_left(-1), "Venció hace 1 día");
        assert_eq!(days_left(-16), "Venció hace 16 días");
    }
}
