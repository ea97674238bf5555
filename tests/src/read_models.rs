//! The read models of a test server's store, row by row, for replay-equality checks: which tables exist comes
//! from the server's own registry (`omi-server read-models`), so a new read model is compared without a change
//! here.

use std::collections::BTreeMap;

use serde_json::Value;
use sqlx::{Connection, Row};

use crate::server::{TestData, TestServer};

/// Every read model of the server: (name, its tables), from `omi-server read-models`.
pub async fn read_models(server: &TestServer) -> Vec<(String, Vec<String>)> {
    let listed = server.cli(&["read-models"]).await;
    listed.assert_success();
    listed
        .stdout
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(name, tables)| {
            (
                name.to_string(),
                tables.split(',').map(str::to_string).collect(),
            )
        })
        .collect()
}

/// Every row of every read-model table of `data`'s store (read directly, with the server stopped or running),
/// each row as JSON (an object of its columns on PostgreSQL, an array on SQLite), the rows of a table sorted.
pub async fn read_model_rows(
    data: &TestData,
    models: &[(String, Vec<String>)],
) -> BTreeMap<String, Vec<Value>> {
    let mut all = BTreeMap::new();
    for (_, tables) in models {
        for table in tables {
            let mut rows = table_rows(data, table).await;
            rows.sort_by_key(|row| row.to_string());
            all.insert(table.clone(), rows);
        }
    }
    all
}

async fn table_rows(data: &TestData, table: &str) -> Vec<Value> {
    match data.database_url() {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let rows = sqlx::query(&format!(
                "SELECT CAST(row_to_json(t) AS TEXT) FROM {table} AS t"
            ))
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("reading {table}: {e}"));
            rows.iter()
                .map(|row| serde_json::from_str(&row.get::<String, _>(0)).unwrap())
                .collect()
        }
        None => {
            let path = data.dir().join("omi.db");
            let mut conn =
                sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display()))
                    .await
                    .unwrap();
            let columns: Vec<String> =
                sqlx::query(&format!("SELECT name FROM pragma_table_info('{table}')"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap()
                    .iter()
                    .map(|row| row.get::<String, _>(0))
                    .collect();
            assert!(!columns.is_empty(), "no table {table}");
            let rows = sqlx::query(&format!(
                "SELECT json_array({}) FROM {table}",
                columns.join(", ")
            ))
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("reading {table}: {e}"));
            rows.iter()
                .map(|row| serde_json::from_str(&row.get::<String, _>(0)).unwrap())
                .collect()
        }
    }
}
