//! The product's address as e-mails name it, and the console pages they link to that are not the
//! help desk's (those are in `helpdesk::links`). Services that write e-mails read their links
//! here, below the pages that serve them.

/// A director's or PRONOEI coordinator's "Pendientes": what needs it now.
pub const PENDING_PATH: &str = "/consola/pendientes";

/// Registers' coverage of a UGEL or a DRE, for its specialists.
pub const COVERAGE_PATH: &str = "/consola/cobertura";

/// Exceptional modifications of registers and actas, for those who take part in them.
pub const MODIFICATIONS_PATH: &str = "/consola/modificaciones";

/// Altas y bajas: the requests a person filed or decides.
pub const PROVISIONING_PATH: &str = "/consola/altas-y-bajas";

/// An IE's staff, for its director.
pub const STAFF_PAGE_PATH: &str = "/consola/personal";

/// A student's record, searched by document.
pub const RECORD_PATH: &str = "/consola/estudiantes";

/// An IE's certificates: the requests received and the certificates issued.
pub const CERTIFICATES_PATH: &str = "/consola/certificados";

/// A section's teachers and the areas each grades, as a page.
pub fn teachers_path(section_id: i64) -> String {
    format!("/consola/secciones/{section_id}/docentes")
}

/// A section's acta de evaluación, as a page.
pub fn acta_path(section_id: i64) -> String {
    format!("/consola/actas/{section_id}")
}

/// The monthly register of a section, as a page.
pub fn register_path(section_id: i64, year: i32, month: u32) -> String {
    format!("/consola/registros/{section_id}/{year}/{month}")
}

/// The product's address, as e-mails name it (`auth.public_base_url`, without a trailing slash).
#[derive(Debug, Clone, Copy)]
pub struct Links<'a>(&'a str);

impl<'a> Links<'a> {
    pub fn new(base_url: &'a str) -> Self {
        Self(base_url.trim_end_matches('/'))
    }

    /// A path of the product, in full.
    pub fn full(self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// Registers' coverage, in full.
    pub fn coverage(self) -> String {
        self.full(COVERAGE_PATH)
    }

    /// Exceptional modifications, in full.
    pub fn modifications(self) -> String {
        self.full(MODIFICATIONS_PATH)
    }

    /// "Pendientes", in full.
    pub fn pending(self) -> String {
        self.full(PENDING_PATH)
    }
}
