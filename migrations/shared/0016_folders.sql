-- Folders (projection `folders`): one row per user who has folders; the row id is the folders stream id,
-- which is the user id. `doc` holds every folder of the user as the folders aggregate folds them. A folder's
-- `conversation_count` is not stored here: it is counted from the conversations read model
-- (`conversations_by_folder`), which follows moves, discards, deletions and merges.
CREATE TABLE folders (
    id           TEXT   PRIMARY KEY,
    uid          TEXT   NOT NULL,
    folder_count BIGINT NOT NULL,
    doc          TEXT   NOT NULL
);
CREATE INDEX folders_by_user ON folders (uid);
