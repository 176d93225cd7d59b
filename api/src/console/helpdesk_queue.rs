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

use entity::{helpdesk_topic, helpdesk_vocabulary::TicketState, person, ugel, user_account};

use super::{
    layout::{QUEUE_PATH, message_page, render_wide},
    queue_filters::{Filters, SORTS},
    session::Signed,
    staff::is_help_desk,
};
use crate::{
    error::{ApiError, ErrorCode},
    helpdesk::{
        access, canned,
        dto::{Clock, TicketSummary},
        mail::{self, Stage},
        tickets,
    },
    state::AppState,
    time::{LIMA, now},
};

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
    let mut notice = None;
    let mut page = tickets::list(
        &state.db,
        &state.config.helpdesk,
        &signed.principal,
        filters.ticket_filter(),
        at,
    )
    .await;
    // A queue too large to measure every clock is shown oldest first, saying why.
    if let Err(error) = &page
        && error.code() == Some(ErrorCode::TooManyToSortByDeadline)
        && !filters.overdue
    {
        notice = Some(
            "Hay demasiados tickets abiertos para ordenarlos por vencimiento: se muestran los más antiguos primero. Filtre por nivel, estado, tema o UGEL para ordenarlos por vencimiento.",
        );
        let mut filter = filters.ticket_filter();
        filter.sort = Some("age".into());
        page = tickets::list(
            &state.db,
            &state.config.helpdesk,
            &signed.principal,
            filter,
            at,
        )
        .await;
    }
    let page = match page {
        Ok(page) => page,
        Err(error @ ApiError::Client { .. }) => {
            return message_page(
                error.status(),
                Some(&signed.person()),
                "No se pudo mostrar la bandeja",
                &super::ticket_view::spanish(&error),
            );
        }
        Err(error) => return axum::response::IntoResponse::into_response(error),
    };
    let items: Vec<&TicketSummary> = page.items.iter().collect();
    let choices = match Choices::load(&state, &signed).await {
        Ok(choices) => choices,
        Err(error) => return axum::response::IntoResponse::into_response(error),
    };
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
            notice,
            ticket_pages => true,
            rows,
            states,
            sorts,
            mine => filters.mine,
            unassigned => filters.unassigned,
            overdue => filters.overdue,
            q => &filters.q,
            next => page.next_before.map(|b| format!("{QUEUE_PATH}?{}", filters.query(Some(b)))),
            level => filters.level.map(|l| if filters.n2_unit.is_empty() { l.to_string() } else { format!("{l}-{}", filters.n2_unit) }),
            advanced => !filters.states.is_empty() || filters.level.is_some() || !filters.topic.is_empty() || filters.ugel.is_some(),
            topics => choices.topics,
            ugels => choices.ugels,
            topic => &filters.topic,
            ugel => filters.ugel,
            views => choices.views,
            people => choices.people,
            canned => choices.canned,
            severities => super::staff::severities(),
            keeps_replies => crate::helpdesk::canned::keeps(&signed.principal),
            reads_reports => crate::helpdesk::reports::reads_reports(&signed.principal),
            current => filters.query(None),
            csrf => &signed.csrf,
        },
    )
}

/// What the filter form offers: the topics, the UGELs (to the national help desk) and the
/// person's saved views.
struct Choices {
    topics: Vec<minijinja::Value>,
    ugels: Vec<minijinja::Value>,
    views: Vec<minijinja::Value>,
    /// The people of the caller's stage, for a bulk assignment.
    people: Vec<minijinja::Value>,
    /// The active canned replies of every topic, for a bulk reply.
    canned: Vec<minijinja::Value>,
}

impl Choices {
    async fn load(state: &AppState, signed: &Signed) -> Result<Self, ApiError> {
        use sea_orm::QueryOrder;
        let topics = helpdesk_topic::Entity::find()
            .order_by_asc(helpdesk_topic::Column::Position)
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| context! { code => t.code, name => t.name })
            .collect();
        let national = signed
            .principal
            .assignments
            .iter()
            .any(|a| matches!(a.unit, crate::auth::policy::Unit::Minedu));
        let ugels = if national {
            let mut ugels = ugel::Entity::find().all(&state.db).await?;
            ugels.sort_by_cached_key(|u| crate::domain::spanish_key(&u.name));
            ugels
                .into_iter()
                .map(|u| context! { id => u.id, name => u.name })
                .collect()
        } else {
            Vec::new()
        };
        let views = super::saved_views::of(state, signed.principal.user_id)
            .await?
            .into_iter()
            .map(|v| {
                context! {
                    id => v.id,
                    name => v.name,
                    href => format!("{QUEUE_PATH}?{}", v.query),
                }
            })
            .collect();
        let people = match own_stage(signed) {
            Some(stage) => mail::stage_people(&state.db, stage)
                .await?
                .into_iter()
                .map(|(id, _, name)| context! { id, name })
                .collect(),
            None => Vec::new(),
        };
        let canned = canned::list(&state.db, None)
            .await?
            .into_iter()
            .filter(|c| c.active && c.topic_id.is_none())
            .map(|c| context! { id => c.id, title => c.title, then => c.then_step.map(|s| s.label()) })
            .collect();
        Ok(Self {
            topics,
            ugels,
            views,
            people,
            canned,
        })
    }
}

/// The stage the caller works (its first one), to offer its people.
fn own_stage(signed: &Signed) -> Option<Stage> {
    use crate::auth::policy::Unit;
    signed.principal.assignments.iter().find_map(|a| {
        let (level, n2_unit) = access::stage_of(a.role)?;
        let (ugel_id, dre_id) = match a.unit {
            Unit::Ugel { ugel_id, dre_id } => (Some(ugel_id), Some(dre_id)),
            Unit::Dre { dre_id } => (None, Some(dre_id)),
            _ => (None, None),
        };
        Some(Stage {
            level,
            n2_unit,
            ugel_id,
            dre_id,
        })
    })
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
