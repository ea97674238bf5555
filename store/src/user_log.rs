//! One user's events as the log held them at an instant, for reads that fold a user's history as of a time
//! (wrapped `?as_of=`, a recap generated from the log as it stood when it was asked for). Read through the
//! `events_by_user (uid, global_position)` index.

use chrono::{DateTime, Utc};

use crate::reader::{decode, ReadError};
use crate::{Backend, Database, RecordedEvent};

/// Every event of `uid` recorded at or before `until`, in log order (each stream's events in their order).
pub async fn read_user_until(
    database: &Database,
    uid: &str,
    until: DateTime<Utc>,
) -> Result<Vec<RecordedEvent>, ReadError> {
    let sql = match database.backend() {
        Backend::Postgres => {
            "SELECT CAST(CAST(transaction_id AS TEXT) AS BIGINT) AS tx, global_position, aggregate_type,
                    aggregate_id, sequence, CAST(payload AS TEXT) AS payload, CAST(metadata AS TEXT) AS metadata,
                    CAST(EXTRACT(EPOCH FROM recorded_at) * 1000000 AS BIGINT) AS recorded_at, event_type,
                    event_version
             FROM events
             WHERE uid = $1 AND recorded_at <= TIMESTAMPTZ 'epoch' + CAST($2 AS BIGINT) * INTERVAL '1 microsecond'
             ORDER BY global_position"
        }
        Backend::Sqlite => {
            "SELECT CAST(0 AS BIGINT) AS tx, global_position, aggregate_type, aggregate_id, sequence, payload,
                    metadata, recorded_at, event_type, event_version
             FROM events WHERE uid = $1 AND recorded_at <= $2 ORDER BY global_position"
        }
    };
    let rows = sqlx::query(sql)
        .bind(uid)
        .bind(until.timestamp_micros())
        .fetch_all(database.pool())
        .await?;
    rows.iter().map(decode).collect()
}
