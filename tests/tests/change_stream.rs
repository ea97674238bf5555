//! The change feed as Server-Sent Events (`GET /v1/changes/stream`): the events so far, then new ones as they are
//! appended, a reconnection with `Last-Event-ID` going on without gap or repeat, keep-alive comments, a bound on
//! open streams, and a client that stops reading for a while losing nothing.

use crate::feed_support;

use std::time::Duration;

use feed_support::*;
use omi_tests::*;

const QUICK_KEEPALIVE: (&str, &str) = ("OMI_CHANGES_KEEPALIVE_SECS", "0.5");

fn quick_keepalive() -> StartOptions {
    StartOptions::new().env(QUICK_KEEPALIVE.0, QUICK_KEEPALIVE.1)
}

both_stores!(with_store a_stream_delivers_the_past_then_live_events_and_resumes_from_last_event_id, |store| async move {
    let server = TestServer::start_with(store, quick_keepalive()).await;
    let token = server.token("hana").await;
    let other = server.token("ivan").await;
    let mut written = create_memories(&server, &token, "past", 3).await;

    let mut stream = EventStream::open(&server, "/v1/changes/stream", &token, None).await;
    assert_eq!(
        stream.next(Duration::from_secs(5)).await,
        Some(Frame::Comment("connected".into()))
    );
    let mut received = Vec::new();
    for _ in 0..3 {
        received.push(stream.next_event(Duration::from_secs(5)).await.expect("a past event"));
    }

    // Live: each new event arrives without asking; another user's never does.
    create_memories(&server, &other, "not hana's", 2).await;
    for n in 0..3 {
        written.extend(create_memories(&server, &token, &format!("live {n}"), 1).await);
        let live = stream
            .next_event(Duration::from_secs(5))
            .await
            .expect("a live event within 5 s");
        received.push(live);
    }
    for (id, event, data) in &received {
        assert_eq!(id, data["position"].as_str().unwrap(), "id: is the event's cursor");
        assert_eq!(event, data["event"].as_str().unwrap(), "event: is the stored name");
        assert!(!data.to_string().contains("ivan"));
    }

    // Keep-alive comments come while nothing happens.
    let quiet = stream.next(Duration::from_secs(5)).await;
    assert_eq!(quiet, Some(Frame::Comment("keep-alive".into())));
    drop(stream);

    // Events appended while disconnected come first after a reconnection, none again.
    written.extend(create_memories(&server, &token, "offline", 2).await);
    let last = received.last().unwrap().0.clone();
    let mut resumed = EventStream::open(&server, "/v1/changes/stream", &token, Some(&last)).await;
    received.extend(resumed.events_until_quiet(Duration::from_secs(2)).await);
    // `Last-Event-ID` wins over `?after=`.
    let first_id = received[0].0.clone();
    let mut both = EventStream::open(
        &server,
        &format!("/v1/changes/stream?after={first_id}"),
        &token,
        Some(&last),
    )
    .await;
    let after_last = both.events_until_quiet(Duration::from_secs(2)).await;
    assert_eq!(after_last.len(), 2);

    let datas: Vec<Value> = received.iter().map(|(_, _, data)| data.clone()).collect();
    assert_each_once(&datas);
    assert_eq!(created_memories(&datas), written);
    let (paged, _) = read_to_end(&server, "/v1/changes", &token, "", 100).await;
    assert_eq!(paged, datas, "the stream shows what the pages show");
});

both_stores!(with_store streams_beyond_the_bound_are_refused_until_one_closes, |store| async move {
    let server = TestServer::start_with(store, quick_keepalive().env("OMI_MAX_CHANGE_STREAMS", "2")).await;
    let token = server.token("jade").await;
    let first = EventStream::open(&server, "/v1/changes/stream", &token, None).await;
    let _second = EventStream::open(&server, "/v1/changes/stream", &token, None).await;
    let refused = EventStream::request(&server, "/v1/changes/stream", &token, None).await;
    assert_eq!(refused.status().as_u16(), 503);
    let detail: Value = refused.json().await.unwrap();
    assert!(
        detail["detail"].as_str().unwrap().contains("Too many change streams"),
        "{detail}"
    );
    // Pages are not streams.
    server.get("/v1/changes", &token).await.assert_status(200);
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let again = EventStream::request(&server, "/v1/changes/stream", &token, None).await;
        if again.status().as_u16() == 200 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the closed stream's place was never freed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
});

both_stores!(with_store a_client_that_stops_reading_loses_nothing_and_holds_no_one_back, |store| async move {
    let server = TestServer::start_with(store, quick_keepalive()).await;
    let token = server.token("kai").await;
    let mut slow = EventStream::open(&server, "/v1/changes/stream", &token, None).await;
    let mut brisk = EventStream::open(&server, "/v1/changes/stream", &token, None).await;
    let mut written = Vec::new();
    for batch in 0..4 {
        let memories: Vec<Value> = (0..50)
            .map(|n| json!({"content": format!("batch {batch} memory {n} {}", "x".repeat(400))}))
            .collect();
        let created = server
            .post("/v3/memories/batch", &token, json!({"memories": memories}))
            .await;
        created.assert_status(200);
        written.extend(
            created["memories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string()),
        );
    }
    let brisk_events = brisk.events_until_quiet(Duration::from_secs(3)).await;
    assert_eq!(brisk_events.len(), written.len(), "the reading client is not held back");
    // The slow client reads only now.
    let slow_events = slow.events_until_quiet(Duration::from_secs(3)).await;
    let datas: Vec<Value> = slow_events.iter().map(|(_, _, data)| data.clone()).collect();
    assert_each_once(&datas);
    let mut shown = created_memories(&datas);
    let mut expected = written.clone();
    shown.sort();
    expected.sort();
    assert_eq!(shown, expected);
});

/// A stream on one server process delivers what another process on the same PostgreSQL database appends.
#[tokio::test(flavor = "multi_thread")]
async fn a_stream_delivers_what_another_process_appends() {
    if !store_available(Store::Postgres) {
        return;
    }
    let writer = TestServer::start(Store::Postgres).await;
    let reader = TestServer::start_with(
        Store::Postgres,
        quick_keepalive().reuse_database(writer.data()),
    )
    .await;
    let token = writer.token("lars").await;
    let mut stream = EventStream::open(&reader, "/v1/changes/stream", &token, None).await;
    let mut written = Vec::new();
    for n in 0..3 {
        written.extend(create_memories(&writer, &token, &format!("elsewhere {n}"), 1).await);
        let (_, _, data) = stream
            .next_event(Duration::from_secs(5))
            .await
            .expect("the other process's event within 5 s");
        assert_eq!(data["aggregate_id"], written[n].as_str());
    }
}

both_stores!(with_store open_streams_do_not_hold_a_shutdown_back, |store| async move {
    let mut server = TestServer::start_with(store, quick_keepalive()).await;
    let token = server.token("mona").await;
    let mut stream = EventStream::open(&server, "/v1/changes/stream", &token, None).await;
    assert!(stream.next(Duration::from_secs(5)).await.is_some());
    let (status, took) = server
        .terminate(Duration::from_secs(15))
        .await
        .expect("the server exits after SIGTERM");
    assert!(status.success(), "{status}");
    assert!(took < Duration::from_secs(10), "shutdown took {took:?}");
    let mut ended = false;
    for _ in 0..20 {
        if stream.next(Duration::from_millis(500)).await.is_none() {
            ended = true;
            break;
        }
    }
    assert!(ended, "the stream ends with the server");
});
