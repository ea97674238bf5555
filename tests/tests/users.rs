//! The user's profile and settings (spec §7.10) on both stores: the defaults of a user who never changed
//! anything, every route's change and its validation (bad time zone, hour-like frequencies, NUL bytes, 10 kB
//! strings, more than 100 vocabulary entries), the geolocation skipped when unchanged at 4 decimals (no event
//! in the change feed), the summary rating of one's own conversations only, and the plan of a self-hosted
//! server.

use omi_tests::*;

/// The stored names of the caller's events in the change feed, in log order.
async fn stored_names(server: &TestServer, token: &str) -> Vec<String> {
    let answer = server.get("/v1/changes?limit=1000", token).await;
    answer.assert_status(200);
    answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["event"].as_str().unwrap().to_string())
        .collect()
}

both_stores!(
    a_new_user_reads_the_defaults_on_every_route,
    |server| async move {
        let token = server.token("alice").await;
        let profile = server.get("/v1/users/profile", &token).await;
        profile.assert_status(200);
        assert_eq!(
            profile.json,
            json!({"uid": "alice", "email": null, "name": null, "time_zone": null, "motivation": null,
                   "use_case": null, "job": null, "company": null})
        );
        let defaults = [
            ("/v1/users/language", json!({"language": ""})),
            (
                "/v1/users/transcription-preferences",
                json!({"single_language_mode": false, "vocabulary": [], "language": "",
                       "uses_custom_stt": false, "custom_stt_since": null}),
            ),
            (
                "/v1/users/onboarding",
                json!({"completed": false, "acquisition_source": null,
                       "device_onboarding_completed": false}),
            ),
            (
                "/v1/users/store-recording-permission",
                json!({"store_recording_permission": false}),
            ),
            (
                "/v1/users/private-cloud-sync",
                json!({"private_cloud_sync_enabled": false}),
            ),
            (
                "/v1/users/training-data-opt-in",
                json!({"opted_in": false, "status": null}),
            ),
            (
                "/v1/users/mentor-notification-settings",
                json!({"frequency": 3}),
            ),
        ];
        for (path, expected) in defaults {
            let answer = server.get(path, &token).await;
            answer.assert_status(200);
            assert_eq!(answer.json, expected, "{path}");
        }
        assert!(stored_names(&server, &token).await.is_empty());
        server
            .get("/v1/users/profile", "not-a-token")
            .await
            .assert_status(401);
    }
);

both_stores!(
    the_profile_changes_what_is_given_and_refuses_what_cannot_be_stored,
    |server| async move {
        let token = server.token("alice").await;
        let changed = server
            .patch(
                "/v1/users/profile",
                &token,
                json!({"name": " Ada ", "time_zone": "Europe/Paris", "job": "engineer"}),
            )
            .await;
        changed.assert_status(200);
        assert_eq!(changed["name"], "Ada");
        assert_eq!(changed["time_zone"], "Europe/Paris");
        let cleared = server
            .patch("/v1/users/profile", &token, json!({"job": ""}))
            .await;
        assert_eq!(cleared["job"], Value::Null);
        assert_eq!(cleared["name"], "Ada", "fields not given are kept");

        let before = stored_names(&server, &token).await;
        assert_eq!(before, vec!["UserProfileChanged", "UserProfileChanged"]);
        for refused in [
            json!({"time_zone": "Europe/Atlantis"}),
            json!({"time_zone": "+02:00"}),
            json!({"name": "x".repeat(10_000)}),
            json!({"company": "nul\u{0}byte"}),
            json!({"name": 5}),
        ] {
            let answer = server
                .patch("/v1/users/profile", &token, refused.clone())
                .await;
            answer.assert_status(422);
            assert!(answer["detail"].is_array(), "{refused}: {}", answer.json);
        }
        let zone = server
            .patch(
                "/v1/users/profile",
                &token,
                json!({"time_zone": "Mars/Base"}),
            )
            .await;
        assert_eq!(zone["detail"][0]["loc"], json!(["body", "time_zone"]));
        assert_eq!(
            stored_names(&server, &token).await,
            before,
            "nothing appended"
        );
        assert_eq!(
            server.get("/v1/users/profile", &token).await["time_zone"],
            "Europe/Paris"
        );
        let bob = server.token("bob").await;
        assert_eq!(
            server.get("/v1/users/profile", &bob).await["name"],
            Value::Null
        );
    }
);

both_stores!(
    language_transcription_onboarding_and_mentor_settings_change_and_validate,
    |server| async move {
        let token = server.token("alice").await;
        let language = server
            .patch("/v1/users/language", &token, json!({"language": "vi"}))
            .await;
        language.assert_status(200);
        assert_eq!(
            language.json,
            json!({"status": "ok", "single_language_mode": true})
        );
        let english = server
            .patch("/v1/users/language", &token, json!({"language": "en"}))
            .await;
        assert_eq!(english["single_language_mode"], false);
        assert_eq!(
            server.get("/v1/users/language", &token).await["language"],
            "en"
        );
        for refused in ["", "en us", "x\u{0}", &"e".repeat(10_000)] {
            server
                .patch("/v1/users/language", &token, json!({"language": refused}))
                .await
                .assert_status(422);
        }

        let preferences = server
            .patch(
                "/v1/users/transcription-preferences",
                &token,
                json!({"vocabulary": [" Omi ", "", "CQRS"], "single_language_mode": true}),
            )
            .await;
        preferences.assert_status(200);
        assert_eq!(preferences["vocabulary"], json!(["Omi", "CQRS"]));
        assert_eq!(preferences["single_language_mode"], true);
        assert_eq!(preferences["language"], "en");
        let too_many: Vec<String> = (0..101).map(|n| format!("word{n}")).collect();
        let refused = server
            .patch(
                "/v1/users/transcription-preferences",
                &token,
                json!({"vocabulary": too_many}),
            )
            .await;
        refused.assert_status(422);
        assert_eq!(refused["detail"][0]["loc"], json!(["body", "vocabulary"]));
        server
            .patch(
                "/v1/users/transcription-preferences",
                &token,
                json!({"vocabulary": ["y".repeat(10_000)]}),
            )
            .await
            .assert_status(422);
        let hundred: Vec<String> = (0..100).map(|n| format!("word{n}")).collect();
        server
            .patch(
                "/v1/users/transcription-preferences",
                &token,
                json!({"vocabulary": hundred}),
            )
            .await
            .assert_status(200);

        let onboarding = server
            .patch(
                "/v1/users/onboarding",
                &token,
                json!({"completed": true, "acquisition_source": "friend"}),
            )
            .await;
        assert_eq!(
            onboarding.json,
            json!({"completed": true, "acquisition_source": "friend",
                   "device_onboarding_completed": false})
        );
        server
            .patch(
                "/v1/users/onboarding",
                &token,
                json!({"acquisition_source": "z".repeat(10_000)}),
            )
            .await
            .assert_status(422);

        for frequency in [0, 5] {
            let answer = server
                .patch(
                    "/v1/users/mentor-notification-settings",
                    &token,
                    json!({"frequency": frequency}),
                )
                .await;
            answer.assert_status(200);
            assert_eq!(answer["frequency"], frequency);
        }
        for frequency in [json!(6), json!(-1), json!(24), json!("often")] {
            server
                .patch(
                    "/v1/users/mentor-notification-settings",
                    &token,
                    json!({"frequency": frequency}),
                )
                .await
                .assert_status(422);
        }
        assert_eq!(
            server
                .get("/v1/users/mentor-notification-settings", &token)
                .await["frequency"],
            5
        );
    }
);

both_stores!(
    consents_toggle_and_the_training_data_opt_in_turns_on_cloud_sync,
    |server| async move {
        let token = server.token("alice").await;
        let granted = server
            .post(
                "/v1/users/store-recording-permission?value=true",
                &token,
                json!({}),
            )
            .await;
        granted.assert_status(200);
        assert_eq!(granted.json, json!({"store_recording_permission": true}));
        let revoked = server
            .delete("/v1/users/store-recording-permission", &token)
            .await;
        assert_eq!(revoked.json, json!({"store_recording_permission": false}));
        server
            .post(
                "/v1/users/store-recording-permission?value=maybe",
                &token,
                json!({}),
            )
            .await
            .assert_status(422);

        let sync = server
            .post("/v1/users/private-cloud-sync?value=true", &token, json!({}))
            .await;
        assert_eq!(sync.json, json!({"private_cloud_sync_enabled": true}));
        server
            .post(
                "/v1/users/private-cloud-sync?value=false",
                &token,
                json!({}),
            )
            .await
            .assert_status(200);

        let opted_in = server
            .post("/v1/users/training-data-opt-in", &token, json!({}))
            .await;
        opted_in.assert_status(200);
        assert_eq!(
            opted_in.json,
            json!({"opted_in": true, "status": "pending_review"})
        );
        assert_eq!(
            server
                .get("/v1/users/private-cloud-sync", &token)
                .await
                .json,
            json!({"private_cloud_sync_enabled": true})
        );
        let before = stored_names(&server, &token).await;
        server
            .post("/v1/users/training-data-opt-in", &token, json!({}))
            .await
            .assert_status(200);
        assert_eq!(
            stored_names(&server, &token).await,
            before,
            "opting in again records nothing"
        );
    }
);

both_stores!(
    a_geolocation_unchanged_at_four_decimals_appends_nothing,
    |server| async move {
        let token = server.token("alice").await;
        let place = json!({"latitude": 48.85661, "longitude": 2.35222, "address": "Paris"});
        server
            .patch("/v1/users/geolocation", &token, place)
            .await
            .assert_status(200);
        server
            .patch(
                "/v1/users/geolocation",
                &token,
                json!({"latitude": 48.85658, "longitude": 2.35219}),
            )
            .await
            .assert_status(200);
        assert_eq!(
            stored_names(&server, &token).await,
            vec!["GeolocationRecorded"]
        );
        server
            .patch(
                "/v1/users/geolocation",
                &token,
                json!({"latitude": 48.8567, "longitude": 2.3522}),
            )
            .await
            .assert_status(200);
        assert_eq!(
            stored_names(&server, &token).await,
            vec!["GeolocationRecorded", "GeolocationRecorded"]
        );
        for refused in [
            json!({"latitude": 91, "longitude": 0}),
            json!({"latitude": 0, "longitude": -181}),
            json!({"latitude": "north", "longitude": 0}),
            json!({"latitude": 1, "longitude": 1, "address": "a".repeat(10_000)}),
            json!({"latitude": 1, "longitude": 1, "address": "\u{0}"}),
        ] {
            server
                .patch("/v1/users/geolocation", &token, refused)
                .await
                .assert_status(422);
        }
        assert_eq!(stored_names(&server, &token).await.len(), 2);
    }
);

both_stores!(
    a_summary_rating_is_kept_for_ones_own_conversations_only,
    |server| async move {
        let alice = server.token("alice").await;
        let created = server
            .post(
                "/v1/conversations/from-segments",
                &alice,
                json!({"transcript_segments": [
                    {"text": "We should plan the garden this weekend.", "speaker": "SPEAKER_00",
                     "is_user": true, "start": 0.0, "end": 4.0}]}),
            )
            .await;
        created.assert_status(200);
        let id = created["id"].as_str().unwrap().to_string();
        let path = format!("/v1/users/analytics/memory_summary?memory_id={id}");
        assert_eq!(
            server.get(&path, &alice).await.json,
            json!({"has_rating": false, "rating": null})
        );
        let rated = server
            .post(&format!("{path}&value=-1"), &alice, json!({}))
            .await;
        rated.assert_status(200);
        assert_eq!(rated.json, json!({"has_rating": true, "rating": -1}));
        assert_eq!(server.get(&path, &alice).await["rating"], -1);
        server
            .post(&format!("{path}&value=2"), &alice, json!({}))
            .await
            .assert_status(422);

        let bob = server.token("bob").await;
        server.get(&path, &bob).await.assert_status(404);
        server
            .post(&format!("{path}&value=1"), &bob, json!({}))
            .await
            .assert_status(404);
        server
            .post(
                "/v1/users/analytics/memory_summary?memory_id=unknown&value=1",
                &alice,
                json!({}),
            )
            .await
            .assert_status(404);
        assert_eq!(server.get(&path, &alice).await["rating"], -1);
    }
);

both_stores!(
    with_store a_self_hosted_server_has_the_free_plan_without_limits,
    |store| async move {
        let options = StartOptions::new().env("OMI_TEST_CLOCK_START", "2026-12-01T12:00:00Z");
        let server = TestServer::start_with(store, options).await;
        let token = server.token("alice").await;
        let subscription = server.get("/v1/users/me/subscription", &token).await;
        subscription.assert_status(200);
        assert_eq!(subscription["subscription"]["plan"], "basic");
        assert_eq!(subscription["subscription"]["status"], "active");
        assert_eq!(subscription["show_subscription_ui"], false);
        assert_eq!(subscription["transcription_seconds_limit"], Value::Null);
        assert_eq!(subscription["words_transcribed_used"], 0);
        let quota = server.get("/v1/users/me/usage-quota", &token).await;
        assert_eq!(quota["allowed"], true);
        assert_eq!(quota["limit"], Value::Null);
        assert_eq!(
            server.get("/v1/users/me/paywall", &token).await["show_paywall"],
            false
        );
        assert_eq!(
            server.get("/v1/users/me/trial", &token).await["active"],
            false
        );

        server
            .post(
                "/v1/conversations/from-segments",
                &token,
                json!({"started_at": "2026-12-01T09:00:00Z", "transcript_segments": [
                    {"text": "We decided to cut the ad spend by half and I will send the revised budget to Sam tomorrow morning",
                     "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 300.0}]}),
            )
            .await
            .assert_status(200);
        let started = std::time::Instant::now();
        loop {
            let usage = server.get("/v1/users/me/usage?period=today", &token).await;
            usage.assert_status(200);
            if usage["conversations"] == 1 {
                assert_eq!(usage["words_transcribed"], 20);
                assert_eq!(usage["transcription_seconds"], 300);
                break;
            }
            assert!(
                started.elapsed().as_secs() < 20,
                "not counted: {}",
                usage.json
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        for period in ["monthly", "yearly", "all_time"] {
            let usage = server
                .get(&format!("/v1/users/me/usage?period={period}"), &token)
                .await;
            assert_eq!(usage["words_transcribed"], 20, "{period}");
        }
        server
            .get("/v1/users/me/usage?period=weekly", &token)
            .await
            .assert_status(400);
    }
);
