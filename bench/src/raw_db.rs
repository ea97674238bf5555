//! The server's own database opened through the native driver, for benchmarks that time a raw statement against
//! the API route that runs it (P3, P7). Each benchmark adds its own reads in an `impl Db` of its module.

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{PgPool, SqlitePool};

/// The same database the server uses: PostgreSQL by URL, or the SQLite file read-only.
pub enum Db {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

impl Db {
    pub async fn open(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres") {
            let pool = PgPoolOptions::new()
                .max_connections(2)
                .connect(url)
                .await
                .map_err(|e| format!("connect {url}: {e}"))?;
            Ok(Db::Pg(pool))
        } else {
            let options: SqliteConnectOptions = url
                .parse::<SqliteConnectOptions>()
                .map_err(|e| format!("{url}: {e}"))?
                .read_only(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(2)
                .connect_with(options)
                .await
                .map_err(|e| format!("open {url}: {e}"))?;
            Ok(Db::Sqlite(pool))
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Db::Pg(_) => "postgres",
            Db::Sqlite(_) => "sqlite",
        }
    }

    /// A `COUNT(*)` statement whose one parameter is the user.
    pub async fn count(&self, sql: &str, uid: &str) -> Result<i64, String> {
        let result = match self {
            Db::Pg(pool) => sqlx::query_scalar(sql).bind(uid).fetch_one(pool).await,
            Db::Sqlite(pool) => sqlx::query_scalar(sql).bind(uid).fetch_one(pool).await,
        };
        result.map_err(|e| format!("{sql}: {e}"))
    }
}
