//! Goals over the app's routes (spec §7.14, §2.10): create, edit, progress with its history, delete, the current
//! goal, the rule of at most 3 active goals, and the 4xx of bad input and of other users' goals.

use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use omi_tests::*;

fn goal(title: &str) -> Value {
    json!({"title": title, "goal_type": "numeric", "target_value": 1000, "max_value": 1000, "unit": "users"})
}

async fn create(server: &TestServer, token: &str, body: Value) -> String {
    let created = server.post("/v1/goals", token, body).await;
    created.assert_status(200);
    created["id"].as_str().unwrap().to_string()
}

fn ids(response: &Response) -> Vec<String> {
    response
        .json
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", response.text))
        .iter()
        .map(|goal| goal["id"].as_str().unwrap().to_string())
        .collect()
}

both_stores!(
    a_goal_is_created_edited_progressed_and_deleted,
    |server| async move {
        let token = server.token("alice").await;
        assert_eq!(
            server.get("/v1/goals", &token).await.json,
            Value::Null,
            "no goal yet"
        );

        let created = server
            .post(
                "/v1/goals",
                &token,
                json!({"title": "  Sleep better ", "target_value": 8}),
            )
            .await;
        created.assert_status(200);
        let id = created["id"].as_str().unwrap().to_string();
        assert!(id.starts_with("goal_") && id.len() == 17, "{id}");
        assert_eq!(created["title"], "Sleep better");
        assert_eq!(created["goal_type"], "scale", "the default type");
        assert_eq!(created["current_value"], 0.0);
        assert_eq!(
            (created["min_value"].clone(), created["max_value"].clone()),
            (json!(0.0), json!(10.0))
        );
        assert_eq!(created["unit"], Value::Null);
        assert_eq!(created["is_active"], true);
        assert_eq!(server.get("/v1/goals", &token).await["id"], id.as_str());

        let path = format!("/v1/goals/{id}");
        let edited = server
            .patch(
                &path,
                &token,
                json!({"title": "Sleep 8 hours", "unit": "hours", "max_value": 12}),
            )
            .await;
        edited.assert_status(200);
        assert_eq!(edited["title"], "Sleep 8 hours");
        assert_eq!(edited["unit"], "hours");
        assert_eq!(edited["max_value"], 12.0);
        assert_eq!(edited["target_value"], 8.0, "an absent field is kept");
        let cleared = server.patch(&path, &token, json!({"unit": null})).await;
        assert_eq!(
            cleared["unit"],
            Value::Null,
            "an explicit null removes the unit"
        );

        let empty = server.patch(&path, &token, json!({})).await;
        empty.assert_status(400);
        assert_eq!(empty["detail"], "No updates provided");

        for value in ["6.5", "7"] {
            let progressed = server
                .patch(
                    &format!("{path}/progress?current_value={value}"),
                    &token,
                    json!(null),
                )
                .await;
            progressed.assert_status(200);
            assert_eq!(progressed["current_value"], value.parse::<f64>().unwrap());
        }
        let history = server.get(&format!("{path}/history"), &token).await;
        history.assert_status(200);
        let values: Vec<f64> = history
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["value"].as_f64().unwrap())
            .collect();
        assert_eq!(
            values,
            [6.5, 7.0],
            "one entry per progress update, oldest first"
        );
        let today = Utc::now().date_naive().to_string();
        assert_eq!(history.json[1]["date"], today.as_str());
        assert!(history.json[1]["recorded_at"].is_string());

        let deleted = server.delete(&path, &token).await;
        deleted.assert_status(200);
        assert_eq!(deleted.json, json!({"success": true, "deleted_id": id}));
        assert_eq!(server.get("/v1/goals", &token).await.json, Value::Null);
        server.delete(&path, &token).await.assert_status(404);
        server
            .get(&format!("{path}/history"), &token)
            .await
            .assert_status(404);
        server
            .patch(
                &format!("{path}/progress?current_value=1"),
                &token,
                json!(null),
            )
            .await
            .assert_status(404);
    }
);

both_stores!(
    a_fourth_goal_deactivates_the_oldest_active_one,
    |server| async move {
        let token = server.token("alice").await;
        let mut created = Vec::new();
        for n in 0..3 {
            created.push(create(&server, &token, goal(&format!("Goal {n}"))).await);
        }
        let all = server.get("/v1/goals/all", &token).await;
        let newest_first: Vec<String> = created.iter().rev().cloned().collect();
        assert_eq!(ids(&all), newest_first);

        let fourth = create(&server, &token, goal("Goal 3")).await;
        let all = server.get("/v1/goals/all", &token).await;
        assert_eq!(
            ids(&all),
            [fourth.clone(), created[2].clone(), created[1].clone()]
        );
        assert_eq!(
            server.get("/v1/goals", &token).await["id"],
            fourth.as_str(),
            "the newest is current"
        );

        // The deactivated goal is still the user's: it can be read, edited and deleted, and it is no longer active.
        let key = server
            .post(
                "/v1/dev/keys",
                &token,
                json!({"name": "s", "scopes": ["goals:read"]}),
            )
            .await;
        let key = key["key"].as_str().unwrap().to_string();
        let oldest = server
            .get(&format!("/v1/dev/user/goals/{}", created[0]), &key)
            .await;
        oldest.assert_status(200);
        assert_eq!(oldest["is_active"], false);

        // Deleting an active goal makes room: the next one deactivates nothing.
        server
            .delete(&format!("/v1/goals/{}", created[1]), &token)
            .await
            .assert_status(200);
        let fifth = create(&server, &token, goal("Goal 4")).await;
        let all = server.get("/v1/goals/all", &token).await;
        assert_eq!(ids(&all), [fifth, fourth, created[2].clone()]);
    }
);

both_stores!(another_users_goal_is_not_found, |server| async move {
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let id = create(&server, &alice, goal("Alice's goal")).await;
    let path = format!("/v1/goals/{id}");
    server
        .patch(&path, &bob, json!({"title": "mine"}))
        .await
        .assert_status(404);
    server
        .patch(
            &format!("{path}/progress?current_value=3"),
            &bob,
            json!(null),
        )
        .await
        .assert_status(404);
    server
        .get(&format!("{path}/history"), &bob)
        .await
        .assert_status(404);
    server
        .get(&format!("{path}/advice"), &bob)
        .await
        .assert_status(404);
    server.delete(&path, &bob).await.assert_status(404);
    assert_eq!(server.get("/v1/goals", &bob).await.json, Value::Null);
    assert_eq!(
        server.get("/v1/goals", &alice).await["title"],
        "Alice's goal",
        "untouched"
    );
    for bad in ["goal_zzzzzzzzzzzz", "not-a-goal", &"x".repeat(10_000)] {
        server
            .delete(&format!("/v1/goals/{bad}"), &alice)
            .await
            .assert_status(404);
    }
});

both_stores!(
    bad_goals_are_refused_and_append_nothing,
    |server| async move {
        let token = server.token("alice").await;
        let refused = [
            json!({"title": "", "target_value": 1}),
            json!({"title": "   ", "target_value": 1}),
            json!({"title": "x".repeat(501), "target_value": 1}),
            json!({"title": "x".repeat(10_000), "target_value": 1}),
            json!({"title": "a\u{0}b", "target_value": 1}),
            json!({"title": "Run", "target_value": 1, "unit": "u".repeat(51)}),
            json!({"title": "Run", "target_value": 1, "unit": "k\u{0}m"}),
            json!({"title": "Run", "goal_type": "percent", "target_value": 1}),
            json!({"title": "Run", "target_value": "ten"}),
            json!({"title": "Run"}),
            json!({"title": "Run", "target_value": 1, "min_value": 11, "max_value": 10}),
        ];
        for body in refused {
            let response = server.post("/v1/goals", &token, body.clone()).await;
            response.assert_status(422);
            assert!(response["detail"].is_array(), "{body}: {}", response.text);
        }
        // JSON has no NaN nor infinity: a number too large for a float is refused as it is read.
        let huge = server
            .client()
            .reqwest()
            .post(server.url("/v1/goals"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(r#"{"title": "Run", "target_value": 1e999}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(huge.status().as_u16(), 422);
        assert_eq!(
            server.get("/v1/goals", &token).await.json,
            Value::Null,
            "nothing was created"
        );

        let id = create(&server, &token, goal("Grow")).await;
        let path = format!("/v1/goals/{id}");
        for value in ["NaN", "inf", "-infinity", "ten", ""] {
            let response = server
                .patch(
                    &format!("{path}/progress?current_value={value}"),
                    &token,
                    json!(null),
                )
                .await;
            response.assert_status(422);
        }
        server
            .patch(
                &format!("{path}/progress"),
                &token,
                json!({"current_value": 5}),
            )
            .await
            .assert_status(422);
        server
            .patch(&path, &token, json!({"min_value": 2000}))
            .await
            .assert_status(422);
        server
            .patch(&path, &token, json!({"title": "x".repeat(501)}))
            .await
            .assert_status(422);
        server
            .patch(&path, &token, json!({"title": ""}))
            .await
            .assert_status(422);
        for days in ["0", "366", "-1", "many"] {
            server
                .get(&format!("{path}/history?days={days}"), &token)
                .await
                .assert_status(422);
        }
        server
            .get(&format!("{path}/history?days=365"), &token)
            .await
            .assert_status(200);
        let unchanged = server.get("/v1/goals", &token).await;
        assert_eq!(unchanged["current_value"], 0.0);
        assert_eq!(unchanged["min_value"], 0.0);
        assert_eq!(unchanged["title"], "Grow");
    }
);

/// Waits until the goal `id` shows `current_value`.
async fn wait_for_value(server: &TestServer, token: &str, value: f64) {
    let started = Instant::now();
    while server.get("/v1/goals", token).await["current_value"] != value {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the goal never showed {value}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

both_stores!(
    the_history_holds_the_progress_of_the_days_asked_for,
    |server| async move {
        let token = server.token("alice").await;
        let at = |days: i64| {
            (Utc::now() - chrono::Duration::days(days)).to_rfc3339_opts(SecondsFormat::Micros, true)
        };
        // Progress recorded 40 and 10 days ago, as a log imported from elsewhere holds it.
        let goal_id = "goal_0123456789ab";
        let payloads = [
            json!({"GoalCreated": {"uid": "alice", "goal_id": goal_id, "title": "Walk", "goal_type": "numeric",
            "target_value": 100.0, "current_value": 0.0, "min_value": 0.0, "max_value": 100.0, "unit": "km",
            "created_at": at(50)}}),
            json!({"GoalProgressRecorded": {"goal_id": goal_id, "value": 10.0, "recorded_at": at(40)}}),
            json!({"GoalProgressRecorded": {"goal_id": goal_id, "value": 30.0, "recorded_at": at(10)}}),
        ];
        let metadata = system_metadata("alice");
        for (sequence, payload) in payloads.iter().enumerate() {
            let payload = payload.to_string();
            let name = stored_name(&payload);
            append_raw_event(
                &server.data(),
                RawEvent {
                    aggregate_type: "Goals",
                    aggregate_id: "alice",
                    sequence: sequence as i64 + 1,
                    event_type: &name,
                    event_version: "1.0",
                    payload: &payload,
                    metadata: &metadata,
                },
            )
            .await;
        }
        wait_for_value(&server, &token, 30.0).await;
        server
            .patch(
                &format!("/v1/goals/{goal_id}/progress?current_value=45"),
                &token,
                json!(null),
            )
            .await
            .assert_status(200);

        let values = |days: &'static str| {
            let server = &server;
            let token = &token;
            async move {
                let path = if days.is_empty() {
                    format!("/v1/goals/{goal_id}/history")
                } else {
                    format!("/v1/goals/{goal_id}/history?days={days}")
                };
                let history = server.get(&path, token).await;
                history.assert_status(200);
                history
                    .json
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["value"].as_f64().unwrap())
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(values("").await, [30.0, 45.0], "30 days by default");
        assert_eq!(values("5").await, [45.0]);
        assert_eq!(values("365").await, [10.0, 30.0, 45.0]);
    }
);

both_stores!(
    the_api_document_lists_every_goal_route,
    |server| async move {
        let document = server.get("/openapi.json", "").await;
        document.assert_status(200);
        let paths = &document["paths"];
        for (path, methods) in [
            ("/v1/goals", &["get", "post"][..]),
            ("/v1/goals/all", &["get"]),
            ("/v1/goals/suggest", &["get"]),
            ("/v1/goals/advice", &["get"]),
            ("/v1/goals/extract-progress", &["post"]),
            ("/v1/goals/{id}", &["patch", "delete"]),
            ("/v1/goals/{id}/progress", &["patch"]),
            ("/v1/goals/{id}/history", &["get"]),
            ("/v1/goals/{id}/advice", &["get"]),
            ("/v1/dev/user/goals", &["get", "post"]),
            ("/v1/dev/user/goals/{id}", &["get", "patch", "delete"]),
            ("/v1/dev/user/goals/{id}/progress", &["patch"]),
            ("/v1/dev/user/goals/{id}/history", &["get"]),
        ] {
            for method in methods {
                let operation = &paths[path][method];
                assert!(operation.is_object(), "{method} {path} is documented");
                assert!(
                    operation["responses"]["200"].is_object(),
                    "{method} {path} has its answer"
                );
            }
        }
    }
);
