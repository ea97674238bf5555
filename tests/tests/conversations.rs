//! Conversations over REST: imports, reads, lists, edits, sharing, isolation and validation; the hand-offs to
//! processing (closing the in-progress conversation, reprocess, merge) and the toggles of a processed
//! conversation.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use omi_tests::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const STARTED: &str = "2026-03-01T10:00:00+00:00";

/// A three-segment transcript; speakers 1, 2, 1.
fn transcript() -> Value {
    json!([
        {"text": "Good morning, let's plan the product launch.", "speaker": "SPEAKER_01", "start": 0.0, "end": 4.0},
        {"text": "Sure. I will send the budget to Sarah tomorrow at 9am.", "speaker_id": 2, "start": 4.5, "end": 9.0},
        {"text": "Great, and we have a team meeting on Friday at 10am.", "speaker": "SPEAKER_01", "start": 9.5, "end": 13.5},
    ])
}

/// Imports `body` from segments and returns the new id.
async fn import(server: &TestServer, token: &str, body: Value) -> String {
    let created = server
        .post("/v1/conversations/from-segments", token, body)
        .await;
    created.assert_status(200);
    created["id"].as_str().unwrap().to_string()
}

/// Imports the standard transcript, started at `started_at`.
async fn import_at(server: &TestServer, token: &str, started_at: &str) -> String {
    import(
        server,
        token,
        json!({"transcript_segments": transcript(), "started_at": started_at}),
    )
    .await
}

fn path(id: &str, rest: &str) -> String {
    format!("/v1/conversations/{id}{rest}")
}

fn ids(list: &Response) -> Vec<String> {
    list.json
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", list.text))
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

/// The conversation once it left `processing`, or as it is after `within`.
async fn settle(server: &TestServer, token: &str, id: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let conversation = server.get(&path(id, ""), token).await;
        conversation.assert_status(200);
        if conversation["status"] != "processing" || Instant::now() >= deadline {
            return conversation.json;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The conversation once processing completed it.
async fn completed(server: &TestServer, token: &str, id: &str) -> Value {
    let conversation = settle(server, token, id, Duration::from_secs(60)).await;
    assert_eq!(conversation["status"], "completed", "{conversation}");
    conversation
}

both_stores!(
    a_segment_import_is_read_back_with_its_transcript,
    |server| async move {
        let token = server.token("alice").await;
        let created = server
            .post(
                "/v1/conversations/from-segments",
                &token,
                json!({
                    "transcript_segments": transcript(),
                    "started_at": STARTED,
                    "source": "phone",
                    "geolocation": {"latitude": 52.52, "longitude": 13.405, "address": "Berlin"},
                }),
            )
            .await;
        created.assert_status(200);
        let id = created["id"].as_str().unwrap().to_string();
        assert!(created["discarded"].is_boolean(), "{}", created.text);
        assert!(
            ["processing", "completed"].contains(&created["status"].as_str().unwrap()),
            "{}",
            created.text
        );

        let conversation = server.get(&path(&id, ""), &token).await;
        conversation.assert_status(200);
        assert_eq!(conversation["id"], id.as_str());
        assert_eq!(conversation["source"], "phone");
        assert_eq!(conversation["language"], "en");
        assert_eq!(conversation["started_at"], STARTED);
        assert_eq!(
            conversation["created_at"], STARTED,
            "imports keep their time"
        );
        assert_eq!(
            conversation["finished_at"], "2026-03-01T10:00:13.500+00:00",
            "started_at plus the end of the last segment"
        );
        assert!(conversation["updated_at"]
            .as_str()
            .unwrap()
            .ends_with("+00:00"));
        assert_eq!(conversation["geolocation"]["address"], "Berlin");
        assert_eq!(conversation["visibility"], "private");
        assert_eq!(conversation["starred"], false);
        assert_eq!(conversation["folder_id"], Value::Null);
        assert_eq!(conversation["photos"], json!([]));
        assert_eq!(conversation["is_locked"], false);
        assert_eq!(conversation["deleted"], false);
        assert!(conversation["structured"]["action_items"].is_array());
        let segments = conversation["transcript_segments"].as_array().unwrap();
        assert_eq!(segments.len(), 3);
        assert_eq!(
            segments[0]["text"],
            "Good morning, let's plan the product launch."
        );
        assert_eq!(segments[0]["speaker"], "SPEAKER_01");
        assert_eq!(segments[0]["speaker_id"], 1);
        assert_eq!(segments[1]["speaker"], "SPEAKER_02");
        assert_eq!(segments[1]["speaker_id"], 2);
        assert_eq!(segments[1]["is_user"], false);
        assert_eq!(segments[2]["start"], 9.5);
        assert_eq!(segments[2]["end"], 13.5);
        let segment_ids: Vec<&str> = segments.iter().map(|s| s["id"].as_str().unwrap()).collect();
        assert!(segment_ids.iter().all(|s| s.len() == 36), "{segment_ids:?}");
        assert!(segment_ids[0] != segment_ids[1] && segment_ids[1] != segment_ids[2]);

        let listed = server.get("/v1/conversations", &token).await;
        listed.assert_status(200);
        assert_eq!(ids(&listed), vec![id.clone()]);
        assert!(
            listed[0].get("transcript_segments").is_none(),
            "lists leave the segments out: {}",
            listed.text
        );
        assert_eq!(listed[0]["source"], "phone");
    }
);

both_stores!(
    a_text_import_keeps_its_payload_and_has_no_segments,
    |server| async move {
        let token = server.token("alice").await;
        let created = server
            .post(
                "/v1/conversations/from-text",
                &token,
                json!({
                    "text": "Met Ann to review the quarterly budget.",
                    "text_source": "message",
                    "text_source_spec": "email",
                    "started_at": STARTED,
                }),
            )
            .await;
        created.assert_status(200);
        let id = created["id"].as_str().unwrap().to_string();
        let conversation = server.get(&path(&id, ""), &token).await;
        conversation.assert_status(200);
        assert_eq!(conversation["transcript_segments"], json!([]));
        assert_eq!(conversation["source"], "external_integration");
        assert_eq!(conversation["started_at"], STARTED);
        assert_eq!(
            conversation["finished_at"], "2026-03-01T10:05:00+00:00",
            "five minutes by default"
        );
        let data = &conversation["external_data"];
        assert_eq!(data["text"], "Met Ann to review the quarterly budget.");
        assert_eq!(data["text_source"], "message");
        assert_eq!(data["text_source_spec"], "email");

        let defaulted = server
            .post(
                "/v1/conversations/from-text",
                &token,
                json!({"text": "A note."}),
            )
            .await;
        defaulted.assert_status(200);
        let other = server
            .get(&path(defaulted["id"].as_str().unwrap(), ""), &token)
            .await;
        assert_eq!(other["external_data"]["text_source"], "other_text");
        assert_eq!(other["language"], "en");
    }
);

both_stores!(imports_are_validated, |server| async move {
    let token = server.token("alice").await;
    let bad = server
        .post(
            "/v1/conversations/from-segments",
            &token,
            json!({"transcript_segments": [
                {"text": "fine", "start": 0.0, "end": 1.0},
                {"text": "   ", "start": 1.0, "end": 2.0},
                {"text": "backwards", "start": 3.0, "end": 2.0},
                {"text": "negative", "start": -1.0, "end": 2.0},
            ]}),
        )
        .await;
    bad.assert_status(422);
    let messages: Vec<&str> = bad["detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["msg"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        vec![
            "Segment 1: text must not be empty",
            "Segment 2: end must be greater than start",
            "Segment 3: start must be >= 0",
        ]
    );

    let empty = server
        .post(
            "/v1/conversations/from-segments",
            &token,
            json!({"transcript_segments": []}),
        )
        .await;
    empty.assert_status(422);
    let many: Vec<Value> = (0..501)
        .map(|i| json!({"text": "word", "start": i as f64, "end": i as f64 + 0.5}))
        .collect();
    server
        .post(
            "/v1/conversations/from-segments",
            &token,
            json!({"transcript_segments": many}),
        )
        .await
        .assert_status(422);
    server
        .post(
            "/v1/conversations/from-segments",
            &token,
            json!({"transcript_segments": transcript(), "started_at": "2026-03-01T10:00:00Z",
                   "finished_at": "2026-03-01T09:00:00Z"}),
        )
        .await
        .assert_status(422);
    server
        .post(
            "/v1/conversations/from-segments",
            &token,
            json!({"transcript_segments": transcript(), "geolocation": {"latitude": 99.0, "longitude": 0.0}}),
        )
        .await
        .assert_status(422);
    server
        .post(
            "/v1/conversations/from-segments",
            &token,
            json!({"transcript_segments": [{"text": "no times"}]}),
        )
        .await
        .assert_status(422);

    for body in [
        json!({"text": ""}),
        json!({"text": "x".repeat(100_001)}),
        json!({"text": "fine", "text_source": "fax"}),
        json!({"text": "fine", "started_at": "2026-03-01T10:00:00Z", "finished_at": "2026-03-01T09:59:59Z"}),
        json!({"text": "fine", "started_at": "yesterday"}),
    ] {
        let refused = server
            .post("/v1/conversations/from-text", &token, body)
            .await;
        refused.assert_status(422);
        assert!(refused["detail"].is_array(), "{}", refused.text);
    }
    assert_eq!(
        server.get("/v1/conversations", &token).await.json,
        json!([]),
        "nothing was created"
    );
});

both_stores!(
    lists_are_newest_first_paged_and_filtered,
    |server| async move {
        let token = server.token("alice").await;
        let day1 = import_at(&server, &token, "2026-03-01T10:00:00Z").await;
        let day3 = import_at(&server, &token, "2026-03-03T10:00:00Z").await;
        let day2 = import_at(&server, &token, "2026-03-02T10:00:00Z").await;

        let all = server.get("/v1/conversations", &token).await;
        all.assert_status(200);
        assert_eq!(ids(&all), vec![day3.clone(), day2.clone(), day1.clone()]);

        let page = server.get("/v1/conversations?limit=2", &token).await;
        assert_eq!(ids(&page), vec![day3.clone(), day2.clone()]);
        let rest = server
            .get("/v1/conversations?limit=2&offset=2", &token)
            .await;
        assert_eq!(ids(&rest), vec![day1.clone()]);

        let from = server
            .get("/v1/conversations?start_date=2026-03-02T10:00:00Z", &token)
            .await;
        assert_eq!(ids(&from), vec![day3.clone(), day2.clone()], "inclusive");
        let until = server
            .get(
                "/v1/conversations?end_date=2026-03-02T10:00:00%2B00:00",
                &token,
            )
            .await;
        assert_eq!(ids(&until), vec![day2.clone(), day1.clone()], "inclusive");
        let between = server
            .get(
                "/v1/conversations?start_date=2026-03-02&end_date=2026-03-02T23:59:59",
                &token,
            )
            .await;
        assert_eq!(ids(&between), vec![day2.clone()]);

        let in_progress = server
            .get("/v1/conversations?statuses=in_progress", &token)
            .await;
        in_progress.assert_status(200);
        assert_eq!(in_progress.json, json!([]));
        let merging = server
            .get("/v1/conversations?statuses=merging,failed", &token)
            .await;
        assert_eq!(merging.json, json!([]));
        let both = server
            .get(
                "/v1/conversations?statuses=processing&statuses=completed",
                &token,
            )
            .await;
        assert_eq!(ids(&both).len(), 3);
        let empty_means_default = server.get("/v1/conversations?statuses=", &token).await;
        assert_eq!(ids(&empty_means_default).len(), 3);

        let kept = server
            .get("/v1/conversations?include_discarded=false", &token)
            .await;
        kept.assert_status(200);
        assert!(kept
            .json
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["discarded"] == false));
    }
);

both_stores!(list_parameters_are_validated, |server| async move {
    let token = server.token("alice").await;
    for query in [
        "statuses=bogus",
        "statuses=completed,bogus",
        "limit=0",
        "limit=1001",
        "offset=-1",
        "include_discarded=maybe",
        "start_date=yesterday",
        "starred=perhaps",
    ] {
        let refused = server
            .get(&format!("/v1/conversations?{query}"), &token)
            .await;
        refused.assert_status(422);
        assert!(refused["detail"].is_array(), "{query}: {}", refused.text);
    }
    server
        .get("/v1/conversations?limit=1000", &token)
        .await
        .assert_status(200);
    server.get("/v1/conversations", "").await.assert_status(401);
    for query in ["limit=0", "limit=1001", "offset=-5"] {
        server
            .get(&format!("/v1/public-conversations?{query}"), "")
            .await
            .assert_status(422);
    }
});

both_stores!(a_conversation_is_deleted, |server| async move {
    let token = server.token("alice").await;
    let id = import_at(&server, &token, STARTED).await;
    let other = import_at(&server, &token, "2026-03-02T10:00:00Z").await;
    let deleted = server.delete(&path(&id, ""), &token).await;
    deleted.assert_status(204);
    server.get(&path(&id, ""), &token).await.assert_status(404);
    assert_eq!(
        ids(&server.get("/v1/conversations", &token).await),
        vec![other]
    );
    let again = server.delete(&path(&id, ""), &token).await;
    again.assert_status(404);
    assert_eq!(again["detail"], "Conversation not found");
    server
        .delete(&path("no-such-conversation", ""), &token)
        .await
        .assert_status(404);
});

both_stores!(
    another_users_conversation_is_not_found,
    |server| async move {
        let alice = server.token("alice").await;
        let bob = server.token("bob").await;
        let id = import_at(&server, &alice, STARTED).await;
        let before = server.get(&path(&id, ""), &alice).await.json;
        let segment_id = before["transcript_segments"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();

        assert_eq!(server.get("/v1/conversations", &bob).await.json, json!([]));
        for (method, rest, body) in [
            (Method::GET, String::new(), None),
            (Method::DELETE, String::new(), None),
            (Method::PATCH, "/title?title=Mine".to_string(), None),
            (
                Method::PATCH,
                "/overview".to_string(),
                Some(json!({"overview": "mine"})),
            ),
            (
                Method::PATCH,
                format!("/segments/{segment_id}/text"),
                Some(json!({"text": "mine"})),
            ),
            (
                Method::PATCH,
                "/segments/0/assign?assign_type=is_user&value=true".to_string(),
                None,
            ),
            (
                Method::PATCH,
                "/assign-speaker/1?assign_type=is_user&value=true".to_string(),
                None,
            ),
            (
                Method::PATCH,
                "/segments/assign-bulk".to_string(),
                Some(
                    json!({"segment_ids": [segment_id.clone()], "assign_type": "is_user", "value": "true"}),
                ),
            ),
            (
                Method::PATCH,
                "/events".to_string(),
                Some(json!({"events_idx": [0], "values": [true]})),
            ),
            (Method::GET, "/action-items".to_string(), None),
            (
                Method::PATCH,
                "/action-items".to_string(),
                Some(json!({"items_idx": [0], "values": [true]})),
            ),
            (
                Method::PATCH,
                "/action-items/0".to_string(),
                Some(json!({"old_description": "a", "description": "b"})),
            ),
            (
                Method::DELETE,
                "/action-items".to_string(),
                Some(json!({"description": "a", "completed": false})),
            ),
            (Method::PATCH, "/visibility?value=public".to_string(), None),
            (Method::PATCH, "/starred?starred=true".to_string(), None),
            (
                Method::PATCH,
                "/folder".to_string(),
                Some(json!({"folder_id": "f1"})),
            ),
            (Method::POST, "/reprocess".to_string(), None),
            (Method::GET, "/photos".to_string(), None),
            (Method::GET, "/recording".to_string(), None),
        ] {
            let answer = server
                .request(method.clone(), &path(&id, &rest), &bob, body)
                .await;
            assert_eq!(
                answer.status, 404,
                "{method} {rest}: expected 404, got {}: {}",
                answer.status, answer.text
            );
        }
        server
            .post(
                "/v1/conversations/merge",
                &bob,
                json!({"conversation_ids": [id.clone(), id.clone() + "x"]}),
            )
            .await
            .assert_status(404);
        server
            .get(&path(&id, "/shared"), "")
            .await
            .assert_status(404);

        let after = server.get(&path(&id, ""), &alice).await;
        after.assert_status(200);
        assert_eq!(after["transcript_segments"], before["transcript_segments"]);
        assert_eq!(after["visibility"], "private");
        assert_eq!(after["starred"], false);
        assert_eq!(after["folder_id"], Value::Null);
    }
);

both_stores!(
    title_overview_and_segment_text_are_edited,
    |server| async move {
        let token = server.token("alice").await;
        let id = import_at(&server, &token, STARTED).await;
        // Processing (when it runs) replaces the structured summary; edit after it.
        let conversation = settle(&server, &token, &id, Duration::from_secs(5)).await;
        let segment_id = conversation["transcript_segments"][1]["id"]
            .as_str()
            .unwrap()
            .to_string();

        let titled = server
            .request(
                Method::PATCH,
                &path(&id, "/title?title=Launch%20Planning"),
                &token,
                None,
            )
            .await;
        titled.assert_status(200);
        assert_eq!(titled["status"], "Ok");
        assert_eq!(
            titled["conversation"]["structured"]["title"],
            "Launch Planning"
        );
        server
            .request(
                Method::PATCH,
                &path(&id, "/title?title=%20%20"),
                &token,
                None,
            )
            .await
            .assert_status(422);
        server
            .request(Method::PATCH, &path(&id, "/title"), &token, None)
            .await
            .assert_status(422);

        let overview = server
            .patch(
                &path(&id, "/overview"),
                &token,
                json!({"overview": "We planned the launch."}),
            )
            .await;
        overview.assert_status(200);
        assert_eq!(overview["status"], "Ok");
        for body in [json!({}), json!({"overview": ""}), json!({"overview": 5})] {
            let missing = server.patch(&path(&id, "/overview"), &token, body).await;
            missing.assert_status(400);
            assert_eq!(missing["detail"], "Missing overview");
        }

        let text = server
            .patch(
                &path(&id, &format!("/segments/{segment_id}/text")),
                &token,
                json!({"text": "Sure. I will send the budget to Sarah on Monday."}),
            )
            .await;
        text.assert_status(200);
        let missing = server
            .patch(
                &path(&id, &format!("/segments/{segment_id}/text")),
                &token,
                json!({"text": ""}),
            )
            .await;
        missing.assert_status(400);
        assert_eq!(missing["detail"], "Missing text");
        server
            .patch(
                &path(&id, "/segments/no-such-segment/text"),
                &token,
                json!({"text": "x"}),
            )
            .await
            .assert_status(404);

        let edited = server.get(&path(&id, ""), &token).await;
        assert_eq!(edited["structured"]["title"], "Launch Planning");
        assert_eq!(edited["structured"]["overview"], "We planned the launch.");
        assert_eq!(
            edited["transcript_segments"][1]["text"],
            "Sure. I will send the budget to Sarah on Monday."
        );
        assert_eq!(
            edited["transcript_segments"][1]["id"],
            segment_id.as_str(),
            "an edit keeps the segment id"
        );
        assert!(
            edited["updated_at"].as_str().unwrap() >= conversation["updated_at"].as_str().unwrap()
        );
    }
);

both_stores!(
    speakers_are_assigned_by_index_speaker_and_bulk,
    |server| async move {
        let token = server.token("alice").await;
        let id = import_at(&server, &token, STARTED).await;
        let assign = |rest: String| {
            let server = &server;
            let token = token.clone();
            let url = path(&id, &rest);
            async move { server.request(Method::PATCH, &url, &token, None).await }
        };

        let person_named = |name: &'static str| {
            let server = &server;
            let token = token.clone();
            async move {
                let created = server
                    .post("/v1/users/people", &token, json!({ "name": name }))
                    .await;
                created.assert_status(200);
                created["id"].as_str().unwrap().to_string()
            }
        };
        let (ann, bob) = (person_named("Ann").await, person_named("Bob").await);
        let person = assign(format!(
            "/segments/1/assign?assign_type=person_id&value={ann}"
        ))
        .await;
        person.assert_status(200);
        let segments = &person["transcript_segments"];
        assert_eq!(segments[1]["person_id"], ann.as_str());
        assert_eq!(segments[1]["is_user"], false);
        assert_eq!(segments[0]["person_id"], Value::Null);

        let user = assign("/segments/1/assign?assign_type=is_user&value=true".into()).await;
        user.assert_status(200);
        assert_eq!(user["transcript_segments"][1]["is_user"], true);
        assert_eq!(
            user["transcript_segments"][1]["person_id"],
            Value::Null,
            "the user is nobody else"
        );

        assign("/segments/9/assign?assign_type=is_user&value=true".into())
            .await
            .assert_status(404);
        assign("/segments/one/assign?assign_type=is_user&value=true".into())
            .await
            .assert_status(422);
        let invalid = assign("/segments/0/assign?assign_type=nickname&value=x".into()).await;
        invalid.assert_status(400);
        assert_eq!(invalid["detail"], "Invalid assign type");

        let speaker = assign(format!(
            "/assign-speaker/1?assign_type=person_id&value={bob}"
        ))
        .await;
        speaker.assert_status(200);
        let segments = &speaker["transcript_segments"];
        assert_eq!(segments[0]["person_id"], bob.as_str());
        assert_eq!(segments[2]["person_id"], bob.as_str());
        assert_eq!(segments[1]["is_user"], true, "speaker 2 is left alone");
        assign("/assign-speaker/7?assign_type=is_user&value=true".into())
            .await
            .assert_status(404);

        let first = speaker["transcript_segments"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let bulk = server
            .patch(
                &path(&id, "/segments/assign-bulk"),
                &token,
                json!({"segment_ids": [first, "#index:1"], "assign_type": "person_id", "value": "null"}),
            )
            .await;
        bulk.assert_status(200);
        let segments = &bulk["transcript_segments"];
        assert_eq!(segments[0]["person_id"], Value::Null);
        assert_eq!(segments[1]["person_id"], Value::Null);
        assert_eq!(segments[1]["is_user"], false);
        assert_eq!(segments[2]["person_id"], bob.as_str());
        server
            .patch(
                &path(&id, "/segments/assign-bulk"),
                &token,
                json!({"segment_ids": ["no-such-segment"], "assign_type": "is_user", "value": "true"}),
            )
            .await
            .assert_status(404);
        server
            .patch(
                &path(&id, "/segments/assign-bulk"),
                &token,
                json!({"segment_ids": ["#index:0"], "assign_type": "bogus"}),
            )
            .await
            .assert_status(400);

        let stored = server.get(&path(&id, ""), &token).await;
        assert_eq!(stored["transcript_segments"], bulk["transcript_segments"]);
    }
);

both_stores!(
    visibility_controls_the_shared_read_and_the_public_list,
    |server| async move {
        let token = server.token("alice").await;
        let id = import(
            &server,
            &token,
            json!({"transcript_segments": transcript(), "started_at": STARTED,
                   "geolocation": {"latitude": 52.52, "longitude": 13.405}}),
        )
        .await;
        let private = server.get(&path(&id, "/shared"), "").await;
        private.assert_status(404);
        assert_eq!(private["detail"], "Conversation is private");
        assert_eq!(
            server.get("/v1/public-conversations", "").await.json,
            json!([])
        );

        let invalid = server
            .request(
                Method::PATCH,
                &path(&id, "/visibility?value=secret"),
                &token,
                None,
            )
            .await;
        invalid.assert_status(400);
        for value in ["shared", "public"] {
            let changed = server
                .request(
                    Method::PATCH,
                    &path(&id, &format!("/visibility?value={value}")),
                    &token,
                    None,
                )
                .await;
            changed.assert_status(200);
            assert_eq!(changed["status"], "Ok");
            let shared = server.get(&path(&id, "/shared"), "").await;
            shared.assert_status(200);
            assert_eq!(shared["id"], id.as_str());
            assert_eq!(shared["visibility"], value);
            assert_eq!(
                shared["geolocation"],
                Value::Null,
                "the place stays private"
            );
            assert_eq!(shared["transcript_segments"].as_array().unwrap().len(), 3);
            assert_eq!(shared["people"], json!([]));
            let public = server.get("/v1/public-conversations", "").await;
            public.assert_status(200);
            assert_eq!(ids(&public), vec![id.clone()]);
            assert_eq!(public[0]["geolocation"], Value::Null);
        }
        let owner_view = server.get(&path(&id, ""), &token).await;
        assert_eq!(owner_view["geolocation"]["latitude"], 52.52);
        assert_eq!(
            server
                .get("/v1/public-conversations?offset=1", "")
                .await
                .json,
            json!([])
        );

        server
            .request(
                Method::PATCH,
                &path(&id, "/visibility?value=private"),
                &token,
                None,
            )
            .await
            .assert_status(200);
        server
            .get(&path(&id, "/shared"), "")
            .await
            .assert_status(404);
        assert_eq!(
            server.get("/v1/public-conversations", "").await.json,
            json!([])
        );
        server
            .get(&path("no-such-conversation", "/shared"), "")
            .await
            .assert_status(404);
    }
);

both_stores!(starred_and_folder_filter_the_list, |server| async move {
    let token = server.token("alice").await;
    let first = import_at(&server, &token, "2026-03-01T10:00:00Z").await;
    let second = import_at(&server, &token, "2026-03-02T10:00:00Z").await;

    let starred = server
        .request(
            Method::PATCH,
            &path(&first, "/starred?starred=true"),
            &token,
            None,
        )
        .await;
    starred.assert_status(200);
    assert_eq!(starred["status"], "Ok");
    assert_eq!(starred["conversation"]["starred"], true);
    server
        .request(Method::PATCH, &path(&first, "/starred"), &token, None)
        .await
        .assert_status(422);
    assert_eq!(
        ids(&server.get("/v1/conversations?starred=true", &token).await),
        vec![first.clone()]
    );
    assert_eq!(
        ids(&server.get("/v1/conversations?starred=false", &token).await),
        vec![second.clone()]
    );

    // There are no folder records yet: any folder id is accepted.
    let moved = server
        .patch(
            &path(&second, "/folder"),
            &token,
            json!({"folder_id": "work"}),
        )
        .await;
    moved.assert_status(200);
    assert_eq!(moved["status"], "ok");
    assert_eq!(
        ids(&server.get("/v1/conversations?folder_id=work", &token).await),
        vec![second.clone()]
    );
    assert_eq!(
        server.get(&path(&second, ""), &token).await["folder_id"],
        "work"
    );
    assert_eq!(
        server
            .get("/v1/conversations?folder_id=work&starred=true", &token)
            .await
            .json,
        json!([])
    );
    server
        .patch(
            &path(&second, "/folder"),
            &token,
            json!({"folder_id": null}),
        )
        .await
        .assert_status(200);
    assert_eq!(
        server
            .get("/v1/conversations?folder_id=work", &token)
            .await
            .json,
        json!([])
    );
    assert_eq!(
        server.get(&path(&second, ""), &token).await["folder_id"],
        Value::Null
    );

    server
        .request(
            Method::PATCH,
            &path(&first, "/starred?starred=false"),
            &token,
            None,
        )
        .await
        .assert_status(200);
    assert_eq!(
        server
            .get("/v1/conversations?starred=true", &token)
            .await
            .json,
        json!([])
    );
});

both_stores!(
    toggles_without_matching_items_change_nothing,
    |server| async move {
        let token = server.token("alice").await;
        let id = import_at(&server, &token, STARTED).await;
        let before = settle(&server, &token, &id, Duration::from_secs(5)).await;
        let unequal = server
            .patch(
                &path(&id, "/events"),
                &token,
                json!({"events_idx": [0, 1], "values": [true]}),
            )
            .await;
        unequal.assert_status(422);
        server
            .patch(
                &path(&id, "/action-items"),
                &token,
                json!({"items_idx": [0], "values": []}),
            )
            .await
            .assert_status(422);
        server
            .patch(
                &path(&id, "/events"),
                &token,
                json!({"events_idx": [-1], "values": [true]}),
            )
            .await
            .assert_status(422);
        server
            .patch(
                &path(&id, "/events"),
                &token,
                json!({"events_idx": [99], "values": [true]}),
            )
            .await
            .assert_status(200);
        server
            .patch(
                &path(&id, "/action-items"),
                &token,
                json!({"items_idx": [99], "values": [true]}),
            )
            .await
            .assert_status(200);
        let rename = server
            .patch(
                &path(&id, "/action-items/0"),
                &token,
                json!({"old_description": "No such task", "description": "x"}),
            )
            .await;
        rename.assert_status(404);
        server
            .request(
                Method::DELETE,
                &path(&id, "/action-items"),
                &token,
                Some(json!({"description": "No such task", "completed": false})),
            )
            .await
            .assert_status(200);
        let items = server.get(&path(&id, "/action-items"), &token).await;
        items.assert_status(200);
        assert_eq!(items["conversation_id"], id.as_str());
        assert!(items["action_items"].is_array());
        let after = server.get(&path(&id, ""), &token).await;
        assert_eq!(after["structured"], before["structured"]);
    }
);

both_stores!(
    photos_and_recording_are_honestly_empty,
    |server| async move {
        let token = server.token("alice").await;
        let id = import_at(&server, &token, STARTED).await;
        let photos = server.get(&path(&id, "/photos"), &token).await;
        photos.assert_status(200);
        assert_eq!(photos.json, json!([]));
        let recording = server.get(&path(&id, "/recording"), &token).await;
        recording.assert_status(200);
        assert_eq!(recording.json, json!({"has_recording": false}));
    }
);

both_stores!(
    closing_without_a_conversation_in_progress_is_not_found,
    |server| async move {
        let token = server.token("alice").await;
        import_at(&server, &token, STARTED).await;
        let closed = server.post("/v1/conversations", &token, json!({})).await;
        closed.assert_status(404);
        assert_eq!(closed["detail"], "Conversation in progress not found");
        let no_body = server
            .request(Method::POST, "/v1/conversations", &token, None)
            .await;
        no_body.assert_status(404);
    }
);

both_stores!(merge_requests_are_validated, |server| async move {
    let token = server.token("alice").await;
    let id = import_at(&server, &token, STARTED).await;
    for body in [
        json!({"conversation_ids": []}),
        json!({"conversation_ids": [id.clone()]}),
        json!({"conversation_ids": [id.clone(), id.clone()]}),
    ] {
        let refused = server.post("/v1/conversations/merge", &token, body).await;
        refused.assert_status(400);
    }
    let missing = server
        .post(
            "/v1/conversations/merge",
            &token,
            json!({"conversation_ids": [id.clone(), "no-such-conversation"]}),
        )
        .await;
    missing.assert_status(404);
    assert_eq!(
        missing["detail"],
        "Conversation no-such-conversation not found"
    );
    server
        .post("/v1/conversations/merge", &token, json!({}))
        .await
        .assert_status(422);
    server.get(&path(&id, ""), &token).await.assert_status(200);
});

// ---- With a processed conversation (the processing reaction runs in the server). ----

/// A transcript with a clear commitment of the user and a scheduled meeting, for processing to find action
/// items and events in. No `started_at`: relative dates resolve against now, so they lie in the future.
fn actionable() -> Value {
    json!({"transcript_segments": [
        {"text": "Thanks for joining, let's go over the launch plan for the new product.", "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 4.0},
        {"text": "Sure. The budget is the open question, marketing wants more money.", "speaker": "SPEAKER_01", "start": 4.5, "end": 9.0},
        {"text": "I will send the updated budget spreadsheet to Sarah tomorrow at 9am.", "speaker": "SPEAKER_00", "is_user": true, "start": 9.5, "end": 13.0},
        {"text": "Great. We have a team meeting with the design team on Friday at 10am to review the launch.", "speaker": "SPEAKER_01", "start": 13.5, "end": 18.0},
        {"text": "Perfect, I will book the conference room for that meeting.", "speaker": "SPEAKER_00", "is_user": true, "start": 18.5, "end": 21.0},
    ]})
}

/// The standalone action items of conversation `id` once there are `count` of them.
async fn standalone(server: &TestServer, token: &str, id: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = server.get(&path(id, "/action-items"), token).await;
        listed.assert_status(200);
        let items = listed["action_items"].as_array().unwrap().clone();
        if items.len() == count || Instant::now() >= deadline {
            assert_eq!(items.len(), count, "{}", listed.text);
            return items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_stores!(
    events_and_action_items_are_toggled_and_mirrored,
    |server| async move {
        let token = server.token("alice").await;
        let id = import(&server, &token, actionable()).await;
        let conversation = completed(&server, &token, &id).await;
        let embedded = conversation["structured"]["action_items"]
            .as_array()
            .unwrap()
            .clone();
        let events = conversation["structured"]["events"]
            .as_array()
            .unwrap()
            .clone();
        assert!(
            !embedded.is_empty(),
            "processing found no action item: {conversation}"
        );
        assert!(
            !events.is_empty(),
            "processing found no event: {conversation}"
        );
        assert_eq!(embedded[0]["completed"], false);
        assert_eq!(events[0]["created"], false);

        let toggled = server
            .patch(
                &path(&id, "/events"),
                &token,
                json!({"events_idx": [0, 99], "values": [true, true]}),
            )
            .await;
        toggled.assert_status(200);
        assert_eq!(toggled["status"], "Ok");
        let after = server.get(&path(&id, ""), &token).await;
        assert_eq!(after["structured"]["events"][0]["created"], true);

        // The standalone items mirror the embedded ones, matched by description.
        let items = standalone(&server, &token, &id, embedded.len()).await;
        let description = embedded[0]["description"].as_str().unwrap().to_string();
        let mirrored = |items: &[Value]| {
            items
                .iter()
                .find(|i| i["description"] == description.as_str())
                .cloned()
        };
        assert_eq!(mirrored(&items).unwrap()["completed"], false);

        server
            .patch(
                &path(&id, "/action-items"),
                &token,
                json!({"items_idx": [0], "values": [true]}),
            )
            .await
            .assert_status(200);
        let after = server.get(&path(&id, ""), &token).await;
        let item = &after["structured"]["action_items"][0];
        assert_eq!(item["completed"], true);
        assert!(item["completed_at"].is_string(), "{item}");
        assert!(item["created_at"].is_string(), "{item}");
        let items = standalone(&server, &token, &id, embedded.len()).await;
        let standalone_item = mirrored(&items).unwrap();
        assert_eq!(standalone_item["completed"], true);
        assert!(standalone_item["completed_at"].is_string());

        let renamed = server
            .patch(
                &path(&id, "/action-items/7"),
                &token,
                json!({"old_description": description, "description": "Send the final budget to Sarah"}),
            )
            .await;
        renamed.assert_status(200);
        let after = server.get(&path(&id, ""), &token).await;
        assert_eq!(
            after["structured"]["action_items"][0]["description"],
            "Send the final budget to Sarah"
        );
        let items = standalone(&server, &token, &id, embedded.len()).await;
        assert!(mirrored(&items).is_none());
        assert!(items
            .iter()
            .any(|i| i["description"] == "Send the final budget to Sarah"));

        server
            .request(
                Method::DELETE,
                &path(&id, "/action-items"),
                &token,
                Some(json!({"description": "Send the final budget to Sarah", "completed": true})),
            )
            .await
            .assert_status(200);
        let after = server.get(&path(&id, ""), &token).await;
        assert_eq!(
            after["structured"]["action_items"]
                .as_array()
                .unwrap()
                .len(),
            embedded.len() - 1
        );
        let items = standalone(&server, &token, &id, embedded.len() - 1).await;
        assert!(!items
            .iter()
            .any(|i| i["description"] == "Send the final budget to Sarah"));
    }
);

both_stores!(
    a_reprocess_answers_the_processed_conversation,
    |server| async move {
        let token = server.token("alice").await;
        let id = import(&server, &token, actionable()).await;
        let first = completed(&server, &token, &id).await;
        assert!(
            !first["structured"]["title"].as_str().unwrap().is_empty(),
            "{first}"
        );

        let reprocessed = server
            .request(
                Method::POST,
                &path(&id, "/reprocess?language_code=en"),
                &token,
                None,
            )
            .await;
        reprocessed.assert_status(200);
        assert_eq!(reprocessed["id"], id.as_str());
        assert_eq!(reprocessed["status"], "completed");
        assert!(!reprocessed["structured"]["title"]
            .as_str()
            .unwrap()
            .is_empty());
        assert_eq!(
            reprocessed["transcript_segments"],
            first["transcript_segments"]
        );
        assert!(
            reprocessed["updated_at"].as_str().unwrap() > first["updated_at"].as_str().unwrap(),
            "the new run was recorded before the answer"
        );
        server
            .request(
                Method::POST,
                &path("no-such-conversation", "/reprocess"),
                &token,
                None,
            )
            .await
            .assert_status(404);
    }
);

both_stores!(
    completed_conversations_are_merged_into_a_new_one,
    |server| async move {
        let token = server.token("alice").await;
        let mut later = actionable();
        later["started_at"] = json!("2026-03-01T10:10:00Z");
        later["source"] = json!("phone");
        later["language"] = json!("es");
        let mut earlier = json!({"transcript_segments": transcript(), "started_at": "2026-03-01T10:00:00Z",
                                 "source": "omi", "language": "en",
                                 "geolocation": {"latitude": 1.0, "longitude": 2.0}});
        earlier["finished_at"] = json!("2026-03-01T10:01:00Z");
        let second = import(&server, &token, later).await;
        let first = import(&server, &token, earlier).await;
        completed(&server, &token, &first).await;
        completed(&server, &token, &second).await;

        let merged = server
            .post(
                "/v1/conversations/merge",
                &token,
                json!({"conversation_ids": [second.clone(), first.clone()], "reprocess": true}),
            )
            .await;
        merged.assert_status(200);
        assert_eq!(merged["status"], "merging");
        assert_eq!(merged["message"], "Merge started");
        assert_eq!(
            merged["conversation_ids"],
            json!([second.clone(), first.clone()])
        );
        let new_id = merged["new_conversation_id"].as_str().unwrap().to_string();

        server
            .get(&path(&first, ""), &token)
            .await
            .assert_status(404);
        server
            .get(&path(&second, ""), &token)
            .await
            .assert_status(404);
        let conversation = server.get(&path(&new_id, ""), &token).await;
        conversation.assert_status(200);
        assert_eq!(conversation["started_at"], "2026-03-01T10:00:00+00:00");
        assert_eq!(
            conversation["source"], "omi",
            "the first conversation's source"
        );
        assert_eq!(
            conversation["language"], "en",
            "the first conversation's language"
        );
        assert_eq!(conversation["geolocation"]["latitude"], 1.0);
        let segments = conversation["transcript_segments"].as_array().unwrap();
        assert_eq!(segments.len(), 3 + 5);
        assert_eq!(segments[0]["start"], 0.0);
        assert_eq!(segments[2]["end"], 13.5);
        assert_eq!(segments[3]["start"], 600.0, "shifted by ten minutes");
        assert_eq!(
            segments[3]["text"],
            "Thanks for joining, let's go over the launch plan for the new product."
        );
        assert_eq!(
            ids(&server.get("/v1/conversations", &token).await),
            vec![new_id.clone()]
        );
        let processed = completed(&server, &token, &new_id).await;
        assert!(!processed["structured"]["title"]
            .as_str()
            .unwrap()
            .is_empty());
    }
);

/// Opens a `/v4/listen` session with client transcripts and returns it with its conversation id.
async fn listen(
    server: &TestServer,
    token: &str,
) -> (
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    String,
) {
    let mut request = server
        .ws_url(
            "/v4/listen?custom_stt=enabled&conversation_timeout=600&codec=pcm16&sample_rate=16000",
        )
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) if text.as_str() != "ping" => {
                let message: Value = serde_json::from_str(text.as_str()).unwrap();
                if message["type"] == "conversation_session" {
                    let id = message["conversation_id"].as_str().unwrap().to_string();
                    return (socket, id);
                }
            }
            Ok(Some(Ok(_))) => {}
            _ => break,
        }
    }
    panic!("no conversation_session message");
}

both_stores!(
    closing_the_conversation_in_progress_answers_it_processed,
    |server| async move {
        use futures_util::SinkExt;
        let token = server.token("alice").await;
        let (mut socket, id) = listen(&server, &token).await;
        let said = json!({"type": "suggested_transcript", "stt_provider": "on-device",
                          "segments": actionable()["transcript_segments"]});
        socket
            .send(Message::Text(said.to_string().into()))
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let conversation = server.get(&path(&id, ""), &token).await;
            if conversation["transcript_segments"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
            {
                assert_eq!(conversation["status"], "in_progress");
                break;
            }
            assert!(Instant::now() < deadline, "the segments never arrived");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let closed = server.post("/v1/conversations", &token, json!({})).await;
        closed.assert_status(200);
        assert_eq!(closed["conversation"]["id"], id.as_str());
        assert_eq!(closed["conversation"]["status"], "completed");
        assert_eq!(closed["messages"], json!([]));
        let stored = server.get(&path(&id, ""), &token).await;
        assert_eq!(stored["status"], "completed");
        let _ = socket.close(None).await;
    }
);

both_stores!(
    closing_an_empty_conversation_in_progress_deletes_it,
    |server| async move {
        let token = server.token("alice").await;
        let (mut socket, id) = listen(&server, &token).await;
        let closed = server.post("/v1/conversations", &token, json!({})).await;
        closed.assert_status(404);
        assert_eq!(
            closed["detail"],
            "The conversation in progress had no content and was discarded"
        );
        server.get(&path(&id, ""), &token).await.assert_status(404);
        let _ = socket.close(None).await;
    }
);
