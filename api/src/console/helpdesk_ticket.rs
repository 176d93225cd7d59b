//! A ticket's page for the help desk (`/consola/mesa-de-ayuda/tickets/{id}`): the conversation
//! with the internal notes set apart, the files, the event log and the SLA clocks, suggested
//! articles, from the service `GET /helpdesk/tickets/{id}` calls; and its forms, each calling the
//! service of the API's step, then back to the page (303) with what was done.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;
use serde::Deserialize;

use super::{
    layout::{QUEUE_PATH, message_page, render_wide},
    session::{Posted, Signed},
    staff::{is_help_desk, severities},
    ticket_view::{self, spanish},
};
use crate::{
    error::ApiError,
    helpdesk::{
        canned, conversation,
        dto::{NewMessage, SearchQuery, TicketView},
        knowledge,
        links::{self, Links},
        mail::{self, Stage},
        presence, rules, tickets,
        workflow::{self, Step},
    },
    state::AppState,
    time::now,
};

/// The forms of a ticket's page, by the last segment of the path they post to, with what the
/// page says once done.
const ACTIONS: &[(&str, &str)] = &[
    ("responder", "Respuesta enviada al usuario."),
    ("predefinida", "Respuesta predefinida enviada al usuario."),
    ("articulo-enviado", "Artículo enviado al usuario."),
    ("nota", "Nota interna agregada."),
    ("tomar", "Ticket tomado: ahora lo atiende usted."),
    ("asignar", "Ticket asignado."),
    (
        "consultar",
        "Consulta enviada al usuario: el plazo queda en pausa hasta que responda.",
    ),
    ("escalar", "Ticket escalado al siguiente nivel."),
    ("devolver", "Ticket devuelto al nivel anterior."),
    (
        "resolver",
        "Ticket resuelto: se envió la solución al usuario.",
    ),
    ("prioridad", "Prioridad cambiada."),
    ("fusionar", "Ticket cerrado como duplicado del indicado."),
    ("anular", "Ticket anulado."),
];

#[derive(Debug, Default, Deserialize)]
pub struct Flash {
    hecho: Option<String>,
}

/// The ticket, for the help desk that reaches it; 404 otherwise, saying nothing of it.
pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(flash): Query<Flash>,
) -> Response {
    let Some(id) = allowed(&signed, &id) else {
        return not_found(&signed);
    };
    let done = flash
        .hecho
        .and_then(|code| ACTIONS.iter().find(|(c, _)| *c == code).map(|(_, m)| *m));
    let notice = Notice {
        done,
        ..Notice::default()
    };
    page(&state, &signed, id, StatusCode::OK, notice).await
}

/// Who else has the ticket open, alone (the page's line refreshes itself from here every 30
/// seconds with JavaScript, instead of loading the whole ticket again); 404 out of reach.
pub async fn presence(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let Some(id) = allowed(&signed, &id) else {
        return not_found(&signed);
    };
    // Reading the ticket is what proves it is in reach.
    match tickets::read(&state, &signed.principal, id, now()).await {
        Ok(_) => {}
        Err(ApiError::Client { .. }) => return not_found(&signed),
        Err(error) => return error.into_response(),
    }
    match others_on(&state, &signed, id).await {
        Ok(others) => crate::page::fragment(
            "_presence.html",
            context! { others, presence => format!("{}/presencia", links::staff_ticket(id)) },
        ),
        Err(error) => error.into_response(),
    }
}

/// A file of the ticket.
pub async fn attachment(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    if allowed(&signed, &id).is_none() {
        return not_found(&signed);
    }
    ticket_view::download(&state, &signed, &id, &file).await
}

/// The ticket's id from the path, for a person of the help desk.
fn allowed(signed: &Signed, id: &str) -> Option<i64> {
    if !is_help_desk(signed) {
        return None;
    }
    id.parse().ok().filter(|id: &i64| *id > 0)
}

fn not_found(signed: &Signed) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Some(&signed.person()),
        "Ticket no encontrado",
        "No existe un ticket con ese número en su bandeja.",
    )
}

/// What the page says above the ticket: what was done, what went wrong, or that someone else
/// wrote while the person was writing (with the draft kept).
#[derive(Debug, Default)]
struct Notice<'a> {
    done: Option<&'a str>,
    error: Option<String>,
    collision: Option<String>,
    draft: Option<String>,
}

/// The page, with its notice.
async fn page(
    state: &AppState,
    signed: &Signed,
    id: i64,
    status: StatusCode,
    notice: Notice<'_>,
) -> Response {
    let ticket = match tickets::read(state, &signed.principal, id, now()).await {
        Ok(ticket) => ticket,
        Err(ApiError::Client { .. }) => return not_found(signed),
        Err(error) => return error.into_response(),
    };
    let extras = match Extras::load(state, signed, &ticket).await {
        Ok(extras) => extras,
        Err(error) => return error.into_response(),
    };
    let others = match others_on(state, signed, id).await {
        Ok(others) => others,
        Err(error) => return error.into_response(),
    };
    let path = links::staff_ticket(id);
    render_wide(
        status,
        Some(&signed.person()),
        &format!("Ticket {}", ticket.number),
        "console_ticket.html",
        context! {
            queue => QUEUE_PATH,
            action => &path,
            csrf => &signed.csrf,
            done => notice.done,
            error => notice.error,
            collision => notice.collision,
            draft => notice.draft,
            mine => ticket.assignee_id == Some(signed.principal.user_id),
            people => extras.people,
            canned => extras.canned,
            articles => extras.articles,
            others,
            presence => format!("{path}/presencia"),
            severities => severities(),
            writes_articles => knowledge_writer(signed),
            ..ticket_view::view(&ticket, &format!("{path}/adjuntos"))
        },
    )
}

/// The others of the help desk who have the ticket's page open now (the page itself counts the
/// person as one of them for the others), by name with the time each last loaded it.
async fn others_on(state: &AppState, signed: &Signed, id: i64) -> Result<Vec<String>, ApiError> {
    let others = presence::seen(&state.db, id, signed.principal.user_id, now()).await?;
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = others.iter().map(|(user, _)| *user).collect();
    let names = mail::contacts(&state.db, &ids).await?;
    Ok(others
        .iter()
        .map(|(user, at)| {
            let name = names
                .iter()
                .find(|(id, ..)| id == user)
                .map_or("Otra persona".to_owned(), |(_, _, name)| name.clone());
            format!(
                "{name} (desde las {})",
                at.with_timezone(&crate::time::LIMA).format("%H:%M")
            )
        })
        .collect())
}

/// What the page offers beside the ticket: whom it can be assigned to, the canned replies of its
/// topic, and articles that may answer it.
struct Extras {
    people: Vec<minijinja::Value>,
    canned: Vec<minijinja::Value>,
    articles: Vec<minijinja::Value>,
}

impl Extras {
    async fn load(state: &AppState, signed: &Signed, t: &TicketView) -> Result<Self, ApiError> {
        if !t.can_work {
            return Ok(Self {
                people: Vec::new(),
                canned: Vec::new(),
                articles: Vec::new(),
            });
        }
        let stage = Stage {
            level: t.level,
            n2_unit: t.n2_unit,
            ugel_id: t.ugel_id,
            dre_id: t.dre_id,
        };
        let people = mail::stage_people(&state.db, stage)
            .await?
            .into_iter()
            .map(|(id, _, name)| {
                let name = if id == signed.principal.user_id {
                    format!("{name} (usted)")
                } else {
                    name
                };
                context! { id, name }
            })
            .collect();
        let canned = canned::list(&state.db, Some(t.topic.id))
            .await?
            .into_iter()
            .map(|c| context! { id => c.id, title => c.title, then => c.then_step.map(|s| s.label()) })
            .collect();
        let query = SearchQuery {
            q: Some(rules::subject(&t.comment)),
            state: None,
            limit: Some(3),
        };
        // A ticket whose words make no query (too short) has no articles to suggest.
        let found = match knowledge::search(&state.db, &signed.principal, query).await {
            Ok(found) => found,
            Err(ApiError::Client { .. }) => Vec::new(),
            Err(error) => return Err(error),
        };
        let articles = found
            .into_iter()
            .map(|a| context! { id => a.id, title => a.title, snippet => a.snippet })
            .collect();
        Ok(Self {
            people,
            canned,
            articles,
        })
    }
}

/// Whether the person may draw an article from a ticket (those who keep the knowledge base; the
/// service also lets whoever resolved it).
fn knowledge_writer(signed: &Signed) -> bool {
    is_help_desk(signed)
}

/// What the forms send; each form sends the fields its step needs.
#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    canned: String,
    #[serde(default)]
    article: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    into: String,
    /// What the page showed when it loaded ([`ticket_view::seen`]).
    #[serde(default)]
    seen: String,
    /// Sent anyway, after the warning that someone else wrote.
    #[serde(default)]
    confirm: String,
}

/// A form of the page: the API's step, then back to the page.
pub async fn act(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    posted: Posted<StepForm>,
) -> Response {
    let Posted { signed, form } = posted;
    let Some(id) = allowed(&signed, &id) else {
        return not_found(&signed);
    };
    let at = now();
    if action == "responder"
        && form.confirm.is_empty()
        && let Some(response) = collision(&state, &signed, id, &form).await
    {
        return response;
    }
    if action == "articulo" {
        return match knowledge::from_ticket(&state.db, &signed.principal, id, at).await {
            Ok(article) => Redirect::to(&super::knowledge::edit_path(article.id)).into_response(),
            Err(error) => failed(&state, &signed, id, error).await,
        };
    }
    let Some(result) = step(&state, &signed, id, &action, form).await else {
        return not_found(&signed);
    };
    match result {
        Ok(_) => {
            Redirect::to(&format!("{}?hecho={action}", links::staff_ticket(id))).into_response()
        }
        Err(error) => failed(&state, &signed, id, error).await,
    }
}

/// The step a form names, taken through the service of the API's route; `None` for no form.
async fn step(
    state: &AppState,
    signed: &Signed,
    id: i64,
    action: &str,
    form: StepForm,
) -> Option<Result<TicketView, ApiError>> {
    let at = now();
    let p = &signed.principal;
    let apply = |step| workflow::apply(state, p, id, step, at);
    Some(match action {
        "responder" | "nota" => {
            let input = NewMessage {
                body: form.text,
                internal: action == "nota",
            };
            conversation::post(state, p, id, input, at).await
        }
        "predefinida" => match form.canned.parse() {
            Ok(reply) => canned::send(state, p, id, reply, at).await,
            Err(_) => Err(ApiError::field(
                "canned",
                "Elija una respuesta predefinida.",
            )),
        },
        "articulo-enviado" => article_reply(state, signed, id, &form.article).await,
        "tomar" => apply(Step::Take).await,
        "asignar" => match form.assignee.parse() {
            Ok(user) => apply(Step::Assign(Some(user))).await,
            Err(_) => Err(ApiError::field("user_id", "Elija a quién asignarlo.")),
        },
        "consultar" => apply(Step::Wait(form.text)).await,
        "escalar" => apply(Step::Escalate(form.text)).await,
        "devolver" => apply(Step::Return(form.text)).await,
        "resolver" => apply(Step::Resolve(form.text)).await,
        "prioridad" => {
            apply(Step::Priority {
                impact: form.impact,
                urgency: form.urgency,
                reason: form.text,
            })
            .await
        }
        "fusionar" => {
            apply(Step::Merge {
                into: form.into.trim().to_uppercase(),
                reason: form.text,
            })
            .await
        }
        "anular" => apply(Step::Annul(form.text)).await,
        _ => return None,
    })
}

/// A public reply that points the requester to an article: its title and its page.
async fn article_reply(
    state: &AppState,
    signed: &Signed,
    id: i64,
    article: &str,
) -> Result<TicketView, ApiError> {
    let Ok(article_id) = article.parse() else {
        return Err(ApiError::field("article", "Elija un artículo."));
    };
    let article = knowledge::read(&state.db, &signed.principal, article_id).await?;
    let link = Links::new(&state.config.auth.public_base_url);
    let body = format!(
        "Le sugerimos revisar el artículo «{}» de la base de conocimiento, que explica cómo resolverlo: {}",
        article.title,
        link.article(article.id)
    );
    let input = NewMessage {
        body,
        internal: false,
    };
    conversation::post(state, &signed.principal, id, input, now()).await
}

/// When someone else replied or moved the ticket after the page loaded, the page again with the
/// warning and the draft, to send it anyway or change it; `None` when nothing happened since.
async fn collision(
    state: &AppState,
    signed: &Signed,
    id: i64,
    form: &StepForm,
) -> Option<Response> {
    if form.seen.is_empty() {
        return None;
    }
    let ticket = tickets::read(state, &signed.principal, id, now())
        .await
        .ok()?;
    if ticket_view::seen(&ticket) == form.seen {
        return None;
    }
    let notice = Notice {
        collision: Some(
            "Mientras usted escribía, otra persona respondió o cambió este ticket. Revise la conversación: su respuesta no se envió. Puede enviarla tal como está o cambiarla."
                .into(),
        ),
        draft: Some(form.text.clone()),
        ..Notice::default()
    };
    Some(page(state, signed, id, StatusCode::CONFLICT, notice).await)
}

/// The page again with what went wrong (a 404 when the ticket is out of reach).
async fn failed(state: &AppState, signed: &Signed, id: i64, error: ApiError) -> Response {
    if let ApiError::Client { .. } = error {
        let status = error.status();
        if status == StatusCode::NOT_FOUND {
            return not_found(signed);
        }
        let notice = Notice {
            error: Some(spanish(&error)),
            ..Notice::default()
        };
        return page(state, signed, id, status, notice).await;
    }
    error.into_response()
}
