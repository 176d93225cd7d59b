//! The topic catalogue of the help form: the active topics for everyone, all of them and their
//! changes for the help desk.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use entity::helpdesk_topic;

use crate::{
    auth::Principal,
    error::{ApiError, Fields, Result},
    helpdesk::{
        access,
        dto::{Topic, TopicInput},
        rules::text,
    },
    record::{AuditAction, Change, Event, record},
};

/// The active topics (everyone) or all of them (the help desk).
pub async fn topics(db: &DatabaseConnection, p: &Principal) -> Result<Vec<Topic>> {
    let mut query = helpdesk_topic::Entity::find().order_by_asc(helpdesk_topic::Column::Position);
    if !access::is_staff(p) {
        query = query.filter(helpdesk_topic::Column::Active.eq(true));
    }
    Ok(query.all(db).await?.into_iter().map(topic_view).collect())
}

pub fn topic_view(t: helpdesk_topic::Model) -> Topic {
    Topic {
        id: t.id,
        code: t.code,
        name: t.name,
        active: t.active,
    }
}

/// Adds a topic or changes the one with that code (the administrator and the Central de
/// Atención).
pub async fn save_topic(
    db: &DatabaseConnection,
    p: &Principal,
    input: TopicInput,
) -> Result<Topic> {
    if !access::manages(p) {
        return Err(ApiError::forbidden());
    }
    let mut fields = Fields::default();
    let code_ok = input.code.trim().to_owned();
    if code_ok.is_empty()
        || code_ok.len() > 32
        || !code_ok
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
    {
        fields.add(
            "code",
            "El código debe tener hasta 32 letras minúsculas, dígitos o guiones bajos.",
        );
    }
    let name = fields.check(
        "name",
        text(Some(&input.name), 120, "Indique el nombre del tema."),
    );
    fields.finish()?;
    let name = name.unwrap_or_default();
    let txn = crate::db::begin(db).await?;
    let existing = helpdesk_topic::Entity::find()
        .filter(helpdesk_topic::Column::Code.eq(&code_ok))
        .one(&txn)
        .await?;
    let saved = match existing {
        Some(t) => {
            let mut active: helpdesk_topic::ActiveModel = t.into();
            active.name = Set(name);
            active.active = Set(input.active);
            active.update(&txn).await?
        }
        None => {
            let position = helpdesk_topic::Entity::find().all(&txn).await?.len() as i16 + 1;
            helpdesk_topic::ActiveModel {
                code: Set(code_ok),
                name: Set(name),
                active: Set(input.active),
                position: Set(position),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    record(
        &txn,
        Change::Audited(
            Event::new(AuditAction::HelpdeskTopicChanged, saved.id)
                .by(p.user_id)
                .after(&saved),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(topic_view(saved))
}
