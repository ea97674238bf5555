//! Wrapped, the yearly recap (spec §7.12), on both stores: generation from `processing` to `done` with every
//! field, idempotence and the 2-a-day limit, bad years, other users, `?as_of=`, a replay that restores the answer
//! byte for byte, regeneration from the same log, and the written sections from a local OpenAI-compatible model
//! (a failing model fails the run; asking again starts over).

use std::time::{Duration, Instant};

use omi_tests::*;

/// Every key of a generated result (spec §7.12).
const RESULT_FIELDS: [&str; 19] = [
    "total_conversations",
    "days_active",
    "total_time_hours",
    "top_categories",
    "category_breakdown",
    "total_action_items",
    "completed_action_items",
    "action_items_completion_rate",
    "signature_phrase",
    "decision_style",
    "top_phrases",
    "memorable_days",
    "funniest_event",
    "most_embarrassing_event",
    "top_buddies",
    "obsessions",
    "movie_recommendations",
    "struggle",
    "personal_win",
];

const ARCHETYPES: [&str; 5] = [
    "Reflective Executor",
    "Fast Iterative Thinker",
    "Collaborative Planner",
    "Independent Builder",
    "Strategic Questioner",
];

/// Imports a conversation of segments with Ann (one of the user's people) that started at `started_at` and waits
/// until it is processed.
async fn conversation(server: &TestServer, token: &str, started_at: &str, topic: &str) -> String {
    let ann = server
        .post("/v1/users/people", token, json!({"name": "Ann"}))
        .await;
    ann.assert_status(200);
    let created = server
        .post(
            "/v1/conversations/from-segments",
            token,
            json!({"started_at": started_at, "transcript_segments": [
                {"text": format!("Let's ship it. I'll send the {topic} report to Ann tomorrow at 9am."),
                 "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 30.0},
                {"text": format!("Great, the {topic} numbers look good and the team is happy."),
                 "speaker": "SPEAKER_01", "person_id": ann["id"], "start": 31.0, "end": 60.0},
                {"text": "Let's ship it before Friday, that was a funny meeting.",
                 "speaker": "SPEAKER_00", "is_user": true, "start": 61.0, "end": 90.0}
            ]}),
        )
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    loop {
        let read = server.get(&format!("/v1/conversations/{id}"), token).await;
        if read["status"] == "completed" {
            assert_eq!(read["discarded"], false, "{}", read.text);
            return id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not processed: {}",
            read.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls the wrapped until it leaves `processing`.
async fn settled(server: &TestServer, token: &str, year: i32) -> Response {
    let started = Instant::now();
    loop {
        let read = server.get(&format!("/v1/wrapped/{year}"), token).await;
        read.assert_status(200);
        if read["status"] != "processing" {
            return read;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "still processing: {}",
            read.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

both_stores!(
    generation_goes_from_processing_to_done_with_every_field_once,
    |server| async move {
        let token = server.token("ada").await;
        conversation(&server, &token, "2025-03-09T10:00:00Z", "budget").await;
        conversation(&server, &token, "2025-03-09T15:00:00Z", "launch").await;
        conversation(&server, &token, "2025-07-04T12:00:00Z", "picnic").await;

        let before = server.get("/v1/wrapped/2025", &token).await;
        before.assert_status(200);
        assert_eq!(
            before.json,
            json!({"status": "not_generated", "year": 2025})
        );

        let asked = server
            .post("/v1/wrapped/2025/generate", &token, json!(null))
            .await;
        asked.assert_status(200);
        assert_eq!(asked["status"], "processing");
        assert_eq!(asked["message"], "Wrapped generation started");
        assert_eq!(asked.headers["x-ratelimit-limit"], "2");
        assert_eq!(asked.headers["x-ratelimit-remaining"], "1");

        let done = settled(&server, &token, 2025).await;
        assert_eq!(done["status"], "done", "{}", done.text);
        assert_eq!(done["year"], 2025);
        let result = &done["result"];
        for field in RESULT_FIELDS {
            assert!(
                result.get(field).is_some(),
                "result.{field} is missing: {}",
                done.text
            );
        }
        assert_eq!(result.as_object().unwrap().len(), RESULT_FIELDS.len());
        assert_eq!(result["total_conversations"], 3);
        assert_eq!(result["days_active"], 2);
        // Each conversation has 90 seconds of segments: 270 s = 0.075 h, to 0.1.
        assert_eq!(result["total_time_hours"], 0.1);
        let breakdown: u64 = result["category_breakdown"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["count"].as_u64().unwrap())
            .sum();
        assert_eq!(breakdown, 3);
        assert!(result["top_categories"].as_array().unwrap().len() <= 5);
        assert_eq!(result["signature_phrase"]["phrase"], "let's ship it");
        assert_eq!(result["signature_phrase"]["count"], 6);
        assert!(ARCHETYPES.contains(&result["decision_style"]["name"].as_str().unwrap()));
        // Named as the user's people name them, not by id.
        assert_eq!(result["top_buddies"][0]["name"], "Ann");
        assert_eq!(
            result["memorable_days"]["most_productive_day"]["date"],
            "March 9"
        );
        assert_eq!(done.json.get("progress"), None, "no progress once done");

        // Done: asking again records nothing and says so; the third request of the day is refused.
        let again = server
            .post("/v1/wrapped/2025/generate", &token, json!(null))
            .await;
        again.assert_status(200);
        assert_eq!(
            again.json,
            json!({"status": "done", "message": "Wrapped already generated"})
        );
        assert_eq!(server.get("/v1/wrapped/2025", &token).await.text, done.text);
        let third = server
            .post("/v1/wrapped/2025/generate", &token, json!(null))
            .await;
        third.assert_status(429);
        assert!(third["detail"]
            .as_str()
            .unwrap()
            .contains("wrapped:generate"));
        assert_eq!(third.headers["x-ratelimit-remaining"], "0");
        assert!(third.headers.get("retry-after").is_some());
    }
);

both_stores!(
    bad_years_are_refused_and_other_users_see_only_their_own,
    |server| async move {
        let ada = server.token("ada").await;
        let bob = server.token("bob").await;
        conversation(&server, &ada, "2025-05-01T10:00:00Z", "budget").await;
        for year in [
            "1999",
            "2999",
            "abc",
            "2025.5",
            "-1",
            "99999999999999999999",
        ] {
            let read = server.get(&format!("/v1/wrapped/{year}"), &ada).await;
            read.assert_status(400);
            assert!(read["detail"].is_string(), "{}", read.text);
            server
                .post(&format!("/v1/wrapped/{year}/generate"), &ada, json!(null))
                .await
                .assert_status(400);
        }
        // A year without data.
        let empty = server.get("/v1/wrapped/2024", &ada).await;
        empty.assert_status(400);
        assert_eq!(
            empty["detail"],
            "No conversations, action items or memories in 2024"
        );
        server
            .post("/v1/wrapped/2024/generate", &ada, json!(null))
            .await
            .assert_status(400);
        assert_eq!(server.get("/v1/wrapped/%00", &ada).await.status / 100, 4);
        server
            .get("/v1/wrapped/2025?as_of=yesterday", &ada)
            .await
            .assert_status(422);
        server
            .get("/v1/wrapped/2025?as_of=0001-01-01T00:00:00Z", &ada)
            .await
            .assert_status(400);
        let future = server
            .get("/v1/wrapped/2025?as_of=9999-12-31T23:59:59Z", &ada)
            .await;
        future.assert_status(200);
        assert_eq!(future["result"]["total_conversations"], 1);

        // The refused requests cost nothing of the daily limit.
        let counted = server
            .post("/v1/wrapped/2025/generate", &ada, json!(null))
            .await;
        counted.assert_status(200);
        assert_eq!(counted.headers["x-ratelimit-remaining"], "1");
        assert_eq!(settled(&server, &ada, 2025).await["status"], "done");
        // Bob has no 2025 of his own: he sees no data, never Ada's recap.
        server
            .get("/v1/wrapped/2025", &bob)
            .await
            .assert_status(400);
        conversation(&server, &bob, "2025-06-01T10:00:00Z", "garden").await;
        let bobs = server.get("/v1/wrapped/2025", &bob).await;
        assert_eq!(bobs.json, json!({"status": "not_generated", "year": 2025}));
        server
            .get("/v1/wrapped/2025", "not-a-token")
            .await
            .assert_status(401);
    }
);

both_stores!(as_of_counts_the_log_as_it_stood_then, |server| async move {
    let token = server.token("ada").await;
    conversation(&server, &token, "2025-02-01T10:00:00Z", "budget").await;
    let between = now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    conversation(&server, &token, "2025-02-02T10:00:00Z", "launch").await;

    let then = server
        .get(
            &format!("/v1/wrapped/2025?as_of={}", between.replace('+', "%2B")),
            &token,
        )
        .await;
    then.assert_status(200);
    assert_eq!(then["status"], "done");
    assert_eq!(then["result"]["total_conversations"], 1, "{}", then.text);
    let today = server
        .get(&format!("/v1/wrapped/2025?as_of={}", now()), &token)
        .await;
    assert_eq!(today["result"]["total_conversations"], 2);
    assert_eq!(today["result"]["days_active"], 2);
    // Before anything was written there was no data.
    server
        .get("/v1/wrapped/2025?as_of=2020-01-01T00:00:00Z", &token)
        .await
        .assert_status(400);
    // Reading as of an instant records nothing.
    assert_eq!(
        server.get("/v1/wrapped/2025", &token).await["status"],
        "not_generated"
    );
});

both_stores!(with_store a_replay_and_a_regeneration_from_the_same_log_give_the_same_answer, |store| async move {
    let mut server = TestServer::start(store).await;
    let token = server.token("ada").await;
    conversation(&server, &token, "2025-03-09T10:00:00Z", "budget").await;
    conversation(&server, &token, "2025-08-10T10:00:00Z", "launch").await;
    // Regenerated offline from the log as it stands now: what the generation will record.
    let offline = server.get(&format!("/v1/wrapped/2025?as_of={}", now()), &token).await;
    offline.assert_status(200);
    server.post("/v1/wrapped/2025/generate", &token, json!(null)).await.assert_status(200);
    let generated = settled(&server, &token, 2025).await;
    assert_eq!(generated["status"], "done");
    assert_eq!(generated["result"], offline["result"], "the generation and the offline fold agree");

    server.stop().await;
    server.cli(&["replay"]).await.assert_success();
    server.restart().await;
    let token = server.token("ada").await;
    let replayed = server.get("/v1/wrapped/2025", &token).await;
    assert_eq!(replayed.text, generated.text, "byte for byte after a replay");
    server.stop().await;
    server.cli(&["replay", "--projection", "wrapped"]).await.assert_success();
    server.restart().await;
    let token = server.token("ada").await;
    assert_eq!(server.get("/v1/wrapped/2025", &token).await.text, generated.text);

    // The log grows; regenerated from it as of the instant the request recorded, the recap is the same.
    conversation(&server, &token, "2025-09-01T10:00:00Z", "garden").await;
    let as_of = requested_as_of(&server.data()).await;
    let regenerated = server
        .get(&format!("/v1/wrapped/2025?as_of={}", as_of.replace('+', "%2B")), &token)
        .await;
    regenerated.assert_status(200);
    assert_eq!(regenerated["result"], generated["result"]);
    let grown = server.get(&format!("/v1/wrapped/2025?as_of={}", now()), &token).await;
    assert_eq!(grown["result"]["total_conversations"], 3);
});

/// The instant the (only) wrapped request recorded in the log.
async fn requested_as_of(data: &TestData) -> String {
    use sqlx::Connection;
    let sql = "SELECT CAST(payload AS TEXT) FROM events WHERE event_type = 'WrappedRequested'";
    let payload: String = match data.database_url() {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        }
        None => {
            let mut conn = sqlite_connection(data, true).await;
            sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
        }
    };
    let payload: Value = serde_json::from_str(&payload).unwrap();
    payload["WrappedRequested"]["as_of"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The sections a local model writes.
const SECTIONS: &str = r#"{
  "decision_style": {"name": "Collaborative Planner", "description": "You plan with Ann."},
  "memorable_days": {"most_fun_day": {"date": "July 4", "title": "Picnic", "description": "Sun.", "emoji": "🧺"},
                     "most_productive_day": null, "most_stressful_day": null},
  "funniest_event": null, "most_embarrassing_event": null,
  "top_buddies": [{"name": "Ann", "relationship": "colleague", "context": "Launch", "emoji": "🤝"}],
  "obsessions": {"show": "Severance", "movie": null, "book": null, "celebrity": null, "food": "ramen"},
  "movie_recommendations": ["Moneyball"],
  "struggle": {"title": "Deadlines", "description": "Friday launches."},
  "personal_win": {"title": "Shipped", "description": "It shipped."}
}"#;

/// The analysis a local model gives every conversation.
const ANALYSIS: &str = r#"{"discarded": false, "title": "Launch Report", "overview": "Ann and the user planned the launch.",
  "emoji": "💼", "category": "business", "action_items": [], "events": [], "memories": []}"#;

both_stores!(with_store a_local_model_writes_the_sections_and_a_failing_one_fails_the_run, |store| async move {
    // The recap asks for a JSON object without a schema name, so it gets the default answer.
    let model = FakeModel::start(SECTIONS).await;
    model.answer("conversation_analysis", ANALYSIS);
    let server = TestServer::start_with(store, model.start_options()).await;
    let token = server.token("ada").await;
    conversation(&server, &token, "2025-03-09T10:00:00Z", "budget").await;

    // Failing once the conversation is analyzed.
    model.set_healthy(false);

    server.post("/v1/wrapped/2025/generate", &token, json!(null)).await.assert_status(200);
    let failed = settled(&server, &token, 2025).await;
    assert_eq!(failed["status"], "error", "{}", failed.text);
    assert!(failed["error"].as_str().unwrap().contains("model overloaded"), "{}", failed.text);
    assert_eq!(failed.json.get("result"), None);

    model.set_healthy(true);
    let again = server.post("/v1/wrapped/2025/generate", &token, json!(null)).await;
    again.assert_status(200);
    assert_eq!(again["message"], "Wrapped generation started", "an error starts over");
    let done = settled(&server, &token, 2025).await;
    assert_eq!(done["status"], "done", "{}", done.text);
    let result = &done["result"];
    assert_eq!(result["decision_style"]["name"], "Collaborative Planner");
    assert_eq!(result["obsessions"]["show"], "Severance");
    assert_eq!(result["top_buddies"][0]["name"], "Ann");
    assert_eq!(result["total_conversations"], 1, "counted from the log, not by the model");
    assert_eq!(result["category_breakdown"], json!([{"category": "business", "count": 1}]));
    let prompt = model
        .requests()
        .iter()
        .find(|request| request.system_prompt().contains("yearly recap"))
        .map(|request| request.body["messages"].to_string())
        .unwrap();
    assert!(prompt.contains("Launch Report"), "the year's conversations are in the prompt: {prompt}");
});
