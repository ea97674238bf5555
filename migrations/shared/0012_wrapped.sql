-- The wrapped read model (projection `wrapped`): one row per user and year, the document
-- `GET /v1/wrapped/{year}` answers. `id` is the wrapped's stream id.
CREATE TABLE wrapped (
    id   TEXT   PRIMARY KEY,
    uid  TEXT   NOT NULL,
    year BIGINT NOT NULL,
    doc  TEXT   NOT NULL
);
