//! The database handle shared by the write and the read side.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::AnyPool;
use sqlx::Executor;
use tokio::sync::watch;

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
    appended: watch::Sender<u64>,
}

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

    async fn open_postgres(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let any = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        let postgres = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        Ok(Self::new(Backend::Postgres, any, Some(postgres)))
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
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 30000; \
                         PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Self::new(Backend::Sqlite, any, None))
    }

    fn new(backend: Backend, any: AnyPool, postgres: Option<PgPool>) -> Self {
        let (appended, _) = watch::channel(0);
        Self {
            inner: Arc::new(Inner {
                backend,
                any,
                postgres,
                appended,
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

    /// Starts a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so a
    /// transaction that reads before it writes waits for other writers instead of failing with "busy".
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.inner.backend {
            Backend::Sqlite => self.inner.any.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.inner.any.begin().await,
        }
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

    /// Closes all connections.
    pub async fn close(&self) {
        self.inner.any.close().await;
        if let Some(pool) = &self.inner.postgres {
            pool.close().await;
        }
    }
}
