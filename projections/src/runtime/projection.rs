//! What a read model implements to be kept up to date by the projector.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use omi_store::ReadError;
use sqlx::AnyConnection;

use super::RecordedEvent;

/// Why projecting failed. The projector logs it and retries the batch; nothing is skipped.
#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Log(#[from] ReadError),
    #[error("read model document cannot be decoded: {0}")]
    Document(#[from] serde_json::Error),
    #[error("unknown projection {0:?}; known: {1}")]
    Unknown(String, String),
    /// A rebuild cannot run or its writers stopped.
    #[error("rebuild: {0}")]
    Rebuild(String),
}

/// The future a projection returns from [`Projection::apply`].
pub type ApplyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ProjectionError>> + Send + 'a>>;

/// A read model built from the log.
pub trait Projection: Send + Sync + 'static {
    /// The stable name, used for its checkpoint and by `omi-server replay --projection`.
    fn name(&self) -> &'static str;

    /// The aggregate types whose events it reads (by their stored type name); an event of another type that
    /// does not decode is no concern of it.
    fn aggregate_types(&self) -> &'static [&'static str];

    /// The tables it owns; a rebuild empties them.
    fn tables(&self) -> &'static [&'static str];

    /// Applies a batch of events, in commit order, inside the projector's transaction. The batch holds every
    /// event after the projection's checkpoint; a projection ignores the ones it does not read.
    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a>;
}

/// Every read model of the server.
pub fn all_projections() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(crate::memories::MemoriesProjection),
        Arc::new(crate::action_items::ActionItemsProjection),
        Arc::new(crate::api_keys::ApiKeysProjection),
        Arc::new(crate::conversations::ConversationsProjection),
    ]
}
