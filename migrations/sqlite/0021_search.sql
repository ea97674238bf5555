-- The search index (read model `search`): the searchable text of each user's completed conversations and of
-- their memories, with the columns search filters on. Each table has an external-content FTS5 index over its
-- text columns, kept by the triggers below (so the projector, a replay and an erasure, which all write the
-- table, keep the index exact), ranked with bm25(). `secure-delete` makes a deleted row's words leave the
-- index's pages (SQLite's own `secure_delete` then zeroes the freed bytes), so an erasure leaves none behind.
CREATE TABLE search_conversations (
    id         TEXT    PRIMARY KEY,
    uid        TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    discarded  BOOLEAN NOT NULL,
    category   TEXT    NOT NULL,
    -- ' user <person id> … ': who speaks in the transcript, space-delimited for `speaker_id` filtering.
    speakers   TEXT    NOT NULL,
    title      TEXT    NOT NULL,
    overview   TEXT    NOT NULL,
    transcript TEXT    NOT NULL
);
CREATE INDEX search_conversations_by_user ON search_conversations (uid, created_at DESC, id);
CREATE VIRTUAL TABLE search_conversations_words USING fts5(
    title, overview, transcript,
    content = 'search_conversations', content_rowid = 'rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO search_conversations_words (search_conversations_words, rank) VALUES ('secure-delete', 1);
CREATE TRIGGER search_conversations_added AFTER INSERT ON search_conversations BEGIN
    INSERT INTO search_conversations_words (rowid, title, overview, transcript)
    VALUES (new.rowid, new.title, new.overview, new.transcript);
END;
CREATE TRIGGER search_conversations_removed AFTER DELETE ON search_conversations BEGIN
    INSERT INTO search_conversations_words (search_conversations_words, rowid, title, overview, transcript)
    VALUES ('delete', old.rowid, old.title, old.overview, old.transcript);
END;
CREATE TRIGGER search_conversations_changed AFTER UPDATE OF title, overview, transcript ON search_conversations
WHEN old.title IS NOT new.title OR old.overview IS NOT new.overview OR old.transcript IS NOT new.transcript
BEGIN
    INSERT INTO search_conversations_words (search_conversations_words, rowid, title, overview, transcript)
    VALUES ('delete', old.rowid, old.title, old.overview, old.transcript);
    INSERT INTO search_conversations_words (rowid, title, overview, transcript)
    VALUES (new.rowid, new.title, new.overview, new.transcript);
END;

CREATE TABLE search_memories (
    id         TEXT   PRIMARY KEY,
    uid        TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    category   TEXT   NOT NULL,
    content    TEXT   NOT NULL
);
CREATE INDEX search_memories_by_user ON search_memories (uid, created_at DESC, id);
CREATE VIRTUAL TABLE search_memories_words USING fts5(
    content,
    content = 'search_memories', content_rowid = 'rowid',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO search_memories_words (search_memories_words, rank) VALUES ('secure-delete', 1);
CREATE TRIGGER search_memories_added AFTER INSERT ON search_memories BEGIN
    INSERT INTO search_memories_words (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER search_memories_removed AFTER DELETE ON search_memories BEGIN
    INSERT INTO search_memories_words (search_memories_words, rowid, content)
    VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER search_memories_changed AFTER UPDATE OF content ON search_memories
WHEN old.content IS NOT new.content
BEGIN
    INSERT INTO search_memories_words (search_memories_words, rowid, content)
    VALUES ('delete', old.rowid, old.content);
    INSERT INTO search_memories_words (rowid, content) VALUES (new.rowid, new.content);
END;
