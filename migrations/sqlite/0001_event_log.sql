-- The event log: the only source of truth. Writes are serialized, so rowid order is commit order.
CREATE TABLE events (
    global_position INTEGER PRIMARY KEY AUTOINCREMENT,
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    sequence        INTEGER NOT NULL CHECK (sequence >= 0),
    event_type      TEXT    NOT NULL,
    event_version   TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    metadata        TEXT    NOT NULL,
    -- Microseconds since the Unix epoch.
    recorded_at     INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    uid             TEXT    GENERATED ALWAYS AS (json_extract(metadata, '$.uid')) STORED,
    UNIQUE (aggregate_type, aggregate_id, sequence)
);

CREATE INDEX events_by_user ON events (uid, global_position);
