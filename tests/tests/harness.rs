//! Tests of the harness itself, without the real server binary: a small shell script stands in for
//! `omi-server` (it prints the `listening on` line with the URL of an echo server run by the test), and the
//! PostgreSQL parts run against `OMI_TEST_POSTGRES_URL` (skipped without it, unless `OMI_REQUIRE_POSTGRES=1`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use omi_tests::*;
use sqlx::{Connection, PgConnection};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const FAKE_SERVER: &str = r#"#!/bin/sh
cmd="${1:-serve}"
case "$cmd" in
  serve)
    echo "fake: data_dir=$OMI_DATA_DIR" >&2
    echo "fake: bind=$OMI_BIND" >&2
    echo "fake: database_url=${DATABASE_URL:-none}" >&2
    echo "fake: extra=${OMI_FAKE_EXTRA:-none}" >&2
    echo "fake: inherited=${OMI_TEST_POSTGRES_URL:-none}" >&2
    case "${OMI_FAKE_MODE:-ok}" in
      fail) echo "fake: boom, cannot open the store" >&2; exit 3 ;;
      hang) exec sleep 600 ;;
    esac
    echo "a line before the ready line"
    echo "omi-server listening on $OMI_FAKE_URL"
    exec sleep 600
    ;;
  token)
    [ "$2" = "--uid" ] || { echo "usage: token --uid UID" >&2; exit 2; }
    echo "tok.$3.$OMI_AUTH_SECRET"
    ;;
  migrate) echo "migrated ${DATABASE_URL:-$OMI_DATA_DIR}" ;;
  *) echo "fake: unknown command $cmd" >&2; exit 2 ;;
esac
"#;

/// Writes the stand-in server script into a fresh directory.
fn fake_server() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("omi-server");
    std::fs::write(&path, FAKE_SERVER).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, path)
}

/// An HTTP server answering `/empty` (204), `/text` (plain text) and anything else with a JSON echo of the
/// request. Returns its base URL.
async fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream));
        }
    });
    format!("http://{addr}")
}

async fn answer(mut stream: TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split_whitespace();
    let method = request_line.next().unwrap_or_default().to_string();
    let path = request_line.next().unwrap_or_default().to_string();
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned();
    let (status, content_type, payload) = match path.as_str() {
        "/empty" => ("204 No Content", "text/plain", String::new()),
        "/text" => ("200 OK", "text/plain", "plain words".to_string()),
        "/missing" => (
            "404 Not Found",
            "application/json",
            json!({"detail": "Not found"}).to_string(),
        ),
        _ => (
            "200 OK",
            "application/json",
            json!({
                "method": method,
                "path": path,
                "authorization": header("authorization"),
                "content_type": header("content-type"),
                "body": serde_json::from_str::<Value>(&body).unwrap_or(Value::Null),
            })
            .to_string(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nx-echo: yes\r\nconnection: close\r\n\r\n{payload}",
        payload.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

const LOG_WAIT: Duration = Duration::from_secs(5);

fn fake_options(bin: &Path, url: &str) -> StartOptions {
    StartOptions::new()
        .bin(bin)
        .env("OMI_FAKE_URL", url)
        .start_timeout(Duration::from_secs(20))
}

fn panic_text(error: tokio::task::JoinError) -> String {
    let payload = error.into_panic();
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn database_url_replaces_only_the_database() {
    assert_eq!(
        database_url("postgres://postgres@127.0.0.1:54329/postgres", "omi_test_1"),
        "postgres://postgres@127.0.0.1:54329/omi_test_1"
    );
    assert_eq!(
        database_url("postgresql://u:p%2Fw@db.local:5432", "x"),
        "postgresql://u:p%2Fw@db.local:5432/x"
    );
    assert_eq!(
        database_url(
            "postgres://postgres@localhost/postgres?sslmode=disable&application_name=t",
            "x"
        ),
        "postgres://postgres@localhost/x?sslmode=disable&application_name=t"
    );
    assert_eq!(
        database_url("postgres:///postgres?host=/var/run/postgresql", "x"),
        "postgres:///x?host=/var/run/postgresql"
    );
}

#[test]
fn the_binary_is_found_next_to_the_deps_folder_or_explained() {
    let target = tempfile::tempdir().unwrap();
    let deps = target.path().join("deps");
    std::fs::create_dir(&deps).unwrap();
    let test_exe = deps.join("harness-0123456789abcdef");

    let missing = locate_server_bin(None, &test_exe).unwrap_err();
    assert!(missing.contains("cargo build -p omi-api"), "{missing}");
    assert!(missing.contains("cargo test --workspace"), "{missing}");
    assert!(
        missing.contains(&target.path().join("omi-server").display().to_string()),
        "{missing}"
    );

    std::fs::write(target.path().join("omi-server"), "").unwrap();
    assert_eq!(
        locate_server_bin(None, &test_exe).unwrap(),
        target.path().join("omi-server")
    );

    let explicit = target.path().join("elsewhere");
    let not_there = locate_server_bin(Some(explicit.clone().into()), &test_exe).unwrap_err();
    assert!(not_there.contains(SERVER_BIN_VAR), "{not_there}");
    std::fs::write(&explicit, "").unwrap();
    assert_eq!(
        locate_server_bin(Some(explicit.clone().into()), &test_exe).unwrap(),
        explicit
    );
}

#[test]
fn the_real_binary_location_is_reported() {
    // Whether or not the server is built yet, the answer is a path or the explanation.
    let exe = std::env::current_exe().unwrap();
    match locate_server_bin(std::env::var_os(SERVER_BIN_VAR), &exe) {
        Ok(path) => assert!(path.is_file()),
        Err(message) => assert!(message.contains("omi-server"), "{message}"),
    }
}

#[test]
fn responses_parse_json_and_keep_the_text() {
    let ok = Response::from_parts(
        Method::GET,
        "http://x/a".into(),
        200,
        Default::default(),
        br#"{"id": "m1", "items": [1, 2]}"#,
    );
    assert_eq!(ok["id"], "m1");
    assert_eq!(ok["items"][1], 2);
    assert_eq!(ok["absent"], Value::Null);
    assert!(ok.is_success());
    ok.assert_status(200).assert_success();

    let list = Response::from_parts(
        Method::GET,
        "http://x/a".into(),
        200,
        Default::default(),
        br#"[{"id": 1}]"#,
    );
    assert_eq!(list[0]["id"], 1);

    let text = Response::from_parts(
        Method::GET,
        "http://x/a".into(),
        500,
        Default::default(),
        b"Internal error",
    );
    assert_eq!(text.json, Value::Null);
    assert_eq!(text.text, "Internal error");
    let failed = std::panic::catch_unwind(|| {
        text.assert_status(200);
    })
    .unwrap_err();
    let message = failed.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("expected status 200, got 500") && message.contains("Internal error"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn http_helpers_send_token_and_json() {
    let client = HttpClient::new(echo_server().await + "/");
    assert!(!client.base_url().ends_with('/'));

    let got = client.get("/v3/memories?limit=2", "tok").await;
    got.assert_status(200);
    assert_eq!(got["method"], "GET");
    assert_eq!(got["path"], "/v3/memories?limit=2");
    assert_eq!(got["authorization"], "Bearer tok");
    assert_eq!(got.header("x-echo"), Some("yes"));

    let anonymous = client.get("v1/x", "").await;
    assert_eq!(anonymous["path"], "/v1/x");
    assert_eq!(anonymous["authorization"], Value::Null);

    let body = json!({"content": "likes tea", "visibility": "private"});
    for (response, method) in [
        (client.post("/p", "t", body.clone()).await, "POST"),
        (client.put("/p", "t", body.clone()).await, "PUT"),
        (client.patch("/p", "t", body.clone()).await, "PATCH"),
    ] {
        assert_eq!(response["method"], method);
        assert_eq!(response["body"], body);
        assert_eq!(response["content_type"], "application/json");
    }
    assert_eq!(client.delete("/p/1", "t").await["method"], "DELETE");

    let empty = client.delete("/empty", "t").await;
    assert_eq!(empty.status, 204);
    assert_eq!(empty.json, Value::Null);
    assert_eq!(empty.text, "");

    let text = client.get("/text", "").await;
    assert_eq!(
        (text.json.clone(), text.text.as_str()),
        (Value::Null, "plain words")
    );

    let missing = client.get("/missing", "").await;
    missing.assert_status(404);
    assert_eq!(missing["detail"], "Not found");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_starts_answers_restarts_and_stops() {
    let (_bin_dir, bin) = fake_server();
    let url = echo_server().await;
    let mut server = TestServer::start_with(
        Store::Sqlite,
        fake_options(&bin, &url).env("OMI_FAKE_EXTRA", "hello"),
    )
    .await;

    assert_eq!(server.base_url(), url);
    assert_eq!(server.url("/v1/x"), format!("{url}/v1/x"));
    assert!(server.ws_url("/v4/listen").starts_with("ws://127.0.0.1:"));
    assert_eq!(
        server.port(),
        url.rsplit(':').next().unwrap().parse::<u16>().unwrap()
    );
    assert!(server.is_running());

    let dir = server.data().dir().to_path_buf();
    assert!(dir.is_dir());
    assert_eq!(
        server.env().var("OMI_DATA_DIR"),
        Some(dir.to_str().unwrap())
    );
    assert_eq!(server.env().var("DATABASE_URL"), None);
    assert!(
        server
            .wait_for_log(&format!("fake: data_dir={}", dir.display()), LOG_WAIT)
            .await
    );
    assert!(
        server
            .wait_for_log("fake: bind=127.0.0.1:0", LOG_WAIT)
            .await
    );
    assert!(
        server
            .wait_for_log("fake: database_url=none", LOG_WAIT)
            .await
    );
    assert!(server.wait_for_log("fake: extra=hello", LOG_WAIT).await);
    assert!(server.wait_for_log("fake: inherited=none", LOG_WAIT).await);
    assert!(
        server
            .wait_for_log("[stdout] a line before the ready line", LOG_WAIT)
            .await
    );

    let token = server.token("alice").await;
    assert_eq!(token, format!("tok.alice.{}", server.data().auth_secret()));
    let echoed = server
        .post("/v3/memories", &token, json!({"content": "x"}))
        .await;
    assert_eq!(echoed["authorization"], format!("Bearer {token}"));
    assert_eq!(echoed["body"]["content"], "x");

    let migrated = server.cli(&["migrate"]).await;
    migrated.assert_success();
    assert_eq!(
        migrated.stdout.trim(),
        format!("migrated {}", dir.display())
    );
    let unknown = run_cli(server.env(), &["bogus"]).await;
    assert_eq!(unknown.code(), Some(2));
    assert!(unknown.stderr.contains("unknown command bogus"));

    let first_pid = server.pid().unwrap();
    server.restart().await;
    let second_pid = server.pid().unwrap();
    assert_ne!(first_pid, second_pid);
    assert!(!Path::new(&format!("/proc/{first_pid}")).exists());
    assert!(server.wait_for_log("server restarting", LOG_WAIT).await);
    assert_eq!(server.data().dir(), dir);
    assert_eq!(server.get("/again", "").await["path"], "/again");

    server.stop().await;
    assert!(!server.is_running());
    assert_eq!(server.pid(), None);
    assert!(!Path::new(&format!("/proc/{second_pid}")).exists());

    server.restart().await;
    let third_pid = server.pid().unwrap();
    drop(server);
    assert!(!Path::new(&format!("/proc/{third_pid}")).exists());
    assert!(!dir.exists(), "the data directory goes with the server");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_server_reuses_the_data() {
    let (_bin_dir, bin) = fake_server();
    let url = echo_server().await;
    let first = TestServer::start_with(Store::Sqlite, fake_options(&bin, &url)).await;
    let data = first.data();
    let second = TestServer::start_with(
        Store::Sqlite,
        fake_options(&bin, &url).reuse_data(data.clone()),
    )
    .await;
    assert_eq!(second.data().dir(), first.data().dir());
    assert_eq!(second.token("u").await, first.token("u").await);
    drop(first);
    drop(second);
    assert!(data.dir().is_dir(), "kept while a clone of the data lives");
    let dir = data.dir().to_path_buf();
    drop(data);
    assert!(!dir.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_exits_early_fails_with_its_output() {
    let (_bin_dir, bin) = fake_server();
    let options = fake_options(&bin, "http://127.0.0.1:9").env("OMI_FAKE_MODE", "fail");
    let failure = tokio::spawn(TestServer::start_with(Store::Sqlite, options))
        .await
        .unwrap_err();
    let message = panic_text(failure);
    assert!(message.contains("exited before it was ready"), "{message}");
    assert!(message.contains("exit status: 3"), "{message}");
    assert!(
        message.contains("fake: boom, cannot open the store"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_gets_ready_times_out_with_its_output() {
    let (_bin_dir, bin) = fake_server();
    let options = fake_options(&bin, "http://127.0.0.1:9")
        .env("OMI_FAKE_MODE", "hang")
        .start_timeout(Duration::from_secs(2));
    let failure = tokio::spawn(TestServer::start_with(Store::Sqlite, options))
        .await
        .unwrap_err();
    let message = panic_text(failure);
    assert!(message.contains("within 2s"), "{message}");
    assert!(message.contains("fake: bind=127.0.0.1:0"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_database_is_created_and_dropped() {
    let Some(admin_url) = postgres_or_skip() else {
        return;
    };

    let database = TestDatabase::create(&admin_url).await;
    let name = database.name().to_string();
    assert!(name.starts_with("omi_test_") && name.len() == "omi_test_".len() + 32);
    assert!(database_exists(&admin_url, &name).await);

    let mut conn = PgConnection::connect(database.url()).await.unwrap();
    let current: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(current, name);
    sqlx::raw_sql("CREATE TABLE t (v int); INSERT INTO t VALUES (41), (1);")
        .execute(&mut conn)
        .await
        .unwrap();
    let sum: i64 = sqlx::query_scalar("SELECT sum(v) FROM t")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(sum, 42);

    // The connection is still open: WITH (FORCE) drops the database anyway.
    database.drop_now().await;
    assert!(!database_exists(&admin_url, &name).await);
    drop(conn);

    // Dropping the handle drops the database too.
    let database = TestDatabase::create(&admin_url).await;
    let name = database.name().to_string();
    assert!(database_exists(&admin_url, &name).await);
    drop(database);
    assert!(!database_exists(&admin_url, &name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_servers_share_a_database_with_their_own_data_dirs() {
    let Some(admin_url) = postgres_or_skip() else {
        return;
    };
    let (_bin_dir, bin) = fake_server();
    let url = echo_server().await;

    let first = TestServer::start_with(Store::Postgres, fake_options(&bin, &url)).await;
    let data = first.data();
    let name = data.database_name().unwrap().to_string();
    let database_url = data.database_url().unwrap().to_string();
    assert_eq!(database_url, omi_tests::database_url(&admin_url, &name));
    assert!(
        first
            .wait_for_log(&format!("fake: database_url={database_url}"), LOG_WAIT)
            .await
    );
    assert!(database_exists(&admin_url, &name).await);

    let second = TestServer::start_with(
        Store::Postgres,
        fake_options(&bin, &url).reuse_database(data.clone()),
    )
    .await;
    assert_eq!(second.data().database_url(), Some(database_url.as_str()));
    assert_ne!(second.data().dir(), first.data().dir());
    assert_eq!(second.token("u").await, first.token("u").await);
    assert_eq!(
        second.cli(&["migrate"]).await.stdout.trim(),
        format!("migrated {database_url}")
    );

    drop(first);
    drop(second);
    assert!(
        database_exists(&admin_url, &name).await,
        "kept while a clone lives"
    );
    drop(data);
    assert!(!database_exists(&admin_url, &name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prepared_env_runs_the_cli_before_a_server() {
    let (_bin_dir, bin) = fake_server();
    let env = ServerEnv::prepare(Store::Sqlite, StartOptions::new().bin(&bin)).await;
    let migrated = run_cli(&env, &["migrate"]).await;
    migrated.assert_success();
    assert_eq!(
        migrated.stdout.trim(),
        format!("migrated {}", env.data().dir().display())
    );
    let url = echo_server().await;
    let env = ServerEnv::prepare(
        Store::Sqlite,
        fake_options(&bin, &url).reuse_data(env.data().clone()),
    )
    .await;
    let server = TestServer::start_in(env).await;
    assert_eq!(server.get("/x", "").await["path"], "/x");
}

#[test]
fn the_server_form_of_the_macro_type_checks() {
    // `both_stores!(NAME, |server| …)` hands the closure to `run_with_server`; starting it needs the real
    // binary, so this only checks that such a closure is accepted as written.
    let _not_polled = run_with_server(Store::Sqlite, |server| async move {
        let token = server.token("alice").await;
        let created = server
            .post("/v3/memories", &token, json!({"content": "x"}))
            .await;
        created.assert_status(200);
        assert_eq!(server.get("/v3/memories", &token).await[0]["content"], "x");
    });
}

both_stores!(with_store the_macro_runs_on_both_stores, |store| async move {
    let (_bin_dir, bin) = fake_server();
    let url = echo_server().await;
    let server = TestServer::start_with(store, fake_options(&bin, &url)).await;
    assert_eq!(server.store(), store);
    assert_eq!(server.data().database_url().is_some(), store == Store::Postgres);
    assert_eq!(server.get("/ping", "").await["path"], "/ping");
});
