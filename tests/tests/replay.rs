//! Replay equality over every read model of the registry, row by row: a full replay and a replay of each read
//! model alone rebuild exactly the rows the live projector wrote, on both stores.

use crate::apps_support;

use std::time::{Duration, Instant};

use omi_tests::*;

/// The admin secret of the servers of these tests (operators' notifications need it).
const REPLAY_ADMIN_KEY: &str = apps_support::ADMIN_KEY;

/// Memories, action items, conversations (processed into action items, memories and trends, edited, one deleted),
/// keys (one revoked), a shared daily summary, changed daily summary settings, a generated wrapped, goals with
/// progress, a profile and people, a developer webhook with its deliveries, for two users; and apps with logos,
/// installations, reviews, keys, a rotated webhook secret and a summarization app's result; the conversations
/// and memories are embedded for semantic search.
async fn write_everything(server: &TestServer) {
    for uid in ["alice", "bob"] {
        let token = server.token(uid).await;
        for n in 0..4 {
            let created = server
                .post(
                    "/v1/memories",
                    &token,
                    json!({"content": format!("{uid} fact {n}")}),
                )
                .await;
            created.assert_status(200);
            let id = created["id"].as_str().unwrap();
            if n % 2 == 0 {
                server
                    .put(
                        &format!("/v1/memories/{id}"),
                        &token,
                        json!({"content": format!("{uid} fact {n}, edited")}),
                    )
                    .await
                    .assert_status(200);
            }
            if n == 3 {
                server
                    .delete(&format!("/v1/memories/{id}"), &token)
                    .await
                    .assert_status(200);
            }
        }
        let item = server
            .post(
                "/v1/action-items",
                &token,
                json!({"description": format!("{uid} task"), "due_at": "2026-12-01T09:00:00Z"}),
            )
            .await;
        item.assert_status(200);
        server
            .patch(
                &format!("/v1/action-items/{}", item["id"].as_str().unwrap()),
                &token,
                json!({"completed": true}),
            )
            .await
            .assert_status(200);
        write_profile_and_people(server, &token).await;
        write_devices_and_notifications(server, &token, uid).await;
        // A developer webhook: each processed conversation schedules a delivery (refused: a private address).
        server
            .post(
                "/v1/users/developer/webhook/memory_created",
                &token,
                json!({"url": "http://127.0.0.1:9/hook"}),
            )
            .await
            .assert_status(200);
        write_chat(server, &token).await;
        let mut conversations = Vec::new();
        for text in [
            "I'll send the quarterly report to Ann tomorrow at 9am. I prefer working from home on Fridays.",
            "We talked about the trip to Lisbon. I need to book the flights by Friday. My new iPhone is amazing.",
            "A short note about nothing much.",
        ] {
            let created = server
                .post(
                    "/v1/conversations/from-text",
                    &token,
                    json!({"text": text, "started_at": "2026-11-20T10:00:00Z"}),
                )
                .await;
            created.assert_status(200);
            conversations.push(created["id"].as_str().unwrap().to_string());
        }
        for id in &conversations {
            wait_processed(server, &token, id).await;
        }
        wait_embedded(server, &token, "ConversationEmbedded", conversations.len()).await;
        // The three memories left of the four written above, at least.
        wait_embedded(server, &token, "MemoryEmbedded", 3).await;
        server
            .patch(
                &format!(
                    "/v1/conversations/{}/title?title=Report%20for%20Ann",
                    conversations[0]
                ),
                &token,
                json!({}),
            )
            .await
            .assert_status(200);
        server
            .delete(&format!("/v1/conversations/{}", conversations[2]), &token)
            .await
            .assert_status(204);
        for name in ["kept", "revoked"] {
            let key = server
                .post("/v1/dev/keys", &token, json!({"name": name}))
                .await;
            key.assert_status(200);
            if name == "revoked" {
                server
                    .delete(
                        &format!("/v1/dev/keys/{}", key["id"].as_str().unwrap()),
                        &token,
                    )
                    .await
                    .assert_status(204);
            }
        }
        server
            .post("/v1/mcp/keys", &token, json!({"name": "assistant"}))
            .await
            .assert_status(200);
        let summary = server
            .post(
                "/v1/users/daily-summary-settings/test",
                &token,
                json!({"date": "2026-11-20"}),
            )
            .await;
        summary.assert_status(200);
        server
            .patch(
                &format!(
                    "/v1/users/daily-summaries/{}/visibility?value=shared",
                    summary["summary_id"].as_str().unwrap()
                ),
                &token,
                json!(null),
            )
            .await
            .assert_status(200);
        server
            .patch(
                "/v1/users/daily-summary-settings",
                &token,
                json!({"hour": 7}),
            )
            .await
            .assert_status(200);
        server
            .post("/v1/wrapped/2026/generate", &token, json!(null))
            .await
            .assert_status(200);
        let started = Instant::now();
        while server.get("/v1/wrapped/2026", &token).await["status"] != "done" {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "wrapped not generated"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        write_goals(server, &token).await;
        wait_for_a_delivery(server, &token).await;
    }
    write_apps(server).await;
}

/// Waits until the change feed shows `count` events named `event` (`ConversationEmbedded`, `MemoryEmbedded`) of
/// the token's user.
async fn wait_embedded(server: &TestServer, token: &str, event: &str, count: usize) {
    let started = Instant::now();
    loop {
        let page = server.get("/v1/changes?limit=1000", token).await;
        let events = page["events"].as_array().unwrap();
        let embedded = events
            .iter()
            .filter(|recorded| recorded["event"] == event)
            .count();
        if embedded >= count {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{embedded} of {count} {event} events"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the user's delivery log holds a delivery with an attempt.
async fn wait_for_a_delivery(server: &TestServer, token: &str) {
    let started = Instant::now();
    loop {
        let log = server
            .get("/v1/users/developer/webhooks/deliveries", token)
            .await;
        if log["deliveries"][0]["attempts"][0].is_object() {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no webhook delivery was attempted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Alice's apps (one edited, approved, with a logo and keys, one revoked; one deleted); Bob enables, reviews
/// and disables, and Alice answers his review.
async fn write_apps(server: &TestServer) {
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let app_id = apps_support::create_app(server, &alice, &apps_support::chat_app("Buddy")).await;
    let gone = apps_support::create_app(server, &alice, &apps_support::chat_app("Gone")).await;
    server
        .delete(&format!("/v1/apps/{gone}"), &alice)
        .await
        .assert_status(200);
    apps_support::send_form(
        server,
        Method::PATCH,
        &format!("/v1/apps/{app_id}"),
        &alice,
        r#"{"name":"Pal"}"#,
        None,
    )
    .await
    .assert_status(200);
    apps_support::approve(server, &app_id).await;
    let secret = format!("/v1/apps/{app_id}/webhook-secret");
    server.get(&secret, &alice).await.assert_status(200);
    server
        .post(&secret, &alice, json!({}))
        .await
        .assert_status(200);
    let keys = format!("/v1/apps/{app_id}/keys");
    server
        .post(&keys, &alice, json!({}))
        .await
        .assert_status(200);
    let revoked = server.post(&keys, &alice, json!({})).await;
    server
        .delete(
            &format!("{keys}/{}", revoked["id"].as_str().unwrap()),
            &alice,
        )
        .await
        .assert_status(200);
    for token in [&alice, &bob] {
        server
            .post(
                &format!("/v1/apps/enable?app_id={app_id}"),
                token,
                json!({}),
            )
            .await
            .assert_status(200);
    }
    server
        .post(&format!("/v1/apps/enable?app_id={gone}"), &bob, json!({}))
        .await
        .assert_status(404);
    server
        .post(
            &format!("/v1/apps/review?app_id={app_id}"),
            &bob,
            json!({"score": 4, "review": "Fun"}),
        )
        .await
        .assert_status(200);
    server
        .patch(
            &format!("/v1/apps/{app_id}/review/reply"),
            &alice,
            json!({"reviewer_uid": "bob", "response": "Thanks"}),
        )
        .await
        .assert_status(200);
    let carol = server.token("carol").await;
    server
        .post(
            &format!("/v1/apps/enable?app_id={app_id}"),
            &carol,
            json!({}),
        )
        .await
        .assert_status(200);
    server
        .post(
            &format!("/v1/apps/disable?app_id={app_id}"),
            &carol,
            json!({}),
        )
        .await
        .assert_status(200);
    // A summarization app: carol's processed conversation gets its result.
    let notes = apps_support::create_app(
        server,
        &alice,
        &apps_support::memories_app("Notes", "productivity-and-organization"),
    )
    .await;
    apps_support::approve(server, &notes).await;
    server
        .post(
            &format!("/v1/apps/enable?app_id={notes}"),
            &carol,
            json!({}),
        )
        .await
        .assert_status(200);
    let created = server
        .post(
            "/v1/conversations/from-segments",
            &carol,
            json!({"transcript_segments": [
                {"text": "Summarize the plan: we will ship the conversation notes feature on Friday after the review.", "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 5.0},
                {"text": "The review of the notes feature needs three more conversation examples first.", "speaker": "SPEAKER_01", "start": 5.5, "end": 10.0},
            ]}),
        )
        .await;
    created.assert_status(200);
    let path = format!("/v1/conversations/{}", created["id"].as_str().unwrap());
    let started = Instant::now();
    while server.get(&path, &carol).await["apps_results"] == json!([]) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the summarization app never ran"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Four goals (the fourth deactivates the first), one edited, progress on one, one deleted.
async fn write_goals(server: &TestServer, token: &str) {
    let mut ids = Vec::new();
    for n in 0..4 {
        let created = server
            .post(
                "/v1/goals",
                token,
                json!({"title": format!("Goal {n}"), "goal_type": "numeric", "target_value": 100, "unit": "km"}),
            )
            .await;
        created.assert_status(200);
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    server
        .patch(
            &format!("/v1/goals/{}", ids[1]),
            token,
            json!({"title": "Goal one, edited", "unit": null}),
        )
        .await
        .assert_status(200);
    for value in [5, 12] {
        server
            .patch(
                &format!("/v1/goals/{}/progress?current_value={value}", ids[2]),
                token,
                json!(null),
            )
            .await
            .assert_status(200);
    }
    server
        .delete(&format!("/v1/goals/{}", ids[3]), token)
        .await
        .assert_status(200);
}

/// A device's push token (another device's too), a notification from an operator, and integrations (one
/// disconnected, Apple Health synced).
async fn write_devices_and_notifications(server: &TestServer, token: &str, uid: &str) {
    for key in ["notion", "whoop"] {
        server
            .put(
                &format!("/v1/integrations/{key}"),
                token,
                json!({"access_token": format!("{uid}-at")}),
            )
            .await
            .assert_status(200);
    }
    server
        .delete("/v1/integrations/whoop", token)
        .await
        .assert_status(204);
    server
        .put(
            "/v1/integrations/apple-health/sync",
            token,
            json!({"steps": {"total": 1200}}),
        )
        .await
        .assert_status(200);
    for (platform, hash) in [("ios", "phone"), ("android", "tablet")] {
        let client = server.client();
        send(
            Method::POST,
            &server.url("/v1/users/fcm-token"),
            client
                .builder(Method::POST, "/v1/users/fcm-token", token)
                .header("X-App-Platform", platform)
                .header("X-Device-Id-Hash", hash)
                .json(&json!({"fcm_token": format!("{uid}-{hash}"), "time_zone": "Europe/Paris"})),
        )
        .await
        .assert_status(200);
    }
    let client = server.client();
    send(
        Method::POST,
        &server.url("/v1/notification"),
        client
            .builder(Method::POST, "/v1/notification", "")
            .header("secret-key", REPLAY_ADMIN_KEY)
            .json(&json!({"uid": uid, "title": "Your recap is ready", "data": {"navigate_to": "/wrapped/2026"}})),
    )
    .await
    .assert_status(200);
}

/// A chat with an answer rated and reported, cleared, then an app's chat.
async fn write_chat(server: &TestServer, token: &str) {
    let sent = server
        .post(
            "/v1/messages",
            token,
            json!({"text": "What about the quarterly report?"}),
        )
        .await;
    sent.assert_status(200);
    let id = sent["id"].as_str().unwrap().to_string();
    server
        .post(
            &format!("/v1/users/analytics/chat_message?message_id={id}&value=1&reason=other"),
            token,
            json!({}),
        )
        .await
        .assert_status(200);
    server
        .post(&format!("/v2/messages/{id}/report"), token, json!({}))
        .await
        .assert_status(200);
    server
        .delete("/v2/messages", token)
        .await
        .assert_status(200);
    server
        .post(
            "/v1/messages?app_id=notes",
            token,
            json!({"text": "Lisbon flights?"}),
        )
        .await
        .assert_status(200);
}

/// A profile with a time zone, a geolocation, and people (one renamed, one deleted).
async fn write_profile_and_people(server: &TestServer, token: &str) {
    server
        .patch(
            "/v1/users/profile",
            token,
            json!({"name": "Ada", "time_zone": "Europe/Paris"}),
        )
        .await
        .assert_status(200);
    server
        .patch(
            "/v1/users/geolocation",
            token,
            json!({"latitude": 48.8566, "longitude": 2.3522}),
        )
        .await
        .assert_status(200);
    let mut ids = Vec::new();
    for name in ["Ann", "Sam", "Lee"] {
        let person = server
            .post("/v1/users/people", token, json!({ "name": name }))
            .await;
        person.assert_status(200);
        ids.push(person["id"].as_str().unwrap().to_string());
    }
    server
        .patch(
            &format!("/v1/users/people/{}/name?value=Samuel", ids[1]),
            token,
            json!({}),
        )
        .await
        .assert_status(200);
    server
        .delete(&format!("/v1/users/people/{}", ids[2]), token)
        .await
        .assert_status(204);
}

async fn wait_processed(server: &TestServer, token: &str, id: &str) {
    let started = Instant::now();
    loop {
        let read = server.get(&format!("/v1/conversations/{id}"), token).await;
        if read["status"] == "completed" {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "conversation {id} was not processed: {}",
            read.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

both_stores!(with_store every_read_model_replays_to_the_same_rows, |store| async move {
    // Semantic search's vectors come from a local embeddings server.
    let embeddings = FakeEmbeddings::start().await;
    let options = embeddings.options(StartOptions::new().env("ADMIN_KEY", REPLAY_ADMIN_KEY));
    let mut server = TestServer::start_with(store, options).await;
    write_everything(&server).await;
    let models = read_models(&server).await;
    let names: Vec<&str> = models.iter().map(|(name, _)| name.as_str()).collect();
    for expected in ["memories", "action_items", "conversations", "api_keys", "apps", "app_logos", "app_installations", "app_reviews"] {
        assert!(names.contains(&expected), "{expected} is in the registry: {names:?}");
    }
    server.stop().await;
    let live = read_model_rows(&server.data(), &models).await;
    for (table, rows) in &live {
        assert!(!rows.is_empty(), "the history fills {table}");
    }

    server.cli(&["replay"]).await.assert_success();
    let replayed = read_model_rows(&server.data(), &models).await;
    for (table, rows) in &live {
        assert_eq!(rows, &replayed[table], "{table} after a full replay");
    }

    for name in &names {
        server
            .cli(&["replay", "--projection", name])
            .await
            .assert_success();
        let replayed = read_model_rows(&server.data(), &models).await;
        assert_eq!(live, replayed, "every table after replaying {name} alone");
    }
    let unknown = server.cli(&["replay", "--projection", "gossip"]).await;
    assert!(!unknown.success(), "a name outside the registry is refused");
    for name in &names {
        assert!(unknown.stderr.contains(name), "the refusal names {name}: {}", unknown.stderr);
    }
    assert_eq!(live, read_model_rows(&server.data(), &models).await, "a refused replay changes nothing");

    // The server starts on the rebuilt models and serves them.
    server.restart().await;
    let token = server.token("alice").await;
    server.get("/v1/conversations", &token).await.assert_status(200);
});
