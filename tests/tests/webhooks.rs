//! The user's developer webhooks (spec §5.4, §7.10) and their deliveries: settings with the `whsec_` secret,
//! signed deliveries of processed conversations, every delivery arriving exactly once per idempotency key at a
//! receiver that was down (also across a `kill -9` of the server), private addresses refused without
//! `OMI_WEBHOOK_ALLOW_PRIVATE=1`, the delivery log and redelivery, and bad input answered 4xx.

use crate::webhook_support;

use std::time::Duration;

use omi_tests::*;
use webhook_support::Receiver;

const HOOK: &str = "/v1/users/developer/webhook/memory_created";
const DELIVERIES: &str = "/v1/users/developer/webhooks/deliveries";

/// Retries every half second, so a receiver coming back is found at once.
fn quick_retries() -> StartOptions {
    StartOptions::new()
        .env("OMI_WEBHOOK_ALLOW_PRIVATE", "1")
        .env("OMI_WEBHOOK_RETRY_SECS", "0.5")
}

/// Points the user's `memory_created` webhook at `url`; answers its secret.
async fn set_hook(server: &TestServer, token: &str, url: &str) -> String {
    server
        .post(HOOK, token, json!({"url": url}))
        .await
        .assert_status(200);
    let hook = server.get(HOOK, token).await;
    hook.assert_status(200);
    assert_eq!(hook["url"], url);
    hook["secret"].as_str().expect("a secret").to_string()
}

/// Imports a conversation, which the pipeline then processes; answers its id.
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

async fn deliveries(server: &TestServer, token: &str) -> Vec<Value> {
    let listed = server.get(DELIVERIES, token).await;
    listed.assert_status(200);
    listed["deliveries"].as_array().unwrap().clone()
}

/// Waits until the log holds `count` deliveries that satisfy `done`.
async fn wait_for_log(
    server: &TestServer,
    token: &str,
    count: usize,
    done: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    for _ in 0..600 {
        let log = deliveries(server, token).await;
        if log.iter().filter(|d| done(d)).count() >= count {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the delivery log never showed {count} such deliveries: {:?}",
        deliveries(server, token).await
    );
}

fn delivered(delivery: &Value) -> bool {
    delivery["state"] == "delivered"
}

fn failed_once(delivery: &Value) -> bool {
    delivery["attempts"]
        .as_array()
        .is_some_and(|a| !a.is_empty())
}

both_stores!(
    with_store settings_hold_the_url_the_secret_and_the_toggle,
    |store| async move {
        let server = TestServer::start_with(store, StartOptions::new()).await;
        let token = server.token("ada").await;
        let empty = server.get(HOOK, &token).await;
        empty.assert_status(200);
        assert_eq!(empty["url"], "");
        assert_eq!(empty["secret"], Value::Null);

        let secret = set_hook(&server, &token, "https://hooks.example.com/omi").await;
        assert!(secret.starts_with("whsec_"), "{secret}");
        let status = server.get("/v1/users/developer/webhooks/status", &token).await;
        assert_eq!(
            status.json,
            json!({"audio_bytes": false, "memory_created": true, "realtime_transcript": false, "day_summary": false})
        );
        // A new URL keeps the secret; turning off and on is kept.
        assert_eq!(set_hook(&server, &token, "https://hooks.example.com/v2").await, secret);
        server.post(&format!("{HOOK}/disable"), &token, json!({})).await.assert_status(200);
        let off = server.get("/v1/users/developer/webhooks/status", &token).await;
        assert_eq!(off["memory_created"], false);
        server.post(&format!("{HOOK}/enable"), &token, json!({})).await.assert_status(200);
        let on = server.get("/v1/users/developer/webhooks/status", &token).await;
        assert_eq!(on["memory_created"], true);

        let rotated = server.post(&format!("{HOOK}/secret"), &token, json!({})).await;
        rotated.assert_status(200);
        let new_secret = rotated["secret"].as_str().unwrap().to_string();
        assert_ne!(new_secret, secret);
        assert_eq!(server.get(HOOK, &token).await["secret"], new_secret.as_str());

        // "," turns it off; another user sees nothing of it.
        server.post(HOOK, &token, json!({"url": ","})).await.assert_status(200);
        assert_eq!(server.get(HOOK, &token).await["url"], "");
        assert_eq!(
            server.get("/v1/users/developer/webhooks/status", &token).await["memory_created"],
            false
        );
        let other = server.token("bob").await;
        assert_eq!(server.get(HOOK, &other).await["secret"], Value::Null);
        server
            .post("/v1/users/developer/webhook/day_summary/secret", &other, json!({}))
            .await
            .assert_status(404);
    }
);

both_stores!(
    with_store bad_input_is_refused_with_4xx_and_records_nothing,
    |store| async move {
        let server = TestServer::start_with(store, StartOptions::new()).await;
        let token = server.token("ada").await;
        for url in [
            json!("ftp://hooks.example.com/omi"),
            json!("not a url"),
            json!("https://hooks.example.com/\u{0}"),
            json!(format!("https://hooks.example.com/{}", "x".repeat(5000))),
            json!(17),
        ] {
            let refused = server.post(HOOK, &token, json!({"url": url})).await;
            assert_eq!(refused.status, 422, "{url}: {}", refused.text);
            assert!(refused["detail"].is_array() || refused["detail"].is_string());
        }
        server.post(HOOK, &token, json!({})).await.assert_status(422);
        server
            .post("/v1/users/developer/webhook/everything", &token, json!({"url": "https://a.example"}))
            .await
            .assert_status(422);
        server.get("/v1/users/developer/webhook/%00", &token).await.assert_status(422);
        assert_eq!(server.get(HOOK, &token).await["url"], "");
        for id in ["msg_00000000000000000000000000000000", "nothing", "%00"] {
            let retry = server
                .post(&format!("{DELIVERIES}/{id}/retry"), &token, json!({}))
                .await;
            assert!(matches!(retry.status, 404 | 422), "{id}: {}", retry.status);
        }
        server.get(&format!("{DELIVERIES}?limit=0"), &token).await.assert_status(422);
        server.get(&format!("{DELIVERIES}?limit=abc"), &token).await.assert_status(422);
        assert!(deliveries(&server, &token).await.is_empty());
    }
);

both_stores!(
    with_store a_processed_conversation_is_delivered_signed_once_and_again_on_request,
    |store| async move {
        let server = TestServer::start_with(store, quick_retries()).await;
        let receiver = Receiver::start().await;
        receiver.answer(200, r#"{"message": "Thanks, noted the launch"}"#);
        let token = server.token("ada").await;
        let secret = set_hook(&server, &token, &receiver.url("/hook")).await;
        let id = import(&server, &token, "Good morning, we ship the launch on Friday.").await;

        let got = receiver.wait_for(1, Duration::from_secs(60)).await;
        let first = &got[0];
        assert!(first.verifies(&secret), "the signature does not verify");
        assert!(!first.verifies("whsec_c2VjcmV0"), "any secret verifies");
        assert!(first.id().starts_with("msg_"));
        let sent_at: i64 = first.header("webhook-timestamp").unwrap().parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 120);
        assert_eq!(first.target, "/hook?uid=ada");
        let body = first.json();
        assert_eq!(body["id"], id.as_str());
        assert_eq!(body["status"], "completed");

        let log = wait_for_log(&server, &token, 1, delivered).await;
        let entry = &log[0];
        assert_eq!(entry["id"], first.id().as_str());
        assert_eq!(entry["payload_kind"], "memory_created");
        assert_eq!(entry["attempts"][0]["status_code"], 200);
        assert_eq!(entry["attempts"][0]["message"], "Thanks, noted the launch");
        assert!(entry.get("secret").is_none() && entry.get("body").is_none());

        // Asked again, it arrives again under the same idempotency key; a pending one cannot be asked again.
        let retry = format!("{DELIVERIES}/{}/retry", first.id());
        let asked = server.post(&retry, &token, json!({})).await;
        asked.assert_status(200);
        let again = receiver.wait_for(2, Duration::from_secs(60)).await;
        assert_eq!(again[1].id(), first.id());
        assert!(again[1].verifies(&secret));
        // Another user cannot see or retry it.
        let other = server.token("bob").await;
        assert!(deliveries(&server, &other).await.is_empty());
        server.post(&retry, &other, json!({})).await.assert_status(404);
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(receiver.received().len(), 2, "nothing else was sent");
    }
);

both_stores!(
    with_store a_receiver_that_was_down_gets_every_delivery_exactly_once,
    |store| async move {
        let server = TestServer::start_with(store, quick_retries()).await;
        let mut receiver = Receiver::down_from_the_start().await;
        let token = server.token("ada").await;
        let secret = set_hook(&server, &token, &receiver.url("/hook")).await;
        for n in 0..3 {
            import(&server, &token, &format!("Morning number {n}, the launch moves to Friday.")).await;
        }
        let log = wait_for_log(&server, &token, 3, failed_once).await;
        let refused = &log[0]["attempts"][0];
        assert_eq!(refused["status_code"], Value::Null);
        assert!(refused["error"].is_string() && refused["next_attempt_at"].is_string());

        receiver.up().await;
        wait_for_log(&server, &token, 3, delivered).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let counts = receiver.counts();
        assert_eq!(counts.len(), 3, "{counts:?}");
        assert!(counts.values().all(|&n| n == 1), "{counts:?}");
        assert!(receiver.received().iter().all(|r| r.verifies(&secret)));
    }
);

both_stores!(
    with_store deliveries_scheduled_before_a_kill_are_sent_after_the_restart,
    |store| async move {
        let mut server = TestServer::start_with(store, quick_retries()).await;
        let mut receiver = Receiver::down_from_the_start().await;
        let token = server.token("ada").await;
        let secret = set_hook(&server, &token, &receiver.url("/hook")).await;
        for n in 0..2 {
            import(&server, &token, &format!("Before the crash {n}, we plan the launch.")).await;
        }
        wait_for_log(&server, &token, 2, failed_once).await;
        // kill -9, then the receiver comes back while the server is down.
        server.stop().await;
        receiver.up().await;
        server.restart().await;
        let token = server.token("ada").await;
        wait_for_log(&server, &token, 2, delivered).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let counts = receiver.counts();
        assert_eq!(counts.len(), 2, "{counts:?}");
        assert!(counts.values().all(|&n| n == 1), "{counts:?}");
        assert!(receiver.received().iter().all(|r| r.verifies(&secret)));
    }
);

both_stores!(
    with_store private_addresses_are_refused_without_the_setting,
    |store| async move {
        let options = StartOptions::new().env("OMI_WEBHOOK_RETRY_SECS", "0.5");
        let server = TestServer::start_with(store, options).await;
        let receiver = Receiver::start().await;
        let token = server.token("ada").await;
        set_hook(&server, &token, &receiver.url("/hook")).await;
        import(&server, &token, "Good morning, the launch is on Friday.").await;
        let log = wait_for_log(&server, &token, 1, failed_once).await;
        let error = log[0]["attempts"][0]["error"].as_str().unwrap().to_string();
        assert!(error.contains("refused"), "{error}");
        set_hook(&server, &token, "http://localhost:9/hook").await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(receiver.received().is_empty(), "a private address was reached");
    }
);

/// How many rows of the webhook read models belong to `uid`, read from the store itself.
async fn webhook_rows(data: &TestData, uid: &str) -> i64 {
    let mut total = 0;
    for table in ["developer_webhooks", "webhook_deliveries"] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE uid = $1");
        total += match data.store() {
            Store::Sqlite => {
                let mut conn = sqlite_connection(data, true).await;
                sqlx::query_scalar::<_, i64>(&sql)
                    .bind(uid)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
            Store::Postgres => {
                use sqlx::Connection;
                let url = data.database_url().unwrap();
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::query_scalar::<_, i64>(&sql)
                    .bind(uid)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
        };
    }
    total
}

both_stores!(
    with_store erasure_removes_the_users_webhooks_and_deliveries,
    |store| async move {
        let server = TestServer::start_with(store, quick_retries()).await;
        let receiver = Receiver::start().await;
        let token = server.token("ada").await;
        let bob = server.token("bob").await;
        set_hook(&server, &token, &receiver.url("/ada")).await;
        set_hook(&server, &bob, &receiver.url("/bob")).await;
        import(&server, &token, "Ada plans the launch on Friday morning.").await;
        import(&server, &bob, "Bob plans the launch on Friday morning.").await;
        wait_for_log(&server, &token, 1, delivered).await;
        wait_for_log(&server, &bob, 1, delivered).await;
        let data = server.data();
        assert_eq!(webhook_rows(&data, "ada").await, 2);

        server
            .request(Method::DELETE, "/v1/users/delete-account", &token, None)
            .await
            .assert_status(200);
        assert!(
            server
                .wait_for_log("erased an account", Duration::from_secs(60))
                .await,
            "the erasure job did not finish"
        );
        assert_eq!(webhook_rows(&data, "ada").await, 0, "the erased user's webhook rows remain");
        assert_eq!(webhook_rows(&data, "bob").await, 2, "another user's rows are kept");
        assert_eq!(deliveries(&server, &bob).await.len(), 1);
    }
);

both_stores!(
    with_store a_written_daily_summary_is_delivered_to_the_day_summary_webhook,
    |store| async move {
        let server = TestServer::start_with(store, quick_retries()).await;
        let receiver = Receiver::start().await;
        let token = server.token("ada").await;
        let hook = "/v1/users/developer/webhook/day_summary";
        server
            .post(hook, &token, json!({"url": receiver.url("/day")}))
            .await
            .assert_status(200);
        let secret = server.get(hook, &token).await["secret"].as_str().unwrap().to_string();
        let created = server
            .post(
                "/v1/conversations/from-segments",
                &token,
                json!({"started_at": "2026-12-01T10:00:00Z", "transcript_segments": [
                    {"text": "We agreed to ship the launch on Friday and I will email Sarah the budget.", "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 60.0},
                ]}),
            )
            .await;
        created.assert_status(200);
        let id = created["id"].as_str().unwrap().to_string();
        for _ in 0..300 {
            if server.get(&format!("/v1/conversations/{id}"), &token).await["status"] == "completed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let written = server
            .post("/v1/users/daily-summary-settings/test", &token, json!({"date": "2026-12-01"}))
            .await;
        written.assert_status(200);
        let got = receiver.wait_for(1, Duration::from_secs(60)).await;
        let day = &got[0];
        assert!(day.verifies(&secret));
        assert_eq!(day.target, "/day?uid=ada");
        let body = day.json();
        assert_eq!(body["uid"], "ada");
        assert_eq!(body["summary_json"]["id"], written["summary_id"]);
        assert!(body["summary"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(body["created_at"].is_string());
        // Only the day_summary webhook is set: nothing was sent for the processed conversation.
        assert_eq!(receiver.received().len(), 1);
    }
);

both_stores!(
    with_store a_receiver_that_does_not_answer_holds_up_only_its_own_deliveries,
    |store| async move {
        let server = TestServer::start_with(store, quick_retries()).await;
        // Ada's receiver takes each request and never answers: her attempt waits out its 30 s timeout.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_url = format!("http://{}/hook", silent.local_addr().unwrap());
        let (taken, mut requests) = tokio::sync::mpsc::unbounded_channel();
        let holding = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = silent.accept().await {
                let _ = taken.send(());
                held.push(stream);
            }
        });
        let ada = server.token("ada").await;
        set_hook(&server, &ada, &silent_url).await;
        import(&server, &ada, "Good morning, we ship the launch on Friday.").await;
        tokio::time::timeout(Duration::from_secs(60), requests.recv())
            .await
            .expect("ada's delivery was sent")
            .unwrap();

        // Bob's delivery, due while Ada's attempt is in flight, goes at once.
        let receiver = Receiver::start().await;
        let bob = server.token("bob").await;
        set_hook(&server, &bob, &receiver.url("/hook")).await;
        import(&server, &bob, "Lunch with Sam on Tuesday at noon.").await;
        receiver.wait_for(1, Duration::from_secs(20)).await;
        let waiting = deliveries(&server, &ada).await;
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0]["state"], "pending", "{}", waiting[0]);
        assert_eq!(
            waiting[0]["attempts"],
            json!([]),
            "ada's first attempt has not ended yet"
        );
        holding.abort();
    }
);
