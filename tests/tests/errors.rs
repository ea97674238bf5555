//! The error shape: every failure is `{"detail": ...}` with the right status, and changes nothing.

use omi_tests::*;

both_stores!(
    unknown_routes_and_methods_answer_in_the_error_shape,
    |server| async move {
        let token = server.token("alice").await;
        let missing = server.get("/v1/nothing-here", &token).await;
        missing.assert_status(404);
        assert_eq!(missing["detail"], "Not Found");
        let method = server.patch("/v1/memories", &token, json!({})).await;
        method.assert_status(405);
        assert_eq!(method["detail"], "Method Not Allowed");
    }
);

both_stores!(
    malformed_bodies_get_422_with_the_problems,
    |server| async move {
        let token = server.token("alice").await;
        let client = server.client();
        let broken = send(
            Method::POST,
            &server.url("/v1/memories"),
            client
                .builder(Method::POST, "/v1/memories", &token)
                .header("content-type", "application/json")
                .body("{\"content\": "),
        )
        .await;
        broken.assert_status(422);
        assert!(broken["detail"].is_array(), "{}", broken.text);
        let empty = send(
            Method::POST,
            &server.url("/v1/memories"),
            client.builder(Method::POST, "/v1/memories", &token),
        )
        .await;
        empty.assert_status(422);
        let wrong_type = server
            .post("/v1/memories", &token, json!({"content": 42}))
            .await;
        wrong_type.assert_status(422);
        assert_eq!(wrong_type["detail"][0]["loc"], json!(["body", "content"]));
        assert_eq!(server.get("/v1/memories", &token).await.json, json!([]));
    }
);

both_stores!(with_store oversized_bodies_get_413, |store| async move {
    let server = TestServer::start_with(store, StartOptions::new().env("OMI_MAX_BODY_BYTES", "1024")).await;
    let token = server.token("alice").await;
    let big = "x".repeat(4096);
    let refused = server.post("/v1/memories", &token, json!({"content": big})).await;
    refused.assert_status(413);
    assert!(refused["detail"].is_string(), "{}", refused.text);
    assert_eq!(server.get("/v1/memories", &token).await.json, json!([]));
    server.post("/v1/memories", &token, json!({"content": "small"})).await.assert_status(200);
});

both_stores!(every_response_carries_a_request_id, |server| async move {
    let token = server.token("alice").await;
    let generated = server.get("/v1/memories", &token).await;
    assert!(generated
        .header("x-request-id")
        .is_some_and(|id| id.len() >= 32));
    let client = server.client();
    let echoed = send(
        Method::GET,
        &server.url("/v1/memories"),
        client
            .builder(Method::GET, "/v1/memories", &token)
            .header("x-request-id", "trace-me-123"),
    )
    .await;
    assert_eq!(echoed.header("x-request-id"), Some("trace-me-123"));
    assert!(
        server
            .wait_for_log("trace-me-123", std::time::Duration::from_secs(5))
            .await,
        "the id is in the log"
    );
});
