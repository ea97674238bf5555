//! A developer webhook's answer with a `message` (spec §5.4) becomes a notification "Webhook says" for the user,
//! once per delivery attempt, on both stores; an answer without one, or with 5 characters or fewer, does not.

use crate::webhook_support;

use std::time::{Duration, Instant};

use omi_tests::*;
use webhook_support::Receiver;

const HOOK: &str = "/v1/users/developer/webhook/memory_created";

async fn import(server: &TestServer, token: &str, words: &str) {
    server
        .post(
            "/v1/conversations/from-segments",
            token,
            json!({"transcript_segments": [
                {"text": words, "speaker": "SPEAKER_01", "start": 0.0, "end": 4.0},
                {"text": "Let's meet on Friday at 10am to plan the launch.", "speaker": "SPEAKER_02", "start": 4.5, "end": 9.0},
            ]}),
        )
        .await
        .assert_status(200);
}

/// The user's notifications once `count` are there (or fails after 30 s).
async fn notifications(server: &TestServer, token: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = server.get("/v1/notifications", token).await;
        listed.assert_status(200);
        let listed = listed.json.as_array().unwrap().clone();
        if listed.len() >= count {
            return listed;
        }
        assert!(
            Instant::now() < deadline,
            "{count} notifications expected: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_stores!(with_store a_webhooks_message_becomes_a_notification, |store| async move {
    let receiver = Receiver::start().await;
    receiver.answer(200, r#"{"message": "Drink some water before the launch meeting"}"#);
    let options = StartOptions::new().env("OMI_WEBHOOK_ALLOW_PRIVATE", "1");
    let server = TestServer::start_with(store, options).await;
    let ada = server.token("ada").await;
    server
        .post(HOOK, &ada, json!({"url": receiver.url("/hook")}))
        .await
        .assert_status(200);

    import(&server, &ada, "We shipped the beta and the launch is next week.").await;
    receiver.wait_for(1, Duration::from_secs(30)).await;
    let listed = notifications(&server, &ada, 1).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["title"], "Webhook says");
    assert_eq!(listed[0]["body"], "Drink some water before the launch meeting");
    assert_eq!(listed[0]["source"], "server");
    assert_eq!(listed[0]["data"], json!({"type": "webhook", "webhook": "memory_created"}));
    let bob = server.token("bob").await;
    assert!(server.get("/v1/notifications", &bob).await.json.as_array().unwrap().is_empty());

    // Too short a message, or none, notifies nobody.
    receiver.answer(200, r#"{"message": "ok!"}"#);
    import(&server, &ada, "The second conversation is about the garden and the roses.").await;
    receiver.answer(200, r#"{"ok": true}"#);
    import(&server, &ada, "The third conversation is about a trip to the mountains.").await;
    receiver.wait_for(3, Duration::from_secs(30)).await;
    // Every delivery is in the log as delivered before the count is checked.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let log = server.get("/v1/users/developer/webhooks/deliveries", &ada).await;
        let delivered = log["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["state"] == "delivered")
            .count();
        if delivered == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "deliveries not recorded: {}", log.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(notifications(&server, &ada, 1).await.len(), 1, "only the first answer had a message");
});
