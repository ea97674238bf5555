//! The `audio_bytes` webhooks (spec §5.4), on both stores: the audio a `/v4/listen` session sends is decoded,
//! cut into chunks of the developer webhook's seconds (`"<url>,<seconds>"`) and posted, signed, as 16-bit
//! little-endian mono PCM (`application/octet-stream`) to `<url>?sample_rate=<hz>&uid=<uid>`; what is left when the
//! session ends goes as a last, shorter chunk. An enabled `audio_bytes` app gets the same chunks at its webhook URL.
//! The log records that a chunk exists; the audio itself is kept beside it, and erasing the account removes it.

use crate::apps_support;
use crate::listen_support;
use crate::webhook_support;

use std::time::Duration;

use apps_support::{approve, create_app};
use futures_util::{SinkExt, StreamExt};
use listen_support::open_ready;
use omi_tests::*;
use tokio_tungstenite::tungstenite::Message;
use webhook_support::{Received, Receiver};

const SAMPLE_RATE: usize = 16_000;

/// `seconds` of 16 kHz PCM16 noise (a linear congruential sequence, so that no stretch of it repeats), as sent.
fn audio(seconds: f64) -> Vec<u8> {
    let samples = (seconds * SAMPLE_RATE as f64) as usize;
    let mut state: u32 = 0x2545_f491;
    (0..samples)
        .flat_map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            ((state >> 16) as i16).to_le_bytes()
        })
        .collect()
}

/// Opens `/v4/listen` for `token` (no transcription: custom STT), waits until it is ready, sends `pcm` in
/// frames of 100 ms and closes the socket.
async fn stream_audio(server: &TestServer, token: &str, pcm: &[u8]) {
    let mut socket = open_ready(
        server,
        token,
        "custom_stt=enabled&codec=pcm16&sample_rate=16000&conversation_timeout=60",
    )
    .await;
    for frame in pcm.chunks(SAMPLE_RATE / 10 * 2) {
        socket
            .send(Message::Binary(frame.to_vec().into()))
            .await
            .unwrap();
    }
    socket.close(None).await.unwrap();
    // The server ends the session on the close; read until it is gone.
    while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
    }
}

/// The requests in the order the audio was cut (the receiver may get them in any order).
fn in_stream_order(mut got: Vec<Received>, sent: &[u8]) -> Vec<Received> {
    got.sort_by_key(|r| {
        sent.windows(r.body.len().min(64))
            .position(|w| r.body.starts_with(w))
            .unwrap_or(usize::MAX)
    });
    got
}

both_stores!(
    with_store audio_is_posted_in_chunks_to_the_developer_webhook,
    |store| async move {
        let options = StartOptions::new()
            .env("OMI_WEBHOOK_ALLOW_PRIVATE", "1")
            .env("OMI_WEBHOOK_RETRY_SECS", "0.5");
        let server = TestServer::start_with(store, options).await;
        let receiver = Receiver::start().await;
        let token = server.token("ada").await;
        let hook = "/v1/users/developer/webhook/audio_bytes";
        server
            .post(hook, &token, json!({"url": format!("{},1", receiver.url("/audio"))}))
            .await
            .assert_status(200);
        let secret = server.get(hook, &token).await["secret"].as_str().unwrap().to_string();

        let sent = audio(2.5);
        stream_audio(&server, &token, &sent).await;

        let got = in_stream_order(receiver.wait_for(3, Duration::from_secs(60)).await, &sent);
        assert_eq!(got.len(), 3, "two whole seconds and the half left at the end");
        let second = SAMPLE_RATE * 2;
        let expected = [&sent[..second], &sent[second..2 * second], &sent[2 * second..]];
        for (request, audio) in got.iter().zip(expected) {
            assert!(request.verifies(&secret), "signed with the webhook's secret");
            assert_eq!(request.target, "/audio?sample_rate=16000&uid=ada");
            assert_eq!(request.header("content-type"), Some("application/octet-stream"));
            assert_eq!(request.body.len(), audio.len());
            assert!(request.body == audio, "the audio as sent, byte for byte");
        }

        let log = server.get("/v1/users/developer/webhooks/deliveries", &token).await;
        log.assert_status(200);
        let logged = log["deliveries"].as_array().unwrap();
        let audio_deliveries: Vec<&Value> = logged
            .iter()
            .filter(|d| d["payload_kind"] == "audio_bytes")
            .collect();
        assert_eq!(audio_deliveries.len(), 3, "{log:?}");
        // The log names each chunk; the audio is never in it.
        let changes = server.get("/v1/changes?limit=1000", &token).await;
        changes.assert_status(200);
        let chunks: Vec<&Value> = changes["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "AudioChunkRecorded")
            .collect();
        assert_eq!(chunks.len(), 3);
        let recorded = &chunks[0]["payload"]["AudioChunkRecorded"];
        assert_eq!(recorded["sample_rate"], 16000);
        assert_eq!(recorded["duration_ms"], 1000);
        assert!(changes.json.to_string().len() < sent.len() / 4);
    }
);

both_stores!(
    with_store an_audio_bytes_app_gets_the_chunks_and_no_webhook_means_no_audio_kept,
    |store| async move {
        let options = StartOptions::new()
            .env("ADMIN_KEY", apps_support::ADMIN_KEY)
            .env("OMI_WEBHOOK_ALLOW_PRIVATE", "1")
            .env("OMI_WEBHOOK_RETRY_SECS", "0.5");
        let server = TestServer::start_with(store, options).await;
        let receiver = Receiver::start().await;
        let owner = server.token("olga").await;
        let ada = server.token("ada").await;
        let bob = server.token("bob").await;
        let app = create_app(
            &server,
            &owner,
            &json!({
                "name": "Sound Keeper",
                "description": "Keeps the sound of your day",
                "category": "productivity-and-organization",
                "capabilities": ["external_integration"],
                "external_integration": {"triggers_on": "audio_bytes", "webhook_url": receiver.url("/app-audio")},
            }),
        )
        .await;
        approve(&server, &app).await;
        server
            .post(&format!("/v1/apps/enable?app_id={app}"), &ada, json!({}))
            .await
            .assert_status(200);

        // Bob has no audio webhook: his audio is not kept and nothing is posted.
        stream_audio(&server, &bob, &audio(1.0)).await;
        let sent = audio(6.0);
        stream_audio(&server, &ada, &sent).await;
        let got = in_stream_order(receiver.wait_for(2, Duration::from_secs(60)).await, &sent);
        let five_seconds = SAMPLE_RATE * 2 * 5;
        assert_eq!(got.len(), 2, "five seconds, then the one left");
        assert_eq!(got[0].target, "/app-audio?sample_rate=16000&uid=ada");
        assert!(got[0].body == sent[..five_seconds]);
        assert!(got[1].body == sent[five_seconds..]);
        let app_secret = server.get(&format!("/v1/apps/{app}/webhook-secret"), &owner).await;
        assert!(got[0].verifies(app_secret["secret"].as_str().unwrap()));
        let bobs = server.get("/v1/changes?limit=1000", &bob).await;
        assert!(!bobs.json.to_string().contains("AudioChunkRecorded"));
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(receiver.received().len(), 2, "nothing for bob");
    }
);
