//! Trends through the real server, on both stores: conversations processed offline count towards
//! `GET /v1/trends` (public), a reprocess replaces a conversation's mentions instead of adding to them, a
//! deleted conversation stops counting, a replay rebuilds the same answer byte for byte, and a model's answer
//! counts only with topics from the whitelists.

use std::time::{Duration, Instant};

use omi_tests::*;

/// The trends as `(category, type, [(topic, count)])`, in the order answered.
type Counts = Vec<(String, String, Vec<(String, u64)>)>;

async fn trends(server: &TestServer) -> (Response, Counts) {
    let answer = server.get("/v1/trends", "").await;
    answer.assert_status(200);
    let counts = answer
        .json
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", answer.text))
        .iter()
        .map(|trend| {
            let topics = trend["topics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        t["topic"].as_str().unwrap().to_string(),
                        t["memories_count"].as_u64().unwrap(),
                    )
                })
                .collect();
            (
                trend["category"].as_str().unwrap().to_string(),
                trend["type"].as_str().unwrap().to_string(),
                topics,
            )
        })
        .collect();
    (answer, counts)
}

/// A trend as a test writes it: `(category, type, [(topic, count)])`.
type Expected<'a> = (&'a str, &'a str, &'a [(&'a str, u64)]);

/// The trends once `settled` holds of them: the trends read model follows the log, so a result recorded by
/// the processing pipeline shows there a moment later.
async fn trends_once(
    server: &TestServer,
    settled: impl Fn(&Response, &Counts) -> bool,
) -> (Response, Counts) {
    let started = Instant::now();
    loop {
        let (answer, counts) = trends(server).await;
        if settled(&answer, &counts) {
            return (answer, counts);
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the trends never settled: {}",
            answer.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The trends once they count `expected`.
async fn trends_counting(server: &TestServer, expected: &[Expected<'_>]) -> Response {
    let expected = counts(expected);
    trends_once(server, |_, found| *found == expected).await.0
}

fn counts(expected: &[Expected]) -> Counts {
    expected
        .iter()
        .map(|(category, kind, topics)| {
            (
                category.to_string(),
                kind.to_string(),
                topics.iter().map(|(t, n)| (t.to_string(), *n)).collect(),
            )
        })
        .collect()
}

/// Imports a conversation of `lines` (one segment each) and waits until it is processed.
async fn processed(server: &TestServer, token: &str, lines: &[&str]) -> String {
    let segments: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, text)| {
            json!({"text": text, "speaker": format!("SPEAKER_0{}", i % 2), "start": i as f64 * 5.0, "end": i as f64 * 5.0 + 4.0})
        })
        .collect();
    let created = server
        .post(
            "/v1/conversations/from-segments",
            token,
            json!({"transcript_segments": segments, "started_at": "2026-11-20T10:00:00Z"}),
        )
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();
    wait_for_run(server, token, &id, 1).await;
    id
}

/// Waits until the conversation's history holds `runs` processing results.
async fn wait_for_run(server: &TestServer, token: &str, id: &str, runs: usize) {
    let started = Instant::now();
    loop {
        let history = server
            .get(&format!("/v1/conversations/{id}/history"), token)
            .await;
        let done = history["versions"].as_array().map_or(0, |v| {
            v.iter()
                .filter(|v| v["event"] == "ConversationProcessed")
                .count()
        });
        if done >= runs {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "conversation {id} was not processed {runs} times: {}",
            history.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

both_stores!(
    processed_conversations_count_towards_trends_until_reprocessed_or_deleted,
    |server| async move {
        let mut server = server;
        let (_, none) = trends(&server).await;
        assert!(none.is_empty(), "no conversation, no trend");

        let alice = server.token("alice").await;
        let bob = server.token("bob").await;
        let phone = processed(
            &server,
            &alice,
            &[
                "Honestly I love my iPhone, the battery is amazing.",
                "ChatGPT is terrible at arithmetic though.",
            ],
        )
        .await;
        let meeting = processed(
            &server,
            &bob,
            &[
                "The iPhone camera is great for the team photos.",
                "Zoom is awful for big meetings, we should plan the review on Friday.",
            ],
        )
        .await;
        processed(
            &server,
            &bob,
            &["We talked about Tesla over lunch and planned the offsite for next week."],
        )
        .await;
        let first = trends_counting(
            &server,
            &[
                ("software_product", "worst", &[("Zoom", 1)]),
                ("hardware_product", "best", &[("iPhone", 2)]),
                ("ai_product", "worst", &[("ChatGPT", 1)]),
            ],
        )
        .await;
        let trend = &first.json[1];
        assert!(trend["id"].as_str().is_some_and(|id| !id.is_empty()));
        assert!(trend["created_at"].as_str().unwrap().ends_with("+00:00"));
        assert!(trend["topics"][0]["id"].is_string());

        // The same transcript again: the run's mentions replace the last run's, nothing is counted twice.
        server
            .post(
                &format!("/v1/conversations/{phone}/reprocess"),
                &alice,
                json!(null),
            )
            .await
            .assert_status(200);
        wait_for_run(&server, &alice, &phone, 2).await;
        // Only alice's conversation mentions ChatGPT: its trend is as old as the new run's mentions.
        let (again, recounted) = trends_once(&server, |answer, _| {
            answer.json[2]["created_at"] != first.json[2]["created_at"]
        })
        .await;
        assert_eq!(
            recounted,
            counts(&[
                ("software_product", "worst", &[("Zoom", 1)]),
                ("hardware_product", "best", &[("iPhone", 2)]),
                ("ai_product", "worst", &[("ChatGPT", 1)]),
            ]),
            "a reprocess of the same text counts it once"
        );
        let ids = |answer: &Response| {
            answer
                .json
                .as_array()
                .unwrap()
                .iter()
                .map(|t| (t["id"].clone(), t["topics"][0]["id"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&again), ids(&first), "ids name what they count");

        // Another opinion, then a reprocess: the conversation now counts where its new mentions say.
        let conversation = server
            .get(&format!("/v1/conversations/{phone}"), &alice)
            .await;
        let segment = conversation["transcript_segments"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        server
            .patch(
                &format!("/v1/conversations/{phone}/segments/{segment}/text"),
                &alice,
                json!({"text": "Honestly my iPhone is useless, the battery is horrible."}),
            )
            .await
            .assert_status(200);
        server
            .post(
                &format!("/v1/conversations/{phone}/reprocess"),
                &alice,
                json!(null),
            )
            .await
            .assert_status(200);
        wait_for_run(&server, &alice, &phone, 3).await;
        trends_counting(
            &server,
            &[
                ("software_product", "worst", &[("Zoom", 1)]),
                ("hardware_product", "best", &[("iPhone", 1)]),
                ("hardware_product", "worst", &[("iPhone", 1)]),
                ("ai_product", "worst", &[("ChatGPT", 1)]),
            ],
        )
        .await;

        // A deleted conversation stops counting.
        server
            .delete(&format!("/v1/conversations/{meeting}"), &bob)
            .await
            .assert_status(204);
        let before_replay = trends_counting(
            &server,
            &[
                ("hardware_product", "worst", &[("iPhone", 1)]),
                ("ai_product", "worst", &[("ChatGPT", 1)]),
            ],
        )
        .await;

        // Dropped and rebuilt from the log: the same answer, byte for byte, ids and times included.
        server.stop().await;
        server.cli(&["replay"]).await.assert_success();
        server.restart().await;
        let (replayed, _) = trends(&server).await;
        assert_eq!(replayed.text, before_replay.text);
        server.stop().await;
        server
            .cli(&["replay", "--projection", "trends"])
            .await
            .assert_success();
        server.restart().await;
        let (alone, _) = trends(&server).await;
        assert_eq!(alone.text, before_replay.text);
    }
);

/// A model's analysis whose trends name whitelisted and invented topics.
const ANSWER: &str = r#"{"discarded": false, "title": "Gadget Talk", "overview": "Sam compared phones and assistants.",
  "emoji": "📱", "category": "technology", "action_items": [], "events": [], "memories": [],
  "trends": [
    {"category": "hardware_product", "topic": "Vision Pro", "type": "best"},
    {"category": "hardware_product", "topic": "Acme Rocket Skates", "type": "best"},
    {"category": "ceo", "topic": "Claude", "type": "worst"},
    {"category": "ai_product", "topic": "claude", "type": "worst"},
    {"category": "company", "topic": "Initech", "type": "worst"}
  ]}"#;

both_stores!(with_store a_models_trends_count_only_with_whitelisted_topics, |store| async move {
    let model = FakeModel::start(ANSWER).await;
    let server = TestServer::start_with(store, model.start_options()).await;
    let token = server.token("sam").await;
    processed(
        &server,
        &token,
        &["The headset is wonderful and the assistant keeps getting things wrong."],
    )
    .await;
    trends_counting(
        &server,
        &[
            ("hardware_product", "best", &[("Vision Pro", 1)]),
            ("ai_product", "worst", &[("Claude", 1)]),
        ],
    )
    .await;
    let request = &model.requests()[0].body;
    let schema = &request["response_format"]["json_schema"]["schema"];
    assert!(
        schema["properties"]["trends"].is_object(),
        "the model is asked for trends: {request}"
    );
});
