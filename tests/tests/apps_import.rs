//! The app import API (spec §7.2) on its first endpoint, reading memories: the checks in the reference's order
//! (key 401, key of the app 403, enabled for the user 403, capability 403), and a revoked key refused.

use crate::apps_support;

use apps_support::*;
use omi_tests::*;

fn integration(name: &str, action: &str) -> Value {
    json!({
        "name": name, "description": "Imports", "category": "utilities-and-tools",
        "capabilities": ["external_integration"],
        "external_integration": {"actions": [{"action": action}]}
    })
}

async fn read_with(server: &TestServer, path: &str, authorization: Option<&str>) -> Response {
    let mut builder = server.client().builder(Method::GET, path, "");
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    send(Method::GET, &server.url(path), builder).await
}

both_stores!(with_store the_import_api_checks_key_app_installation_and_capability_in_order, |store| async move {
    let server = start(store).await;
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let reader = create_app(&server, &alice, &integration("Reader", "read_memories")).await;
    let writer = create_app(&server, &alice, &integration("Writer", "create_conversation")).await;
    approve(&server, &reader).await;
    approve(&server, &writer).await;
    let key = |app: String| {
        let server = &server;
        let alice = alice.clone();
        async move {
            let created = server.post(&format!("/v1/apps/{app}/keys"), &alice, json!({})).await;
            created.assert_status(200);
            (created["id"].as_str().unwrap().to_string(), created["secret"].as_str().unwrap().to_string())
        }
    };
    let (reader_key_id, reader_key) = key(reader.clone()).await;
    let (_, writer_key) = key(writer.clone()).await;
    server.post("/v3/memories", &bob, json!({"content": "Bob likes green tea"})).await.assert_status(200);

    let path = format!("/v2/integrations/{reader}/memories?uid=bob");
    let bearer = |secret: &str| format!("Bearer {secret}");
    let missing = read_with(&server, &path, None).await;
    missing.assert_status(401);
    assert_eq!(missing["detail"], "Missing or invalid Authorization header. Must be 'Bearer API_KEY'");
    read_with(&server, &path, Some(&bearer("omi_dev_0123"))).await.assert_status(401);
    read_with(&server, &path, Some(&bearer("sk_wrong"))).await.assert_status(403);
    let other_apps_key = read_with(&server, &path, Some(&bearer(&writer_key))).await;
    other_apps_key.assert_status(403);
    assert_eq!(other_apps_key["detail"], "Invalid API key");
    let not_enabled = read_with(&server, &path, Some(&bearer(&reader_key))).await;
    not_enabled.assert_status(403);
    assert_eq!(not_enabled["detail"], "App is not enabled for this user");

    for app in [&reader, &writer] {
        server.post(&format!("/v1/apps/enable?app_id={app}"), &bob, json!({})).await.assert_status(200);
    }
    let read = read_with(&server, &path, Some(&bearer(&reader_key))).await;
    read.assert_status(200);
    let contents: Vec<&str> = read["memories"].as_array().unwrap().iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, vec!["Bob likes green tea"]);
    let alices = read_with(&server, &format!("/v2/integrations/{reader}/memories?uid=alice"), Some(&bearer(&reader_key))).await;
    alices.assert_status(403);
    let lacking = read_with(&server, &format!("/v2/integrations/{writer}/memories?uid=bob"), Some(&bearer(&writer_key))).await;
    lacking.assert_status(403);
    assert_eq!(lacking["detail"], "App does not have the capability to read memories");
    read_with(&server, &format!("/v2/integrations/{reader}/memories"), Some(&bearer(&reader_key))).await.assert_status(422);
    read_with(&server, &format!("{path}&limit=1001"), Some(&bearer(&reader_key))).await.assert_status(422);

    server.delete(&format!("/v1/apps/{reader}/keys/{reader_key_id}"), &alice).await.assert_status(200);
    let revoked = read_with(&server, &path, Some(&bearer(&reader_key))).await;
    revoked.assert_status(403);
    assert_eq!(revoked["detail"], "Invalid API key");
});
