//! Folds one entity's stream: into its versions (the history) or into its state at an instant (`as_of`).
//! Only the events the user wrote are read, so another user's entity has no history and no past state.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use omi_store::{read_stream, Database, StoredEvent};
use serde::Serialize;
use serde_json::Value;

use crate::runtime::ProjectionError;
use crate::time::format;

/// A kind of entity with a history: where its events are and how its read model folds them.
pub(crate) trait Entity {
    /// The aggregate type its streams are stored under.
    const TYPE: &'static str;
    type Event: DomainEvent + Serialize;
    /// The entity as its read model holds it.
    type State;
    /// The event of this kind in a stored event, if it is one.
    fn event(stored: &StoredEvent) -> Option<&Self::Event>;
    /// The read model's fold: the state after `event`, recorded at `recorded_at`; `None` once it is gone.
    fn evolve(
        id: &str,
        current: Option<Self::State>,
        event: &Self::Event,
        recorded_at: DateTime<Utc>,
    ) -> Option<Self::State>;
}

/// One version: the event that made it, and what a version shows of the state after it.
pub(crate) struct Step<S> {
    /// The event's sequence number in its stream.
    pub version: i64,
    /// The event's stable stored name.
    pub event: String,
    pub at: String,
    /// Who wrote it, which also names the door: `user`, `developer_key:<id>`, `mcp_key:<id>`, `app:<id>`,
    /// `system`.
    pub actor: String,
    /// The event's fields.
    pub changes: Value,
    /// `None` after a deletion.
    pub after: Option<S>,
}

/// Every version of entity `id` of user `uid`, oldest first, each showing `show` of the state after it; `None`
/// when the user never had it.
pub(crate) async fn steps<E: Entity, S>(
    database: &Database,
    uid: &str,
    id: &str,
    show: impl Fn(&E::State) -> Result<S, ProjectionError>,
) -> Result<Option<Vec<Step<S>>>, ProjectionError> {
    let stream = read_stream(database, E::TYPE, id).await?;
    let mut state = None;
    let mut steps = Vec::with_capacity(stream.len());
    for recorded in stream.iter().filter(|e| e.metadata.uid == uid) {
        let Some(event) = E::event(&recorded.event) else {
            continue;
        };
        state = E::evolve(id, state, event, recorded.recorded_at);
        steps.push(Step {
            version: recorded.sequence,
            event: event.event_type(),
            at: format(&recorded.recorded_at),
            actor: recorded.metadata.actor.clone(),
            changes: fields_of(event)?,
            after: state.as_ref().map(&show).transpose()?,
        });
    }
    Ok((!steps.is_empty()).then_some(steps))
}

/// Entity `id` of user `uid` as it stood at `at`: its events recorded until then, folded; `None` when it did
/// not exist yet or no longer existed then.
pub(crate) async fn state_at<E: Entity>(
    database: &Database,
    uid: &str,
    id: &str,
    at: DateTime<Utc>,
) -> Result<Option<E::State>, ProjectionError> {
    let stream = read_stream(database, E::TYPE, id).await?;
    let mut state = None;
    for recorded in stream
        .iter()
        .filter(|e| e.metadata.uid == uid)
        .take_while(|e| e.recorded_at <= at)
    {
        if let Some(event) = E::event(&recorded.event) {
            state = E::evolve(id, state, event, recorded.recorded_at);
        }
    }
    Ok(state)
}

/// What an event changed: its fields (events serialize as `{"<EventName>": {fields}}`).
fn fields_of(event: &impl Serialize) -> Result<Value, ProjectionError> {
    Ok(match serde_json::to_value(event)? {
        Value::Object(tagged) if tagged.len() == 1 => tagged
            .into_iter()
            .next()
            .map(|(_, v)| v)
            .unwrap_or_default(),
        other => other,
    })
}
