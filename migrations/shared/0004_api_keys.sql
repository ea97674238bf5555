-- API keys (projection `api_keys`): one row per live key, looked up by the SHA-256 of its secret on every
-- request; a revoked key's row is removed, so it is refused on its very next request in every process.
CREATE TABLE api_keys (
    id           TEXT   PRIMARY KEY,
    uid          TEXT   NOT NULL,
    family       TEXT   NOT NULL,
    hashed_key   TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    doc          TEXT   NOT NULL
);
CREATE UNIQUE INDEX api_keys_by_hash ON api_keys (hashed_key);
CREATE INDEX api_keys_by_user ON api_keys (uid, family, created_at DESC);

-- Rate-limit counters: fixed windows shared by every server process. Not a read model (nothing to replay):
-- operational state, pruned as windows expire.
CREATE TABLE rate_limit_windows (
    bucket       TEXT   NOT NULL,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
