//! The stored form of attendance codes: a small integer per code.

use mobile_contract::AttendanceStatus;

/// The integer stored for a status.
pub fn to_db(status: AttendanceStatus) -> i16 {
    match status {
        AttendanceStatus::Asistio => 1,
        AttendanceStatus::Falta => 2,
        AttendanceStatus::Tardanza => 3,
        AttendanceStatus::FaltaJustificada => 4,
        AttendanceStatus::TardanzaJustificada => 5,
    }
}

/// The status of a stored integer.
pub fn from_db(value: i16) -> Option<AttendanceStatus> {
    AttendanceStatus::ALL
        .into_iter()
        .find(|s| to_db(*s) == value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for status in AttendanceStatus::ALL {
            assert_eq!(from_db(to_db(status)), Some(status));
        }
        assert_eq!(from_db(0), None);
    }
}
