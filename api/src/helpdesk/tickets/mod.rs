//! Tickets: filing through the help form, the topic catalogue, lists within reach, a ticket's
//! detail, and what every write on a ticket starts from (`reach`).

mod detail;
mod filing;
mod list;
mod reach;
mod topics;

pub use detail::{attachment, read, read_as};
pub use filing::{
    ATTACHMENT, MAX_ATTACHMENTS, attach, file, read_multipart, read_parts, remove, store,
};
pub use list::list;
pub use reach::{begin_on, load, write_if_unchanged};
pub use topics::{save_topic, topic_view, topics};
