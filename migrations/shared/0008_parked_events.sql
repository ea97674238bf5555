-- Events a read model could not apply (a bug, or data written by another version), parked with the reason so
-- that the read model, every other read model and every other user go on. Once an event of a stream is parked,
-- that read model parks the stream's later events behind it too, so a retry applies them in order. Operational
-- state, not a read model: a rebuild leaves out what is parked here, as the live projector did.
CREATE TABLE parked_events (
    projection      TEXT   NOT NULL,
    transaction_id  BIGINT NOT NULL,
    global_position BIGINT NOT NULL,
    aggregate_type  TEXT   NOT NULL,
    aggregate_id    TEXT   NOT NULL,
    sequence        BIGINT NOT NULL,
    error           TEXT   NOT NULL,
    parked_at       TEXT   NOT NULL,
    -- 'parked' until retried successfully (the row goes) or skipped ('skipped', with the decision below).
    status          TEXT   NOT NULL,
    decision        TEXT,
    decided_at      TEXT,
    PRIMARY KEY (projection, global_position)
);
CREATE INDEX parked_events_by_status ON parked_events (status, projection, aggregate_type, aggregate_id);
