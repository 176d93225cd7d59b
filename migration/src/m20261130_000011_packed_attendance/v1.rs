//! Format 1 of the packed columns, as migration 11 writes it: a frozen copy of `entity`'s
//! encoders of that format (`attendance_entry::encode`, `section_day::encode`), with the types
//! they pack. This migration must write the same bytes on every database it ever runs on, so it
//! does not call `entity`, whose encoders follow the current format: whatever becomes of them,
//! this copy stays as it is. The layout is in `entity`'s `packed` module.

use sea_orm_migration::sea_orm::{
    prelude::{Date, Uuid},
    sea_query::value::prelude::chrono::Datelike,
};

/// The format byte, the first of every packed value.
const FORMAT: u8 = 1;

/// What became of a stored mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    Accepted,
    Superseded,
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
}

/// One mark of the history (`attendance_entry.marks`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Mark {
    pub mark_id: Uuid,
    pub enrollment_id: i64,
    pub date: Date,
    pub status: i16,
    pub recorded_at_us: i64,
    pub note: Option<String>,
    pub outcome: Outcome,
}

/// The value that stands for one student's day (`section_day.cells`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Cell {
    pub enrollment_id: i64,
    pub status: i16,
    pub recorded_at_us: i64,
    pub mark_id: Uuid,
}

/// Packs marks, in order: 40 bytes each, plus the note's length and text where there is one.
pub(super) fn encode_marks(marks: &[Mark]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + marks.len() * 40);
    out.push(FORMAT);
    for mark in marks {
        out.extend_from_slice(mark.mark_id.as_bytes());
        out.extend_from_slice(&mark.enrollment_id.to_le_bytes());
        out.extend_from_slice(&mark.date.num_days_from_ce().to_le_bytes());
        out.extend_from_slice(&mark.status.to_le_bytes());
        out.extend_from_slice(&mark.recorded_at_us.to_le_bytes());
        out.push(mark.outcome.byte());
        match &mark.note {
            None => out.push(0),
            Some(note) => {
                // A note longer than its length can say is cut at a character.
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

const CELL_BYTES: usize = 8 + 2 + 8 + 16;

/// Packs cells (34 bytes each), in enrollment order.
pub(super) fn encode_cells(cells: &[Cell]) -> Vec<u8> {
    let mut sorted: Vec<&Cell> = cells.iter().collect();
    sorted.sort_by_key(|c| c.enrollment_id);
    let mut out = Vec::with_capacity(1 + cells.len() * CELL_BYTES);
    out.push(FORMAT);
    for cell in sorted {
        out.extend_from_slice(&cell.enrollment_id.to_le_bytes());
        out.extend_from_slice(&cell.status.to_le_bytes());
        out.extend_from_slice(&cell.recorded_at_us.to_le_bytes());
        out.extend_from_slice(cell.mark_id.as_bytes());
    }
    out
}

/// The frozen copy is faithful: today it writes byte for byte what `entity` writes. If `entity`'s
/// format ever changes, this test is expected to be updated (to compare with format 1 samples, or
/// to keep only the fixed bytes of `format_1_bytes`), not the encoders above: they are what this
/// migration wrote.
#[cfg(test)]
mod tests {
    use entity::{attendance_entry, section_day};
    use sea_orm_migration::sea_orm::sea_query::value::prelude::chrono::Days;

    use super::*;

    fn marks() -> Vec<Mark> {
        let notes = [
            None,
            Some(String::new()),
            Some("Llegó tarde por la lluvia, según su mamá".to_owned()),
            Some(format!("{}{}", "a".repeat(65_534), "ñ".repeat(3))),
        ];
        let outcomes = [Outcome::Accepted, Outcome::Superseded, Outcome::Held];
        (0..12u32)
            .map(|n| Mark {
                mark_id: Uuid::from_u128(u128::from(n) * 0x9e37_79b9_7f4a_7c15),
                enrollment_id: i64::from(n) * 1_000_003 - 5,
                date: Date::from_ymd_opt(2026, 3, 1).unwrap() + Days::new(u64::from(n) * 17),
                status: n as i16 - 3,
                recorded_at_us: 1_764_500_000_123_456 + i64::from(n),
                note: notes[n as usize % notes.len()].clone(),
                outcome: outcomes[n as usize % outcomes.len()],
            })
            .collect()
    }

    fn cells() -> Vec<Cell> {
        [42, 7, -1, 1_000_000_000_000, 0]
            .into_iter()
            .enumerate()
            .map(|(i, enrollment_id)| Cell {
                enrollment_id,
                status: i as i16 + 1,
                recorded_at_us: 1_764_000_000_000_000 - enrollment_id,
                mark_id: Uuid::from_u128(i as u128 * 7919 + 1),
            })
            .collect()
    }

    fn entity_mark(mark: &Mark) -> attendance_entry::Mark {
        attendance_entry::Mark {
            mark_id: mark.mark_id,
            enrollment_id: mark.enrollment_id,
            date: mark.date,
            status: mark.status,
            recorded_at_us: mark.recorded_at_us,
            note: mark.note.clone(),
            outcome: match mark.outcome {
                Outcome::Accepted => attendance_entry::Outcome::Accepted,
                Outcome::Superseded => attendance_entry::Outcome::Superseded,
                Outcome::Held => attendance_entry::Outcome::Held,
            },
        }
    }

    fn entity_cell(cell: &Cell) -> section_day::Cell {
        section_day::Cell {
            enrollment_id: cell.enrollment_id,
            status: cell.status,
            recorded_at_us: cell.recorded_at_us,
            mark_id: cell.mark_id,
        }
    }

    #[test]
    fn the_frozen_encoders_write_what_entity_writes() {
        let marks = marks();
        for count in [0, 1, marks.len()] {
            let ours = encode_marks(&marks[..count]);
            let theirs: Vec<_> = marks[..count].iter().map(entity_mark).collect();
            assert_eq!(ours, attendance_entry::encode(&theirs), "{count} marks");
            assert!(attendance_entry::decode(&ours).is_some());
        }
        let cells = cells();
        for count in [0, 1, cells.len()] {
            let ours = encode_cells(&cells[..count]);
            let theirs: Vec<_> = cells[..count].iter().map(entity_cell).collect();
            assert_eq!(ours, section_day::encode(&theirs), "{count} cells");
            assert!(section_day::decode(&ours).is_some());
        }
    }

    #[test]
    fn format_1_bytes() {
        let mark = Mark {
            mark_id: Uuid::from_u128(1),
            enrollment_id: 2,
            date: Date::from_ymd_opt(1, 1, 3).unwrap(),
            status: 4,
            recorded_at_us: 5,
            note: Some("é".to_owned()),
            outcome: Outcome::Superseded,
        };
        let mut expected = vec![1];
        expected.extend(1u128.to_be_bytes());
        expected.extend([
            2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 4, 0, 5, 0, 0, 0, 0, 0, 0, 0,
        ]);
        expected.extend([b's', 1, 2, 0, 0xc3, 0xa9]);
        assert_eq!(encode_marks(&[mark]), expected);

        let cell = Cell {
            enrollment_id: 2,
            status: 4,
            recorded_at_us: 5,
            mark_id: Uuid::from_u128(1),
        };
        let mut expected = vec![1, 2, 0, 0, 0, 0, 0, 0, 0, 4, 0, 5, 0, 0, 0, 0, 0, 0, 0];
        expected.extend(1u128.to_be_bytes());
        assert_eq!(encode_cells(&[cell]), expected);
    }
}
