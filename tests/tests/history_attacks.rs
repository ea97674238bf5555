//! The history routes (wrapped, daily summaries, per-entity history and `?as_of=`) attacked as a client might,
//! on both stores: dates and instants at the ends of the calendar, bytes after a JSON body, NUL characters in
//! path ids and query values, other users' ids, a private summary asked for as a shared one, paging out of
//! bounds, and concurrent generation requests. Every bad input is a 4xx `{"detail": ...}` that appends nothing,
//! and the server keeps answering.

use chrono::Datelike;
use futures_util::future::join_all;
use omi_tests::*;

/// The log's head once every read model has caught up with it: the highest position a read model checkpointed
/// (`/health` shows each as `<transaction>/<position>`). Panics when a read model parked an event.
async fn log_head(server: &TestServer) -> i64 {
    for _ in 0..200 {
        let health = server.get("/health", "").await;
        health.assert_status(200);
        assert_eq!(health["parked_events"], 0, "{}", health.text);
        let models = health["read_models"]
            .as_array()
            .expect("read models")
            .clone();
        if models.iter().all(|model| model["lag"] == 0) {
            return models
                .iter()
                .filter_map(|model| model["checkpoint"].as_str())
                .filter_map(|checkpoint| checkpoint.rsplit('/').next()?.parse().ok())
                .max()
                .unwrap_or(0);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the read models did not catch up");
}

/// Panics unless `response` is the client error `status` in the API's shape.
#[track_caller]
fn refused(response: &Response, status: u16) {
    response.assert_status(status);
    assert!(
        response.json.get("detail").is_some(),
        "no detail: {}",
        response.text
    );
}

/// Imports a conversation of today (UTC) and waits until it is processed.
async fn conversation_today(server: &TestServer, token: &str) -> String {
    let started_at = chrono::Utc::now().format("%Y-%m-%dT00:00:01Z").to_string();
    let created = server
        .post(
            "/v1/conversations/from-segments",
            token,
            json!({"started_at": started_at, "transcript_segments": [
                {"text": "Let's ship it. I'll send the report to Ann tomorrow at 9am.",
                 "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 30.0}
            ]}),
        )
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();
    for _ in 0..600 {
        let read = server.get(&format!("/v1/conversations/{id}"), token).await;
        if read["status"] == "completed" {
            return id;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("conversation {id} was not processed");
}

both_stores!(
    dates_beyond_four_digit_years_are_refused_and_the_server_keeps_answering,
    |server| async move {
        let token = server.token("ada").await;
        let head = log_head(&server).await;
        // `+262142-12-31` is the calendar's last day: the end of that day cannot be named, and it took the
        // server's request task down. Signed years of other lengths are no `YYYY-MM-DD` either.
        for date in [
            "+262142-12-31",
            "262142-12-31",
            "-5000-01-01",
            "+2026-12-07",
            "2026-02-30",
            "2026-13-01",
            "2026-12-07T00:00:00Z",
        ] {
            let answer = server
                .post(
                    "/v1/users/daily-summary-settings/test",
                    &token,
                    json!({ "date": date }),
                )
                .await;
            refused(&answer, 400);
            assert_eq!(
                answer["detail"], "Invalid date format; use YYYY-MM-DD",
                "{date}"
            );
        }
        server
            .get("/v1/users/daily-summary-settings", &token)
            .await
            .assert_status(200);
        assert_eq!(log_head(&server).await, head, "a refused date appended");
    }
);

both_stores!(
    wrapped_as_of_at_the_ends_of_the_calendar_is_no_data_or_the_whole_log,
    |server| async move {
        let token = server.token("ada").await;
        server
            .post(
                "/v1/memories",
                &token,
                json!({"content": "I keep a garden"}),
            )
            .await
            .assert_status(200);
        let year = chrono::Utc::now().year();
        let head = log_head(&server).await;
        // PostgreSQL's timestamps end at 4713 BC: comparing the log with an earlier instant was a 500.
        for before in [
            "-5000-01-01",
            "-262143-01-01T00:00:00",
            "0001-01-01T00:00:00Z",
        ] {
            let answer = server
                .get(&format!("/v1/wrapped/{year}?as_of={before}"), &token)
                .await;
            refused(&answer, 400);
            assert_eq!(
                answer["detail"],
                format!("No conversations, action items or memories in {year}"),
                "{before}"
            );
        }
        for after in ["%2B262142-12-31T23:59:59", "9999-12-31T23:59:59Z"] {
            let answer = server
                .get(&format!("/v1/wrapped/{year}?as_of={after}"), &token)
                .await;
            answer.assert_status(200);
            assert_eq!(answer["status"], "done", "{after}: {}", answer.text);
        }
        assert_eq!(log_head(&server).await, head, "a read appended");
    }
);

both_stores!(
    a_json_body_followed_by_other_bytes_is_refused_and_appends_nothing,
    |server| async move {
        let token = server.token("ada").await;
        let head = log_head(&server).await;
        let path = "/v1/users/daily-summary-settings";
        for body in [
            &b"{\"hour\": 3}\0"[..],
            b"{\"hour\": 3}{\"hour\": 4}",
            b"{\"hour\": 3} trailing",
        ] {
            let request = server
                .client()
                .builder(Method::PATCH, path, &token)
                .header("content-type", "application/json")
                .body(body.to_vec());
            let answer = send(Method::PATCH, &server.url(path), request).await;
            refused(&answer, 422);
            assert_eq!(
                answer["detail"][0]["loc"],
                json!(["body"]),
                "{}",
                answer.text
            );
        }
        let settings = server.get(path, &token).await;
        assert_eq!(settings["hour"], 22, "{}", settings.text);
        assert_eq!(log_head(&server).await, head, "a refused body appended");
    }
);

both_stores!(
    concurrent_generate_requests_are_processing_or_429_and_request_one_run,
    |server| async move {
        let token = server.token("ada").await;
        server
            .post(
                "/v1/memories",
                &token,
                json!({"content": "I keep a garden"}),
            )
            .await
            .assert_status(200);
        let year = chrono::Utc::now().year();
        let path = format!("/v1/wrapped/{year}/generate");
        let client = server.client();
        let answers = join_all((0..16).map(|_| client.post(&path, &token, json!(null)))).await;
        let mut accepted = 0;
        for answer in &answers {
            match answer.status {
                // A request that found the run another one just started answers with that run: processing
                // (or done, if it already finished), never `not_generated`.
                200 => {
                    accepted += 1;
                    assert!(
                        answer["status"] == "processing" || answer["status"] == "done",
                        "{}",
                        answer.text
                    );
                }
                _ => refused(answer, 429),
            }
        }
        assert_eq!(accepted, 2, "the daily limit is 2");
        // One run: its view reaches done, and no later request starts another one.
        for _ in 0..600 {
            let view = server.get(&format!("/v1/wrapped/{year}"), &token).await;
            if view["status"] == "done" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let done = server.get(&format!("/v1/wrapped/{year}"), &token).await;
        assert_eq!(done["status"], "done", "{}", done.text);
        refused(&server.post(&path, &token, json!(null)).await, 429);
    }
);

both_stores!(
    history_routes_refuse_nul_foreign_and_unknown_ids_without_appending,
    |server| async move {
        let ada = server.token("ada").await;
        let bob = server.token("bob").await;
        let conversation = conversation_today(&server, &ada).await;
        let item = server
            .post("/v1/action-items", &ada, json!({"description": "Call Ann"}))
            .await;
        item.assert_status(200);
        let item = item["id"].as_str().unwrap().to_string();
        let today = chrono::Utc::now().date_naive().to_string();
        let summary = server
            .post(
                "/v1/users/daily-summary-settings/test",
                &ada,
                json!({ "date": today }),
            )
            .await;
        summary.assert_status(200);
        let summary = summary["summary_id"].as_str().unwrap().to_string();
        let head = log_head(&server).await;

        for id in ["%00", "a%00b", "%ff%fe"] {
            for path in [
                format!("/v1/conversations/{id}/history"),
                format!("/v1/action-items/{id}/history"),
                format!("/v1/users/daily-summaries/{id}"),
                format!("/v1/daily-summaries/{id}/shared"),
                format!("/v1/conversations/{id}?as_of=2026-01-01"),
            ] {
                refused(&server.get(&path, &ada).await, 422);
            }
            refused(
                &server
                    .post(
                        &format!("/v1/users/daily-summaries/{id}/regenerate"),
                        &ada,
                        json!(null),
                    )
                    .await,
                422,
            );
        }
        for query in ["as_of=%00", "as_of=2026-01-01%00", "as_of=yesterday"] {
            for path in [
                format!("/v1/conversations/{conversation}?{query}"),
                format!("/v1/action-items/{item}?{query}"),
            ] {
                refused(&server.get(&path, &ada).await, 422);
            }
        }
        // Another user's ids, and ids that name nothing, are not found; a private summary is not shared.
        for path in [
            format!("/v1/conversations/{conversation}/history"),
            format!("/v1/action-items/{item}/history"),
            format!("/v1/users/daily-summaries/{summary}"),
            format!("/v1/conversations/{conversation}?as_of=2999-01-01"),
            format!("/v1/action-items/{item}?as_of=2999-01-01"),
        ] {
            refused(&server.get(&path, &bob).await, 404);
        }
        refused(
            &server
                .post(
                    &format!("/v1/users/daily-summaries/{summary}/regenerate"),
                    &bob,
                    json!(null),
                )
                .await,
            404,
        );
        refused(
            &server
                .patch(
                    &format!("/v1/users/daily-summaries/{summary}/visibility?value=shared"),
                    &bob,
                    json!(null),
                )
                .await,
            404,
        );
        refused(
            &server
                .get(&format!("/v1/daily-summaries/{summary}/shared"), "")
                .await,
            404,
        );
        refused(
            &server
                .get("/v1/conversations/not-a-uuid/history", &ada)
                .await,
            404,
        );
        for (limit, offset) in [("0", "0"), ("101", "0"), ("-1", "0"), ("1", "-1")] {
            refused(
                &server
                    .get(
                        &format!("/v1/users/daily-summaries?limit={limit}&offset={offset}"),
                        &ada,
                    )
                    .await,
                422,
            );
        }
        for token in ["", "garbage"] {
            refused(&server.get("/v1/users/daily-summaries", token).await, 401);
        }
        assert_eq!(log_head(&server).await, head, "a refused request appended");
    }
);

both_stores!(
    a_body_declared_as_another_type_than_json_is_refused_and_appends_nothing,
    |server| async move {
        let token = server.token("ada").await;
        let head = log_head(&server).await;
        let path = "/v1/users/daily-summary-settings";
        // What a cross-site form can send: the reference reads only JSON-typed bodies as JSON.
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            let request = server
                .client()
                .builder(Method::PATCH, path, &token)
                .header("content-type", content_type)
                .body(r#"{"hour": 3}"#);
            let answer = send(Method::PATCH, &server.url(path), request).await;
            refused(&answer, 422);
            assert_eq!(
                answer["detail"][0]["loc"],
                json!(["body"]),
                "{content_type}"
            );
        }
        let settings = server.get(path, &token).await;
        assert_eq!(settings["hour"], 22, "{}", settings.text);
        assert_eq!(log_head(&server).await, head, "a refused body appended");
        let request = server
            .client()
            .builder(Method::PATCH, path, &token)
            .header("content-type", "application/json; charset=utf-8")
            .body(r#"{"hour": 3}"#);
        let answer = send(Method::PATCH, &server.url(path), request).await;
        answer.assert_status(200);
        assert_eq!(answer["hour"], 3);
    }
);

both_stores!(
    with_store concurrent_regenerations_write_the_summary_once,
    |store| async move {
        let today = chrono::Utc::now().date_naive().to_string();
        let first = TestServer::start_with(
            store,
            StartOptions::new().env("OMI_TEST_CLOCK_START", format!("{today}T10:00:00Z")),
        )
        .await;
        let token = first.token("ada").await;
        conversation_today(&first, &token).await;
        let written = first
            .post(
                "/v1/users/daily-summary-settings/test",
                &token,
                json!({ "date": today }),
            )
            .await;
        written.assert_status(200);
        let id = written["summary_id"].as_str().unwrap().to_string();
        let data = first.data();
        let mut first = first;
        first.stop().await;

        // The same store a minute later, past the cooldown: many requests at once regenerate it once.
        let later = TestServer::start_with(
            store,
            StartOptions::new()
                .reuse_data(data)
                .env("OMI_TEST_CLOCK_START", format!("{today}T10:01:00Z")),
        )
        .await;
        let head = log_head(&later).await;
        let path = format!("/v1/users/daily-summaries/{id}/regenerate");
        let client = later.client();
        let answers = join_all((0..16).map(|_| client.post(&path, &token, json!(null)))).await;
        let regenerated = answers.iter().filter(|answer| answer.status == 200).count();
        for answer in answers.iter().filter(|answer| answer.status != 200) {
            refused(answer, 429);
        }
        assert_eq!(regenerated, 1, "the cooldown lets one regeneration through");
        assert_eq!(log_head(&later).await, head + 1, "one regeneration appended");
    }
);
