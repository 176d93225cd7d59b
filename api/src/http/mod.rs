//! HTTP plumbing shared by every area: extractors with the JSON error shape, pagination.

pub mod extract;
mod page;

pub use extract::{ApiJson, ApiPath, ApiQuery};
pub use page::{Page, PageParams};

/// A CSV cell that a spreadsheet will not run as a formula (OWASP's CSV injection): text starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading apostrophe.
pub fn csv_cell(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_that_a_spreadsheet_would_run_are_neutralised() {
        assert_eq!(
            super::csv_cell("=HYPERLINK(\"x\")".into()),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(super::csv_cell("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(super::csv_cell("\t1".into()), "'\t1");
        assert_eq!(super::csv_cell("Chávez".into()), "Chávez");
        assert_eq!(super::csv_cell("98.5".into()), "98.5");
    }
}
