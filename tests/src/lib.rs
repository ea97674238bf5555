//! Black-box test harness for omi-server: starts the real `omi-server` binary on a throwaway SQLite data
//! directory or PostgreSQL database and talks HTTP to it.
//!
//! ```ignore
//! use omi_tests::*;
//!
//! both_stores!(memories_round_trip, |server| async move {
//!     let token = server.token("alice").await;
//!     let created = server.post("/v3/memories", &token, json!({"content": "likes tea"})).await;
//!     created.assert_status(200);
//!     let listed = server.get("/v3/memories", &token).await;
//!     assert_eq!(listed[0]["content"], "likes tea");
//! });
//!
//! // Tests that start their own servers get the store instead:
//! both_stores!(with_store two_processes_share_the_log, |store| async move {
//!     let first = TestServer::start(store).await;
//!     let second =
//!         TestServer::start_with(store, StartOptions::new().reuse_database(first.data())).await;
//!     // …
//! });
//! ```
//!
//! The binary is `$OMI_SERVER_BIN`, else `omi-server` next to the test executable's `deps/` folder; when
//! that is missing the harness builds it once with `cargo build --workspace --bin omi-server`. PostgreSQL
//! tests need `OMI_TEST_POSTGRES_URL` (an admin URL); without it they skip, or fail when
//! `OMI_REQUIRE_POSTGRES=1`.

use std::fmt;
use std::future::Future;

mod client;
mod fake_embeddings;
mod fake_model;
pub mod local_http;
mod log;
pub mod openapi;
mod postgres;
mod read_models;
pub mod schema;
mod server;
pub mod speech;

pub use client::{new_reqwest_client, send, HttpClient, Response, REQUEST_TIMEOUT};
pub use fake_embeddings::{FakeEmbeddings, FAKE_EMBEDDINGS_MODEL};
pub use fake_model::{FakeModel, ModelRequest};
pub use log::{
    append_raw_event, memory_created_payload, memory_edited_payload, sqlite_connection,
    stored_name, system_metadata, RawEvent,
};
pub use openapi::{ApiDocument, Checked, ResponseCheck, CHECK_RESPONSES_VAR};
pub use postgres::{
    database_exists, database_url, drop_database, postgres_admin_url, postgres_or_skip,
    postgres_required, TestDatabase, POSTGRES_URL_VAR, REQUIRE_POSTGRES_VAR, SKIP_MESSAGE,
};
pub use read_models::{read_model_rows, read_models};
pub use server::{
    locate_server_bin, run_cli, server_bin, CliOutput, ServerEnv, StartOptions, TestData,
    TestServer, CLI_TIMEOUT, ECHO_LOG_VAR, LISTENING_PREFIX, LOG_LINES, SERVER_BIN_VAR,
    START_TIMEOUT,
};

pub use reqwest;
pub use reqwest::Method;
pub use serde_json::{self, json, Value};

/// The event store a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Store {
    /// An SQLite file in a fresh temporary data directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server of `OMI_TEST_POSTGRES_URL`.
    Postgres,
}

impl Store {
    pub const ALL: [Store; 2] = [Store::Sqlite, Store::Postgres];

    pub fn name(self) -> &'static str {
        match self {
            Store::Sqlite => "sqlite",
            Store::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a test on `store` should run: always for SQLite; for PostgreSQL only when
/// `OMI_TEST_POSTGRES_URL` is set (else it prints [`SKIP_MESSAGE`], or panics when `OMI_REQUIRE_POSTGRES=1`).
pub fn store_available(store: Store) -> bool {
    match store {
        Store::Sqlite => true,
        Store::Postgres => postgres_or_skip().is_some(),
    }
}

/// Starts a server on `store` and runs `test` with it (the body of [`both_stores!`]); skips as
/// [`store_available`] says.
pub async fn run_with_server<F, Fut>(store: Store, test: F)
where
    F: FnOnce(TestServer) -> Fut,
    Fut: Future<Output = ()>,
{
    if !store_available(store) {
        return;
    }
    test(TestServer::start(store).await).await;
}

/// Runs `test` with `store` (the body of `both_stores!(with_store …)`); skips as [`store_available`] says.
pub async fn run_with_store<F, Fut>(store: Store, test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    if !store_available(store) {
        return;
    }
    test(store).await;
}

/// Writes a test once and runs it on both stores, as `NAME::sqlite` and `NAME::postgres`.
///
/// - `both_stores!(NAME, |server| async move { … })`: `server` is a fresh [`TestServer`].
/// - `both_stores!(with_store NAME, |store| async move { … })`: `store` is the [`Store`]; the test starts
///   its own servers.
///
/// The `postgres` variant skips (prints [`SKIP_MESSAGE`]) without `OMI_TEST_POSTGRES_URL`, and fails
/// instead when `OMI_REQUIRE_POSTGRES=1`. The calling crate needs `tokio` (with `macros` and
/// `rt-multi-thread`) as a dependency.
#[macro_export]
macro_rules! both_stores {
    (with_store $name:ident, $test:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[::tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                $crate::run_with_store($crate::Store::Sqlite, $test).await;
            }

            #[::tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                $crate::run_with_store($crate::Store::Postgres, $test).await;
            }
        }
    };
    ($name:ident, $test:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[::tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                $crate::run_with_server($crate::Store::Sqlite, $test).await;
            }

            #[::tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                $crate::run_with_server($crate::Store::Postgres, $test).await;
            }
        }
    };
}
