-- The conversations read model (projection `conversations`). One row per live conversation; deleted and merged
-- conversations are removed. `doc` is the full Conversation as the API returns it (with transcript segments),
-- plus the processing bookkeeping under `_runs`; `list_doc` is the same without transcript segments, for lists.
-- Times are microseconds since the Unix epoch.

CREATE TABLE conversations (
    id            TEXT    PRIMARY KEY,
    uid           TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    discarded     BOOLEAN NOT NULL,
    created_at    BIGINT  NOT NULL,
    started_at    BIGINT,
    finished_at   BIGINT,
    folder_id     TEXT,
    starred       BOOLEAN NOT NULL,
    visibility    TEXT    NOT NULL,
    requested_run BIGINT  NOT NULL,
    finished_run  BIGINT  NOT NULL,
    list_doc      TEXT    NOT NULL,
    doc           TEXT    NOT NULL
);
-- Lists: newest first per user; the other filters are extra predicates on this walk.
CREATE INDEX conversations_by_user ON conversations (uid, created_at DESC, id);
-- The in-progress conversation, the last completed one.
CREATE INDEX conversations_by_status ON conversations (uid, status, created_at DESC, id);
-- Folder and starred lists.
CREATE INDEX conversations_by_folder ON conversations (uid, folder_id, created_at DESC, id);
CREATE INDEX conversations_by_starred ON conversations (uid, starred, created_at DESC, id);
-- Shared and public conversations of all users.
CREATE INDEX conversations_public ON conversations (created_at DESC, id) WHERE visibility <> 'private';
