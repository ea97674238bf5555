//! Semantic search with an embeddings server (`OMI_EMBEDDINGS_BASE_URL`, a local server speaking OpenAI's
//! `/v1/embeddings` wire format): processed conversations are embedded once and their vectors recorded in the log,
//! a query finds conversations by meaning as well as by words, `match_snippets` show where the words occur, a
//! failing embeddings server never fails a search, and a replay restores the vectors without asking the server.

use crate::search_support;

use std::time::{Duration, Instant};

use omi_tests::*;
use search_support::*;

/// The conversation of the corpus about a car's brakes, and the one about a budget.
const CAR: usize = 7;
const BUDGET: usize = 11;

/// Waits until the change feed shows `count` `ConversationEmbedded` events of the user; returns them.
async fn embedded(server: &TestServer, token: &str, count: usize) -> Vec<Value> {
    wait_for_events(server, token, "ConversationEmbedded", count).await
}

/// Waits until the change feed shows `count` events named `name` of the user (60 s at most); returns them.
async fn wait_for_events(server: &TestServer, token: &str, name: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let page = server.get("/v1/changes?limit=1000", token).await;
        page.assert_status(200);
        let found: Vec<Value> = page["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|event| event["event"] == name)
            .cloned()
            .collect();
        if found.len() >= count || Instant::now() >= deadline {
            assert_eq!(found.len(), count, "{name} events");
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_stores!(with_store conversations_are_found_by_meaning, |store| async move {
    let embeddings = FakeEmbeddings::start().await;
    let mut server = TestServer::start_with(store, embeddings.options(StartOptions::new())).await;
    let token = server.token("alice").await;
    let ids = import_corpus(&server, &token).await;
    let events = embedded(&server, &token, CORPUS.len()).await;
    for event in &events {
        let payload = &event["payload"]["ConversationEmbedded"];
        assert_eq!(payload["model"], FAKE_EMBEDDINGS_MODEL);
        assert!(payload["vector"].as_str().is_some_and(|v| !v.is_empty()), "{event}");
    }
    // The history shows what the conversation shows: the embedding is not a version of it.
    let history = server
        .get(&format!("/v1/conversations/{}/history", ids[CAR]), &token)
        .await;
    history.assert_status(200);
    let versions = history["versions"].as_array().unwrap();
    assert!(!versions.is_empty());
    assert!(versions.iter().all(|v| v["event"] != "ConversationEmbedded"), "{}", history.json);
    // Each conversation was sent once, with the key and the model, its transcript in the text.
    let sent = embeddings.requests();
    assert_eq!(sent.len(), CORPUS.len());
    for (authorization, body) in &sent {
        assert_eq!(authorization, "Bearer sk-embeddings-key");
        assert_eq!(body["model"], FAKE_EMBEDDINGS_MODEL);
    }
    assert!(sent
        .iter()
        .any(|(_, body)| body["input"][0].as_str().unwrap().contains("squeaking")));

    // "automobile" and "money" are in no conversation: found by meaning alone, without snippets.
    let car = search(&server, &token, json!({"query": "automobile"})).await;
    assert_eq!(item_ids(&car).first(), Some(&ids[CAR]), "{car}");
    assert_eq!(car["items"][0]["match_snippets"], json!([]));
    assert_eq!(car["total_pages"], 1);
    let money = search(&server, &token, json!({"query": "money"})).await;
    assert_eq!(item_ids(&money).first(), Some(&ids[BUDGET]), "{money}");
    // A nonsense word is near nothing.
    let none = search(&server, &token, json!({"query": "zeppelin"})).await;
    assert_eq!(none["items"], json!([]), "{none}");

    // Words still rank first, with the passages that hold them.
    let brakes = search(&server, &token, json!({"query": "squeaking brakes"})).await;
    assert_eq!(item_ids(&brakes).first(), Some(&ids[CAR]));
    let snippets = brakes["items"][0]["match_snippets"].as_array().unwrap();
    assert!(!snippets.is_empty() && snippets.len() <= 3, "{brakes}");
    assert!(snippets[0].as_str().unwrap().contains("squeaking"), "{brakes}");
    // The filters hold for semantic matches too.
    let before = search(
        &server,
        &token,
        json!({"query": "automobile", "end_date": "2026-01-05"}),
    )
    .await;
    assert!(!item_ids(&before).contains(&ids[CAR]), "{before}");
    // Other users' conversations are never found by meaning.
    let bob = server.token("bob").await;
    let theirs = search(&server, &bob, json!({"query": "automobile"})).await;
    assert_eq!(theirs["items"], json!([]));

    // A failing embeddings server makes search full-text, never an error.
    embeddings.set_healthy(false);
    let words_only = search(&server, &token, json!({"query": "automobile"})).await;
    assert_eq!(words_only["items"], json!([]));
    let brakes_again = search(&server, &token, json!({"query": "brakes"})).await;
    assert_eq!(item_ids(&brakes_again).first(), Some(&ids[CAR]));
    embeddings.set_healthy(true);

    // A replay restores the vectors from the log, without asking the server again.
    let asked = embeddings.requests().len();
    server.stop().await;
    server.cli(&["replay"]).await.assert_success();
    server.restart().await;
    let token = server.token("alice").await;
    let replayed = search(&server, &token, json!({"query": "automobile"})).await;
    assert_eq!(item_ids(&replayed).first(), Some(&ids[CAR]));
    let queries_only = embeddings.requests()[asked..]
        .iter()
        .all(|(_, body)| body["input"][0] == "automobile");
    assert!(queries_only, "only the query was embedded after the replay");
});

both_stores!(with_store an_unreachable_server_embeds_later, |store| async move {
    let embeddings = FakeEmbeddings::start().await;
    embeddings.set_healthy(false);
    let server = TestServer::start_with(store, embeddings.options(StartOptions::new())).await;
    let token = server.token("alice").await;
    let id = import(&server, &token, CORPUS[CAR], &started_at(CAR)).await;
    assert_eq!(processed(&server, &token, &id).await["status"], "completed");
    // While the server fails, the conversation is found by its words and nothing is recorded.
    let found = search(&server, &token, json!({"query": "brakes"})).await;
    assert_eq!(item_ids(&found), std::slice::from_ref(&id));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!embeddings.requests().is_empty(), "the reaction asked");
    // Once it answers, the retried reaction records the vector, once.
    embeddings.set_healthy(true);
    embedded(&server, &token, 1).await;
    let car = search(&server, &token, json!({"query": "automobile"})).await;
    assert_eq!(item_ids(&car), [id]);
});

/// Stops `offline` (a server without embeddings, so without embeddings reactions) and starts a server on its
/// data with an embeddings server: its embeddings reactions begin at the head of the log, the backfill embeds what
/// came before.
async fn with_embeddings(mut offline: TestServer) -> (TestServer, FakeEmbeddings) {
    offline.stop().await;
    let embeddings = FakeEmbeddings::start().await;
    let server = TestServer::start_with(
        offline.store(),
        embeddings.options(StartOptions::new().reuse_data(offline.data())),
    )
    .await;
    (server, embeddings)
}

both_stores!(with_store an_edited_title_is_embedded_again, |store| async move {
    let embeddings = FakeEmbeddings::start().await;
    let server = TestServer::start_with(store, embeddings.options(StartOptions::new())).await;
    let token = server.token("alice").await;
    let id = import(&server, &token, CORPUS[CAR], &started_at(CAR)).await;
    embedded(&server, &token, 1).await;
    // "melody" is music, which the conversation is not about.
    let before = search(&server, &token, json!({"query": "melody"})).await;
    assert_eq!(before["items"], json!([]), "{before}");

    let retitled = server
        .patch(
            &format!("/v1/conversations/{id}/title?title=Guitar%20song%20album%20concert"),
            &token,
            json!({}),
        )
        .await;
    retitled.assert_status(200);
    let events = embedded(&server, &token, 2).await;
    assert_eq!(events[1]["aggregate_id"], id.as_str(), "{}", events[1]);
    let sent = embeddings.requests();
    assert!(
        sent.last().unwrap().1["input"][0]
            .as_str()
            .unwrap()
            .starts_with("Guitar song album concert"),
        "the new title was sent"
    );
    let after = search(&server, &token, json!({"query": "melody"})).await;
    assert_eq!(item_ids(&after), std::slice::from_ref(&id), "{after}");
    // The conversation is still itself: its words still find it.
    let brakes = search(&server, &token, json!({"query": "squeaking brakes"})).await;
    assert_eq!(item_ids(&brakes), [id]);
});

both_stores!(with_store conversations_processed_before_a_server_was_configured_are_embedded, |store| async move {
    let offline = TestServer::start(store).await;
    let token = offline.token("alice").await;
    let car = import(&offline, &token, CORPUS[CAR], &started_at(CAR)).await;
    let budget = import(&offline, &token, CORPUS[BUDGET], &started_at(BUDGET)).await;
    for id in [&car, &budget] {
        assert_eq!(processed(&offline, &token, id).await["status"], "completed");
    }
    let (server, embeddings) = with_embeddings(offline).await;
    let token = server.token("alice").await;
    let events = embedded(&server, &token, 2).await;
    let mut ids: Vec<&str> = events
        .iter()
        .map(|event| event["aggregate_id"].as_str().unwrap())
        .collect();
    ids.sort();
    let mut expected = [car.as_str(), budget.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    let automobile = search(&server, &token, json!({"query": "automobile"})).await;
    assert_eq!(item_ids(&automobile).first(), Some(&car), "{automobile}");
    let money = search(&server, &token, json!({"query": "money"})).await;
    assert_eq!(item_ids(&money).first(), Some(&budget), "{money}");
    // Each text was sent once, the two in one request; conversations processed from now on are the reaction's.
    let texts: Vec<Value> = embeddings
        .requests()
        .iter()
        .map(|(_, body)| body["input"].clone())
        .filter(|input| input.as_array().unwrap().len() == 2)
        .collect();
    assert_eq!(texts.len(), 1, "one batch of two");
    let later = import(&server, &token, CORPUS[BUDGET], &started_at(BUDGET)).await;
    let events = embedded(&server, &token, 3).await;
    assert_eq!(events[2]["aggregate_id"], later.as_str());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let all = server.get("/v1/changes?limit=1000", &token).await;
    let count = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["event"] == "ConversationEmbedded")
        .count();
    assert_eq!(count, 3, "nothing embedded twice");
});

/// The ids of a `GET /v3/memories/search` answer, best first.
fn memory_ids(found: &Response) -> Vec<String> {
    found
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|memory| memory["id"].as_str().unwrap().to_string())
        .collect()
}

both_stores!(with_store memories_are_found_by_meaning, |store| async move {
    let embeddings = FakeEmbeddings::start().await;
    let server = TestServer::start_with(store, embeddings.options(StartOptions::new())).await;
    let token = server.token("alice").await;
    let mut ids = Vec::new();
    for content in [
        "Alice drives an old Volvo and the brakes need a mechanic",
        "Alice keeps her spending under a strict budget",
        "Alice prefers green tea over coffee",
    ] {
        let created = server
            .post("/v1/memories", &token, json!({"content": content}))
            .await;
        created.assert_status(200);
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    let events = wait_for_events(&server, &token, "MemoryEmbedded", 3).await;
    assert!(events
        .iter()
        .all(|event| event["payload"]["MemoryEmbedded"]["model"] == FAKE_EMBEDDINGS_MODEL));
    // The history shows what the memory shows: the embedding is not a version of it.
    let history = server
        .get(&format!("/v1/memories/{}/history", ids[0]), &token)
        .await;
    history.assert_status(200);
    assert!(history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|version| version["event"] != "MemoryEmbedded"));

    // "automobile" and "money" are in no memory: found by meaning alone.
    let car = server
        .get("/v3/memories/search?query=automobile", &token)
        .await;
    car.assert_status(200);
    assert_eq!(memory_ids(&car), [ids[0].clone()], "{}", car.text);
    assert_eq!(car[0]["relevance_score"], 1.0);
    let money = server.get("/v3/memories/search?query=money", &token).await;
    assert_eq!(memory_ids(&money).first(), Some(&ids[1]), "{}", money.text);
    let none = server.get("/v3/memories/search?query=zeppelin", &token).await;
    assert_eq!(none.json, json!([]), "{}", none.text);
    // Words and meaning together: "tea" by its word first.
    let tea = server.get("/v3/memories/search?query=tea", &token).await;
    assert_eq!(memory_ids(&tea).first(), Some(&ids[2]));
    // Other users' memories are never found by meaning.
    let bob = server.token("bob").await;
    let theirs = server.get("/v3/memories/search?query=automobile", &bob).await;
    assert_eq!(theirs.json, json!([]));

    // An edit of the content is embedded again: the memory is now found by its new meaning, not its old one.
    server
        .put(
            &format!("/v1/memories/{}", ids[2]),
            &token,
            json!({"content": "Alice plays guitar in a band"}),
        )
        .await
        .assert_status(200);
    wait_for_events(&server, &token, "MemoryEmbedded", 4).await;
    let music = server.get("/v3/memories/search?query=melody", &token).await;
    assert_eq!(memory_ids(&music), [ids[2].clone()], "{}", music.text);
    // A deleted memory is found no more.
    server
        .delete(&format!("/v1/memories/{}", ids[0]), &token)
        .await
        .assert_status(200);
    let gone = server
        .get("/v3/memories/search?query=automobile", &token)
        .await;
    assert_eq!(gone.json, json!([]), "{}", gone.text);
});

both_stores!(with_store memories_written_before_a_server_was_configured_are_embedded, |store| async move {
    let offline = TestServer::start(store).await;
    let token = offline.token("alice").await;
    let created = offline
        .post(
            "/v1/memories",
            &token,
            json!({"content": "Alice is saving money for a new garage"}),
        )
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();
    let (server, _embeddings) = with_embeddings(offline).await;
    let token = server.token("alice").await;
    let events = wait_for_events(&server, &token, "MemoryEmbedded", 1).await;
    assert_eq!(events[0]["aggregate_id"], id.as_str());
    let found = server.get("/v3/memories/search?query=vehicle", &token).await;
    assert_eq!(memory_ids(&found), [id], "{}", found.text);
});
