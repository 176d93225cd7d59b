//! Canned replies: texts the Central de Atención keeps, for one topic or for every one, that an
//! agent sends to a requester as they are; each may also move the ticket (ask the requester and
//! pause the clock, or resolve), through the same steps as a reply typed by hand.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use entity::{
    helpdesk_canned_reply::{self, Model as CannedReply},
    helpdesk_topic,
    helpdesk_vocabulary::CannedStep,
};

use super::{
    rules::text,
    tickets,
    workflow::{self, Step},
};
use crate::{
    auth::{Principal, Role},
    error::{ApiError, Fields, Result},
    helpdesk::{conversation, dto::NewMessage, dto::TicketView},
    record::{AuditAction, Change, Event, record},
    state::AppState,
};

/// Whether the caller keeps the canned replies: the Central de Atención's agents and the
/// administrator.
pub fn keeps(p: &Principal) -> bool {
    super::access::manages(p) || p.assignments.iter().any(|a| a.role == Role::HelpdeskAgent)
}

/// The canned replies, every one (to those who keep them) or the active ones offered on a topic
/// (those of the topic and those of every topic), by title in Spanish order.
pub async fn list(db: &DatabaseConnection, topic_id: Option<i64>) -> Result<Vec<CannedReply>> {
    use helpdesk_canned_reply::Column as C;
    let mut query = helpdesk_canned_reply::Entity::find();
    if let Some(topic) = topic_id {
        query = query.filter(C::Active.eq(true)).filter(
            sea_orm::Condition::any()
                .add(C::TopicId.is_null())
                .add(C::TopicId.eq(topic)),
        );
    }
    let mut replies = query.all(db).await?;
    replies.sort_by_cached_key(|r| crate::domain::spanish_key(&r.title));
    Ok(replies)
}

/// What a canned reply is made of, as the form sends it.
#[derive(Debug, Default, serde::Deserialize)]
pub struct CannedInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// A topic's code; empty: every topic.
    #[serde(default)]
    pub topic: String,
    /// `wait`, `resolve` or empty (a reply only).
    #[serde(default)]
    pub then_step: String,
    /// Unchecked on the form: withdrawn.
    #[serde(default)]
    pub active: Option<String>,
}

/// Adds a canned reply (`id` none) or changes one; 403 to those who do not keep them, 422 with
/// each field's problem.
pub async fn save(
    db: &DatabaseConnection,
    p: &Principal,
    id: Option<i64>,
    input: CannedInput,
    now: DateTime<Utc>,
) -> Result<CannedReply> {
    if !keeps(p) {
        return Err(ApiError::forbidden());
    }
    let mut fields = Fields::default();
    let title = fields.check("title", text(Some(&input.title), 120, "Escriba el título."));
    let body = fields.check(
        "body",
        text(
            Some(&input.body),
            5_000,
            "Escriba el texto de la respuesta.",
        ),
    );
    let then_step = match input.then_step.trim() {
        "" => None,
        code => fields.check("then_step", CannedStep::parse(code)),
    };
    let topic_id = match input.topic.trim() {
        "" => None,
        code => {
            let topic = helpdesk_topic::Entity::find()
                .filter(helpdesk_topic::Column::Code.eq(code))
                .one(db)
                .await?;
            if topic.is_none() {
                fields.add("topic", "Ese tema no está en el catálogo.");
            }
            topic.map(|t| t.id)
        }
    };
    fields.finish()?;
    let (Some(title), Some(body)) = (title, body) else {
        return Err(ApiError::field("title", "Escriba el título."));
    };
    let txn = crate::db::begin(db).await?;
    let mut row: helpdesk_canned_reply::ActiveModel = match id {
        Some(id) => helpdesk_canned_reply::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or_else(|| ApiError::not_found("la respuesta predefinida"))?
            .into(),
        None => Default::default(),
    };
    row.title = Set(title);
    row.body = Set(body);
    row.topic_id = Set(topic_id);
    row.then_step = Set(then_step);
    row.active = Set(id.is_none() || input.active.is_some());
    row.updated_by = Set(p.user_id);
    row.updated_at = Set(now);
    let saved = if id.is_some() {
        row.update(&txn).await?
    } else {
        row.insert(&txn).await?
    };
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HelpdeskCannedReplyChanged, saved.id)
                .by(p.user_id)
                .after(&serde_json::json!({
                    "title": saved.title,
                    "topic_id": saved.topic_id,
                    "then_step": saved.then_step,
                    "active": saved.active,
                })),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Sends a canned reply on a ticket: the reply as a typed one would be sent, or, when the reply
/// also moves the ticket, the step it names with the reply as its text (the question asked, the
/// resolution). A reply not offered on the ticket's topic is refused (422).
pub async fn send(
    state: &AppState,
    p: &Principal,
    ticket_id: i64,
    reply_id: i64,
    now: DateTime<Utc>,
) -> Result<TicketView> {
    let ticket = tickets::read(state, p, ticket_id, now).await?;
    let reply = helpdesk_canned_reply::Entity::find_by_id(reply_id)
        .one(&state.db)
        .await?
        .filter(|r| r.active && r.topic_id.is_none_or(|t| t == ticket.topic.id))
        .ok_or_else(|| {
            ApiError::field(
                "canned",
                "Esa respuesta predefinida no existe o no corresponde al tema del ticket.",
            )
        })?;
    match reply.then_step {
        None => {
            let input = NewMessage {
                body: reply.body,
                internal: false,
            };
            conversation::post(state, p, ticket_id, input, now).await
        }
        Some(CannedStep::Wait) => {
            workflow::apply(state, p, ticket_id, Step::Wait(reply.body), now).await
        }
        Some(CannedStep::Resolve) => {
            workflow::apply(state, p, ticket_id, Step::Resolve(reply.body), now).await
        }
    }
}
