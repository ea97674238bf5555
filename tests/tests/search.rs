//! `POST /v1/conversations/search` and `GET /v3/memories/search` on a fixed corpus: the conversation that
//! answers each question ranks first, filters and paging, other users' data never found, bad input refused
//! with 4xx, the rate limit.

use crate::search_support;

use omi_tests::*;
use search_support::*;
use sqlx::Connection;

both_stores!(
    the_answering_conversation_ranks_first,
    |server| async move {
        let token = server.token("alice").await;
        let ids = import_corpus(&server, &token).await;
        for (question, expected) in QUESTIONS {
            let answer = search(&server, &token, json!({"query": question})).await;
            let found = item_ids(&answer);
            assert_eq!(
                found.first(),
                Some(&ids[expected]),
                "{question:?} should find conversation {expected} first; found {:?}",
                found
                    .iter()
                    .map(|id| ids.iter().position(|i| i == id))
                    .collect::<Vec<_>>()
            );
            // Items have the shape of GET /v1/conversations/{id}, with the passages that hold the words.
            let one = server
                .get(&format!("/v1/conversations/{}", ids[expected]), &token)
                .await;
            let mut item = answer["items"][0].clone();
            let snippets = item
                .as_object_mut()
                .unwrap()
                .remove("match_snippets")
                .expect("match_snippets");
            assert_eq!(item, one.json);
            let snippets = snippets.as_array().unwrap();
            assert!(
                (1..=3).contains(&snippets.len()),
                "{question:?}: {snippets:?}"
            );
            let lines = CORPUS[expected].join(" ");
            for snippet in snippets {
                let inner = snippet.as_str().unwrap().trim_matches('…');
                assert!(
                    lines.contains(inner),
                    "{inner:?} is a passage of the transcript"
                );
            }
        }
        // A word in no conversation finds nothing.
        let none = search(&server, &token, json!({"query": "zeppelin"})).await;
        assert_eq!(none["items"], json!([]));
        assert_eq!(none["total_pages"], 0);
    }
);

both_stores!(filters_and_pages, |server| async move {
    let token = server.token("alice").await;
    let ids = import_corpus(&server, &token).await;
    let created: Vec<String> = {
        let mut all = Vec::new();
        for id in &ids {
            let one = server.get(&format!("/v1/conversations/{id}"), &token).await;
            all.push(one["created_at"].as_str().unwrap().to_string());
        }
        all
    };
    // An empty query lists newest first, in pages.
    let mut listed = Vec::new();
    for page in 1..=4 {
        let answer = search(&server, &token, json!({"page": page, "per_page": 4})).await;
        assert_eq!(answer["total_pages"], 4, "{answer}");
        assert_eq!(answer["current_page"], page);
        assert_eq!(answer["per_page"], 4);
        listed.extend(item_ids(&answer));
    }
    let mut newest_first: Vec<(String, String)> =
        created.iter().cloned().zip(ids.iter().cloned()).collect();
    newest_first.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert_eq!(
        listed,
        newest_first
            .into_iter()
            .map(|(_, id)| id)
            .collect::<Vec<_>>()
    );
    let past = search(&server, &token, json!({"page": 5, "per_page": 4})).await;
    assert_eq!(past["items"], json!([]));
    assert_eq!(past["total_pages"], 4);

    // Dates bound created_at (inclusive; a bare end date covers its day).
    let day = |n: usize| created[n][..10].to_string();
    let within = search(
        &server,
        &token,
        json!({"start_date": created[3], "end_date": day(5), "per_page": 100}),
    )
    .await;
    let mut expected: Vec<String> = (0..ids.len())
        .filter(|&n| created[n] >= created[3] && created[n][..10] <= *day(5))
        .map(|n| ids[n].clone())
        .collect();
    let mut got = item_ids(&within);
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    assert!(!got.is_empty());
    // The dentist is found, but not outside the dates.
    let dentist = search(
        &server,
        &token,
        json!({"query": "dentist", "end_date": day(0)}),
    )
    .await;
    assert_eq!(item_ids(&dentist).first(), Some(&ids[0]));
    let later = search(
        &server,
        &token,
        json!({"query": "dentist", "start_date": created[1]}),
    )
    .await;
    assert!(!item_ids(&later).contains(&ids[0]), "{later}");

    // Discarded conversations are found unless include_discarded is false.
    let small_talk = import(
        &server,
        &token,
        &["okay thanks bye", "bye"],
        &started_at(20),
    )
    .await;
    let discarded = processed(&server, &token, &small_talk).await;
    assert_eq!(discarded["discarded"], true, "{discarded}");
    let with = search(&server, &token, json!({"query": "okay thanks bye"})).await;
    assert!(item_ids(&with).contains(&small_talk), "{with}");
    let without = search(
        &server,
        &token,
        json!({"query": "okay thanks bye", "include_discarded": false}),
    )
    .await;
    assert!(!item_ids(&without).contains(&small_talk), "{without}");

    // speaker_id "user": conversations in which the user speaks (all of the corpus).
    let spoken = search(
        &server,
        &token,
        json!({"query": "lisbon", "speaker_id": "user"}),
    )
    .await;
    assert_eq!(item_ids(&spoken).first(), Some(&ids[6]));

    // A deleted conversation is no longer found.
    server
        .delete(&format!("/v1/conversations/{}", ids[7]), &token)
        .await
        .assert_status(204);
    let gone = search(&server, &token, json!({"query": "brakes"})).await;
    assert!(!item_ids(&gone).contains(&ids[7]), "{gone}");
});

both_stores!(other_users_and_bad_input, |server| async move {
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    import_corpus(&server, &alice).await;
    let nothing = search(&server, &bob, json!({"query": "dentist marathon"})).await;
    assert_eq!(nothing["items"], json!([]));
    let listed = search(&server, &bob, json!({})).await;
    assert_eq!(listed["items"], json!([]));
    assert_eq!(listed["total_pages"], 0);

    // Words that look like query syntax are words; none is read as syntax.
    for query in [
        "\"dentist",
        "dentist*",
        "NEAR(dentist appointment)",
        "dentist AND OR NOT",
        "'; DROP TABLE search_conversations; --",
        "(((",
        "-dentist",
        "dentist:*",
        "!!!",
    ] {
        let answer = search(&server, &alice, json!({"query": query})).await;
        assert!(answer["items"].is_array(), "{query:?}: {answer}");
    }
    let huge = "dentist ".repeat(200_000);
    let answer = search(&server, &alice, json!({"query": huge})).await;
    assert!(!item_ids(&answer).is_empty());

    for (body, status) in [
        (json!({"page": 0}), 422),
        (json!({"per_page": 0}), 422),
        (json!({"per_page": 101}), 422),
        (json!({"page": "one"}), 422),
        (json!({"query": 5}), 422),
        (json!({"query": "dentist\u{0}appointment"}), 422),
        (json!({"start_date": "yesterday"}), 400),
        (json!({"end_date": "2026-13-45"}), 400),
        (
            json!({"start_date": "2026-02-01", "end_date": "2026-01-01"}),
            400,
        ),
        (
            json!({"speaker_id": "0b6d3e3c-0000-4000-8000-000000000000"}),
            404,
        ),
    ] {
        let refused = server
            .post("/v1/conversations/search", &alice, body.clone())
            .await;
        refused.assert_status(status);
        assert!(
            refused["detail"].is_string() || refused["detail"].is_array(),
            "{body}: {}",
            refused.text
        );
    }
    server
        .post("/v1/conversations/search", "", json!({}))
        .await
        .assert_status(401);
    let refused = server
        .get("/v3/memories/search?query=x&limit=0", &alice)
        .await;
    refused.assert_status(422);
    let refused = server
        .get("/v3/memories/search?query=x&limit=101", &alice)
        .await;
    refused.assert_status(422);
});

both_stores!(
    memories_are_searched_with_a_relevance_score,
    |server| async move {
        let token = server.token("alice").await;
        let contents = [
            "Alice is allergic to peanuts",
            "Alice plays tennis on Tuesdays",
            "Alice prefers green tea over coffee",
            "Alice's brother Tom lives in Denver and plays tennis too",
        ];
        let mut ids = Vec::new();
        for content in contents {
            let created = server
                .post("/v3/memories", &token, json!({"content": content}))
                .await;
            created.assert_status(200);
            ids.push(created["id"].as_str().unwrap().to_string());
        }
        let found = server
            .get("/v3/memories/search?query=peanut%20allergy", &token)
            .await;
        found.assert_status(200);
        assert_eq!(found[0]["id"], ids[0].as_str(), "{}", found.text);
        let tennis = server
            .get("/v3/memories/search?query=tennis&limit=10", &token)
            .await;
        tennis.assert_status(200);
        let list = tennis.json.as_array().unwrap();
        assert_eq!(list.len(), 2, "{}", tennis.text);
        for memory in list {
            let score = memory["relevance_score"].as_f64().unwrap();
            assert!(score > 0.0 && score <= 1.0, "{memory}");
            assert!(memory["content"].as_str().unwrap().contains("tennis"));
        }
        assert_eq!(list[0]["relevance_score"], 1.0, "the best match scores 1");
        assert!(list[0]["relevance_score"].as_f64() >= list[1]["relevance_score"].as_f64());
        // An empty query lists newest first; another user finds nothing.
        let all = server.get("/v3/memories/search?limit=100", &token).await;
        assert_eq!(all.json.as_array().unwrap().len(), contents.len());
        let bob = server.token("bob").await;
        let none = server.get("/v3/memories/search?query=tennis", &bob).await;
        assert_eq!(none.json, json!([]));
        // An edited memory is found by its new words only; a deleted one not at all.
        server
            .patch(
                &format!("/v3/memories/{}?value=Alice%20drinks%20espresso", ids[2]),
                &token,
                json!({}),
            )
            .await
            .assert_status(200);
        let tea = server
            .get("/v3/memories/search?query=green%20tea", &token)
            .await;
        assert!(!tea.text.contains(&ids[2]), "{}", tea.text);
        let deleted = server
            .delete(&format!("/v3/memories/{}", ids[0]), &token)
            .await;
        assert!(deleted.status < 300, "{}", deleted.text);
        let peanuts = server
            .get("/v3/memories/search?query=peanuts", &token)
            .await;
        assert_eq!(peanuts.json, json!([]));
    }
);

both_stores!(with_store the_search_rate_limit_holds, |store| async move {
    let server = TestServer::start_with(store, StartOptions::new().env("OMI_SEARCH_RATE_PER_HOUR", "2")).await;
    let token = server.token("alice").await;
    for _ in 0..2 {
        search(&server, &token, json!({"query": "x"})).await;
    }
    let refused = server.post("/v1/conversations/search", &token, json!({"query": "x"})).await;
    refused.assert_status(429);
    // Another user has a limit of their own.
    let bob = server.token("bob").await;
    search(&server, &bob, json!({"query": "x"})).await;
});

both_stores!(other_forms_of_a_word_are_found, |server| async move {
    let token = server.token("alice").await;
    let created = server
        .post(
            "/v3/memories",
            &token,
            json!({"content": "I promised Anna to call"}),
        )
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();
    for query in ["promises", "PROMISE", "calling", "annas"] {
        let found = server
            .get(&format!("/v3/memories/search?query={query}"), &token)
            .await;
        found.assert_status(200);
        assert_eq!(found[0]["id"], id.as_str(), "{query}: {}", found.text);
    }
    // On PostgreSQL the server writes each row's lexemes: stemmed, stop words left out but counted in the
    // positions, the content's weight A; PostgreSQL reads them back unchanged.
    if let Some(url) = server.data().database_url() {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let words: String =
            sqlx::query_scalar("SELECT CAST(words AS TEXT) FROM search_memories WHERE id = $1")
                .bind(&id)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert_eq!(words, "'anna':3A 'call':5A 'promis':2A");
        // Without stop words, the lexemes are PostgreSQL's own `english` analysis of the same text.
        let plain = "Running shoes wear quickly near marathon training sessions";
        let created = server
            .post("/v3/memories", &token, json!({"content": plain}))
            .await;
        created.assert_status(200);
        let (ours, postgres): (String, String) = sqlx::query_as(
            "SELECT CAST(words AS TEXT), CAST(setweight(to_tsvector('english', content), 'A') AS TEXT)
             FROM search_memories WHERE id = $1",
        )
        .bind(created["id"].as_str().unwrap())
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(ours, postgres);
    }
});
