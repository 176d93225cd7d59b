//! The tablet contract, version 1 (`docs/mobile-contract-v1.md`): the request and response
//! types that the server and the tablet app share, with their validation rules and JSON Schema.
//! It depends on no server or database crate.
//!
//! Field names and codes here are the contract: renaming or removing one is a breaking change
//! that needs a v2 path. Additions are fine.

mod pull;
mod push;

pub use pull::*;
pub use push::*;

/// The version tablets put in `contract_version`.
pub const CONTRACT_VERSION: u32 = 1;

/// Most marks in one push.
pub const MAX_MARKS_PER_BATCH: usize = 1000;

/// Largest push body, after decompression.
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;

/// The JSON Schema of every contract type, by file name.
pub fn schemas() -> Vec<(&'static str, serde_json::Value)> {
    let schema = |s: schemars::Schema| s.to_value();
    vec![
        (
            "push-request.json",
            schema(schemars::schema_for!(PushRequest)),
        ),
        (
            "push-response.json",
            schema(schemars::schema_for!(PushResponse)),
        ),
        (
            "pull-response.json",
            schema(schemars::schema_for!(PullResponse)),
        ),
    ]
}
