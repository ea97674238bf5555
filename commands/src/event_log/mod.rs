//! The event log as cqrs-es sees it: a `PersistedEventRepository` over PostgreSQL (postgres-es) or SQLite.

mod sqlite;

use std::sync::Arc;

use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use cqrs_es::Aggregate;
use omi_store::{Backend, Database};
use postgres_es::PostgresEventRepository;
use serde_json::Value;

pub use sqlite::SqliteEventRepository;

/// The repository of the configured engine. Used in plain event-store mode only: no snapshots.
#[derive(Clone)]
pub enum EventLog {
    Postgres(Arc<PostgresEventRepository>),
    Sqlite(SqliteEventRepository),
}

impl EventLog {
    /// The log of `database`'s engine.
    pub fn new(database: &Database) -> Self {
        match (database.backend(), database.postgres()) {
            (Backend::Postgres, Some(pool)) => {
                EventLog::Postgres(Arc::new(PostgresEventRepository::new(pool.clone())))
            }
            _ => EventLog::Sqlite(SqliteEventRepository::new(database.clone())),
        }
    }
}

impl PersistedEventRepository for EventLog {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        match self {
            EventLog::Postgres(repo) => repo.get_events::<A>(aggregate_id).await,
            EventLog::Sqlite(repo) => repo.get_events::<A>(aggregate_id).await,
        }
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        match self {
            EventLog::Postgres(repo) => {
                repo.get_last_events::<A>(aggregate_id, last_sequence).await
            }
            EventLog::Sqlite(repo) => repo.get_last_events::<A>(aggregate_id, last_sequence).await,
        }
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        match self {
            EventLog::Postgres(repo) => repo.get_snapshot::<A>(aggregate_id).await,
            EventLog::Sqlite(repo) => repo.get_snapshot::<A>(aggregate_id).await,
        }
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        match self {
            EventLog::Postgres(repo) => repo.persist::<A>(events, snapshot_update).await,
            EventLog::Sqlite(repo) => repo.persist::<A>(events, snapshot_update).await,
        }
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        match self {
            EventLog::Postgres(repo) => repo.stream_events::<A>(aggregate_id).await,
            EventLog::Sqlite(repo) => repo.stream_events::<A>(aggregate_id).await,
        }
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        match self {
            EventLog::Postgres(repo) => repo.stream_all_events::<A>().await,
            EventLog::Sqlite(repo) => repo.stream_all_events::<A>().await,
        }
    }
}
