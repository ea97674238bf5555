//! No event can stop the log: an event a read model cannot apply is parked with its error and the read model
//! goes on. Its stream's later events are parked behind it (in order, for a retry), every other stream and every
//! other read model carry on, and a rebuild leaves out exactly what the live projector left out.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use omi_store::{ParkedEvent, ParkedMark, ParkedStatus, SqlError};
use sqlx::AnyConnection;

use super::{Projection, ProjectionError, RecordedEvent, StoredEvent};

/// Events applied one at a time once a batch failed: small, so the savepoint per event costs little.
pub(crate) const CAREFUL_BATCH: i64 = 100;

/// What is parked already, and what this batch parks.
#[derive(Debug, Default)]
pub(crate) struct Parking {
    /// (read model, aggregate type, aggregate id) → the position of its first event still parked.
    held: HashMap<(String, String, String), omi_store::LogPosition>,
    /// (read model, global position) of every event parked or skipped.
    recorded: HashSet<(String, i64)>,
    /// Parked by this batch, to be recorded with it.
    pub(crate) new: Vec<ParkedEvent>,
}

impl Parking {
    /// From the parked events of the store.
    pub(crate) fn new(marks: &[ParkedMark]) -> Self {
        let mut parking = Parking::default();
        for mark in marks {
            parking
                .recorded
                .insert((mark.projection.clone(), mark.position.global));
            if mark.parked {
                let key = (
                    mark.projection.clone(),
                    mark.aggregate_type.clone(),
                    mark.aggregate_id.clone(),
                );
                let first = parking.held.entry(key).or_insert(mark.position);
                *first = (*first).min(mark.position);
            }
        }
        parking
    }

    /// From the parked events of the store, as listed.
    pub(crate) fn from_parked(parked: &[ParkedEvent]) -> Self {
        let marks: Vec<ParkedMark> = parked
            .iter()
            .map(|p| ParkedMark {
                projection: p.projection.clone(),
                position: p.position,
                aggregate_type: p.aggregate_type.clone(),
                aggregate_id: p.aggregate_id.clone(),
                parked: p.status == ParkedStatus::Parked,
            })
            .collect();
        Self::new(&marks)
    }

    /// Whether nothing is parked (the usual case: every batch is applied as it is).
    fn is_clear(&self) -> bool {
        self.held.is_empty() && self.recorded.is_empty()
    }

    /// Why `event` may not be applied to the read model `projection` (reading `types`), if it may not.
    fn refusal(&self, projection: &str, types: &[&str], event: &RecordedEvent) -> Option<Refusal> {
        if self
            .recorded
            .contains(&(projection.to_string(), event.position.global))
        {
            return Some(Refusal::Recorded);
        }
        if let StoredEvent::Undecodable {
            aggregate_type,
            error,
        } = &event.event
        {
            return Some(if types.contains(&aggregate_type.as_str()) {
                Refusal::Park(error.clone())
            } else {
                Refusal::Recorded
            });
        }
        let aggregate_type = event.event.aggregate_type()?;
        let key = (
            projection.to_string(),
            aggregate_type.to_string(),
            event.aggregate_id.clone(),
        );
        match self.held.get(&key) {
            Some(first) if event.position > *first => Some(Refusal::Park(format!(
                "held behind the parked event at {first} of the same stream"
            ))),
            _ => None,
        }
    }

    /// Parks `event` for `projection`: recorded with this batch, and its stream's later events held behind it.
    pub(crate) fn park(&mut self, projection: &str, event: &RecordedEvent, error: String) {
        let aggregate_type = event.event.aggregate_type().unwrap_or_default().to_string();
        tracing::error!(
            projection,
            position = %event.position,
            aggregate_type,
            aggregate_id = event.aggregate_id,
            error,
            "event parked: the read model goes on without it (see `omi-server parked list`)"
        );
        let key = (
            projection.to_string(),
            aggregate_type.clone(),
            event.aggregate_id.clone(),
        );
        let first = self.held.entry(key).or_insert(event.position);
        *first = (*first).min(event.position);
        self.recorded
            .insert((projection.to_string(), event.position.global));
        self.new.push(ParkedEvent {
            projection: projection.to_string(),
            position: event.position,
            aggregate_type,
            aggregate_id: event.aggregate_id.clone(),
            sequence: event.sequence,
            error,
            parked_at: crate::time::format(&chrono::Utc::now()),
            status: ParkedStatus::Parked,
            decision: None,
            decided_at: None,
        });
    }

    /// The events of `events` that the read model `projection` (reading `types`) may apply; the others are
    /// parked (or were already, or are no concern of it).
    pub(crate) fn sort_out<'a>(
        &mut self,
        projection: &str,
        types: &[&str],
        events: &'a [RecordedEvent],
    ) -> Cow<'a, [RecordedEvent]> {
        let undecodable = |e: &RecordedEvent| matches!(e.event, StoredEvent::Undecodable { .. });
        if self.is_clear() && !events.iter().any(undecodable) {
            return Cow::Borrowed(events);
        }
        let mut kept = Vec::with_capacity(events.len());
        for event in events {
            match self.refusal(projection, types, event) {
                None => kept.push(event.clone()),
                Some(Refusal::Recorded) => {}
                Some(Refusal::Park(error)) => self.park(projection, event, error),
            }
        }
        Cow::Owned(kept)
    }
}

enum Refusal {
    /// Parked or skipped before, or undecodable but of a type the read model does not read: left out.
    Recorded,
    /// To be parked now, for this reason.
    Park(String),
}

/// Whether `error` lies with the events applied (retrying the same batch fails the same way: park), rather than
/// with the store's state at the moment (a lost connection, a lock or serialization conflict, a full disk:
/// retry).
pub(crate) fn lies_with_the_events(error: &ProjectionError) -> bool {
    match error {
        ProjectionError::Document(_) => true,
        ProjectionError::Sql(SqlError::Database(db)) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLite's (extended) result codes: busy, locked, no memory, I/O, full, cannot open.
                let primary = code.parse::<u32>().unwrap_or_default() & 0xff;
                !matches!(primary, 5 | 6 | 7 | 10 | 13 | 14)
            } else {
                // PostgreSQL's SQLSTATE classes: connection, transaction rollback (serialization, deadlock),
                // resources, object not in prerequisite state (lock not available), operator intervention,
                // system and internal errors.
                !matches!(
                    code.get(..2).unwrap_or_default(),
                    "08" | "40" | "53" | "55" | "57" | "58" | "XX"
                )
            }
        }
        _ => false,
    }
}

/// Applies `events` to `projection` one at a time, each behind a savepoint: an event that fails for a reason of
/// its own is parked (and its stream's later events behind it); any other failure fails the whole batch.
pub(crate) async fn apply_carefully(
    conn: &mut AnyConnection,
    projection: &dyn Projection,
    events: &[RecordedEvent],
    parking: &mut Parking,
) -> Result<(), ProjectionError> {
    for event in events {
        if let Some(refusal) =
            parking.refusal(projection.name(), projection.aggregate_types(), event)
        {
            if let Refusal::Park(error) = refusal {
                parking.park(projection.name(), event, error);
            }
            continue;
        }
        sqlx::query("SAVEPOINT omi_event")
            .execute(&mut *conn)
            .await?;
        match projection.apply(conn, std::slice::from_ref(event)).await {
            Ok(()) => {
                sqlx::query("RELEASE SAVEPOINT omi_event")
                    .execute(&mut *conn)
                    .await?;
            }
            Err(error) if lies_with_the_events(&error) => {
                sqlx::query("ROLLBACK TO SAVEPOINT omi_event")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("RELEASE SAVEPOINT omi_event")
                    .execute(&mut *conn)
                    .await?;
                parking.park(projection.name(), event, error.to_string());
            }
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Applies `events` to `projection` in one go when they all may be applied, and one by one otherwise.
pub(crate) async fn apply_sorted(
    conn: &mut AnyConnection,
    projection: &dyn Projection,
    events: &[RecordedEvent],
    parking: &mut Parking,
    careful: bool,
) -> Result<(), ProjectionError> {
    if careful {
        return apply_carefully(conn, projection, events, parking).await;
    }
    let events = parking.sort_out(projection.name(), projection.aggregate_types(), events);
    if events.is_empty() {
        return Ok(());
    }
    projection.apply(conn, &events).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use omi_store::{LogPosition, StoredForm};

    fn event(global: i64, id: &str, undecodable: bool) -> RecordedEvent {
        RecordedEvent {
            position: LogPosition {
                transaction: 0,
                global,
            },
            aggregate_id: id.to_string(),
            sequence: global,
            recorded_at: chrono::DateTime::UNIX_EPOCH,
            metadata: Default::default(),
            event: if undecodable {
                StoredEvent::Undecodable {
                    aggregate_type: "Memory".into(),
                    error: "bad".into(),
                }
            } else {
                StoredEvent::decode_or_mark(StoredForm {
                    aggregate_type: "Memory",
                    event_type: "MemoryDeleted",
                    event_version: "1.0",
                    payload: r#"{"MemoryDeleted":{"deleted_at":"2026-11-01T10:00:00Z"}}"#,
                })
            },
        }
    }

    #[test]
    fn an_undecodable_event_is_parked_and_its_stream_held_behind_it_while_others_go_on() {
        let events = vec![
            event(1, "a", false),
            event(2, "a", true),
            event(3, "b", false),
            event(4, "a", false),
        ];
        let mut parking = Parking::default();
        let kept = parking.sort_out("memories", &["Memory"], &events);
        let kept: Vec<i64> = kept.iter().map(|e| e.position.global).collect();
        assert_eq!(kept, vec![1, 3]);
        let parked: Vec<i64> = parking.new.iter().map(|p| p.position.global).collect();
        assert_eq!(parked, vec![2, 4]);
        assert!(parking.new[1].error.contains("held behind"));
        // Another read model holds nothing of it until it parks something itself.
        assert_eq!(
            parking
                .sort_out("action_items", &["ActionItem"], &events[2..])
                .len(),
            2,
            "the stream is held for the read model that parked, not for the others"
        );
    }

    #[test]
    fn recorded_events_are_left_out_and_earlier_events_of_a_held_stream_are_applied() {
        let marks = vec![
            ParkedMark {
                projection: "memories".into(),
                position: LogPosition {
                    transaction: 0,
                    global: 2,
                },
                aggregate_type: "Memory".into(),
                aggregate_id: "a".into(),
                parked: true,
            },
            ParkedMark {
                projection: "memories".into(),
                position: LogPosition {
                    transaction: 0,
                    global: 3,
                },
                aggregate_type: "Memory".into(),
                aggregate_id: "b".into(),
                parked: false,
            },
        ];
        let mut parking = Parking::new(&marks);
        let events = vec![
            event(1, "a", false),
            event(2, "a", false),
            event(3, "b", false),
            event(5, "b", false),
            event(6, "a", false),
        ];
        let kept: Vec<i64> = parking
            .sort_out("memories", &["Memory"], &events)
            .iter()
            .map(|e| e.position.global)
            .collect();
        assert_eq!(kept, vec![1, 5], "a skipped event does not hold its stream");
        let parked: Vec<i64> = parking.new.iter().map(|p| p.position.global).collect();
        assert_eq!(parked, vec![6]);
    }
}
