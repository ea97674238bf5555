-- The conversations' documents are the only read-model values large enough to be compressed (a transcript):
-- compressed with lz4 where the server has it (PostgreSQL 14 and later, built with lz4), which writes and reads
-- them several times faster than the default pglz for a slightly larger result. New values only; a replay
-- rewrites them all (its staged tables copy the columns' compression).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE conversations ALTER COLUMN doc SET COMPRESSION lz4,
                                  ALTER COLUMN list_doc SET COMPRESSION lz4;
        ALTER TABLE statistics_conversations ALTER COLUMN doc SET COMPRESSION lz4;
    END IF;
END
$$;
