-- Chat messages (projection `chat_messages`): one row per message of every chat thread, cleared sessions
-- included; `thread_id` is the thread's stream id (one per user and app context), `session` counts the
-- clearings of the thread before the message and `number` its place in the thread. The chat of a context is
-- the session of its newest message; `created_at` is microseconds since the epoch.
CREATE TABLE chat_messages (
    id         TEXT   PRIMARY KEY,
    uid        TEXT   NOT NULL,
    thread_id  TEXT   NOT NULL,
    session    BIGINT NOT NULL,
    number     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    doc        TEXT   NOT NULL
);
CREATE INDEX chat_messages_by_thread ON chat_messages (thread_id, number);
CREATE INDEX chat_messages_by_user ON chat_messages (uid);
