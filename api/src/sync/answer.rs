//! The answer to a batch, as kept for its resends (`sync_batch.response`).
//!
//! Only what cannot be derived is kept: per mark its id, outcome and rejection code; the batch id
//! and server time are columns of the row, and each message follows from outcome and code
//! ([`mark_result`]). About 34 bytes a mark instead of about 60 of JSON, so that the row of a
//! batch of up to 40 marks stays under PostgreSQL's 2 KB threshold: stored as it is, neither
//! compressed nor moved out of line. Rows written as JSON earlier are still read.

use chrono::{DateTime, Utc};
use mobile_contract::{MarkResult, Outcome, PushResponse, RejectionCode};
use uuid::Uuid;

use crate::{attendance::engine::mark_result, time::LIMA};

/// One letter per outcome.
fn letter(outcome: Outcome) -> char {
    match outcome {
        Outcome::Accepted => 'a',
        Outcome::Duplicate => 'd',
        Outcome::Superseded => 's',
        Outcome::Held => 'h',
        Outcome::Rejected => 'r',
    }
}

/// The outcome a letter stands for.
fn outcome(letter: char) -> Option<Outcome> {
    Some(match letter {
        'a' => Outcome::Accepted,
        'd' => Outcome::Duplicate,
        's' => Outcome::Superseded,
        'h' => Outcome::Held,
        'r' => Outcome::Rejected,
        _ => return None,
    })
}

/// `<mark id, 32 hex digits><outcome letter>[<rejection code>]`, one per mark, comma-separated.
pub fn encode(results: &[MarkResult]) -> String {
    let mut text = String::with_capacity(results.len() * 34);
    for (i, result) in results.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(
            result
                .mark_id
                .simple()
                .encode_lower(&mut Uuid::encode_buffer()),
        );
        text.push(letter(result.outcome));
        if let Some(code) = result.code.and_then(code_text) {
            text.push_str(&code);
        }
    }
    text
}

/// The answer stored for a batch; `None` when the text is neither form.
pub fn decode(text: &str, batch_id: Uuid, received_at: DateTime<Utc>) -> Option<PushResponse> {
    if text.starts_with('{') {
        return serde_json::from_str(text).ok();
    }
    let results = if text.is_empty() {
        Vec::new()
    } else {
        text.split(',').map(decode_one).collect::<Option<_>>()?
    };
    Some(PushResponse {
        batch_id,
        server_time: received_at.with_timezone(&LIMA).fixed_offset(),
        results,
    })
}

fn decode_one(item: &str) -> Option<MarkResult> {
    let mark_id = Uuid::try_parse(item.get(..32)?).ok()?;
    let mut rest = item.get(32..)?.chars();
    let outcome = outcome(rest.next()?)?;
    let code = rest.as_str();
    let code = if code.is_empty() {
        None
    } else {
        Some(serde_json::from_value::<RejectionCode>(serde_json::Value::from(code)).ok()?)
    };
    Some(mark_result(mark_id, outcome, code))
}

/// A rejection code as the contract writes it (`student_not_enrolled`).
fn code_text(code: RejectionCode) -> Option<String> {
    match serde_json::to_value(code) {
        Ok(serde_json::Value::String(text)) => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PushResponse {
        let at = DateTime::parse_from_rfc3339("2026-05-04T08:15:00.123456-05:00")
            .unwrap()
            .with_timezone(&Utc);
        let mut results: Vec<MarkResult> = [
            Outcome::Accepted,
            Outcome::Duplicate,
            Outcome::Superseded,
            Outcome::Held,
            Outcome::Rejected,
        ]
        .into_iter()
        .map(|outcome| mark_result(Uuid::new_v4(), outcome, None))
        .collect();
        for code in [
            RejectionCode::StudentNotEnrolled,
            RejectionCode::MarkIdReused,
            RejectionCode::RecordedAtInFuture,
        ] {
            results.push(mark_result(Uuid::new_v4(), Outcome::Rejected, Some(code)));
        }
        PushResponse {
            batch_id: Uuid::new_v4(),
            server_time: at.with_timezone(&LIMA).fixed_offset(),
            results,
        }
    }

    #[test]
    fn an_answer_read_back_is_the_answer_sent() {
        let sent = sample();
        let text = encode(&sent.results);
        let at = sent.server_time.with_timezone(&Utc);
        let read = decode(&text, sent.batch_id, at).expect("decodes");
        assert_eq!(
            serde_json::to_value(&read).unwrap(),
            serde_json::to_value(&sent).unwrap()
        );
    }

    #[test]
    fn forty_accepted_marks_fit_under_postgresql_compression_threshold() {
        let results: Vec<MarkResult> = (0..40)
            .map(|_| mark_result(Uuid::new_v4(), Outcome::Accepted, None))
            .collect();
        assert!(encode(&results).len() < 1_900, "{}", encode(&results).len());
    }

    #[test]
    fn an_answer_stored_as_json_is_still_read() {
        let sent = sample();
        let json = serde_json::to_string(&sent).unwrap();
        let read = decode(&json, Uuid::new_v4(), Utc::now()).expect("decodes");
        assert_eq!(
            serde_json::to_value(&read).unwrap(),
            serde_json::to_value(&sent).unwrap()
        );
    }

    #[test]
    fn a_damaged_answer_is_not_read() {
        let sent = sample();
        let mut text = encode(&sent.results);
        text.push_str(",zz");
        assert!(decode(&text, sent.batch_id, Utc::now()).is_none());
    }
}
