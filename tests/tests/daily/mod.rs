//! What the daily summary suites share: conversations imported on a given day and processed, and a day written
//! on request.

use std::time::{Duration, Instant};

use omi_tests::*;

/// The day the suites summarize.
pub const DAY: &str = "2026-12-01";

/// A budget meeting: a question left open, a decision, a commitment (speaker, is the user, text).
pub const BUDGET: &[(&str, bool, &str)] = &[
    ("SPEAKER_00", true, "Should we hire a second designer?"),
    ("SPEAKER_01", false, "I am not sure, it depends on the budget."),
    (
        "SPEAKER_00",
        true,
        "We decided to cut the ad spend by half. I will send the revised budget to Sam tomorrow morning.",
    ),
];

/// A trip plan with something learned; imported with a place.
pub const TRIP: &[(&str, bool, &str)] = &[
    (
        "SPEAKER_00",
        true,
        "I learned that Lisbon trams take contactless cards. I need to book the flights to Lisbon by Friday.",
    ),
    ("SPEAKER_01", false, "Great, the hotel near the river looks nice for the trip."),
];

/// Imports a conversation that started at `started_at` (which makes it a conversation of that day), five
/// minutes a line, and waits until processing completed it; its id.
pub async fn import_on(
    server: &TestServer,
    token: &str,
    started_at: &str,
    lines: &[(&str, bool, &str)],
) -> String {
    let segments: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(n, (speaker, is_user, text))| {
            json!({"text": text, "speaker": speaker, "is_user": is_user,
                   "start": n as f64 * 300.0, "end": (n + 1) as f64 * 300.0})
        })
        .collect();
    let mut body = json!({"started_at": started_at, "transcript_segments": segments});
    if lines == TRIP {
        body["geolocation"] =
            json!({"latitude": 38.71, "longitude": -9.137, "address": "Rua Augusta 1, Lisbon"});
    }
    let created = server
        .post("/v1/conversations/from-segments", token, body)
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    loop {
        let conversation = server.get(&format!("/v1/conversations/{id}"), token).await;
        if conversation["status"] == "completed" {
            assert_eq!(conversation["discarded"], false, "{}", conversation.text);
            return id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not processed: {}",
            conversation.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Writes the user's summary of `day` on request; its id.
pub async fn write(server: &TestServer, token: &str, day: &str) -> String {
    let written = server
        .post(
            "/v1/users/daily-summary-settings/test",
            token,
            json!({"date": day}),
        )
        .await;
    written.assert_status(200);
    written["summary_id"].as_str().unwrap().to_string()
}
