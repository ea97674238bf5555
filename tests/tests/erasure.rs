//! `DELETE /v1/users/delete-account`: the account is refused at once on every door (user tokens, developer and MCP
//! keys, `/v4/listen`, and every server process on one PostgreSQL), and the erasure job leaves no byte of what
//! the user wrote in the SQLite files or in a `pg_dump`, also when the server is killed in the middle of the job;
//! the other users' data and a replay are untouched; bad bodies get 4xx and change nothing. The audio kept for the
//! user's `audio_bytes` webhook goes too.

use crate::leaving_support;

use std::path::PathBuf;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use leaving_support::*;
use omi_tests::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

const DELETED: &str = "This account has been deleted";

/// The store's bytes as they sit on disk: the SQLite file and its `-wal` and `-shm` files, or a `pg_dump` of the
/// test database.
async fn stored_bytes(data: &TestData) -> Vec<u8> {
    match data.store() {
        Store::Sqlite => ["omi.db", "omi.db-wal", "omi.db-shm"]
            .iter()
            .flat_map(|name| std::fs::read(data.dir().join(name)).unwrap_or_default())
            .collect(),
        Store::Postgres => {
            let dump = tokio::process::Command::new(pg_dump())
                .arg("--dbname")
                .arg(data.database_url().unwrap())
                .output()
                .await
                .unwrap();
            assert!(
                dump.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&dump.stderr)
            );
            dump.stdout
        }
    }
}

/// The newest `pg_dump` of the machine's PostgreSQL installations, else the one on the PATH.
fn pg_dump() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|versions| {
            versions
                .flatten()
                .map(|version| version.path().join("bin/pg_dump"))
                .filter(|path| path.exists())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| PathBuf::from("pg_dump"))
}

fn holds(bytes: &[u8], marker: &str) -> bool {
    bytes
        .windows(marker.len())
        .any(|window| window == marker.as_bytes())
}

async fn delete_account(server: &TestServer, token: &str) -> Response {
    server
        .request(
            Method::DELETE,
            "/v1/users/delete-account",
            token,
            Some(json!({"reason": "moving on", "reason_details": "no longer needed"})),
        )
        .await
}

/// Every door refuses the token and the keys of an erased account. Once the job has run the keys are not even
/// known any more (still 401): `keys_may_be_gone` accepts that answer too.
async fn assert_refused(
    server: &TestServer,
    token: &str,
    written: &Written,
    keys_may_be_gone: bool,
) {
    for (path, credential) in [
        ("/v1/memories", token),
        ("/v1/users/export", token),
        ("/v1/dev/user/memories", written.developer_key.as_str()),
        ("/v1/mcp/memories", written.mcp_key.as_str()),
    ] {
        let refused = server.get(path, credential).await;
        refused.assert_status(401);
        let detail = refused["detail"].as_str().unwrap();
        let key = credential != token;
        assert!(
            detail == DELETED || (keys_may_be_gone && key && detail == "Invalid API key"),
            "{path}: {detail}"
        );
    }
    let mut socket = listen(server, token).await;
    assert_closed_as_deleted(&mut socket, Duration::from_secs(20)).await;
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A `/v4/listen` session with on-device transcripts.
async fn listen(server: &TestServer, token: &str) -> Socket {
    let mut request = server
        .ws_url("/v4/listen?custom_stt=enabled")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// The socket is closed with 1008 and the reason that the account was deleted within `within`.
async fn assert_closed_as_deleted(socket: &mut Socket, within: Duration) {
    let closed = loop {
        match tokio::time::timeout(within, socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => break frame,
            Ok(Some(Ok(_))) => continue,
            other => panic!("the listen socket was not closed: {other:?}"),
        }
    };
    let closed = closed.expect("a close frame");
    assert_eq!(
        (closed.code, closed.reason.as_str()),
        (CloseCode::Policy, DELETED)
    );
}

/// Turns on `token`'s `audio_bytes` webhook (at a closed port: its deliveries keep failing) and streams half a
/// second of "audio" made of `marker`, which the audio spool keeps; waits until the chunk is recorded.
async fn keep_audio(server: &TestServer, token: &str, marker: &str) {
    server
        .post(
            "/v1/users/developer/webhook/audio_bytes",
            token,
            json!({"url": "http://127.0.0.1:9/audio,1"}),
        )
        .await
        .assert_status(200);
    let mut request = server
        .ws_url("/v4/listen?custom_stt=enabled&codec=pcm16&sample_rate=16000")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let mut socket = tokio_tungstenite::connect_async(request).await.unwrap().0;
    let audio: Vec<u8> = marker.bytes().cycle().take(16_000).collect();
    socket.send(Message::Binary(audio.into())).await.unwrap();
    socket.close(None).await.unwrap();
    while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
    }
    for _ in 0..100 {
        let changes = server.get("/v1/changes?limit=1000", token).await;
        if changes.json.to_string().contains("AudioChunkRecorded") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the audio chunk was never recorded");
}

/// How the audio spool's bytes holding `marker` look in [`stored_bytes`]: as they are in the SQLite file, in hex
/// in a `pg_dump`.
fn spooled(store: Store, marker: &str) -> String {
    match store {
        Store::Sqlite => marker.to_string(),
        Store::Postgres => marker.bytes().map(|b| format!("{b:02x}")).collect(),
    }
}

async fn wait_for_erasure(server: &TestServer) {
    assert!(
        server
            .wait_for_log("erased an account", Duration::from_secs(60))
            .await,
        "the erasure job did not finish"
    );
}

/// Stops the server when the store is SQLite (one process per data directory), replays, and starts it again;
/// on PostgreSQL replays beside the running server.
async fn replay(server: &mut TestServer) {
    if server.store() == Store::Sqlite {
        server.stop().await;
        run_cli(server.env(), &["replay"]).await.assert_success();
        server.restart().await;
    } else {
        server.cli(&["replay"]).await.assert_success();
    }
}

both_stores!(
    with_store an_erased_account_is_refused_everywhere_and_leaves_no_byte_behind,
    |store| async move {
        let mut server = TestServer::start(store).await;
        let ann = server.token("ann").await;
        let bob = server.token("bob").await;
        let marker = "zq-erase-ann-7731";
        let written = write_everything(&server, &ann, marker).await;
        write_everything(&server, &bob, "bob-stays-4410").await;
        keep_audio(&server, &ann, marker).await;
        let bob_before = answers(&server, &bob).await;
        let second = match store {
            Store::Postgres => Some(
                TestServer::start_with(store, StartOptions::new().reuse_database(server.data()))
                    .await,
            ),
            Store::Sqlite => None,
        };
        let before = stored_bytes(&server.data()).await;
        assert!(holds(&before, marker), "the search finds what is there");
        assert!(holds(&before, &spooled(store, marker)), "the search finds the spooled audio");
        let (_, ann_export) = event_export(&server, &ann).await;
        let files = tempfile::tempdir().unwrap();
        let ann_file = files.path().join("ann.ndjson");
        std::fs::write(&ann_file, &ann_export).unwrap();

        let answer = delete_account(&server, &ann).await;
        answer.assert_status(200);
        assert_eq!(answer["status"], "ok");
        assert_refused(&server, &ann, &written, true).await;
        if let Some(second) = &second {
            assert_refused(second, &ann, &written, true).await;
        }
        let fresh_token = server.token("ann").await;
        assert_eq!(server.get("/v1/memories", &fresh_token).await.status, 401);
        assert_eq!(delete_account(&server, &ann).await.status, 401);

        wait_for_erasure(&server).await;
        let bytes = stored_bytes(&server.data()).await;
        assert!(!holds(&bytes, marker), "the erased user's words are still in the store");
        assert!(!holds(&bytes, &spooled(store, marker)), "the erased user's audio is still in the spool");
        assert!(!holds(&bytes, "omi_dev_") || !holds(&bytes, &written.developer_key));
        assert!(holds(&bytes, "bob-stays-4410"), "the other user's data stays");
        assert_eq!(answers(&server, &bob).await, bob_before);

        drop(second);
        replay(&mut server).await;
        assert_eq!(answers(&server, &bob).await, bob_before, "a replay is unaffected");

        // The erased user's export cannot bring them back.
        server.stop().await;
        let refused = run_cli(server.env(), &["import", ann_file.to_str().unwrap()]).await;
        assert!(!refused.success());
        assert!(refused.stderr.contains("erased account"), "{}", refused.stderr);
        assert!(!holds(&stored_bytes(&server.data()).await, marker));
    }
);

both_stores!(
    with_store an_erasure_killed_in_the_middle_is_finished_after_a_restart,
    |store| async move {
        let paused = StartOptions::new().env("OMI_TEST_ERASURE_PAUSE_MS", "600000");
        let mut server = TestServer::start_with(store, paused).await;
        let ann = server.token("ann").await;
        let bob = server.token("bob").await;
        let marker = "zq-killed-ann-5519";
        let written = write_everything(&server, &ann, marker).await;
        write_everything(&server, &bob, "bob-stays-8820").await;
        let bob_before = answers(&server, &bob).await;

        delete_account(&server, &ann).await.assert_status(200);
        assert!(
            server
                .wait_for_log("erasure paused", Duration::from_secs(60))
                .await,
            "the erasure did not reach its pause"
        );
        // The job holds its transaction open: nothing is erased yet, and every door already refuses.
        assert_refused(&server, &ann, &written, false).await;
        let data = server.data();
        server.stop().await;

        let mut restarted = TestServer::start_with(store, StartOptions::new().reuse_data(data)).await;
        assert_refused(&restarted, &ann, &written, true).await;
        wait_for_erasure(&restarted).await;
        let bytes = stored_bytes(&restarted.data()).await;
        assert!(!holds(&bytes, marker), "the erased user's words are still in the store");
        assert!(holds(&bytes, "bob-stays-8820"));
        assert_eq!(answers(&restarted, &bob).await, bob_before);
        replay(&mut restarted).await;
        assert_eq!(answers(&restarted, &bob).await, bob_before, "a replay is unaffected");
    }
);

both_stores!(
    with_store bad_delete_bodies_get_4xx_and_change_nothing,
    |store| async move {
        // A body limit the oversized body exceeds while still fitting in the socket's buffers, so the client has
        // written all of it before the server answers 413 and closes.
        let server =
            TestServer::start_with(store, StartOptions::new().env("OMI_MAX_BODY_BYTES", "65536")).await;
        let ann = server.token("ann").await;
        server
            .post("/v1/memories", &ann, json!({"content": "still here"}))
            .await
            .assert_status(200);
        let client = server.client();
        let raw = |body: Vec<u8>, content_type: &'static str| {
            client
                .builder(Method::DELETE, "/v1/users/delete-account", &ann)
                .header("content-type", content_type)
                .body(body)
        };
        let url = server.url("/v1/users/delete-account");
        let cases: Vec<(Vec<u8>, &str, u16)> = vec![
            (
                json!({"reason": "x".repeat(501)}).to_string().into_bytes(),
                "application/json",
                422,
            ),
            (
                json!({"reason_details": "x".repeat(5001)})
                    .to_string()
                    .into_bytes(),
                "application/json",
                422,
            ),
            (
                json!({"reason": 7}).to_string().into_bytes(),
                "application/json",
                422,
            ),
            (
                json!({"reason": "a\u{0}b"}).to_string().into_bytes(),
                "application/json",
                422,
            ),
            (b"{\"reason\": ".to_vec(), "application/json", 422),
            (b"[]".to_vec(), "application/json", 422),
            (
                b"reason=x".to_vec(),
                "application/x-www-form-urlencoded",
                422,
            ),
        ];
        for (body, content_type, status) in cases {
            let refused = send(Method::DELETE, &url, raw(body, content_type)).await;
            assert_eq!(refused.status, status, "{}", refused.text);
            assert!(refused["detail"].is_string() || refused["detail"].is_array());
            server.get("/v1/memories", &ann).await.assert_status(200);
        }
        let huge = send(
            Method::DELETE,
            &url,
            raw(vec![b' '; 128 * 1024], "application/json"),
        )
        .await;
        huge.assert_status(413);
        let fresh = HttpClient::new(server.base_url());
        fresh.get("/v1/memories", &ann).await.assert_status(200);
        server
            .delete("/v1/users/delete-account", "")
            .await
            .assert_status(401);
        let nobody = server.delete("/v1/users/delete-account", &ann).await;
        nobody.assert_status(200);
        assert_eq!(server.get("/v1/memories", &ann).await.status, 401);
    }
);

both_stores!(
    a_listen_session_open_at_the_erasure_is_closed,
    |server| async move {
        let ann = server.token("ann").await;
        // One session still starting when the account is erased, one under way.
        let mut starting = listen(&server, &ann).await;
        let mut socket = listen(&server, &ann).await;
        let first = tokio::time::timeout(Duration::from_secs(10), socket.next()).await;
        assert!(
            matches!(first, Ok(Some(Ok(_)))),
            "the session started: {first:?}"
        );
        server
            .delete("/v1/users/delete-account", &ann)
            .await
            .assert_status(200);
        // Checked on the session's next ping, every 10 seconds.
        assert_closed_as_deleted(&mut socket, Duration::from_secs(25)).await;
        assert_closed_as_deleted(&mut starting, Duration::from_secs(25)).await;
    }
);
