//! Daily summaries written by the schedule, by a model and rebuilt by replay, on both stores: the schedule writes
//! each user's day once at their hour — with two server processes on one PostgreSQL and across a restart, and
//! not again after the user deleted it; a local OpenAI-compatible model writes the text while the numbers come
//! from the data; a replay of the log answers every read byte for byte as before.

use std::time::{Duration, Instant};

use omi_tests::*;
use sqlx::{Connection, Row};

use crate::daily;

use daily::{import_on, DAY};

/// A clock standing at 09:00 on [`DAY`], and a schedule ticking ten times a second.
fn at_nine() -> StartOptions {
    StartOptions::new()
        .env("OMI_TEST_CLOCK_START", format!("{DAY}T09:00:00Z"))
        .env("OMI_DAILY_SUMMARY_TICK_SECS", "0.1")
}

/// The stored names of the daily summary events in the log, in log order, with the actor that recorded each.
async fn summary_events(data: &TestData) -> Vec<(String, String)> {
    let sql = "SELECT event_type, metadata FROM events WHERE aggregate_type = 'DailySummary' \
               ORDER BY global_position";
    let rows: Vec<(String, String)> = match data.database_url() {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let sql = sql.replace("metadata", "metadata::text");
            sqlx::query(&sql)
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect()
        }
        None => {
            let mut conn = sqlite_connection(data, true).await;
            sqlx::query(sql)
                .fetch_all(&mut conn)
                .await
                .unwrap()
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect()
        }
    };
    rows.into_iter()
        .map(|(name, metadata)| {
            let metadata: Value = serde_json::from_str(&metadata).unwrap();
            (
                name,
                metadata["actor"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The user's summaries once there are `count`, within 20 s.
async fn wait_for_summaries(server: &TestServer, token: &str, count: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let listed = server.get("/v1/users/daily-summaries", token).await;
        let summaries = listed["summaries"].as_array().unwrap().clone();
        if summaries.len() >= count {
            return summaries;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{} summaries after 20 s",
            summaries.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_stores!(with_store the_schedule_writes_each_day_once_across_processes_and_restarts, |store| async move {
    let mut first = TestServer::start_with(store, at_nine()).await;
    // On PostgreSQL a second process runs the same schedule on the same log; on SQLite one process owns the store.
    let mut second = match store {
        Store::Postgres => Some(
            TestServer::start_with(store, at_nine().reuse_database(first.data())).await,
        ),
        Store::Sqlite => None,
    };
    let [alice, carol, dave] = [
        first.token("alice").await,
        first.token("carol").await,
        first.token("dave").await,
    ];
    for token in [&alice, &carol, &dave] {
        import_on(&first, token, &format!("{DAY}T08:00:00Z"), daily::BUDGET).await;
    }
    // Ticks at 09:00 before anyone's hour (22 by default) write nothing.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(summary_events(&first.data()).await.is_empty());

    let settings = "/v1/users/daily-summary-settings";
    first.patch(settings, &carol, json!({"hour": 23})).await.assert_status(200);
    first
        .patch(settings, &dave, json!({"hour": 0, "enabled": false}))
        .await
        .assert_status(200);
    let by = second.as_ref().unwrap_or(&first);
    by.patch(settings, &alice, json!({"hour": 9})).await.assert_status(200);

    let written = wait_for_summaries(&first, &alice, 1).await;
    assert_eq!(written[0]["date"], DAY);
    assert_eq!(written[0]["stats"]["total_conversations"], 1);
    // Many more ticks, in both processes.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let events = summary_events(&first.data()).await;
    assert_eq!(
        events,
        [("DailySummaryGenerated".to_string(), "system".to_string())],
        "written once, by the schedule"
    );
    for token in [&carol, &dave] {
        let listed = first.get("/v1/users/daily-summaries", token).await;
        assert_eq!(listed["summaries"], json!([]), "not due: a later hour, or turned off");
    }

    // Deleted by its user, the day is not written again: not by the running processes, nor after a restart.
    let id = written[0]["id"].as_str().unwrap();
    first
        .delete(&format!("/v1/users/daily-summaries/{id}"), &alice)
        .await
        .assert_status(200);
    if let Some(second) = second.as_mut() {
        second.restart().await;
    }
    first.restart().await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        first.get("/v1/users/daily-summaries", &alice).await["summaries"],
        json!([])
    );
    let names: Vec<String> = summary_events(&first.data())
        .await
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, ["DailySummaryGenerated", "DailySummaryDeleted"]);

    // A day that comes due while the server is down is written once it is back.
    let erin = first.token("erin").await;
    import_on(&first, &erin, &format!("{DAY}T08:30:00Z"), daily::TRIP).await;
    first.patch(settings, &erin, json!({"hour": 10})).await.assert_status(200);
    let data = first.data();
    first.stop().await;
    if let Some(second) = second.as_mut() {
        second.stop().await;
    }
    let later = TestServer::start_with(
        store,
        StartOptions::new()
            .reuse_data(data)
            .env("OMI_TEST_CLOCK_START", format!("{DAY}T10:30:00Z"))
            .env("OMI_DAILY_SUMMARY_TICK_SECS", "0.1"),
    )
    .await;
    let written = wait_for_summaries(&later, &erin, 1).await;
    assert_eq!(written[0]["knowledge_nuggets"][0]["insight"], "I learned that Lisbon trams take contactless cards.");
    assert_eq!(summary_events(&later.data()).await.len(), 3);
});

/// The analysis the model gives every conversation.
const ANALYSIS: &str = r#"{"discarded": false, "title": "Budget Review With Sam", "overview": "Sam and the user reviewed the launch budget.",
  "emoji": "💰", "category": "business",
  "action_items": [{"description": "Send the revised budget to Sam", "due_at": "2030-01-02T09:00:00Z"}],
  "events": [], "memories": []}"#;

both_stores!(with_store a_local_model_writes_the_text_and_the_data_keeps_the_numbers, |store| async move {
    let model = FakeModel::start(ANALYSIS).await;
    let server = TestServer::start_with(store, model.start_options()).await;
    let token = server.token("sam").await;
    let id = import_on(&server, &token, &format!("{DAY}T09:00:00Z"), daily::BUDGET).await;
    model.answer(
        "daily_summary",
        &json!({
            "headline": "A Budget Day",
            "overview": "The launch budget was cut and a hire was left open.",
            "day_emoji": "💼",
            "highlights": [
                {"topic": "Launch budget", "emoji": "💰", "summary": "Ads were halved.", "conversation_ids": [id, "made-up"]},
                {"topic": "Invented", "emoji": "👻", "summary": "Not a conversation of the day.", "conversation_ids": ["made-up"]}
            ],
            "unresolved_questions": [{"question": "Hire a second designer?", "conversation_id": id}],
            "decisions_made": [{"decision": "Halve the ad spend.", "conversation_id": id},
                               {"decision": "Someone else's.", "conversation_id": "made-up"}],
            "knowledge_nuggets": []
        })
        .to_string(),
    );
    let written = server
        .post("/v1/users/daily-summary-settings/test", &token, json!({"date": DAY}))
        .await;
    written.assert_status(200);
    let summary = server
        .get(&format!("/v1/users/daily-summaries/{}", written["summary_id"].as_str().unwrap()), &token)
        .await;
    assert_eq!(summary["headline"], "A Budget Day");
    assert_eq!(summary["overview"], "The launch budget was cut and a hire was left open.");
    assert_eq!(summary["day_emoji"], "💼");
    assert_eq!(
        summary["highlights"],
        json!([{"topic": "Launch budget", "emoji": "💰", "summary": "Ads were halved.", "conversation_ids": [id]}]),
        "only the day's conversations are named"
    );
    assert_eq!(summary["decisions_made"], json!([{"decision": "Halve the ad spend.", "conversation_id": id}]));
    assert_eq!(summary["knowledge_nuggets"], json!([]));
    // The numbers and the action items come from the data, not from the model.
    assert_eq!(summary["stats"]["total_conversations"], 1);
    assert_eq!(summary["stats"]["total_duration_minutes"], 15);
    assert_eq!(
        summary["action_items"],
        json!([{"description": "Send the revised budget to Sam", "priority": "medium", "completed": false,
                "source_conversation_id": id}])
    );
    let asked = model.requests_for("daily_summary");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0]["model"], "test-model");
    let prompt = asked[0]["messages"].to_string();
    assert!(prompt.contains(&id) && prompt.contains("Budget Review with Sam"), "{prompt}");
    assert!(prompt.contains("second designer"), "the transcript is in the prompt");

    // A model that fails writes nothing and says so.
    model.set_healthy(false);
    let failed = server
        .post("/v1/users/daily-summary-settings/test", &token, json!({"date": DAY}))
        .await;
    failed.assert_status(503);
    let unchanged = server
        .get(&format!("/v1/users/daily-summaries/{}", written["summary_id"].as_str().unwrap()), &token)
        .await;
    assert_eq!(unchanged.text, summary.text);
});

/// Every read of the users' summaries and settings, and the public route of every summary: who, what, the
/// status and the body as sent.
async fn reads(server: &TestServer, users: &[(&str, &str)], ids: &[String]) -> Vec<String> {
    let mut requests: Vec<(String, &str, &str)> = Vec::new();
    for (uid, token) in users {
        for path in [
            "/v1/users/daily-summaries",
            "/v1/users/daily-summaries?limit=1&offset=1",
            "/v1/users/daily-summary-settings",
        ] {
            requests.push((path.to_string(), uid, token));
        }
        for id in ids {
            requests.push((format!("/v1/users/daily-summaries/{id}"), uid, token));
        }
    }
    for id in ids {
        requests.push((format!("/v1/daily-summaries/{id}/shared"), "anyone", ""));
    }
    let mut answers = Vec::new();
    for (path, who, token) in requests {
        let answer = server.get(&path, token).await;
        answers.push(format!("{who} {path} {} {}", answer.status, answer.text));
    }
    answers
}

both_stores!(with_store a_replay_answers_every_read_byte_for_byte, |store| async move {
    let mut server = TestServer::start(store).await;
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let mut ids = Vec::new();
    for (day, lines) in [("2026-11-29", daily::BUDGET), ("2026-11-30", daily::TRIP), (DAY, daily::BUDGET)] {
        import_on(&server, &alice, &format!("{day}T09:00:00Z"), lines).await;
        ids.push(daily::write(&server, &alice, day).await);
    }
    import_on(&server, &bob, &format!("{DAY}T11:00:00Z"), daily::TRIP).await;
    ids.push(daily::write(&server, &bob, DAY).await);
    server
        .patch(&format!("/v1/users/daily-summaries/{}/visibility?value=shared", ids[0]), &alice, json!(null))
        .await
        .assert_status(200);
    daily::write(&server, &alice, "2026-11-30").await;
    server
        .delete(&format!("/v1/users/daily-summaries/{}", ids[2]), &alice)
        .await
        .assert_status(200);
    server
        .patch("/v1/users/daily-summary-settings", &bob, json!({"hour": 6, "enabled": false}))
        .await
        .assert_status(200);

    let users = [("alice", alice.as_str()), ("bob", bob.as_str())];
    let before = reads(&server, &users, &ids).await;
    assert!(before.iter().any(|a| a.contains(" 200 ") && a.contains("/shared")));
    server.stop().await;
    server.cli(&["replay"]).await.assert_success();
    server.restart().await;
    let after = reads(&server, &users, &ids).await;
    assert_eq!(before.len(), after.len());
    for (before, after) in before.iter().zip(&after) {
        assert_eq!(before, after);
    }
});
