-- The event log: the only source of truth. The first seven columns are those of postgres-es.
CREATE TABLE events (
    aggregate_type  TEXT    NOT NULL,
    aggregate_id    TEXT    NOT NULL,
    sequence        BIGINT  NOT NULL CHECK (sequence >= 0),
    event_type      TEXT    NOT NULL,
    event_version   TEXT    NOT NULL,
    payload         JSON    NOT NULL,
    metadata        JSON    NOT NULL,
    global_position BIGINT  GENERATED ALWAYS AS IDENTITY,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    -- Positions are handed out at insert and become visible at commit; readers order by the writing
    -- transaction first and never read past the oldest transaction still running.
    transaction_id  XID8    NOT NULL DEFAULT pg_current_xact_id(),
    uid             TEXT    GENERATED ALWAYS AS (metadata ->> 'uid') STORED,
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

CREATE UNIQUE INDEX events_commit_order ON events (transaction_id, global_position);
CREATE INDEX events_by_user ON events (uid, global_position);

-- Readers in other processes wake on this; the notification is delivered when the append commits.
CREATE FUNCTION omi_announce_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('omi_events', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER events_announce_append AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION omi_announce_append();

-- Unused in plain event-store mode; present so that postgres-es finds the table it knows.
CREATE TABLE snapshots (
    aggregate_type   TEXT   NOT NULL,
    aggregate_id     TEXT   NOT NULL,
    last_sequence    BIGINT NOT NULL CHECK (last_sequence >= 0),
    current_snapshot BIGINT NOT NULL CHECK (current_snapshot >= 0),
    payload          JSON   NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id)
);
