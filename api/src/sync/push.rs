//! Accepting a tablet's batch (`POST /sync/push`): applied whole or not at all, idempotent by
//! `batch_id`, by the writers of `ingest.rs`, which also check the caller's login (still open,
//! and bound to the batch's tablet) with those of the other batches of its group.

use mobile_contract::{PushRequest, PushResponse};

use super::ingest::Ingest;
use crate::{auth::principal::TokenHolder, error::Result};

/// Queues a checked batch for the ingest writers, and answers once it is durable.
pub async fn accept(
    ingest: &Ingest,
    caller: TokenHolder,
    batch: PushRequest,
) -> Result<PushResponse> {
    ingest.push(caller, batch).await
}
