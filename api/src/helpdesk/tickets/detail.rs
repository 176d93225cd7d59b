//! A ticket's detail as its reader may see it (internal notes and reasons only to the help desk),
//! and its attached files.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use entity::{
    helpdesk_attachment, helpdesk_event, helpdesk_message, helpdesk_ticket, helpdesk_topic, school,
};

use super::{reach::load, topics::topic_view};
use crate::{
    auth::Principal,
    error::{ApiError, Result},
    helpdesk::{
        HelpdeskConfig, access,
        dto::{AttachmentView, EventView, MessageView, TicketView, Topic},
        rules, sla, sla_job,
    },
    state::AppState,
};

/// A ticket's detail.
pub async fn read(
    state: &AppState,
    p: &Principal,
    id: i64,
    now: DateTime<Utc>,
) -> Result<TicketView> {
    let (ticket, _) = load(&state.db, p, id).await?;
    read_as(&state.db, &state.config.helpdesk, p, &ticket, now).await
}

/// Who wrote: "Apellidos, Nombres" of each account.
pub(super) async fn names(
    db: &impl ConnectionTrait,
    users: Vec<i64>,
) -> Result<HashMap<i64, String>> {
    Ok(rules::accounts(db, &users)
        .await?
        .into_iter()
        .map(|(a, person)| {
            let name = person
                .map(|p| {
                    format!(
                        "{} {}, {}",
                        p.paternal_surname, p.maternal_surname, p.given_names
                    )
                })
                .unwrap_or(a.username);
            (a.id, name)
        })
        .collect())
}

/// The detail as this caller may see it.
pub async fn read_as(
    db: &impl ConnectionTrait,
    config: &HelpdeskConfig,
    p: &Principal,
    ticket: &helpdesk_ticket::Model,
    now: DateTime<Utc>,
) -> Result<TicketView> {
    let access = access::of(p, ticket);
    // The help desk sees the whole case; a requester who is not also its worker sees only what
    // is public.
    let parts = Parts::load(db, config, ticket, access.staff, now).await?;
    Ok(view(ticket, access.staff, access.works, parts))
}

/// What a ticket's detail shows besides the ticket.
struct Parts {
    topic: Topic,
    messages: Vec<helpdesk_message::Model>,
    events: Vec<helpdesk_event::Model>,
    attachments: Vec<helpdesk_attachment::Model>,
    names: HashMap<i64, String>,
    school: Option<String>,
    merged_into: Option<String>,
    sla: Vec<sla::Target>,
    requester_role: Option<String>,
}

impl Parts {
    /// Reads them: the internal notes, the SLA clocks and the requester's role only for the help
    /// desk (`staff`).
    async fn load(
        db: &impl ConnectionTrait,
        config: &HelpdeskConfig,
        ticket: &helpdesk_ticket::Model,
        staff: bool,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let topic = helpdesk_topic::Entity::find_by_id(ticket.topic_id)
            .one(db)
            .await?
            .map(topic_view)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("ticket without topic")))?;
        let mut messages = helpdesk_message::Entity::find()
            .filter(helpdesk_message::Column::TicketId.eq(ticket.id))
            .order_by_asc(helpdesk_message::Column::Id);
        if !staff {
            messages = messages.filter(helpdesk_message::Column::Internal.eq(false));
        }
        let messages = messages.all(db).await?;
        let events = helpdesk_event::Entity::find()
            .filter(helpdesk_event::Column::TicketId.eq(ticket.id))
            .order_by_asc(helpdesk_event::Column::Id)
            .all(db)
            .await?;
        let attachments = helpdesk_attachment::Entity::find()
            .filter(helpdesk_attachment::Column::TicketId.eq(ticket.id))
            .order_by_asc(helpdesk_attachment::Column::Id)
            .all(db)
            .await?;
        let mut users: Vec<i64> = messages.iter().map(|m| m.author_id).collect();
        users.push(ticket.requester_id);
        let names = names(db, users).await?;
        let school = match ticket.school_id {
            Some(id) => school::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|s| s.name),
            None => None,
        };
        let merged_into = match ticket.merged_into {
            Some(id) => helpdesk_ticket::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|t| t.number),
            None => None,
        };
        let sla = if staff {
            let calendar = sla_job::calendar_for(db, ticket, config).await?;
            sla_job::clocks(&calendar, ticket, &events, now)
        } else {
            Vec::new()
        };
        let requester_role = if staff {
            crate::auth::principal::load_principal(db, ticket.requester_id)
                .await
                .ok()
                .and_then(|r| r.assignments.first().map(|a| a.role.label().to_owned()))
        } else {
            None
        };
        Ok(Self {
            topic,
            messages,
            events,
            attachments,
            names,
            school,
            merged_into,
            sla,
            requester_role,
        })
    }
}

/// The detail from the ticket and its parts.
fn view(ticket: &helpdesk_ticket::Model, staff: bool, works: bool, parts: Parts) -> TicketView {
    let Parts {
        topic,
        messages,
        events,
        attachments,
        names,
        school,
        merged_into,
        sla,
        requester_role,
    } = parts;
    TicketView {
        id: ticket.id,
        number: ticket.number.clone(),
        state: ticket.state,
        state_label: ticket.state.label(),
        level: ticket.level,
        n2_unit: ticket.n2_unit,
        level_label: rules::stage_label(ticket.level, ticket.n2_unit),
        impact: ticket.impact,
        urgency: ticket.urgency,
        priority: ticket.priority,
        priority_label: ticket.priority.label(),
        topic,
        requester: names.get(&ticket.requester_id).cloned().unwrap_or_default(),
        requester_role,
        school_id: ticket.school_id,
        school,
        ugel_id: ticket.ugel_id,
        dre_id: ticket.dre_id,
        codigo_modular: ticket.codigo_modular.clone(),
        email: ticket.email.clone(),
        cell_phone: ticket.cell_phone.clone(),
        extension: ticket.extension.clone(),
        comment: ticket.comment.clone(),
        error_code: ticket.error_code.clone(),
        request_id: ticket.request_id.clone(),
        assignee_id: ticket.assignee_id,
        owner_id: ticket.owner_id,
        resolution: ticket.resolution.clone(),
        merged_into,
        rating: ticket.rating,
        rating_comment: ticket.rating_comment.clone(),
        created_at: ticket.created_at,
        updated_at: ticket.updated_at,
        resolved_at: ticket.resolved_at,
        closed_at: ticket.closed_at,
        messages: messages
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                author: names.get(&m.author_id).cloned().unwrap_or_default(),
                from_requester: m.author_id == ticket.requester_id,
                internal: m.internal,
                body: m.body,
                created_at: m.created_at,
            })
            .collect(),
        events: events
            .into_iter()
            .map(|e| EventView {
                at: e.at,
                kind: e.kind,
                from_state: e.from_state,
                to_state: e.to_state,
                level: e.level,
                n2_unit: e.n2_unit,
                reason: if staff { e.reason } else { None },
            })
            .collect(),
        attachments: attachments
            .into_iter()
            .map(|a| AttachmentView {
                id: a.id,
                name: a.name,
                content_type: a.content_type,
                size: a.size,
            })
            .collect(),
        sla,
        can_work: works,
    }
}

/// An attachment's bytes and type, for a reader of its ticket.
pub async fn attachment(
    db: &DatabaseConnection,
    data_dir: &std::path::Path,
    p: &Principal,
    id: i64,
    attachment_id: i64,
) -> Result<(Vec<u8>, String, String)> {
    let (ticket, _) = load(db, p, id).await?;
    let file = helpdesk_attachment::Entity::find_by_id(attachment_id)
        .filter(helpdesk_attachment::Column::TicketId.eq(ticket.id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el archivo adjunto"))?;
    let bytes = tokio::fs::read(data_dir.join(&file.path))
        .await
        .map_err(|_| ApiError::not_found("el archivo adjunto"))?;
    Ok((bytes, file.content_type, file.name))
}
