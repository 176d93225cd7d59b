//! The byte format of packed columns: a leading format byte, then records of little-endian
//! integers, read back with every length checked (a damaged value reads as `None`, never as a
//! panic).
//!
//! # Layout
//!
//! A packed value is its format byte followed by its records, one after another up to the end of
//! the value: no count, no padding, no separator. Integers are little-endian; a UUID is its 16
//! bytes in RFC 4122 order (`Uuid::as_bytes`); a date is its day number, 1 January of year 1 being
//! day 1 (chrono's `num_days_from_ce`). An empty list is the format byte alone.
//!
//! | offset | size | type | meaning |
//! | ---: | ---: | --- | --- |
//! | 0 | 1 | `u8` | format: [`FORMAT`], today 1 |
//! | 1 | rest | records | the records below, to the end of the value |
//!
//! ## `attendance_entry.marks`: one record per [`Mark`], in the order received
//!
//! Offsets count from the start of the record. A record is 40 bytes without a note, 42 + *n*
//! with a note of *n* bytes.
//!
//! | offset | size | type | meaning |
//! | ---: | ---: | --- | --- |
//! | 0 | 16 | UUID | `mark_id` |
//! | 16 | 8 | `i64` | `enrollment_id` |
//! | 24 | 4 | `i32` | `date`, as a day number |
//! | 28 | 2 | `i16` | `status`, the attendance code |
//! | 30 | 8 | `i64` | `recorded_at_us`: microseconds since the Unix epoch (UTC) |
//! | 38 | 1 | `u8` | `outcome`: `b'a'` accepted, `b's'` superseded, `b'h'` held |
//! | 39 | 1 | `u8` | note: 0 none (the record ends here), 1 a note follows |
//! | 40 | 2 | `u16` | the note's length in bytes, *n* (only with a note) |
//! | 42 | *n* | UTF-8 | the note's text (only with a note); the encoder cuts a note longer than 65 535 bytes at a character |
//!
//! ## `section_day.cells`: 34 bytes per [`Cell`], by ascending `enrollment_id`
//!
//! | offset | size | type | meaning |
//! | ---: | ---: | --- | --- |
//! | 0 | 8 | `i64` | `enrollment_id` |
//! | 8 | 2 | `i16` | `status`, the attendance code |
//! | 10 | 8 | `i64` | `recorded_at_us`: microseconds since the Unix epoch (UTC) |
//! | 18 | 16 | UUID | `mark_id` |
//!
//! The encoder sorts the cells; the reader does not check their order.
//!
//! # Reading
//!
//! A value reads as `None` when it is empty, when its format byte is not one the readers accept,
//! when a record is cut short, when an outcome or note byte is not one listed above, when a day
//! number is outside chrono's dates, or when a note is not UTF-8.
//!
//! # Formats
//!
//! Writers write [`FORMAT`] only. **Readers accept the current format and the previous one**,
//! the formats listed in [`READABLE`]: each `decode` reads the format byte and dispatches on it,
//! one arm per format in that list; any other byte reads as `None`. Today there is one format,
//! [`V1`].
//!
//! A change of layout never reuses a format byte. It adds a constant `V2 = 2`, makes `FORMAT`
//! `V2`, adds `V2` to [`READABLE`] and a `V2` arm (with its `decode_v2`) to each decoder, and keeps
//! the `V1` arm and `decode_v1` as they are, so that values written before the change (all of
//! `attendance_entry`, which is never rewritten) still read; the tests then keep a format-1 sample
//! of each kind. A format older than the previous one leaves the readers only after a migration
//! has rewritten the values still in it. A migration that writes packed values keeps its own copy
//! of the encoder of its time (migration 11 writes format 1), so that what it writes never
//! changes with this module.
//!
//! [`Mark`]: crate::attendance_entry::Mark
//! [`Cell`]: crate::section_day::Cell

use sea_orm::prelude::{Date, Uuid};

/// Format 1, the first: the layout above.
pub(crate) const V1: u8 = 1;

/// The format every encoder writes, the first byte of every packed value it makes.
pub(crate) const FORMAT: u8 = V1;

/// The formats the readers accept: the current one and, once there is one, the previous one.
pub(crate) const READABLE: &[u8] = &[V1];

/// Day number of a date: 1 January of year 1 (the common era) is day 1.
pub(crate) fn day_number(date: Date) -> i32 {
    use chrono::Datelike;
    date.num_days_from_ce()
}

pub(crate) fn from_day_number(days: i32) -> Option<Date> {
    Date::from_num_days_from_ce_opt(days)
}

/// The format byte of a packed value and a reader of the records after it; `None` for an empty
/// value or a format not in [`READABLE`]. The caller dispatches on the format.
pub(crate) fn open(bytes: &[u8]) -> Option<(u8, Reader<'_>)> {
    let (&format, rest) = bytes.split_first()?;
    READABLE
        .contains(&format)
        .then_some((format, Reader { bytes: rest }))
}

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.bytes.split_first_chunk::<N>()?;
        self.bytes = rest;
        Some(*head)
    }

    pub(crate) fn slice(&mut self, len: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.bytes.split_at_checked(len)?;
        self.bytes = rest;
        Some(head)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take().map(u16::from_le_bytes)
    }

    pub(crate) fn i16(&mut self) -> Option<i16> {
        self.take().map(i16::from_le_bytes)
    }

    pub(crate) fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_le_bytes)
    }

    pub(crate) fn i64(&mut self) -> Option<i64> {
        self.take().map(i64::from_le_bytes)
    }

    pub(crate) fn uuid(&mut self) -> Option<Uuid> {
        self.take().map(Uuid::from_bytes)
    }

    pub(crate) fn date(&mut self) -> Option<Date> {
        self.i32().and_then(from_day_number)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Datelike;
    use proptest::prelude::*;

    use super::*;
    use crate::{
        attendance_entry::{self, Mark, Outcome},
        section_day::{self, Cell},
    };

    fn sample_marks() -> Vec<Mark> {
        vec![
            Mark {
                mark_id: Uuid::from_u128(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10),
                enrollment_id: 0x1122_3344_5566_7788,
                date: Date::from_ymd_opt(2026, 11, 30).unwrap(),
                status: -2,
                recorded_at_us: 1_764_500_000_123_456,
                note: Some("ñ".to_owned()),
                outcome: Outcome::Held,
            },
            Mark {
                mark_id: Uuid::nil(),
                enrollment_id: 7,
                date: Date::from_ymd_opt(1, 1, 1).unwrap(),
                status: 1,
                recorded_at_us: 0,
                note: None,
                outcome: Outcome::Accepted,
            },
        ]
    }

    fn sample_cells() -> Vec<Cell> {
        vec![
            Cell {
                enrollment_id: 3,
                status: 4,
                recorded_at_us: -1,
                mark_id: Uuid::from_u128(9),
            },
            Cell {
                enrollment_id: -5,
                status: i16::MIN,
                recorded_at_us: 1,
                mark_id: Uuid::max(),
            },
        ]
    }

    /// The tables of the module documentation, byte by byte.
    #[test]
    fn the_documented_layout_is_the_one_written() {
        let mut marks = vec![FORMAT];
        marks.extend(1u8..=16); // mark_id
        marks.extend([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]); // enrollment_id
        marks.extend(739_950i32.to_le_bytes()); // 2026-11-30
        marks.extend([0xfe, 0xff]); // status -2
        marks.extend(1_764_500_000_123_456i64.to_le_bytes());
        marks.extend([b'h', 1, 2, 0, 0xc3, 0xb1]); // held, a note of 2 bytes: "ñ"
        marks.extend([0; 16]); // mark_id nil
        marks.extend([7, 0, 0, 0, 0, 0, 0, 0]);
        marks.extend([1, 0, 0, 0]); // 0001-01-01 is day 1
        marks.extend([1, 0]);
        marks.extend([0; 8]);
        marks.extend([b'a', 0]); // accepted, no note
        assert_eq!(marks.len(), 1 + (42 + 2) + 40);
        assert_eq!(attendance_entry::encode(&sample_marks()), marks);
        assert_eq!(attendance_entry::decode(&marks), Some(sample_marks()));

        let mut cells = vec![FORMAT];
        cells.extend((-5i64).to_le_bytes()); // the lower enrollment first
        cells.extend([0x00, 0x80]); // i16::MIN
        cells.extend([1, 0, 0, 0, 0, 0, 0, 0]);
        cells.extend([0xff; 16]);
        cells.extend([3, 0, 0, 0, 0, 0, 0, 0]);
        cells.extend([4, 0]);
        cells.extend([0xff; 8]); // -1
        cells.extend(9u128.to_be_bytes());
        assert_eq!(cells.len(), 1 + 2 * 34);
        assert_eq!(section_day::encode(&sample_cells()), cells);
        let mut sorted = sample_cells();
        sorted.reverse();
        assert_eq!(section_day::decode(&cells), Some(sorted));

        assert_eq!(
            Date::from_ymd_opt(2026, 11, 30).unwrap().num_days_from_ce(),
            739_950
        );
    }

    #[test]
    fn the_readers_accept_the_current_format_and_refuse_unknown_ones() {
        assert!(READABLE.contains(&FORMAT));
        if let Some(previous) = FORMAT.checked_sub(1).filter(|p| *p >= V1) {
            assert!(
                READABLE.contains(&previous),
                "the previous format is still read"
            );
        }
        let marks = attendance_entry::encode(&sample_marks());
        let cells = section_day::encode(&sample_cells());
        assert_eq!(marks[0], FORMAT);
        assert_eq!(cells[0], FORMAT);
        assert!(attendance_entry::decode(&marks).is_some());
        assert!(section_day::decode(&cells).is_some());
        for byte in (0..=u8::MAX).filter(|b| !READABLE.contains(b)) {
            let (mut marks, mut cells) = (marks.clone(), cells.clone());
            marks[0] = byte;
            cells[0] = byte;
            assert_eq!(attendance_entry::decode(&marks), None, "format {byte}");
            assert_eq!(section_day::decode(&cells), None, "format {byte}");
        }
    }

    #[test]
    fn a_note_too_long_for_its_length_is_cut_at_a_character() {
        let mut mark = sample_marks().remove(1);
        // 65 535 bytes would end inside the last "ñ".
        mark.note = Some(format!("{}{}", "a".repeat(65_534), "ñ".repeat(3)));
        let read = attendance_entry::decode(&attendance_entry::encode(&[mark])).unwrap();
        assert_eq!(read[0].note.as_deref(), Some("a".repeat(65_534).as_str()));
    }

    fn any_uuid() -> impl Strategy<Value = Uuid> {
        any::<u128>().prop_map(Uuid::from_u128)
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (Date::MIN.num_days_from_ce()..=Date::MAX.num_days_from_ce())
            .prop_map(|days| from_day_number(days).expect("a day within chrono's range"))
    }

    fn any_outcome() -> impl Strategy<Value = Outcome> {
        prop_oneof![
            Just(Outcome::Accepted),
            Just(Outcome::Superseded),
            Just(Outcome::Held),
        ]
    }

    /// Notes of any characters, up to 60 of them (the encoder only cuts past 65 535 bytes).
    fn any_note() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(
            proptest::collection::vec(any::<char>(), 0..60).prop_map(String::from_iter),
        )
    }

    fn any_mark() -> impl Strategy<Value = Mark> {
        (
            any_uuid(),
            any::<i64>(),
            any_date(),
            any::<i16>(),
            any::<i64>(),
            any_note(),
            any_outcome(),
        )
            .prop_map(
                |(mark_id, enrollment_id, date, status, recorded_at_us, note, outcome)| Mark {
                    mark_id,
                    enrollment_id,
                    date,
                    status,
                    recorded_at_us,
                    note,
                    outcome,
                },
            )
    }

    fn any_cell() -> impl Strategy<Value = Cell> {
        (any::<i64>(), any::<i16>(), any::<i64>(), any_uuid()).prop_map(
            |(enrollment_id, status, recorded_at_us, mark_id)| Cell {
                enrollment_id,
                status,
                recorded_at_us,
                mark_id,
            },
        )
    }

    /// Every proper prefix of `bytes` reads as `None`, but those that end between two records,
    /// which read as the records before the cut. `ends[k]` is where record `k` ends.
    fn check_prefixes<T: PartialEq + std::fmt::Debug>(
        bytes: &[u8],
        ends: &[usize],
        records: &[T],
        decode: fn(&[u8]) -> Option<Vec<T>>,
    ) -> Result<(), TestCaseError> {
        for cut in 0..bytes.len() {
            let expected = match cut {
                0 => None,
                1 => Some(&records[..0]),
                _ => ends
                    .iter()
                    .position(|&end| end == cut)
                    .map(|k| &records[..=k]),
            };
            let read = decode(&bytes[..cut]);
            prop_assert_eq!(read.as_deref(), expected, "cut at {}", cut);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn marks_read_back_as_written(marks in proptest::collection::vec(any_mark(), 0..12)) {
            let bytes = attendance_entry::encode(&marks);
            let mut ends = Vec::with_capacity(marks.len());
            let mut end = 1;
            for mark in &marks {
                end += 40 + mark.note.as_ref().map_or(0, |note| 2 + note.len());
                ends.push(end);
            }
            prop_assert_eq!(bytes.len(), end);
            prop_assert_eq!(attendance_entry::decode(&bytes), Some(marks.clone()));
            check_prefixes(&bytes, &ends, &marks, attendance_entry::decode)?;
        }

        #[test]
        fn cells_read_back_in_enrollment_order(cells in proptest::collection::vec(any_cell(), 0..12)) {
            let bytes = section_day::encode(&cells);
            prop_assert_eq!(bytes.len(), 1 + 34 * cells.len());
            let mut sorted = cells.clone();
            sorted.sort_by_key(|c| c.enrollment_id);
            prop_assert_eq!(section_day::decode(&bytes), Some(sorted.clone()));
            let ends: Vec<usize> = (1..=cells.len()).map(|k| 1 + 34 * k).collect();
            check_prefixes(&bytes, &ends, &sorted, section_day::decode)?;
        }

        /// Any bytes at all: no panic, and whatever reads writes back to the same bytes.
        #[test]
        fn any_bytes_read_as_marks_or_none(
            first in prop_oneof![Just(FORMAT), any::<u8>()],
            rest in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let mut bytes = vec![first];
            bytes.extend(rest);
            if let Some(marks) = attendance_entry::decode(&bytes) {
                prop_assert_eq!(attendance_entry::encode(&marks), bytes);
            } else {
                prop_assert!(first != FORMAT || bytes.len() > 1);
            }
        }

        /// Any bytes at all: no panic; a value reads when, and only when, it is the format byte
        /// and whole cells.
        #[test]
        fn any_bytes_read_as_cells_or_none(
            first in prop_oneof![Just(FORMAT), any::<u8>()],
            rest in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let mut bytes = vec![first];
            bytes.extend(rest);
            let whole = first == FORMAT && (bytes.len() - 1) % 34 == 0;
            prop_assert_eq!(section_day::decode(&bytes).is_some(), whole);
            if let Some(cells) = section_day::decode(&bytes) {
                prop_assert_eq!(cells.len(), (bytes.len() - 1) / 34);
            }
        }
    }

    #[test]
    fn empty_values_are_not_read() {
        assert_eq!(attendance_entry::decode(&[]), None);
        assert_eq!(section_day::decode(&[]), None);
        assert_eq!(attendance_entry::decode(&[FORMAT]), Some(vec![]));
        assert_eq!(section_day::decode(&[FORMAT]), Some(vec![]));
    }
}
