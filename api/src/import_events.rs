//! `omi-server import FILE`: loads an event export (`GET /v1/users/export?format=events`, or the output of
//! `omi-server events`) into the configured store, whichever kind it is and whichever kind the events came from.
//!
//! Each line is one event in the change feed's form plus `uid`; the events keep their aggregate ids, sequences,
//! stored names and versions, payloads, metadata and recording times, and take new positions here in the order
//! of the file. The whole file is one transaction: an event the log already holds with the same content is
//! passed over (importing a file twice changes nothing), and a line that does not parse, an event that differs
//! from the one stored under its id, or an event of an account erased here stops the import with nothing of it
//! written. The read models catch up through the projector as with any append (on SQLite, when the server
//! starts; on PostgreSQL, running servers at once).

use std::io::BufRead;
use std::path::Path;

use chrono::{DateTime, Utc};
use omi_store::import::{Import, Imported, ImportedEvent};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::config::Config;

/// One line of an export: the change feed's fields and the owner.
#[derive(Deserialize)]
struct Line {
    event: String,
    version: String,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    #[serde(deserialize_with = "omi_projections::time::iso::deserialize")]
    recorded_at: DateTime<Utc>,
    actor: String,
    correlation_id: String,
    #[serde(default)]
    causation_id: Option<String>,
    payload: Box<RawValue>,
    uid: String,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub appended: u64,
    pub already_present: u64,
}

/// Imports `file` into the configured store (the caller holds the data directory on SQLite).
pub async fn run(config: &Config, file: &Path) -> anyhow::Result<Summary> {
    let opened = std::fs::File::open(file)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
    let database = crate::server::open_database(config).await?;
    let imported = import(&database, std::io::BufReader::new(opened)).await;
    database.close().await;
    imported
}

/// Imports the NDJSON lines of `reader` in one transaction.
pub async fn import(
    database: &omi_store::Database,
    reader: impl BufRead,
) -> anyhow::Result<Summary> {
    let mut import = Import::begin(database).await?;
    let mut summary = Summary::default();
    for (index, line) in reader.lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| anyhow::anyhow!("line {number}: cannot be read: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let event = parse(&line).map_err(|e| anyhow::anyhow!("line {number}: {e}"))?;
        match import
            .add(&event)
            .await
            .map_err(|e| anyhow::anyhow!("line {number}: {e}"))?
        {
            Imported::Appended => summary.appended += 1,
            Imported::AlreadyPresent => summary.already_present += 1,
        }
    }
    import.commit().await?;
    Ok(summary)
}

/// One line as the event it carries; refuses what the log cannot hold.
fn parse(line: &str) -> anyhow::Result<ImportedEvent> {
    let line: Line = serde_json::from_str(line)
        .map_err(|e| anyhow::anyhow!("not an event of an export: {e}"))?;
    let texts = [
        ("uid", &line.uid),
        ("event", &line.event),
        ("version", &line.version),
        ("aggregate_type", &line.aggregate_type),
        ("aggregate_id", &line.aggregate_id),
        ("actor", &line.actor),
    ];
    for (field, text) in texts {
        anyhow::ensure!(!text.trim().is_empty(), "{field} must not be empty");
    }
    anyhow::ensure!(line.sequence >= 1, "sequence must be 1 or more");
    let mut metadata = serde_json::Map::new();
    metadata.insert("uid".into(), line.uid.into());
    metadata.insert("actor".into(), line.actor.into());
    metadata.insert("correlation_id".into(), line.correlation_id.into());
    if let Some(causation_id) = line.causation_id {
        metadata.insert("causation_id".into(), causation_id.into());
    }
    let event = ImportedEvent {
        aggregate_type: line.aggregate_type,
        aggregate_id: line.aggregate_id,
        sequence: line.sequence,
        event_type: line.event,
        event_version: line.version,
        payload: line.payload.get().to_string(),
        metadata: serde_json::Value::Object(metadata).to_string(),
        recorded_at: line.recorded_at.timestamp_micros(),
    };
    // PostgreSQL cannot store a NUL character in text or JSON; neither store gets one.
    let holds_nul = |text: &str| text.contains('\0') || text.contains("\\u0000");
    anyhow::ensure!(
        ![
            &event.aggregate_type,
            &event.aggregate_id,
            &event.event_type,
            &event.event_version,
            &event.payload,
            &event.metadata,
        ]
        .into_iter()
        .any(|text| holds_nul(text)),
        "holds a NUL character, which the log cannot store"
    );
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"id":"Memory:m1:1","position":"x","event":"MemoryCreated","version":"1.0","aggregate_type":"Memory","aggregate_id":"m1","sequence":1,"recorded_at":"2026-03-01T10:00:00.123456+00:00","actor":"user","correlation_id":"r1","causation_id":null,"payload":{"MemoryCreated":{"a":1}},"uid":"ann"}"#;

    #[test]
    fn a_line_keeps_its_stream_place_time_metadata_and_payload() {
        let event = parse(LINE).unwrap();
        assert_eq!(event.id(), "Memory:m1:1");
        assert_eq!(event.event_type, "MemoryCreated");
        assert_eq!(event.payload, r#"{"MemoryCreated":{"a":1}}"#);
        assert_eq!(event.recorded_at, 1_772_359_200_123_456);
        let metadata: serde_json::Value = serde_json::from_str(&event.metadata).unwrap();
        assert_eq!(
            metadata,
            serde_json::json!({"uid": "ann", "actor": "user", "correlation_id": "r1"})
        );
    }

    #[test]
    fn lines_the_log_cannot_hold_are_refused() {
        assert!(parse("{}").is_err());
        assert!(parse(&LINE.replace(r#""uid":"ann""#, r#""uid":" ""#)).is_err());
        assert!(parse(&LINE.replace(r#""sequence":1"#, r#""sequence":0"#)).is_err());
        assert!(parse(&LINE.replace(r#"{"a":1}"#, r#"{"a":"\u0000"}"#)).is_err());
        assert!(parse(&LINE.replace("2026-03-01", "yesterday")).is_err());
    }
}
