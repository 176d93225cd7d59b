//! Writing the knowledge base: an article created or changed (its text checked, never holding
//! personal data, each write audited), and a resolved ticket turned into a draft in one step.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};

use entity::{
    helpdesk_article, helpdesk_event, helpdesk_topic,
    helpdesk_vocabulary::{ArticleState, TicketState},
};

use super::search::{topic_names, view};
use crate::helpdesk::{
    access,
    dto::{Article, ArticleInput, Removed},
    privacy,
    rules::{self, text},
    tickets,
};
use crate::{
    auth::Principal,
    error::{ApiError, ErrorCode, Fields, Result},
    record::{AuditAction, Change, Event, record},
};

struct Checked {
    title: Option<String>,
    problem: Option<String>,
    solution: Option<String>,
    topic_id: Option<Option<i64>>,
    tags: Option<String>,
    state: Option<ArticleState>,
}

async fn check(db: &impl ConnectionTrait, input: ArticleInput, creating: bool) -> Result<Checked> {
    let mut fields = Fields::default();
    let mut field = |name: &str, value: Option<String>, max: usize, required: &str| match value {
        None if creating => {
            fields.add(name, required);
            None
        }
        None => None,
        Some(v) => fields.check(name, text(Some(&v), max, required)),
    };
    let title = field("title", input.title, 200, "Escriba el título.");
    let problem = field("problem", input.problem, 8000, "Describa el problema.");
    let solution = field("solution", input.solution, 8000, "Describa la solución.");
    let state = match input.state.as_deref() {
        None => None,
        Some(s) => fields.check("state", ArticleState::parse(s)),
    };
    let topics = topic_names(db).await?;
    let topic_id = match input.topic.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(code) => match topics.values().find(|t| t.code == code) {
            Some(t) => Some(Some(t.id)),
            None => {
                fields.add(
                    "topic",
                    "El tema no existe en el catálogo de la mesa de ayuda.",
                );
                None
            }
        },
    };
    let tags = input.tags.map(|tags| {
        tags.iter()
            .map(|t| t.trim().replace(',', " "))
            .filter(|t| !t.is_empty() && t.chars().all(|c| !c.is_control()))
            .map(|t| t.chars().take(40).collect::<String>())
            .take(10)
            .collect::<Vec<_>>()
            .join(",")
    });
    fields.finish()?;
    Ok(Checked {
        title,
        problem,
        solution,
        topic_id,
        tags,
        state,
    })
}

/// Refuses an article whose text, as it would be stored, holds personal data (each field named):
/// whatever its state, since a draft is one step from being published.
fn refuse_personal_data(model: &helpdesk_article::ActiveModel) -> Result<()> {
    let mut fields = crate::error::FieldErrors::new();
    for (name, value) in [
        ("title", &model.title),
        ("problem", &model.problem),
        ("solution", &model.solution),
        ("tags", &model.tags),
    ] {
        let kinds = value
            .try_as_ref()
            .map(|v| privacy::kinds(v))
            .unwrap_or_default();
        if !kinds.is_empty() {
            fields.insert(name.to_owned(), privacy::message(&kinds));
        }
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(ApiError::from(ErrorCode::PersonalDataInArticle).with_fields(fields))
    }
}

/// Writes an article (new or changed), with its audit event.
async fn save(
    db: &DatabaseConnection,
    p: &Principal,
    mut model: helpdesk_article::ActiveModel,
    checked: Checked,
    now: DateTime<Utc>,
) -> Result<Article> {
    if let Some(v) = checked.title {
        model.title = Set(v);
    }
    if let Some(v) = checked.problem {
        model.problem = Set(v);
    }
    if let Some(v) = checked.solution {
        model.solution = Set(v);
    }
    if let Some(v) = checked.topic_id {
        model.topic_id = Set(v);
    }
    if let Some(v) = checked.tags {
        model.tags = Set(v);
    }
    if let Some(state) = checked.state {
        model.state = Set(state);
        if state == ArticleState::Publicado {
            model.published_at = Set(Some(now));
        }
    }
    model.updated_at = Set(now);
    refuse_personal_data(&model)?;
    let txn = crate::db::begin(db).await?;
    let saved = model.save(&txn).await?;
    let saved: helpdesk_article::Model = sea_orm::TryIntoModel::try_into_model(saved)?;
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HelpdeskArticleChanged, saved.id)
                .by(p.user_id)
                .after(&serde_json::json!({"title": saved.title, "state": saved.state})),
        ),
    )
    .await?;
    txn.commit().await?;
    view(db, saved).await
}

fn new_article(p: &Principal, now: DateTime<Utc>) -> helpdesk_article::ActiveModel {
    helpdesk_article::ActiveModel {
        title: Set(String::new()),
        problem: Set(String::new()),
        solution: Set(String::new()),
        topic_id: Set(None),
        tags: Set(String::new()),
        state: Set(ArticleState::Borrador),
        source_ticket_id: Set(None),
        author_id: Set(p.user_id),
        helpful: Set(0),
        not_helpful: Set(0),
        deflections: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        ..Default::default()
    }
}

/// Writes a new article (the help desk).
pub async fn create(
    db: &DatabaseConnection,
    p: &Principal,
    input: ArticleInput,
    now: DateTime<Utc>,
) -> Result<Article> {
    if !access::manages(p) {
        return Err(ApiError::forbidden());
    }
    let checked = check(db, input, true).await?;
    save(db, p, new_article(p, now), checked, now).await
}

/// Changes an article: its text, or its state (publish, archive).
pub async fn change(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    input: ArticleInput,
    now: DateTime<Utc>,
) -> Result<Article> {
    if !access::manages(p) {
        return Err(ApiError::forbidden());
    }
    let article = helpdesk_article::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("el artículo"))?;
    let checked = check(db, input, false).await?;
    save(db, p, article.into(), checked, now).await
}

/// Turns a resolved ticket into a draft article in one step: its first line as the title, the
/// comment as the problem, the resolution as the solution, its topic and error code as tags,
/// with DNIs, phone numbers and e-mail addresses replaced by placeholders (listed in `removed`).
pub async fn from_ticket(
    db: &DatabaseConnection,
    p: &Principal,
    ticket_id: i64,
    now: DateTime<Utc>,
) -> Result<Article> {
    let (ticket, access) = tickets::load(db, p, ticket_id).await?;
    // Those who keep the knowledge base, and whoever resolved the ticket (an N2 or N3 specialist
    // knows the solution best); publishing stays with those who keep it.
    let resolver = helpdesk_event::Entity::find()
        .filter(helpdesk_event::Column::TicketId.eq(ticket.id))
        .filter(helpdesk_event::Column::Kind.eq("resolved"))
        .order_by_desc(helpdesk_event::Column::Id)
        .one(db)
        .await?
        .and_then(|e| e.actor_id);
    if !access.staff || !(access::manages(p) || resolver == Some(p.user_id)) {
        return Err(ApiError::forbidden());
    }
    let Some(resolution) = ticket
        .resolution
        .clone()
        .filter(|_| matches!(ticket.state, TicketState::Resuelto | TicketState::Cerrado))
    else {
        return Err(ApiError::because(
            ErrorCode::TicketStateConflict,
            "Solo se redacta un artículo a partir de un ticket resuelto.",
        ));
    };
    let topic = helpdesk_topic::Entity::find_by_id(ticket.topic_id)
        .one(db)
        .await?;
    let mut tags: Vec<String> = topic.iter().map(|t| t.name.clone()).collect();
    tags.extend(ticket.error_code.clone());
    let mut model = new_article(p, now);
    model.source_ticket_id = Set(Some(ticket.id));
    // Personal data never leaves the ticket: the draft holds placeholders and says what it took
    // out. The title is drawn from the scrubbed comment, so that no number is cut in half.
    let problem = privacy::scrub(&ticket.comment);
    let title = privacy::scrub(&rules::subject(&problem.text));
    let solution = privacy::scrub(&resolution);
    let mut removed = Vec::new();
    for (field, scrubbed) in [
        ("title", &title),
        ("problem", &problem),
        ("solution", &solution),
    ] {
        removed.extend(scrubbed.found.iter().map(|(&kind, &count)| Removed {
            field,
            kind,
            placeholder: kind.placeholder(),
            count,
        }));
    }
    let checked = Checked {
        title: Some(title.text),
        problem: Some(problem.text),
        solution: Some(solution.text),
        topic_id: Some(Some(ticket.topic_id)),
        tags: Some(tags.join(",")),
        state: None,
    };
    let article = save(db, p, model, checked, now).await?;
    Ok(Article { removed, ..article })
}
