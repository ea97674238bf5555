-- The change feed reads one user's events in commit order. The index `events_by_user (uid, global_position)`
-- is in position order, which on PostgreSQL is not commit order; this one is, so a page of a user's events is one
-- range of the index whatever the size of the log.
CREATE INDEX events_by_user_commit_order ON events (uid, transaction_id, global_position);

-- Up to `max_events` events of user `for_uid` after the position, in commit order, below the log-writer
-- watermark: `omi_events_after` (migrations 7 and 9) for one user. The watermark is read only when one of the
-- user's events at or past the snapshot's xmin follows the position; otherwise the xmin is the watermark.
CREATE FUNCTION omi_user_events_after(for_uid TEXT, after_transaction xid8, after_position BIGINT,
                                      max_events BIGINT)
RETURNS TABLE (tx BIGINT, global_position BIGINT, aggregate_type TEXT, aggregate_id TEXT, sequence BIGINT,
               payload TEXT, metadata TEXT, recorded_at BIGINT, event_type TEXT, event_version TEXT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    cheap xid8 := pg_snapshot_xmin(pg_current_snapshot());
    watermark xid8 := cheap;
BEGIN
    PERFORM 1 FROM events AS e
    WHERE e.uid = for_uid
      AND (e.transaction_id, e.global_position) > (after_transaction, after_position)
      AND e.transaction_id >= cheap
    ORDER BY e.transaction_id, e.global_position
    LIMIT 1;
    IF FOUND THEN
        watermark := omi_log_watermark();
    END IF;
    RETURN QUERY
        SELECT CAST(CAST(e.transaction_id AS TEXT) AS BIGINT), e.global_position, e.aggregate_type,
               e.aggregate_id, e.sequence, CAST(e.payload AS TEXT), CAST(e.metadata AS TEXT),
               CAST(EXTRACT(EPOCH FROM e.recorded_at) * 1000000 AS BIGINT), e.event_type, e.event_version
        FROM events AS e
        WHERE e.uid = for_uid
          AND (e.transaction_id, e.global_position) > (after_transaction, after_position)
          AND e.transaction_id < watermark
        ORDER BY e.transaction_id, e.global_position
        LIMIT max_events;
END
$$;

-- The log-writer watermark (migration 7) counted the log writers of every database in the cluster: a log writer
-- held open in another database (another omi-server's, or another test's) held this database's readers back,
-- though it cannot append to this log. Only this database's log writers count now. Otherwise unchanged.
CREATE OR REPLACE FUNCTION omi_log_watermark() RETURNS xid8 LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    snapshot pg_snapshot := pg_current_snapshot();
    oldest_writer xid8;
BEGIN
    IF pg_snapshot_xmin(snapshot) = pg_snapshot_xmax(snapshot) THEN
        RETURN pg_snapshot_xmax(snapshot);
    END IF;
    -- Backend activity is otherwise read once per transaction and kept.
    PERFORM pg_stat_clear_snapshot();
    SELECT min(running) INTO oldest_writer
    FROM pg_snapshot_xip(snapshot) AS running
    WHERE CAST(running AS xid) IN (
        SELECT activity.backend_xid
        FROM pg_locks AS lock
        JOIN pg_stat_get_activity(NULL) AS activity ON activity.pid = lock.pid
        WHERE lock.locktype = 'advisory' AND lock.classid = 7302505 AND lock.objid = 1 AND lock.objsubid = 2
          AND lock.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND lock.granted AND activity.backend_xid IS NOT NULL);
    RETURN coalesce(oldest_writer, pg_snapshot_xmax(snapshot));
END
$$;
