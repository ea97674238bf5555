//! The command bus: load the aggregate from its stream, let it decide, append what it decided, and report where
//! in the log the append landed so that the caller can wait for the read models to catch up.

use std::time::Duration;

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::{Aggregate, AggregateError, EventStore};
use omi_store::{Backend, Database, LogPosition};
use sqlx::Row;

use crate::{EventLog, Metadata};

/// How often a command is retried when another writer appended to the same stream first.
const CONFLICT_RETRIES: u32 = 5;

/// What a command appended.
#[derive(Debug)]
pub struct Appended<E> {
    /// The events, in order; empty when the aggregate decided nothing needed recording.
    pub events: Vec<E>,
    /// Where the last event landed in commit order; `None` when nothing was appended.
    pub position: Option<LogPosition>,
}

/// Why a command was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    /// The aggregate refused it.
    #[error(transparent)]
    Domain(E),
    /// Other writers kept appending to the same stream; the caller may try again.
    #[error("the resource was changed by another request at the same time; try again")]
    Conflict,
    /// The store failed.
    #[error("event store error: {0}")]
    Store(String),
}

/// Dispatches commands to aggregates over the event log.
#[derive(Clone)]
pub struct CommandBus {
    database: Database,
    log: EventLog,
}

impl CommandBus {
    /// A bus over `database`'s event log.
    pub fn new(database: Database) -> Self {
        let log = EventLog::new(&database);
        Self { database, log }
    }

    /// Runs `command` against the aggregate `A` with id `aggregate_id`, retrying on concurrent appends.
    pub async fn execute<A>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> Result<Appended<A::Event>, CommandError<A::Error>>
    where
        A: Aggregate<Services = ()>,
        A::Command: Clone,
    {
        let store = PersistedEventStore::<EventLog, A>::new_event_store(self.log.clone());
        for attempt in 0..=CONFLICT_RETRIES {
            let mut context = store
                .load_aggregate(aggregate_id)
                .await
                .map_err(store_error)?;
            let sink = EventSink::default();
            context
                .aggregate
                .handle(command.clone(), &(), &sink)
                .await
                .map_err(CommandError::Domain)?;
            let events = sink.collect().await;
            if events.is_empty() {
                return Ok(Appended {
                    events,
                    position: None,
                });
            }
            match store.commit(events, context, metadata.to_map()).await {
                Ok(committed) => {
                    self.database.announce_append();
                    let last = committed.last().map(|e| e.sequence).unwrap_or_default();
                    let position = self.position_of(A::TYPE, aggregate_id, last).await?;
                    return Ok(Appended {
                        events: committed.into_iter().map(|e| e.payload).collect(),
                        position: Some(position),
                    });
                }
                Err(AggregateError::AggregateConflict) => {
                    tracing::debug!(
                        aggregate = A::TYPE,
                        aggregate_id,
                        attempt,
                        "append conflict, retrying"
                    );
                    tokio::time::sleep(Duration::from_millis(2 << attempt)).await;
                }
                Err(other) => return Err(store_error(other)),
            }
        }
        Err(CommandError::Conflict)
    }

    async fn position_of<E: std::error::Error>(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        sequence: usize,
    ) -> Result<LogPosition, CommandError<E>> {
        let sql = match self.database.backend() {
            Backend::Postgres => {
                "SELECT CAST(CAST(transaction_id AS TEXT) AS BIGINT) AS tx, global_position FROM events
                 WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3"
            }
            Backend::Sqlite => {
                "SELECT CAST(0 AS BIGINT) AS tx, global_position FROM events
                 WHERE aggregate_type = $1 AND aggregate_id = $2 AND sequence = $3"
            }
        };
        let row = sqlx::query(sql)
            .bind(aggregate_type)
            .bind(aggregate_id)
            .bind(sequence as i64)
            .fetch_one(self.database.pool())
            .await
            .map_err(|e| CommandError::Store(e.to_string()))?;
        Ok(LogPosition {
            transaction: row
                .try_get("tx")
                .map_err(|e| CommandError::Store(e.to_string()))?,
            global: row
                .try_get("global_position")
                .map_err(|e| CommandError::Store(e.to_string()))?,
        })
    }
}

fn store_error<E: std::error::Error>(error: AggregateError<E>) -> CommandError<E> {
    match error {
        AggregateError::UserError(e) => CommandError::Domain(e),
        AggregateError::AggregateConflict => CommandError::Conflict,
        other => CommandError::Store(other.to_string()),
    }
}
