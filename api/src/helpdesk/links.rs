//! Where a person opens a ticket in the console: the help desk at its queue's page, the requester
//! at its own. Every help-desk e-mail names one of these; the console serves them.

/// The help desk's pages, under the queue.
pub const STAFF_PATH: &str = "/consola/mesa-de-ayuda";
/// The requester's pages: its tickets and the form to file one.
pub const REQUESTER_PATH: &str = "/consola/mis-tickets";

/// The knowledge base's pages.
pub const ARTICLES_PATH: &str = "/consola/articulos";

/// The path of a ticket's page for the help desk.
pub fn staff_ticket(id: i64) -> String {
    format!("{STAFF_PATH}/tickets/{id}")
}

/// The path of a ticket's page for its requester.
pub fn requester_ticket(id: i64) -> String {
    format!("{REQUESTER_PATH}/{id}")
}

pub use crate::links::Links;

impl Links<'_> {
    /// A ticket's page for the help desk, in full.
    pub fn staff(self, id: i64) -> String {
        self.full(&staff_ticket(id))
    }

    /// A ticket's page for its requester, in full.
    pub fn requester(self, id: i64) -> String {
        self.full(&requester_ticket(id))
    }

    /// An article of the knowledge base, in full.
    pub fn article(self, id: i64) -> String {
        self.full(&format!("{ARTICLES_PATH}/{id}"))
    }

    /// The help desk's queue, in full.
    pub fn queue(self) -> String {
        self.full(STAFF_PATH)
    }
}
