//! The knowledge base's full-text search, whose whole statement differs between the databases:
//! PostgreSQL matches the stored `tsvector`s (Spanish configuration over `unaccent`), titles and
//! tags first, and ranks with `ts_rank`; SQLite matches the FTS5 table kept by triggers and ranks
//! with `bm25`. Both take the query's words folded and stemmed.

use sea_orm::{DbBackend, Statement};

/// A search of the articles for some words, ready to ask for the articles with every word or
/// with any.
pub struct ArticleSearch {
    backend: DbBackend,
    /// The statements to run in turn until enough articles are found.
    sql: Vec<String>,
    terms: Vec<String>,
}

impl ArticleSearch {
    /// `words` are (folded word, stem) pairs; `typing` when the last is still being typed (then
    /// it alone is matched as a prefix on PostgreSQL). Only published articles unless
    /// `every_state`; PostgreSQL ranks at most `ranked` matches per statement (`ts_rank` reads
    /// each one's vector, and a few common words typed so far may match a large part of the
    /// base); `limit` articles at most.
    pub fn new(
        backend: DbBackend,
        words: &[(String, String)],
        typing: bool,
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
            DbBackend::Postgres => (
                vec![
                    postgres::sql("title_search", state, ranked, limit),
                    postgres::sql("search", state, ranked, limit),
                ],
                postgres::terms(words, typing),
            ),
            _ => (vec![sqlite::sql(state, limit)], sqlite::terms(words)),
        };
        Self {
            backend,
            sql,
            terms,
        }
    }

    /// The statements that answer the ids of the articles with every word (or with any), best
    /// first; run in turn while too few are found.
    pub fn statements(&self, every_word: bool) -> Vec<Statement> {
        let joiner = match (self.backend, every_word) {
            (DbBackend::Postgres, true) => " & ",
            (DbBackend::Postgres, false) => " | ",
            (_, true) => " AND ",
            (_, false) => " OR ",
        };
        let terms = self.terms.join(joiner);
        self.sql
            .iter()
            .map(|sql| {
                Statement::from_sql_and_values(self.backend, sql.clone(), [terms.clone().into()])
            })
            .collect()
    }
}

mod postgres {
    /// Matches `vector` (`title_search`: the title and tags; `search`: the whole article), ranked
    /// by the whole article.
    pub(super) fn sql(vector: &str, state: &str, ranked: usize, limit: u64) -> String {
        format!(
            "SELECT c.id
             FROM (
                 SELECT a.id, a.search
                 FROM helpdesk_article a
                 WHERE a.{vector} @@ to_tsquery('spanish', $1) {state}
                 LIMIT {ranked}
             ) c
             ORDER BY ts_rank(c.search, to_tsquery('spanish', $1)) DESC, c.id DESC
             LIMIT {limit}"
        )
    }

    /// The words typed whole as they are (PostgreSQL stems them as it stemmed the articles), and
    /// the word being typed as a prefix: a GIN index cannot stop early for a `LIMIT`, and each
    /// prefix reads the postings of every word that starts with it. PostgreSQL stems the query
    /// with Spanish Snowball, whose stems are not always ours ("asistencia": ours "asistenci",
    /// Snowball's "asistent"): a prefix matches by either.
    pub(super) fn terms(words: &[(String, String)], typing: bool) -> Vec<String> {
        let last = words.len().saturating_sub(1);
        words
            .iter()
            .enumerate()
            .map(|(i, (word, stem))| {
                if !(typing && i == last) {
                    word.clone()
                } else if word != stem {
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

    /// Each stem as a prefix of an FTS5 phrase: FTS5 does not stem, so a whole word too is
    /// matched by its stem's prefix ("bloqueado" finds "bloqueo").
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

    fn value(statement: &Statement) -> sea_orm::Value {
        statement.values.clone().unwrap().0[0].clone()
    }

    #[test]
    fn each_database_gets_its_own_query_of_the_same_words() {
        let pg = ArticleSearch::new(DbBackend::Postgres, &words(), true, false, 200, 5);
        let every = pg.statements(true);
        assert_eq!(every.len(), 2, "titles and tags, then the whole article");
        assert!(
            every[0]
                .sql
                .contains("a.title_search @@ to_tsquery('spanish', $1) AND a.state = 'publicado'")
        );
        assert!(
            every[1]
                .sql
                .contains("a.search @@ to_tsquery('spanish', $1) AND a.state = 'publicado'")
        );
        assert!(every[0].sql.contains("LIMIT 200"));
        assert_eq!(value(&every[0]), "asistencia & clave:*".into());
        let any = pg.statements(false);
        assert_eq!(value(&any[1]), "asistencia | clave:*".into());
        let typed = ArticleSearch::new(DbBackend::Postgres, &words()[..1], true, false, 200, 5);
        assert_eq!(
            value(&typed.statements(true)[0]),
            "(asistenci:* | asistencia:*)".into()
        );
        let whole = ArticleSearch::new(DbBackend::Postgres, &words(), false, false, 200, 5);
        assert_eq!(
            value(&whole.statements(true)[0]),
            "asistencia & clave".into()
        );

        let lite = ArticleSearch::new(DbBackend::Sqlite, &words(), true, true, 200, 5);
        let every = lite.statements(true);
        assert_eq!(every.len(), 1);
        assert!(every[0].sql.contains("MATCH $1 "));
        assert!(!every[0].sql.contains("publicado"));
        assert_eq!(value(&every[0]), "\"asistenci\"* AND \"clave\"*".into());
        assert_eq!(
            value(&lite.statements(false)[0]),
            "\"asistenci\"* OR \"clave\"*".into()
        );
    }
}
