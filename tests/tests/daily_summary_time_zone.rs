//! Daily summaries scheduled in the user's time zone (spec §7.10: the hour is local), on both stores: a user
//! east of UTC gets the summary of their local day at their hour while a UTC user of the same instant waits; a
//! user west of UTC gets the summary of their local date, the day before UTC's; and a summary written on
//! request without a date is of the user's local today.

use std::time::{Duration, Instant};

use omi_tests::*;

use crate::daily;

use daily::{import_on, write, BUDGET, DAY};

/// A server whose clock stands at `at`, with the schedule ticking ten times a second.
async fn server_at(store: Store, at: &str) -> TestServer {
    let options = StartOptions::new()
        .env("OMI_TEST_CLOCK_START", at)
        .env("OMI_DAILY_SUMMARY_TICK_SECS", "0.1");
    TestServer::start_with(store, options).await
}

async fn set_time_zone(server: &TestServer, token: &str, zone: &str) {
    let changed = server
        .patch("/v1/users/profile", token, json!({ "time_zone": zone }))
        .await;
    changed.assert_status(200);
    assert_eq!(changed["time_zone"], zone);
}

/// The dates of the user's summaries once there is one, within 20 s.
async fn summary_dates(server: &TestServer, token: &str) -> Vec<String> {
    let started = Instant::now();
    loop {
        let listed = server.get("/v1/users/daily-summaries", token).await;
        let dates: Vec<String> = listed["summaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|summary| summary["date"].as_str().unwrap().to_string())
            .collect();
        if !dates.is_empty() {
            return dates;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no summary after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The number of the user's summaries after the schedule ticked many times more.
async fn summaries_after_a_while(server: &TestServer, token: &str) -> usize {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.get("/v1/users/daily-summaries", token).await["summaries"]
        .as_array()
        .unwrap()
        .len()
}

both_stores!(with_store the_hour_is_read_on_the_users_wall_clock, |store| async move {
    // 13:30 UTC is 22:30 in Tokyo: past the default hour (22) there, not in UTC.
    let server = server_at(store, "2026-12-01T13:30:00Z").await;
    let tokyo = server.token("tokyo").await;
    let utc = server.token("utc").await;
    import_on(&server, &tokyo, &format!("{DAY}T09:00:00Z"), BUDGET).await;
    import_on(&server, &utc, &format!("{DAY}T09:00:00Z"), BUDGET).await;
    set_time_zone(&server, &tokyo, "Asia/Tokyo").await;

    assert_eq!(summary_dates(&server, &tokyo).await, vec![DAY]);
    assert_eq!(summaries_after_a_while(&server, &utc).await, 0, "22:00 has not come in UTC");
    assert_eq!(summaries_after_a_while(&server, &tokyo).await, 1, "written once");
    let scheduled = server.get("/v1/users/daily-summaries", &tokyo).await["summaries"][0]["id"].clone();
    assert_eq!(write(&server, &tokyo, DAY).await, scheduled.as_str().unwrap(), "the summary of {DAY}");
});

both_stores!(with_store a_user_west_of_utc_gets_the_summary_of_their_local_date, |store| async move {
    // 06:30 UTC on 2 December is 22:30 on 1 December in Los Angeles.
    let server = server_at(store, "2026-12-02T06:30:00Z").await;
    let west = server.token("west").await;
    import_on(&server, &west, "2026-12-01T20:00:00Z", BUDGET).await;
    set_time_zone(&server, &west, "America/Los_Angeles").await;
    assert_eq!(summary_dates(&server, &west).await, vec!["2026-12-01"]);

    // Written on request without a date: the user's local today, not UTC's.
    let on_request = server
        .post("/v1/users/daily-summary-settings/test", &west, json!({}))
        .await;
    on_request.assert_status(200);
    assert_eq!(on_request["message"], "Daily summary generated for 2026-12-01");
});
