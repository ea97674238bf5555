-- Goals (projection `goals`): one row per goal, active or not; a deleted goal has no row. The row id is the goal
-- id (`goal_` + 12 hex), not the stream id: every goal of a user lives on the user's goals stream. `doc` is the
-- goal as the API returns it.
CREATE TABLE goals (
    id         TEXT    PRIMARY KEY,
    uid        TEXT    NOT NULL,
    is_active  BOOLEAN NOT NULL,
    created_at BIGINT  NOT NULL,
    doc        TEXT    NOT NULL
);
-- A user's goals (or active goals), newest first.
CREATE INDEX goals_by_user ON goals (uid, is_active, created_at DESC, id);

-- Goal progress (projection `goal_progress`): one row per goal with every progress value recorded, oldest
-- first, in `doc`; removed with the goal.
CREATE TABLE goal_progress (
    id  TEXT PRIMARY KEY,
    uid TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX goal_progress_by_user ON goal_progress (uid);
