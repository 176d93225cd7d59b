//! The knowledge base: articles drawn from resolved tickets in one step, drafted, published and
//! archived; full-text search in Spanish that ignores accents and matches inflections
//! (PostgreSQL: `tsvector` with the Spanish configuration over `unaccent`; SQLite: FTS5 with
//! `remove_diacritics`), one endpoint on both; "¿Le sirvió?" and deflections; and, for the help
//! desk, tickets similar to one and its probable duplicates.

mod articles;
mod search;
mod terms;

pub use articles::{change, create, from_ticket};
pub use search::{feedback, read, search, similar};
