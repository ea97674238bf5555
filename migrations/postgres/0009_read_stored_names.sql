-- Readers decode each event by its stored name and version, so the function that reads the log in commit order
-- (migration 7) returns `event_type` and `event_version` too. Otherwise unchanged.

DROP FUNCTION omi_events_after(xid8, BIGINT, BIGINT);

CREATE FUNCTION omi_events_after(after_transaction xid8, after_position BIGINT, max_events BIGINT)
RETURNS TABLE (tx BIGINT, global_position BIGINT, aggregate_type TEXT, aggregate_id TEXT, sequence BIGINT,
               payload TEXT, metadata TEXT, recorded_at BIGINT, event_type TEXT, event_version TEXT)
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
               CAST(EXTRACT(EPOCH FROM e.recorded_at) * 1000000 AS BIGINT), e.event_type, e.event_version
        FROM events AS e
        WHERE (e.transaction_id, e.global_position) > (after_transaction, after_position)
          AND e.transaction_id < watermark
        ORDER BY e.transaction_id, e.global_position
        LIMIT max_events;
END
$$;
