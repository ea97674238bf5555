//! The event log as cqrs-es sees it: a `PersistedEventRepository` whose streams are read through postgres-es on
//! PostgreSQL (or our SQLite reader), and whose appends go through the group-commit appender on both engines.

mod append;
mod appender;
mod batch;
mod sqlite;

use std::sync::Arc;

use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use cqrs_es::Aggregate;
use omi_store::{Database, LogPosition};
use postgres_es::PostgresEventRepository;
use serde_json::Value;

pub use append::AppendError;
pub use sqlite::SqliteStreams;

use append::Append;
use appender::Appender;

/// Where streams are read from.
#[derive(Clone)]
enum Streams {
    Postgres(Arc<PostgresEventRepository>),
    Sqlite(SqliteStreams),
}

/// The log of one database. Used in plain event-store mode only: no snapshots.
#[derive(Clone)]
pub struct EventLog {
    streams: Streams,
    appender: Appender,
}

impl EventLog {
    /// The log of `database`'s engine. Starts the appender, so it must be called inside a tokio runtime.
    pub fn new(database: &Database) -> Self {
        let streams = match database.postgres() {
            Some(pool) => Streams::Postgres(Arc::new(PostgresEventRepository::new(pool.clone()))),
            None => Streams::Sqlite(SqliteStreams::new(database.clone())),
        };
        Self {
            streams,
            appender: Appender::start(database.clone()),
        }
    }

    /// Appends the events of one stream (sequences following its last event) and returns where the last one
    /// landed in commit order.
    pub async fn append<A: Aggregate>(
        &self,
        events: Vec<SerializedEvent>,
    ) -> Result<LogPosition, AppendError> {
        self.appender
            .append(Append {
                aggregate_type: A::TYPE,
                events,
            })
            .await
    }
}

impl PersistedEventRepository for EventLog {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        match &self.streams {
            Streams::Postgres(repo) => repo.get_events::<A>(aggregate_id).await,
            Streams::Sqlite(streams) => streams.stream(A::TYPE, aggregate_id, -1).await,
        }
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        match &self.streams {
            Streams::Postgres(repo) => repo.get_last_events::<A>(aggregate_id, last_sequence).await,
            Streams::Sqlite(streams) => {
                streams
                    .stream(A::TYPE, aggregate_id, last_sequence as i64)
                    .await
            }
        }
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        _aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        Ok(None)
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        if snapshot_update.is_some() {
            return Err(PersistenceError::UnknownError(
                "the event log runs in plain event-store mode and keeps no snapshots".into(),
            ));
        }
        match self.append::<A>(events.to_vec()).await {
            Ok(_) => Ok(()),
            Err(AppendError::Conflict) => Err(PersistenceError::OptimisticLockError),
            Err(AppendError::Store(message)) => Err(PersistenceError::UnknownError(message.into())),
        }
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        feed(self.get_events::<A>(aggregate_id).await?).await
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        match &self.streams {
            Streams::Postgres(repo) => repo.stream_all_events::<A>().await,
            Streams::Sqlite(streams) => feed(streams.all(A::TYPE).await?).await,
        }
    }
}

async fn feed(events: Vec<SerializedEvent>) -> Result<ReplayStream, PersistenceError> {
    let (mut feed, stream) = ReplayStream::new(events.len().max(1));
    for event in events {
        feed.push(Ok(event)).await?;
    }
    Ok(stream)
}
