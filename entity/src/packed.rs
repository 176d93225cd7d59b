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
