//! The byte format of packed columns: little-endian integers after a leading format byte, read
//! back with every length checked (a damaged value reads as `None`, never as a panic).

use sea_orm::prelude::{Date, Uuid};

/// The first byte of every packed value.
pub(crate) const FORMAT: u8 = 1;

/// Days since 1 January of year 1 (the common era), the stored form of a date.
pub(crate) fn day_number(date: Date) -> i32 {
    use chrono::Datelike;
    date.num_days_from_ce()
}

pub(crate) fn from_day_number(days: i32) -> Option<Date> {
    Date::from_num_days_from_ce_opt(days)
}

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader after the format byte; `None` for another format.
    pub(crate) fn new(bytes: &'a [u8]) -> Option<Self> {
        match bytes.split_first() {
            Some((&FORMAT, rest)) => Some(Self { bytes: rest }),
            _ => None,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
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
