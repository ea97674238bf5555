//! App webhooks (spec §5.1, §5.2, issue 17), on both stores: a `memory_creation` app enabled by a user gets each
//! processed conversation at `<webhook_url>?uid=`, signed with the app's `whsec_` secret (read and rotated by its
//! owner only); the owner reads the delivery log across users and asks for a delivery again; an answer's `message`
//! becomes the app's chat message; a `transcript_processed` app gets live segments and its answer becomes a
//! notification "<App name> says"; an app whose webhook keeps failing is turned off until its owner enables it
//! again; bad input is answered 4xx.

use crate::apps_support;
use crate::listen_support;
use crate::webhook_support;

use std::time::Duration;

use apps_support::{approve, create_app, eventually, send_form};
use futures_util::SinkExt;
use listen_support::open_ready;
use omi_tests::*;
use tokio_tungstenite::tungstenite::Message;
use webhook_support::Receiver;

/// A server with an admin key, outbound calls to this machine allowed, retries every half second, and
/// `extra` settings.
async fn start(store: Store, extra: &[(&str, &str)]) -> TestServer {
    let mut options = StartOptions::new()
        .env("ADMIN_KEY", apps_support::ADMIN_KEY)
        .env("OMI_WEBHOOK_ALLOW_PRIVATE", "1")
        .env("OMI_WEBHOOK_RETRY_SECS", "0.5");
    for &(name, value) in extra {
        options = options.env(name, value);
    }
    TestServer::start_with(store, options).await
}

/// An external-integration app called on `trigger` at `url`.
fn webhook_app(name: &str, trigger: &str, url: &str) -> Value {
    json!({
        "name": name,
        "description": format!("{name} hears about your conversations"),
        "category": "productivity-and-organization",
        "capabilities": ["external_integration"],
        "external_integration": {"triggers_on": trigger, "webhook_url": url},
    })
}

/// `owner` creates an approved public app `app_data`, and `user` enables it; the app's id.
async fn published(server: &TestServer, owner: &str, user: &str, app_data: &Value) -> String {
    let app = create_app(server, owner, app_data).await;
    approve(server, &app).await;
    server
        .post(&format!("/v1/apps/enable?app_id={app}"), user, json!({}))
        .await
        .assert_status(200);
    app
}

/// Imports a conversation, which the pipeline processes; its id.
async fn import(server: &TestServer, token: &str, words: &str) -> String {
    let created = server
        .post(
            "/v1/conversations/from-segments",
            token,
            json!({"transcript_segments": [
                {"text": words, "speaker": "SPEAKER_01", "start": 0.0, "end": 4.0},
                {"text": "Let's meet on Friday at 10am to plan the launch.", "speaker": "SPEAKER_02", "start": 4.5, "end": 9.0},
            ]}),
        )
        .await;
    created.assert_status(200);
    created["id"].as_str().unwrap().to_string()
}

/// Polls `look` until it finds something (30 s at most).
async fn find<F, Fut>(what: &str, mut look: F) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Value>>,
{
    for _ in 0..300 {
        if let Some(found) = look().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never found: {what}");
}

async fn secret(server: &TestServer, owner: &str, app: &str) -> String {
    let read = server
        .get(&format!("/v1/apps/{app}/webhook-secret"), owner)
        .await;
    read.assert_status(200);
    read["secret"].as_str().expect("a secret").to_string()
}

async fn deliveries(server: &TestServer, owner: &str, app: &str) -> Vec<Value> {
    let listed = server
        .get(&format!("/v1/apps/{app}/deliveries"), owner)
        .await;
    listed.assert_status(200);
    listed["deliveries"].as_array().unwrap().clone()
}

both_stores!(
    with_store a_memory_creation_app_gets_each_conversation_signed_and_its_owner_reads_the_log,
    |store| async move {
        let server = start(store, &[]).await;
        let receiver = Receiver::start().await;
        let (ada, bob) = (server.token("ada").await, server.token("bob").await);
        let app = published(
            &server,
            &ada,
            &bob,
            &webhook_app("Diary", "memory_creation", &receiver.url("/hook?k=v")),
        )
        .await;
        let first_secret = secret(&server, &ada, &app).await;
        assert!(first_secret.starts_with("whsec_"), "{first_secret}");
        assert_eq!(secret(&server, &ada, &app).await, first_secret, "the secret is kept");

        let conversation = import(&server, &bob, "Ada promised to send the slides on Monday.").await;
        let got = receiver.wait_for(1, Duration::from_secs(60)).await;
        let call = &got[0];
        assert_eq!(call.target, "/hook?k=v&uid=bob");
        assert!(call.verifies(&first_secret), "signed with the app's secret");
        assert_eq!(call.json()["id"], conversation.as_str());
        assert!(call.json()["structured"]["title"].is_string(), "{}", call.json());

        eventually("the owner's log shows the delivery", || async {
            let log = deliveries(&server, &ada, &app).await;
            log.len() == 1 && log[0]["state"] == "delivered"
        })
        .await;
        let log = deliveries(&server, &ada, &app).await;
        assert_eq!(log[0]["id"], call.id().as_str());
        assert_eq!(log[0]["payload_kind"], "memory_creation");
        assert_eq!(log[0]["endpoint"], json!({"kind": "app", "id": app}));
        assert_eq!(log[0]["attempts"][0]["status_code"], 200);
        // The user's own log holds their developer webhooks only; nobody else reads the app's.
        let own = server.get("/v1/users/developer/webhooks/deliveries", &bob).await;
        assert_eq!(own["deliveries"], json!([]));
        server.get(&format!("/v1/apps/{app}/deliveries"), &bob).await.assert_status(403);
        server.get(&format!("/v1/apps/{app}/webhook-secret"), &bob).await.assert_status(403);
        server.post(&format!("/v1/apps/{app}/webhook-secret"), &bob, json!({})).await.assert_status(403);

        // Asked again: the same idempotency key arrives a second time.
        let retried = server
            .post(&format!("/v1/apps/{app}/deliveries/{}/retry", call.id()), &ada, json!({}))
            .await;
        retried.assert_status(200);
        let again = receiver.wait_for(2, Duration::from_secs(30)).await;
        assert_eq!(again[1].id(), call.id());
        assert!(again[1].verifies(&first_secret));

        // A rotated secret signs what comes after it.
        let rotated = server
            .post(&format!("/v1/apps/{app}/webhook-secret"), &ada, json!({}))
            .await;
        rotated.assert_status(200);
        let new_secret = rotated["secret"].as_str().unwrap().to_string();
        assert_ne!(new_secret, first_secret);
        assert_eq!(secret(&server, &ada, &app).await, new_secret);
        import(&server, &bob, "Bob will book the venue for the offsite.").await;
        let third = receiver.wait_for(3, Duration::from_secs(60)).await;
        assert!(third[2].verifies(&new_secret) && !third[2].verifies(&first_secret));

        // A user who turns the app off is called no more.
        server
            .post(&format!("/v1/apps/disable?app_id={app}"), &bob, json!({}))
            .await
            .assert_status(200);
        import(&server, &bob, "Nobody should hear about this one.").await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(receiver.received().len(), 3, "a disabled app is not called");
    }
);

both_stores!(
    with_store an_apps_answer_becomes_its_chat_message_linked_to_the_conversation,
    |store| async move {
        let server = start(store, &[]).await;
        let receiver = Receiver::start().await;
        receiver.answer(200, r#"{"message": "Saved to your diary, Bob."}"#);
        let (ada, bob) = (server.token("ada").await, server.token("bob").await);
        let app = published(
            &server,
            &ada,
            &bob,
            &webhook_app("Diary", "memory_creation", &receiver.url("/hook")),
        )
        .await;
        let conversation = import(&server, &bob, "Remember to water the plants on Sunday.").await;
        receiver.wait_for(1, Duration::from_secs(60)).await;
        let path = format!("/v2/messages?app_id={app}");
        let found = find("the app's message in the user's chat with it", || async {
            let listed = server.get(&path, &bob).await;
            listed.json.as_array().and_then(|messages| {
                messages.iter().find(|m| m["text"] == "Saved to your diary, Bob.").cloned()
            })
        })
        .await;
        assert_eq!(found["sender"], "ai");
        assert_eq!(found["app_id"], app.as_str());
        assert_eq!(found["memories_id"], json!([conversation]));
        // The main chat and the owner's chat with the app hold nothing of it.
        let main = server.get("/v2/messages", &bob).await;
        assert!(!main.json.to_string().contains("Saved to your diary"));
        let owners = server.get(&path, &ada).await;
        assert!(!owners.json.to_string().contains("Saved to your diary"));
    }
);

/// Opens `/v4/listen` for `token`, waits until it is ready, and says `text`.
async fn say_live(server: &TestServer, token: &str, text: &str) {
    let mut socket = open_ready(server, token, "custom_stt=enabled&conversation_timeout=60").await;
    let said = json!({"type": "suggested_transcript", "stt_provider": "on-device", "segments": [
        {"text": text, "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 3.0},
    ]});
    socket
        .send(Message::Text(said.to_string().into()))
        .await
        .unwrap();
    // Keep the session open until the segments are recorded and sent on.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = socket.close(None).await;
}

both_stores!(
    with_store a_transcript_processed_app_gets_live_segments_and_its_answer_notifies_the_user,
    |store| async move {
        let server = start(store, &[]).await;
        let receiver = Receiver::start().await;
        receiver.answer(200, r#"{"message": "You mentioned the budget twice."}"#);
        let (ada, bob) = (server.token("ada").await, server.token("bob").await);
        let app = published(
            &server,
            &ada,
            &bob,
            &webhook_app("Coach", "transcript_processed", &receiver.url("/live")),
        )
        .await;
        say_live(&server, &bob, "Let's finalize the launch budget by Friday.").await;
        let got = receiver.wait_for(1, Duration::from_secs(60)).await;
        let live = &got[0];
        assert_eq!(live.target, "/live?uid=bob");
        assert!(live.verifies(&secret(&server, &ada, &app).await));
        assert_eq!(live.json()["session_id"], "bob");
        assert_eq!(
            live.json()["segments"][0]["text"],
            "Let's finalize the launch budget by Friday."
        );
        let notification = find("the answer as a notification", || async {
            let listed = server.get("/v1/notifications", &bob).await;
            listed.json.as_array().and_then(|l| l.first().cloned())
        })
        .await;
        assert_eq!(notification["title"], "Coach says");
        assert_eq!(notification["body"], "You mentioned the budget twice.");
        assert_eq!(notification["app_id"], app.as_str());
    }
);

both_stores!(
    with_store an_app_whose_webhook_keeps_failing_is_turned_off_until_its_owner_enables_it,
    |store| async move {
        let server = start(store, &[("OMI_WEBHOOK_GIVE_UP_SECS", "2")]).await;
        let mut receiver = Receiver::down_from_the_start().await;
        let (ada, bob) = (server.token("ada").await, server.token("bob").await);
        let app = published(
            &server,
            &ada,
            &bob,
            &webhook_app("Flaky", "memory_creation", &receiver.url("/hook")),
        )
        .await;
        import(&server, &bob, "The receiver is down for this one.").await;
        eventually("the app is turned off", || async {
            server.get(&format!("/v1/apps/{app}"), &ada).await["disabled"] == true
        })
        .await;
        let log = deliveries(&server, &ada, &app).await;
        assert_eq!(log[0]["state"], "abandoned", "{log:?}");
        assert!(log[0]["attempts"].as_array().unwrap().len() >= 2);
        assert_eq!(server.get(&format!("/v1/apps/{app}"), &bob).await["disabled"], true);

        // While off, nothing is scheduled.
        receiver.up().await;
        import(&server, &bob, "Still off, so nobody hears this.").await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(deliveries(&server, &ada, &app).await.len(), 1);
        assert!(receiver.received().is_empty());

        // Only the owner enables it again, with {"disabled": false}.
        let enable = json!({"disabled": false}).to_string();
        let path = format!("/v1/apps/{app}");
        send_form(&server, Method::PATCH, &path, &bob, &enable, None).await.assert_status(403);
        send_form(&server, Method::PATCH, &path, &ada, &enable, None).await.assert_status(200);
        assert_eq!(server.get(&path, &ada).await["disabled"], false);
        import(&server, &bob, "Back on: the diary hears this.").await;
        receiver.wait_for(1, Duration::from_secs(60)).await;
    }
);

both_stores!(
    with_store bad_requests_about_app_webhooks_are_refused_with_4xx,
    |store| async move {
        let server = start(store, &[]).await;
        let (ada, bob) = (server.token("ada").await, server.token("bob").await);
        let app = create_app(
            &server,
            &ada,
            &webhook_app("Diary", "memory_creation", "https://hooks.example.com/omi"),
        )
        .await;
        for path in [
            "/v1/apps/01JNOSUCHAPP000000000000000/webhook-secret".to_string(),
            "/v1/apps/not%00an-app/webhook-secret".to_string(),
            format!("/v1/apps/{}/webhook-secret", "x".repeat(5000)),
        ] {
            let refused = server.get(&path, &ada).await;
            assert!(matches!(refused.status, 404 | 422), "{path}: {}", refused.status);
            assert!(!refused["detail"].is_null(), "{path}: {}", refused.json);
        }
        server.get(&format!("/v1/apps/{app}/webhook-secret"), &bob).await.assert_status(403);
        for query in ["limit=0", "limit=-1", "limit=100000", "offset=-5", "limit=abc"] {
            let refused = server.get(&format!("/v1/apps/{app}/deliveries?{query}"), &ada).await;
            refused.assert_status(422);
        }
        for id in ["msg_doesnotexist", "nope", &"msg_x".repeat(100)] {
            let refused = server
                .post(&format!("/v1/apps/{app}/deliveries/{id}/retry"), &ada, json!({}))
                .await;
            refused.assert_status(404);
            assert_eq!(refused["detail"], "Delivery not found");
        }
        // Another user's delivery is not found through this app, nor this app's through theirs.
        server
            .post(&format!("/v1/apps/{app}/deliveries/msg_x/retry"), &bob, json!({}))
            .await
            .assert_status(403);
        // Enabling an app that was never turned off records nothing and answers 200.
        let path = format!("/v1/apps/{app}");
        let enable = json!({"disabled": false}).to_string();
        send_form(&server, Method::PATCH, &path, &ada, &enable, None).await.assert_status(200);
        assert_eq!(server.get(&path, &ada).await["disabled"], false);
        let wrong = json!({"disabled": "no"}).to_string();
        send_form(&server, Method::PATCH, &path, &ada, &wrong, None).await.assert_status(422);
    }
);
