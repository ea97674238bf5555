-- Apps (projection `apps`): one row per live app, `uid` its owner. `doc` holds the app as its owner wrote it
-- with the server's fields and the SHA-256 hashes of its `sk_` keys, which no answer shows.
CREATE TABLE apps (
    id         TEXT    PRIMARY KEY,
    uid        TEXT    NOT NULL,
    private    BOOLEAN NOT NULL,
    approved   BOOLEAN NOT NULL,
    created_at BIGINT  NOT NULL,
    doc        TEXT    NOT NULL
);
-- The public catalog (approved and not private), and an owner's apps.
CREATE INDEX apps_public ON apps (approved, private, created_at);
CREATE INDEX apps_by_owner ON apps (uid);

-- App logos (projection `app_logos`): one row per app (row id = app id) with its current logo, served by
-- `logo_id` (empty until the first logo);
-- `doc` holds its content type and base64 bytes.
CREATE TABLE app_logos (
    id      TEXT PRIMARY KEY,
    uid     TEXT NOT NULL,
    logo_id TEXT NOT NULL,
    doc     TEXT NOT NULL
);
CREATE INDEX app_logos_by_logo ON app_logos (logo_id);
CREATE INDEX app_logos_by_user ON app_logos (uid);

-- Installations (projection `app_installations`): one row per app a user has enabled (row id
-- `<app_id>/<uid>`); disabling removes it. Installs of an app = its rows with `counts_install`.
CREATE TABLE app_installations (
    id             TEXT    PRIMARY KEY,
    uid            TEXT    NOT NULL,
    app_id         TEXT    NOT NULL,
    counts_install BOOLEAN NOT NULL,
    doc            TEXT    NOT NULL
);
CREATE INDEX app_installations_by_user ON app_installations (uid);
CREATE INDEX app_installations_by_app ON app_installations (app_id, counts_install);

-- Reviews (projection `app_reviews`): one row per (app, reviewer) (row id `<app_id>/<uid>`), `uid` the
-- reviewer; `score_millis` is the score (0..5) times 1000, summed for the app's rating.
CREATE TABLE app_reviews (
    id           TEXT   PRIMARY KEY,
    uid          TEXT   NOT NULL,
    app_id       TEXT   NOT NULL,
    score_millis BIGINT NOT NULL,
    rated_at     BIGINT NOT NULL,
    doc          TEXT   NOT NULL
);
CREATE INDEX app_reviews_by_app ON app_reviews (app_id, rated_at DESC);
CREATE INDEX app_reviews_by_user ON app_reviews (uid);
