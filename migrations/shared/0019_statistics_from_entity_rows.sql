-- Action items and memories contribute to the statistics through their own read models' rows instead of a
-- contribution row each in a table of its own (see projections/src/statistics/mod.rs): the action item's row
-- gains the instant its completion counts on, both gain an index by user and time, and the two statistics
-- tables go. The action items' rows are filled again by the projector from the start of the log, which writes the
-- new column (read models catch up before the server serves).
DROP TABLE IF EXISTS statistics_action_items;
DROP TABLE IF EXISTS statistics_action_items_rebuild;
DROP TABLE IF EXISTS statistics_memories;
DROP TABLE IF EXISTS statistics_memories_rebuild;
DELETE FROM projection_checkpoints WHERE name IN ('statistics_action_items', 'statistics_memories', 'action_items');
DELETE FROM parked_events WHERE projection IN ('statistics_action_items', 'statistics_memories');
DELETE FROM action_items;
-- When the item counts as completed (microseconds): its completion time, or its creation time for an item
-- created completed without one; NULL while open.
ALTER TABLE action_items ADD COLUMN completed_at BIGINT;
CREATE INDEX action_items_by_completion ON action_items (uid, completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX memories_by_creation ON memories (uid, created_at);
