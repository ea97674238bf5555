//! The `realtime_transcript` developer webhook (spec §5.4): live transcript segments from `/v4/listen` are
//! delivered, signed, as `{"segments": [...], "session_id": uid}` to `<url>?uid=<uid>`, on both stores.

use crate::listen_support;
use crate::webhook_support;

use std::time::Duration;

use futures_util::SinkExt;
use listen_support::open_ready;
use omi_tests::*;
use tokio_tungstenite::tungstenite::Message;
use webhook_support::Receiver;

both_stores!(
    with_store live_segments_are_delivered_to_the_realtime_transcript_webhook,
    |store| async move {
        let options = StartOptions::new()
            .env("OMI_WEBHOOK_ALLOW_PRIVATE", "1")
            .env("OMI_WEBHOOK_RETRY_SECS", "0.5");
        let server = TestServer::start_with(store, options).await;
        let receiver = Receiver::start().await;
        let token = server.token("ada").await;
        let hook = "/v1/users/developer/webhook/realtime_transcript";
        server
            .post(hook, &token, json!({"url": receiver.url("/live")}))
            .await
            .assert_status(200);
        let secret = server.get(hook, &token).await["secret"].as_str().unwrap().to_string();

        let mut socket = open_ready(
            &server,
            &token,
            "custom_stt=enabled&conversation_timeout=60",
        )
        .await;
        let said = json!({"type": "suggested_transcript", "stt_provider": "on-device", "segments": [
            {"text": "Let's finalize the launch budget by Friday.", "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 3.0},
        ]});
        socket.send(Message::Text(said.to_string().into())).await.unwrap();

        let got = receiver.wait_for(1, Duration::from_secs(60)).await;
        let live = &got[0];
        assert!(live.verifies(&secret));
        assert_eq!(live.target, "/live?uid=ada");
        let body = live.json();
        assert_eq!(body["session_id"], "ada");
        assert_eq!(body["segments"][0]["text"], "Let's finalize the launch budget by Friday.");
        let _ = socket.close(None).await;
    }
);
