//! Summarization apps (spec §3.2 step 6, issue 17), on both stores: a processed conversation of a user with
//! `memories` apps enabled gets `suggested_summarization_apps` (the apps it is most about first) and the first
//! app's result in `apps_results` (mirrored in `plugins_results`), offline from the passages its prompt picks and
//! with a model from the model's answer to the app's prompt; a user without such apps gets none; replay keeps them.

use crate::apps_support;

use std::time::Duration;

use apps_support::*;
use omi_tests::*;

/// A `memories` app with `prompt`, approved and enabled by `user`; its id.
async fn summarizer(
    server: &TestServer,
    owner: &str,
    user: &str,
    name: &str,
    prompt: &str,
) -> String {
    let app_data = json!({
        "name": name,
        "description": format!("{name} writes notes about your conversations"),
        "category": "productivity-and-organization",
        "capabilities": ["memories"],
        "memory_prompt": prompt,
    });
    let app = create_app(server, owner, &app_data).await;
    approve(server, &app).await;
    server
        .post(&format!("/v1/apps/enable?app_id={app}"), user, json!({}))
        .await
        .assert_status(200);
    app
}

/// Imports a conversation about the launch budget; its id.
async fn budget_talk(server: &TestServer, token: &str) -> String {
    let created = server
        .post(
            "/v1/conversations/from-segments",
            token,
            json!({"transcript_segments": [
                {"text": "We talked about the weather for a while before the meeting started.", "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 4.0},
                {"text": "The budget for the product launch is twelve thousand dollars.", "speaker": "SPEAKER_01", "start": 4.5, "end": 8.0},
                {"text": "I will send the budget spreadsheet to finance tomorrow morning.", "speaker": "SPEAKER_00", "is_user": true, "start": 8.5, "end": 12.0},
            ]}),
        )
        .await;
    created.assert_status(200);
    created["id"].as_str().unwrap().to_string()
}

/// The conversation once its summarization apps were recorded.
async fn with_results(server: &TestServer, token: &str, id: &str) -> Value {
    for _ in 0..300 {
        let read = server.get(&format!("/v1/conversations/{id}"), token).await;
        read.assert_status(200);
        if !read["suggested_summarization_apps"]
            .as_array()
            .unwrap()
            .is_empty()
        {
            return read.json;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the conversation never got its summarization apps");
}

both_stores!(with_store the_app_a_conversation_is_about_summarizes_it_offline, |store| async move {
    let server = start(store).await;
    let (alice, bob) = (server.token("alice").await, server.token("bob").await);
    let recipes = summarizer(&server, &alice, &bob, "Recipes", "Collect every recipe and ingredient mentioned.").await;
    let budget = summarizer(&server, &alice, &bob, "Budget Notes", "List every budget figure and spreadsheet mentioned.").await;
    let id = budget_talk(&server, &bob).await;
    let read = with_results(&server, &bob, &id).await;
    assert_eq!(read["suggested_summarization_apps"], json!([budget, recipes]));
    let results = read["apps_results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{read}");
    assert_eq!(results[0]["app_id"], budget.as_str());
    let content = results[0]["content"].as_str().unwrap();
    assert!(content.contains("- The budget for the product launch is twelve thousand dollars."), "{content}");
    assert!(content.contains("- I will send the budget spreadsheet to finance tomorrow morning."), "{content}");
    assert!(!content.contains("weather"), "{content}");
    assert_eq!(read["plugins_results"], json!([{"plugin_id": budget, "content": content}]));
    let suggested = server.get(&format!("/v1/conversations/{id}/suggested-apps"), &bob).await;
    suggested.assert_status(200);
    assert_eq!(suggested["conversation_id"], id.as_str());
    let names: Vec<&str> = suggested["suggested_apps"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Budget Notes", "Recipes"]);
    assert_eq!(suggested["suggested_apps"][0]["enabled"], true);
    // Someone else's conversation is not found.
    server.get(&format!("/v1/conversations/{id}/suggested-apps"), &alice).await.assert_status(404);

    // Without summarization apps nothing is suggested or recorded.
    let carol = server.token("carol").await;
    let plain = budget_talk(&server, &carol).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let read = server.get(&format!("/v1/conversations/{plain}"), &carol).await;
    assert_eq!(read["apps_results"], json!([]));
    assert_eq!(read["suggested_summarization_apps"], json!([]));
});

both_stores!(with_store a_model_runs_the_apps_prompt_and_its_answer_is_kept, |store| async move {
    let analysis = r#"{"discarded": false, "title": "Launch Budget", "overview": "The launch budget was set.",
        "emoji": "💰", "category": "finance", "action_items": [], "events": [], "memories": [], "trends": []}"#;
    let model = FakeModel::start(analysis).await;
    model.answer("app_result", r#"{"result": "Budget: $12,000 for the launch."}"#);
    let options = model.start_options().env("ADMIN_KEY", ADMIN_KEY);
    let server = TestServer::start_with(store, options).await;
    let (alice, bob) = (server.token("alice").await, server.token("bob").await);
    let budget = summarizer(&server, &alice, &bob, "Budget Notes", "List every budget figure.").await;
    let id = budget_talk(&server, &bob).await;
    let read = with_results(&server, &bob, &id).await;
    assert_eq!(read["apps_results"], json!([{"app_id": budget, "content": "Budget: $12,000 for the launch."}]));
    let asked = model.requests_for("app_result");
    assert_eq!(asked.len(), 1);
    let system = asked[0]["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("List every budget figure."), "{system}");
    let user = asked[0]["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("twelve thousand dollars"), "{user}");
});
