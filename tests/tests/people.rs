//! People (spec §2.6, §7.10 `people*`) on both stores: creation idempotent by name (also when many requests
//! create one name at once), the name's limits, list, get, rename and delete with 404 for another user's or an
//! unknown person, speech samples that are not stored, and the `person_id` of a segment assignment, which must
//! name one of the caller's people (imports keep the ids their source gave).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use omi_tests::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

async fn create(server: &TestServer, token: &str, name: &str) -> Value {
    let created = server
        .post("/v1/users/people", token, json!({ "name": name }))
        .await;
    created.assert_status(200);
    created.json.clone()
}

both_stores!(
    creating_a_name_twice_answers_the_same_person,
    |server| async move {
        let token = server.token("alice").await;
        let ada = create(&server, &token, "Ada Lovelace").await;
        assert_eq!(ada["name"], "Ada Lovelace");
        assert_eq!(ada["speech_samples"], json!([]));
        assert_eq!(ada["speech_samples_version"], 3);
        let again = create(&server, &token, "  ada   lovelace ").await;
        assert_eq!(again["id"], ada["id"]);
        assert_eq!(again["name"], "Ada Lovelace");
        let listed = server.get("/v1/users/people", &token).await;
        listed.assert_status(200);
        assert_eq!(listed.json, json!([ada]));

        let bob = server.token("bob").await;
        let bobs = create(&server, &bob, "Ada Lovelace").await;
        assert_ne!(
            bobs["id"], ada["id"],
            "another user's person of the same name is another person"
        );
        assert_eq!(
            server
                .get("/v1/users/people", &token)
                .await
                .json
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
);

both_stores!(
    concurrent_creations_of_one_name_make_one_person,
    |server| async move {
        let token = server.token("alice").await;
        let creations = (0..8).map(|n| {
            let name = if n % 2 == 0 {
                "Grace Hopper"
            } else {
                "grace hopper "
            };
            server.post("/v1/users/people", &token, json!({ "name": name }))
        });
        let answers = futures_util::future::join_all(creations).await;
        let ids: std::collections::BTreeSet<String> = answers
            .iter()
            .map(|answer| {
                answer.assert_status(200);
                answer["id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(ids.len(), 1, "{ids:?}");
        let listed = server.get("/v1/users/people", &token).await;
        assert_eq!(listed.json.as_array().unwrap().len(), 1);
    }
);

both_stores!(
    a_name_is_two_to_forty_characters_and_storable,
    |server| async move {
        let token = server.token("alice").await;
        for refused in [
            json!({"name": "A"}),
            json!({"name": "   "}),
            json!({"name": "x".repeat(41)}),
            json!({"name": "x".repeat(10_000)}),
            json!({"name": "Ad\u{0}a"}),
            json!({"name": 42}),
            json!({}),
        ] {
            let answer = server
                .post("/v1/users/people", &token, refused.clone())
                .await;
            answer.assert_status(422);
            assert!(answer["detail"].is_array(), "{refused}");
        }
        assert_eq!(
            create(&server, &token, &"é".repeat(40)).await["name"],
            "é".repeat(40)
        );
        assert_eq!(
            server
                .get("/v1/users/people", &token)
                .await
                .json
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
);

both_stores!(
    rename_get_and_delete_find_only_ones_own_people,
    |server| async move {
        let alice = server.token("alice").await;
        let bob = server.token("bob").await;
        let ada = create(&server, &alice, "Ada").await;
        let id = ada["id"].as_str().unwrap().to_string();
        let path = format!("/v1/users/people/{id}");

        let got = server
            .get(&format!("{path}?include_speech_samples=true"), &alice)
            .await;
        got.assert_status(200);
        assert_eq!(got.json, ada);
        server.get(&path, &bob).await.assert_status(404);
        server
            .get("/v1/users/people/unknown", &alice)
            .await
            .assert_status(404);

        let renamed = server
            .patch(&format!("{path}/name?value=Augusta"), &alice, json!({}))
            .await;
        renamed.assert_status(200);
        assert_eq!(renamed["name"], "Augusta");
        assert_eq!(renamed["id"], ada["id"]);
        server
            .patch(&format!("{path}/name?value=A"), &alice, json!({}))
            .await
            .assert_status(422);
        server
            .patch(&format!("{path}/name?value=Mallory"), &bob, json!({}))
            .await
            .assert_status(404);
        server
            .patch(
                "/v1/users/people/unknown/name?value=Nobody",
                &alice,
                json!({}),
            )
            .await
            .assert_status(404);
        assert_eq!(server.get(&path, &alice).await["name"], "Augusta");

        // The name Ada is free again: creating it makes another person.
        let second = create(&server, &alice, "Ada").await;
        assert_ne!(second["id"], ada["id"]);
        assert_eq!(create(&server, &alice, "ada").await["id"], second["id"]);

        let sample = server
            .delete(&format!("{path}/speech-samples/0"), &alice)
            .await;
        sample.assert_status(404);
        assert!(sample["detail"]
            .as_str()
            .unwrap()
            .contains("no speech samples"));
        server
            .delete(&format!("{path}/speech-samples/0"), &bob)
            .await
            .assert_status(404);

        server.delete(&path, &bob).await.assert_status(404);
        server.delete(&path, &alice).await.assert_status(204);
        server.delete(&path, &alice).await.assert_status(404);
        server.get(&path, &alice).await.assert_status(404);
        let listed = server.get("/v1/users/people", &alice).await;
        assert_eq!(listed.json, json!([second]));
    }
);

both_stores!(
    a_segment_is_assigned_only_to_ones_own_person,
    |server| async move {
        let alice = server.token("alice").await;
        let bob = server.token("bob").await;
        let created = server
            .post(
                "/v1/conversations/from-segments",
                &alice,
                json!({"transcript_segments": [
                    {"text": "Hello there, how was the trip?", "speaker": "SPEAKER_01",
                     "is_user": false, "start": 0.0, "end": 3.0}]}),
            )
            .await;
        created.assert_status(200);
        let conversation = created["id"].as_str().unwrap().to_string();
        let ada = create(&server, &alice, "Ada").await;
        let bobs = create(&server, &bob, "Bob's friend").await;
        let assign = |person: &str| {
            format!(
                "/v1/conversations/{conversation}/segments/0/assign?assign_type=person_id&value={person}"
            )
        };
        let assigned = server
            .patch(&assign(ada["id"].as_str().unwrap()), &alice, json!({}))
            .await;
        assigned.assert_status(200);
        assert_eq!(assigned["transcript_segments"][0]["person_id"], ada["id"]);
        for foreign in [bobs["id"].as_str().unwrap(), "no-such-person"] {
            let refused = server.patch(&assign(foreign), &alice, json!({})).await;
            refused.assert_status(404);
            assert_eq!(refused["detail"], "Person not found");
        }
        let bulk = server
            .patch(
                &format!("/v1/conversations/{conversation}/assign-speaker/1?assign_type=person_id&value=no-such-person"),
                &alice,
                json!({}),
            )
            .await;
        bulk.assert_status(404);
        let unchanged = server
            .get(&format!("/v1/conversations/{conversation}"), &alice)
            .await;
        assert_eq!(unchanged["transcript_segments"][0]["person_id"], ada["id"]);
    }
);

/// The stored segments of the conversation once it holds `count`, within 15 s.
async fn segments_once(server: &TestServer, token: &str, id: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let stored = server.get(&format!("/v1/conversations/{id}"), token).await;
        let segments = stored["transcript_segments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if segments.len() >= count {
            return segments;
        }
        assert!(
            Instant::now() < deadline,
            "{} segments: {}",
            segments.len(),
            stored.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_stores!(
    the_listen_socket_assigns_speakers_only_to_ones_own_people,
    |server| async move {
        let alice = server.token("alice").await;
        let bob = server.token("bob").await;
        let ada = create(&server, &alice, "Ada").await;
        let bobs = create(&server, &bob, "Eve").await;
        let mut request = server
            .ws_url("/v4/listen?custom_stt=enabled&conversation_timeout=120&codec=pcm16&sample_rate=16000")
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {alice}").parse().unwrap());
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let mut conversation = None;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline
                .checked_duration_since(Instant::now())
                .expect("the session never got ready");
            let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(left, socket.next()).await
            else {
                continue;
            };
            let Ok(message) = serde_json::from_str::<Value>(text.as_str()) else {
                continue;
            };
            if message["type"] == "conversation_session" {
                conversation = message["conversation_id"].as_str().map(String::from);
            }
            if message["type"] == "service_status" && message["status"] == "ready" {
                break;
            }
        }
        let conversation = conversation.expect("a conversation_session message");
        let said = |text: &str, speaker: &str, start: f64| {
            json!({"type": "suggested_transcript", "stt_provider": "on-device", "segments": [
                {"text": text, "speaker": speaker, "is_user": false, "start": start, "end": start + 2.0}]})
        };
        let send = |message: Value| Message::Text(message.to_string().into());
        socket
            .send(send(said("How was the trip to Lisbon?", "SPEAKER_01", 0.0)))
            .await
            .unwrap();
        let first = segments_once(&server, &alice, &conversation, 1).await[0]["id"].clone();
        let assign = |person: &Value| {
            json!({"type": "speaker_assigned", "speaker_id": 1, "person_id": person,
                   "segment_ids": [first.clone()]})
        };

        socket.send(send(assign(&bobs["id"]))).await.unwrap();
        // A later segment marks that the socket has handled the assignment before it.
        socket
            .send(send(said("The trams were lovely.", "SPEAKER_00", 10.0)))
            .await
            .unwrap();
        let segments = segments_once(&server, &alice, &conversation, 2).await;
        assert_eq!(
            segments[0]["person_id"],
            Value::Null,
            "another user's person is not assigned"
        );
        assert_eq!(segments[1]["person_id"], Value::Null);

        socket.send(send(assign(&ada["id"]))).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let segments = segments_once(&server, &alice, &conversation, 2).await;
            if segments[0]["person_id"] == ada["id"] {
                break;
            }
            assert!(Instant::now() < deadline, "not assigned: {segments:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        socket.close(None).await.ok();
    }
);

both_stores!(an_import_names_only_ones_own_people, |server| async move {
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let ada = create(&server, &alice, "Ada").await;
    let bobs = create(&server, &bob, "Bob's friend").await;
    let key = server
        .post(
            "/v1/dev/keys",
            &alice,
            json!({"name": "import", "scopes": ["conversations:write", "conversations:read"]}),
        )
        .await;
    key.assert_status(200);
    let key = key["key"].as_str().unwrap().to_string();
    let body = |person: &Value| {
        json!({"transcript_segments": [
                {"text": "Good morning, shall we start?", "speaker": "SPEAKER_00", "is_user": true,
                 "start": 0.0, "end": 2.0},
                {"text": "Yes, the plan is ready.", "speaker": "SPEAKER_01", "person_id": person,
                 "start": 2.5, "end": 4.0}]})
    };
    for door in [
        "/v1/conversations/from-segments",
        "/v1/dev/user/conversations/from-segments",
    ] {
        let auth = if door.starts_with("/v1/dev") {
            &key
        } else {
            &alice
        };
        for foreign in [bobs["id"].clone(), json!("no-such-person")] {
            let refused = server.post(door, auth, body(&foreign)).await;
            refused.assert_status(422);
            assert_eq!(
                refused["detail"][0]["loc"],
                json!(["body", "transcript_segments", "1", "person_id"]),
                "{}",
                refused.text
            );
            assert!(refused
                .text
                .contains("Segment 1: person_id is not one of your people"));
        }
        let accepted = server.post(door, auth, body(&ada["id"])).await;
        accepted.assert_status(200);
    }
    // Only the two accepted imports were recorded.
    let listed = server
        .get(
            "/v1/conversations?statuses=processing,completed&limit=100",
            &alice,
        )
        .await;
    listed.assert_status(200);
    assert_eq!(
        listed.json.as_array().map(Vec::len),
        Some(2),
        "{}",
        listed.text
    );
});
