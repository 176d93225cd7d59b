//! The mail outbox: e-mail is written in the same transaction as the change that causes it and
//! delivered afterwards, with retries and backoff. A message is kept as its template and data and
//! rendered when it is sent, so queueing many is cheap.
//!
//! Delivery is at least once: a message is claimed with a lease, sent, then marked sent. A crash
//! between sending and marking lets the lease expire and the message is sent again with the same
//! Message-ID, which mail clients use to show it once. An SMTP outage only delays mail.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement, sea_query::Expr,
};

use entity::mail_outbox;

use crate::{
    mail::{Email, Mailer},
    templates::{self, Mail},
};

/// How long a claimed message is reserved for the sender that claimed it.
const LEASE: Duration = Duration::minutes(5);

/// Delay before the next attempt after `attempts` failures: `base` seconds doubling, at most one
/// hour.
pub fn backoff(base: i64, attempts: i32) -> Duration {
    let seconds = base
        .max(1)
        .saturating_mul(1i64 << (attempts - 1).clamp(0, 12));
    Duration::seconds(seconds.min(3600))
}

/// Writes a message to the outbox. With a `dedupe_key` already used, nothing is written and
/// `false` is returned: the same alert is never queued twice.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    to: &str,
    mail: Mail,
    dedupe_key: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(enqueue_many(db, vec![(to.to_owned(), mail, dedupe_key)], now).await? > 0)
}

/// A message to queue: address, mail and the key that keeps it from being queued twice.
pub type Queued = (String, Mail, Option<String>);

/// Messages written per statement by [`enqueue_many`].
const MESSAGES_PER_STATEMENT: usize = 5000;

/// Writes many messages to the outbox; those whose `dedupe_key` was already used are skipped.
/// Returns how many were written. Each 5,000 messages travel as a few parameters that the
/// database unpacks into rows, so a national run is a few statements.
pub async fn enqueue_many(
    db: &impl ConnectionTrait,
    messages: Vec<Queued>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let mut messages = messages.into_iter().peekable();
    let mut written = 0;
    while messages.peek().is_some() {
        let chunk: Vec<_> = messages.by_ref().take(MESSAGES_PER_STATEMENT).collect();
        if let Some((_, mail, _)) = chunk
            .iter()
            .find(|(_, m, _)| !templates::exists(m.template))
        {
            return Err(DbErr::Custom(format!(
                "plantilla de correo desconocida: {}",
                mail.template
            )));
        }
        let statement = match backend {
            DatabaseBackend::Postgres => postgres_rows(&chunk, now),
            _ => json_rows(backend, &chunk, now)?,
        };
        written += db.execute_raw(statement).await?.rows_affected();
    }
    Ok(written)
}

/// The insert every backend shares, from a subquery `r(key, to, template, context, director_of)`.
fn insert_from(rows: &str) -> String {
    // `WHERE TRUE` keeps SQLite from reading `ON CONFLICT` as a join condition.
    format!(
        "INSERT INTO mail_outbox (dedupe_key, to_address, template, context, director_of, created_at, attempts, next_attempt_at) \
         SELECT r.key, r.\"to\", r.template, r.context, r.director_of, $1, 0, $1 FROM ({rows}) AS r WHERE TRUE \
         ON CONFLICT (dedupe_key) DO NOTHING"
    )
}

/// PostgreSQL: each column as one array parameter, turned into rows by `unnest` (as the
/// attendance store writes marks): one statement, planned once, whatever the number of rows.
fn postgres_rows(chunk: &[Queued], now: DateTime<Utc>) -> Statement {
    let column = |value: &dyn Fn(&Queued) -> &str| -> sea_orm::Value {
        chunk
            .iter()
            .map(|message| value(message).to_owned())
            .collect::<Vec<String>>()
            .into()
    };
    // School ids start at 1: 0 stands for none.
    let director_of: Vec<i64> = chunk
        .iter()
        .map(|(_, mail, _)| mail.director_of.unwrap_or(0))
        .collect();
    let rows = "SELECT NULLIF(u.key, '') AS key, u.to AS \"to\", u.template, u.context, \
                NULLIF(u.director_of, 0) AS director_of \
                FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int8[]) \
                AS u(key, \"to\", template, context, director_of)";
    Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        insert_from(rows),
        [
            now.into(),
            column(&|(_, _, key)| key.as_deref().unwrap_or("")),
            column(&|(to, _, _)| to),
            column(&|(_, mail, _)| mail.template),
            column(&|(_, mail, _)| &mail.context),
            director_of.into(),
        ],
    )
}

/// SQLite: the rows as one JSON array, unpacked by `json_each`.
fn json_rows(
    backend: DatabaseBackend,
    chunk: &[Queued],
    now: DateTime<Utc>,
) -> Result<Statement, DbErr> {
    #[derive(serde::Serialize)]
    struct Row<'a> {
        key: Option<&'a str>,
        to: &'a str,
        template: &'a str,
        context: &'a str,
        director_of: Option<i64>,
    }
    let rows: Vec<Row> = chunk
        .iter()
        .map(|(to, mail, key)| Row {
            key: key.as_deref(),
            to,
            template: mail.template,
            context: &mail.context,
            director_of: mail.director_of,
        })
        .collect();
    let json = serde_json::to_string(&rows)
        .map_err(|e| DbErr::Custom(format!("datos del correo: {e}")))?;
    let rows = "SELECT json_extract(value, '$.key') AS key, json_extract(value, '$.to') AS \"to\", \
                json_extract(value, '$.template') AS template, json_extract(value, '$.context') AS context, \
                json_extract(value, '$.director_of') AS director_of FROM json_each($2)";
    Ok(Statement::from_sql_and_values(
        backend,
        insert_from(rows),
        [now.into(), json.into()],
    ))
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub failed: usize,
    /// Meant for an IE's director, and withdrawn: the IE had none to reach.
    pub withdrawn: usize,
}

pub use crate::mail::PARALLEL_SENDS;

/// Sends up to `limit` messages that are due, claiming them first (in one statement) so that
/// concurrent senders (other server instances) never send the same message at the same time;
/// sends them in parallel over the pooled transport; then records every outcome in one
/// transaction.
pub async fn deliver_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    from: &str,
    retry_base_secs: i64,
    limit: u64,
) -> Result<DeliveryReport, DbErr> {
    let now = crate::clock::now();
    let unlocked = || {
        Condition::any()
            .add(mail_outbox::Column::LockedUntil.is_null())
            .add(mail_outbox::Column::LockedUntil.lt(now))
    };
    let due: Vec<i64> = mail_outbox::Entity::find()
        .select_only()
        .column(mail_outbox::Column::Id)
        .filter(mail_outbox::Column::SentAt.is_null())
        .filter(mail_outbox::Column::WithdrawnAt.is_null())
        .filter(mail_outbox::Column::NextAttemptAt.lte(now))
        .filter(unlocked())
        .order_by_asc(mail_outbox::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(DeliveryReport::default());
    }
    // One statement claims them all; a message another sender claimed meanwhile is not returned.
    let claimed = mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::LockedUntil, Expr::value(now + LEASE))
        .filter(mail_outbox::Column::Id.is_in(due))
        .filter(mail_outbox::Column::SentAt.is_null())
        .filter(mail_outbox::Column::WithdrawnAt.is_null())
        .filter(unlocked())
        .exec_with_returning(db)
        .await?;
    let Addressed {
        sending,
        readdressed,
        withdrawn,
    } = to_current_directors(db, claimed).await?;

    let outcomes: Vec<(mail_outbox::Model, Result<(), String>)> =
        futures_util::stream::iter(sending)
            .map(|message| async move {
                let result = match email_of(&message) {
                    Ok(email) => mailer.send(from, &email).await.map_err(|e| e.to_string()),
                    Err(error) => Err(error.to_string()),
                };
                (message, result)
            })
            .buffer_unordered(PARALLEL_SENDS)
            .collect()
            .await;

    let mut report = DeliveryReport::default();
    let txn = crate::db::begin(db).await?;
    let sent: Vec<i64> = outcomes
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(m, _)| m.id)
        .collect();
    for chunk in sent.chunks(500) {
        mail_outbox::Entity::update_many()
            .col_expr(
                mail_outbox::Column::SentAt,
                Expr::value(crate::clock::now()),
            )
            .col_expr(
                mail_outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(mail_outbox::Column::Attempts, Expr::cust("attempts + 1"))
            .filter(mail_outbox::Column::Id.is_in(chunk.to_vec()))
            .exec(&txn)
            .await?;
    }
    report.sent = sent.len();
    // Where a message meant for an IE's director went, and what it greeted them with, is kept.
    for message in outcomes.iter().map(|(m, _)| m) {
        if readdressed.contains(&message.id) {
            mail_outbox::Entity::update_many()
                .col_expr(
                    mail_outbox::Column::ToAddress,
                    Expr::value(message.to_address.clone()),
                )
                .col_expr(
                    mail_outbox::Column::Context,
                    Expr::value(message.context.clone()),
                )
                .filter(mail_outbox::Column::Id.eq(message.id))
                .exec(&txn)
                .await?;
        }
    }
    if !withdrawn.is_empty() {
        mail_outbox::Entity::update_many()
            .col_expr(
                mail_outbox::Column::WithdrawnAt,
                Expr::value(crate::clock::now()),
            )
            .col_expr(
                mail_outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(
                mail_outbox::Column::LastError,
                Expr::value("withdrawn: the IE has no director with a confirmed address"),
            )
            // Its key is set free, so that a later run queues the same alert for a director the
            // IE has by then.
            .col_expr(
                mail_outbox::Column::DedupeKey,
                Expr::cust("dedupe_key || ':withdrawn:' || CAST(id AS TEXT)"),
            )
            .filter(mail_outbox::Column::Id.is_in(withdrawn.clone()))
            .exec(&txn)
            .await?;
        tracing::info!(
            withdrawn = withdrawn.len(),
            "mail for IEs without a director to reach withdrawn"
        );
    }
    report.withdrawn = withdrawn.len();
    for (message, result) in &outcomes {
        let Err(error) = result else { continue };
        let attempts = message.attempts + 1;
        tracing::warn!(message = message.id, attempts, %error, "mail delivery failed; will retry");
        mail_outbox::Entity::update_many()
            .col_expr(mail_outbox::Column::Attempts, Expr::value(attempts))
            .col_expr(
                mail_outbox::Column::NextAttemptAt,
                Expr::value(crate::clock::now() + backoff(retry_base_secs, attempts)),
            )
            .col_expr(
                mail_outbox::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(mail_outbox::Column::LastError, Expr::value(error.clone()))
            .filter(mail_outbox::Column::Id.eq(message.id))
            .exec(&txn)
            .await?;
        report.failed += 1;
    }
    txn.commit().await?;
    Ok(report)
}

/// Claimed messages, once those meant for an IE's director are addressed to the director it has.
struct Addressed {
    /// To send.
    sending: Vec<mail_outbox::Model>,
    /// Those among them sent to another director, or greeting the director by another name, than
    /// when they were queued.
    readdressed: HashSet<i64>,
    /// Those whose IE has no director to reach.
    withdrawn: Vec<i64>,
}

/// Addresses each claimed message meant for an IE's director (`director_of`) to the director the
/// IE has now, at the address its owner confirmed (`director_contact`, which the database keeps
/// beside each IE), greeting them by name: a director replaced or whose address changed after
/// the message was queued, or between its attempts, is not the one reached. A message whose IE
/// has no such director is withdrawn: the UGEL's digest lists the IEs whose director has no
/// confirmed address.
async fn to_current_directors(
    db: &impl ConnectionTrait,
    claimed: Vec<mail_outbox::Model>,
) -> Result<Addressed, DbErr> {
    let schools: BTreeSet<i64> = claimed.iter().filter_map(|m| m.director_of).collect();
    let mut directors: HashMap<i64, (String, String)> = HashMap::new();
    let schools: Vec<i64> = schools.into_iter().collect();
    for chunk in schools.chunks(1000) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT school_id, given_names, paternal_surname, email FROM director_contact \
                     WHERE email IS NOT NULL AND school_id IN ({list})"
                ),
            ))
            .await?;
        for row in rows {
            let given: Option<String> = row.try_get("", "given_names")?;
            let surname: Option<String> = row.try_get("", "paternal_surname")?;
            directors.insert(
                row.try_get("", "school_id")?,
                (
                    row.try_get("", "email")?,
                    director_name(given.as_deref(), surname.as_deref()).unwrap_or_default(),
                ),
            );
        }
    }
    let mut addressed = Addressed {
        sending: Vec::with_capacity(claimed.len()),
        readdressed: HashSet::new(),
        withdrawn: Vec::new(),
    };
    for mut message in claimed {
        let Some(school) = message.director_of else {
            addressed.sending.push(message);
            continue;
        };
        let Some((email, name)) = directors.get(&school) else {
            addressed.withdrawn.push(message.id);
            continue;
        };
        let mut context: serde_json::Map<String, serde_json::Value> = message
            .context
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default();
        let greeted = context.get("name").and_then(|n| n.as_str()) == Some(name.as_str());
        if !email.eq_ignore_ascii_case(&message.to_address) || !greeted {
            context.insert("name".into(), name.clone().into());
            message.context = Some(serde_json::Value::Object(context).to_string());
            message.to_address = email.clone();
            addressed.readdressed.insert(message.id);
        }
        addressed.sending.push(message);
    }
    Ok(addressed)
}

/// How a director is greeted: given names and paternal surname.
pub fn director_name(given_names: Option<&str>, paternal_surname: Option<&str>) -> Option<String> {
    given_names.map(|g| format!("{g} {}", paternal_surname.unwrap_or_default()))
}

/// The e-mail a queued message stands for: rendered from its template now, or as it was rendered
/// when queued.
fn email_of(message: &mail_outbox::Model) -> anyhow::Result<Email> {
    let (subject, text, html) = match (&message.template, &message.context) {
        (Some(template), Some(context)) => {
            let rendered = templates::render_json(template, context)?;
            (rendered.subject, rendered.text, rendered.html)
        }
        _ => (
            message.subject.clone().unwrap_or_default(),
            message.text_body.clone().unwrap_or_default(),
            message.html_body.clone().unwrap_or_default(),
        ),
    };
    // A help-desk ticket's e-mails form one thread: the first is its root, the others refer to it.
    let thread = message
        .context
        .as_deref()
        .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok())
        .and_then(|c| {
            let thread = c.get("thread")?.as_str()?.to_ascii_lowercase();
            let root = c.get("thread_root").and_then(|r| r.as_bool()) == Some(true);
            Some((format!("<{thread}@siagie>"), root))
        });
    let message_id = match &thread {
        Some((id, true)) => id.clone(),
        _ => format!(
            "<outbox-{}-{}@siagie>",
            message.id,
            message.created_at.timestamp()
        ),
    };
    Ok(Email {
        to: message.to_address.clone(),
        subject,
        text,
        html,
        message_id,
        thread: thread.map(|(id, _)| id),
    })
}

/// Delivers due mail every `every`, forever; a failing pass is logged and the next one goes on.
pub async fn run_sender(
    db: DatabaseConnection,
    mailer: Mailer,
    from: String,
    retry_base_secs: i64,
    every: std::time::Duration,
) {
    // The first pass one interval after the start (a server that restarts often does not race
    // whoever else delivers the same outbox at that moment).
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match deliver_due(&db, &mailer, &from, retry_base_secs, 200).await {
            Ok(report) if report.sent + report.failed > 0 => {
                tracing::info!(
                    sent = report.sent,
                    failed = report.failed,
                    "mail outbox pass"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "mail outbox pass failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(30, 1), Duration::seconds(30));
        assert_eq!(backoff(30, 2), Duration::seconds(60));
        assert_eq!(backoff(30, 4), Duration::seconds(240));
        assert_eq!(backoff(30, 30), Duration::seconds(3600));
    }
}
