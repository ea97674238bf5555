//! Memories over REST: the mission's `/v1/memories`, the app's `/v3/memories` family, and memory history.

use omi_tests::*;

both_stores!(
    a_memory_is_created_edited_deleted_and_its_history_kept,
    |server| async move {
        let token = server.token("alice").await;
        let created = server
            .post(
                "/v1/memories",
                &token,
                json!({"content": "User prefers morning workouts", "category": "health"}),
            )
            .await;
        created.assert_status(200);
        assert_eq!(created["content"], "User prefers morning workouts");
        assert_eq!(
            created["category"], "interesting",
            "unknown categories read as interesting"
        );
        assert_eq!(created["visibility"], "private");
        assert_eq!(created["manually_added"], true);
        assert_eq!(created["reviewed"], true);
        assert_eq!(created["edited"], false);
        assert!(
            created["scoring"].as_str().unwrap().starts_with("01_998_"),
            "{}",
            created.text
        );
        assert!(created["created_at"].as_str().unwrap().ends_with("+00:00"));
        let id = created["id"].as_str().unwrap().to_string();

        let listed = server.get("/v1/memories", &token).await;
        listed.assert_status(200);
        assert_eq!(listed.json.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["id"], id.as_str());
        let read = server.get(&format!("/v1/memories/{id}"), &token).await;
        assert_eq!(
            read.json, created.json,
            "the creation answers exactly what the read model holds"
        );
        assert_eq!(listed[0], created.json);

        let edited = server
            .put(
                &format!("/v1/memories/{id}"),
                &token,
                json!({"content": "User prefers evening workouts", "tags": ["fitness"]}),
            )
            .await;
        edited.assert_status(200);
        assert_eq!(edited["content"], "User prefers evening workouts");
        assert_eq!(edited["edited"], true);
        assert_eq!(edited["tags"], json!(["fitness"]));
        assert_eq!(edited["id"], id.as_str(), "an edit keeps the id");

        let history = server
            .get(&format!("/v1/memories/{id}/history"), &token)
            .await;
        history.assert_status(200);
        assert_eq!(history["deleted"], false);
        let versions = history["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[0]["event"], "MemoryCreated");
        assert_eq!(
            versions[0]["memory"]["content"],
            "User prefers morning workouts"
        );
        assert_eq!(versions[1]["event"], "MemoryEdited");
        assert_eq!(versions[1]["actor"], "user");
        assert_eq!(
            versions[1]["changes"]["content"],
            "User prefers evening workouts"
        );
        assert_eq!(
            versions[1]["memory"]["content"],
            "User prefers evening workouts"
        );

        server
            .delete(&format!("/v1/memories/{id}"), &token)
            .await
            .assert_status(200);
        server
            .get(&format!("/v1/memories/{id}"), &token)
            .await
            .assert_status(404);
        assert_eq!(server.get("/v1/memories", &token).await.json, json!([]));
        server
            .delete(&format!("/v1/memories/{id}"), &token)
            .await
            .assert_status(404);

        let history = server
            .get(&format!("/v1/memories/{id}/history"), &token)
            .await;
        history.assert_status(200);
        assert_eq!(history["deleted"], true);
        let versions = history["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 3);
        assert_eq!(versions[2]["event"], "MemoryDeleted");
        assert_eq!(versions[2]["memory"], Value::Null);
    }
);

both_stores!(another_users_memory_is_not_found, |server| async move {
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let created = server
        .post("/v1/memories", &alice, json!({"content": "Alice's secret"}))
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    server
        .get(&format!("/v1/memories/{id}"), &bob)
        .await
        .assert_status(404);
    server
        .get(&format!("/v1/memories/{id}/history"), &bob)
        .await
        .assert_status(404);
    server
        .put(
            &format!("/v1/memories/{id}"),
            &bob,
            json!({"content": "mine now"}),
        )
        .await
        .assert_status(404);
    server
        .delete(&format!("/v1/memories/{id}"), &bob)
        .await
        .assert_status(404);
    server.delete("/v3/memories", &bob).await.assert_status(200);
    assert_eq!(server.get("/v1/memories", &bob).await.json, json!([]));
    let still = server.get(&format!("/v1/memories/{id}"), &alice).await;
    still.assert_status(200);
    assert_eq!(still["content"], "Alice's secret");
});

both_stores!(
    a_new_memory_is_never_answered_with_another_one,
    |server| async move {
        let token = server.token("alice").await;
        for create in ["/v1/memories", "/v3/memories"] {
            let first = server.post(create, &token, json!({"content": "A"})).await;
            first.assert_status(200);
            let first_id = first["id"].as_str().unwrap().to_string();
            server
                .put(
                    &format!("/v1/memories/{first_id}"),
                    &token,
                    json!({"content": "B"}),
                )
                .await
                .assert_status(200);
            let second = server.post(create, &token, json!({"content": "A"})).await;
            second.assert_status(200);
            assert_ne!(
                second["id"],
                first_id.as_str(),
                "{create}: answered with the edited memory"
            );
            assert_eq!(second["content"], "A");
            let edited = server
                .get(&format!("/v1/memories/{first_id}"), &token)
                .await;
            assert_eq!(edited["content"], "B");
            let listed = server.get("/v1/memories?limit=5000", &token).await;
            let contents: Vec<&str> = listed
                .json
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["content"].as_str().unwrap())
                .collect();
            assert!(
                contents.contains(&"A") && contents.contains(&"B"),
                "{contents:?}"
            );
            server
                .delete(&format!("/v1/memories/{first_id}"), &token)
                .await
                .assert_status(200);
            let second_id = second["id"].as_str().unwrap();
            server
                .delete(&format!("/v1/memories/{second_id}"), &token)
                .await
                .assert_status(200);
        }
        // Writing the same content twice makes two memories, as two requests asked for.
        let one = server
            .post("/v1/memories", &token, json!({"content": "Same"}))
            .await;
        let two = server
            .post("/v1/memories", &token, json!({"content": "Same"}))
            .await;
        assert_ne!(one["id"], two["id"]);
    }
);

both_stores!(
    the_v3_family_follows_the_reference_server,
    |server| async move {
        let token = server.token("alice").await;
        let manual = server
            .post(
                "/v3/memories",
                &token,
                json!({"content": "Typed by hand", "category": "manual"}),
            )
            .await;
        manual.assert_status(200);
        assert_eq!(manual["manually_added"], true);
        assert_eq!(
            manual["scoring"].as_str().unwrap()[..5].to_string(),
            "01_00"
        );
        let system = server
            .post(
                "/v3/memories",
                &token,
                json!({"content": "Works at a bakery", "category": "system"}),
            )
            .await;
        assert_eq!(system["manually_added"], false);
        assert_eq!(system["reviewed"], false);
        assert_eq!(system["user_review"], Value::Null);
        let id = system["id"].as_str().unwrap().to_string();

        server
            .post(
                &format!("/v3/memories/{id}/review?value=false"),
                &token,
                json!(null),
            )
            .await
            .assert_status(200);
        let reviewed = server.get(&format!("/v1/memories/{id}"), &token).await;
        assert_eq!(reviewed["reviewed"], true);
        assert_eq!(reviewed["user_review"], false);

        let patched = server
            .patch(
                &format!("/v3/memories/{id}?value=Works%20at%20a%20bank"),
                &token,
                json!(null),
            )
            .await;
        patched.assert_status(200);
        assert_eq!(patched["status"], "ok");
        assert_eq!(
            server.get(&format!("/v1/memories/{id}"), &token).await["content"],
            "Works at a bank"
        );

        server
            .patch(
                &format!("/v3/memories/{id}/visibility?value=public"),
                &token,
                json!(null),
            )
            .await
            .assert_status(200);
        assert_eq!(
            server.get(&format!("/v1/memories/{id}"), &token).await["visibility"],
            "public"
        );
        let bad = server
            .patch(
                &format!("/v3/memories/{id}/visibility?value=everyone"),
                &token,
                json!(null),
            )
            .await;
        bad.assert_status(400);
        assert!(bad["detail"].is_string());

        server
            .delete(&format!("/v3/memories/{id}"), &token)
            .await
            .assert_status(200);
        let left = server.get("/v3/memories", &token).await;
        assert_eq!(left.json.as_array().unwrap().len(), 1);
        let all = server.delete("/v3/memories", &token).await;
        all.assert_status(200);
        assert_eq!(all["deleted_count"], 1);
        assert_eq!(server.get("/v3/memories", &token).await.json, json!([]));
    }
);

both_stores!(
    a_batch_is_written_whole_or_not_at_all,
    |server| async move {
        let token = server.token("alice").await;
        let batch = server
        .post(
            "/v3/memories/batch",
            &token,
            json!({"memories": [{"content": "One"}, {"content": "Two", "category": "system"}, {"content": "Three"}]}),
        )
        .await;
        batch.assert_status(200);
        assert_eq!(batch["created_count"], 3);
        assert_eq!(batch["memories"].as_array().unwrap().len(), 3);

        let bad = server
            .post(
                "/v3/memories/batch",
                &token,
                json!({"memories": [{"content": "Four"}, {"content": "  "}]}),
            )
            .await;
        bad.assert_status(422);
        assert_eq!(
            bad["detail"][0]["loc"],
            json!(["body", "memories", "1", "content"])
        );
        let too_many: Vec<Value> = (0..101)
            .map(|i| json!({"content": format!("m{i}")}))
            .collect();
        server
            .post("/v3/memories/batch", &token, json!({"memories": too_many}))
            .await
            .assert_status(422);
        assert_eq!(
            server
                .get("/v3/memories", &token)
                .await
                .json
                .as_array()
                .unwrap()
                .len(),
            3,
            "nothing of a bad batch is written"
        );

        let empty = server
            .post("/v3/memories/batch", &token, json!({"memories": []}))
            .await;
        empty.assert_status(200);
        assert_eq!(empty["created_count"], 0);
    }
);

both_stores!(
    lists_sort_by_scoring_and_filter_by_category,
    |server| async move {
        let token = server.token("alice").await;
        for (content, category) in [
            ("a system fact", "system"),
            ("an interesting fact", "interesting"),
            ("a manual note", "manual"),
        ] {
            server
                .post(
                    "/v3/memories",
                    &token,
                    json!({"content": content, "category": category}),
                )
                .await
                .assert_status(200);
        }
        let all = server.get("/v3/memories", &token).await;
        let order: Vec<&str> = all
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["content"].as_str().unwrap())
            .collect();
        assert_eq!(
            order,
            ["a manual note", "a system fact", "an interesting fact"],
            "manual first, then by category weight"
        );

        let systems = server.get("/v1/memories?categories=system", &token).await;
        assert_eq!(systems.json.as_array().unwrap().len(), 1);
        let csv = server
            .get("/v1/memories?categories=system,manual", &token)
            .await;
        assert_eq!(csv.json.as_array().unwrap().len(), 2);
        let repeated = server
            .get(
                "/v1/memories?categories=system&categories=interesting",
                &token,
            )
            .await;
        assert_eq!(repeated.json.as_array().unwrap().len(), 2);

        let page = server.get("/v1/memories?limit=1&offset=1", &token).await;
        assert_eq!(page[0]["content"], "a system fact");

        let unknown = server.get("/v1/memories?categories=gossip", &token).await;
        unknown.assert_status(422);
        assert_eq!(unknown["detail"][0]["loc"], json!(["query", "categories"]));
        server
            .get("/v1/memories?limit=0", &token)
            .await
            .assert_status(422);
        server
            .get("/v1/memories?limit=ten", &token)
            .await
            .assert_status(422);
        server
            .get("/v1/memories?offset=-1", &token)
            .await
            .assert_status(422);
    }
);

both_stores!(
    invalid_memory_input_is_refused_with_the_problems,
    |server| async move {
        let token = server.token("alice").await;
        let empty = server
            .post("/v1/memories", &token, json!({"content": "   "}))
            .await;
        empty.assert_status(422);
        assert_eq!(empty["detail"][0]["loc"], json!(["body", "content"]));
        let missing = server
            .post("/v1/memories", &token, json!({"category": "system"}))
            .await;
        missing.assert_status(422);
        assert!(
            missing["detail"][0]["msg"]
                .as_str()
                .unwrap()
                .contains("content"),
            "{}",
            missing.text
        );
        let visibility = server
            .post(
                "/v1/memories",
                &token,
                json!({"content": "x", "visibility": "world"}),
            )
            .await;
        visibility.assert_status(422);
        assert_eq!(
            visibility["detail"][0]["loc"],
            json!(["body", "visibility"])
        );
        let nothing = server.put("/v1/memories/some-id", &token, json!({})).await;
        nothing.assert_status(422);
        assert_eq!(
            server.get("/v1/memories", &token).await.json,
            json!([]),
            "refused input changes nothing"
        );
    }
);
