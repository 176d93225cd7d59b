//! Checks shared by the values written in digits (DNI, código modular, cell phone).

/// Whether `value` is exactly `len` ASCII digits.
pub(super) fn all_digits(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}
