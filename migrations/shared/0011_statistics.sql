-- The statistics read models (projections `statistics_conversations`, `statistics_action_items`,
-- `statistics_memories`): one contribution row per entity, counted into days when read (see
-- projections/src/statistics/mod.rs). Days are whole days since 1970-01-01 (UTC).
CREATE TABLE statistics_conversations (
    id           TEXT    PRIMARY KEY,
    uid          TEXT    NOT NULL,
    day          BIGINT  NOT NULL,
    -- Completed, not discarded (deleted and merged conversations have no row).
    counted      BOOLEAN NOT NULL,
    milliseconds BIGINT  NOT NULL,
    words        BIGINT  NOT NULL,
    category     TEXT    NOT NULL,
    -- The person ids of the other speakers, one a line, sorted.
    people       TEXT    NOT NULL,
    speakers     BIGINT  NOT NULL,
    -- The tally the counts are derived from (status, category, one entry per transcript segment).
    doc          TEXT    NOT NULL
);
CREATE INDEX statistics_conversations_by_day ON statistics_conversations (uid, day);

CREATE TABLE statistics_action_items (
    id            TEXT   PRIMARY KEY,
    uid           TEXT   NOT NULL,
    created_day   BIGINT NOT NULL,
    completed_day BIGINT,
    doc           TEXT   NOT NULL
);
CREATE INDEX statistics_action_items_by_day ON statistics_action_items (uid, created_day);

CREATE TABLE statistics_memories (
    id  TEXT   PRIMARY KEY,
    uid TEXT   NOT NULL,
    day BIGINT NOT NULL,
    doc TEXT   NOT NULL
);
CREATE INDEX statistics_memories_by_day ON statistics_memories (uid, day);
