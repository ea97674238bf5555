//! The event log as cqrs-es sees it: a `PersistedEventRepository` whose streams are read through postgres-es on
//! PostgreSQL (or our portable reader), and whose appends go through the group-commit appender on both engines.
//! Every event read is checked against its aggregate's stored contract and brought to the current version of its
//! type (the domain's upcasters are cqrs-es `EventUpcaster`s) before cqrs-es decodes it, as the read side does.

mod append;
mod appender;
mod batch;
mod streams;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use cqrs_es::Aggregate;
use omi_domain::contract::contract_of;
use omi_store::{Database, LogPosition};
use postgres_es::PostgresEventRepository;
use serde_json::Value;

pub use append::AppendError;
pub use streams::LogStreams;

use append::Append;
use appender::Appender;

/// The log of one database. Used in plain event-store mode only: no snapshots.
#[derive(Clone)]
pub struct EventLog {
    /// postgres-es, which reads single streams with the native driver on PostgreSQL.
    postgres: Option<Arc<PostgresEventRepository>>,
    streams: LogStreams,
    appender: Appender,
}

impl EventLog {
    /// The log of `database`'s engine. Starts the appender, so it must be called inside a tokio runtime.
    pub fn new(database: &Database) -> Self {
        Self {
            postgres: database
                .postgres()
                .map(|pool| Arc::new(PostgresEventRepository::new(pool.clone()))),
            streams: LogStreams::new(database.clone()),
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
        let events = match &self.postgres {
            Some(repo) => repo.get_events::<A>(aggregate_id).await?,
            None => self.streams.stream(A::TYPE, aggregate_id, -1).await?,
        };
        upgraded(A::TYPE, events)
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let events = match &self.postgres {
            Some(repo) => {
                repo.get_last_events::<A>(aggregate_id, last_sequence)
                    .await?
            }
            None => {
                self.streams
                    .stream(A::TYPE, aggregate_id, last_sequence as i64)
                    .await?
            }
        };
        upgraded(A::TYPE, events)
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
        feed(upgraded(A::TYPE, self.streams.all(A::TYPE).await?)?).await
    }
}

/// `events` as read from streams of `aggregate_type`, each checked against the aggregate's contract and brought to
/// the current version of its type; the first one the contract refuses fails the read (the aggregate cannot be
/// folded without it). An aggregate type the domain has no contract for has no events it could read.
fn upgraded(
    aggregate_type: &str,
    events: Vec<SerializedEvent>,
) -> Result<Vec<SerializedEvent>, PersistenceError> {
    if events.is_empty() {
        return Ok(events);
    }
    let refused = |message: String| PersistenceError::DeserializationError(message.into());
    let contract = contract_of(aggregate_type).ok_or_else(|| {
        refused(format!(
            "the domain has no stored-event contract for the aggregate type {aggregate_type}"
        ))
    })?;
    events
        .into_iter()
        .map(|event| {
            let sequence = event.sequence;
            contract.upgrade(event).map_err(|error| {
                refused(format!(
                    "the stored {aggregate_type} event at sequence {sequence} does not decode: {error}"
                ))
            })
        })
        .collect()
}

async fn feed(events: Vec<SerializedEvent>) -> Result<ReplayStream, PersistenceError> {
    let (mut feed, stream) = ReplayStream::new(events.len().max(1));
    for event in events {
        feed.push(Ok(event)).await?;
    }
    Ok(stream)
}
