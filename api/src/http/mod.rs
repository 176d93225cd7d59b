//! HTTP plumbing shared by every area: extractors with the JSON error shape, pagination.

pub mod extract;
mod page;

pub use extract::{ApiJson, ApiPath, ApiQuery};
pub use page::{Page, PageParams};
