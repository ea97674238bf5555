//! The commit-order watermark on PostgreSQL: readers wait only for transactions that append to the log, never
//! skip one that commits late, and are not held back by transactions on other tables or in other databases.

use std::time::{Duration, Instant};

use omi_tests::*;
use sqlx::{Connection, Executor, PgConnection};

const INSERT: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
    VALUES ('Memory', $1, 1, 'MemoryCreated', '1.0', CAST($2 AS JSON), CAST($3 AS JSON))";

fn insert(
    uid: &str,
    id: &str,
    content: &str,
) -> sqlx::query::Query<'static, sqlx::Postgres, sqlx::postgres::PgArguments> {
    sqlx::query(INSERT)
        .bind(id.to_string())
        .bind(memory_created_payload(uid, content))
        .bind(system_metadata(uid))
}

async fn transaction_id(conn: &mut PgConnection) -> i64 {
    let (id,): (i64,) = sqlx::query_as("SELECT CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)")
        .fetch_one(conn)
        .await
        .unwrap();
    id
}

fn contents(listed: &Value) -> Vec<String> {
    listed
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|m| m["content"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Polls the user's memories until `check` holds (true) or 15 s pass (false).
async fn eventually(server: &TestServer, token: &str, check: impl Fn(&[String]) -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        if check(&contents(
            &server.get("/v1/memories?limit=500", token).await.json,
        )) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Two log writers, held open in turn; `lower_first` decides whether the one held longest got the lower
/// transaction id (the case a reader without the watermark gets wrong: it passes the lower id while that
/// transaction is still running and never comes back for it) or the higher one.
async fn late_commit(lower_first: bool) {
    let server = TestServer::start(Store::Postgres).await;
    let token = server.token("dave").await;
    let url = server.data().database_url().unwrap().to_string();
    let mut held = PgConnection::connect(&url).await.unwrap();
    let mut other = PgConnection::connect(&url).await.unwrap();
    held.execute("BEGIN").await.unwrap();
    other.execute("BEGIN").await.unwrap();
    // A transaction that writes anything before it appends must say so first (the log refuses it otherwise).
    let (first, second) = if lower_first {
        (&mut held, &mut other)
    } else {
        (&mut other, &mut held)
    };
    first.execute("SELECT omi_begin_append()").await.unwrap();
    let first_id = transaction_id(first).await;
    second.execute("SELECT omi_begin_append()").await.unwrap();
    let second_id = transaction_id(second).await;
    assert!(first_id < second_id);
    held.execute(insert("dave", "held-memory", "held open"))
        .await
        .unwrap();
    other
        .execute(insert("dave", "other-memory", "committed first"))
        .await
        .unwrap();
    other.execute("COMMIT").await.unwrap();

    if !lower_first {
        assert!(
            eventually(&server, &token, |c| c.contains(&"committed first".into())).await,
            "an event above every running log writer is projected at once"
        );
    }
    assert!(!contents(&server.get("/v1/memories", &token).await.json).contains(&"held open".into()));

    held.execute("COMMIT").await.unwrap();
    assert!(
        eventually(&server, &token, |c| c.len() == 2).await,
        "both events are projected, the late one included: {:?}",
        contents(&server.get("/v1/memories", &token).await.json)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_writer_with_the_lower_transaction_id_that_commits_late_is_never_skipped() {
    if store_available(Store::Postgres) {
        late_commit(true).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_writer_with_the_higher_transaction_id_that_commits_late_is_never_skipped() {
    if store_available(Store::Postgres) {
        late_commit(false).await;
    }
}

/// Where the held transaction runs.
enum Elsewhere {
    /// On a table of the server's own database.
    OtherTable,
    /// In another database of the same cluster.
    OtherDatabase,
}

/// A transaction that writes elsewhere stays open (taking its transaction id before or after the API's writes
/// start) while the API writes: every write answers at once and is read back, with a short read-your-writes
/// timeout that would turn any wait for the held transaction into a 503.
async fn writes_go_on_while(elsewhere: Elsewhere, held_first: bool) {
    let server = TestServer::start_with(
        Store::Postgres,
        StartOptions::new().env("OMI_READ_YOUR_WRITES_TIMEOUT_MS", "3000"),
    )
    .await;
    let token = server.token("erin").await;
    let url = match elsewhere {
        Elsewhere::OtherTable => server.data().database_url().unwrap().to_string(),
        Elsewhere::OtherDatabase => postgres_admin_url().unwrap(),
    };
    let mut held = PgConnection::connect(&url).await.unwrap();
    held.execute("CREATE TABLE IF NOT EXISTS unrelated_work (n BIGINT)")
        .await
        .unwrap();
    if !held_first {
        let before = server
            .post("/v1/memories", &token, json!({"content": "before"}))
            .await;
        before.assert_status(200);
    }
    held.execute("BEGIN").await.unwrap();
    held.execute("INSERT INTO unrelated_work VALUES (1)")
        .await
        .unwrap();
    for n in 0..5 {
        let started = Instant::now();
        let created = server
            .post(
                "/v1/memories",
                &token,
                json!({"content": format!("write {n}")}),
            )
            .await;
        created.assert_status(200);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "a write answered only after {:?}",
            started.elapsed()
        );
        let read = server
            .get(
                &format!("/v1/memories/{}", created["id"].as_str().unwrap()),
                &token,
            )
            .await;
        read.assert_status(200);
    }
    held.execute("ROLLBACK").await.unwrap();
    held.execute("DROP TABLE unrelated_work").await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_held_on_another_table_before_the_writes_never_delays_them() {
    if store_available(Store::Postgres) {
        writes_go_on_while(Elsewhere::OtherTable, true).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_held_on_another_table_after_a_write_never_delays_the_next() {
    if store_available(Store::Postgres) {
        writes_go_on_while(Elsewhere::OtherTable, false).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transaction_held_in_another_database_never_delays_writes() {
    if store_available(Store::Postgres) {
        writes_go_on_while(Elsewhere::OtherDatabase, true).await;
    }
}

/// A transaction that wrote elsewhere first and then appends could hold a lower transaction id than events a
/// reader already passed: the log refuses it, and nothing of it is read.
#[tokio::test(flavor = "multi_thread")]
async fn an_append_after_other_writes_in_the_same_transaction_is_refused() {
    if !store_available(Store::Postgres) {
        return;
    }
    let server = TestServer::start(Store::Postgres).await;
    let url = server.data().database_url().unwrap().to_string();
    let mut conn = PgConnection::connect(&url).await.unwrap();
    conn.execute("BEGIN").await.unwrap();
    transaction_id(&mut conn).await;
    let refused = conn.execute(insert("fay", "late-writer", "refused")).await;
    let message = refused.unwrap_err().to_string();
    assert!(
        message.contains("events must be appended before the transaction writes anything else"),
        "{message}"
    );
    conn.execute("ROLLBACK").await.unwrap();
}

/// What `omi_events_of_after` (the reactions' read) returns after the start of the log: (transaction, position,
/// aggregate id) of each wanted event, and the position it says the read covered.
async fn typed_read(
    conn: &mut PgConnection,
    wanted: &str,
) -> (Vec<(i64, i64, String)>, Option<(i64, i64)>) {
    let rows: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT tx, global_position, aggregate_id
         FROM omi_events_of_after(ARRAY[$1], CAST('0' AS xid8), 0, 100)",
    )
    .bind(wanted)
    .fetch_all(conn)
    .await
    .unwrap();
    let mut events = Vec::new();
    let mut covered = None;
    for (tx, position, id) in rows {
        match id {
            Some(id) => events.push((tx, position, id)),
            None => covered = Some((tx, position)),
        }
    }
    (events, covered)
}

/// The reactions read only their own aggregate types, and still never pass a log writer with a lower transaction
/// id that commits late: neither its wanted events nor the position the read says it covered go past it, whether
/// the events in flight are of the wanted type or of another.
#[tokio::test(flavor = "multi_thread")]
async fn a_read_of_some_types_never_covers_a_log_writer_that_commits_late() {
    if !store_available(Store::Postgres) {
        return;
    }
    let server = TestServer::start(Store::Postgres).await;
    let url = server.data().database_url().unwrap().to_string();
    let mut reader = PgConnection::connect(&url).await.unwrap();
    let mut held = PgConnection::connect(&url).await.unwrap();
    let mut other = PgConnection::connect(&url).await.unwrap();
    let mut before = PgConnection::connect(&url).await.unwrap();
    before
        .execute(insert("gus", "before-memory", "committed before"))
        .await
        .unwrap();
    held.execute("BEGIN").await.unwrap();
    other.execute("BEGIN").await.unwrap();
    held.execute("SELECT omi_begin_append()").await.unwrap();
    let held_id = transaction_id(&mut held).await;
    other.execute("SELECT omi_begin_append()").await.unwrap();
    held.execute(insert("gus", "held-memory", "held open"))
        .await
        .unwrap();
    other
        .execute(insert("gus", "other-memory", "committed first"))
        .await
        .unwrap();
    other.execute("COMMIT").await.unwrap();

    let (events, covered) = typed_read(&mut reader, "Memory").await;
    let ids: Vec<&str> = events.iter().map(|(_, _, id)| id.as_str()).collect();
    assert_eq!(
        ids,
        ["before-memory"],
        "nothing past the held writer: {events:?}"
    );
    assert!(covered.is_some_and(|(tx, _)| tx < held_id), "{covered:?}");
    let (none, covered_other) = typed_read(&mut reader, "Conversation").await;
    assert!(none.is_empty());
    // Its bound is the snapshot's xmin, which a transaction of another test may hold lower still: then it
    // covers nothing yet.
    assert!(
        covered_other.is_none_or(|(tx, _)| tx < held_id),
        "a read of another type covers nothing past the held writer either: {covered_other:?}"
    );

    held.execute("COMMIT").await.unwrap();
    let (events, covered) = typed_read(&mut reader, "Memory").await;
    let mut ids: Vec<&str> = events.iter().map(|(_, _, id)| id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["before-memory", "held-memory", "other-memory"]);
    let last = events.iter().map(|(tx, p, _)| (*tx, *p)).max();
    assert_eq!(covered, last, "the read covers the log to its last event");
    let (none, covered_other) = typed_read(&mut reader, "Conversation").await;
    assert!(none.is_empty());
    assert!(covered_other.is_none_or(|at| at <= last.unwrap()));
}
