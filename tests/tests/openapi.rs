//! The OpenAPI document and the docs page: every documented operation exists on the server, and the answers of
//! the routes that describe themselves fit their schemas.

use omi_tests::*;

both_stores!(every_documented_operation_exists, |server| async move {
    let token = server.token("olga").await;
    let document = server.get("/openapi.json", "").await;
    document.assert_status(200);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() > 40, "{} paths", paths.len());
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let concrete = path
                .split('/')
                .map(|part| if part.starts_with('{') { "0" } else { part })
                .collect::<Vec<_>>()
                .join("/");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            if operation["responses"]["200"]["content"]
                .get("text/event-stream")
                .is_some()
            {
                // An event stream the token opens does not end: its status is all there is to check.
                let opened = server
                    .client()
                    .builder(method.clone(), &concrete, &token)
                    .send()
                    .await
                    .unwrap();
                let status = opened.status().as_u16();
                assert!(
                    status != 404 && status != 405 && status < 500,
                    "{method} {path} is documented but not served: {status}"
                );
                continue;
            }
            let response = server
                .request(method.clone(), &concrete, &token, None)
                .await;
            let missing = response.status == 404 && response["detail"] == "Not Found";
            assert!(
                !missing && response.status != 405,
                "{method} {path} is documented but not served: {} {}",
                response.status,
                response.text
            );
            assert!(
                response.status < 500,
                "{method} {concrete}: {} {}",
                response.status,
                response.text
            );
        }
    }
});

both_stores!(
    the_docs_page_is_served_from_the_binary,
    |server| async move {
        let docs = server.get("/docs", "").await;
        docs.assert_status(200);
        assert!(docs.text.contains("\"openapi.json\""), "{}", docs.text);
        assert!(
            !docs.text.contains("http://") && !docs.text.contains("https://"),
            "the page loads nothing from another host"
        );
        for (asset, kind, marker) in [
            (
                "/docs/swagger-ui-bundle.js",
                "text/javascript",
                "SwaggerUIBundle",
            ),
            ("/docs/swagger-ui.css", "text/css", ".swagger-ui"),
        ] {
            let answer = server.get(asset, "").await;
            answer.assert_status(200);
            assert!(answer
                .header("content-type")
                .unwrap_or_default()
                .starts_with(kind));
            assert!(answer.text.contains(marker), "{asset}");
        }
    }
);

/// Validates an answer explicitly against the document (the client checks it too, this makes the test fail
/// if that check were switched off).
fn fits(document: &ApiDocument, method: &str, template: &str, answer: &Response) {
    match document.validate_response(method, template, answer.status, &answer.json) {
        Ok(Checked::Valid) => {}
        other => panic!(
            "{method} {template} {}: {other:?}; body: {}",
            answer.status, answer.text
        ),
    }
}

both_stores!(answers_fit_their_documented_schemas, |server| async move {
    let document = server.api_document().await;
    let token = server.token("olga").await;
    let health = server.get("/health", "").await;
    fits(&document, "get", "/health", &health);
    let metrics = server.get("/metrics", "").await;
    metrics.assert_status(200);
    assert!(document.operation("get", "/metrics").is_some());

    let created = server
        .post(
            "/v1/memories",
            &token,
            json!({"content": "likes tea", "tags": ["drink"]}),
        )
        .await;
    fits(&document, "post", "/v1/memories", &created);
    let id = created["id"].as_str().unwrap().to_string();
    let app = server
        .post(
            "/v3/memories",
            &token,
            json!({"content": "walks daily", "category": "manual"}),
        )
        .await;
    fits(&document, "post", "/v3/memories", &app);
    let batch = server
        .post(
            "/v3/memories/batch",
            &token,
            json!({"memories": [{"content": "one"}, {"content": "two", "visibility": "public"}]}),
        )
        .await;
    fits(&document, "post", "/v3/memories/batch", &batch);
    for path in [
        "/v1/memories?limit=5",
        "/v3/memories?categories=manual,system",
    ] {
        let listed = server.get(path, &token).await;
        fits(&document, "get", path.split('?').next().unwrap(), &listed);
    }
    let one = server.get(&format!("/v1/memories/{id}"), &token).await;
    fits(&document, "get", "/v1/memories/{id}", &one);
    let edited = server
        .put(
            &format!("/v1/memories/{id}"),
            &token,
            json!({"content": "likes green tea"}),
        )
        .await;
    fits(&document, "put", "/v1/memories/{id}", &edited);
    let review = server
        .request(
            Method::POST,
            &format!("/v3/memories/{id}/review?value=true"),
            &token,
            None,
        )
        .await;
    fits(&document, "post", "/v3/memories/{id}/review", &review);
    let content = server
        .request(
            Method::PATCH,
            &format!("/v3/memories/{id}?value=likes%20coffee"),
            &token,
            None,
        )
        .await;
    fits(&document, "patch", "/v3/memories/{id}", &content);
    let visibility = server
        .request(
            Method::PATCH,
            &format!("/v3/memories/{id}/visibility?value=public"),
            &token,
            None,
        )
        .await;
    fits(
        &document,
        "patch",
        "/v3/memories/{id}/visibility",
        &visibility,
    );
    let history = server
        .get(&format!("/v1/memories/{id}/history"), &token)
        .await;
    fits(&document, "get", "/v1/memories/{id}/history", &history);
    let deleted = server.delete(&format!("/v1/memories/{id}"), &token).await;
    fits(&document, "delete", "/v1/memories/{id}", &deleted);
    let all = server.delete("/v3/memories", &token).await;
    fits(&document, "delete", "/v3/memories", &all);

    // Failures are documented too: 404, 422 (the list of problems), 401.
    let missing = server.get(&format!("/v1/memories/{id}"), &token).await;
    missing.assert_status(404);
    fits(&document, "get", "/v1/memories/{id}", &missing);
    let invalid = server
        .post("/v1/memories", &token, json!({"content": 5}))
        .await;
    invalid.assert_status(422);
    fits(&document, "post", "/v1/memories", &invalid);
    let bad_category = server.get("/v3/memories?categories=nope", &token).await;
    bad_category.assert_status(422);
    fits(&document, "get", "/v3/memories", &bad_category);
    let anonymous = server.get("/v1/memories", "").await;
    anonymous.assert_status(401);
    fits(&document, "get", "/v1/memories", &anonymous);
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
});

both_stores!(
    a_wrong_answer_is_refused_by_the_check,
    |server| async move {
        let document = server.api_document().await;
        let wrong = json!({"id": 1});
        let problems = document
            .validate_response("get", "/v1/memories/{id}", 200, &wrong)
            .unwrap_err();
        assert!(
            problems
                .iter()
                .any(|p| p.contains("\"content\" is missing")),
            "{problems:?}"
        );
        let undocumented = document.validate_response("get", "/health", 418, &json!({}));
        assert!(undocumented.is_err());
    }
);
