-- The search index (read model `search`): the searchable text of each user's completed conversations and of
-- their memories, with the columns search filters on. PostgreSQL full-text search ranks the matches: each row's
-- `words` is a weighted tsvector (title A, overview B, transcript C; a memory's content A), generated from the
-- text columns, so every writer (the projector, a replay's COPY into a staged copy made with `LIKE … INCLUDING
-- ALL`, which carries generated columns) fills it alike. The GIN indexes answer `words @@ query`.
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
    transcript TEXT    NOT NULL,
    words      TSVECTOR GENERATED ALWAYS AS (
                   setweight(to_tsvector('english', title), 'A')
                   || setweight(to_tsvector('english', overview), 'B')
                   || setweight(to_tsvector('english', transcript), 'C')) STORED
);
CREATE INDEX search_conversations_words ON search_conversations USING gin (words);
CREATE INDEX search_conversations_by_user ON search_conversations (uid, created_at DESC, id);

CREATE TABLE search_memories (
    id         TEXT   PRIMARY KEY,
    uid        TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    category   TEXT   NOT NULL,
    content    TEXT   NOT NULL,
    words      TSVECTOR GENERATED ALWAYS AS (setweight(to_tsvector('english', content), 'A')) STORED
);
CREATE INDEX search_memories_words ON search_memories USING gin (words);
CREATE INDEX search_memories_by_user ON search_memories (uid, created_at DESC, id);
