-- Developer webhooks (projection `developer_webhooks`): one row per user who set one; the row id is the user
-- id, `doc` holds the URL, `whsec_` secret and toggle of each webhook type.
CREATE TABLE developer_webhooks (
    id  TEXT PRIMARY KEY,
    uid TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX developer_webhooks_by_user ON developer_webhooks (uid);

-- Webhook deliveries (projection `webhook_deliveries`): one row per delivery, keyed by its idempotency key, with
-- every attempt in `doc`. `endpoint` is `<kind>:<id>`; `due_at` is the next attempt of a pending delivery
-- (the largest BIGINT otherwise); `delivered_at` the last successful attempt (0 when none). Times are
-- microseconds since the Unix epoch.
CREATE TABLE webhook_deliveries (
    id           TEXT   PRIMARY KEY,
    uid          TEXT   NOT NULL,
    endpoint     TEXT   NOT NULL,
    state        TEXT   NOT NULL,
    due_at       BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    delivered_at BIGINT NOT NULL,
    doc          TEXT   NOT NULL
);
-- The owner's log, newest first.
CREATE INDEX webhook_deliveries_by_user ON webhook_deliveries (uid, created_at DESC, id);
-- The worker's question: what is due.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (due_at) WHERE state = 'pending';
-- Whether an endpoint succeeded lately.
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (uid, endpoint, delivered_at);

-- Which process is sending a delivery now (not a read model: the delivery worker's claims). A claim lapses at
-- `expires_at` (microseconds since the Unix epoch), so a process killed while sending hands the delivery over.
-- Holds no personal data: the delivery id is a hash.
CREATE TABLE webhook_delivery_leases (
    delivery_id TEXT   PRIMARY KEY,
    holder      TEXT   NOT NULL,
    expires_at  BIGINT NOT NULL
);
