//! The fault suite: `kill -9` under write load (three server processes on one PostgreSQL; one process on
//! SQLite). Every acknowledged write survives, every event is projected exactly once, and the read models equal
//! a fresh replay. Bounded in time: a few seconds of load per store.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use omi_tests::*;
use sqlx::Connection;
use tokio::sync::Mutex;

/// How long the writers write.
const LOAD: Duration = Duration::from_secs(6);
/// Concurrent writers.
const WRITERS: usize = 6;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server on a fixed port, so that it comes back at the same address after a kill.
async fn start(store: Store, reuse: Option<TestData>) -> TestServer {
    let mut options = StartOptions::new().env("OMI_BIND", format!("127.0.0.1:{}", free_port()));
    if let Some(data) = reuse {
        options = options.reuse_database(data);
    }
    TestServer::start_with(store, options).await
}

/// Writes memories (and now and then a conversation to process) through `bases` in turn until `deadline`;
/// returns the contents of the memories whose creation was acknowledged.
async fn write(
    writer: usize,
    bases: Vec<String>,
    token: String,
    deadline: Instant,
    conversations: Arc<Mutex<Vec<String>>>,
) -> Vec<String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut acknowledged = Vec::new();
    let mut n = 0usize;
    while Instant::now() < deadline {
        let base = &bases[(writer + n) % bases.len()];
        n += 1;
        if n.is_multiple_of(10) {
            let text =
                format!("I'll send report {writer}-{n} to Ann tomorrow at 9am. I prefer tea.");
            if let Ok(answer) = client
                .post(format!("{base}/v1/conversations/from-text"))
                .bearer_auth(&token)
                .json(&json!({"text": text}))
                .send()
                .await
            {
                if answer.status() == 200 {
                    if let Ok(body) = answer.json::<Value>().await {
                        conversations
                            .lock()
                            .await
                            .push(body["id"].as_str().unwrap_or_default().to_string());
                    }
                }
            }
            continue;
        }
        let content = format!("write {writer}-{n}");
        match client
            .post(format!("{base}/v1/memories"))
            .bearer_auth(&token)
            .json(&json!({"content": content}))
            .send()
            .await
        {
            // 200 is an acknowledged write; a 503 ("saved but not visible yet") is acknowledged as saved too.
            Ok(answer) if answer.status() == 200 || answer.status() == 503 => {
                acknowledged.push(content)
            }
            Ok(_) => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await, // a killed server
        }
    }
    acknowledged
}

async fn memories(server: &TestServer, token: &str) -> HashSet<String> {
    let mut all = HashSet::new();
    for page in 0.. {
        let listed = server
            .get(
                &format!("/v1/memories?limit=5000&offset={}", page * 5000),
                token,
            )
            .await;
        listed.assert_status(200);
        let rows = listed.json.as_array().unwrap();
        all.extend(
            rows.iter()
                .map(|m| m["content"].as_str().unwrap().to_string()),
        );
        if rows.len() < 5000 {
            break;
        }
    }
    all
}

/// A conversation row: (id, doc).
type Row = (String, String);
/// A conversation stream: (aggregate id, events).
type StreamLength = (String, i64);

/// Each conversation row's count of applied events against the length of its stream in the log.
async fn applied_and_logged(data: &TestData) -> BTreeMap<String, (u64, u64)> {
    let (rows, logged): (Vec<Row>, Vec<StreamLength>) = match data.database_url() {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            let rows = sqlx::query_as("SELECT id, doc FROM conversations")
                .fetch_all(&mut conn)
                .await
                .unwrap();
            let logged = sqlx::query_as(
                "SELECT aggregate_id, COUNT(*) FROM events WHERE aggregate_type = 'Conversation' GROUP BY aggregate_id",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            (rows, logged)
        }
        None => {
            let mut conn = sqlite_connection(data, true).await;
            let rows = sqlx::query_as("SELECT id, doc FROM conversations")
                .fetch_all(&mut conn)
                .await
                .unwrap();
            let logged = sqlx::query_as(
                "SELECT aggregate_id, COUNT(*) FROM events WHERE aggregate_type = 'Conversation' GROUP BY aggregate_id",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap();
            (rows, logged)
        }
    };
    let logged: BTreeMap<String, i64> = logged.into_iter().collect();
    rows.into_iter()
        .map(|(id, doc)| {
            let doc: Value = serde_json::from_str(&doc).unwrap();
            let applied = doc["_events"].as_u64().unwrap_or_default();
            let count = logged.get(&id).copied().unwrap_or_default() as u64;
            (id, (applied, count))
        })
        .collect()
}

both_stores!(with_store kill_nine_under_write_load_loses_no_acknowledged_write, |store| async move {
    let first = start(store, None).await;
    let mut servers = vec![first];
    if store == Store::Postgres {
        for _ in 0..2 {
            let data = servers[0].data();
            servers.push(start(store, Some(data)).await);
        }
    }
    let token = servers[0].token("load").await;
    let bases: Vec<String> = servers.iter().map(|s| s.client().base_url().to_string()).collect();
    let deadline = Instant::now() + LOAD;
    let conversations = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            tokio::spawn(write(writer, bases.clone(), token.clone(), deadline, Arc::clone(&conversations)))
        })
        .collect();

    // Kill -9 a process (each in turn) every 1.5 s while the writers write, and bring it back.
    let mut kills = 0;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    while Instant::now() + Duration::from_millis(1500) < deadline {
        let victim = kills % servers.len();
        servers[victim].restart().await;
        kills += 1;
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(kills >= 2, "the load ran through {kills} kills");
    assert!(acknowledged.len() > 50, "only {} writes were acknowledged", acknowledged.len());

    // Every process shows every acknowledged write once it has caught up.
    let started = Instant::now();
    for server in &servers {
        loop {
            let seen = memories(server, &token).await;
            let lost: Vec<&String> = acknowledged.iter().filter(|c| !seen.contains(*c)).collect();
            if lost.is_empty() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{} of {} acknowledged writes lost after {kills} kills, e.g. {:?}",
                lost.len(),
                acknowledged.len(),
                &lost[..lost.len().min(5)]
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    eprintln!(
        "faults: {} acknowledged writes, {kills} kills, 0 lost ({store:?}, {} processes)",
        acknowledged.len(),
        servers.len()
    );

    // Every conversation handed in is processed in the end (the reactions survive the kills too).
    let ids = conversations.lock().await.clone();
    for id in &ids {
        let started = Instant::now();
        while servers[0].get(&format!("/v1/conversations/{id}"), &token).await["status"] != "completed" {
            assert!(started.elapsed() < Duration::from_secs(60), "{id} was never processed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // Projected exactly once: each conversation row applied exactly the events of its stream.
    let data = servers[0].data();
    let counts = applied_and_logged(&data).await;
    assert!(!counts.is_empty());
    for (id, (applied, logged)) in &counts {
        assert_eq!(applied, logged, "conversation {id}: events applied vs events in its stream");
    }

    for server in &mut servers {
        server.stop().await;
    }
    let models = read_models(&servers[0]).await;
    let live = read_model_rows(&data, &models).await;
    servers[0].cli(&["replay"]).await.assert_success();
    assert_eq!(live, read_model_rows(&data, &models).await, "the live read models equal a fresh replay");
});
