//! Notifications and devices (spec §7.8) on both stores: a device's push token and time zone, an operator's
//! notification behind the admin secret with its limits, every notification recorded and readable by its user
//! (only), and pushes through a local Firebase Cloud Messaging that checks the server's signed assertions:
//! delivered to every device, a token the service no longer knows dropped, a temporary refusal retried.

use crate::push_support;

use std::time::{Duration, Instant};

use omi_tests::*;
use push_support::FakeFcm;

const ADMIN: &str = "notify-admin-secret";

fn admin_options() -> StartOptions {
    StartOptions::new().env("ADMIN_KEY", ADMIN)
}

/// `POST /v1/users/fcm-token` from the device `platform`/`hash`.
async fn register(
    server: &TestServer,
    token: &str,
    platform: &str,
    hash: &str,
    body: Value,
) -> Response {
    let client = server.client();
    send(
        Method::POST,
        &server.url("/v1/users/fcm-token"),
        client
            .builder(Method::POST, "/v1/users/fcm-token", token)
            .header("X-App-Platform", platform)
            .header("X-Device-Id-Hash", hash)
            .json(&body),
    )
    .await
}

/// `POST /v1/notification` with `secret` as the `secret-key` header (none when empty).
async fn notify(server: &TestServer, secret: &str, body: Value) -> Response {
    let client = server.client();
    let mut builder = client
        .builder(Method::POST, "/v1/notification", "")
        .json(&body);
    if !secret.is_empty() {
        builder = builder.header("secret-key", secret);
    }
    send(Method::POST, &server.url("/v1/notification"), builder).await
}

async fn notifications(server: &TestServer, token: &str) -> Vec<Value> {
    let listed = server.get("/v1/notifications", token).await;
    listed.assert_status(200);
    listed.json.as_array().unwrap().clone()
}

/// The user's notifications once every one of them has been pushed.
async fn pushed(server: &TestServer, token: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = notifications(server, token).await;
        if listed.len() == count && listed.iter().all(|n| n["push"] == "pushed") {
            return listed;
        }
        assert!(Instant::now() < deadline, "not pushed in time: {listed:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_stores!(with_store operators_notify_users_who_read_what_they_were_sent, |store| async move {
    let server = TestServer::start_with(store, admin_options()).await;
    let alice = server.token("alice").await;
    let sent = notify(
        &server,
        ADMIN,
        json!({"uid": "alice", "title": " Your recap is ready ", "body": "Tap to see it",
               "data": {"navigate_to": "/wrapped/2026"}}),
    )
    .await;
    sent.assert_status(200);
    assert_eq!(sent.json, json!({"status": "Ok"}));

    let listed = notifications(&server, &alice).await;
    assert_eq!(listed.len(), 1);
    let first = &listed[0];
    assert_eq!(first["title"], "Your recap is ready");
    assert_eq!(first["body"], "Tap to see it");
    assert_eq!(first["data"], json!({"navigate_to": "/wrapped/2026"}));
    assert_eq!(first["source"], "admin");
    assert_eq!(first["push"], "recorded", "no push service is configured");
    assert_eq!(first["outcomes"], json!([]));

    let bob = server.token("bob").await;
    assert!(notifications(&server, &bob).await.is_empty(), "only the addressee reads it");

    // A campaign names its campaign; it is kept in the data.
    notify(&server, ADMIN, json!({"uid": "alice", "title": "New", "data": {"kind": "campaign"}, "campaign_id": "c-7"}))
        .await
        .assert_status(200);
    let newest = &notifications(&server, &alice).await[0];
    assert_eq!(newest["data"], json!({"kind": "campaign", "campaign_id": "c-7"}));
    let page = server.get("/v1/notifications?limit=1&offset=1", &alice).await;
    assert_eq!(page.json.as_array().unwrap()[0]["title"], "Your recap is ready");
    server.get("/v1/notifications?limit=0", &alice).await.assert_status(422);
});

both_stores!(with_store the_admin_secret_and_the_limits_are_checked, |store| async move {
    let server = TestServer::start_with(store, admin_options()).await;
    let alice = server.token("alice").await;
    let body = json!({"uid": "alice", "title": "Hello"});
    for secret in ["", "wrong", "notify-admin-secret-and-more", "notify-admin-secre", "NOTIFY-ADMIN-SECRET"] {
        let refused = notify(&server, secret, body.clone()).await;
        refused.assert_status(403);
        assert_eq!(refused["detail"], "You are not authorized to perform this action");
    }
    // The user's own token is no admin secret either.
    let as_user = server.post("/v1/notification", &alice, body.clone()).await;
    as_user.assert_status(403);

    for (bad, loc) in [
        (json!({"uid": "alice", "title": " "}), "body"),
        (json!({"uid": "alice", "title": "x".repeat(501)}), "body"),
        (json!({"uid": "alice", "title": "Hi", "body": "y".repeat(4001)}), "body"),
        (json!({"uid": "alice", "title": "Hi", "data": {"k": "v".repeat(5000)}}), "body"),
        (json!({"uid": "", "title": "Hi"}), "uid"),
        (json!({"uid": "u".repeat(129), "title": "Hi"}), "uid"),
        (json!({"uid": "alice", "title": "Hi", "data": {"kind": "campaign"}}), "campaign_id"),
        (json!({"uid": "alice", "title": "Hi", "data": {"count": 3}}), "data"),
        (json!({"uid": "alice"}), "title"),
    ] {
        let refused = notify(&server, ADMIN, bad.clone()).await;
        refused.assert_status(422);
        assert!(refused.text.contains(loc), "{bad}: {}", refused.text);
    }
    let nul = notify(&server, ADMIN, json!({"uid": "alice", "title": "a\u{0}b"})).await;
    assert!((400..500).contains(&nul.status), "{}", nul.text);
    assert!(notifications(&server, &alice).await.is_empty(), "nothing refused was recorded");

    // Without an ADMIN_KEY, nothing is an admin secret.
    let closed = TestServer::start(server.store()).await;
    notify(&closed, "", body.clone()).await.assert_status(403);
    notify(&closed, ADMIN, body).await.assert_status(403);
});

both_stores!(
    devices_register_their_token_and_time_zone,
    |server| async move {
        let alice = server.token("alice").await;
        let registered = register(
            &server,
            &alice,
            "ios",
            "abc",
            json!({"fcm_token": "tok-1", "time_zone": "Europe/Paris"}),
        )
        .await;
        registered.assert_status(200);
        assert_eq!(registered.json, json!({"status": "Ok"}));
        let profile = server.get("/v1/users/profile", &alice).await;
        assert_eq!(
            profile["time_zone"], "Europe/Paris",
            "the device's zone is the profile's"
        );
        // The same again changes nothing; another zone moves the profile along.
        register(
            &server,
            &alice,
            "ios",
            "abc",
            json!({"fcm_token": "tok-1", "time_zone": "Europe/Paris"}),
        )
        .await
        .assert_status(200);
        register(
            &server,
            &alice,
            "ios",
            "abc",
            json!({"fcm_token": "tok-1", "time_zone": "Asia/Tokyo"}),
        )
        .await
        .assert_status(200);
        assert_eq!(
            server.get("/v1/users/profile", &alice).await["time_zone"],
            "Asia/Tokyo"
        );

        for (bad, loc) in [
            (json!({"fcm_token": "  "}), "fcm_token"),
            (json!({"fcm_token": "t".repeat(4097)}), "fcm_token"),
            (
                json!({"fcm_token": "t", "time_zone": "Mars/Olympus"}),
                "time_zone",
            ),
            (json!({"time_zone": "UTC"}), "fcm_token"),
        ] {
            let refused = register(&server, &alice, "ios", "abc", bad.clone()).await;
            refused.assert_status(422);
            assert!(refused.text.contains(loc), "{bad}: {}", refused.text);
        }
        let long_platform = register(
            &server,
            &alice,
            &"p".repeat(129),
            "abc",
            json!({"fcm_token": "t"}),
        )
        .await;
        long_platform.assert_status(422);
        let nul = register(
            &server,
            &alice,
            "ios",
            "abc",
            json!({"fcm_token": "t\u{0}"}),
        )
        .await;
        assert!((400..500).contains(&nul.status), "{}", nul.text);
        assert_eq!(
            server.get("/v1/users/profile", &alice).await["time_zone"],
            "Asia/Tokyo"
        );
        server
            .post("/v1/users/fcm-token", "", json!({"fcm_token": "t"}))
            .await
            .assert_status(401);
    }
);

both_stores!(with_store pushes_reach_every_device_and_gone_tokens_are_dropped, |store| async move {
    let fcm = FakeFcm::start().await;
    let options = fcm
        .env()
        .into_iter()
        .fold(admin_options(), |options, (key, value)| options.env(key, value));
    let server = TestServer::start_with(store, options).await;
    let alice = server.token("alice").await;
    register(&server, &alice, "ios", "phone", json!({"fcm_token": "tok-phone"})).await.assert_status(200);
    register(&server, &alice, "android", "tablet", json!({"fcm_token": "tok-tablet"})).await.assert_status(200);
    let bob = server.token("bob").await;
    register(&server, &bob, "ios", "bobs", json!({"fcm_token": "tok-bob"})).await.assert_status(200);
    fcm.unregister("tok-tablet");

    notify(&server, ADMIN, json!({"uid": "alice", "title": "Hello", "body": "First", "data": {"type": "hello"}}))
        .await
        .assert_status(200);
    let first = pushed(&server, &alice, 1).await;
    let outcomes = first[0]["outcomes"].as_array().unwrap();
    let status_of = |key: &str| {
        outcomes
            .iter()
            .find(|o| o["device_key"] == key)
            .unwrap_or_else(|| panic!("no outcome for {key}: {outcomes:?}"))
            .clone()
    };
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert_eq!(status_of("ios_phone")["status"], "sent");
    assert!(status_of("ios_phone")["message_id"].as_str().unwrap().starts_with("projects/omi-test/messages/"));
    assert_eq!(status_of("android_tablet")["status"], "unregistered");
    let messages = fcm.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["token"], "tok-phone");
    assert_eq!(messages[0]["notification"], json!({"title": "Hello", "body": "First"}));
    assert_eq!(messages[0]["data"], json!({"type": "hello"}));
    assert!(fcm.refusals().is_empty(), "{:?}", fcm.refusals());
    assert_eq!(fcm.tokens_issued(), 1);

    // The dropped tablet gets nothing more; a temporary refusal is retried; the access token is reused.
    fcm.refuse_next(1);
    notify(&server, ADMIN, json!({"uid": "alice", "title": "Again"})).await.assert_status(200);
    let second = pushed(&server, &alice, 2).await;
    assert_eq!(
        second[0]["outcomes"].as_array().unwrap().iter().map(|o| (o["device_key"].clone(), o["status"].clone())).collect::<Vec<_>>(),
        vec![(json!("ios_phone"), json!("sent"))]
    );
    assert_eq!(fcm.messages().len(), 2);
    assert_eq!(fcm.messages()[1]["notification"], json!({"title": "Again"}));
    assert_eq!(fcm.tokens_issued(), 1, "the access token is kept until it expires");
    assert!(fcm.messages().iter().all(|m| m["token"] != "tok-bob"), "bob was not notified");

    // The tablet registers a new token: it is pushed to again.
    register(&server, &alice, "android", "tablet", json!({"fcm_token": "tok-tablet-2"})).await.assert_status(200);
    notify(&server, ADMIN, json!({"uid": "alice", "title": "Third"})).await.assert_status(200);
    let third = pushed(&server, &alice, 3).await;
    assert_eq!(third[0]["outcomes"].as_array().unwrap().len(), 2);
    assert!(fcm.messages().iter().any(|m| m["token"] == "tok-tablet-2"));
});
