//! The change feed's pages (`GET /v1/changes`, `/v1/dev/user/changes`): the caller's own events, each once and in
//! commit order, across pages, restarts and server processes; bad cursors and limits refused.

use crate::feed_support;

use std::collections::HashSet;
use std::time::Duration;

use feed_support::*;
use omi_tests::*;

both_stores!(
    pages_show_each_of_the_callers_own_events_once_in_commit_order,
    |server| async move {
        let alice = server.token("alice").await;
        let bob = server.token("bob").await;
        let mut written = create_memories(&server, &alice, "alice", 5).await;
        create_memories(&server, &bob, "bob", 3).await;
        written.extend(create_memories(&server, &alice, "alice later", 2).await);
        server
            .put(
                &format!("/v1/memories/{}", written[1]),
                &alice,
                json!({"content": "edited"}),
            )
            .await
            .assert_status(200);
        server
            .delete(&format!("/v1/memories/{}", written[2]), &alice)
            .await
            .assert_status(200);

        let (events, cursor) = read_to_end(&server, "/v1/changes", &alice, "", 3).await;
        assert_each_once(&events);
        assert_eq!(
            events.len(),
            9,
            "7 created, 1 edited, 1 deleted: {events:#?}"
        );
        assert_eq!(
            created_memories(&events),
            written,
            "in the order they were written"
        );
        let names: Vec<&str> = events[7..]
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["MemoryEdited", "MemoryDeleted"]);
        for event in &events {
            assert_eq!(event["actor"], "user");
            assert_eq!(event["aggregate_type"], "Memory");
            assert_eq!(event["version"], "1.0");
            let payload = &event["payload"][event["event"].as_str().unwrap()];
            assert!(payload.is_object(), "the payload as stored: {event}");
            assert!(
                !event.to_string().contains("bob"),
                "another user's event: {event}"
            );
        }
        assert_eq!(events[0]["sequence"], 1);
        assert_eq!(events[7]["sequence"], 2);
        assert_eq!(events[7]["payload"]["MemoryEdited"]["content"], "edited");

        // The end of the feed: an empty page keeps the cursor; a new event follows it.
        let (none, same) = page(&server, "/v1/changes", &alice, &cursor, 100).await;
        assert!(none.is_empty());
        assert_eq!(same, cursor);
        let newest = create_memories(&server, &alice, "newest", 1).await;
        let (next, _) = page(&server, "/v1/changes", &alice, &cursor, 100).await;
        assert_eq!(created_memories(&next), newest);

        // Paging from any event's position goes on right after it.
        let from_third = events[2]["position"].as_str().unwrap();
        let (rest, _) = read_to_end(&server, "/v1/changes", &alice, from_third, 1000).await;
        assert_eq!(rest.len(), events.len() - 3 + 1);
        assert_eq!(rest[0]["id"], events[3]["id"]);

        // Bob sees only his own.
        let (bobs, _) = read_to_end(&server, "/v1/changes", &bob, "", 100).await;
        assert_eq!(bobs.len(), 3);
        assert!(bobs.iter().all(|e| !e.to_string().contains("alice")));
    }
);

both_stores!(bad_cursors_and_limits_are_refused, |server| async move {
    let token = server.token("carol").await;
    create_memories(&server, &token, "carol", 1).await;
    let long = "A".repeat(10_000);
    for after in ["garbage", "MC4x.", "%FF%FE", &long] {
        let refused = server
            .get(&format!("/v1/changes?after={after}"), &token)
            .await;
        refused.assert_status(400);
        assert!(
            refused["detail"]
                .as_str()
                .unwrap()
                .contains("Invalid cursor"),
            "{}",
            refused.text
        );
    }
    let nul = server.get("/v1/changes?after=MC4x%00", &token).await;
    assert!(
        (400..500).contains(&nul.status),
        "NUL in a cursor: {}",
        nul.status
    );
    assert!(nul["detail"].is_string() || nul["detail"].is_array());
    for limit in ["0", "1001", "1000000000000", "-1", "ten"] {
        let refused = server
            .get(&format!("/v1/changes?limit={limit}"), &token)
            .await;
        refused.assert_status(422);
    }
    server
        .get("/v1/changes?limit=1000", &token)
        .await
        .assert_status(200);
    server
        .get("/v1/changes", "not a token")
        .await
        .assert_status(401);
    let stream = EventStream::request(&server, "/v1/changes/stream", &token, Some("garbage")).await;
    assert_eq!(stream.status().as_u16(), 400);
    let detail: Value = stream.json().await.unwrap();
    assert!(detail["detail"]
        .as_str()
        .unwrap()
        .contains("Invalid cursor"));
    let unauthenticated = reqwest::Client::new()
        .get(server.url("/v1/changes/stream"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status().as_u16(), 401);
});

both_stores!(with_store a_restart_between_two_pages_skips_and_repeats_nothing, |store| async move {
    let mut server = TestServer::start(store).await;
    let token = server.token("dora").await;
    let mut written = create_memories(&server, &token, "before", 6).await;
    let (first, cursor) = page(&server, "/v1/changes", &token, "", 4).await;
    server.restart().await;
    written.extend(create_memories(&server, &token, "after", 3).await);
    let (rest, _) = read_to_end(&server, "/v1/changes", &token, &cursor, 4).await;
    let mut all = first;
    all.extend(rest);
    assert_each_once(&all);
    assert_eq!(created_memories(&all), written);
});

/// Two server processes on one PostgreSQL database, written through at once, read alternately by one client.
#[tokio::test(flavor = "multi_thread")]
async fn two_processes_on_one_postgres_read_alternately_skip_and_repeat_nothing() {
    if !store_available(Store::Postgres) {
        return;
    }
    let first = TestServer::start(Store::Postgres).await;
    let second = TestServer::start_with(
        Store::Postgres,
        StartOptions::new().reuse_database(first.data()),
    )
    .await;
    let token = first.token("erik").await;
    let writers = async {
        let (a, b) = tokio::join!(
            create_memories(&first, &token, "first", 15),
            create_memories(&second, &token, "second", 15)
        );
        a.into_iter().chain(b).collect::<HashSet<_>>()
    };
    let reader = async {
        let mut all = Vec::new();
        let mut cursor = String::new();
        for turn in 0..40 {
            let server = if turn % 2 == 0 { &first } else { &second };
            let (events, next) = page(server, "/v1/changes", &token, &cursor, 2).await;
            all.extend(events);
            cursor = next;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (all, cursor)
    };
    let (written, (mut read, cursor)) = tokio::join!(writers, reader);
    let (rest, _) = read_to_end(&second, "/v1/changes", &token, &cursor, 3).await;
    read.extend(rest);
    assert_each_once(&read);
    let shown: HashSet<String> = created_memories(&read).into_iter().collect();
    assert_eq!(shown, written);
    assert_eq!(read.len(), 30);
}

both_stores!(
    developer_keys_read_the_feed_with_changes_read_only,
    |server| async move {
        let token = server.token("fred").await;
        let key = |scopes: Value| {
            let server = &server;
            let token = &token;
            async move {
                let created = server
                    .post(
                        "/v1/dev/keys",
                        token,
                        json!({"name": "feed", "scopes": scopes}),
                    )
                    .await;
                created.assert_status(200);
                (
                    created["id"].as_str().unwrap().to_string(),
                    created["key"].as_str().unwrap().to_string(),
                )
            }
        };
        let (reader_id, reader) = key(json!(["changes:read", "memories:write"])).await;
        let (_, other) = key(json!(["memories:read", "memories:write"])).await;
        create_memories(&server, &token, "by the app", 2).await;
        server
            .post(
                "/v1/dev/user/memories",
                &reader,
                json!({"content": "by a script"}),
            )
            .await
            .assert_status(200);

        let (by_key, _) = read_to_end(&server, "/v1/dev/user/changes", &reader, "", 2).await;
        let (by_user, _) = read_to_end(&server, "/v1/changes", &token, "", 100).await;
        let ids = |events: &[Value]| events.iter().map(|e| e["id"].clone()).collect::<Vec<_>>();
        assert!(by_user.len() >= 3, "{by_user:#?}");
        assert_eq!(ids(&by_key), ids(&by_user));
        let scripted = by_key
            .iter()
            .find(|e| e["payload"]["MemoryCreated"]["content"] == "by a script")
            .unwrap();
        assert_eq!(scripted["actor"], format!("developer_key:{reader_id}"));

        for path in [
            "/v1/dev/user/changes",
            "/v1/dev/user/changes/stream",
            "/v1/dev/user/changes?limit=5000",
        ] {
            let refused = server.get(path, &other).await;
            refused.assert_status(403);
            assert_eq!(
                refused["detail"],
                "Insufficient permissions. Required scope: changes:read"
            );
        }
        server
            .get("/v1/dev/user/changes?after=garbage", &reader)
            .await
            .assert_status(400);
        server
            .get("/v1/dev/user/changes?limit=1001", &reader)
            .await
            .assert_status(422);
        let mut stream =
            EventStream::open(&server, "/v1/dev/user/changes/stream", &reader, None).await;
        let streamed = stream.events_until_quiet(Duration::from_secs(2)).await;
        let streamed_ids: Vec<Value> = streamed
            .iter()
            .map(|(_, _, data)| data["id"].clone())
            .collect();
        // Key uses are recorded as they happen (`last_used_at`), so the log may have grown meanwhile: the stream
        // shows everything paged before, in the same order, and only what the pages show now.
        let (now, _) = read_to_end(&server, "/v1/changes", &token, "", 100).await;
        assert_eq!(streamed_ids[..by_user.len()], ids(&by_user)[..]);
        assert_eq!(streamed_ids[..], ids(&now)[..streamed_ids.len()]);
        // A user token is no developer key.
        server
            .get("/v1/dev/user/changes", &token)
            .await
            .assert_status(401);
    }
);
