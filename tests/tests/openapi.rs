//! The OpenAPI document and the docs page: every documented operation exists on the server.

use omi_tests::*;

both_stores!(every_documented_operation_exists, |server| async move {
    let token = server.token("olga").await;
    let document = server.get("/openapi.json", "").await;
    document.assert_status(200);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() > 40, "{} paths", paths.len());
    for (path, operations) in paths {
        for method in operations.as_object().unwrap().keys() {
            let concrete = path
                .split('/')
                .map(|part| if part.starts_with('{') { "0" } else { part })
                .collect::<Vec<_>>()
                .join("/");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
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
    let docs = server.get("/docs", "").await;
    docs.assert_status(200);
    assert!(
        docs.text.contains("/openapi.json") && !docs.text.contains("https://"),
        "served from the binary, no CDN"
    );
});
