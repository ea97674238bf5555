//! The change feed: a user's own events in commit order, for jobs outside the server, shaped once here for every
//! door that shows them (`GET /v1/changes` and its event stream, the developer API's, `omi-server events`).
//!
//! Pages are read from the log itself ([`omi_store::read_user_log`]), never past an event that may still be
//! preceded by a later commit, so paging from the cursor of the previous page, through any server process and
//! across restarts, shows every event once. The stream ([`live`]) reads the same way and wakes on appends.

mod cursor;
pub mod live;

use chrono::{DateTime, Utc};
use omi_store::{read_user_log, LogPosition, LoggedEvent};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::value::RawValue;

use super::PageRule;
use crate::error::{ApiError, ApiResult};

pub use cursor::{decode as decode_cursor, encode as encode_cursor};
pub use live::{ChangeHub, Follow, Followed};

/// `limit`: 100 by default, at most 1000.
pub const PAGE: PageRule = PageRule::new(100, 1000);

/// One event of the log as the feed shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Change {
    /// `<aggregate_type>:<aggregate_id>:<sequence>`, unique in the log. An event a reaction caused names its
    /// cause as `<aggregate_id>#<sequence>` in `causation_id`.
    pub id: String,
    /// The cursor just after this event: `?after=` (or `Last-Event-ID`) with it continues after this event.
    pub position: String,
    /// The event's stable stored name (`MemoryCreated`).
    pub event: String,
    /// The version of its stored form (`1.0`).
    pub version: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    /// The event's number in its aggregate's stream, from 1.
    pub sequence: i64,
    #[serde(with = "omi_projections::time::iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub recorded_at: DateTime<Utc>,
    /// Who acted: `user`, `developer_key:<id>`, `mcp_key:<id>`, `app:<id>` or `system`.
    pub actor: String,
    /// The request (or the run of work) that recorded it, shared by everything it caused.
    pub correlation_id: String,
    /// The event that caused it, for events recorded by reactions.
    pub causation_id: Option<String>,
    /// The payload exactly as stored: `{"<stored name>": {fields}}`.
    #[schemars(with = "serde_json::Value")]
    pub payload: Box<RawValue>,
    /// The user whose event it is; shown by `omi-server events` only (the feed shows the caller's own events).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(skip)]
    pub uid: Option<String>,
}

impl Change {
    /// The feed's form of a logged event; with the owner's uid when `with_uid`.
    pub fn of(event: &LoggedEvent, with_uid: bool) -> Change {
        Change::from_logged(event.clone(), with_uid)
    }

    /// [`Change::of`], taking the event's text instead of copying it.
    pub fn from_logged(event: LoggedEvent, with_uid: bool) -> Change {
        let LoggedEvent {
            position,
            aggregate_type,
            aggregate_id,
            sequence,
            event_type,
            event_version,
            payload,
            metadata,
            recorded_at,
        } = event;
        let payload = serde_json::from_str::<Box<RawValue>>(&payload)
            // Only a writer outside the server can store a payload that is not JSON: shown as the text it is.
            .or_else(|_| serde_json::value::to_raw_value(&payload))
            .unwrap_or_else(|_| RawValue::NULL.to_owned());
        Change {
            id: format!("{aggregate_type}:{aggregate_id}:{sequence}"),
            position: encode_cursor(position),
            event: event_type,
            version: event_version,
            aggregate_type,
            aggregate_id,
            sequence,
            recorded_at,
            actor: metadata.actor,
            correlation_id: metadata.correlation_id,
            causation_id: metadata.causation_id,
            payload,
            uid: with_uid.then_some(metadata.uid),
        }
    }
}

/// Writes `event` as one NDJSON line in the form `omi-server events` prints and the event export streams (the
/// feed's fields plus `uid`), which `omi-server import` reads back.
pub fn write_line(out: &mut impl std::io::Write, event: &LoggedEvent) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, &Change::of(event, true))?;
    out.write_all(b"\n").map_err(serde_json::Error::io)
}

/// A page of the feed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChangesPage {
    /// The caller's events after the cursor asked for, in commit order.
    pub events: Vec<Change>,
    /// Where the next page starts: the last event's position, or the cursor asked for when there was none.
    pub cursor: String,
}

/// Up to `limit` (checked by [`PAGE`]) of `uid`'s events after `after` (a cursor; absent is the start).
pub async fn page(
    database: &omi_store::Database,
    uid: &str,
    after: Option<&str>,
    limit: Option<i64>,
) -> ApiResult<ChangesPage> {
    let page = PAGE.page(limit, None)?;
    let after = decode_cursor(after)?;
    let events = read_user_log(database, uid, after, page.limit)
        .await
        .map_err(|error| ApiError::Internal(error.to_string()))?;
    let last = events.last().map_or(after, |event| event.position);
    Ok(ChangesPage {
        events: events
            .iter()
            .map(|event| Change::of(event, false))
            .collect(),
        cursor: encode_cursor(last),
    })
}

/// The position just after the events a client has seen: the `Last-Event-ID` it reconnects with, else
/// `?after=`, else the start.
pub fn resume_from(last_event_id: Option<&str>, after: Option<&str>) -> ApiResult<LogPosition> {
    match last_event_id.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => decode_cursor(Some(id)),
        None => decode_cursor(after),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omi_store::EventMetadata;

    fn logged(payload: &str) -> LoggedEvent {
        LoggedEvent {
            position: LogPosition {
                transaction: 0,
                global: 5,
            },
            aggregate_type: "Memory".into(),
            aggregate_id: "m1".into(),
            sequence: 3,
            event_type: "MemoryEdited".into(),
            event_version: "1.0".into(),
            payload: payload.into(),
            metadata: EventMetadata {
                uid: "ann".into(),
                actor: "developer_key:k1".into(),
                correlation_id: "r1".into(),
                causation_id: Some("c#1".into()),
            },
            recorded_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_payload_is_shown_as_stored_and_the_metadata_beside_it() {
        let stored = r#"{"MemoryEdited":{"z":1,"a":[true, null]}}"#;
        let shown = serde_json::to_value(Change::of(&logged(stored), false)).unwrap();
        let text = serde_json::to_string(&Change::of(&logged(stored), false)).unwrap();
        assert!(
            text.contains(stored),
            "the stored text, key order and spaces kept: {text}"
        );
        assert_eq!(shown["id"], "Memory:m1:3");
        assert_eq!(shown["event"], "MemoryEdited");
        assert_eq!(shown["actor"], "developer_key:k1");
        assert_eq!(shown["causation_id"], "c#1");
        assert_eq!(shown["recorded_at"], "1970-01-01T00:00:00+00:00");
        assert_eq!(decode_cursor(shown["position"].as_str()).unwrap().global, 5);
        assert!(shown.get("uid").is_none());
        let with_uid = serde_json::to_value(Change::of(&logged(stored), true)).unwrap();
        assert_eq!(with_uid["uid"], "ann");
    }

    #[test]
    fn a_payload_that_is_not_json_is_shown_as_its_text() {
        let shown = serde_json::to_value(Change::of(&logged("not {json"), false)).unwrap();
        assert_eq!(shown["payload"], "not {json");
    }
}
