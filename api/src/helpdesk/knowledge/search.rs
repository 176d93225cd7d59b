//! Reading the knowledge base: the search, an article with the reader's vote, "¿Le sirvió?"
//! and deflections, and the tickets similar to one.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};

use entity::{
    helpdesk_article, helpdesk_article_vote, helpdesk_ticket, helpdesk_topic,
    helpdesk_vocabulary::ArticleState,
};

use super::terms::{stems, typed_terms};
use crate::helpdesk::{
    access,
    dto::{Article, ArticleHit, Feedback, SearchQuery, SimilarTicket},
    rules::{self},
    tickets,
};
use crate::{
    auth::Principal,
    db::dialect,
    error::{ApiError, ErrorCode, Result},
};

pub(super) async fn topic_names(
    db: &impl ConnectionTrait,
) -> Result<HashMap<i64, helpdesk_topic::Model>> {
    Ok(helpdesk_topic::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

pub(super) async fn view(db: &impl ConnectionTrait, a: helpdesk_article::Model) -> Result<Article> {
    let topic = match a.topic_id {
        Some(id) => helpdesk_topic::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|t| t.code),
        None => None,
    };
    let source_ticket = match a.source_ticket_id {
        Some(id) => helpdesk_ticket::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|t| t.number),
        None => None,
    };
    Ok(Article {
        id: a.id,
        title: a.title,
        problem: a.problem,
        solution: a.solution,
        topic,
        tags: a
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
        state: a.state,
        source_ticket,
        helpful: a.helpful,
        not_helpful: a.not_helpful,
        deflections: a.deflections,
        my_vote: None,
        updated_at: a.updated_at,
        removed: Vec::new(),
    })
}

/// Matches PostgreSQL ranks at most, per search.
const RANKED: usize = 200;

/// Searches the articles (published ones; the help desk may ask for all), best first: those with
/// every word typed, then those with any. Without words, the latest.
pub async fn search(
    db: &DatabaseConnection,
    p: &Principal,
    q: SearchQuery,
) -> Result<Vec<ArticleHit>> {
    let all = match q.state.as_deref() {
        None | Some("publicado") => false,
        Some("all") if access::is_staff(p) => true,
        Some("all") => return Err(ApiError::forbidden()),
        Some(other) => {
            return Err(ApiError::because(
                ErrorCode::InvalidQuery,
                format!(
                    "Estado no válido: «{}». Valores permitidos: publicado, all.",
                    other.chars().take(40).collect::<String>()
                ),
            ));
        }
    };
    let limit = q.limit.unwrap_or(10).clamp(1, 50);
    let (words, typing) = typed_terms(q.q.as_deref().unwrap_or_default(), 12);
    let rows: Vec<helpdesk_article::Model> = if words.is_empty() {
        let mut query = helpdesk_article::Entity::find();
        if !all {
            query = query.filter(helpdesk_article::Column::State.eq(ArticleState::Publicado));
        }
        query
            .order_by_desc(helpdesk_article::Column::UpdatedAt)
            .limit(limit)
            .all(db)
            .await?
    } else {
        let search = dialect::knowledge::ArticleSearch::new(
            db.get_database_backend(),
            &words,
            typing,
            all,
            RANKED,
            limit,
        );
        // Articles with every word first; then, if they are too few, those with any. For each,
        // the statements in the order the dialect gives (on PostgreSQL, titles and tags first).
        let mut ids: Vec<i64> = Vec::new();
        'search: for every_word in [true, false] {
            for statement in search.statements(every_word) {
                let rows = db.query_all_raw(statement).await?;
                for id in rows
                    .into_iter()
                    .filter_map(|r| r.try_get_by_index::<i64>(0).ok())
                {
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                if ids.len() as u64 >= limit {
                    break 'search;
                }
            }
            if words.len() == 1 {
                break;
            }
        }
        ids.truncate(limit as usize);
        let mut found: HashMap<i64, helpdesk_article::Model> = helpdesk_article::Entity::find()
            .filter(helpdesk_article::Column::Id.is_in(ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        ids.into_iter().filter_map(|id| found.remove(&id)).collect()
    };
    Ok(rows
        .into_iter()
        .map(|a| ArticleHit {
            id: a.id,
            title: a.title,
            snippet: rules::subject(&a.solution),
            state: a.state,
        })
        .collect())
}

/// One article: published ones to everyone, every one to the help desk.
pub async fn read(db: &DatabaseConnection, p: &Principal, id: i64) -> Result<Article> {
    let article = helpdesk_article::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|a| a.state == ArticleState::Publicado || access::is_staff(p))
        .ok_or_else(|| ApiError::not_found("el artículo"))?;
    let mine = helpdesk_article_vote::Entity::find_by_id((article.id, p.user_id))
        .one(db)
        .await?;
    Ok(Article {
        my_vote: mine.map(|v| v.helpful),
        ..view(db, article).await?
    })
}

/// "¿Le sirvió?" and deflections on an article any reader reaches: one vote per person and
/// article (a second vote replaces the first); the article's counters move with the votes in the
/// same transaction, so they always equal what the votes say. A deflection is counted each time.
pub async fn feedback(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
    input: Feedback,
    now: DateTime<Utc>,
) -> Result<Article> {
    let article = read(db, p, id).await?;
    // Only a published article is suggested, so only it can have helped or spared a ticket.
    if article.state != ArticleState::Publicado {
        return Err(ApiError::not_found("el artículo"));
    }
    if input.helpful.is_none() && !input.deflected {
        return Err(ApiError::field(
            "helpful",
            "Indique si el artículo le sirvió.",
        ));
    }
    use sea_orm::sea_query::{Expr, ExprTrait};
    let counter = |helpful: bool| {
        if helpful {
            helpdesk_article::Column::Helpful
        } else {
            helpdesk_article::Column::NotHelpful
        }
    };
    let txn = crate::db::begin(db).await?;
    let mut update =
        helpdesk_article::Entity::update_many().filter(helpdesk_article::Column::Id.eq(article.id));
    let mut changed = false;
    if let Some(helpful) = input.helpful {
        let backend = txn.get_database_backend();
        // The first vote inserts; a concurrent second one waits for it and finds it there.
        let inserted = txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO helpdesk_article_vote (article_id, user_id, helpful, voted_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (article_id, user_id) DO NOTHING",
                [
                    article.id.into(),
                    p.user_id.into(),
                    helpful.into(),
                    now.into(),
                ],
            ))
            .await?
            .rows_affected();
        if inserted == 1 {
            update = update.col_expr(counter(helpful), Expr::col(counter(helpful)).add(1));
            changed = true;
        } else {
            let switched = txn
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    "UPDATE helpdesk_article_vote SET helpful = $1, voted_at = $2 \
                     WHERE article_id = $3 AND user_id = $4 AND helpful <> $1",
                    [
                        helpful.into(),
                        now.into(),
                        article.id.into(),
                        p.user_id.into(),
                    ],
                ))
                .await?
                .rows_affected();
            if switched == 1 {
                update = update
                    .col_expr(counter(helpful), Expr::col(counter(helpful)).add(1))
                    .col_expr(counter(!helpful), Expr::col(counter(!helpful)).sub(1));
                changed = true;
            }
        }
    }
    // A deflection counts once per person and article.
    if input.deflected
        && txn
            .execute_raw(Statement::from_sql_and_values(
                txn.get_database_backend(),
                "INSERT INTO helpdesk_deflection (article_id, user_id, deflected_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (article_id, user_id) DO NOTHING",
                [article.id.into(), p.user_id.into(), now.into()],
            ))
            .await?
            .rows_affected()
            == 1
    {
        update = update.col_expr(
            helpdesk_article::Column::Deflections,
            Expr::col(helpdesk_article::Column::Deflections).add(1),
        );
        changed = true;
    }
    if changed {
        update.exec(&txn).await?;
    }
    txn.commit().await?;
    read(db, p, id).await
}

/// Tickets like one (the help desk): sharing much of its text, its error code or its IE and
/// topic; probable duplicates are open ones of the same IE with the same error code or text.
/// Only tickets within the caller's reach are listed (the same reach as its queues).
pub async fn similar(
    db: &DatabaseConnection,
    p: &Principal,
    id: i64,
) -> Result<Vec<SimilarTicket>> {
    let (ticket, access) = tickets::load(db, p, id).await?;
    if !access.staff {
        return Err(ApiError::forbidden());
    }
    let mine: HashSet<String> = stems(&ticket.comment, 40).into_iter().collect();
    let since = ticket.created_at - Duration::days(180);
    // Only tickets the caller reaches, by the rules of its queues: a ticket of another UGEL, or
    // one that never reached the caller's stage, is not shown even as a number.
    let candidates = helpdesk_ticket::Entity::find()
        .filter(access::queue_condition(p))
        .filter(helpdesk_ticket::Column::Id.ne(ticket.id))
        .filter(helpdesk_ticket::Column::CreatedAt.gte(since))
        .filter(
            sea_orm::Condition::any()
                .add(helpdesk_ticket::Column::TopicId.eq(ticket.topic_id))
                .add(helpdesk_ticket::Column::ErrorCode.eq(ticket.error_code.clone()))
                .add(helpdesk_ticket::Column::SchoolId.eq(ticket.school_id)),
        )
        .order_by_desc(helpdesk_ticket::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    let mut found = Vec::new();
    for other in candidates
        .into_iter()
        .filter(|other| access::of(p, other).staff)
    {
        let theirs: HashSet<String> = stems(&other.comment, 40).into_iter().collect();
        let shared = mine.intersection(&theirs).count();
        let union = mine.union(&theirs).count().max(1);
        let overlap = shared as f64 / union as f64;
        let mut reasons = Vec::new();
        if overlap >= 0.4 {
            reasons.push("texto");
        }
        let same_error = ticket.error_code.is_some() && other.error_code == ticket.error_code;
        if same_error {
            reasons.push("codigo_error");
        }
        let same_school = ticket.school_id.is_some() && other.school_id == ticket.school_id;
        if same_school && other.topic_id == ticket.topic_id {
            reasons.push("misma_ie");
        }
        if reasons.is_empty() || (reasons == ["misma_ie"] && overlap < 0.2) {
            continue;
        }
        let probable_duplicate =
            other.state.is_open() && same_school && (same_error || overlap >= 0.6);
        found.push((
            overlap,
            SimilarTicket {
                id: other.id,
                number: other.number,
                state: other.state,
                subject: rules::subject(&other.comment),
                probable_duplicate,
                reasons,
            },
        ));
    }
    found.sort_by(|a, b| {
        (b.1.probable_duplicate, b.0)
            .partial_cmp(&(a.1.probable_duplicate, a.0))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(found.into_iter().take(20).map(|(_, s)| s).collect())
}
