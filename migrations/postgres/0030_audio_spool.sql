-- The audio spool: chunks of live-capture audio (16-bit little-endian mono PCM) kept for the `audio_bytes` webhooks
-- of apps and developers (spec §5.4), one row per `AudioChunkRecorded` event. The log names a chunk, never holds its
-- audio. Not a read model: nothing rebuilds it. Rows leave with their user's erasure or when no delivery can need
-- them any more (older than the deliveries' give-up time).
CREATE TABLE audio_spool (
    id          TEXT   PRIMARY KEY,
    uid         TEXT   NOT NULL,
    sample_rate BIGINT NOT NULL,
    audio       BYTEA  NOT NULL,
    recorded_at BIGINT NOT NULL
);
CREATE INDEX audio_spool_by_user ON audio_spool (uid);
CREATE INDEX audio_spool_by_age ON audio_spool (recorded_at);
