//! Erasure and the search index: once an account is erased, none of its words is left in the index's rows, in
//! SQLite's FTS5 index (deleted with `secure-delete`, so no old segment keeps them) or in a `pg_dump`, while
//! another user's words are still there and still found.

use crate::search_support;

use std::path::PathBuf;
use std::time::Duration;

use omi_tests::*;
use search_support::*;

/// The store's bytes: the SQLite file with its `-wal` and `-shm`, or a `pg_dump` of the test database.
async fn stored_bytes(data: &TestData) -> Vec<u8> {
    match data.store() {
        Store::Sqlite => ["omi.db", "omi.db-wal", "omi.db-shm"]
            .iter()
            .flat_map(|name| std::fs::read(data.dir().join(name)).unwrap_or_default())
            .collect(),
        Store::Postgres => {
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
            let pg_dump = found.pop().unwrap_or_else(|| PathBuf::from("pg_dump"));
            let dump = tokio::process::Command::new(pg_dump)
                .arg("--dbname")
                .arg(data.database_url().unwrap())
                .output()
                .await
                .unwrap();
            assert!(
                dump.status.success(),
                "{}",
                String::from_utf8_lossy(&dump.stderr)
            );
            dump.stdout
        }
    }
}

fn holds(bytes: &[u8], marker: &str) -> bool {
    bytes
        .windows(marker.len())
        .any(|window| window == marker.as_bytes())
}

both_stores!(
    with_store an_erased_users_words_leave_the_index,
    |store| async move {
        let server =
            TestServer::start_with(store, StartOptions::new().env("OMI_ERASURE_TICK_SECS", "0.2")).await;
        let ann = server.token("ann").await;
        let bob = server.token("bob").await;
        // Made-up words, lower case (as the index stores them) and left alone by the English stemmers.
        let (ann_said, ann_memory, bob_said) = ("zqvorkathin", "xylbrumtop", "wompfrizzak");
        let lines = [
            "We talked about the zqvorkathin project and its budget for the spring.",
            "The zqvorkathin prototype needs another review with the design team.",
            "I will write the zqvorkathin summary and send it to everyone tomorrow.",
        ];
        let ann_id = import(&server, &ann, &lines, &started_at(0)).await;
        let bob_lines = lines.map(|line| line.replace(ann_said, bob_said));
        let bob_lines: Vec<&str> = bob_lines.iter().map(String::as_str).collect();
        let bob_id = import(&server, &bob, &bob_lines, &started_at(1)).await;
        for (token, id) in [(&ann, &ann_id), (&bob, &bob_id)] {
            let conversation = processed(&server, token, id).await;
            assert_eq!(conversation["status"], "completed", "{conversation}");
        }
        server
            .post(
                "/v3/memories",
                &ann,
                json!({"content": format!("Ann keeps a {ann_memory} on her desk")}),
            )
            .await
            .assert_status(200);
        let found = search(&server, &ann, json!({"query": ann_said})).await;
        assert_eq!(item_ids(&found), std::slice::from_ref(&ann_id));
        let memory = server
            .get(&format!("/v3/memories/search?query={ann_memory}"), &ann)
            .await;
        assert_eq!(memory.json.as_array().map(Vec::len), Some(1), "{}", memory.text);
        // The words are in the store before the erasure (so their absence afterwards means something).
        let before = stored_bytes(&server.data()).await;
        assert!(holds(&before, ann_said) && holds(&before, ann_memory));

        server
            .request(
                Method::DELETE,
                "/v1/users/delete-account",
                &ann,
                Some(json!({"reason": "moving on"})),
            )
            .await
            .assert_status(200);
        assert!(
            server
                .wait_for_log("erased an account", Duration::from_secs(60))
                .await,
            "the erasure job did not finish"
        );
        // The job logs the erasure, then empties SQLite's write-ahead log (retrying while readers hold it).
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let after = loop {
            let bytes = stored_bytes(&server.data()).await;
            let left = [ann_said, ann_memory].into_iter().find(|word| holds(&bytes, word));
            match left {
                None => break bytes,
                Some(word) => assert!(
                    std::time::Instant::now() < deadline,
                    "{word} is still in the store"
                ),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(holds(&after, bob_said), "bob's words are gone too");
        let bobs = search(&server, &bob, json!({"query": bob_said})).await;
        assert_eq!(item_ids(&bobs), [bob_id]);
    }
);
