//! The knowledge base: articles drawn from resolved tickets in one step, drafted, published and
//! archived; full-text search in Spanish that ignores accents and matches inflections
//! (PostgreSQL: `tsvector` with the Spanish configuration over `unaccent`; SQLite: FTS5 with
//! `remove_diacritics`), one endpoint on both; "¿Le sirvió?" and deflections; and, for the help
//! desk, tickets similar to one and its probable duplicates.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use entity::{
    helpdesk_article, helpdesk_article_vote, helpdesk_event, helpdesk_ticket, helpdesk_topic,
    helpdesk_vocabulary::{ArticleState, TicketState},
};

use super::{
    access,
    dto::{Article, ArticleHit, ArticleInput, Feedback, Removed, SearchQuery, SimilarTicket},
    privacy,
    rules::{self, text},
    tickets,
};
use crate::{
    auth::Principal,
    db::dialect,
    error::{ApiError, ErrorCode, Fields, Result},
    record::{AuditAction, Change, Event, record},
};

const STOPWORDS: &[&str] = &[
    "que", "los", "las", "del", "con", "por", "para", "una", "uno", "unos", "unas", "como", "mas",
    "pero", "sus", "este", "esta", "estos", "estas", "ese", "esa", "eso", "hay", "muy", "sin",
    "sobre", "entre", "cuando", "donde", "porque", "desde", "hasta", "tambien", "mis", "nos",
    "les", "ellos", "ella", "usted", "ustedes", "puedo", "puede", "tengo", "tiene", "hace", "ser",
    "fue", "son", "esta", "estoy", "todo", "todos", "nada", "algo", "cual", "quien", "favor",
    "buenos", "buenas", "dias", "tardes", "hola", "gracias", "sistema", "siagie",
];

const SUFFIXES: &[&str] = &[
    "amientos", "imientos", "amiento", "imiento", "aciones", "uciones", "acion", "ucion", "adoras",
    "adores", "adora", "ador", "ancias", "ancia", "mente", "ables", "ibles", "able", "ible",
    "istas", "ista", "ados", "adas", "idos", "idas", "ado", "ada", "ido", "ida", "ando", "iendo",
    "ar", "er", "ir", "os", "as", "es", "o", "a", "e", "s",
];

/// Lower case without accents: "Contraseña" → "contrasena".
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ñ' => 'n',
            other => crate::domain::unaccented(other),
        })
        .collect()
}

/// A word's stem, for a prefix search: "bloqueado" and "bloqueo" → "bloque", "contraseñas" →
/// "contrasen".
pub fn stem(word: &str) -> String {
    for suffix in SUFFIXES {
        if let Some(base) = word.strip_suffix(suffix)
            && base.len() >= 4
        {
            return base.to_owned();
        }
    }
    word.to_owned()
}

/// The meaningful words of a text, folded, each with its stem, in order, without repeated stems
/// (at most `max`).
pub fn terms(text: &str, max: usize) -> Vec<(String, String)> {
    let folded = fold(text);
    let mut seen = HashSet::new();
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 3 && !STOPWORDS.contains(w))
        .map(|w| (w.to_owned(), stem(w)))
        .filter(|(_, s)| seen.insert(s.clone()))
        .take(max)
        .collect()
}

/// The meaningful words of a text typed so far (as [`terms`]), and whether the last of them is
/// still being typed: the text ends in it, not in a space or a sign. Only that word is matched as
/// a prefix; the words before it are whole.
pub fn typed_terms(text: &str, max: usize) -> (Vec<(String, String)>, bool) {
    let words = terms(text, max);
    let folded = fold(text);
    let typing = folded.ends_with(|c: char| c.is_ascii_alphanumeric())
        && match (
            folded.rsplit(|c: char| !c.is_ascii_alphanumeric()).next(),
            words.last(),
        ) {
            (Some(token), Some((word, _))) => token == word,
            _ => false,
        };
    (words, typing)
}

/// The stems of a text's meaningful words, in order, without repeats (at most `max`).
pub fn stems(text: &str, max: usize) -> Vec<String> {
    terms(text, max).into_iter().map(|(_, s)| s).collect()
}

async fn topic_names(db: &impl ConnectionTrait) -> Result<HashMap<i64, helpdesk_topic::Model>> {
    Ok(helpdesk_topic::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

async fn view(db: &impl ConnectionTrait, a: helpdesk_article::Model) -> Result<Article> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_word_being_typed_is_a_prefix() {
        let (words, typing) = typed_terms("Olvidé mi contra", 12);
        assert_eq!(words.last().unwrap().0, "contra");
        assert!(typing);
        let (_, typing) = typed_terms("Olvidé mi contraseña ", 12);
        assert!(!typing, "a space after the last word ends it");
        let (words, typing) = typed_terms("registro de", 12);
        assert_eq!(words.len(), 1);
        assert!(!typing, "the last word typed is too short to count");
        assert!(!typed_terms("", 12).1);
    }

    #[test]
    fn inflections_and_accents_share_a_stem() {
        assert_eq!(stem(&fold("contraseña")), stem(&fold("contrasenas")));
        assert_eq!(stem("bloqueado"), stem("bloqueo"));
        assert_eq!(
            stems("¡Olvidé mi CONTRASEÑA del SIAGIE!", 5),
            vec!["olvid", "contrasen"]
        );
    }
}
