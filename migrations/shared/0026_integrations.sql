-- Integrations (projection `integrations`): one row per user and integration key that was ever connected; the
-- row id is the integration's stream id. Tokens are not kept here.
CREATE TABLE integrations (
    id        TEXT PRIMARY KEY,
    uid       TEXT NOT NULL,
    app_key   TEXT NOT NULL,
    doc       TEXT NOT NULL
);
CREATE INDEX integrations_by_user ON integrations (uid, app_key);
