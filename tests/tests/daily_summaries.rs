//! Daily summaries (spec §7.10) on both stores: settings and their validation, writing a day on request with and
//! without conversations, the list and its pages, sharing and the public subset, the regeneration cooldown,
//! other users' summaries, the developer API and the MCP tool. The schedule, the model and replay are in
//! `daily_summary_schedule.rs`.

use omi_tests::*;

use crate::daily;

use daily::{import_on, DAY};

both_stores!(
    settings_have_defaults_and_refuse_an_hour_out_of_range,
    |server| async move {
        let token = server.token("alice").await;
        let settings = server.get("/v1/users/daily-summary-settings", &token).await;
        settings.assert_status(200);
        assert_eq!(settings.json, json!({"enabled": true, "hour": 22}));
        for hour in [24, -1, 1000] {
            let refused = server
                .patch(
                    "/v1/users/daily-summary-settings",
                    &token,
                    json!({"hour": hour}),
                )
                .await;
            refused.assert_status(400);
            assert_eq!(refused["detail"], "hour must be between 0 and 23");
        }
        server
            .patch(
                "/v1/users/daily-summary-settings",
                &token,
                json!({"hour": "seven"}),
            )
            .await
            .assert_status(422);
        let unchanged = server.get("/v1/users/daily-summary-settings", &token).await;
        assert_eq!(unchanged.json, json!({"enabled": true, "hour": 22}));

        let changed = server
            .patch(
                "/v1/users/daily-summary-settings",
                &token,
                json!({"hour": 7}),
            )
            .await;
        changed.assert_status(200);
        assert_eq!(changed.json, json!({"enabled": true, "hour": 7}));
        let off = server
            .patch(
                "/v1/users/daily-summary-settings",
                &token,
                json!({"enabled": false}),
            )
            .await;
        assert_eq!(off.json, json!({"enabled": false, "hour": 7}));
        assert_eq!(
            server
                .get("/v1/users/daily-summary-settings", &token)
                .await
                .json,
            json!({"enabled": false, "hour": 7})
        );
        let bob = server.token("bob").await;
        assert_eq!(
            server
                .get("/v1/users/daily-summary-settings", &bob)
                .await
                .json,
            json!({"enabled": true, "hour": 22}),
            "another user keeps the defaults"
        );
    }
);

both_stores!(
    writing_a_day_needs_conversations_and_a_real_date,
    |server| async move {
        let token = server.token("alice").await;
        let test = "/v1/users/daily-summary-settings/test";
        let empty = server.post(test, &token, json!({"date": DAY})).await;
        empty.assert_status(400);
        assert_eq!(empty["detail"], format!("No conversations found for {DAY}"));
        for date in ["2026-02-30", "yesterday", "2026-12-01T10:00:00Z", "\u{0}"] {
            let refused = server.post(test, &token, json!({"date": date})).await;
            assert!(
                refused.status == 400 || refused.status == 422,
                "{date:?}: {}",
                refused.text
            );
        }
        assert_eq!(
            server.get("/v1/users/daily-summaries", &token).await["summaries"],
            json!([]),
            "a refusal writes nothing"
        );

        let budget = import_on(&server, &token, &format!("{DAY}T09:00:00Z"), daily::BUDGET).await;
        let trip = import_on(&server, &token, &format!("{DAY}T15:00:00Z"), daily::TRIP).await;
        import_on(&server, &token, "2026-12-02T09:00:00Z", daily::TRIP).await;
        let written = server.post(test, &token, json!({"date": DAY})).await;
        written.assert_status(200);
        assert_eq!(written["status"], "success");
        assert_eq!(written["conversations_count"], 2);
        let id = written["summary_id"].as_str().unwrap().to_string();

        let summary = server
            .get(&format!("/v1/users/daily-summaries/{id}"), &token)
            .await;
        summary.assert_status(200);
        assert_eq!(summary["id"], id.as_str());
        assert_eq!(summary["date"], DAY);
        assert_eq!(summary["visibility"], "private");
        assert_eq!(summary["regenerated_at"], Value::Null);
        assert_eq!(summary["stats"]["total_conversations"], 2);
        assert!(summary["stats"]["total_duration_minutes"].as_u64().unwrap() >= 10);
        assert!(!summary["headline"].as_str().unwrap().is_empty());
        assert!(summary["overview"]
            .as_str()
            .unwrap()
            .starts_with("2 conversations"));
        let mentioned: Vec<&Value> = summary["highlights"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|h| h["conversation_ids"].as_array().unwrap())
            .collect();
        assert!(mentioned.contains(&&json!(budget)) && mentioned.contains(&&json!(trip)));
        assert_eq!(
            summary["decisions_made"][0],
            json!({"decision": "We decided to cut the ad spend by half.", "conversation_id": budget})
        );
        assert_eq!(
            summary["unresolved_questions"][0],
            json!({"question": "Should we hire a second designer?", "conversation_id": budget})
        );
        assert_eq!(
            summary["knowledge_nuggets"][0]["conversation_id"],
            trip.as_str()
        );
        assert_eq!(summary["locations"][0]["address"], "Rua Augusta 1, Lisbon");
        assert_eq!(summary["locations"][0]["conversation_id"], trip.as_str());
        assert_eq!(
            summary["locations"][0]["time"],
            format!("{DAY}T15:00:00+00:00")
        );
        assert!(summary["action_items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|item| item["source_conversation_id"] == budget.as_str()
                || item["source_conversation_id"] == trip.as_str()));

        let again = server.post(test, &token, json!({"date": DAY})).await;
        again.assert_status(200);
        assert_eq!(
            again["summary_id"],
            id.as_str(),
            "one summary per user and day"
        );
        let listed = server.get("/v1/users/daily-summaries", &token).await;
        assert_eq!(listed["summaries"].as_array().unwrap().len(), 1);
        assert!(
            listed["summaries"][0]["regenerated_at"].is_string(),
            "written again"
        );
    }
);

both_stores!(the_list_is_newest_first_and_pages, |server| async move {
    let token = server.token("alice").await;
    let days = ["2026-11-28", "2026-11-30", "2026-11-29"];
    for day in days {
        import_on(&server, &token, &format!("{day}T10:00:00Z"), daily::BUDGET).await;
        server
            .post(
                "/v1/users/daily-summary-settings/test",
                &token,
                json!({"date": day}),
            )
            .await
            .assert_status(200);
    }
    let dates = |response: &Response| -> Vec<String> {
        response["summaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["date"].as_str().unwrap().to_string())
            .collect()
    };
    let all = server.get("/v1/users/daily-summaries", &token).await;
    assert_eq!(dates(&all), ["2026-11-30", "2026-11-29", "2026-11-28"]);
    let first = server
        .get("/v1/users/daily-summaries?limit=2", &token)
        .await;
    assert_eq!(dates(&first), ["2026-11-30", "2026-11-29"]);
    let rest = server
        .get("/v1/users/daily-summaries?limit=2&offset=2", &token)
        .await;
    assert_eq!(dates(&rest), ["2026-11-28"]);
    for bad in ["limit=0", "limit=101", "offset=-1", "limit=x"] {
        server
            .get(&format!("/v1/users/daily-summaries?{bad}"), &token)
            .await
            .assert_status(422);
    }
    server
        .get("/v1/users/daily-summaries?limit=100", &token)
        .await
        .assert_status(200);
    let bob = server.token("bob").await;
    assert_eq!(
        server.get("/v1/users/daily-summaries", &bob).await["summaries"],
        json!([])
    );
});

both_stores!(
    a_shared_summary_shows_its_public_part_to_anyone,
    |server| async move {
        let token = server.token("alice").await;
        import_on(&server, &token, &format!("{DAY}T09:00:00Z"), daily::BUDGET).await;
        let id = daily::write(&server, &token, DAY).await;
        let public = format!("/v1/daily-summaries/{id}/shared");
        server.get(&public, "").await.assert_status(404);
        let visibility =
            |value: &str| format!("/v1/users/daily-summaries/{id}/visibility?value={value}");
        server
            .patch(&visibility("public"), &token, json!(null))
            .await
            .assert_status(400);
        let shared = server
            .patch(&visibility("shared"), &token, json!(null))
            .await;
        shared.assert_status(200);
        assert_eq!(shared["visibility"], "shared");

        let seen = server.get(&public, "").await;
        seen.assert_status(200);
        let mut keys: Vec<&str> = seen
            .json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "action_items",
                "date",
                "day_emoji",
                "decisions_made",
                "headline",
                "highlights",
                "id",
                "knowledge_nuggets",
                "overview",
                "stats"
            ]
        );
        assert_eq!(seen["headline"], shared["headline"]);

        server
            .patch(&visibility("private"), &token, json!(null))
            .await
            .assert_status(200);
        server.get(&public, "").await.assert_status(404);
        server
            .get("/v1/daily-summaries/not-an-id/shared", "")
            .await
            .assert_status(404);
    }
);

both_stores!(with_store regenerating_waits_thirty_seconds, |store| async move {
    let first = TestServer::start_with(
        store,
        StartOptions::new().env("OMI_TEST_CLOCK_START", format!("{DAY}T22:00:00Z")),
    )
    .await;
    let token = first.token("alice").await;
    import_on(&first, &token, &format!("{DAY}T09:00:00Z"), daily::BUDGET).await;
    let id = daily::write(&first, &token, DAY).await;
    let regenerate = format!("/v1/users/daily-summaries/{id}/regenerate");
    let refused = first.post(&regenerate, &token, json!(null)).await;
    refused.assert_status(429);
    assert!(refused["detail"].as_str().unwrap().contains("try again"));
    let data = first.data();
    let mut first = first;
    first.stop().await;

    // The same store a minute later.
    let later = TestServer::start_with(
        store,
        StartOptions::new()
            .reuse_data(data)
            .env("OMI_TEST_CLOCK_START", format!("{DAY}T22:01:00Z")),
    )
    .await;
    let regenerated = later.post(&regenerate, &token, json!(null)).await;
    regenerated.assert_status(200);
    assert_eq!(regenerated["id"], id.as_str());
    assert!(regenerated["regenerated_at"].as_str().unwrap().starts_with(&format!("{DAY}T22:01")));
    later.post(&regenerate, &token, json!(null)).await.assert_status(429);
    later
        .post("/v1/users/daily-summaries/unknown/regenerate", &token, json!(null))
        .await
        .assert_status(404);
});

both_stores!(another_users_summary_is_not_found, |server| async move {
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    import_on(&server, &alice, &format!("{DAY}T09:00:00Z"), daily::BUDGET).await;
    let id = daily::write(&server, &alice, DAY).await;
    let one = format!("/v1/users/daily-summaries/{id}");
    server.get(&one, &bob).await.assert_status(404);
    server.delete(&one, &bob).await.assert_status(404);
    server
        .patch(&format!("{one}/visibility?value=shared"), &bob, json!(null))
        .await
        .assert_status(404);
    server
        .post(&format!("{one}/regenerate"), &bob, json!(null))
        .await
        .assert_status(404);
    server
        .post(
            "/v1/users/daily-summary-settings/test",
            &bob,
            json!({"date": DAY}),
        )
        .await
        .assert_status(400);
    server.get(&one, &alice).await.assert_status(200);
    server
        .get(&format!("{one}%00"), &alice)
        .await
        .assert_status(422);

    let deleted = server.delete(&one, &alice).await;
    deleted.assert_status(200);
    assert_eq!(deleted["status"], "ok");
    server.get(&one, &alice).await.assert_status(404);
    server.delete(&one, &alice).await.assert_status(404);
    assert_eq!(
        server.get("/v1/users/daily-summaries", &alice).await["summaries"],
        json!([])
    );
    // Asked for again, the day is written anew under the same id.
    assert_eq!(daily::write(&server, &alice, DAY).await, id);
});

both_stores!(
    scripts_and_assistants_read_the_same_summaries,
    |server| async move {
        let token = server.token("alice").await;
        import_on(&server, &token, &format!("{DAY}T09:00:00Z"), daily::BUDGET).await;
        let id = daily::write(&server, &token, DAY).await;
        let app = server
            .get(&format!("/v1/users/daily-summaries/{id}"), &token)
            .await;

        let key = |scopes: Value| {
            let server = &server;
            let token = token.clone();
            async move {
                let created = server
                    .post(
                        "/v1/dev/keys",
                        &token,
                        json!({"name": "script", "scopes": scopes}),
                    )
                    .await;
                created.assert_status(200);
                created["key"].as_str().unwrap().to_string()
            }
        };
        let reader = key(json!(["conversations:read"])).await;
        let listed = server.get("/v1/dev/user/daily-summaries", &reader).await;
        listed.assert_status(200);
        assert_eq!(listed.json, json!([app.json.clone()]));
        let one = server
            .get(&format!("/v1/dev/user/daily-summaries/{id}"), &reader)
            .await;
        assert_eq!(one.json, app.json);
        server
            .get("/v1/dev/user/daily-summaries/missing", &reader)
            .await
            .assert_status(404);
        server
            .get("/v1/dev/user/daily-summaries?limit=101", &reader)
            .await
            .assert_status(422);
        let other = key(json!(["memories:read"])).await;
        server
            .get("/v1/dev/user/daily-summaries", &other)
            .await
            .assert_status(403);

        let mcp = server
            .post("/v1/mcp/keys", &token, json!({"name": "assistant"}))
            .await;
        let mcp_key = mcp["key"].as_str().unwrap().to_string();
        let call = server
            .post(
                "/v1/mcp/sse",
                &mcp_key,
                json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": "get_daily_summaries", "arguments": {"limit": 5}}}),
            )
            .await;
        call.assert_status(200);
        let result = &call["result"]["structuredContent"];
        assert_eq!(result["daily_summaries"], json!([app.json.clone()]));
        let refused = server
            .post(
                "/v1/mcp/sse",
                &mcp_key,
                json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                   "params": {"name": "get_daily_summaries", "arguments": {"limit": 0}}}),
            )
            .await;
        assert_eq!(refused["error"]["code"], -32602);
    }
);
