-- Readers of the log wait only for transactions that append to it, not for every transaction in the cluster.
--
-- A transaction that appends to `events` first takes a shared advisory lock (the trigger below does it before
-- the first row, so before the transaction has an id), and a transaction that already has an id cannot append
-- (it could be assigned a lower id than events a reader has already passed). `omi_log_watermark()` is then the
-- oldest transaction id that a log writer still running may hold: every event below it has committed or never
-- will. Transactions on other tables or in other databases of the cluster no longer hold readers back.

CREATE FUNCTION omi_mark_log_writer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('omi.log_writer', true) IS DISTINCT FROM 'on' THEN
        IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
            RAISE EXCEPTION 'events must be appended before the transaction writes anything else'
                USING HINT = 'call omi_begin_append() first in a transaction that writes elsewhere too';
        END IF;
        PERFORM omi_begin_append();
    END IF;
    RETURN NULL;
END
$$;

-- Marks the current transaction as a log writer; call it first in a transaction that writes elsewhere before it
-- appends. The lock is shared, so log writers never wait for each other.
CREATE FUNCTION omi_begin_append() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NOT NULL
        AND current_setting('omi.log_writer', true) IS DISTINCT FROM 'on' THEN
        RAISE EXCEPTION 'omi_begin_append() must come before the transaction writes anything';
    END IF;
    PERFORM pg_advisory_xact_lock_shared(7302505, 1);
    PERFORM set_config('omi.log_writer', 'on', true);
END
$$;

CREATE TRIGGER events_mark_log_writer BEFORE INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION omi_mark_log_writer();

-- The oldest transaction id a running log writer may hold (the snapshot's xmax when none runs). The snapshot is
-- taken first and the lock table read after it, so a writer that was running at the snapshot is either seen
-- holding its lock or has finished since; the caller reads events with a later snapshot than this function's.
CREATE FUNCTION omi_log_watermark() RETURNS xid8 LANGUAGE plpgsql VOLATILE AS $$
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
          AND lock.granted AND activity.backend_xid IS NOT NULL);
    RETURN coalesce(oldest_writer, pg_snapshot_xmax(snapshot));
END
$$;

-- Up to `max_events` events after the position, in commit order, below the watermark. One function so that the
-- events are read with a snapshot taken after the watermark's (a writer that finished in between is visible).
-- When no event at or past the snapshot's xmin is visible, the xmin itself is the watermark and the lock table
-- is not read: nothing more could be read yet.
CREATE FUNCTION omi_events_after(after_transaction xid8, after_position BIGINT, max_events BIGINT)
RETURNS TABLE (tx BIGINT, global_position BIGINT, aggregate_type TEXT, aggregate_id TEXT, sequence BIGINT,
               payload TEXT, metadata TEXT, recorded_at BIGINT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    cheap xid8 := pg_snapshot_xmin(pg_current_snapshot());
    watermark xid8 := cheap;
BEGIN
    -- In the commit-order index's order with a limit: as a bare EXISTS the planner may scan the whole table.
    PERFORM 1 FROM events AS e
    WHERE (e.transaction_id, e.global_position) > (after_transaction, after_position)
      AND e.transaction_id >= cheap
    ORDER BY e.transaction_id, e.global_position
    LIMIT 1;
    IF FOUND THEN
        watermark := omi_log_watermark();
    END IF;
    RETURN QUERY
        SELECT CAST(CAST(e.transaction_id AS TEXT) AS BIGINT), e.global_position, e.aggregate_type,
               e.aggregate_id, e.sequence, CAST(e.payload AS TEXT), CAST(e.metadata AS TEXT),
               CAST(EXTRACT(EPOCH FROM e.recorded_at) * 1000000 AS BIGINT)
        FROM events AS e
        WHERE (e.transaction_id, e.global_position) > (after_transaction, after_position)
          AND e.transaction_id < watermark
        ORDER BY e.transaction_id, e.global_position
        LIMIT max_events;
END
$$;
