//! Rebuilds read models from the start of the log; readers see the old models until the new ones are complete
//! and swapped in by one transaction, and a running server's projector stands by meanwhile (it needs the
//! projector lock, which that transaction holds from start to end).
//!
//! On PostgreSQL the log is read with one streaming binary `COPY` (decoded by a task of its own), every entity's
//! events are folded in memory with the live projection's own `evolve`, and each final row is written once with
//! binary `COPY … FROM STDIN` into a new table beside the live one, by writer tasks on connections of their own
//! (see [`Writers`]), so reading, folding, writing and indexing overlap and PostgreSQL works on several tables at
//! once. The new tables are indexed once filled and then swapped in (see [`StagedTable`]). The fold holds the
//! live entities of the log; a log too large for that is taken in slices of its streams (by a hash of the
//! aggregate id), each read and folded in turn, so memory stays bounded (see [`EVENTS_PER_SLICE`]). On SQLite the
//! log is applied in batches through the projections' live path.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use omi_store::{
    list_parked, log_size, log_watermark, park, read_after, save_checkpoint, Database, Envelope,
    LogPosition, LogScan, ParkedEvent, StreamSlice,
};
use sqlx::postgres::{PgPool, Postgres};
use sqlx::Transaction;
use tokio::sync::mpsc;

use super::copy_rows::{CopyChunk, CopySink};
use super::parking::{apply_carefully, apply_sorted, lies_with_the_events, Parking};
use super::projector::PROJECTOR_LOCK;
use super::staged_table::{staged_name, StagedTable};
use super::{Projection, ProjectionError, Rebuild};

/// Events per batch while rebuilding through the live path (SQLite).
const REBUILD_BATCH: i64 = 20_000;
/// Events of the log per slice of streams folded at once in memory. The fold holds at most one row per entity
/// of its slice, so this bounds the rebuild's memory: a log of this many events is one slice (one read), a
/// larger one is read once per slice.
const EVENTS_PER_SLICE: i64 = 2_000_000;
/// Rows written out per step once a slice is folded (between hand-overs to the writer).
const FLUSH_ROWS: usize = 2_000;
/// `COPY` chunks queued for the writer; bounds the memory between folding and writing.
const WRITE_QUEUE: usize = 4;

/// Empties the tables of `projections` and replays the whole log into them. `progress` hears (events applied,
/// events in the log) after every batch. Returns the position reached.
pub async fn rebuild(
    database: &Database,
    projections: &[Arc<dyn Projection>],
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<LogPosition, ProjectionError> {
    // What the live projector parked or skipped stays out of the rebuilt models, as it stayed out of the live ones.
    let parking = Parking::from_parked(&list_parked(database, None).await?);
    match database.postgres() {
        Some(pool) => {
            let rebuilds = projections.iter().map(|p| p.in_memory().0).collect();
            let watermark = log_watermark(database).await?;
            rebuild_postgres(pool, projections, rebuilds, parking, watermark, progress).await
        }
        None => rebuild_batched(database, projections, parking, progress).await,
    }
}

async fn rebuild_postgres(
    pool: &PgPool,
    projections: &[Arc<dyn Projection>],
    mut rebuilds: Vec<Box<dyn Rebuild>>,
    mut parking: Parking,
    watermark: i64,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<LogPosition, ProjectionError> {
    let started = std::time::Instant::now();
    let total = estimated_log_size(pool).await?;
    let mut tx = pool.begin().await?;
    // Waits for a running server's batch (or another rebuild) to finish; the server's projector then stands by
    // until we commit.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PROJECTOR_LOCK)
        .execute(&mut *tx)
        .await?;
    let tables: Vec<&'static str> = projections
        .iter()
        .flat_map(|p| p.tables())
        .copied()
        .collect();
    let written = match Writers::start(pool, &tables).await {
        Ok(writers) => {
            let readers: Vec<(&str, &[&str])> = projections
                .iter()
                .map(|p| (p.name(), p.aggregate_types()))
                .collect();
            let mut fold = Fold {
                rebuilds: &mut rebuilds,
                readers: &readers,
                parking: &mut parking,
                watermark,
            };
            let folded = fold_log(pool, &mut fold, total, progress, &writers).await;
            // A failed writer closes its queue, which stops the fold; the writer's error is the one to report.
            let staged = writers.finish(folded.is_ok()).await;
            staged.and_then(|staged| folded.map(|position| (staged, position)))
        }
        Err(error) => Err(error),
    };
    let written_at = started.elapsed();
    let committed = match written {
        Ok((staged, position)) => {
            match swap_in(&mut tx, &staged, projections, position, &parking.new).await {
                // Building the indexes set the tables' row counts for the planner; autovacuum gathers the column
                // statistics of the new tables after the commit.
                Ok(()) => tx
                    .commit()
                    .await
                    .map(|()| position)
                    .map_err(ProjectionError::from),
                Err(error) => {
                    // Rolled back first: the swap's locks would keep the staged tables from being dropped.
                    let _ = tx.rollback().await;
                    Err(error)
                }
            }
        }
        Err(error) => Err(error),
    };
    let position = match committed {
        Ok(position) => position,
        Err(error) => {
            drop_staged(pool, &tables).await;
            return Err(error);
        }
    };
    tracing::info!(
        read_folded_written_indexed = ?written_at,
        swapped_committed = ?started.elapsed() - written_at,
        "rebuilt"
    );
    Ok(position)
}

/// Puts the staged tables in the live ones' place and moves the projections' checkpoints to `position`.
async fn swap_in(
    tx: &mut Transaction<'static, Postgres>,
    staged: &[StagedTable],
    projections: &[Arc<dyn Projection>],
    position: LogPosition,
    parked: &[ParkedEvent],
) -> Result<(), ProjectionError> {
    for table in staged {
        table.swap(tx).await?;
    }
    for event in parked {
        sqlx::query(
            "INSERT INTO parked_events (projection, transaction_id, global_position, aggregate_type,
                                        aggregate_id, sequence, error, parked_at, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'parked')
             ON CONFLICT (projection, global_position) DO NOTHING",
        )
        .bind(&event.projection)
        .bind(event.position.transaction)
        .bind(event.position.global)
        .bind(&event.aggregate_type)
        .bind(&event.aggregate_id)
        .bind(event.sequence)
        .bind(&event.error)
        .bind(&event.parked_at)
        .execute(&mut **tx)
        .await?;
    }
    for projection in projections {
        sqlx::query(
            "INSERT INTO projection_checkpoints (name, transaction_id, global_position) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET transaction_id = excluded.transaction_id,
                                              global_position = excluded.global_position",
        )
        .bind(projection.name())
        .bind(position.transaction)
        .bind(position.global)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Drops the staged tables a failed rebuild leaves behind (committed by their writers); the next rebuild would
/// drop them too.
async fn drop_staged(pool: &PgPool, tables: &[&str]) {
    for table in tables {
        let statement = format!("DROP TABLE IF EXISTS {}", staged_name(table));
        if let Err(error) = sqlx::query(&statement).execute(pool).await {
            tracing::warn!(%error, table, "cannot drop a staged table of the failed rebuild");
        }
    }
}

/// The writers of the staged tables: each on a connection and in a transaction of its own, so PostgreSQL writes
/// and indexes several tables at once. A writer creates its tables, copies in the rows queued for them, builds
/// their indexes and commits; the rebuild's own transaction then swaps the tables in. Readers never see a staged
/// table in use, and a failed rebuild drops them.
struct Writers {
    /// Per table: the queue of the writer that owns it.
    queues: Vec<(&'static str, mpsc::Sender<CopyChunk>)>,
    tasks: Vec<tokio::task::JoinHandle<Result<Vec<StagedTable>, ProjectionError>>>,
    /// Set when the rebuild failed: the writers roll back instead of indexing and committing.
    abandoned: Arc<AtomicBool>,
}

impl Writers {
    /// One writer per table, fewer when the pool is too small for that (it also serves the rebuild's own
    /// transaction and the log's reader).
    async fn start(pool: &PgPool, tables: &[&'static str]) -> Result<Writers, ProjectionError> {
        let connections = pool.options().get_max_connections() as usize;
        if connections < 3 {
            return Err(ProjectionError::Rebuild(format!(
                "on PostgreSQL it needs at least 3 connections (its own transaction, the log's reader and \
                 a writer); OMI_DB_MAX_CONNECTIONS allows {connections}"
            )));
        }
        let count = tables.len().min(connections - 2);
        let mut writers = Writers {
            queues: Vec::new(),
            tasks: Vec::new(),
            abandoned: Arc::default(),
        };
        for index in 0..count {
            let owned: Vec<&'static str> =
                tables.iter().copied().skip(index).step_by(count).collect();
            let tx = match Self::begin(pool).await {
                Ok(tx) => tx,
                Err(error) => {
                    // The writers started so far roll back.
                    let _ = writers.finish(false).await;
                    return Err(error);
                }
            };
            let (sender, queue) = mpsc::channel(WRITE_QUEUE);
            writers
                .queues
                .extend(owned.iter().map(|table| (*table, sender.clone())));
            let writer = Writer {
                tables: owned,
                queue,
                abandoned: Arc::clone(&writers.abandoned),
            };
            writers.tasks.push(tokio::spawn(writer.run(tx)));
        }
        Ok(writers)
    }

    async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>, ProjectionError> {
        let mut tx = pool.begin().await?;
        // Its rows count only once the rebuild's transaction commits, and that commit flushes the WAL written
        // here before it.
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Queues a chunk for the writer of its table.
    async fn send(&self, chunk: CopyChunk) -> Result<(), ProjectionError> {
        let queue = self
            .queues
            .iter()
            .find(|(table, _)| *table == chunk.table)
            .map(|(_, queue)| queue)
            .ok_or_else(|| {
                ProjectionError::Rebuild(format!(
                    "no table {} among the ones being rebuilt",
                    chunk.table
                ))
            })?;
        queue
            .send(chunk)
            .await
            .map_err(|_| ProjectionError::Rebuild("a writer stopped".to_string()))
    }

    /// Closes the queues and waits for every writer. When the rows are `complete`, returns the staged tables,
    /// filled, indexed and committed; otherwise the writers roll back, and the error is that of a failed writer
    /// (if any).
    async fn finish(self, complete: bool) -> Result<Vec<StagedTable>, ProjectionError> {
        if !complete {
            self.abandoned.store(true, Ordering::SeqCst);
        }
        drop(self.queues);
        let mut staged = Vec::new();
        let mut failure = None;
        for task in self.tasks {
            match task.await {
                Ok(Ok(tables)) => staged.extend(tables),
                Ok(Err(error)) => failure = failure.or(Some(error)),
                Err(error) => {
                    failure = failure.or(Some(ProjectionError::Rebuild(format!(
                        "a writer failed: {error}"
                    ))))
                }
            }
        }
        match failure {
            Some(error) => Err(error),
            None => Ok(staged),
        }
    }
}

/// The in-memory rebuilds of a PostgreSQL rebuild, with their read models' names and aggregate types (in the
/// same order) and what they leave out.
struct Fold<'a> {
    rebuilds: &'a mut [Box<dyn Rebuild>],
    readers: &'a [(&'a str, &'a [&'a str])],
    parking: &'a mut Parking,
    /// One watermark for every slice: together they read exactly the events below it.
    watermark: i64,
}

/// Reads the log slice by slice, folds it and queues the rows for the writer. Returns the position reached.
async fn fold_log(
    pool: &PgPool,
    fold: &mut Fold<'_>,
    total: u64,
    progress: &(dyn Fn(u64, u64) + Sync),
    writers: &Writers,
) -> Result<LogPosition, ProjectionError> {
    let slices = (total as i64 / EVENTS_PER_SLICE + 1) as u32;
    let envelope = fold
        .rebuilds
        .iter()
        .map(|r| r.envelope())
        .max()
        .unwrap_or(Envelope::Omitted);
    let mut sink = CopySink::default();
    let mut position = LogPosition::START;
    let mut applied = 0u64;
    progress(0, total);
    for index in 0..slices {
        let mut scan = LogScan::start(
            pool.clone(),
            StreamSlice {
                index,
                count: slices,
            },
            envelope,
            fold.watermark,
        );
        while let Some(events) = scan.next().await {
            let events = events?;
            for (rebuild, (name, types)) in fold.rebuilds.iter_mut().zip(fold.readers) {
                rebuild.fold(&fold.parking.sort_out(name, types, &events))?;
            }
            if let Some(last) = events.last() {
                position = position.max(last.position);
            }
            applied += events.len() as u64;
            progress(applied, total.max(applied));
        }
        tracing::debug!(slice = index, slices, events = applied, "log slice read");
        // A few rows of each read model in turn, so that every writer has rows to copy from the start.
        let mut unflushed: Vec<&mut Box<dyn Rebuild>> = fold.rebuilds.iter_mut().collect();
        while !unflushed.is_empty() {
            let mut more = Vec::with_capacity(unflushed.len());
            for rebuild in unflushed {
                if rebuild.flush(&mut sink, FLUSH_ROWS)? {
                    more.push(rebuild);
                }
                queue(writers, sink.take_full()).await?;
            }
            unflushed = more;
        }
        queue(writers, sink.take_all()).await?;
        tracing::debug!(slice = index, "rows of the slice queued");
    }
    Ok(position)
}

async fn queue(writers: &Writers, full: Vec<CopyChunk>) -> Result<(), ProjectionError> {
    for chunk in full {
        writers.send(chunk).await?;
    }
    Ok(())
}

/// A writer of some staged tables.
struct Writer {
    tables: Vec<&'static str>,
    queue: mpsc::Receiver<CopyChunk>,
    abandoned: Arc<AtomicBool>,
}

impl Writer {
    /// Creates its staged tables, copies in the chunks queued for them, and once the queue is closed indexes them
    /// and commits (or rolls back, when the rebuild was abandoned).
    async fn run(
        mut self,
        mut tx: Transaction<'static, Postgres>,
    ) -> Result<Vec<StagedTable>, ProjectionError> {
        let mut staged = Vec::with_capacity(self.tables.len());
        for table in &self.tables {
            staged.push(StagedTable::create(&mut tx, table).await?);
        }
        while let Some(chunk) = self.queue.recv().await {
            // FREEZE: the table was created in this transaction, so its rows can be written as already visible
            // to all (no hint bits to set by the first readers after the commit).
            let statement = format!(
                "COPY {} ({}) FROM STDIN (FORMAT binary, FREEZE)",
                staged_name(&chunk.table),
                chunk.columns
            );
            let mut copy = tx.copy_in_raw(&statement).await?;
            copy.send(chunk.data).await?;
            copy.finish().await?;
        }
        if self.abandoned.load(Ordering::SeqCst) {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        tracing::debug!(tables = ?self.tables, "rows copied in");
        for table in &staged {
            table.index(&mut tx).await?;
        }
        tracing::debug!(tables = ?self.tables, "indexed");
        tx.commit().await?;
        Ok(staged)
    }
}

/// The number of events, from the planner's statistics when there are any (counting a large log costs a scan).
async fn estimated_log_size(pool: &PgPool) -> Result<u64, ProjectionError> {
    let (estimate,): (f32,) =
        sqlx::query_as("SELECT reltuples FROM pg_class WHERE oid = 'events'::regclass")
            .fetch_one(pool)
            .await?;
    if estimate >= 0.0 {
        return Ok(estimate as u64);
    }
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events")
        .fetch_one(pool)
        .await?;
    Ok(count.max(0) as u64)
}

/// The rebuild through the projections' live path, in batches (SQLite).
async fn rebuild_batched(
    database: &Database,
    projections: &[Arc<dyn Projection>],
    mut parking: Parking,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<LogPosition, ProjectionError> {
    let total = log_size(database).await?.max(0) as u64;
    // No projector lock to take: on SQLite the data directory is one process's at a time, so no server runs.
    let mut tx = database.begin_write().await?;
    for projection in projections {
        for table in projection.tables() {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
    }
    let mut position = LogPosition::START;
    let mut applied = 0u64;
    progress(0, total);
    loop {
        let events = read_after(database, position, REBUILD_BATCH).await?;
        let Some(last) = events.last().map(|e| e.position) else {
            break;
        };
        for projection in projections {
            // A batch that fails for an event's sake is applied again event by event, parking the culprit.
            sqlx::query("SAVEPOINT omi_batch").execute(&mut *tx).await?;
            match apply_sorted(&mut tx, &**projection, &events, &mut parking, false).await {
                Ok(()) => {}
                Err(error) if lies_with_the_events(&error) => {
                    sqlx::query("ROLLBACK TO SAVEPOINT omi_batch")
                        .execute(&mut *tx)
                        .await?;
                    apply_carefully(&mut tx, &**projection, &events, &mut parking).await?;
                }
                Err(error) => return Err(error),
            }
            sqlx::query("RELEASE SAVEPOINT omi_batch")
                .execute(&mut *tx)
                .await?;
        }
        position = last;
        applied += events.len() as u64;
        progress(applied, total.max(applied));
    }
    for projection in projections {
        save_checkpoint(&mut tx, projection.name(), position).await?;
    }
    park(&mut tx, &parking.new).await?;
    tx.commit().await?;
    Ok(position)
}
