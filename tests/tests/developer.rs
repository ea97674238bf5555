//! The developer API through the real server: key management (`/v1/dev/keys`), the `/v1/dev/user/*`
//! endpoints for memories, action items and conversations with their shapes and 4xx answers, scopes, the key
//! as the actor of its writes, key families, and the rate limits (per key per minute, per user per day, and
//! one limit across two processes on PostgreSQL).

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use omi_tests::*;

const ALL_SCOPES: [&str; 6] = [
    "memories:read",
    "memories:write",
    "action_items:read",
    "action_items:write",
    "conversations:read",
    "conversations:write",
];

/// A developer key of `token`'s user: `(id, raw key)`.
async fn dev_key(server: &TestServer, token: &str, scopes: Option<&[&str]>) -> (String, String) {
    let mut body = json!({"name": "script"});
    if let Some(scopes) = scopes {
        body["scopes"] = json!(scopes);
    }
    let created = server.post("/v1/dev/keys", token, body).await;
    created.assert_status(200);
    (
        created["id"].as_str().unwrap().to_string(),
        created["key"].as_str().unwrap().to_string(),
    )
}

/// A key with every scope for a fresh user `uid`: `(user token, key id, key)`.
async fn full_key(server: &TestServer, uid: &str) -> (String, String, String) {
    let token = server.token(uid).await;
    let (id, key) = dev_key(server, &token, Some(&ALL_SCOPES)).await;
    (token, id, key)
}

fn fields(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

fn list(response: &Response) -> &Vec<Value> {
    response
        .json
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", response.text))
}

fn ids(response: &Response) -> Vec<String> {
    list(response)
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

/// The `msg` of every problem of a 422.
fn messages(response: &Response) -> String {
    response.assert_status(422);
    response.json["detail"]
        .as_array()
        .unwrap_or_else(|| panic!("no problem list: {}", response.text))
        .iter()
        .map(|p| p["msg"].as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// GET with a raw `Authorization` header (or none).
async fn get_with(server: &TestServer, path: &str, authorization: Option<&str>) -> Response {
    let client = server.client();
    let mut builder = client.reqwest().get(server.url(path));
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    send(Method::GET, &server.url(path), builder).await
}

const MEMORY_FIELDS: [&str; 12] = [
    "id",
    "content",
    "category",
    "visibility",
    "tags",
    "created_at",
    "updated_at",
    "manually_added",
    "scoring",
    "reviewed",
    "user_review",
    "edited",
];
const CREATED_MEMORY_FIELDS: [&str; 9] = [
    "id",
    "content",
    "category",
    "visibility",
    "tags",
    "created_at",
    "updated_at",
    "manually_added",
    "scoring",
];
const ACTION_ITEM_FIELDS: [&str; 8] = [
    "id",
    "description",
    "completed",
    "created_at",
    "updated_at",
    "due_at",
    "completed_at",
    "conversation_id",
];
const CONVERSATION_FIELDS: [&str; 11] = [
    "id",
    "created_at",
    "started_at",
    "finished_at",
    "structured",
    "language",
    "source",
    "geolocation",
    "folder_id",
    "folder_name",
    "transcript_segments",
];

both_stores!(
    keys_are_created_listed_used_and_revoked,
    |server| async move {
        let token = server.token("alice").await;
        let created = server
            .post(
                "/v1/dev/keys",
                &token,
                json!({"name": "backup script", "scopes": ["memories:read", "memories:write"]}),
            )
            .await;
        created.assert_status(200);
        let key = created["key"].as_str().unwrap().to_string();
        let id = created["id"].as_str().unwrap().to_string();
        let secret = key.strip_prefix("omi_dev_").expect("an omi_dev_ key");
        assert_eq!(secret.len(), 32);
        assert!(secret
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert_eq!(created["name"], "backup script");
        assert_eq!(
            created["scopes"],
            json!(["memories:read", "memories:write"])
        );
        assert_eq!(
            created["key_prefix"],
            format!("omi_dev_{}...{}", &secret[..4], &secret[28..])
        );
        assert_eq!(created["last_used_at"], Value::Null);

        // The default is read-only.
        let (_, read_only) = dev_key(&server, &token, None).await;
        let keys = server.get("/v1/dev/keys", &token).await;
        keys.assert_status(200);
        assert_eq!(list(&keys).len(), 2);
        assert_eq!(
            keys[0]["scopes"],
            json!(["conversations:read", "memories:read", "action_items:read"]),
            "the newest key comes first and is read-only: {}",
            keys.text
        );
        for listed in list(&keys) {
            assert!(listed.get("key").is_none(), "the secret is never listed");
            assert!(!listed.to_string().contains(secret));
            assert!(listed["key_prefix"]
                .as_str()
                .unwrap()
                .starts_with("omi_dev_"));
        }

        // A use shows up as last_used_at.
        server
            .get("/v1/dev/user/memories", &key)
            .await
            .assert_status(200);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let keys = server.get("/v1/dev/keys", &token).await;
            let ours = list(&keys)
                .iter()
                .find(|k| k["id"] == id.as_str())
                .unwrap()
                .clone();
            if ours["last_used_at"].is_string() {
                assert!(ours["last_used_at"].as_str().unwrap().ends_with("+00:00"));
                break;
            }
            assert!(Instant::now() < deadline, "last_used_at never set: {ours}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // Bad scopes, empty names.
        let bad = server
            .post(
                "/v1/dev/keys",
                &token,
                json!({"name": "x", "scopes": ["memories:read", "everything"]}),
            )
            .await;
        bad.assert_status(400);
        let detail = bad["detail"].as_str().unwrap();
        assert!(detail.starts_with("Invalid scopes. Available:"), "{detail}");
        for scope in ALL_SCOPES.iter().chain(&["goals:read", "goals:write"]) {
            assert!(detail.contains(scope), "{detail} lacks {scope}");
        }
        for name in ["", "   "] {
            let empty = server
                .post("/v1/dev/keys", &token, json!({"name": name}))
                .await;
            assert!(
                messages(&empty).contains("Key name cannot be empty"),
                "{}",
                empty.text
            );
        }

        // Another user cannot revoke it (404: not theirs); its owner can, effective on the next request.
        let mallory = server.token("mallory").await;
        server
            .delete(&format!("/v1/dev/keys/{id}"), &mallory)
            .await
            .assert_status(404);
        server
            .get("/v1/dev/user/memories", &key)
            .await
            .assert_status(200);
        server
            .delete(&format!("/v1/dev/keys/{id}"), &token)
            .await
            .assert_status(204);
        let refused = server.get("/v1/dev/user/memories", &key).await;
        refused.assert_status(401);
        assert!(refused["detail"].is_string(), "{}", refused.text);
        // Revoked, it is gone: revoking it again finds nothing.
        server
            .delete(&format!("/v1/dev/keys/{id}"), &token)
            .await
            .assert_status(404);
        let keys = server.get("/v1/dev/keys", &token).await;
        assert_eq!(list(&keys).len(), 1);
        server
            .get("/v1/dev/user/memories", &read_only)
            .await
            .assert_status(200);
    }
);

both_stores!(
    other_token_families_are_refused_with_a_hint,
    |server| async move {
        let token = server.token("alice").await;
        let (_, key) = dev_key(&server, &token, None).await;

        let missing = get_with(&server, "/v1/dev/user/memories", None).await;
        missing.assert_status(401);
        assert_eq!(missing["detail"], "Authorization header not found");

        let user = server.get("/v1/dev/user/memories", &token).await;
        user.assert_status(401);
        let hint = user["detail"].as_str().unwrap();
        assert!(
            hint.contains("omi_dev_") && hint.contains("User tokens"),
            "{hint}"
        );

        let mcp = server
            .post("/v1/mcp/keys", &token, json!({"name": "assistant"}))
            .await;
        mcp.assert_status(200);
        let mcp_key = mcp["key"].as_str().unwrap();
        assert!(mcp_key.starts_with("omi_mcp_"));
        let refused = server.get("/v1/dev/user/conversations", mcp_key).await;
        refused.assert_status(401);
        let hint = refused["detail"].as_str().unwrap();
        assert!(
            hint.contains("omi_mcp_") && hint.contains("omi_dev_"),
            "{hint}"
        );

        let unknown = server
            .get(
                "/v1/dev/user/action-items",
                "omi_dev_0123456789abcdef0123456789abcdef",
            )
            .await;
        unknown.assert_status(401);
        assert_eq!(unknown["detail"], "Invalid API key");

        // And the developer key is not a user token.
        let app = server.get("/v1/memories", &key).await;
        app.assert_status(401);
        assert!(app["detail"].as_str().unwrap().contains("/v1/dev/"));
        server
            .get("/v1/dev/user/memories", &key)
            .await
            .assert_status(200);
    }
);

both_stores!(scopes_limit_what_a_key_may_do, |server| async move {
    let token = server.token("alice").await;
    let (_, read_only) = dev_key(&server, &token, None).await;
    let (_, writer) = dev_key(&server, &token, Some(&["memories:write"])).await;

    for path in [
        "/v1/dev/user/memories",
        "/v1/dev/user/action-items",
        "/v1/dev/user/conversations",
    ] {
        server.get(path, &read_only).await.assert_status(200);
    }
    let writes: [(Method, &str, Value, &str); 12] = [
        (
            Method::POST,
            "/v1/dev/user/memories",
            json!({"content": "I like tea"}),
            "memories:write",
        ),
        (
            Method::POST,
            "/v1/dev/user/memories/batch",
            json!({"memories": []}),
            "memories:write",
        ),
        (
            Method::PATCH,
            "/v1/dev/user/memories/m1",
            json!({"content": "x"}),
            "memories:write",
        ),
        (
            Method::DELETE,
            "/v1/dev/user/memories/m1",
            Value::Null,
            "memories:write",
        ),
        (
            Method::POST,
            "/v1/dev/user/action-items",
            json!({"description": "Call Ann"}),
            "action_items:write",
        ),
        (
            Method::POST,
            "/v1/dev/user/action-items/batch",
            json!({"action_items": []}),
            "action_items:write",
        ),
        (
            Method::PATCH,
            "/v1/dev/user/action-items/a1",
            json!({"completed": true}),
            "action_items:write",
        ),
        (
            Method::DELETE,
            "/v1/dev/user/action-items/a1",
            Value::Null,
            "action_items:write",
        ),
        (
            Method::POST,
            "/v1/dev/user/conversations",
            json!({"text": "Hello there"}),
            "conversations:write",
        ),
        (
            Method::POST,
            "/v1/dev/user/conversations/from-segments",
            json!({"transcript_segments": []}),
            "conversations:write",
        ),
        (
            Method::PATCH,
            "/v1/dev/user/conversations/c1",
            json!({"title": "x"}),
            "conversations:write",
        ),
        (
            Method::DELETE,
            "/v1/dev/user/conversations/c1",
            Value::Null,
            "conversations:write",
        ),
    ];
    for (method, path, body, scope) in writes {
        let body = (!body.is_null()).then_some(body);
        let refused = server.request(method.clone(), path, &read_only, body).await;
        refused.assert_status(403);
        assert_eq!(
            refused["detail"],
            format!("Insufficient permissions. Required scope: {scope}"),
            "{method} {path}"
        );
        assert!(refused.header("x-ratelimit-limit").is_some());
    }
    // The scope is checked before the body is looked at.
    let refused = server
        .post("/v1/dev/user/memories", &read_only, json!({"nonsense": 1}))
        .await;
    refused.assert_status(403);

    for (path, scope) in [
        ("/v1/dev/user/memories", "memories:read"),
        ("/v1/dev/user/action-items", "action_items:read"),
        ("/v1/dev/user/conversations", "conversations:read"),
        ("/v1/dev/user/conversations/c1", "conversations:read"),
    ] {
        let refused = server.get(path, &writer).await;
        refused.assert_status(403);
        assert_eq!(
            refused["detail"],
            format!("Insufficient permissions. Required scope: {scope}")
        );
    }
    server
        .post(
            "/v1/dev/user/memories",
            &writer,
            json!({"content": "I like tea"}),
        )
        .await
        .assert_status(200);
    // Unknown routes under the prefix are plain 404s once authenticated.
    server
        .get("/v1/dev/user/wishlist", &read_only)
        .await
        .assert_status(404);
});

both_stores!(
    memories_are_created_listed_edited_and_deleted,
    |server| async move {
        let (token, key_id, key) = full_key(&server, "alice").await;
        let created = server
            .post(
                "/v1/dev/user/memories",
                &key,
                json!({"content": "  I love hiking in the Alps  ", "tags": ["outdoors", " "]}),
            )
            .await;
        created.assert_status(200);
        assert_eq!(fields(&created.json), set(&CREATED_MEMORY_FIELDS));
        assert_eq!(created["content"], "I love hiking in the Alps");
        assert_eq!(
            created["category"], "system",
            "first person: about the user"
        );
        assert_eq!(created["visibility"], "private");
        assert_eq!(created["tags"], json!(["outdoors"]));
        assert_eq!(created["manually_added"], true);
        assert!(created["scoring"].as_str().unwrap().starts_with("01_999_"));
        assert!(created["created_at"].as_str().unwrap().ends_with("+00:00"));
        let hiking = created["id"].as_str().unwrap().to_string();

        let fact = server
            .post(
                "/v1/dev/user/memories",
                &key,
                json!({"content": "Octopuses have three hearts", "visibility": "public"}),
            )
            .await;
        fact.assert_status(200);
        assert_eq!(fact["category"], "interesting");
        assert_eq!(fact["visibility"], "public");
        let given = server
            .post(
                "/v1/dev/user/memories",
                &key,
                json!({"content": "My dentist is Dr. Ruiz", "category": "interesting"}),
            )
            .await;
        assert_eq!(given["category"], "interesting", "a given category is kept");

        // The key is the actor of what it wrote.
        let history = server
            .get(&format!("/v1/memories/{hiking}/history"), &token)
            .await;
        history.assert_status(200);
        assert_eq!(
            history["versions"][0]["actor"],
            format!("developer_key:{key_id}")
        );

        // Validation: nothing is written.
        for (body, expected) in [
            (json!({"content": ""}), "empty"),
            (json!({"content": "x".repeat(501)}), "500"),
            (
                json!({"content": "fine", "visibility": "friends"}),
                "visibility",
            ),
        ] {
            let refused = server.post("/v1/dev/user/memories", &key, body).await;
            assert!(messages(&refused).contains(expected), "{}", refused.text);
        }
        let missing = server.post("/v1/dev/user/memories", &key, json!({})).await;
        missing.assert_status(422);
        server
            .post(
                "/v1/dev/user/memories",
                &key,
                json!({"content": "x".repeat(500)}),
            )
            .await
            .assert_status(200);

        // Batches.
        let batch = server
            .post(
                "/v1/dev/user/memories/batch",
                &key,
                json!({"memories": [
                    {"content": "I work at a bakery"},
                    {"content": "Honey never spoils", "tags": ["food"]},
                ]}),
            )
            .await;
        batch.assert_status(200);
        assert_eq!(fields(&batch.json), set(&["memories", "created_count"]));
        assert_eq!(batch["created_count"], 2);
        assert_eq!(batch["memories"][0]["content"], "I work at a bakery");
        assert_eq!(batch["memories"][0]["category"], "system");
        assert_eq!(batch["memories"][1]["category"], "interesting");
        assert_eq!(fields(&batch["memories"][1]), set(&CREATED_MEMORY_FIELDS));
        let empty = server
            .post("/v1/dev/user/memories/batch", &key, json!({"memories": []}))
            .await;
        empty.assert_status(200);
        assert_eq!(empty.json, json!({"memories": [], "created_count": 0}));
        let before = list(&server.get("/v1/dev/user/memories?limit=100", &key).await).len();
        assert_eq!(before, 6);
        let too_many: Vec<Value> = (0..26)
            .map(|i| json!({"content": format!("Fact number {i}")}))
            .collect();
        let refused = server
            .post(
                "/v1/dev/user/memories/batch",
                &key,
                json!({"memories": too_many}),
            )
            .await;
        assert!(messages(&refused).contains("25"), "{}", refused.text);
        let refused = server
            .post(
                "/v1/dev/user/memories/batch",
                &key,
                json!({"memories": [{"content": "A valid one"}, {"content": "  "}]}),
            )
            .await;
        refused.assert_status(422);
        assert_eq!(
            refused["detail"][0]["loc"],
            json!(["body", "memories", "1", "content"])
        );
        let after = list(&server.get("/v1/dev/user/memories?limit=100", &key).await).len();
        assert_eq!(after, before, "a refused batch writes nothing");

        // Lists: shape, paging, categories.
        let listed = server.get("/v1/dev/user/memories", &key).await;
        listed.assert_status(200);
        assert_eq!(list(&listed).len(), 6);
        for memory in list(&listed) {
            assert_eq!(fields(memory), set(&MEMORY_FIELDS));
        }
        let page = server
            .get("/v1/dev/user/memories?limit=2&offset=1", &key)
            .await;
        assert_eq!(ids(&page), ids(&listed)[1..3].to_vec());
        let system = server
            .get("/v1/dev/user/memories?categories=system", &key)
            .await;
        assert_eq!(list(&system).len(), 2);
        assert!(list(&system).iter().all(|m| m["category"] == "system"));
        let bad = server
            .get("/v1/dev/user/memories?categories=system,bogus", &key)
            .await;
        bad.assert_status(400);
        assert!(bad["detail"].as_str().unwrap().contains("bogus"));
        server
            .get("/v1/dev/user/memories?limit=0", &key)
            .await
            .assert_status(422);
        server
            .get("/v1/dev/user/memories?limit=ten", &key)
            .await
            .assert_status(422);

        // Patches.
        let path = format!("/v1/dev/user/memories/{hiking}");
        assert!(messages(&server.patch(&path, &key, json!({})).await).contains("at least one"));
        assert!(messages(
            &server
                .patch(&path, &key, json!({"visibility": "shared"}))
                .await
        )
        .contains("visibility"));
        server
            .patch(&path, &key, json!({"content": ""}))
            .await
            .assert_status(422);
        server
            .patch(&path, &key, json!({"content": "y".repeat(501)}))
            .await
            .assert_status(422);
        let edited = server
            .patch(
                &path,
                &key,
                json!({"content": "I love hiking in the Dolomites", "visibility": "public", "tags": ["mountains"], "category": "interesting"}),
            )
            .await;
        edited.assert_status(200);
        assert_eq!(fields(&edited.json), set(&MEMORY_FIELDS));
        assert_eq!(edited["id"], hiking.as_str());
        assert_eq!(edited["content"], "I love hiking in the Dolomites");
        assert_eq!(edited["visibility"], "public");
        assert_eq!(edited["tags"], json!(["mountains"]));
        assert_eq!(edited["category"], "interesting");
        assert_eq!(edited["edited"], true);
        let history = server
            .get(&format!("/v1/memories/{hiking}/history"), &token)
            .await;
        let versions = history["versions"].as_array().unwrap();
        assert!(versions.len() >= 2);
        for version in versions {
            assert_eq!(version["actor"], format!("developer_key:{key_id}"));
        }

        // Another user's memory is not found.
        let (_, _, bob) = full_key(&server, "bob").await;
        server
            .patch(&path, &bob, json!({"content": "mine"}))
            .await
            .assert_status(404);
        server.delete(&path, &bob).await.assert_status(404);
        assert_eq!(
            server.get("/v1/dev/user/memories", &bob).await.json,
            json!([])
        );

        // Deletes.
        let deleted = server.delete(&path, &key).await;
        deleted.assert_status(200);
        assert_eq!(deleted.json, json!({"success": true}));
        server.delete(&path, &key).await.assert_status(404);
        server
            .patch(&path, &key, json!({"content": "back"}))
            .await
            .assert_status(404);
        assert_eq!(
            list(&server.get("/v1/dev/user/memories", &key).await).len(),
            5
        );
        let history = server
            .get(&format!("/v1/memories/{hiking}/history"), &token)
            .await;
        let versions = history["versions"].as_array().unwrap();
        assert_eq!(versions.last().unwrap()["event"], "MemoryDeleted");
        assert_eq!(
            versions.last().unwrap()["actor"],
            format!("developer_key:{key_id}")
        );
    }
);

both_stores!(
    action_items_are_created_listed_edited_and_deleted,
    |server| async move {
        let (token, _, key) = full_key(&server, "alice").await;
        let created = server
            .post(
                "/v1/dev/user/action-items",
                &key,
                json!({"description": "Call the plumber"}),
            )
            .await;
        created.assert_status(200);
        assert_eq!(fields(&created.json), set(&ACTION_ITEM_FIELDS));
        assert_eq!(created["description"], "Call the plumber");
        assert_eq!(created["completed"], false);
        assert_eq!(created["conversation_id"], Value::Null);
        assert_eq!(created["due_at"], Value::Null);
        assert_eq!(created["completed_at"], Value::Null);
        assert!(created["created_at"].as_str().unwrap().ends_with("+00:00"));
        let plumber = created["id"].as_str().unwrap().to_string();

        let done = server
            .post(
                "/v1/dev/user/action-items",
                &key,
                json!({"description": "Renew passport", "completed": true, "due_at": "2030-05-01T09:00:00Z"}),
            )
            .await;
        done.assert_status(200);
        assert_eq!(done["completed"], true);
        assert!(done["completed_at"].is_string());
        assert_eq!(done["due_at"], "2030-05-01T09:00:00+00:00");
        let passport = done["id"].as_str().unwrap().to_string();

        for (body, expected) in [
            (json!({"description": " "}), "empty"),
            (json!({"description": "d".repeat(501)}), "500"),
        ] {
            let refused = server.post("/v1/dev/user/action-items", &key, body).await;
            assert!(messages(&refused).contains(expected), "{}", refused.text);
        }
        server
            .post(
                "/v1/dev/user/action-items",
                &key,
                json!({"description": "x", "due_at": "next tuesday"}),
            )
            .await
            .assert_status(422);

        let batch = server
            .post(
                "/v1/dev/user/action-items/batch",
                &key,
                json!({"action_items": [
                    {"description": "Buy milk"},
                    {"description": "Pay rent", "due_at": "2030-06-01"},
                ]}),
            )
            .await;
        batch.assert_status(200);
        assert_eq!(fields(&batch.json), set(&["action_items", "created_count"]));
        assert_eq!(batch["created_count"], 2);
        assert_eq!(fields(&batch["action_items"][0]), set(&ACTION_ITEM_FIELDS));
        assert_eq!(
            batch["action_items"][1]["due_at"],
            "2030-06-01T00:00:00+00:00"
        );
        let too_many: Vec<Value> = (0..51)
            .map(|i| json!({"description": format!("Task {i}")}))
            .collect();
        let refused = server
            .post(
                "/v1/dev/user/action-items/batch",
                &key,
                json!({"action_items": too_many}),
            )
            .await;
        assert!(messages(&refused).contains("50"), "{}", refused.text);
        let refused = server
            .post(
                "/v1/dev/user/action-items/batch",
                &key,
                json!({"action_items": [{"description": "ok"}, {"description": ""}]}),
            )
            .await;
        refused.assert_status(422);

        // Lists.
        let listed = server.get("/v1/dev/user/action-items", &key).await;
        listed.assert_status(200);
        assert_eq!(list(&listed).len(), 4, "the refused batches wrote nothing");
        for item in list(&listed) {
            assert_eq!(fields(item), set(&ACTION_ITEM_FIELDS));
        }
        let open = server
            .get("/v1/dev/user/action-items?completed=false", &key)
            .await;
        assert_eq!(list(&open).len(), 3);
        let closed = server
            .get("/v1/dev/user/action-items?completed=true", &key)
            .await;
        assert_eq!(ids(&closed), vec![passport.clone()]);
        let page = server
            .get("/v1/dev/user/action-items?limit=2&offset=1", &key)
            .await;
        assert_eq!(ids(&page), ids(&listed)[1..3].to_vec());
        let none = server
            .get("/v1/dev/user/action-items?conversation_id=nope", &key)
            .await;
        assert_eq!(none.json, json!([]));
        let future = server
            .get("/v1/dev/user/action-items?start_date=2100-01-01", &key)
            .await;
        assert_eq!(future.json, json!([]));
        let past = server
            .get(
                "/v1/dev/user/action-items?start_date=2000-01-01&end_date=2100-01-01",
                &key,
            )
            .await;
        assert_eq!(list(&past).len(), 4);
        server
            .get("/v1/dev/user/action-items?completed=maybe", &key)
            .await
            .assert_status(422);
        server
            .get("/v1/dev/user/action-items?offset=-1", &key)
            .await
            .assert_status(422);

        // Patches.
        let path = format!("/v1/dev/user/action-items/{plumber}");
        assert!(messages(&server.patch(&path, &key, json!({})).await).contains("at least one"));
        server
            .patch(&path, &key, json!({"description": ""}))
            .await
            .assert_status(422);
        let completed = server
            .patch(
                &path,
                &key,
                json!({"completed": true, "due_at": "2030-01-01T08:00:00+02:00"}),
            )
            .await;
        completed.assert_status(200);
        assert_eq!(fields(&completed.json), set(&ACTION_ITEM_FIELDS));
        assert_eq!(completed["completed"], true);
        assert!(completed["completed_at"].is_string());
        assert_eq!(completed["due_at"], "2030-01-01T06:00:00+00:00");
        let reopened = server
            .patch(
                &path,
                &key,
                json!({"completed": false, "due_at": null, "description": "Call the electrician"}),
            )
            .await;
        reopened.assert_status(200);
        assert_eq!(reopened["completed"], false);
        assert_eq!(reopened["completed_at"], Value::Null);
        assert_eq!(reopened["due_at"], Value::Null);
        assert_eq!(reopened["description"], "Call the electrician");
        // The app sees the same item.
        let app = server
            .get(&format!("/v1/action-items/{plumber}"), &token)
            .await;
        assert_eq!(app["description"], "Call the electrician");

        // Another user's item is not found.
        let (_, _, bob) = full_key(&server, "bob").await;
        server
            .patch(&path, &bob, json!({"completed": true}))
            .await
            .assert_status(404);
        server.delete(&path, &bob).await.assert_status(404);

        let deleted = server.delete(&path, &key).await;
        deleted.assert_status(200);
        assert_eq!(deleted.json, json!({"success": true}));
        server.delete(&path, &key).await.assert_status(404);
        server
            .patch(&path, &key, json!({"completed": true}))
            .await
            .assert_status(404);
        assert_eq!(
            list(&server.get("/v1/dev/user/action-items", &key).await).len(),
            3
        );
    }
);

const TEXT: &str = "Met Sarah at the cafe to plan the product launch budget. \
    I will send the revised budget to Sarah tomorrow at 9am. \
    We agreed to review the marketing plan with the whole team on Friday.";

fn segments() -> Value {
    json!([
        {"text": "Good morning, let's plan the product launch budget today.", "speaker": "SPEAKER_01", "start": 0.0, "end": 4.0},
        {"text": "Sure. I will send the revised budget to Sarah tomorrow at 9am.", "is_user": true, "start": 4.5, "end": 9.0},
        {"text": "Great, and we review the marketing plan with the team on Friday at 10am.", "speaker_id": 2, "start": 9.5, "end": 13.5},
    ])
}

both_stores!(
    conversations_are_imported_listed_edited_and_deleted,
    |server| async move {
        let (token, _, key) = full_key(&server, "alice").await;

        // From text: answered once processed.
        let created = server
            .post(
                "/v1/dev/user/conversations",
                &key,
                json!({"text": TEXT, "text_source_spec": "email", "started_at": "2026-03-01T10:00:00Z"}),
            )
            .await;
        created.assert_status(200);
        assert_eq!(fields(&created.json), set(&["id", "status", "discarded"]));
        assert_eq!(created["status"], "completed", "{}", created.text);
        assert_eq!(created["discarded"], false, "{}", created.text);
        let text_id = created["id"].as_str().unwrap().to_string();

        // From segments.
        let imported = server
            .post(
                "/v1/dev/user/conversations/from-segments",
                &key,
                json!({"transcript_segments": segments(), "started_at": "2026-03-02T10:00:00Z", "language": "en"}),
            )
            .await;
        imported.assert_status(200);
        assert_eq!(fields(&imported.json), set(&["id", "status", "discarded"]));
        assert_eq!(imported["status"], "completed", "{}", imported.text);
        assert_eq!(imported["discarded"], false, "{}", imported.text);
        let segments_id = imported["id"].as_str().unwrap().to_string();

        // Validation.
        for (path, body, expected) in [
            ("/v1/dev/user/conversations", json!({"text": ""}), "text"),
            (
                "/v1/dev/user/conversations",
                json!({"text": "x".repeat(100_001)}),
                "text",
            ),
            (
                "/v1/dev/user/conversations",
                json!({"text": "hello", "started_at": "2026-03-01T10:00:00Z", "finished_at": "2026-03-01T09:00:00Z"}),
                "finished_at",
            ),
            (
                "/v1/dev/user/conversations",
                json!({"text": "hello", "text_source": "fax"}),
                "text_source",
            ),
            (
                "/v1/dev/user/conversations/from-segments",
                json!({"transcript_segments": [{"text": "a", "start": 2.0, "end": 1.0}]}),
                "Segment 0",
            ),
            (
                "/v1/dev/user/conversations/from-segments",
                json!({"transcript_segments": []}),
                "between 1 and 500",
            ),
        ] {
            let refused = server.post(path, &key, body).await;
            assert!(
                messages(&refused).contains(expected),
                "{path}: {}",
                refused.text
            );
        }

        // Reads.
        let one = server
            .get(&format!("/v1/dev/user/conversations/{text_id}"), &key)
            .await;
        one.assert_status(200);
        let mut without_transcript = set(&CONVERSATION_FIELDS);
        without_transcript.remove("transcript_segments");
        assert_eq!(fields(&one.json), without_transcript);
        assert_eq!(
            fields(&one["structured"]),
            set(&[
                "title",
                "overview",
                "emoji",
                "category",
                "action_items",
                "events"
            ])
        );
        assert_eq!(one["source"], "external_integration");
        assert_eq!(one["language"], "en");
        assert_eq!(one["started_at"], "2026-03-01T10:00:00+00:00");
        assert_eq!(
            one["finished_at"], "2026-03-01T10:05:00+00:00",
            "five minutes by default"
        );
        assert_eq!(one["created_at"], "2026-03-01T10:00:00+00:00");
        assert!(!one["structured"]["title"].as_str().unwrap().is_empty());

        let with = server
            .get(
                &format!("/v1/dev/user/conversations/{segments_id}?include_transcript=true"),
                &key,
            )
            .await;
        with.assert_status(200);
        assert_eq!(fields(&with.json), set(&CONVERSATION_FIELDS));
        let transcript = with["transcript_segments"].as_array().unwrap();
        assert_eq!(transcript.len(), 3);
        for segment in transcript {
            assert_eq!(
                fields(segment),
                set(&["id", "text", "speaker_id", "speaker_name", "start", "end"])
            );
        }
        assert_eq!(transcript[0]["speaker_name"], "Speaker 1");
        assert_eq!(transcript[0]["speaker_id"], 1);
        assert_eq!(transcript[1]["speaker_name"], "User");
        assert_eq!(transcript[2]["speaker_name"], "Speaker 2");
        assert_eq!(transcript[2]["start"], 9.5);
        assert_eq!(with["finished_at"], "2026-03-02T10:00:13.500+00:00");
        let text_with = server
            .get(
                &format!("/v1/dev/user/conversations/{text_id}?include_transcript=true"),
                &key,
            )
            .await;
        assert_eq!(text_with["transcript_segments"], json!([]));
        server
            .get("/v1/dev/user/conversations/missing", &key)
            .await
            .assert_status(404);
        server
            .get(
                &format!("/v1/dev/user/conversations/{text_id}?include_transcript=perhaps"),
                &key,
            )
            .await
            .assert_status(422);

        // Lists: newest first, shapes, dates, categories, paging, transcripts.
        let listed = server.get("/v1/dev/user/conversations", &key).await;
        listed.assert_status(200);
        assert_eq!(ids(&listed), vec![segments_id.clone(), text_id.clone()]);
        for conversation in list(&listed) {
            assert_eq!(fields(conversation), without_transcript);
        }
        let with = server
            .get("/v1/dev/user/conversations?include_transcript=true", &key)
            .await;
        assert_eq!(with[0]["transcript_segments"].as_array().unwrap().len(), 3);
        assert_eq!(with[0]["transcript_segments"][1]["speaker_name"], "User");
        assert_eq!(with[1]["transcript_segments"], json!([]));
        let dated = server
            .get(
                "/v1/dev/user/conversations?start_date=2026-03-02T00:00:00Z&end_date=2026-03-03",
                &key,
            )
            .await;
        assert_eq!(ids(&dated), vec![segments_id.clone()]);
        let page = server
            .get("/v1/dev/user/conversations?limit=1&offset=1", &key)
            .await;
        assert_eq!(ids(&page), vec![text_id.clone()]);
        let category = listed[0]["structured"]["category"]
            .as_str()
            .unwrap()
            .to_string();
        let same: Vec<String> = list(&listed)
            .iter()
            .filter(|c| c["structured"]["category"] == category.as_str())
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        let by_category = server
            .get(
                &format!("/v1/dev/user/conversations?categories={category},legal"),
                &key,
            )
            .await;
        by_category.assert_status(200);
        assert_eq!(ids(&by_category), same);
        let other = if category == "legal" {
            "music"
        } else {
            "legal"
        };
        assert_eq!(
            server
                .get(
                    &format!("/v1/dev/user/conversations?categories={other}"),
                    &key
                )
                .await
                .json,
            json!([])
        );
        let paged = server
            .get(
                &format!("/v1/dev/user/conversations?categories={category}&offset=1&limit=1"),
                &key,
            )
            .await;
        assert_eq!(
            ids(&paged),
            same.iter().skip(1).take(1).cloned().collect::<Vec<_>>()
        );
        let bad = server
            .get("/v1/dev/user/conversations?categories=gardening", &key)
            .await;
        bad.assert_status(400);
        assert!(bad["detail"].as_str().unwrap().contains("gardening"));

        // Patches.
        let path = format!("/v1/dev/user/conversations/{text_id}");
        assert!(messages(&server.patch(&path, &key, json!({})).await).contains("at least one"));
        server
            .patch(&path, &key, json!({"title": "  "}))
            .await
            .assert_status(422);
        server
            .patch(&path, &key, json!({"title": "t".repeat(501)}))
            .await
            .assert_status(422);
        server
            .patch(&path, &key, json!({"discarded": "yes"}))
            .await
            .assert_status(422);
        let renamed = server
            .patch(&path, &key, json!({"title": "Launch Budget Email"}))
            .await;
        renamed.assert_status(200);
        assert_eq!(fields(&renamed.json), without_transcript);
        assert_eq!(renamed["structured"]["title"], "Launch Budget Email");
        let app = server
            .get(&format!("/v1/conversations/{text_id}"), &token)
            .await;
        assert_eq!(app["structured"]["title"], "Launch Budget Email");
        let discarded = server
            .patch(&path, &key, json!({"discarded": true, "title": "Old news"}))
            .await;
        discarded.assert_status(200);
        assert_eq!(discarded["structured"]["title"], "Old news");
        assert_eq!(
            ids(&server.get("/v1/dev/user/conversations", &key).await),
            vec![segments_id.clone()],
            "discarded conversations are not listed"
        );
        server.get(&path, &key).await.assert_status(200);
        server
            .patch(&path, &key, json!({"discarded": false}))
            .await
            .assert_status(200);
        assert_eq!(
            list(&server.get("/v1/dev/user/conversations", &key).await).len(),
            2
        );

        // Another user's conversation is not found.
        let (_, _, bob) = full_key(&server, "bob").await;
        server.get(&path, &bob).await.assert_status(404);
        server
            .patch(&path, &bob, json!({"title": "Mine"}))
            .await
            .assert_status(404);
        server.delete(&path, &bob).await.assert_status(404);
        assert_eq!(
            server.get("/v1/dev/user/conversations", &bob).await.json,
            json!([])
        );

        // Deletes.
        let deleted = server.delete(&path, &key).await;
        deleted.assert_status(200);
        assert_eq!(deleted.json, json!({"success": true}));
        server.get(&path, &key).await.assert_status(404);
        server.delete(&path, &key).await.assert_status(404);
        server
            .patch(&path, &key, json!({"title": "Back"}))
            .await
            .assert_status(404);
        assert_eq!(
            ids(&server.get("/v1/dev/user/conversations", &key).await),
            vec![segments_id]
        );
    }
);

// ---------------------------------------------------------------------------------------------------------
// Rate limits

fn unix_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// Sleeps into the next window of `window_ms` when less than `room_ms` of the current one is left (the
/// server shares this machine's clock), so that a burst of requests lands in one window.
async fn room_in_window(window_ms: u128, room_ms: u128) {
    let left = window_ms - unix_millis() % window_ms;
    if left < room_ms {
        tokio::time::sleep(Duration::from_millis((left + 250) as u64)).await;
    }
}

fn header_number(response: &Response, name: &str) -> i64 {
    response
        .header(name)
        .unwrap_or_else(|| panic!("no {name} header on {} {}", response.status, response.text))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

/// Every `X-RateLimit-*` header is there; returns the window end.
fn assert_rate_headers(response: &Response, limit: i64) -> i64 {
    assert_eq!(header_number(response, "x-ratelimit-limit"), limit);
    let remaining = header_number(response, "x-ratelimit-remaining");
    assert!((0..=limit).contains(&remaining));
    let reset = header_number(response, "x-ratelimit-reset");
    let now = (unix_millis() / 1000) as i64;
    assert!(reset >= now - 1, "reset {reset} is in the past (now {now})");
    reset
}

/// Runs `fresh_key` (a burst of requests with a new key) until all its answers landed in one window, and returns
/// them (at most three tries: a window may end during a burst).
async fn burst<F, Fut>(mut fresh_key: F, window_ms: u128) -> Vec<Response>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Vec<Response>>,
{
    for attempt in 0..3 {
        room_in_window(window_ms, 10_000).await;
        let answers = fresh_key(attempt).await;
        let resets: BTreeSet<&str> = answers
            .iter()
            .filter_map(|r| r.header("x-ratelimit-reset"))
            .collect();
        if resets.len() == 1 {
            return answers;
        }
        eprintln!("a window ended during the burst ({resets:?}); trying again");
    }
    panic!("three bursts in a row straddled a window");
}

both_stores!(with_store a_key_gets_429_after_its_limit_per_minute, |store| async move {
    let server = TestServer::start_with(
        store,
        StartOptions::new().env("OMI_RATE_PER_KEY_PER_MINUTE", "5"),
    )
    .await;
    let token = server.token("alice").await;
    let (_, spare) = dev_key(&server, &token, None).await;
    let answers = burst(
        |_| {
            let server = &server;
            let token = token.clone();
            async move {
                let (_, key) = dev_key(server, &token, None).await;
                let mut answers = Vec::new();
                for _ in 0..6 {
                    answers.push(server.get("/v1/dev/user/memories", &key).await);
                }
                answers
            }
        },
        60_000,
    )
    .await;
    for (i, answer) in answers[..5].iter().enumerate() {
        answer.assert_status(200);
        let reset = assert_rate_headers(answer, 5);
        assert_eq!(reset % 60, 0, "a minute window ends on a minute");
        assert_eq!(header_number(answer, "x-ratelimit-remaining"), 4 - i as i64);
        assert!(answer.header("retry-after").is_none());
    }
    let refused = &answers[5];
    refused.assert_status(429);
    assert!(refused["detail"].is_string(), "{}", refused.text);
    assert_rate_headers(refused, 5);
    assert_eq!(header_number(refused, "x-ratelimit-remaining"), 0);
    let retry_after = header_number(refused, "retry-after");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    // Errors carry the headers too, and another key of the user has its own minute.
    let missing = server.get("/v1/dev/user/conversations/nope", &spare).await;
    missing.assert_status(404);
    assert_rate_headers(&missing, 5);
    server
        .get("/v1/dev/user/memories", &spare)
        .await
        .assert_status(200);
});

both_stores!(with_store the_daily_limit_counts_every_key_of_the_user, |store| async move {
    let server = TestServer::start_with(
        store,
        StartOptions::new().env("OMI_RATE_PER_USER_PER_DAY", "4"),
    )
    .await;
    let token = server.token("alice").await;
    let (_, first) = dev_key(&server, &token, None).await;
    let (_, second) = dev_key(&server, &token, None).await;
    // Not across midnight UTC.
    room_in_window(86_400_000, 30_000).await;
    for (i, key) in [&first, &second, &first, &second].into_iter().enumerate() {
        let answer = server.get("/v1/dev/user/action-items", key).await;
        answer.assert_status(200);
        let reset = assert_rate_headers(&answer, 4);
        assert_eq!(reset % 86_400, 0, "the day ends at midnight UTC");
        assert_eq!(header_number(&answer, "x-ratelimit-remaining"), 3 - i as i64);
    }
    for key in [&first, &second] {
        let refused = server.get("/v1/dev/user/action-items", key).await;
        refused.assert_status(429);
        assert!(refused["detail"].is_string());
        assert_rate_headers(&refused, 4);
        assert!(header_number(&refused, "retry-after") >= 1);
    }
    // Another user is not affected.
    let bob = server.token("bob").await;
    let (_, bobs) = dev_key(&server, &bob, None).await;
    server
        .get("/v1/dev/user/action-items", &bobs)
        .await
        .assert_status(200);
});

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_enforce_one_limit_and_one_revocation() {
    if !store_available(Store::Postgres) {
        return;
    }
    let options = || StartOptions::new().env("OMI_RATE_PER_KEY_PER_MINUTE", "5");
    let first = TestServer::start_with(Store::Postgres, options()).await;
    let second =
        TestServer::start_with(Store::Postgres, options().reuse_database(first.data())).await;
    let token = first.token("alice").await;
    let answers = burst(
        |_| {
            let (first, second) = (&first, &second);
            let token = token.clone();
            async move {
                let (_, key) = dev_key(first, &token, None).await;
                let mut answers = Vec::new();
                for i in 0..10 {
                    let server = if i % 2 == 0 { first } else { second };
                    answers.push(server.get("/v1/dev/user/memories", &key).await);
                }
                answers
            }
        },
        60_000,
    )
    .await;
    let allowed = answers.iter().filter(|a| a.status == 200).count();
    let refused = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!((allowed, refused), (5, 5), "one limit for both processes");
    for answer in &answers[..5] {
        answer.assert_status(200);
    }
    for (i, answer) in answers.iter().enumerate() {
        assert_rate_headers(answer, 5);
        if i >= 5 {
            assert!(answer.header("retry-after").is_some());
        }
    }

    // A key revoked through one process is refused by the other on the very next request.
    let (id, key) = dev_key(&first, &token, None).await;
    second
        .get("/v1/dev/user/conversations", &key)
        .await
        .assert_status(200);
    first
        .delete(&format!("/v1/dev/keys/{id}"), &token)
        .await
        .assert_status(204);
    let refused = second.get("/v1/dev/user/conversations", &key).await;
    refused.assert_status(401);
    assert_eq!(refused["detail"], "Invalid API key");
    first
        .get("/v1/dev/user/conversations", &key)
        .await
        .assert_status(401);

    // And a key created through one is accepted by the other at once.
    let (_, fresh) = dev_key(&second, &token, None).await;
    first
        .get("/v1/dev/user/conversations", &fresh)
        .await
        .assert_status(200);
}
