-- Accounts whose erasure was asked for: every door refuses them from the moment of the row on (a lookup by
-- primary key per request), and the erasure job removes their data until `finished_at` is set. The row is all
-- that stays of the user: the uid and two times, nothing the user wrote.
CREATE TABLE erasures (
    uid          TEXT   PRIMARY KEY,
    -- Microseconds since the Unix epoch.
    requested_at BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX erasures_pending ON erasures (requested_at) WHERE finished_at IS NULL;
