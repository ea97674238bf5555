//! Goal suggestions, advice and progress read from a text (spec §7.14), with the offline rules (the default)
//! and with a language model served locally; progress that is read is recorded like any other.

use omi_tests::*;

async fn remember(server: &TestServer, token: &str, facts: &[&str]) {
    for fact in facts {
        server
            .post("/v1/memories", token, json!({"content": fact}))
            .await
            .assert_status(200);
    }
}

async fn create_goal(server: &TestServer, token: &str, body: Value) -> String {
    let created = server.post("/v1/goals", token, body).await;
    created.assert_status(200);
    created["id"].as_str().unwrap().to_string()
}

both_stores!(
    the_offline_rules_suggest_advise_and_read_progress,
    |server| async move {
        let token = server.token("alice").await;
        let first = server.get("/v1/goals/suggest", &token).await;
        first.assert_status(200);
        assert_eq!(
            first["suggested_title"], "Reflect on your day every evening",
            "nothing to learn from yet"
        );
        assert_eq!(first["suggested_type"], "boolean");

        remember(
            &server,
            &token,
            &[
                "Alice loves running before work",
                "Alice is training for a running race in May",
                "Running with friends keeps Alice motivated",
                "Alice likes green tea",
            ],
        )
        .await;
        let suggested = server.get("/v1/goals/suggest", &token).await;
        assert_eq!(
            suggested["suggested_title"], "Make steady progress on running",
            "{}",
            suggested.text
        );
        assert_eq!(suggested["suggested_type"], "scale");
        assert!(
            suggested["reasoning"]
                .as_str()
                .unwrap()
                .contains("3 of your 4"),
            "{}",
            suggested.text
        );

        let none = server.get("/v1/goals/advice", &token).await;
        none.assert_status(200);
        assert_eq!(none["advice"], "Set a goal to get personalized advice!");
        let none = server
            .post(
                "/v1/goals/extract-progress",
                &token,
                json!({"text": "I ran 5 km"}),
            )
            .await;
        assert_eq!(
            none.json,
            json!({"updated": false, "reason": "No active goal"})
        );

        let id = create_goal(
        &server,
        &token,
        json!({"title": "Run a marathon", "goal_type": "numeric", "target_value": 42, "max_value": 42, "unit": "km"}),
    )
    .await;
        let advice = server.get(&format!("/v1/goals/{id}/advice"), &token).await;
        advice.assert_status(200);
        let text = advice["advice"].as_str().unwrap();
        assert!(text.contains("0 km of 42 km"), "{text}");
        let recalled = text
            .split_once("Keep in mind what you noted: ")
            .map(|(_, memory)| memory.to_lowercase());
        assert!(
            recalled.is_some_and(|memory| memory.contains("running")),
            "a related memory is recalled: {text}"
        );
        assert!(!text.contains("green tea"), "{text}");
        assert_eq!(
            server.get("/v1/goals/advice", &token).await["advice"],
            text,
            "the current goal's"
        );
        server
            .get("/v1/goals/goal_000000000000/advice", &token)
            .await
            .assert_status(404);

        let read = server
            .post(
                "/v1/goals/extract-progress",
                &token,
                json!({"text": "Long run today: 21.1 km in the rain!"}),
            )
            .await;
        read.assert_status(200);
        assert_eq!(read["updated"], true, "{}", read.text);
        assert_eq!(read["goal_id"], id.as_str());
        assert_eq!(read["previous_value"], 0.0);
        assert_eq!(read["new_value"], 21.1);
        assert!(read["reasoning"].as_str().unwrap().contains("21.1"));
        assert_eq!(server.get("/v1/goals", &token).await["current_value"], 21.1);
        let history = server.get(&format!("/v1/goals/{id}/history"), &token).await;
        assert_eq!(
            history.json.as_array().unwrap().len(),
            1,
            "recorded as progress"
        );

        let again = server
            .post(
                "/v1/goals/extract-progress",
                &token,
                json!({"text": "Still 21.1 km, legs tired"}),
            )
            .await;
        assert_eq!(again["updated"], false);
        let nothing = server
            .post(
                "/v1/goals/extract-progress",
                &token,
                json!({"text": "Had lunch with Bob at 12"}),
            )
            .await;
        assert_eq!(
            nothing.json,
            json!({"updated": false, "reason": "No progress found in text"})
        );
        let long = server
            .post(
                "/v1/goals/extract-progress",
                &token,
                json!({"text": "x".repeat(100_001)}),
            )
            .await;
        long.assert_status(422);
        let history = server.get(&format!("/v1/goals/{id}/history"), &token).await;
        assert_eq!(
            history.json.as_array().unwrap().len(),
            1,
            "nothing more recorded"
        );
    }
);

both_stores!(
    the_model_routes_are_limited_to_30_requests_an_hour,
    |server| async move {
        let token = server.token("alice").await;
        for _ in 0..30 {
            server
                .get("/v1/goals/suggest", &token)
                .await
                .assert_status(200);
        }
        let refused = server.get("/v1/goals/suggest", &token).await;
        refused.assert_status(429);
        assert!(refused["detail"]
            .as_str()
            .unwrap()
            .contains("goals:suggest"));
        server
            .get("/v1/goals/advice", &token)
            .await
            .assert_status(200);
        let other = server.token("bob").await;
        server
            .get("/v1/goals/suggest", &other)
            .await
            .assert_status(200);
    }
);

const SUGGESTION: &str = r#"{"suggested_title": "Ship the beta by June", "suggested_type": "boolean",
  "suggested_target": 1, "suggested_min": 0, "suggested_max": 1, "reasoning": "You talk about the beta a lot."}"#;
const ADVICE: &str = r#"{"advice": "Block two hours every morning for the beta."}"#;
const PROGRESS: &str =
    r#"{"found": true, "value": 640, "reasoning": "The text says 640 signups."}"#;

both_stores!(with_store a_local_model_suggests_advises_and_reads_progress, |store| async move {
    let model = FakeModel::start("{}").await;
    model.answer("goal_suggestion", SUGGESTION);
    model.answer("goal_advice", ADVICE);
    model.answer("goal_progress", PROGRESS);
    let server = TestServer::start_with(store, model.start_options()).await;
    let token = server.token("ada").await;
    remember(&server, &token, &["Ada is building a beta of her app"]).await;

    let suggested = server.get("/v1/goals/suggest", &token).await;
    suggested.assert_status(200);
    assert_eq!(suggested["suggested_title"], "Ship the beta by June");
    assert_eq!(suggested["suggested_type"], "boolean");
    assert_eq!(suggested["suggested_max"], 1.0);
    let asked = model.requests_for("goal_suggestion");
    assert!(asked[0].to_string().contains("building a beta"), "the memories are sent");

    let id = create_goal(
        &server,
        &token,
        json!({"title": "Reach 1000 signups", "goal_type": "numeric", "target_value": 1000, "max_value": 1000, "unit": "signups"}),
    )
    .await;
    let advice = server.get(&format!("/v1/goals/{id}/advice"), &token).await;
    assert_eq!(advice["advice"], "Block two hours every morning for the beta.");
    assert!(model.requests_for("goal_advice")[0].to_string().contains("Reach 1000 signups"));

    let read = server
        .post("/v1/goals/extract-progress", &token, json!({"text": "We crossed six hundred and forty signups"}))
        .await;
    assert_eq!(read["updated"], true, "{}", read.text);
    assert_eq!(read["new_value"], 640.0);
    assert_eq!(read["reasoning"], "The text says 640 signups.");
    assert_eq!(server.get("/v1/goals", &token).await["current_value"], 640.0);
    let sent = model.requests_for("goal_progress")[0].to_string();
    assert!(sent.contains("six hundred and forty") && sent.contains("Reach 1000 signups"), "{sent}");

    model.answer("goal_progress", r#"{"found": false, "value": 0, "reasoning": "nothing"}"#);
    let nothing = server
        .post("/v1/goals/extract-progress", &token, json!({"text": "A quiet day"}))
        .await;
    assert_eq!(nothing.json, json!({"updated": false, "reason": "No progress found in text"}));

    model.answer("goal_suggestion", r#"{"suggested_title": "  ", "suggested_type": "scale", "suggested_target": 1, "suggested_min": 0, "suggested_max": 10, "reasoning": ""}"#);
    server.get("/v1/goals/suggest", &token).await.assert_status(503);
    model.set_healthy(false);
    let down = server.get("/v1/goals/advice", &token).await;
    down.assert_status(503);
    assert!(down["detail"].as_str().unwrap().contains("model overloaded"), "{}", down.text);
    let history = server.get(&format!("/v1/goals/{id}/history"), &token).await;
    assert_eq!(history.json.as_array().unwrap().len(), 1, "only the progress read once is recorded");
});
