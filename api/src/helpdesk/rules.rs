//! The help desk's small rules, shared by its services: labels, the priority matrix and the
//! checks of typed text.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::{
    helpdesk_vocabulary::{N2Unit, TicketLevel},
    person, user_account,
};

/// The accounts and the person behind each, by account (a thousand accounts a query).
pub async fn accounts(
    db: &impl ConnectionTrait,
    users: &[i64],
) -> std::result::Result<Vec<(user_account::Model, Option<person::Model>)>, sea_orm::DbErr> {
    let mut found = Vec::new();
    for chunk in users.chunks(1_000) {
        let accounts = user_account::Entity::find()
            .filter(user_account::Column::Id.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        let mut people: HashMap<i64, person::Model> = person::Entity::find()
            .filter(person::Column::Id.is_in(accounts.iter().map(|a| a.person_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        found.extend(accounts.into_iter().map(|a| {
            let person = people.remove(&a.person_id);
            (a, person)
        }));
    }
    Ok(found)
}

/// A short single-line code (an error code, a request id): up to 64 letters, digits, `_`, `-`,
/// `.` or `:`; empty is none.
pub fn code(value: Option<&str>) -> std::result::Result<Option<String>, String> {
    const MAX: usize = 64;
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v)
            if v.len() <= MAX
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')) =>
        {
            Ok(Some(v.to_owned()))
        }
        Some(_) => Err(format!(
            "Debe tener hasta {MAX} letras, dígitos, guiones o puntos."
        )),
    }
}

/// Longest comment or message, in characters.
pub const MAX_TEXT: usize = 8000;

/// The label of a stage: the level, and at N2 whose specialist works it.
pub fn stage_label(level: TicketLevel, unit: Option<N2Unit>) -> &'static str {
    match (level, unit) {
        (TicketLevel::N2, Some(N2Unit::Ugel)) => "N2 — Especialista SIAGIE UGEL",
        (TicketLevel::N2, Some(N2Unit::Dre)) => "N2 — Especialista SIAGIE DRE",
        _ => level.label(),
    }
}

/// A text a person typed: trimmed, showing a letter or a digit at least, without control
/// characters other than line breaks, within a length.
pub fn text(
    value: Option<&str>,
    max: usize,
    required: &str,
) -> std::result::Result<String, String> {
    let value = value.unwrap_or_default().trim();
    if crate::domain::has_control(value) {
        return Err("El texto contiene caracteres de control no permitidos.".into());
    }
    // Text that shows nothing (zero-width or blank characters alone) is no text.
    if !crate::domain::said(value) {
        return Err(required.to_owned());
    }
    if value.chars().count() > max {
        return Err(format!("El texto no puede superar {max} caracteres."));
    }
    Ok(value.to_owned())
}

/// The first line of a comment, shortened: a list's subject.
pub fn subject(comment: &str) -> String {
    let line = comment.lines().next().unwrap_or_default();
    let mut short: String = line.chars().take(80).collect();
    if line.chars().count() > 80 {
        short.push('…');
    }
    short
}
