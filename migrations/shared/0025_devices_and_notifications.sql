-- Devices (projection `devices`): one row per device holding a push token; the row id is the device's stream id,
-- `registered_at` microseconds since the epoch.
CREATE TABLE devices (
    id            TEXT   PRIMARY KEY,
    uid           TEXT   NOT NULL,
    registered_at BIGINT NOT NULL,
    doc           TEXT   NOT NULL
);
CREATE INDEX devices_by_user ON devices (uid, registered_at, id);

-- Notifications (projection `notifications`): one row per notification, `created_at` microseconds since the
-- epoch (the list's order, newest first).
CREATE TABLE notifications (
    id         TEXT   PRIMARY KEY,
    uid        TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    doc        TEXT   NOT NULL
);
CREATE INDEX notifications_by_user ON notifications (uid, created_at DESC, id);
