//! The change feed on PostgreSQL never shows an event before an earlier one in commit order that is still being
//! written: a log writer held open (as a script appending inside a long transaction would) holds back the events
//! after it, in pages and in the event stream, and once it commits both are shown once, in commit order.

use crate::feed_support;

use std::time::Duration;

use feed_support::*;
use omi_tests::*;
use sqlx::{Connection, Executor, PgConnection};

const INSERT: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
    VALUES ('Memory', $1, 1, 'MemoryCreated', '1.0', CAST($2 AS JSON), CAST($3 AS JSON))";

/// Opens a log writer's transaction: it takes its transaction id once it has marked itself as one.
async fn begin_append(conn: &mut PgConnection) {
    conn.execute("BEGIN").await.unwrap();
    conn.execute("SELECT omi_begin_append()").await.unwrap();
    conn.execute("SELECT pg_current_xact_id()").await.unwrap();
}

async fn append(conn: &mut PgConnection, uid: &str, id: &str) {
    conn.execute(
        sqlx::query(INSERT)
            .bind(id)
            .bind(memory_created_payload(uid, id))
            .bind(system_metadata(uid)),
    )
    .await
    .unwrap();
}

/// Two log writers; the one held open got the lower transaction id when `held_lower`, else the higher one.
async fn held_writer(held_lower: bool) {
    let server = TestServer::start(Store::Postgres).await;
    let token = server.token("gail").await;
    create_memories(&server, &token, "before", 1).await;
    let (_, cursor) = read_to_end(&server, "/v1/changes", &token, "", 100).await;
    let mut stream = EventStream::open(
        &server,
        &format!("/v1/changes/stream?after={cursor}"),
        &token,
        None,
    )
    .await;

    let url = server.data().database_url().unwrap().to_string();
    let mut held = PgConnection::connect(&url).await.unwrap();
    let mut other = PgConnection::connect(&url).await.unwrap();
    if held_lower {
        begin_append(&mut held).await;
        begin_append(&mut other).await;
    } else {
        begin_append(&mut other).await;
        begin_append(&mut held).await;
    }
    append(&mut held, "gail", "held-memory").await;
    append(&mut other, "gail", "other-memory").await;
    other.execute("COMMIT").await.unwrap();

    let (expected_first, seen_while_held) = if held_lower {
        // The later event waits behind the held one in commit order.
        ("held-memory", Vec::<String>::new())
    } else {
        ("other-memory", vec!["other-memory".to_string()])
    };
    for _ in 0..5 {
        let (shown, _) = read_to_end(&server, "/v1/changes", &token, &cursor, 100).await;
        assert_eq!(created_memories(&shown), seen_while_held);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let streamed = stream.events_until_quiet(Duration::from_secs(1)).await;
    let streamed_ids: Vec<String> = streamed
        .iter()
        .map(|(_, _, data)| data["aggregate_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(streamed_ids, seen_while_held, "the stream waits too");

    held.execute("COMMIT").await.unwrap();
    let order = if held_lower {
        vec!["held-memory", "other-memory"]
    } else {
        vec!["other-memory", "held-memory"]
    };
    assert_eq!(order[0], expected_first);
    let (shown, _) = read_to_end(&server, "/v1/changes", &token, &cursor, 1).await;
    assert_each_once(&shown);
    assert_eq!(
        created_memories(&shown),
        order,
        "both once, in commit order"
    );

    let mut streamed_ids = streamed_ids;
    while let Some((_, _, data)) = stream.next_event(Duration::from_secs(5)).await {
        streamed_ids.push(data["aggregate_id"].as_str().unwrap().to_string());
        if streamed_ids.len() >= 2 {
            break;
        }
    }
    assert_eq!(
        streamed_ids, order,
        "the stream delivers both once, in commit order"
    );
    assert!(
        stream.next_event(Duration::from_secs(1)).await.is_none(),
        "nothing is repeated"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_writer_with_the_lower_transaction_id_holds_back_the_later_event_and_is_then_shown_first(
) {
    if store_available(Store::Postgres) {
        held_writer(true).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_writer_with_the_higher_transaction_id_is_shown_after_the_earlier_event_once_it_commits(
) {
    if store_available(Store::Postgres) {
        held_writer(false).await;
    }
}

/// A log writer held open in another database of the same cluster (another omi-server's log) appends to a log of
/// its own: it holds back neither this database's writes nor its feed.
#[tokio::test(flavor = "multi_thread")]
async fn a_log_writer_held_in_another_database_holds_nothing_back() {
    if !store_available(Store::Postgres) {
        return;
    }
    let server = TestServer::start_with(
        Store::Postgres,
        StartOptions::new().env("OMI_READ_YOUR_WRITES_TIMEOUT_MS", "3000"),
    )
    .await;
    let elsewhere = TestServer::start(Store::Postgres).await;
    let token = server.token("hugo").await;
    let url = elsewhere.data().database_url().unwrap().to_string();
    let mut held = PgConnection::connect(&url).await.unwrap();
    begin_append(&mut held).await;
    append(&mut held, "hugo", "held-elsewhere").await;

    let written = create_memories(&server, &token, "here", 3).await;
    let (shown, _) = read_to_end(&server, "/v1/changes", &token, "", 100).await;
    assert_eq!(created_memories(&shown), written);
    held.execute("ROLLBACK").await.unwrap();
}
