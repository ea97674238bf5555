//! Chat (spec §6.4) on both stores with the embedded answerer: the stream's format, the thread's messages
//! (greeting, newest first, one thread per app context), clearing, reports, ratings, the v1 aliases, and the
//! 4xx of bad input, which records nothing.

use crate::chat_support;

use chat_support::{messages, send};
use omi_tests::*;

both_stores!(
    a_sent_message_streams_chunks_then_the_stored_answer,
    |server| async move {
        let token = server.token("alice").await;
        let streamed = send(&server, &token, "", "What did I promise Anna?").await;
        assert!(!streamed.chunks.is_empty(), "{streamed:?}");
        assert!(streamed.other.is_empty(), "{streamed:?}");
        let answer = streamed.answer();
        assert_eq!(answer["sender"], "ai");
        assert_eq!(answer["type"], "text");
        assert_eq!(answer["ask_for_nps"], false);
        assert_eq!(answer["text"], streamed.text().trim());
        let listed = messages(&server, &token, "").await;
        assert_eq!(listed.len(), 2, "{listed:?}");
        assert_eq!(listed[0]["id"], answer["id"]);
        assert_eq!(listed[0]["text"], answer["text"]);
        assert_eq!(listed[1]["sender"], "human");
        assert_eq!(listed[1]["text"], "What did I promise Anna?");
        assert_eq!(listed[1]["chat_session_id"], listed[0]["chat_session_id"]);
    }
);

both_stores!(an_empty_chat_is_greeted_once, |server| async move {
    let token = server.token("alice").await;
    let first = messages(&server, &token, "").await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["sender"], "ai");
    assert_eq!(first[0]["memories"], json!([]));
    let again = messages(&server, &token, "").await;
    assert_eq!(again, first, "the greeting is stored, not made up again");
    let greeted = server.post("/v2/initial-message", &token, json!({})).await;
    greeted.assert_status(200);
    assert_eq!(messages(&server, &token, "").await.len(), 2);
});

both_stores!(
    each_app_has_its_own_chat_and_null_is_the_main_one,
    |server| async move {
        let token = server.token("alice").await;
        send(&server, &token, "?app_id=notes-app", "hello app").await;
        send(&server, &token, "?app_id=null", "hello main").await;
        let app = messages(&server, &token, "?plugin_id=notes-app").await;
        assert_eq!(app.len(), 2);
        assert_eq!(app[1]["text"], "hello app");
        assert_eq!(app[0]["app_id"], "notes-app");
        assert_eq!(app[0]["plugin_id"], "notes-app");
        let main = messages(&server, &token, "").await;
        assert_eq!(main.len(), 2);
        assert_eq!(main[1]["text"], "hello main");
        assert_eq!(main[0]["app_id"], Value::Null);
        let bob = server.token("bob").await;
        let bobs = messages(&server, &bob, "").await;
        assert_eq!(
            bobs.len(),
            1,
            "another user sees only a greeting of their own"
        );
    }
);

both_stores!(
    clearing_starts_a_new_session_with_a_greeting,
    |server| async move {
        let token = server.token("alice").await;
        let before = send(&server, &token, "", "remember this").await;
        let cleared = server.delete("/v2/messages", &token).await;
        cleared.assert_status(200);
        assert_eq!(cleared.json["sender"], "ai");
        let listed = messages(&server, &token, "").await;
        assert_eq!(listed, vec![cleared.json.clone()]);
        assert_ne!(
            listed[0]["chat_session_id"],
            before.answer()["chat_session_id"]
        );
        let report = format!(
            "/v2/messages/{}/report",
            before.answer()["id"].as_str().unwrap()
        );
        server
            .post(&report, &token, json!({}))
            .await
            .assert_status(404);
        let v1 = server.delete("/v1/messages", &token).await;
        v1.assert_status(200);
        assert_eq!(messages(&server, &token, "").await, vec![v1.json.clone()]);
    }
);

both_stores!(an_ai_message_is_reported_once, |server| async move {
    let token = server.token("alice").await;
    let streamed = send(&server, &token, "", "anything about taxes?").await;
    let answer = streamed.answer()["id"].as_str().unwrap().to_string();
    let listed = messages(&server, &token, "").await;
    let human = listed[1]["id"].as_str().unwrap().to_string();

    let bob = server.token("bob").await;
    let path = format!("/v2/messages/{answer}/report");
    server.post(&path, &bob, json!({})).await.assert_status(404);
    server
        .post(&format!("/v2/messages/{human}/report"), &token, json!({}))
        .await
        .assert_status(400);
    let reported = server.post(&path, &token, json!({})).await;
    reported.assert_status(200);
    assert_eq!(reported.json, json!({"message": "Message reported"}));
    let again = server
        .post(&format!("/v1/messages/{answer}/report"), &token, json!({}))
        .await;
    again.assert_status(400);
    assert_eq!(again.json["detail"], "Message already reported");
    server
        .post("/v2/messages/no-such-message/report", &token, json!({}))
        .await
        .assert_status(404);
    let listed = messages(&server, &token, "").await;
    assert_eq!(listed[0]["reported"], true);
    assert_eq!(listed[1]["reported"], false);
});

both_stores!(a_rating_is_set_and_taken_back, |server| async move {
    let token = server.token("alice").await;
    let streamed = send(&server, &token, "", "hello").await;
    let id = streamed.answer()["id"].as_str().unwrap().to_string();
    let rate = |value: &str, reason: &str| {
        format!("/v1/users/analytics/chat_message?message_id={id}&value={value}&reason={reason}")
    };
    let rated = server
        .post(&rate("-1", "too_verbose"), &token, json!({}))
        .await;
    rated.assert_status(200);
    assert_eq!(messages(&server, &token, "").await[0]["rating"], -1);
    server
        .post(&rate("0", ""), &token, json!({}))
        .await
        .assert_status(200);
    assert_eq!(
        messages(&server, &token, "").await[0]["rating"],
        Value::Null
    );
    server
        .post(&rate("2", ""), &token, json!({}))
        .await
        .assert_status(422);
    server
        .post(&rate("1", "rude"), &token, json!({}))
        .await
        .assert_status(422);
    server
        .post(&rate("1", "abc"), &token, json!({}))
        .await
        .assert_status(422);
    let bob = server.token("bob").await;
    server
        .post(&rate("1", "other"), &bob, json!({}))
        .await
        .assert_status(404);
    server
        .post(
            "/v1/users/analytics/chat_message?message_id=x&value=one",
            &token,
            json!({}),
        )
        .await
        .assert_status(422);
});

both_stores!(
    the_v1_message_answers_the_whole_stored_message,
    |server| async move {
        let token = server.token("alice").await;
        let sent = server
            .post("/v1/messages", &token, json!({"text": "hello"}))
            .await;
        sent.assert_status(200);
        assert_eq!(sent.json["sender"], "ai");
        assert_eq!(sent.json["ask_for_nps"], false);
        assert_eq!(
            messages(&server, &token, "").await[0]["id"],
            sent.json["id"]
        );
    }
);

both_stores!(
    bad_messages_are_refused_and_record_nothing,
    |server| async move {
        let token = server.token("alice").await;
        let greeting = messages(&server, &token, "").await;
        for body in [
            json!({}),
            json!({"text": ""}),
            json!({"text": "   "}),
            json!({"text": "a\u{0}b"}),
            json!({"text": "x".repeat(10_001)}),
            json!({"text": 5}),
            json!({"text": "with files", "file_ids": ["f1"]}),
        ] {
            let refused = server.post("/v2/messages", &token, body.clone()).await;
            refused.assert_status(422);
            assert!(
                refused.json["detail"].is_array(),
                "{body}: {}",
                refused.text
            );
        }
        for query in [
            "?app_id=a%00b",
            "?app_id=a%20b",
            &format!("?app_id={}", "a".repeat(101)),
        ] {
            server
                .post(
                    &format!("/v2/messages{query}"),
                    &token,
                    json!({"text": "hi"}),
                )
                .await
                .assert_status(422);
            server
                .get(&format!("/v2/messages{query}"), &token)
                .await
                .assert_status(422);
        }
        assert_eq!(messages(&server, &token, "").await, greeting);
        let long = "é".repeat(10_000);
        let accepted = send(&server, &token, "", &long).await;
        assert!(accepted.done.is_some());
        server.get("/v2/messages", "").await.assert_status(401);
    }
);

both_stores!(concurrent_first_reads_greet_once, |server| async move {
    let token = server.token("alice").await;
    let reads = (0..6).map(|_| messages(&server, &token, ""));
    let answers = futures_util::future::join_all(reads).await;
    for answer in &answers {
        assert_eq!(answer.len(), 1, "{answer:?}");
        assert_eq!(answer[0]["id"], answers[0][0]["id"]);
    }
});

both_stores!(
    with_store messages_and_greetings_are_limited_per_user_and_hour,
    |store| async move {
        let options = StartOptions::new()
            .env("OMI_CHAT_RATE_PER_HOUR", "2")
            .env("OMI_CHAT_INITIAL_RATE_PER_HOUR", "1");
        let server = TestServer::start_with(store, options).await;
        let (alice, bob) = (server.token("alice").await, server.token("bob").await);
        // A refused body is not counted.
        server
            .post("/v2/messages", &alice, json!({"text": "x", "file_ids": ["f"]}))
            .await
            .assert_status(422);
        server.post("/v2/messages", &alice, json!({"text": "first"})).await.assert_status(200);
        server.post("/v1/messages", &alice, json!({"text": "second"})).await.assert_status(200);
        let over = server.post("/v2/messages", &alice, json!({"text": "third"})).await;
        over.assert_status(429);
        assert!(over["detail"].as_str().unwrap().contains("chat:send_message"));
        server.post("/v1/messages", &alice, json!({"text": "third"})).await.assert_status(429);
        // Another user has a window of their own; the refused messages were not recorded.
        server.post("/v2/messages", &bob, json!({"text": "hello"})).await.assert_status(200);
        let texts: Vec<String> = messages(&server, &alice, "")
            .await
            .iter()
            .filter(|m| m["sender"] == "human")
            .map(|m| m["text"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(texts, vec!["second", "first"]);
        server.post("/v2/initial-message", &alice, json!({})).await.assert_status(200);
        server.post("/v2/initial-message", &alice, json!({})).await.assert_status(429);
    }
);
