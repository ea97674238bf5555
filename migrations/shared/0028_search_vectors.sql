-- Semantic search (projection `search_vectors`): one row per conversation whose latest processing run has an
-- embedding (`ConversationEmbedded`), with the model that made it; `doc` holds the vector (base64 of the
-- little-endian f32s). A search compares the query's vector with the rows of the user and the configured model.
CREATE TABLE search_vectors (
    id     TEXT PRIMARY KEY,
    uid    TEXT NOT NULL,
    model  TEXT NOT NULL,
    doc    TEXT NOT NULL
);
CREATE INDEX search_vectors_by_user ON search_vectors (uid, model);
