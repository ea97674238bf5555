-- Semantic search of memories (projection `memory_vectors`): one row per memory whose content has an embedding
-- (`MemoryEmbedded`), with the model that made it; `doc` holds the vector (base64 of the little-endian f32s). A
-- memory search compares the query's vector with the rows of the user and the configured model.
CREATE TABLE memory_vectors (
    id     TEXT PRIMARY KEY,
    uid    TEXT NOT NULL,
    model  TEXT NOT NULL,
    doc    TEXT NOT NULL
);
CREATE INDEX memory_vectors_by_user ON memory_vectors (uid, model);
