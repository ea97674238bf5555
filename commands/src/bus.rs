//! The command bus: load the aggregate from its stream, let it decide, append what it decided (through the
//! group-commit appender), and report where in the log the append landed so that the caller can wait for the
//! read models to catch up.

use std::sync::Arc;
use std::time::Duration;

use cqrs_es::event_sink::EventSink;
use cqrs_es::persist::{
    EventStoreAggregateContext, PersistedEventRepository, PersistedEventStore, SerializedEvent,
};
use cqrs_es::{Aggregate, AggregateError, EventEnvelope, EventStore};
use omi_domain::storable::{is_storable, unstorable_at, NUL_REFUSED};
use omi_store::{Database, LogPosition};

use crate::aggregate_cache::AggregateCache;
use crate::event_log::AppendError;
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
    /// Whether these are the first events of their stream (the aggregate did not exist before).
    pub started_stream: bool,
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
    /// The events would hold text the log cannot store (a NUL character, which PostgreSQL refuses); nothing
    /// was appended. The doors check their input before it gets here: this is the backstop for one that
    /// does not, so that no such event is ever appended, on either engine.
    #[error("{0}")]
    Unstorable(String),
    /// The store failed.
    #[error("event store error: {0}")]
    Store(String),
}

/// Dispatches commands to aggregates over the event log.
#[derive(Clone)]
pub struct CommandBus {
    log: EventLog,
    cache: Arc<AggregateCache>,
}

impl CommandBus {
    /// A bus over `database`'s event log. Starts its appender, so it must be called inside a tokio runtime.
    pub fn new(database: Database) -> Self {
        Self {
            log: EventLog::new(&database),
            cache: Arc::default(),
        }
    }

    /// Runs `command` against the aggregate `A` with id `aggregate_id`, retrying on concurrent appends.
    pub async fn execute<A>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> Result<Appended<A::Event>, CommandError<A::Error>>
    where
        A: Aggregate<Services = ()> + 'static,
        A::Command: Clone,
    {
        self.run::<A>(aggregate_id, command, metadata, false).await
    }

    /// Runs `command` against an aggregate whose id was just made up (a fresh UUID): its stream is taken to be
    /// empty without reading it. Should it exist after all, the append conflicts and the command is run again
    /// against the stream as stored, so the aggregate decides as it would have.
    pub async fn create<A>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> Result<Appended<A::Event>, CommandError<A::Error>>
    where
        A: Aggregate<Services = ()> + 'static,
        A::Command: Clone,
    {
        self.run::<A>(aggregate_id, command, metadata, true).await
    }

    async fn run<A>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        metadata: &Metadata,
        fresh: bool,
    ) -> Result<Appended<A::Event>, CommandError<A::Error>>
    where
        A: Aggregate<Services = ()> + 'static,
        A::Command: Clone,
    {
        if !is_storable(aggregate_id) {
            return Err(CommandError::Unstorable(format!("the id {NUL_REFUSED}")));
        }
        let store = PersistedEventStore::<EventLog, A>::new_event_store(self.log.clone());
        let metadata = metadata.to_map();
        for attempt in 0..=CONFLICT_RETRIES {
            let mut context = if fresh && attempt == 0 {
                EventStoreAggregateContext {
                    aggregate_id: aggregate_id.to_string(),
                    aggregate: A::default(),
                    current_sequence: 0,
                    current_snapshot: None,
                }
            } else {
                self.load(&store, aggregate_id).await?
            };
            let sink = EventSink::default();
            let decided = context.aggregate.handle(command.clone(), &(), &sink).await;
            let events = sink.collect().await;
            if let Err(refusal) = decided {
                self.keep(context);
                return Err(CommandError::Domain(refusal));
            }
            if events.is_empty() {
                self.keep(context);
                return Ok(Appended {
                    events,
                    position: None,
                    started_stream: false,
                });
            }
            let envelopes: Vec<EventEnvelope<A>> = events
                .into_iter()
                .zip(context.current_sequence + 1..)
                .map(|(payload, sequence)| EventEnvelope {
                    aggregate_id: aggregate_id.to_string(),
                    sequence,
                    payload,
                    metadata: metadata.clone(),
                })
                .collect();
            let serialized = envelopes
                .iter()
                .map(SerializedEvent::try_from)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| CommandError::Store(e.to_string()))?;
            if let Some(refusal) = unstorable(&serialized) {
                tracing::warn!(
                    aggregate = A::TYPE,
                    aggregate_id,
                    %refusal,
                    "refused to append an event the log cannot store"
                );
                // The aggregate has had the refused events applied: it is not kept, so that the next command
                // on the stream folds it from the log again.
                drop(context);
                return Err(CommandError::Unstorable(refusal));
            }
            match self.log.append::<A>(serialized).await {
                Ok(position) => {
                    let started_stream = context.current_sequence == 0;
                    // The sink applied each event to the aggregate as `handle` wrote it: it is up to date.
                    let events: Vec<A::Event> = envelopes.into_iter().map(|e| e.payload).collect();
                    context.current_sequence += events.len();
                    self.keep(context);
                    return Ok(Appended {
                        events,
                        position: Some(position),
                        started_stream,
                    });
                }
                Err(AppendError::Conflict) => {
                    tracing::debug!(
                        aggregate = A::TYPE,
                        aggregate_id,
                        attempt,
                        "append conflict, retrying"
                    );
                    if !(fresh && attempt == 0) {
                        tokio::time::sleep(Duration::from_millis(2 << attempt)).await;
                    }
                }
                Err(AppendError::Store(message)) => return Err(CommandError::Store(message)),
            }
        }
        Err(CommandError::Conflict)
    }

    /// The aggregate as of its stream's last event: the cached state plus the events appended since, or the
    /// whole stream folded.
    async fn load<A>(
        &self,
        store: &PersistedEventStore<EventLog, A>,
        aggregate_id: &str,
    ) -> Result<EventStoreAggregateContext<A>, CommandError<A::Error>>
    where
        A: Aggregate<Services = ()> + 'static,
    {
        let Some((aggregate, sequence)) = self.cache.take::<A>(A::TYPE, aggregate_id) else {
            return store
                .load_aggregate(aggregate_id)
                .await
                .map_err(store_error);
        };
        let mut context = EventStoreAggregateContext {
            aggregate_id: aggregate_id.to_string(),
            aggregate,
            current_sequence: sequence,
            current_snapshot: None,
        };
        let newer = self
            .log
            .get_last_events::<A>(aggregate_id, sequence)
            .await
            .map_err(|e| CommandError::Store(e.to_string()))?;
        for serialized in newer {
            let envelope = EventEnvelope::<A>::try_from(serialized)
                .map_err(|e| CommandError::Store(e.to_string()))?;
            context.current_sequence = envelope.sequence;
            context.aggregate.apply(envelope.payload);
        }
        Ok(context)
    }

    /// Keeps the aggregate's state for the next command on its stream.
    fn keep<A: Aggregate + 'static>(&self, context: EventStoreAggregateContext<A>) {
        self.cache.put(
            A::TYPE,
            &context.aggregate_id,
            context.aggregate,
            context.current_sequence,
        );
    }
}

/// What in `events` cannot be stored (`payload.content must not contain …`), if anything does.
fn unstorable(events: &[SerializedEvent]) -> Option<String> {
    events.iter().find_map(|event| {
        let (part, path) = [("payload", &event.payload), ("metadata", &event.metadata)]
            .into_iter()
            .find_map(|(part, value)| unstorable_at(value).map(|path| (part, path)))?;
        let place = if path.is_empty() {
            part.to_string()
        } else {
            format!("{part}.{path}")
        };
        Some(format!("{place} {NUL_REFUSED}"))
    })
}

fn store_error<E: std::error::Error>(error: AggregateError<E>) -> CommandError<E> {
    match error {
        AggregateError::UserError(e) => CommandError::Domain(e),
        AggregateError::AggregateConflict => CommandError::Conflict,
        other => CommandError::Store(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use omi_domain::action_item::{ActionItem, ActionItemCommand};
    use omi_domain::{DomainError, Timestamp};

    use super::*;
    use crate::Actor;

    fn create(uid: &str, description: &str) -> ActionItemCommand {
        ActionItemCommand::CreateActionItem {
            uid: uid.into(),
            description: description.into(),
            completed: false,
            due_at: None,
            conversation_id: None,
            at: Timestamp::default(),
        }
    }

    fn delete(uid: &str) -> ActionItemCommand {
        ActionItemCommand::DeleteActionItem {
            uid: uid.into(),
            at: Timestamp::default(),
        }
    }

    /// A fresh SQLite database in a directory of its own.
    async fn database() -> (Database, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("omi-bus-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        (Database::open(None, &dir, 2).await.unwrap(), dir)
    }

    /// An aggregate whose state shows how often each event was applied to it.
    #[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
    struct Counter {
        count: u32,
    }

    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    enum CounterEvent {
        Counted,
    }

    impl cqrs_es::DomainEvent for CounterEvent {
        fn event_type(&self) -> String {
            "Counted".into()
        }

        fn event_version(&self) -> String {
            "1.0".into()
        }
    }

    impl Aggregate for Counter {
        const TYPE: &'static str = "Counter";
        /// Counts once, if the count so far is the one given.
        type Command = u32;
        type Event = CounterEvent;
        type Error = DomainError;
        type Services = ();

        async fn handle(
            &mut self,
            expected: u32,
            _services: &(),
            sink: &EventSink<Self>,
        ) -> Result<(), DomainError> {
            if self.count != expected {
                return Err(DomainError::Invalid(format!("the count is {}", self.count)));
            }
            sink.write(CounterEvent::Counted, self).await;
            Ok(())
        }

        fn apply(&mut self, _event: CounterEvent) {
            self.count += 1;
        }
    }

    #[tokio::test]
    async fn the_kept_aggregate_has_each_appended_event_applied_once() {
        let (database, dir) = database().await;
        let bus = CommandBus::new(database);
        let user = Metadata::new("u1", Actor::User, "request");
        for expected in 0..3 {
            let counted = bus.execute::<Counter>("counter-1", expected, &user).await;
            assert!(counted.is_ok(), "count {expected}: {counted:?}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[tokio::test]
    async fn events_holding_a_nul_character_are_refused_and_never_appended() {
        let (database, dir) = database().await;
        let bus = CommandBus::new(database);
        let user = Metadata::new("u1", Actor::User, "request");

        let in_payload = bus
            .create::<ActionItem>("item-1", create("u1", "call\0home"), &user)
            .await;
        assert!(
            matches!(&in_payload, Err(CommandError::Unstorable(m)) if m.starts_with("payload.") && m.contains(".description ")),
            "{in_payload:?}"
        );
        let poisoned_user = Metadata::new("u\0", Actor::User, "request");
        let in_metadata = bus
            .create::<ActionItem>("item-2", create("u1", "call home"), &poisoned_user)
            .await;
        assert!(
            matches!(&in_metadata, Err(CommandError::Unstorable(m)) if m.starts_with("metadata.")),
            "{in_metadata:?}"
        );
        let in_id = bus
            .create::<ActionItem>("item-\0", create("u1", "call home"), &user)
            .await;
        assert!(
            matches!(in_id, Err(CommandError::Unstorable(_))),
            "{in_id:?}"
        );

        // Nothing was appended: the refused streams do not exist, and the bus goes on appending.
        for id in ["item-1", "item-2"] {
            let missing = bus.execute::<ActionItem>(id, delete("u1"), &user).await;
            assert!(
                matches!(missing, Err(CommandError::Domain(DomainError::NotFound(_)))),
                "{id}: {missing:?}"
            );
        }
        let fine = bus
            .create::<ActionItem>("item-4", create("u1", "call home"), &user)
            .await
            .unwrap();
        assert_eq!(fine.events.len(), 1);
        assert!(fine.position.is_some());
        std::fs::remove_dir_all(&dir).ok();
    }
}
