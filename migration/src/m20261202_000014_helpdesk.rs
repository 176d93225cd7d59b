//! The help desk (mesa de ayuda ISOS): the topic catalogue, tickets with their append-only event
//! log, conversation and attachments, the per-year ticket counter, the help-desk calendar's
//! holidays, and the knowledge base with its full-text index (PostgreSQL `tsvector` with the
//! Spanish configuration and `unaccent`; SQLite FTS5 with `remove_diacritics`).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The topics of the ISOS form, in the order it lists them.
const TOPICS: &[(&str, &str)] = &[
    ("acceso", "Acceso y contraseña"),
    ("matricula", "Matrícula"),
    ("asistencia", "Asistencia"),
    ("evaluacion", "Evaluación y actas"),
    ("certificados", "Certificados"),
    ("traslados", "Traslados"),
    ("altas_bajas", "Altas y bajas de usuarios"),
    ("otros", "Otros"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("helpdesk_topic")
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("code", 32))
                    .col(string_len("name", 120))
                    .col(boolean("active"))
                    .col(small_integer("position"))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert();
        insert
            .into_table("helpdesk_topic")
            .columns(["code", "name", "active", "position"]);
        for (n, (code, name)) in TOPICS.iter().enumerate() {
            insert.values_panic([
                (*code).into(),
                (*name).into(),
                true.into(),
                (n as i16 + 1).into(),
            ]);
        }
        manager.exec_stmt(insert).await?;

        manager
            .create_table(
                Table::create()
                    .table("helpdesk_counter")
                    .col(integer("year").primary_key())
                    .col(big_integer("last"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("helpdesk_ticket")
                    .col(big_pk_auto("id"))
                    .col(string_len_uniq("number", 20))
                    .col(big_integer("requester_id"))
                    .col(big_integer_null("school_id"))
                    .col(big_integer_null("ugel_id"))
                    .col(big_integer_null("dre_id"))
                    .col(string_len_null("codigo_modular", 7))
                    .col(string_len("email", 254))
                    .col(string_len("cell_phone", 9))
                    .col(string_len_null("extension", 8))
                    .col(big_integer("topic_id"))
                    .col(text("comment"))
                    .col(string_len_null("error_code", 64))
                    .col(string_len_null("request_id", 64))
                    .col(string_len("state", 24))
                    .col(small_integer("level"))
                    .col(small_integer("reached_level"))
                    .col(big_integer_null("assignee_id"))
                    .col(big_integer_null("owner_id"))
                    .col(string_len("impact", 8))
                    .col(string_len("urgency", 8))
                    .col(small_integer("priority"))
                    .col(text_null("resolution"))
                    .col(big_integer_null("merged_into"))
                    .col(small_integer_null("rating"))
                    .col(text_null("rating_comment"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone("level_since"))
                    .col(timestamp_with_time_zone_null("first_response_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .foreign_key(&mut fk("helpdesk_ticket", "requester_id", "user_account"))
                    .foreign_key(&mut fk("helpdesk_ticket", "school_id", "school"))
                    .foreign_key(&mut fk("helpdesk_ticket", "topic_id", "helpdesk_topic"))
                    .to_owned(),
            )
            .await?;
        for columns in [
            &["requester_id", "id"][..],
            &["level", "state", "id"],
            &["ugel_id", "id"],
            &["dre_id", "id"],
            &["assignee_id", "id"],
            &["school_id", "id"],
        ] {
            manager
                .create_index(index("helpdesk_ticket", columns, false))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table("helpdesk_event")
                    .col(big_pk_auto("id"))
                    .col(big_integer("ticket_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(big_integer_null("actor_id"))
                    .col(string_len("kind", 24))
                    .col(string_len_null("from_state", 24))
                    .col(string_len("to_state", 24))
                    .col(small_integer("level"))
                    .col(text_null("reason"))
                    .foreign_key(&mut fk("helpdesk_event", "ticket_id", "helpdesk_ticket"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("helpdesk_event", &["ticket_id", "id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("helpdesk_message")
                    .col(big_pk_auto("id"))
                    .col(big_integer("ticket_id"))
                    .col(big_integer("author_id"))
                    .col(boolean("internal"))
                    .col(text("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("helpdesk_message", "ticket_id", "helpdesk_ticket"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("helpdesk_message", &["ticket_id", "id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("helpdesk_attachment")
                    .col(big_pk_auto("id"))
                    .col(big_integer("ticket_id"))
                    .col(string_len("name", 160))
                    .col(string_len("path", 200))
                    .col(string_len("content_type", 40))
                    .col(big_integer("size"))
                    .col(string_len("sha256", 64))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "helpdesk_attachment",
                        "ticket_id",
                        "helpdesk_ticket",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("helpdesk_attachment", &["ticket_id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("helpdesk_holiday")
                    .col(big_pk_auto("id"))
                    .col(date("date"))
                    .col(big_integer_null("dre_id"))
                    .col(string_len("description", 120))
                    .foreign_key(&mut fk("helpdesk_holiday", "dre_id", "dre"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("helpdesk_holiday", &["date", "dre_id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("helpdesk_article")
                    .col(big_pk_auto("id"))
                    .col(string_len("title", 200))
                    .col(text("problem"))
                    .col(text("solution"))
                    .col(big_integer_null("topic_id"))
                    .col(string_len("tags", 400))
                    .col(string_len("state", 16))
                    .col(big_integer_null("source_ticket_id"))
                    .col(big_integer("author_id"))
                    .col(integer("helpful"))
                    .col(integer("not_helpful"))
                    .col(integer("deflections"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    .foreign_key(&mut fk("helpdesk_article", "topic_id", "helpdesk_topic"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("helpdesk_article", &["state"], false))
            .await?;

        let db = manager.get_connection();
        // Peru's national holidays from 2024 to 2032; the administrator keeps later years.
        let rows: Vec<String> = (2024..=2032)
            .flat_map(national_holidays)
            .map(|(date, name)| format!("('{date}', NULL, '{}')", name.replace('\'', "''")))
            .collect();
        db.execute_unprepared(&format!(
            "INSERT INTO helpdesk_holiday (date, dre_id, description) VALUES {}",
            rows.join(", ")
        ))
        .await?;
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS unaccent")
                    .await?;
                // `unaccent` is only stable; an index needs an immutable function.
                db.execute_unprepared(
                    "CREATE OR REPLACE FUNCTION helpdesk_unaccent(text) RETURNS text \
                     LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT \
                     AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE INDEX ix_helpdesk_article_search ON helpdesk_article USING gin \
                     (to_tsvector('spanish', helpdesk_unaccent(title || ' ' || tags || ' ' || problem || ' ' || solution)))",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE helpdesk_article_fts USING fts5(\
                     title, body, tokenize = 'unicode61 remove_diacritics 2')",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER helpdesk_article_fts_insert AFTER INSERT ON helpdesk_article BEGIN \
                     INSERT INTO helpdesk_article_fts (rowid, title, body) \
                     VALUES (new.id, new.title, new.tags || ' ' || new.problem || ' ' || new.solution); END",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER helpdesk_article_fts_update AFTER UPDATE ON helpdesk_article BEGIN \
                     DELETE FROM helpdesk_article_fts WHERE rowid = old.id; \
                     INSERT INTO helpdesk_article_fts (rowid, title, body) \
                     VALUES (new.id, new.title, new.tags || ' ' || new.problem || ' ' || new.solution); END",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            let db = manager.get_connection();
            db.execute_unprepared("DROP TABLE IF EXISTS helpdesk_article_fts")
                .await?;
        }
        for table in [
            "helpdesk_article",
            "helpdesk_holiday",
            "helpdesk_attachment",
            "helpdesk_message",
            "helpdesk_event",
            "helpdesk_ticket",
            "helpdesk_counter",
            "helpdesk_topic",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Easter Sunday (anonymous Gregorian algorithm), as (month, day).
fn easter(year: i32) -> (i32, i32) {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    (month, day)
}

/// The national holidays of a year as `YYYY-MM-DD` and name (Holy Thursday and Friday from
/// Easter: Easter falls from 22 March to 25 April, so both are in March or April).
fn national_holidays(year: i32) -> Vec<(String, &'static str)> {
    let mut days: Vec<(i32, i32, &'static str)> = vec![
        (1, 1, "Año Nuevo"),
        (5, 1, "Día del Trabajo"),
        (6, 7, "Batalla de Arica y Día de la Bandera"),
        (6, 29, "San Pedro y San Pablo"),
        (7, 23, "Día de la Fuerza Aérea del Perú"),
        (7, 28, "Fiestas Patrias"),
        (7, 29, "Fiestas Patrias"),
        (8, 6, "Batalla de Junín"),
        (8, 30, "Santa Rosa de Lima"),
        (10, 8, "Combate de Angamos"),
        (11, 1, "Día de Todos los Santos"),
        (12, 8, "Inmaculada Concepción"),
        (12, 9, "Batalla de Ayacucho"),
        (12, 25, "Navidad"),
    ];
    let (month, day) = easter(year);
    // Days before Easter, stepping back across the end of March.
    let before = |n: i32| {
        if day > n {
            (month, day - n)
        } else {
            (month - 1, 31 + day - n)
        }
    };
    let (m, d) = before(3);
    days.push((m, d, "Jueves Santo"));
    let (m, d) = before(2);
    days.push((m, d, "Viernes Santo"));
    days.into_iter()
        .map(|(m, d, name)| (format!("{year}-{m:02}-{d:02}"), name))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn holy_week_is_placed_from_easter() {
        // Easter 2026: 5 April; 2024: 31 March; 2027: 28 March.
        let has = |year, date: &str, name| {
            super::national_holidays(year)
                .iter()
                .any(|(d, n)| d == date && *n == name)
        };
        assert!(has(2026, "2026-04-02", "Jueves Santo"));
        assert!(has(2026, "2026-04-03", "Viernes Santo"));
        assert!(has(2024, "2024-03-28", "Jueves Santo"));
        assert!(has(2027, "2027-03-25", "Jueves Santo"));
    }
}
