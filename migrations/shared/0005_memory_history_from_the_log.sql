-- A memory's history is read from the memory's own stream in the event log, which holds every version already;
-- the copy of it kept as a read model (`memory_versions`, projection `memory_history`) goes.
DROP TABLE IF EXISTS memory_versions;
DROP TABLE IF EXISTS memory_versions_rebuild;
DELETE FROM projection_checkpoints WHERE name = 'memory_history';
