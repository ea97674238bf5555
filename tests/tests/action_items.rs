//! Action items over REST (spec §6.2).

use omi_tests::*;

both_stores!(
    an_action_item_is_created_updated_completed_and_deleted,
    |server| async move {
        let token = server.token("alice").await;
        let created = server
            .post(
                "/v1/action-items",
                &token,
                json!({"description": "Call the dentist", "due_at": "2026-12-01T09:00:00Z"}),
            )
            .await;
        created.assert_status(200);
        assert_eq!(created["description"], "Call the dentist");
        assert_eq!(created["completed"], false);
        assert_eq!(created["due_at"], "2026-12-01T09:00:00+00:00");
        assert_eq!(created["conversation_id"], Value::Null);
        assert_eq!(created["exported"], false);
        let id = created["id"].as_str().unwrap().to_string();
        let path = format!("/v1/action-items/{id}");

        assert_eq!(
            server.get(&path, &token).await["description"],
            "Call the dentist"
        );

        let renamed = server
            .patch(
                &path,
                &token,
                json!({"description": "Call the dentist back"}),
            )
            .await;
        renamed.assert_status(200);
        assert_eq!(renamed["description"], "Call the dentist back");
        assert_eq!(
            renamed["due_at"], "2026-12-01T09:00:00+00:00",
            "an absent due_at is kept"
        );

        let cleared = server.patch(&path, &token, json!({"due_at": null})).await;
        assert_eq!(
            cleared["due_at"],
            Value::Null,
            "an explicit null clears due_at"
        );

        let done = server
            .patch(&path, &token, json!({"completed": true}))
            .await;
        assert_eq!(done["completed"], true);
        assert!(done["completed_at"].is_string());

        let reopened = server
            .patch(
                &format!("{path}/completed?completed=false"),
                &token,
                json!(null),
            )
            .await;
        reopened.assert_status(200);
        assert_eq!(reopened["completed"], false);
        assert_eq!(reopened["completed_at"], Value::Null);

        let put = server
            .put(
                &path,
                &token,
                json!({"completed": true, "exported": true, "export_platform": "todoist"}),
            )
            .await;
        put.assert_status(200);
        assert_eq!(put["completed"], true);
        assert_eq!(put["exported"], true);
        assert_eq!(put["export_platform"], "todoist");

        let deleted = server.delete(&path, &token).await;
        deleted.assert_status(204);
        server.get(&path, &token).await.assert_status(404);
        server
            .patch(&path, &token, json!({"completed": true}))
            .await
            .assert_status(404);
    }
);

both_stores!(lists_filter_page_and_report_has_more, |server| async move {
    let token = server.token("alice").await;
    let mut ids = Vec::new();
    for (description, due) in [
        ("first", "2026-12-01"),
        ("second", "2026-12-05"),
        ("third", "2026-12-10"),
    ] {
        let created = server
            .post(
                "/v1/action-items",
                &token,
                json!({"description": description, "due_at": due}),
            )
            .await;
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    // An item may be linked to a conversation of the user's. This one holds a fact and no commitment: once its
    // memory is there, processing is done with it and added no item of its own.
    let conversation = server
        .post(
            "/v1/conversations/from-segments",
            &token,
            json!({"transcript_segments": [
                {"text": "I love hiking in the mountains.", "speaker": "SPEAKER_00", "is_user": true,
                 "start": 0.0, "end": 2.0},
            ]}),
        )
        .await;
    conversation.assert_status(200);
    let conversation = conversation["id"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let memories = server.get("/v1/memories", &token).await;
        let synced = memories
            .json
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["conversation_id"] == conversation.as_str());
        if synced {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no memory was extracted: {}",
            memories.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server
        .post(
            "/v1/action-items",
            &token,
            json!({"description": "from a chat", "conversation_id": conversation}),
        )
        .await
        .assert_status(200);
    server
        .patch(
            &format!("/v1/action-items/{}", ids[0]),
            &token,
            json!({"completed": true}),
        )
        .await
        .assert_status(200);

    let all = server.get("/v1/action-items", &token).await;
    all.assert_status(200);
    assert_eq!(all["action_items"].as_array().unwrap().len(), 4);
    assert_eq!(all["has_more"], false);
    assert_eq!(
        all["action_items"][0]["description"], "from a chat",
        "newest first"
    );

    let page = server.get("/v1/action-items?limit=3", &token).await;
    assert_eq!(page["action_items"].as_array().unwrap().len(), 3);
    assert_eq!(page["has_more"], true);
    let rest = server
        .get("/v1/action-items?limit=3&offset=3", &token)
        .await;
    assert_eq!(rest["action_items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["has_more"], false);

    let done = server.get("/v1/action-items?completed=true", &token).await;
    assert_eq!(done["action_items"].as_array().unwrap().len(), 1);
    assert_eq!(done["action_items"][0]["description"], "first");
    let pending = server.get("/v1/action-items?status=pending", &token).await;
    assert_eq!(pending["action_items"].as_array().unwrap().len(), 3);
    let completed = server
        .get("/v1/action-items?status=completed", &token)
        .await;
    assert_eq!(completed["action_items"].as_array().unwrap().len(), 1);

    let of_conversation = server
        .get(
            &format!("/v1/action-items?conversation_id={conversation}"),
            &token,
        )
        .await;
    assert_eq!(of_conversation["action_items"].as_array().unwrap().len(), 1);

    let due = server
        .get(
            "/v1/action-items?due_start_date=2026-12-02&due_end_date=2026-12-10T00:00:00Z",
            &token,
        )
        .await;
    let due: Vec<&str> = due["action_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["description"].as_str().unwrap())
        .collect();
    assert_eq!(due, ["third", "second"], "due range is inclusive");

    let created_today = server
        .get(
            "/v1/action-items?start_date=2000-01-01&end_date=2100-01-01",
            &token,
        )
        .await;
    assert_eq!(created_today["action_items"].as_array().unwrap().len(), 4);
    let created_long_ago = server
        .get("/v1/action-items?end_date=2000-01-01", &token)
        .await;
    assert_eq!(
        created_long_ago["action_items"].as_array().unwrap().len(),
        0
    );

    server
        .get("/v1/action-items?status=someday", &token)
        .await
        .assert_status(422);
    server
        .get("/v1/action-items?limit=0", &token)
        .await
        .assert_status(422);
    server
        .get("/v1/action-items?limit=501", &token)
        .await
        .assert_status(422);
    server
        .get("/v1/action-items?start_date=last-week", &token)
        .await
        .assert_status(422);
});

both_stores!(a_batch_creates_open_items_or_nothing, |server| async move {
    let token = server.token("alice").await;
    let batch = server
        .post(
            "/v1/action-items/batch",
            &token,
            json!([{"description": "one", "completed": true}, {"description": "two", "due_at": "2026-12-24"}]),
        )
        .await;
    batch.assert_status(200);
    assert_eq!(batch["created_count"], 2);
    assert!(
        batch["action_items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["completed"] == false),
        "completed is forced false"
    );

    let bad = server
        .post(
            "/v1/action-items/batch",
            &token,
            json!([{"description": "three"}, {"description": ""}]),
        )
        .await;
    bad.assert_status(422);
    assert_eq!(bad["detail"][0]["loc"], json!(["body", "1", "description"]));
    let wrong_shape = server
        .post(
            "/v1/action-items/batch",
            &token,
            json!({"description": "not a list"}),
        )
        .await;
    wrong_shape.assert_status(422);
    assert_eq!(
        server.get("/v1/action-items", &token).await["action_items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
});

both_stores!(
    another_users_action_item_is_not_found,
    |server| async move {
        let alice = server.token("alice").await;
        let bob = server.token("bob").await;
        let created = server
            .post(
                "/v1/action-items",
                &alice,
                json!({"description": "Alice's task"}),
            )
            .await;
        let path = format!("/v1/action-items/{}", created["id"].as_str().unwrap());
        server.get(&path, &bob).await.assert_status(404);
        server
            .patch(&path, &bob, json!({"completed": true}))
            .await
            .assert_status(404);
        server.delete(&path, &bob).await.assert_status(404);
        assert_eq!(
            server.get("/v1/action-items", &bob).await["action_items"],
            json!([])
        );
        assert_eq!(server.get(&path, &alice).await["completed"], false);
    }
);

both_stores!(invalid_action_item_input_is_refused, |server| async move {
    let token = server.token("alice").await;
    let blank = server
        .post("/v1/action-items", &token, json!({"description": " "}))
        .await;
    blank.assert_status(422);
    assert_eq!(blank["detail"][0]["loc"], json!(["body", "description"]));
    let bad_date = server
        .post(
            "/v1/action-items",
            &token,
            json!({"description": "x", "due_at": "soon"}),
        )
        .await;
    bad_date.assert_status(422);
    assert_eq!(bad_date["detail"][0]["loc"], json!(["body", "due_at"]));
    let wrong_type = server
        .post(
            "/v1/action-items",
            &token,
            json!({"description": "x", "completed": "yes"}),
        )
        .await;
    wrong_type.assert_status(422);
    assert_eq!(
        server.get("/v1/action-items", &token).await["action_items"],
        json!([])
    );
});
