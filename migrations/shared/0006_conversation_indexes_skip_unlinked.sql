-- Memories and action items are looked up by conversation only with `conversation_id = …`, which never matches a
-- row without one: the indexes leave those rows out (a third of memories and half of action items in a typical
-- log; every memory typed by hand). Smaller indexes, no index entry to write for such a row.
DROP INDEX memories_by_conversation;
CREATE INDEX memories_by_conversation ON memories (uid, conversation_id) WHERE conversation_id IS NOT NULL;
DROP INDEX action_items_by_conversation;
CREATE INDEX action_items_by_conversation ON action_items (uid, conversation_id) WHERE conversation_id IS NOT NULL;
