-- Trends (projection `trends`): one row per conversation whose latest processing run recorded trend mentions,
-- with the mentions in `doc`; `GET /v1/trends` counts them per category, type and topic.
CREATE TABLE trend_mentions (
    id           TEXT   PRIMARY KEY,
    uid          TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    doc          TEXT   NOT NULL
);
CREATE INDEX trend_mentions_by_user ON trend_mentions (uid);
