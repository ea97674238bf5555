//! `omi-server events`: the log as NDJSON with the change feed's fields plus `uid`, filtered by user, stored name
//! and cursor, and followed live with `--follow`; bad arguments fail with a message.

use crate::feed_support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use feed_support::*;
use omi_tests::*;

fn lines(output: &CliOutput) -> Vec<Value> {
    output.assert_success();
    output
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

both_stores!(
    events_prints_the_log_as_ndjson_with_filters,
    |server| async move {
        let lena = server.token("lena").await;
        let milo = server.token("milo").await;
        let lenas = create_memories(&server, &lena, "lena", 3).await;
        create_memories(&server, &milo, "milo", 2).await;
        server
            .put(
                &format!("/v1/memories/{}", lenas[0]),
                &lena,
                json!({"content": "edited"}),
            )
            .await
            .assert_status(200);

        let all = lines(&server.cli(&["events"]).await);
        assert_each_once(&all);
        let owners: Vec<&str> = all.iter().map(|e| e["uid"].as_str().unwrap()).collect();
        assert_eq!(owners, ["lena", "lena", "lena", "milo", "milo", "lena"]);

        let only_lena = lines(&server.cli(&["events", "--uid", "lena"]).await);
        let (paged, _) = read_to_end(&server, "/v1/changes", &lena, "", 100).await;
        assert_eq!(only_lena.len(), paged.len());
        for (line, event) in only_lena.iter().zip(&paged) {
            let mut without_uid = line.clone();
            without_uid.as_object_mut().unwrap().remove("uid");
            assert_eq!(&without_uid, event, "the feed's fields");
        }

        let edits = lines(&server.cli(&["events", "--type", "MemoryEdited"]).await);
        assert_eq!(edits.len(), 1);
        assert_eq!(edits[0]["aggregate_id"], lenas[0].as_str());

        let after = all[2]["position"].as_str().unwrap();
        let later = lines(&server.cli(&["events", "--after", after]).await);
        assert_eq!(later, all[3..].to_vec());
        let later_of_lena = lines(
            &server
                .cli(&["events", "--after", after, "--uid", "lena"])
                .await,
        );
        assert_eq!(later_of_lena, all[5..].to_vec());

        for bad in [
            vec!["events", "--after", "not-a-cursor"],
            vec!["events", "--uid", " "],
            vec!["events", "--type", ""],
            vec!["events", "--bogus"],
        ] {
            let failed = server.cli(&bad).await;
            assert!(!failed.success(), "{bad:?} succeeded");
            assert!(
                failed.stdout.is_empty(),
                "{bad:?} printed {}",
                failed.stdout
            );
            assert!(!failed.stderr.trim().is_empty(), "{bad:?} said nothing");
        }
    }
);

both_stores!(
    events_follow_prints_new_events_as_they_come,
    |server| async move {
        let token = server.token("nora").await;
        let before = create_memories(&server, &token, "before", 2).await;
        let mut command = server.env().command(&[
            "events",
            "--follow",
            "--uid",
            "nora",
            "--type",
            "MemoryCreated",
        ]);
        command.stdout(Stdio::piped()).stderr(Stdio::null());
        let mut child = Killed(command.spawn().unwrap());
        let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
        let stdout = child.0.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut next = async || {
            let line = tokio::time::timeout(Duration::from_secs(15), received.recv())
                .await
                .expect("a line within 15 s")
                .expect("the command is running");
            serde_json::from_str::<Value>(&line).unwrap()
        };
        for id in &before {
            assert_eq!(next().await["aggregate_id"], id.as_str());
        }
        let later = create_memories(&server, &token, "later", 1).await;
        let line = next().await;
        assert_eq!(line["aggregate_id"], later[0].as_str());
        assert_eq!(line["uid"], "nora");
        drop(child);
    }
);

/// A child process that is killed (and reaped) when dropped, a failed assertion included.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
