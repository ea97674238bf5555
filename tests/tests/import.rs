//! `omi-server import FILE`: a user's event export loaded into a fresh server of the other store kind answers
//! every list, item, `as_of` and history question as the source did; importing it again changes nothing; a
//! conflicting or malformed file is refused with nothing written.

use crate::leaving_support;

use std::time::{Duration, Instant};

use leaving_support::*;
use omi_tests::*;

fn other(store: Store) -> Store {
    match store {
        Store::Sqlite => Store::Postgres,
        Store::Postgres => Store::Sqlite,
    }
}

/// Writes `text` to a file in `dir` and returns its path.
fn file(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Waits until `target` answers as `expected` (its read models catch up after start).
async fn assert_answers(target: &TestServer, token: &str, expected: &[(String, Value)]) {
    let started = Instant::now();
    loop {
        let found = answers(target, token).await;
        if found == expected {
            return;
        }
        if started.elapsed() > Duration::from_secs(30) {
            assert_eq!(found.len(), expected.len(), "the same questions");
            for (found, expected) in found.iter().zip(expected) {
                assert_eq!(found, expected);
            }
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

both_stores!(
    with_store an_export_imported_into_the_other_store_answers_the_same_and_twice_changes_nothing,
    |store| async move {
        let target_store = other(store);
        if !store_available(target_store) {
            return;
        }
        let source = TestServer::start(store).await;
        let ann = source.token("ann").await;
        let bob = source.token("bob").await;
        write_everything(&source, &ann, "ann-import").await;
        write_everything(&source, &bob, "bob-import").await;
        let expected = answers(&source, &ann).await;
        let (_, export) = event_export(&source, &ann).await;
        let lines = export.lines().count();
        assert!(lines > 10, "{lines} events");
        let files = tempfile::tempdir().unwrap();
        let path = file(files.path(), "ann.ndjson", &export);

        let env = ServerEnv::prepare(target_store, StartOptions::new()).await;
        let first = run_cli(&env, &["import", &path]).await;
        first.assert_success();
        assert!(
            first.stderr.contains(&format!("imported {lines} events (0 already present)")),
            "{}",
            first.stderr
        );
        let second = run_cli(&env, &["import", &path]).await;
        second.assert_success();
        assert!(
            second.stderr.contains(&format!("imported 0 events ({lines} already present)")),
            "{}",
            second.stderr
        );

        let target = TestServer::start_in(env).await;
        let ann_there = target.token("ann").await;
        assert_answers(&target, &ann_there, &expected).await;
        let (_, exported_again) = event_export(&target, &ann_there).await;
        let without_positions = |text: &str| -> Vec<Value> {
            text.lines()
                .map(|line| {
                    let mut event: Value = serde_json::from_str(line).unwrap();
                    event.as_object_mut().unwrap().remove("position");
                    event
                })
                .collect()
        };
        assert_eq!(without_positions(&exported_again), without_positions(&export));
        let bob_there = target.token("bob").await;
        let nothing = target.get("/v1/memories", &bob_there).await;
        assert_eq!(nothing.json, json!([]), "only what the file holds");

        // And back: the target's export into a fresh server of the source's kind.
        let back = file(files.path(), "back.ndjson", &exported_again);
        let env = ServerEnv::prepare(store, StartOptions::new()).await;
        run_cli(&env, &["import", &back]).await.assert_success();
        let returned = TestServer::start_in(env).await;
        let ann_back = returned.token("ann").await;
        assert_answers(&returned, &ann_back, &expected).await;
    }
);

both_stores!(
    with_store a_conflicting_or_malformed_file_is_refused_with_nothing_written,
    |store| async move {
        let source = TestServer::start(store).await;
        let ann = source.token("ann").await;
        for n in 0..3 {
            source
                .post("/v1/memories", &ann, json!({"content": format!("ann memory {n}")}))
                .await
                .assert_status(200);
        }
        let (_, export) = event_export(&source, &ann).await;
        let files = tempfile::tempdir().unwrap();
        let path = file(files.path(), "ann.ndjson", &export);

        let env = ServerEnv::prepare(store, StartOptions::new()).await;
        let broken = format!("{export}{{\"not\": \"an event\"}}\n");
        let malformed = run_cli(&env, &["import", &file(files.path(), "broken.ndjson", &broken)]).await;
        assert!(!malformed.success());
        assert!(malformed.stderr.contains("line 4"), "{}", malformed.stderr);

        let whole = run_cli(&env, &["import", &path]).await;
        whole.assert_success();
        assert!(
            whole.stderr.contains("imported 3 events (0 already present)"),
            "the malformed file wrote nothing: {}",
            whole.stderr
        );
        let changed = export.replacen("ann memory 1", "someone else's memory", 1);
        let refused = run_cli(&env, &["import", &file(files.path(), "changed.ndjson", &changed)]).await;
        assert!(!refused.success());
        assert!(
            refused.stderr.contains("already in the log with a different payload"),
            "{}",
            refused.stderr
        );
        let missing = run_cli(&env, &["import", "/nonexistent/omi.ndjson"]).await;
        assert!(!missing.success());

        let target = TestServer::start_in(env).await;
        let ann_there = target.token("ann").await;
        let started = Instant::now();
        loop {
            let memories = target.get("/v1/memories", &ann_there).await;
            let contents: Vec<&str> = memories
                .json
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["content"].as_str().unwrap())
                .collect();
            if contents.len() == 3 {
                assert!(!contents.contains(&"someone else's memory"));
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{contents:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let (_, there) = event_export(&target, &ann_there).await;
        assert_eq!(there.lines().count(), 3, "the conflicting file wrote nothing");
    }
);

both_stores!(
    with_store the_whole_log_printed_by_omi_server_events_imports_too,
    |store| async move {
        let target_store = other(store);
        if !store_available(target_store) {
            return;
        }
        let source = TestServer::start(store).await;
        let mut expected = Vec::new();
        for uid in ["ann", "bob"] {
            let token = source.token(uid).await;
            for n in 0..2 {
                source
                    .post("/v1/memories", &token, json!({"content": format!("{uid} memory {n}")}))
                    .await
                    .assert_status(200);
            }
            expected.push(source.get("/v1/memories", &token).await.json);
        }
        let log = source.cli(&["events"]).await;
        log.assert_success();
        let files = tempfile::tempdir().unwrap();
        let path = file(files.path(), "log.ndjson", &log.stdout);
        let env = ServerEnv::prepare(target_store, StartOptions::new()).await;
        run_cli(&env, &["import", &path]).await.assert_success();
        let target = TestServer::start_in(env).await;
        for (uid, expected) in ["ann", "bob"].iter().zip(&expected) {
            let token = target.token(uid).await;
            let started = Instant::now();
            loop {
                let found = target.get("/v1/memories", &token).await.json;
                if &found == expected {
                    break;
                }
                assert!(started.elapsed() < Duration::from_secs(30), "{found} != {expected}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
);
