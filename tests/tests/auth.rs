//! Authentication through the real server: local tokens, admin impersonation and the 401 messages of §1.1.

use omi_tests::*;

async fn raw_get(server: &TestServer, authorization: Option<&str>) -> Response {
    let client = server.client();
    let mut builder = client.reqwest().get(server.url("/v1/memories"));
    if let Some(value) = authorization {
        builder = builder.header("authorization", value);
    }
    send(Method::GET, &server.url("/v1/memories"), builder).await
}

both_stores!(
    requests_without_a_valid_user_token_get_401,
    |server| async move {
        let missing = raw_get(&server, None).await;
        missing.assert_status(401);
        assert_eq!(missing["detail"], "Authorization header not found");
        for bad in ["Bearer", "Bearer a b", "Token abc", "Bearer not-a-token"] {
            let refused = raw_get(&server, Some(bad)).await;
            refused.assert_status(401);
            assert_eq!(
                refused["detail"], "Invalid authorization token",
                "for {bad:?}"
            );
        }
        let developer_key = raw_get(
            &server,
            Some("Bearer omi_dev_0123456789abcdef0123456789abcdef"),
        )
        .await;
        developer_key.assert_status(401);
        assert!(
            developer_key["detail"]
                .as_str()
                .unwrap()
                .contains("/v1/dev/"),
            "{}",
            developer_key.text
        );
        let mcp_key = raw_get(&server, Some("Bearer omi_mcp_0123456789abcdef")).await;
        mcp_key.assert_status(401);
        assert!(
            mcp_key["detail"].as_str().unwrap().contains("/v1/mcp/"),
            "{}",
            mcp_key.text
        );

        let token = server.token("alice").await;
        raw_get(&server, Some(&format!("Bearer {token}")))
            .await
            .assert_status(200);
    }
);

both_stores!(with_store a_token_of_another_server_is_refused, |store| async move {
    let ours = TestServer::start(store).await;
    let theirs = TestServer::start(store).await;
    let foreign = theirs.token("alice").await;
    let refused = ours.get("/v1/memories", &foreign).await;
    refused.assert_status(401);
    assert_eq!(refused["detail"], "Invalid authorization token");
});

both_stores!(with_store admin_impersonation_works_only_when_configured, |store| async move {
    let server = TestServer::start_with(store, StartOptions::new().env("ADMIN_KEY", "s3cret-admin-")).await;
    let bob = server.token("bob").await;
    server.post("/v1/memories", &bob, json!({"content": "Bob's note"})).await.assert_status(200);
    let as_bob = server.get("/v1/memories", "s3cret-admin-bob").await;
    as_bob.assert_status(200);
    assert_eq!(as_bob[0]["content"], "Bob's note");
    server.get("/v1/memories", "s3cret-admin-").await.assert_status(401);

    let plain = TestServer::start(store).await;
    plain.get("/v1/memories", "s3cret-admin-bob").await.assert_status(401);
});
