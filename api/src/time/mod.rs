//! Calendar logic runs in Lima time, never the server's.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

pub mod peru;

/// America/Lima.
pub const LIMA: Tz = chrono_tz::America::Lima;

pub use jobs::{
    Clock,
    clock::{spawn, spawn_blocking},
};

/// The current instant on the server's clock ([`Clock`]).
pub fn now() -> DateTime<Utc> {
    jobs::clock::now()
}

/// Today's date in Lima.
pub fn today_lima() -> NaiveDate {
    now().with_timezone(&LIMA).date_naive()
}

/// Reads `YYYY-MM-DD` or `dd/mm/yyyy`.
pub fn parse_date(value: &str) -> Result<NaiveDate, String> {
    let value = value.trim();
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(value, "%d/%m/%Y"))
        .map_err(|_| "La fecha debe tener la forma AAAA-MM-DD o DD/MM/AAAA.".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_written_forms_of_a_date_are_read() {
        let expected = NaiveDate::from_ymd_opt(2026, 4, 6).unwrap();
        assert_eq!(parse_date("2026-04-06"), Ok(expected));
        assert_eq!(parse_date("06/04/2026"), Ok(expected));
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("ayer").is_err());
    }
}
