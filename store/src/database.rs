//! The database handle shared by the write and the read side.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::AnyPool;
use sqlx::Executor;
use tokio::sync::{watch, Mutex, OwnedMutexGuard};

use crate::migrate;

/// Which database engine holds the log and the read models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file under the data directory.
    Sqlite,
    /// The production store, shared by any number of server processes.
    Postgres,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("migration {version} failed: {source}")]
    Migration { version: i64, source: sqlx::Error },
}

/// A cheap-to-clone handle on the database: a portable pool for SQL that both engines understand, the native
/// PostgreSQL pool where that is the engine, and the in-process signal that the event log grew.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    any: AnyPool,
    postgres: Option<PgPool>,
    /// PostgreSQL connections held for as long as their task runs: the session locks of reactions and schedules
    /// and the `LISTEN` connections of the projector, the reactions and the change feed. They come from a pool
    /// of their own, so that however many of them a process holds, the pools the work uses keep their
    /// `OMI_DB_MAX_CONNECTIONS`.
    held: Option<PgPool>,
    appended: watch::Sender<u64>,
    /// The PostgreSQL backends (process ids) of this process's pooled connections: a notification they sent is
    /// this process's own (see [`Database::is_own_backend`]).
    own_backends: OwnBackends,
    /// SQLite has one writer at a time: writers of this process queue here instead of sleeping in SQLite's busy
    /// handler, which under load starves them (seen as "database is locked" at a few hundred live sessions).
    writer: Option<Arc<Mutex<()>>>,
}

/// A write transaction; on SQLite it also holds the process's writer turn until commit or rollback.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    /// Commits.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Rolls back.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

/// The writer turn of a single-statement write (see [`Database::writer_turn`]).
pub struct WriterTurn(#[allow(dead_code)] Option<OwnedMutexGuard<()>>);

impl Database {
    /// Opens PostgreSQL when `url` is a `postgres://` URL, otherwise the SQLite file `omi.db` in `data_dir`,
    /// creating it. Applies the schema migrations before returning.
    pub async fn open(
        url: Option<&str>,
        data_dir: &Path,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let database =
            match url.filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://")) {
                Some(url) => Self::open_postgres(url, max_connections).await?,
                None => Self::open_sqlite(data_dir, max_connections).await?,
            };
        migrate::apply(&database).await?;
        Ok(database)
    }

    // Pools hand out connections without pinging them first (sqlx's default costs a round trip per use, which
    // the projector and every request paid): a connection that broke fails its next statement and is dropped,
    // and the projector and reactions retry.
    async fn open_postgres(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let url = with_statement_cache(url);
        let url = url.as_str();
        let own_backends = OwnBackends::default();
        let any_backends = own_backends.clone();
        let any = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                let own = any_backends.clone();
                Box::pin(async move {
                    own.add(
                        sqlx::query_scalar("SELECT pg_backend_pid()")
                            .fetch_one(conn)
                            .await?,
                    );
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        let pg_backends = own_backends.clone();
        let postgres = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                let own = pg_backends.clone();
                Box::pin(async move {
                    own.add(
                        sqlx::query_scalar("SELECT pg_backend_pid()")
                            .fetch_one(&mut *conn)
                            .await?,
                    );
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        let held_backends = own_backends.clone();
        let held = PgPoolOptions::new()
            .max_connections(HELD_CONNECTIONS)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                let own = held_backends.clone();
                Box::pin(async move {
                    own.add(
                        sqlx::query_scalar("SELECT pg_backend_pid()")
                            .fetch_one(&mut *conn)
                            .await?,
                    );
                    Ok(())
                })
            })
            .connect_lazy(url)?;
        Ok(Self::new(
            Backend::Postgres,
            any,
            Some((postgres, held)),
            own_backends,
        ))
    }

    async fn open_sqlite(data_dir: &Path, max_connections: u32) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let file = data_dir.join("omi.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let any = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .test_before_acquire(false)
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    // `secure_delete`: deleted content is overwritten with zeros, so an erased user's bytes
                    // do not linger in free space of the file (see `erasure`).
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 30000; \
                         PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                         PRAGMA secure_delete = ON;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Self::new(
            Backend::Sqlite,
            any,
            None,
            OwnBackends::default(),
        ))
    }

    fn new(
        backend: Backend,
        any: AnyPool,
        postgres: Option<(PgPool, PgPool)>,
        own_backends: OwnBackends,
    ) -> Self {
        let (postgres, held) = postgres.unzip();
        let (appended, _) = watch::channel(0);
        let writer = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Self {
            inner: Arc::new(Inner {
                backend,
                any,
                postgres,
                held,
                appended,
                own_backends,
                writer,
            }),
        }
    }

    /// The engine in use.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The pool for SQL that both engines run (`$1` parameters, text, integers, booleans).
    pub fn pool(&self) -> &AnyPool {
        &self.inner.any
    }

    /// The native PostgreSQL pool, when PostgreSQL is the engine.
    pub fn postgres(&self) -> Option<&PgPool> {
        self.inner.postgres.as_ref()
    }

    /// On PostgreSQL, the pool of connections held for as long as their task runs (session locks, `LISTEN`).
    pub fn held(&self) -> Option<&PgPool> {
        self.inner.held.as_ref()
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so a
    /// transaction that reads before it writes waits for other writers instead of failing with "busy", and it
    /// first waits for the process's writer turn.
    pub async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        let turn = self.writer_turn().await;
        let tx = match self.inner.backend {
            Backend::Sqlite => self.inner.any.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.inner.any.begin().await?,
        };
        Ok(WriteTx { tx, _turn: turn.0 })
    }

    /// Starts a write transaction that first takes the transaction-scoped advisory lock `lock` on PostgreSQL
    /// (waiting for another holder to commit) and does not wait for its commit's WAL flush: for writers of
    /// derived data that a crash makes them write again. One round trip on PostgreSQL; on SQLite
    /// [`Database::begin_write`].
    pub async fn begin_locked_derived(&self, lock: i64) -> Result<WriteTx, sqlx::Error> {
        if self.inner.backend == Backend::Sqlite {
            return self.begin_write().await;
        }
        let tx = self
            .inner
            .any
            .begin_with(format!(
                "BEGIN; SELECT pg_advisory_xact_lock({lock}); SET LOCAL synchronous_commit = off"
            ))
            .await?;
        Ok(WriteTx { tx, _turn: None })
    }

    /// Waits for this process's turn to write (SQLite only; PostgreSQL writers run concurrently). Hold the
    /// result for the duration of a single-statement write outside [`Database::begin_write`].
    pub async fn writer_turn(&self) -> WriterTurn {
        match &self.inner.writer {
            Some(writer) => WriterTurn(Some(Arc::clone(writer).lock_owned().await)),
            None => WriterTurn(None),
        }
    }

    /// Whether the PostgreSQL backend with process id `pid` serves one of this process's pooled connections, so
    /// that a notification it sent tells this process nothing new. A connection closed since may have left its
    /// id to another process's backend: a notification of that one is then taken as this process's own, which
    /// only delays the wake-up to the listener's next poll.
    pub fn is_own_backend(&self, pid: u32) -> bool {
        self.inner.own_backends.contains(pid as i32)
    }

    /// Tells the readers of the log in this process that events were appended.
    pub fn announce_append(&self) {
        self.inner
            .appended
            .send_modify(|count| *count = count.wrapping_add(1));
    }

    /// A receiver that changes whenever this process appends to the log.
    pub fn appends(&self) -> watch::Receiver<u64> {
        self.inner.appended.subscribe()
    }

    /// Whether [`Database::close`] has begun: no connection can be acquired any more, so a task that retries
    /// its reads should stop (and release what it holds, which the close waits for).
    pub fn is_closed(&self) -> bool {
        self.inner.any.is_closed()
    }

    /// Closes all connections.
    pub async fn close(&self) {
        self.inner.any.close().await;
        if let Some(pool) = &self.inner.postgres {
            pool.close().await;
        }
        if let Some(pool) = &self.inner.held {
            pool.close().await;
        }
    }
}

/// The backend process ids of a process's pooled PostgreSQL connections, recorded as each connection opens.
#[derive(Clone, Default)]
struct OwnBackends(Arc<std::sync::Mutex<std::collections::HashSet<i32>>>);

impl OwnBackends {
    fn add(&self, pid: i32) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(pid);
    }

    fn contains(&self, pid: i32) -> bool {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(&pid)
    }
}

/// Read models write a batch of rows with one multi-row statement whose text depends on the row count; with
/// sqlx's default cache of 100 prepared statements per connection those texts crowd each other out, and every
/// miss costs a round trip to prepare and plan again. The URL may set its own capacity.
fn with_statement_cache(url: &str) -> String {
    if url.contains("statement-cache-capacity=") {
        return url.to_string();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}statement-cache-capacity={STATEMENT_CACHE}")
}

/// Prepared statements kept per PostgreSQL connection.
const STATEMENT_CACHE: usize = 2_000;
/// The most connections a process holds at once for session locks and `LISTEN` (two per reaction and schedule,
/// one each for the projector and the change feed, with room to spare).
const HELD_CONNECTIONS: u32 = 64;
