-- Reactions read only the aggregate types they handle (a webhook reaction reads conversations, not the memories a
-- busy account appends by the thousand). Reading the whole log and dropping the rest cost every reaction a pass over
-- every event; this index in commit order per type lets each read visit only its own events.
CREATE INDEX events_by_type_commit_order ON events (aggregate_type, transaction_id, global_position);

-- Up to `max_events` events of the aggregate types `wanted` after the position, in commit order, below the
-- log-writer watermark (as `omi_events_after`, migrations 7 and 9), followed by one more row with null payload:
-- the last event of any type below the watermark after the position, which tells how far the read covered the log
-- when fewer than `max_events` events were wanted. Nothing at all follows the position: no rows. While no event of
-- the wanted types is in flight, the watermark is the snapshot's xmin and the read is a few index probes.
CREATE FUNCTION omi_events_of_after(wanted TEXT[], after_transaction xid8, after_position BIGINT,
                                    max_events BIGINT)
RETURNS TABLE (tx BIGINT, global_position BIGINT, aggregate_type TEXT, aggregate_id TEXT, sequence BIGINT,
               payload TEXT, metadata TEXT, recorded_at BIGINT, event_type TEXT, event_version TEXT)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    cheap xid8 := pg_snapshot_xmin(pg_current_snapshot());
    watermark xid8 := cheap;
    kind TEXT;
    newest_transaction xid8;
    newest_position BIGINT;
    any_wanted BOOLEAN := false;
BEGIN
    -- The newest visible event of each wanted type, found from the end of its index (a search bounded by the
    -- snapshot's xmin would be planned on the commit-order index, whose statistics lag behind the newest
    -- transactions). Nothing wanted after the position: only the covered position is read. The watermark costs
    -- a look at every backend's locks; it is needed only when such an event is at or past the xmin (below it,
    -- every transaction has finished).
    FOREACH kind IN ARRAY wanted LOOP
        SELECT t.transaction_id, t.global_position INTO newest_transaction, newest_position
        FROM events AS t
        WHERE t.aggregate_type = kind
        ORDER BY t.transaction_id DESC, t.global_position DESC
        LIMIT 1;
        IF FOUND AND (newest_transaction, newest_position) > (after_transaction, after_position) THEN
            any_wanted := true;
            IF newest_transaction >= cheap THEN
                watermark := omi_log_watermark();
                EXIT;
            END IF;
        END IF;
    END LOOP;
    -- Every transaction below the watermark has finished, so both statements see the same events below it.
    IF any_wanted THEN
        RETURN QUERY
            SELECT CAST(CAST(e.transaction_id AS TEXT) AS BIGINT), e.global_position, e.aggregate_type,
                   e.aggregate_id, e.sequence, CAST(e.payload AS TEXT), CAST(e.metadata AS TEXT),
                   CAST(EXTRACT(EPOCH FROM e.recorded_at) * 1000000 AS BIGINT), e.event_type, e.event_version
            FROM unnest(wanted) AS wanted_kind(name)
            CROSS JOIN LATERAL (
                SELECT * FROM events AS t
                WHERE t.aggregate_type = wanted_kind.name
                  AND (t.transaction_id, t.global_position) > (after_transaction, after_position)
                  AND t.transaction_id < watermark
                ORDER BY t.transaction_id, t.global_position
                LIMIT max_events) AS e
            ORDER BY e.transaction_id, e.global_position
            LIMIT max_events;
    END IF;
    RETURN QUERY
        SELECT CAST(CAST(e.transaction_id AS TEXT) AS BIGINT), e.global_position, CAST(NULL AS TEXT),
               CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT),
               CAST(NULL AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT)
        FROM events AS e
        WHERE (e.transaction_id, e.global_position) > (after_transaction, after_position)
          AND e.transaction_id < watermark
        ORDER BY e.transaction_id DESC, e.global_position DESC
        LIMIT 1;
END
$$;
