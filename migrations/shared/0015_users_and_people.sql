-- Users (projection `users`): one row per user who changed any setting; the row id is the user's stream id,
-- `doc` the user aggregate's state, `time_zone` the profile's IANA time zone (the daily-summary schedule's
-- question: who lives in which zone).
CREATE TABLE users (
    id        TEXT PRIMARY KEY,
    uid       TEXT NOT NULL,
    time_zone TEXT,
    doc       TEXT NOT NULL
);
CREATE INDEX users_by_user ON users (uid);

-- People (projection `people`): one row per live person; `normalized_name` is the name as creation by name
-- compares it, `created_at` microseconds since the epoch (the list's order).
CREATE TABLE people (
    id              TEXT   PRIMARY KEY,
    uid             TEXT   NOT NULL,
    normalized_name TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    doc             TEXT   NOT NULL
);
CREATE INDEX people_by_user ON people (uid, created_at, id);
CREATE INDEX people_by_name ON people (uid, normalized_name);
