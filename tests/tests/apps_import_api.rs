//! The app import API's writes, reads and notifications (spec §7.2), on both stores: a conversation written from
//! text runs through the pipeline; memories given and extracted from a text are linked to the app; conversations
//! (with their transcript bounded), search and tasks are read; notifications are limited to 10 an hour per app
//! and user, conversations to 10 and memory imports to 60, with the `X-RateLimit-*` headers; bad input is
//! refused with 4xx before anything is written or counted.

use crate::apps_support;

use apps_support::*;
use omi_tests::*;

/// An approved import app declaring `actions`, enabled by bob, with an `sk_` key; its id and the key.
async fn import_app(
    server: &TestServer,
    alice: &str,
    bob: &str,
    actions: &[&str],
) -> (String, String) {
    let actions: Vec<Value> = actions.iter().map(|a| json!({"action": a})).collect();
    import_app_with(server, alice, bob, json!({ "actions": actions })).await
}

/// An approved import app with `integration`, enabled by bob, with an `sk_` key; its id and the key.
async fn import_app_with(
    server: &TestServer,
    alice: &str,
    bob: &str,
    integration: Value,
) -> (String, String) {
    let app_data = json!({
        "name": "Importer", "description": "Brings notes in", "category": "utilities-and-tools",
        "capabilities": ["external_integration"],
        "external_integration": integration,
    });
    let app = create_app(server, alice, &app_data).await;
    approve(server, &app).await;
    server
        .post(&format!("/v1/apps/enable?app_id={app}"), bob, json!({}))
        .await
        .assert_status(200);
    let key = server
        .post(&format!("/v1/apps/{app}/keys"), alice, json!({}))
        .await;
    key.assert_status(200);
    (app, key["secret"].as_str().unwrap().to_string())
}

/// A request with the app's key (or none) and an optional JSON body.
async fn with_key(
    server: &TestServer,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut builder = server.client().builder(method.clone(), path, "");
    if let Some(key) = key {
        builder = builder.header("authorization", format!("Bearer {key}"));
    }
    if let Some(body) = body {
        builder = builder
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    send(method, &server.url(path), builder).await
}

both_stores!(with_store an_app_writes_conversations_and_memories_into_the_users_account, |store| async move {
    let server = start(store).await;
    let (alice, bob) = (server.token("alice").await, server.token("bob").await);
    let (app, key) = import_app(&server, &alice, &bob, &["create_conversation", "create_facts"]).await;

    let path = format!("/v2/integrations/{app}/user/conversations?uid=bob");
    let text = "Met Dana at the bakery. She will send the catering quote by Thursday. We agreed to book the hall for May 3.";
    // The key is checked before the body.
    with_key(&server, Method::POST, &path, None, Some(json!({"text": text}))).await.assert_status(401);
    with_key(&server, Method::POST, &path, Some(&key), Some(json!({"text": ""}))).await.assert_status(422);
    with_key(&server, Method::POST, &path, Some(&key), Some(json!({"text": "a\u{0}b"}))).await.assert_status(422);
    let written = with_key(&server, Method::POST, &path, Some(&key), Some(json!({"text": text, "text_source": "message"}))).await;
    written.assert_status(200);
    assert_eq!(written.json, json!({}));
    let listed = server.get("/v1/conversations", &bob).await;
    let conversations = listed.json.as_array().unwrap();
    assert_eq!(conversations.len(), 1, "{listed:?}");
    assert_eq!(conversations[0]["source"], "external_integration");
    assert_eq!(conversations[0]["status"], "completed");
    assert!(!conversations[0]["structured"]["title"].as_str().unwrap().is_empty());
    assert!(server.get("/v1/conversations", &alice).await.json.as_array().unwrap().is_empty());

    let memories = format!("/v2/integrations/{app}/user/memories?uid=bob");
    for bad in [json!({}), json!({"text": "  ", "memories": []}), json!({"text": "x", "text_source": "fax"}), json!({"memories": [{"content": ""}]})] {
        let refused = with_key(&server, Method::POST, &memories, Some(&key), Some(bad.clone())).await;
        refused.assert_status(422);
    }
    let saved = with_key(
        &server,
        Method::POST,
        &memories,
        Some(&key),
        Some(json!({
            "memories": [{"content": "Bob's favourite tea is sencha", "tags": ["tea"]}],
            "text": "I love hiking in the Alps every summer. My sister Clara lives in Berlin and works as an architect.",
            "text_source": "email",
        })),
    )
    .await;
    saved.assert_status(200);
    let listed = server.get("/v3/memories", &bob).await;
    let mine: Vec<&Value> = listed.json.as_array().unwrap().iter().collect();
    let given = mine.iter().find(|m| m["content"] == "Bob's favourite tea is sencha").expect("the given memory");
    assert_eq!(given["app_id"], app.as_str());
    assert_eq!(given["tags"], json!(["tea"]));
    assert!(mine.len() >= 2, "memories are extracted from the text too: {mine:?}");
    assert!(mine.iter().all(|m| m["app_id"] == app.as_str()));

    // An app without the action is refused, whatever it sends.
    let (reader, reader_key) = import_app(&server, &alice, &bob, &["read_memories"]).await;
    let lacking = with_key(&server, Method::POST, &format!("/v2/integrations/{reader}/user/memories?uid=bob"), Some(&reader_key), Some(json!({"text": "x"}))).await;
    lacking.assert_status(403);
    assert_eq!(lacking["detail"], "App does not have the capability to create memories");
});

both_stores!(with_store an_app_reads_conversations_search_results_and_tasks, |store| async move {
    let server = start(store).await;
    let (alice, bob) = (server.token("alice").await, server.token("bob").await);
    let (app, key) = import_app(&server, &alice, &bob, &["read_conversations", "read_tasks"]).await;
    let created = server
        .post(
            "/v1/conversations/from-segments",
            &bob,
            json!({"transcript_segments": [
                {"text": "The greenhouse tomatoes need watering twice a day.", "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 3.0},
                {"text": "I will fix the greenhouse irrigation pump on Saturday, and we decided to order a second pump as a spare before the summer heat arrives.", "speaker": "SPEAKER_01", "start": 3.5, "end": 9.0},
            ]}),
        )
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();
    eventually("the conversation is processed", || async {
        server.get(&format!("/v1/conversations/{id}"), &bob).await["status"] == "completed"
    })
    .await;
    server.post("/v1/action-items", &bob, json!({"description": "Order new seed trays"})).await.assert_status(200);

    let read = |query: &str| format!("/v2/integrations/{app}/conversations?uid=bob&{query}");
    let one = with_key(&server, Method::GET, &read("max_transcript_segments=1"), Some(&key), None).await;
    one.assert_status(200);
    let items = one["conversations"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], id.as_str());
    assert_eq!(items[0]["transcript_segments"].as_array().unwrap().len(), 1);
    assert_eq!(items[0]["transcript_segments"][0]["is_user"], true);
    assert!(items[0]["structured"]["title"].is_string());
    let all = with_key(&server, Method::GET, &read("max_transcript_segments=-1&statuses=completed"), Some(&key), None).await;
    assert_eq!(all["conversations"][0]["transcript_segments"].as_array().map(Vec::len), Some(2), "{all:?}");
    let none = with_key(&server, Method::GET, &read("end_date=2001-01-01"), Some(&key), None).await;
    assert_eq!(none["conversations"], json!([]));
    for (query, status) in [("max_transcript_segments=1001", 422), ("max_transcript_segments=-2", 422), ("start_date=yesterday", 400), ("statuses=bogus", 400), ("limit=0", 422)] {
        with_key(&server, Method::GET, &read(query), Some(&key), None).await.assert_status(status);
    }

    let search = format!("/v2/integrations/{app}/search/conversations?uid=bob");
    let found = with_key(&server, Method::POST, &search, Some(&key), Some(json!({"query": "irrigation pump"}))).await;
    found.assert_status(200);
    assert_eq!(found["conversations"][0]["id"], id.as_str());
    assert_eq!(found["current_page"], 1);
    with_key(&server, Method::POST, &search, Some(&key), Some(json!({"query": "x", "per_page": 0}))).await.assert_status(422);

    let tasks = with_key(&server, Method::GET, &format!("/v2/integrations/{app}/tasks?uid=bob"), Some(&key), None).await;
    tasks.assert_status(200);
    let descriptions: Vec<&str> = tasks["tasks"].as_array().unwrap().iter().map(|t| t["description"].as_str().unwrap()).collect();
    assert!(descriptions.contains(&"Order new seed trays"), "{descriptions:?}");
    let pending = with_key(&server, Method::GET, &format!("/v2/integrations/{app}/tasks?uid=bob&completed=true"), Some(&key), None).await;
    assert_eq!(pending["tasks"], json!([]));
    // Alice has not enabled the app: nothing of hers is read.
    with_key(&server, Method::GET, &format!("/v2/integrations/{app}/tasks?uid=alice"), Some(&key), None).await.assert_status(403);
});

both_stores!(with_store app_notifications_are_limited_to_ten_an_hour_per_user, |store| async move {
    let server = start(store).await;
    let (alice, bob) = (server.token("alice").await, server.token("bob").await);
    let (app, key) = import_app(&server, &alice, &bob, &["read_memories"]).await;
    let path = |message: &str| format!("/v2/integrations/{app}/notification?uid=bob&message={message}");
    with_key(&server, Method::POST, &path("hello"), None, None).await.assert_status(401);
    with_key(&server, Method::POST, &path(""), Some(&key), None).await.assert_status(422);
    for n in 0..9 {
        let sent = with_key(&server, Method::POST, &path(&format!("Reminder%20{n}")), Some(&key), None).await;
        sent.assert_status(200);
        assert_eq!(sent["status"], "Ok");
        assert_eq!(sent.header("x-ratelimit-limit"), Some("10"));
        assert_eq!(sent.header("x-ratelimit-remaining"), Some((9 - n).to_string().as_str()), "after {n}");
    }
    // The bodied route shares the limit; missing fields are a 400 and are not counted.
    let v1 = "/v1/integrations/notification";
    with_key(&server, Method::POST, v1, Some(&key), Some(json!({"uid": "bob", "aid": app}))).await.assert_status(400);
    let tenth = with_key(&server, Method::POST, v1, Some(&key), Some(json!({"uid": "bob", "aid": app, "message": "The tenth"}))).await;
    tenth.assert_status(200);
    let over = with_key(&server, Method::POST, &path("one%20more"), Some(&key), None).await;
    over.assert_status(429);
    assert!(over.header("retry-after").is_some());
    assert_eq!(over.header("x-ratelimit-remaining"), Some("0"));
    // Another user's window is their own; alice has not enabled the app.
    with_key(&server, Method::POST, &format!("/v2/integrations/{app}/notification?uid=alice&message=hi"), Some(&key), None).await.assert_status(403);

    let listed = server.get("/v1/notifications?limit=50", &bob).await;
    let notifications = listed.json.as_array().unwrap();
    assert_eq!(notifications.len(), 10);
    assert!(notifications.iter().all(|n| n["title"] == "Importer" && n["app_id"] == app.as_str()));
    assert_eq!(notifications[0]["body"], "The tenth");
});

both_stores!(with_store an_apps_notification_is_also_its_chat_message_when_the_app_says_so, |store| async move {
    let server = start(store).await;
    let (alice, bob) = (server.token("alice").await, server.token("bob").await);
    let actions = json!([{"action": "read_memories"}]);
    let (to_main, main_key) = import_app_with(&server, &alice, &bob, json!({"actions": actions, "chat_messages_enabled": true, "chat_messages_target": "main"})).await;
    let (to_own, own_key) = import_app_with(&server, &alice, &bob, json!({"actions": actions, "chat_messages_enabled": true})).await;
    let (silent, silent_key) = import_app(&server, &alice, &bob, &["read_memories"]).await;
    for (app, key, message) in [(&to_main, &main_key, "Your%20parcel%20arrived"), (&to_own, &own_key, "Workout%20logged"), (&silent, &silent_key, "Only%20a%20push")] {
        with_key(&server, Method::POST, &format!("/v2/integrations/{app}/notification?uid=bob&message={message}"), Some(key), None).await.assert_status(200);
    }
    let main = server.get("/v2/messages", &bob).await;
    let texts: Vec<&str> = main.json.as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert!(texts.contains(&"[Importer]: Your parcel arrived"), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("Workout logged") || t.contains("Only a push")));
    let own = server.get(&format!("/v2/messages?app_id={to_own}"), &bob).await;
    assert!(own.json.to_string().contains("Workout logged"));
    let quiet = server.get(&format!("/v2/messages?app_id={silent}"), &bob).await;
    assert!(!quiet.json.to_string().contains("Only a push"));
    assert_eq!(server.get("/v1/notifications", &bob).await.json.as_array().unwrap().len(), 3);
});

both_stores!(with_store app_writes_are_limited_per_app_and_user, |store| async move {
    let server = start(store).await;
    let (alice, bob) = (server.token("alice").await, server.token("bob").await);
    let (app, key) = import_app(&server, &alice, &bob, &["create_conversation", "create_facts"]).await;
    let conversations = format!("/v2/integrations/{app}/user/conversations?uid=bob");
    // A body refused before writing is not counted.
    with_key(&server, Method::POST, &conversations, Some(&key), Some(json!({"text": ""}))).await.assert_status(422);
    for n in 0..10 {
        let written = with_key(&server, Method::POST, &conversations, Some(&key), Some(json!({"text": format!("Note number {n} about the garden.")}))).await;
        written.assert_status(200);
        assert_eq!(written.header("x-ratelimit-limit"), Some("10"));
        assert_eq!(written.header("x-ratelimit-remaining"), Some((9 - n).to_string().as_str()), "after {n}");
    }
    let over = with_key(&server, Method::POST, &conversations, Some(&key), Some(json!({"text": "One more note."}))).await;
    over.assert_status(429);
    assert!(over.header("retry-after").is_some());
    assert!(over["detail"].as_str().unwrap().contains("integration:conversations"));
    assert_eq!(server.get("/v1/conversations?limit=100", &bob).await.json.as_array().unwrap().len(), 10, "the refused one wrote nothing");

    let memories = format!("/v2/integrations/{app}/user/memories?uid=bob");
    with_key(&server, Method::POST, &memories, Some(&key), Some(json!({}))).await.assert_status(422);
    for n in 0..60 {
        let saved = with_key(&server, Method::POST, &memories, Some(&key), Some(json!({"memories": [{"content": format!("Bob fact {n}")}]}))).await;
        saved.assert_status(200);
        assert_eq!(saved.header("x-ratelimit-limit"), Some("60"));
    }
    let over = with_key(&server, Method::POST, &memories, Some(&key), Some(json!({"memories": [{"content": "Bob fact 60"}]}))).await;
    over.assert_status(429);
    assert_eq!(over.header("x-ratelimit-remaining"), Some("0"));
    let listed = server.get("/v3/memories?limit=100", &bob).await;
    assert_eq!(listed.json.as_array().unwrap().len(), 60);

    // Each user's window is their own.
    let carol = server.token("carol").await;
    server.post(&format!("/v1/apps/enable?app_id={app}"), &carol, json!({})).await.assert_status(200);
    let theirs = with_key(&server, Method::POST, &format!("/v2/integrations/{app}/user/conversations?uid=carol"), Some(&key), Some(json!({"text": "Carol's first note."}))).await;
    theirs.assert_status(200);
    assert_eq!(theirs.header("x-ratelimit-remaining"), Some("9"));
});
