//! Fragments of SQL that differ between PostgreSQL and SQLite, so that a query is written once;
//! and, in `knowledge`, the one search whose whole statement differs.

use sea_orm::{DbBackend, Value};

pub mod knowledge;

/// `expr` is one of `ids`, the ids travelling as one parameter `$n`: an array on PostgreSQL
/// (`= ANY`), a JSON list on SQLite (`json_each`).
pub fn in_ids(backend: DbBackend, expr: &str, n: usize, ids: Vec<i64>) -> (String, Value) {
    match backend {
        DbBackend::Postgres => (format!("{expr} = ANY(${n})"), ids.into()),
        _ => (
            format!("{expr} IN (SELECT value FROM json_each(${n}))"),
            serde_json::Value::from(ids).to_string().into(),
        ),
    }
}

/// The character of a code point, as an SQL expression.
pub fn character(backend: DbBackend, code: u8) -> String {
    match backend {
        DbBackend::Postgres => format!("chr({code})"),
        _ => format!("char({code})"),
    }
}

/// `parts` as text, joined by the character `separator`.
pub fn joined(backend: DbBackend, parts: &[&str], separator: u8) -> String {
    let sep = character(backend, separator);
    match backend {
        DbBackend::Postgres => format!("concat_ws({sep}, {})", parts.join(", ")),
        _ => parts.join(&format!(" || {sep} || ")),
    }
}

/// `expr` with the characters `codes` replaced by spaces.
pub fn without(backend: DbBackend, expr: &str, codes: &[u8]) -> String {
    match backend {
        DbBackend::Postgres => {
            let from: Vec<String> = codes.iter().map(|c| character(backend, *c)).collect();
            let spaces = " ".repeat(codes.len());
            format!("translate({expr}, {}, '{spaces}')", from.join(" || "))
        }
        _ => codes.iter().fold(expr.to_owned(), |inner, code| {
            format!("replace({inner}, {}, ' ')", character(backend, *code))
        }),
    }
}

/// The texts of a group, joined by the character `separator`.
pub fn aggregate(backend: DbBackend, expr: &str, separator: u8) -> String {
    let sep = character(backend, separator);
    match backend {
        DbBackend::Postgres => format!("string_agg({expr}, {sep})"),
        _ => format!("group_concat({expr}, {sep})"),
    }
}

/// The rows a query reads, locked until the transaction ends (`FOR UPDATE` on PostgreSQL; on
/// SQLite a writing transaction holds the whole database already).
pub fn for_update<E: sea_orm::EntityTrait>(
    select: sea_orm::Select<E>,
    backend: DbBackend,
) -> sea_orm::Select<E> {
    use sea_orm::QuerySelect;
    match backend {
        DbBackend::Postgres => select.lock_exclusive(),
        _ => select,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fragments_are_what_each_database_reads() {
        assert_eq!(
            joined(DbBackend::Postgres, &["a", "b"], 31),
            "concat_ws(chr(31), a, b)"
        );
        assert_eq!(
            joined(DbBackend::Sqlite, &["a", "b"], 31),
            "a || char(31) || b"
        );
        assert_eq!(
            without(DbBackend::Postgres, "s.name", &[30, 31]),
            "translate(s.name, chr(30) || chr(31), '  ')"
        );
        assert_eq!(
            without(DbBackend::Sqlite, "s.name", &[30, 31]),
            "replace(replace(s.name, char(30), ' '), char(31), ' ')"
        );
        assert_eq!(
            aggregate(DbBackend::Sqlite, "x", 30),
            "group_concat(x, char(30))"
        );
        let (sql, _) = in_ids(DbBackend::Sqlite, "ua.id", 1, vec![1, 2]);
        assert_eq!(sql, "ua.id IN (SELECT value FROM json_each($1))");
    }
}
