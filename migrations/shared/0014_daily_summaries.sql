-- Daily summaries (projection `daily_summaries`): one row per user and day; a deleted summary stays as a row
-- with `deleted` set, so that the daily schedule sees the day as written. `doc` is the summary as the API
-- returns it plus the deletion flag.
CREATE TABLE daily_summaries (
    id         TEXT    PRIMARY KEY,
    uid        TEXT    NOT NULL,
    date       TEXT    NOT NULL,
    deleted    BOOLEAN NOT NULL,
    visibility TEXT    NOT NULL,
    doc        TEXT    NOT NULL
);
-- A user's list, newest day first.
CREATE INDEX daily_summaries_by_user ON daily_summaries (uid, date DESC, id);
-- The schedule's question: whose summary of a day is written.
CREATE INDEX daily_summaries_by_date ON daily_summaries (date);

-- Daily summary settings (projection `daily_summary_settings`): one row per user who changed the defaults
-- (enabled, 22 h); the row id is the settings stream id, which is the user id.
CREATE TABLE daily_summary_settings (
    id      TEXT    PRIMARY KEY,
    uid     TEXT    NOT NULL,
    enabled BOOLEAN NOT NULL,
    hour    BIGINT  NOT NULL,
    doc     TEXT    NOT NULL
);
CREATE INDEX daily_summary_settings_by_user ON daily_summary_settings (uid);
