//! The event log and its projections: commit order on PostgreSQL, restart mid-stream, replay, concurrency.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use omi_tests::*;
use sqlx::{Connection, Executor};

/// A `MemoryCreated` event as the domain stores it.
fn memory_created(uid: &str, content: &str) -> String {
    json!({"MemoryCreated": {
        "uid": uid, "content": content, "category": "system", "visibility": "private", "tags": [],
        "manually_added": false, "reviewed": false, "user_review": null, "conversation_id": null,
        "app_id": null, "created_at": "2026-11-01T10:00:00Z"
    }})
    .to_string()
}

fn memory_edited(content: &str) -> String {
    json!({"MemoryEdited": {"content": content, "updated_at": "2026-11-02T10:00:00Z"}}).to_string()
}

fn metadata(uid: &str) -> String {
    json!({"uid": uid, "actor": "system", "correlation_id": "test-backlog"}).to_string()
}

/// One raw event: (aggregate id, sequence, event type, payload, metadata).
type RawEvent = (String, i64, &'static str, String, String);

const INSERT_PG: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
    VALUES ('Memory', $1, $2, $3, '1.0', CAST($4 AS JSON), CAST($5 AS JSON))";
const INSERT_SQLITE: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
    VALUES ('Memory', $1, $2, $3, '1.0', $4, $5)";

/// Appends events straight into the log of a stopped server, as another writer would.
async fn append_directly(data: &TestData, events: &[RawEvent]) {
    match data.database_url() {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            for (id, sequence, event_type, payload, metadata) in events {
                let query = sqlx::query(INSERT_PG)
                    .bind(id)
                    .bind(sequence)
                    .bind(event_type)
                    .bind(payload)
                    .bind(metadata);
                conn.execute(query).await.unwrap();
            }
        }
        None => {
            let url = format!("sqlite://{}", data.dir().join("omi.db").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            for (id, sequence, event_type, payload, metadata) in events {
                let query = sqlx::query(INSERT_SQLITE)
                    .bind(id)
                    .bind(sequence)
                    .bind(event_type)
                    .bind(payload)
                    .bind(metadata);
                conn.execute(query).await.unwrap();
            }
        }
    }
}

/// Everything the read models answer for `users`: memory lists, every history, action items.
async fn snapshot(
    server: &TestServer,
    users: &[&str],
    memory_ids: &[String],
) -> BTreeMap<String, Value> {
    let mut seen = BTreeMap::new();
    for uid in users {
        let token = server.token(uid).await;
        let memories = server.get("/v1/memories?limit=5000", &token).await;
        memories.assert_status(200);
        seen.insert(format!("{uid}/memories"), memories.json);
        let items = server.get("/v1/action-items?limit=500", &token).await;
        items.assert_status(200);
        seen.insert(format!("{uid}/action-items"), items.json);
        for id in memory_ids {
            let history = server
                .get(&format!("/v1/memories/{id}/history"), &token)
                .await;
            seen.insert(
                format!("{uid}/history/{id}"),
                json!([history.status, history.json]),
            );
        }
    }
    seen
}

/// Writes a mix of memories, edits, deletions and action items for two users; returns the memory ids.
async fn write_history(server: &TestServer) -> Vec<String> {
    let mut ids = Vec::new();
    for uid in ["alice", "bob"] {
        let token = server.token(uid).await;
        for n in 0..6 {
            let created = server
                .post(
                    "/v1/memories",
                    &token,
                    json!({"content": format!("{uid} fact {n}")}),
                )
                .await;
            let id = created["id"].as_str().unwrap().to_string();
            if n % 2 == 0 {
                server.put(&format!("/v1/memories/{id}"), &token, json!({"content": format!("{uid} fact {n}, edited"), "visibility": "public"})).await.assert_status(200);
            }
            if n % 3 == 0 {
                server
                    .delete(&format!("/v1/memories/{id}"), &token)
                    .await
                    .assert_status(200);
            }
            ids.push(id);
        }
        for n in 0..4 {
            let item = server
                .post(
                    "/v1/action-items",
                    &token,
                    json!({"description": format!("{uid} task {n}"), "due_at": "2026-12-01"}),
                )
                .await;
            if n % 2 == 0 {
                server
                    .patch(
                        &format!("/v1/action-items/{}", item["id"].as_str().unwrap()),
                        &token,
                        json!({"completed": true}),
                    )
                    .await
                    .assert_status(200);
            }
        }
    }
    ids
}

both_stores!(with_store a_projector_restarted_mid_stream_matches_a_full_replay, |store| async move {
    let mut server = TestServer::start(store).await;
    let mut ids = write_history(&server).await;
    server.stop().await;

    // A backlog the projector has not seen: its checkpoint now stands in the middle of the log.
    let mut backlog: Vec<RawEvent> = Vec::new();
    for n in 0..300 {
        let id = format!("backlog-{n}");
        backlog.push((id.clone(), 1, "MemoryCreated", memory_created("carol", &format!("carol fact {n}")), metadata("carol")));
        if n % 2 == 0 {
            backlog.push((id.clone(), 2, "MemoryEdited", memory_edited(&format!("carol fact {n}, edited")), metadata("carol")));
        }
        if n < 5 {
            ids.push(id);
        }
    }
    append_directly(&server.data(), &backlog).await;

    server.restart().await;
    let users = ["alice", "bob", "carol"];
    let resumed = snapshot(&server, &users, &ids).await;
    let carol = resumed["carol/memories"].as_array().unwrap();
    assert_eq!(carol.len(), 300, "the backlog was projected after the restart");
    assert!(carol.iter().any(|m| m["content"] == "carol fact 0, edited"));
    server.stop().await;

    server.cli(&["replay"]).await.assert_success();
    server.restart().await;
    let replayed = snapshot(&server, &users, &ids).await;
    assert_eq!(resumed, replayed, "a resumed projector and a full replay agree");
});

both_stores!(with_store replay_reproduces_the_read_models_exactly, |store| async move {
    let mut server = TestServer::start(store).await;
    let ids = write_history(&server).await;
    let users = ["alice", "bob"];
    let incremental = snapshot(&server, &users, &ids).await;
    assert!(incremental["alice/memories"].as_array().unwrap().len() >= 3);
    server.stop().await;

    let all = server.cli(&["replay"]).await;
    all.assert_success();
    server.restart().await;
    assert_eq!(incremental, snapshot(&server, &users, &ids).await, "replay of every read model");
    server.stop().await;

    server.cli(&["replay", "--projection", "memories"]).await.assert_success();
    server.restart().await;
    assert_eq!(incremental, snapshot(&server, &users, &ids).await, "replay of one read model");
    server.stop().await;

    let unknown = server.cli(&["replay", "--projection", "gossip"]).await;
    assert!(!unknown.success(), "an unknown projection is an error");
    let migrate = server.cli(&["migrate"]).await;
    migrate.assert_success();
});

both_stores!(
    concurrent_edits_of_one_memory_all_land_in_its_history,
    |server| async move {
        let token = server.token("alice").await;
        let created = server
            .post("/v1/memories", &token, json!({"content": "contended"}))
            .await;
        let id = created["id"].as_str().unwrap().to_string();
        let mut edits = Vec::new();
        for n in 0..12 {
            let client = server.client();
            let (path, token) = (format!("/v1/memories/{id}"), token.clone());
            edits.push(tokio::spawn(async move {
                client
                    .put(&path, &token, json!({"content": format!("edit {n}")}))
                    .await
                    .status
            }));
        }
        let mut succeeded = 0;
        for edit in edits {
            let status = edit.await.unwrap();
            assert!(
                status == 200 || status == 409,
                "an edit either lands or reports the conflict, got {status}"
            );
            if status == 200 {
                succeeded += 1;
            }
        }
        assert!(succeeded > 0);
        let history = server
            .get(&format!("/v1/memories/{id}/history"), &token)
            .await;
        assert_eq!(
            history["versions"].as_array().unwrap().len(),
            1 + succeeded,
            "one version per successful edit"
        );
    }
);

async fn wait_until<F: Fn(&Value) -> bool>(server: &TestServer, token: &str, check: F) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        let listed = server.get("/v1/memories?limit=5000", token).await;
        if check(&listed.json) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Two server processes on one PostgreSQL database: each answers its own writes (read-your-writes), both see
/// everything, and the projections run in one process at a time, so nothing is applied twice.
#[tokio::test(flavor = "multi_thread")]
async fn two_processes_share_one_log_and_project_it_once() {
    if !store_available(Store::Postgres) {
        return;
    }
    let first = TestServer::start(Store::Postgres).await;
    let second = TestServer::start_with(
        Store::Postgres,
        StartOptions::new().reuse_database(first.data()),
    )
    .await;
    let token = first.token("erin").await;
    for n in 0..20 {
        let server = if n % 2 == 0 { &first } else { &second };
        let created = server
            .post(
                "/v1/memories",
                &token,
                json!({"content": format!("note {n}")}),
            )
            .await;
        created.assert_status(200);
        let id = created["id"].as_str().unwrap();
        let edited = server
            .put(
                &format!("/v1/memories/{id}"),
                &token,
                json!({"tags": [format!("t{n}")]}),
            )
            .await;
        edited.assert_status(200);
        assert_eq!(
            edited["tags"],
            json!([format!("t{n}")]),
            "the writing process shows its own write"
        );
    }
    for server in [&first, &second] {
        assert!(
            wait_until(server, &token, |l| l
                .as_array()
                .is_some_and(|all| all.len() == 20))
            .await
        );
        let listed = server.get("/v1/memories?limit=100", &token).await;
        let mut ids: Vec<&str> = listed
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 20);
        let history = server
            .get(&format!("/v1/memories/{}/history", ids[0]), &token)
            .await;
        assert_eq!(
            history["versions"].as_array().unwrap().len(),
            2,
            "each event is projected once"
        );
    }
}

/// A PostgreSQL server whose user `uid` wrote `contents` as memories, stopped (so that `replay` has the store to
/// itself), and a connection to its database.
async fn stopped_with_memories(uid: &str, contents: &[&str]) -> (TestServer, sqlx::PgConnection) {
    let mut server = TestServer::start(Store::Postgres).await;
    let token = server.token(uid).await;
    for content in contents {
        server
            .post(
                "/v1/memories",
                &token,
                json!({"content": content, "category": "interesting"}),
            )
            .await
            .assert_success();
    }
    server.stop().await;
    let url = server.data().database_url().unwrap().to_string();
    let admin = sqlx::PgConnection::connect(&url).await.unwrap();
    (server, admin)
}

#[tokio::test]
async fn a_rebuilt_read_model_keeps_the_privileges_granted_on_it() {
    if !store_available(Store::Postgres) {
        return;
    }
    let (server, mut admin) = stopped_with_memories("fay", &["Fay reads before breakfast"]).await;
    let role = format!(
        "omi_reporting_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let table_oid = "SELECT CAST(CAST('memories' AS regclass) AS oid)::BIGINT";
    let before: i64 = sqlx::query_scalar(table_oid)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    admin
        .execute(
            format!(
                "CREATE ROLE {role}; GRANT SELECT ON memories TO {role};
                 GRANT SELECT, INSERT ON action_items TO {role} WITH GRANT OPTION"
            )
            .as_str(),
        )
        .await
        .unwrap();

    server.cli(&["replay"]).await.assert_success();
    let privileges = |table: &str, privilege: &str| {
        sqlx::query_scalar::<_, bool>("SELECT has_table_privilege($1, $2, $3)")
            .bind(role.clone())
            .bind(table.to_string())
            .bind(privilege.to_string())
    };
    for (table, privilege, held) in [
        ("memories", "SELECT", true),
        ("memories", "INSERT", false),
        ("action_items", "SELECT", true),
        ("action_items", "INSERT WITH GRANT OPTION", true),
        ("conversations", "SELECT", false),
    ] {
        let has = privileges(table, privilege)
            .fetch_one(&mut admin)
            .await
            .unwrap();
        assert_eq!(has, held, "{role} {privilege} on {table} after the rebuild");
    }
    let after: i64 = sqlx::query_scalar(table_oid)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_ne!(before, after, "the rebuild put a new table in place");
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memories")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    admin
        .execute(format!("DROP OWNED BY {role}; DROP ROLE {role}").as_str())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failed_rebuild_leaves_the_read_models_and_no_staged_tables_behind() {
    if !store_available(Store::Postgres) {
        return;
    }
    let (server, mut admin) =
        stopped_with_memories("gus", &["Gus rows at dawn", "Gus keeps bees"]).await;
    let staged = "SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE '%\\_rebuild'";
    let memories = "SELECT COUNT(*) FROM memories";
    // A leftover of a rebuild that crashed: the next rebuild replaces it.
    admin
        .execute("CREATE TABLE memories_rebuild (junk TEXT)")
        .await
        .unwrap();
    // The new table copies this constraint, which the existing rows were never checked against: writing them
    // into it fails, and with it the rebuild.
    admin
        .execute(
            "ALTER TABLE memories ADD CONSTRAINT memories_none_yet CHECK (created_at < 0) NOT VALID",
        )
        .await
        .unwrap();

    let failed = server.cli(&["replay"]).await;
    assert!(
        !failed.success() && failed.stderr.contains("memories_none_yet"),
        "the rebuild cannot write the memories: {failed:?}"
    );
    let left: i64 = sqlx::query_scalar(staged)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(left, 0, "a failed rebuild drops the tables it staged");
    let rows: i64 = sqlx::query_scalar(memories)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(rows, 2, "the live read model is untouched");

    admin
        .execute("ALTER TABLE memories DROP CONSTRAINT memories_none_yet")
        .await
        .unwrap();
    admin
        .execute("CREATE TABLE memories_rebuild (junk TEXT)")
        .await
        .unwrap();
    server.cli(&["replay"]).await.assert_success();
    let left: i64 = sqlx::query_scalar(staged)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(
        left, 0,
        "the rebuild replaced the leftover staged table and swapped it in"
    );
    let rows: i64 = sqlx::query_scalar(memories)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(rows, 2);
}

#[tokio::test]
async fn a_rebuild_with_too_few_connections_says_so_and_changes_nothing() {
    if !store_available(Store::Postgres) {
        return;
    }
    let (server, mut admin) = stopped_with_memories("hal", &["Hal tunes pianos"]).await;
    let data = server.data().clone();
    let narrow = ServerEnv::prepare(
        Store::Postgres,
        StartOptions::new()
            .reuse_data(data)
            .env("OMI_DB_MAX_CONNECTIONS", "2"),
    )
    .await;

    let refused = run_cli(&narrow, &["replay"]).await;
    assert!(
        !refused.success() && refused.stderr.contains("at least 3 connections"),
        "{refused:?}"
    );
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memories")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(rows, 1, "the live read model is untouched");
    let staged: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM pg_tables WHERE tablename LIKE '%\\_rebuild'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(staged, 0);
}
