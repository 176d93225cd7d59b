//! The help desk's queue page (`/consola/mesa-de-ayuda`): the tickets of the caller's stage, from
//! the service `GET /helpdesk/tickets` calls, with its filters as a GET form and its keyset pages.

use std::collections::HashMap;

use axum::{
    extract::{RawQuery, State},
    http::StatusCode,
    response::Response,
};
use chrono::{DateTime, Utc};
use minijinja::context;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use entity::{helpdesk_vocabulary::TicketState, person, user_account};

use super::{
    layout::{QUEUE_PATH, message_page, render_wide},
    session::Signed,
};
use crate::{
    error::ApiError,
    helpdesk::{
        access,
        dto::{Clock, TicketFilter, TicketSummary},
        tickets,
    },
    state::AppState,
    time::{LIMA, now},
};

/// The filters a person sets in the page's form, as its query string carries them.
#[derive(Debug, Default)]
struct Filters {
    states: Vec<String>,
    mine: bool,
    unassigned: bool,
    overdue: bool,
    q: String,
    sort: String,
    before: Option<i64>,
}

impl Filters {
    /// Reads the query string; an unknown parameter or value is a 400 page naming it.
    fn parse(query: Option<&str>) -> Result<Self, String> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or_default())
            .map_err(|_| "La dirección de la página no es válida.".to_owned())?;
        let mut filters = Filters {
            sort: "deadline".into(),
            ..Filters::default()
        };
        for (key, value) in pairs {
            match key.as_str() {
                "state" => {
                    TicketState::parse(&value)?;
                    filters.states.push(value);
                }
                "mine" => filters.mine = !value.is_empty(),
                "unassigned" => filters.unassigned = !value.is_empty(),
                "overdue" => filters.overdue = !value.is_empty(),
                "q" => filters.q = value.trim().chars().take(100).collect(),
                "sort" if SORTS.iter().any(|(code, _)| *code == value) => filters.sort = value,
                "before" => {
                    filters.before = Some(
                        value
                            .parse()
                            .map_err(|_| format!("Página no válida: «{value}»."))?,
                    );
                }
                "sort" => return Err(format!("Orden no válido: «{value}».")),
                other => return Err(format!("Filtro desconocido: «{other}».")),
            }
        }
        Ok(filters)
    }

    /// The service's filter for these.
    fn ticket_filter(&self) -> TicketFilter {
        TicketFilter {
            view: Some("queue".into()),
            state: (!self.states.is_empty()).then(|| self.states.join(",")),
            q: (!self.q.is_empty()).then(|| self.q.clone()),
            sort: Some(self.sort.clone()),
            mine: self.mine.then_some(true),
            before: self.before,
            limit: Some(50),
            ..TicketFilter::default()
        }
    }

    /// The query string of the next page: the same filters, from `before`.
    fn next(&self, before: i64) -> String {
        let mut pairs: Vec<(&str, String)> =
            self.states.iter().map(|s| ("state", s.clone())).collect();
        for (key, on) in [
            ("mine", self.mine),
            ("unassigned", self.unassigned),
            ("overdue", self.overdue),
        ] {
            if on {
                pairs.push((key, "1".into()));
            }
        }
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        pairs.push(("sort", self.sort.clone()));
        pairs.push(("before", before.to_string()));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// The orders the page offers, with their names.
const SORTS: &[(&str, &str)] = &[
    ("deadline", "Vencimiento más próximo"),
    ("priority", "Prioridad"),
    ("age", "Más antiguos"),
    ("newest", "Más recientes"),
];

/// Whether the signed-in person works in the help desk (agents and specialists).
pub fn is_help_desk(signed: &Signed) -> bool {
    access::is_staff(&signed.principal)
}

/// The queue of the caller's stage.
pub async fn queue(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(query): RawQuery,
) -> Response {
    if !is_help_desk(&signed) {
        return message_page(
            StatusCode::FORBIDDEN,
            Some(&signed.person()),
            "Sin acceso",
            "La mesa de ayuda es para los agentes de la Central de Atención y los especialistas SIAGIE.",
        );
    }
    let filters = match Filters::parse(query.as_deref()) {
        Ok(filters) => filters,
        Err(message) => {
            return message_page(
                StatusCode::BAD_REQUEST,
                Some(&signed.person()),
                "Filtro no válido",
                &message,
            );
        }
    };
    let at = now();
    let page = tickets::list(
        &state.db,
        &state.config.helpdesk,
        &signed.principal,
        filters.ticket_filter(),
        at,
    )
    .await;
    let page = match page {
        Ok(page) => page,
        Err(error @ ApiError::Client { .. }) => {
            let message = match &error {
                ApiError::Client { message, .. } => message.to_string(),
                ApiError::Internal(_) => String::new(),
            };
            return message_page(
                error.status(),
                Some(&signed.person()),
                "No se pudo mostrar la bandeja",
                &message,
            );
        }
        Err(error) => return axum::response::IntoResponse::into_response(error),
    };
    // Two filters the service does not take are applied to the page it answered.
    let items: Vec<&TicketSummary> = page
        .items
        .iter()
        .filter(|t| !filters.unassigned || t.assignee_id.is_none())
        .filter(|t| !filters.overdue || t.clock.as_ref().is_some_and(|c| c.overdue))
        .collect();
    let names = match assignee_names(&state, &items).await {
        Ok(names) => names,
        Err(error) => return axum::response::IntoResponse::into_response(error),
    };
    let rows: Vec<minijinja::Value> = items
        .iter()
        .map(|t| {
            context! {
                id => t.id,
                number => &t.number,
                topic => &t.topic,
                subject => &t.subject,
                requester => &t.requester,
                school => &t.school,
                codigo_modular => &t.codigo_modular,
                priority => t.priority_label,
                priority_value => t.priority,
                state => t.state_label,
                assignee => t.assignee_id.and_then(|id| names.get(&id).cloned()),
                mine => t.assignee_id == Some(signed.principal.user_id),
                clock => t.clock.as_ref().map(|c| clock_view(c, at)),
            }
        })
        .collect();
    let states: Vec<minijinja::Value> = TicketState::ALL
        .iter()
        .map(|s| {
            context! {
                code => s.code(),
                label => s.label(),
                checked => filters.states.iter().any(|c| c == s.code()),
            }
        })
        .collect();
    let sorts: Vec<minijinja::Value> = SORTS
        .iter()
        .map(|(code, label)| context! { code, label, selected => *code == filters.sort })
        .collect();
    render_wide(
        StatusCode::OK,
        Some(&signed.person()),
        "Mesa de ayuda",
        "console_queue.html",
        context! {
            action => QUEUE_PATH,
            ticket_pages => true,
            rows,
            states,
            sorts,
            mine => filters.mine,
            unassigned => filters.unassigned,
            overdue => filters.overdue,
            q => &filters.q,
            next => page.next_before.map(|b| format!("{QUEUE_PATH}?{}", filters.next(b))),
        },
    )
}

/// The names of the people the tickets are assigned to.
async fn assignee_names(
    state: &AppState,
    items: &[&TicketSummary],
) -> Result<HashMap<i64, String>, ApiError> {
    let ids: Vec<i64> = items.iter().filter_map(|t| t.assignee_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let accounts = user_account::Entity::find()
        .filter(user_account::Column::Id.is_in(ids))
        .all(&state.db)
        .await?;
    let people: HashMap<i64, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(accounts.iter().map(|a| a.person_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(accounts
        .into_iter()
        .map(|a| {
            let name = people
                .get(&a.person_id)
                .map(|p| format!("{} {}", p.given_names, p.paternal_surname))
                .unwrap_or(a.username);
            (a.id, name)
        })
        .collect())
}

/// The SLA clock as the page says it: what it measures, when it falls due (Lima), and the
/// working time left, overdue, or paused.
pub fn clock_view(clock: &Clock, _at: DateTime<Utc>) -> minijinja::Value {
    let target = match clock.target {
        "first_response" => "Primera respuesta",
        _ => "Resolución",
    };
    let due = clock
        .due_at
        .with_timezone(&LIMA)
        .format("%d/%m/%Y %H:%M")
        .to_string();
    let left = clock.minutes_left.unsigned_abs();
    let span = if left >= 60 {
        format!("{} h {} min", left / 60, left % 60)
    } else {
        format!("{left} min")
    };
    let (class, text) = if clock.paused {
        ("note", "Pausado: se espera al usuario".to_owned())
    } else if clock.overdue {
        ("bad", format!("Vencido hace {span} hábiles"))
    } else if clock.status == "por_vencer" {
        ("warn", format!("Quedan {span} hábiles"))
    } else {
        ("ok", format!("Quedan {span} hábiles"))
    };
    context! { target, due, class, text }
}
