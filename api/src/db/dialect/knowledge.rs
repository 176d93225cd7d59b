//! The knowledge base's full-text search, whose whole statement differs between the databases:
//! PostgreSQL matches the stored `tsvector` (Spanish configuration over `unaccent`) and ranks with
//! `ts_rank`; SQLite matches the FTS5 table kept by triggers and ranks with `bm25`. Both take the
//! query's words folded and stemmed, matched as prefixes.

use sea_orm::{DbBackend, Statement};

/// A search of the articles for some words, ready to ask for the articles with every word or
/// with any.
pub struct ArticleSearch {
    backend: DbBackend,
    sql: String,
    terms: Vec<String>,
}

impl ArticleSearch {
    /// `words` are (folded word, stem) pairs. Only published articles unless `every_state`;
    /// PostgreSQL ranks at most `ranked` matches (`ts_rank` reads each one's vector, and a few
    /// common words typed so far may match a large part of the base); `limit` articles at most.
    pub fn new(
        backend: DbBackend,
        words: &[(String, String)],
        every_state: bool,
        ranked: usize,
        limit: u64,
    ) -> Self {
        let state = if every_state {
            ""
        } else {
            "AND a.state = 'publicado'"
        };
        let (sql, terms) = match backend {
            DbBackend::Postgres => (postgres::sql(state, ranked, limit), postgres::terms(words)),
            _ => (sqlite::sql(state, limit), sqlite::terms(words)),
        };
        Self {
            backend,
            sql,
            terms,
        }
    }

    /// The statement that answers the ids of the articles with every word (or with any), best
    /// first.
    pub fn statement(&self, every_word: bool) -> Statement {
        let joiner = match (self.backend, every_word) {
            (DbBackend::Postgres, true) => " & ",
            (DbBackend::Postgres, false) => " | ",
            (_, true) => " AND ",
            (_, false) => " OR ",
        };
        Statement::from_sql_and_values(
            self.backend,
            self.sql.clone(),
            [self.terms.join(joiner).into()],
        )
    }
}

mod postgres {
    pub(super) fn sql(state: &str, ranked: usize, limit: u64) -> String {
        format!(
            "SELECT c.id
             FROM (
                 SELECT a.id, a.search
                 FROM helpdesk_article a
                 WHERE a.search @@ to_tsquery('spanish', $1) {state}
                 LIMIT {ranked}
             ) c
             ORDER BY ts_rank(c.search, to_tsquery('spanish', $1)) DESC, c.id DESC
             LIMIT {limit}"
        )
    }

    /// Each word as a prefix. PostgreSQL stems the query with Spanish Snowball, whose stems are
    /// not always ours ("asistencia": ours "asistenci", Snowball's "asistent"): a word matches by
    /// either.
    pub(super) fn terms(words: &[(String, String)]) -> Vec<String> {
        words
            .iter()
            .map(|(word, stem)| {
                if word != stem {
                    format!("({stem}:* | {word}:*)")
                } else {
                    format!("{stem}:*")
                }
            })
            .collect()
    }
}

mod sqlite {
    pub(super) fn sql(state: &str, limit: u64) -> String {
        format!(
            "SELECT a.id
             FROM helpdesk_article_fts f
             JOIN helpdesk_article a ON a.id = f.rowid
             WHERE helpdesk_article_fts MATCH $1 {state}
             ORDER BY bm25(helpdesk_article_fts, 3.0, 1.0), a.id DESC
             LIMIT {limit}"
        )
    }

    /// Each stem as a prefix of an FTS5 phrase.
    pub(super) fn terms(words: &[(String, String)]) -> Vec<String> {
        words
            .iter()
            .map(|(_, stem)| format!("\"{stem}\"*"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Vec<(String, String)> {
        vec![
            ("asistencia".into(), "asistenci".into()),
            ("clave".into(), "clave".into()),
        ]
    }

    #[test]
    fn each_database_gets_its_own_query_of_the_same_words() {
        let pg = ArticleSearch::new(DbBackend::Postgres, &words(), false, 200, 5);
        let every = pg.statement(true);
        assert!(
            every
                .sql
                .contains("to_tsquery('spanish', $1) AND a.state = 'publicado'")
        );
        assert!(every.sql.contains("LIMIT 200"));
        assert_eq!(
            every.values.unwrap().0[0],
            "(asistenci:* | asistencia:*) & clave:*".into()
        );
        let any = pg.statement(false);
        assert_eq!(
            any.values.unwrap().0[0],
            "(asistenci:* | asistencia:*) | clave:*".into()
        );

        let lite = ArticleSearch::new(DbBackend::Sqlite, &words(), true, 200, 5);
        let every = lite.statement(true);
        assert!(every.sql.contains("MATCH $1 \n") || every.sql.contains("MATCH $1 "));
        assert!(!every.sql.contains("publicado"));
        assert_eq!(
            every.values.unwrap().0[0],
            "\"asistenci\"* AND \"clave\"*".into()
        );
        assert_eq!(
            lite.statement(false).values.unwrap().0[0],
            "\"asistenci\"* OR \"clave\"*".into()
        );
    }
}
