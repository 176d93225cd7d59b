//! `attendance_entry`: the append-only history of marks, one entry per batch received (a
//! tablet's push or an edit on the web register), with who sent it, from which device and when,
//! and every mark of it packed with its outcome (see [`Mark`]). `mark_receipt` finds the entry
//! of any mark id.
use sea_orm::entity::prelude::*;

use crate::packed::{self, FORMAT, Reader, V1, day_number};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attendance_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The tablet's batch; none for an edit on the web.
    pub batch_id: Option<Uuid>,
    pub user_id: i64,
    pub device_id: Option<Uuid>,
    pub received_at: DateTimeUtc,
    /// [`Mark`]s in the order received: [`encode`] and [`decode`].
    pub marks: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What became of a stored mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It was the latest for its student and day when received.
    Accepted,
    /// A mark recorded later for the same student and day stood.
    Superseded,
    /// Its month was closed: kept in `held_mark` for the director.
    Held,
}

impl Outcome {
    fn byte(self) -> u8 {
        match self {
            Self::Accepted => b'a',
            Self::Superseded => b's',
            Self::Held => b'h',
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            b'a' => Some(Self::Accepted),
            b's' => Some(Self::Superseded),
            b'h' => Some(Self::Held),
            _ => None,
        }
    }
}

/// One mark of the history. Its section is its enrollment's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub mark_id: Uuid,
    pub enrollment_id: i64,
    pub date: Date,
    /// The attendance code (see the server's `codes`).
    pub status: i16,
    /// When the mark was recorded on the device, in microseconds since the Unix epoch (UTC).
    pub recorded_at_us: i64,
    pub note: Option<String>,
    pub outcome: Outcome,
}

/// Packs marks, in order, in the current format: 40 bytes each, plus the note's length and text
/// where there is one (the layout is in the `packed` module's documentation).
pub fn encode(marks: &[Mark]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + marks.len() * 40);
    out.push(FORMAT);
    for mark in marks {
        out.extend_from_slice(mark.mark_id.as_bytes());
        out.extend_from_slice(&mark.enrollment_id.to_le_bytes());
        out.extend_from_slice(&day_number(mark.date).to_le_bytes());
        out.extend_from_slice(&mark.status.to_le_bytes());
        out.extend_from_slice(&mark.recorded_at_us.to_le_bytes());
        out.push(mark.outcome.byte());
        match &mark.note {
            None => out.push(0),
            Some(note) => {
                // Notes are validated to 200 characters; a longer one is cut at a character.
                let mut end = note.len().min(u16::MAX as usize);
                while !note.is_char_boundary(end) {
                    end -= 1;
                }
                out.push(1);
                out.extend_from_slice(&(end as u16).to_le_bytes());
                out.extend_from_slice(&note.as_bytes()[..end]);
            }
        }
    }
    out
}

/// Unpacks marks of any format the readers accept; `None` for a damaged value.
pub fn decode(bytes: &[u8]) -> Option<Vec<Mark>> {
    let (format, reader) = packed::open(bytes)?;
    match format {
        V1 => decode_v1(reader),
        // When the format changes, this arm stays (the previous format) beside the new one.
        _ => None,
    }
}

/// The marks after a format 1 byte.
fn decode_v1(mut reader: Reader) -> Option<Vec<Mark>> {
    let mut marks = Vec::with_capacity(reader.remaining() / 40);
    while !reader.is_empty() {
        let mark_id = reader.uuid()?;
        let enrollment_id = reader.i64()?;
        let date = reader.date()?;
        let status = reader.i16()?;
        let recorded_at_us = reader.i64()?;
        let outcome = Outcome::from_byte(reader.u8()?)?;
        let note = match reader.u8()? {
            0 => None,
            1 => {
                let len = reader.u16()? as usize;
                Some(String::from_utf8(reader.slice(len)?.to_vec()).ok()?)
            }
            _ => return None,
        };
        marks.push(Mark {
            mark_id,
            enrollment_id,
            date,
            status,
            recorded_at_us,
            note,
            outcome,
        });
    }
    Some(marks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(n: u128, note: Option<&str>, outcome: Outcome) -> Mark {
        Mark {
            mark_id: Uuid::from_u128(n),
            enrollment_id: n as i64 * 31,
            date: Date::from_ymd_opt(2026, 11, 30).unwrap(),
            status: 2,
            recorded_at_us: 1_764_500_000_123_456,
            note: note.map(str::to_owned),
            outcome,
        }
    }

    #[test]
    fn marks_read_back_as_written() {
        let marks = vec![
            mark(1, None, Outcome::Accepted),
            mark(
                2,
                Some("Llegó tarde por la lluvia, según su mamá"),
                Outcome::Superseded,
            ),
            mark(3, Some(""), Outcome::Held),
        ];
        let bytes = encode(&marks);
        assert_eq!(decode(&bytes), Some(marks));
        assert_eq!(encode(&[mark(1, None, Outcome::Accepted)]).len(), 41);
    }

    #[test]
    fn a_damaged_value_is_not_read() {
        let bytes = encode(&[mark(1, Some("ñandú"), Outcome::Accepted)]);
        assert_eq!(decode(&bytes[..bytes.len() - 1]), None);
        let mut bad_outcome = bytes.clone();
        bad_outcome[1 + 16 + 8 + 4 + 2 + 8] = b'x';
        assert_eq!(decode(&bad_outcome), None);
        assert_eq!(decode(b""), None);
    }
}
