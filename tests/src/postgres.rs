//! Throwaway PostgreSQL databases: one fresh database per test server, created from the admin URL in
//! `OMI_TEST_POSTGRES_URL` and dropped (`WITH (FORCE)`) when the last handle goes away.

use std::time::Duration;

use sqlx::{Connection, PgConnection};

/// Env var holding the admin URL of a PostgreSQL server the tests may create databases on,
/// e.g. `postgres://postgres@127.0.0.1:54329/postgres`.
pub const POSTGRES_URL_VAR: &str = "OMI_TEST_POSTGRES_URL";
/// When this env var is `1`, a PostgreSQL test without `OMI_TEST_POSTGRES_URL` fails instead of skipping.
pub const REQUIRE_POSTGRES_VAR: &str = "OMI_REQUIRE_POSTGRES";
/// What a skipped PostgreSQL test prints to stderr.
pub const SKIP_MESSAGE: &str = "skipped: OMI_TEST_POSTGRES_URL not set";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(60);

/// The admin URL from `OMI_TEST_POSTGRES_URL`, if set and not empty.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .map(|url| url.trim().to_string())
        .filter(|url| !url.is_empty())
}

/// Whether `OMI_REQUIRE_POSTGRES=1` is set.
pub fn postgres_required() -> bool {
    std::env::var(REQUIRE_POSTGRES_VAR).is_ok_and(|value| value.trim() == "1")
}

/// The admin URL, or `None` after printing [`SKIP_MESSAGE`] to stderr when PostgreSQL is not configured.
///
/// # Panics
/// When `OMI_TEST_POSTGRES_URL` is unset and `OMI_REQUIRE_POSTGRES=1`.
pub fn postgres_or_skip() -> Option<String> {
    match postgres_admin_url() {
        Some(url) => Some(url),
        None if postgres_required() => panic!(
            "{REQUIRE_POSTGRES_VAR}=1 but {POSTGRES_URL_VAR} is not set: \
             point it at a PostgreSQL admin URL, e.g. postgres://postgres@127.0.0.1:54329/postgres"
        ),
        None => {
            eprintln!("{SKIP_MESSAGE}");
            None
        }
    }
}

/// The URL of database `database` on the server of `admin_url`: same scheme, credentials, host, port and
/// query parameters, only the path replaced.
pub fn database_url(admin_url: &str, database: &str) -> String {
    let (base, query) = match admin_url.find('?') {
        Some(at) => admin_url.split_at(at),
        None => (admin_url, ""),
    };
    let authority_start = base.find("://").map_or(0, |at| at + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |at| authority_start + at);
    format!("{}/{}{}", &base[..authority_end], database, query)
}

async fn connect(admin_url: &str) -> Result<PgConnection, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(admin_url)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(format!(
            "cannot connect to PostgreSQL at {admin_url} ({POSTGRES_URL_VAR}): {e}"
        )),
        Err(_) => Err(format!(
            "timed out after {CONNECT_TIMEOUT:?} connecting to PostgreSQL at {admin_url} ({POSTGRES_URL_VAR})"
        )),
    }
}

/// Runs `sql` (no parameters, so with the simple protocol: several statements and `CREATE DATABASE` work).
async fn execute(conn: &mut PgConnection, sql: &str) -> Result<(), String> {
    match tokio::time::timeout(STATEMENT_TIMEOUT, sqlx::Executor::execute(conn, sql)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("`{sql}` failed: {e}")),
        Err(_) => Err(format!("`{sql}` timed out after {STATEMENT_TIMEOUT:?}")),
    }
}

/// Drops database `name` (`WITH (FORCE)`, so open connections do not block it). Missing is fine.
pub async fn drop_database(admin_url: &str, name: &str) -> Result<(), String> {
    let mut conn = connect(admin_url).await?;
    let result = execute(
        &mut conn,
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    )
    .await;
    let _ = conn.close().await;
    result
}

/// Whether database `name` exists on the server of `admin_url`.
///
/// # Panics
/// When the server cannot be reached.
pub async fn database_exists(admin_url: &str, name: &str) -> bool {
    let mut conn = connect(admin_url).await.unwrap_or_else(|e| panic!("{e}"));
    let found: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("looking up database {name}: {e}"));
    let _ = conn.close().await;
    found.is_some()
}

/// A fresh database `omi_test_<32 hex>`, dropped when this value is dropped (best effort) or by
/// [`TestDatabase::drop_now`].
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
    dropped: bool,
}

impl TestDatabase {
    /// Creates a fresh database on the server of `admin_url`.
    ///
    /// # Panics
    /// When the server cannot be reached or refuses to create the database.
    pub async fn create(admin_url: &str) -> TestDatabase {
        let name = format!("omi_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = connect(admin_url).await.unwrap_or_else(|e| panic!("{e}"));
        let sql = format!("CREATE DATABASE \"{name}\"");
        let mut attempt = 1;
        loop {
            match execute(&mut conn, &sql).await {
                Ok(()) => break,
                // Concurrent CREATE DATABASE from the same template can fail transiently.
                Err(e) if attempt < 5 => {
                    eprintln!("omi-tests: retrying CREATE DATABASE {name}: {e}");
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                    attempt += 1;
                }
                Err(e) => panic!("cannot create test database: {e}"),
            }
        }
        let _ = conn.close().await;
        TestDatabase {
            url: database_url(admin_url, &name),
            admin_url: admin_url.to_string(),
            name,
            dropped: false,
        }
    }

    /// The database's name, `omi_test_<hex>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL of this database, to pass as `DATABASE_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The admin URL it was created from.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// Drops the database now.
    ///
    /// # Panics
    /// When the drop fails.
    pub async fn drop_now(mut self) {
        self.dropped = true;
        if let Err(e) = drop_database(&self.admin_url, &self.name).await {
            panic!("cannot drop test database {}: {e}", self.name);
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        self.dropped = true;
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop is synchronous and may run on a runtime thread, so the async drop runs on a thread of its own.
        let outcome = std::thread::Builder::new()
            .name("omi-tests-dropdb".into())
            .spawn(move || -> Result<(), String> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot build a runtime: {e}"))?;
                runtime.block_on(drop_database(&admin_url, &name))
            })
            .map_err(|e| format!("cannot spawn a thread: {e}"))
            .and_then(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err("the drop thread panicked".into()))
            });
        if let Err(e) = outcome {
            eprintln!(
                "omi-tests: warning: could not drop test database {}: {e}",
                self.name
            );
        }
    }
}
