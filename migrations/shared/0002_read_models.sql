-- Read models. Each is owned by one projection, rebuilt from the log by replay, and keeps its indexed columns
-- beside `doc`, the JSON document the API returns. Times are microseconds since the Unix epoch.

CREATE TABLE projection_checkpoints (
    name            TEXT   PRIMARY KEY,
    transaction_id  BIGINT NOT NULL,
    global_position BIGINT NOT NULL
);

CREATE TABLE memories (
    id              TEXT   PRIMARY KEY,
    uid             TEXT   NOT NULL,
    category        TEXT   NOT NULL,
    scoring         TEXT   NOT NULL,
    conversation_id TEXT,
    created_at      BIGINT NOT NULL,
    doc             TEXT   NOT NULL
);
CREATE INDEX memories_by_user ON memories (uid, scoring DESC, id);
CREATE INDEX memories_by_conversation ON memories (uid, conversation_id);

CREATE TABLE memory_versions (
    memory_id TEXT   NOT NULL,
    version   BIGINT NOT NULL,
    uid       TEXT   NOT NULL,
    doc       TEXT   NOT NULL,
    PRIMARY KEY (memory_id, version)
);

CREATE TABLE action_items (
    id              TEXT    PRIMARY KEY,
    uid             TEXT    NOT NULL,
    completed       BOOLEAN NOT NULL,
    conversation_id TEXT,
    created_at      BIGINT  NOT NULL,
    due_at          BIGINT,
    doc             TEXT    NOT NULL
);
CREATE INDEX action_items_by_user ON action_items (uid, created_at DESC, id);
CREATE INDEX action_items_by_conversation ON action_items (uid, conversation_id);
