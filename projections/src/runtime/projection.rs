//! What a read model implements to be kept up to date by the projector and rebuilt by `omi-server replay`.

use std::future::Future;
use std::pin::Pin;

use omi_store::{Envelope, ReadError};
use sqlx::AnyConnection;

use super::copy_rows::CopySink;
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
    /// A name that no read model of the registry has (the second field lists the ones it has).
    #[error("unknown projection {0:?}; known: {1}")]
    Unknown(String, String),
    /// A rebuild cannot run or its writers stopped.
    #[error("rebuild: {0}")]
    Rebuild(String),
}

/// The future a projection returns from [`Projection::apply`].
pub type ApplyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), ProjectionError>> + Send + 'a>>;

/// A read model built from the log. Every one is listed once, in [`crate::registry`].
pub trait Projection: Send + Sync + 'static {
    /// The stable name, used for its checkpoint and parked events and by `omi-server replay --projection`.
    fn name(&self) -> &'static str;

    /// The aggregate types whose events it reads (by their stored type name); an event of another type that
    /// does not decode is no concern of it.
    fn aggregate_types(&self) -> &'static [&'static str];

    /// The tables it owns; a rebuild empties them (SQLite) or writes new ones in their place (PostgreSQL).
    fn tables(&self) -> &'static [&'static str];

    /// Applies a batch of events, in commit order, inside the projector's transaction. The batch holds every
    /// event after the projection's checkpoint; a projection ignores the ones it does not read.
    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a>;

    /// A fresh rebuild of its tables from the whole log, folded in memory (the PostgreSQL replay; SQLite
    /// replays through [`Projection::apply`]).
    fn in_memory(&self) -> InMemoryRebuild;
}

/// A read model's rebuild from the whole log, folded in memory and written with `COPY`; only the rebuild
/// runtime drives it.
pub struct InMemoryRebuild(pub(crate) Box<dyn Rebuild>);

impl InMemoryRebuild {
    pub(crate) fn new(rebuild: impl Rebuild + 'static) -> Self {
        Self(Box::new(rebuild))
    }
}

/// What an in-memory rebuild does: fold the log, then hand out its rows.
pub(crate) trait Rebuild: Send {
    /// What its fold reads of the events besides their payloads; the log is read with the most any rebuild
    /// needs (what is not read is left empty).
    fn envelope(&self) -> Envelope;

    /// Folds a batch of events (in commit order) into the rows it holds.
    fn fold(&mut self, events: &[RecordedEvent]) -> Result<(), ProjectionError>;

    /// Writes up to `rows` of the rows it holds to `sink` once the log is folded; false once nothing is left.
    fn flush(&mut self, sink: &mut CopySink, rows: usize) -> Result<bool, ProjectionError>;
}
