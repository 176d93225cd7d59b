//! The knowledge base's full-text search, whose whole statement differs between the databases:
//! PostgreSQL matches the stored `tsvector`s (Spanish configuration over `unaccent`), titles and
//! tags first, and ranks with `ts_rank`; SQLite matches the FTS5 table kept by triggers and ranks
//! with `bm25`. Both take the query's words folded and stemmed.

use sea_orm::{DbBackend, Statement};

/// A search of the articles for some words, ready to ask for the articles with every word or
/// with any.
pub struct ArticleSearch {
    backend: DbBackend,
    /// `AND a.state = 'publicado'`, or nothing.
    state: &'static str,
    ranked: usize,
    limit: u64,
    /// The words typed whole (on SQLite, every word).
    whole: Vec<String>,
    /// The word being typed, matched as a prefix (PostgreSQL).
    typed: Option<String>,
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
        let (whole, typed) = match backend {
            DbBackend::Postgres => postgres::terms(words, typing),
            _ => (sqlite::terms(words), None),
        };
        Self {
            backend,
            state,
            ranked,
            limit,
            whole,
            typed,
        }
    }

    /// The statements that answer the ids of the articles with every word (or with any), best
    /// first; run in turn while too few are found. On PostgreSQL, the titles and tags first,
    /// then the whole articles.
    pub fn statements(&self, every_word: bool) -> Vec<Statement> {
        let (state, ranked, limit) = (self.state, self.ranked, self.limit);
        match self.backend {
            DbBackend::Postgres => {
                let joiner = if every_word { " & " } else { " | " };
                ["title_search", "search"]
                    .into_iter()
                    .map(
                        |vector| match (&self.typed, every_word && !self.whole.is_empty()) {
                            // The whole words through the index, the one being typed on what they
                            // found.
                            (Some(typed), true) => Statement::from_sql_and_values(
                                self.backend,
                                postgres::sql_then_prefix(vector, state, ranked, limit),
                                [self.whole.join(joiner).into(), typed.clone().into()],
                            ),
                            _ => {
                                let all: Vec<String> =
                                    self.whole.iter().chain(&self.typed).cloned().collect();
                                Statement::from_sql_and_values(
                                    self.backend,
                                    postgres::sql(vector, state, ranked, limit),
                                    [all.join(joiner).into()],
                                )
                            }
                        },
                    )
                    .collect()
            }
            _ => {
                let joiner = if every_word { " AND " } else { " OR " };
                vec![Statement::from_sql_and_values(
                    self.backend,
                    sqlite::sql(state, limit),
                    [self.whole.join(joiner).into()],
                )]
            }
        }
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

    /// Matches the whole words `$1` through the index of `vector`, then the prefix `$2` on what
    /// they found (`OFFSET 0` keeps it out of the index scan): a GIN index cannot stop early for
    /// a `LIMIT`, and a prefix reads the postings of every word that starts with it. A prefix
    /// that is a stop word ("otra") is left out, as it is left out of a conjunction.
    pub(super) fn sql_then_prefix(vector: &str, state: &str, ranked: usize, limit: u64) -> String {
        format!(
            "SELECT c.id
             FROM (
                 SELECT w.id, w.search
                 FROM (
                     SELECT a.id, a.search, a.{vector} AS vector
                     FROM helpdesk_article a
                     WHERE a.{vector} @@ to_tsquery('spanish', $1) {state}
                     OFFSET 0
                 ) w
                 WHERE numnode(to_tsquery('spanish', $2)) = 0
                     OR w.vector @@ to_tsquery('spanish', $2)
                 LIMIT {ranked}
             ) c
             ORDER BY ts_rank(c.search, to_tsquery('spanish', $1) && to_tsquery('spanish', $2)) DESC,
                 c.id DESC
             LIMIT {limit}"
        )
    }

    /// The words typed whole as they are (PostgreSQL stems them as it stemmed the articles), and
    /// the word being typed as a prefix. PostgreSQL stems the query with Spanish Snowball, whose
    /// stems are not always ours ("asistencia": ours "asistenci", Snowball's "asistent"): a
    /// prefix matches by either.
    pub(super) fn terms(words: &[(String, String)], typing: bool) -> (Vec<String>, Option<String>) {
        let (whole, typed) = match words.split_last() {
            Some((last, before)) if typing => (before, Some(last)),
            _ => (words, None),
        };
        let typed = typed.map(|(word, stem)| {
            if word != stem {
                format!("({stem}:* | {word}:*)")
            } else {
                format!("{stem}:*")
            }
        });
        (whole.iter().map(|(word, _)| word.clone()).collect(), typed)
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

    fn values(statement: &Statement) -> Vec<sea_orm::Value> {
        statement.values.clone().unwrap().0
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
            every[0]
                .sql
                .contains("w.vector @@ to_tsquery('spanish', $2)")
        );
        assert!(
            every[1]
                .sql
                .contains("a.search @@ to_tsquery('spanish', $1) AND a.state = 'publicado'")
        );
        assert!(every[0].sql.contains("LIMIT 200"));
        assert_eq!(
            values(&every[0]),
            vec!["asistencia".into(), "clave:*".into()],
            "the whole words, then the one being typed"
        );
        let any = pg.statements(false);
        assert_eq!(values(&any[1]), vec!["asistencia | clave:*".into()]);
        let typed = ArticleSearch::new(DbBackend::Postgres, &words()[..1], true, false, 200, 5);
        assert_eq!(
            values(&typed.statements(true)[0]),
            vec!["(asistenci:* | asistencia:*)".into()]
        );
        let whole = ArticleSearch::new(DbBackend::Postgres, &words(), false, false, 200, 5);
        assert_eq!(
            values(&whole.statements(true)[0]),
            vec!["asistencia & clave".into()]
        );

        let lite = ArticleSearch::new(DbBackend::Sqlite, &words(), true, true, 200, 5);
        let every = lite.statements(true);
        assert_eq!(every.len(), 1);
        assert!(every[0].sql.contains("MATCH $1 "));
        assert!(!every[0].sql.contains("publicado"));
        assert_eq!(
            values(&every[0]),
            vec!["\"asistenci\"* AND \"clave\"*".into()]
        );
        assert_eq!(
            values(&lite.statements(false)[0]),
            vec!["\"asistenci\"* OR \"clave\"*".into()]
        );
    }
}
