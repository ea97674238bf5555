//! Account integrations (spec §7.3) on both stores: connection records (connect, read, disconnect, 404 when not
//! connected, another user's apart), Apple Health metrics, and the Google Calendar OAuth flow against a local
//! token endpoint: the consent URL with a signed state, a callback that connects once per state, and the deep
//! link's errors (missing code, bad or reused state, a failing provider, no client configured).

use std::sync::{Arc, Mutex};

use omi_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

both_stores!(
    connections_are_recorded_read_and_removed,
    |server| async move {
        let alice = server.token("alice").await;
        let status = server.get("/v1/integrations/notion", &alice).await;
        status.assert_status(200);
        assert_eq!(
            status.json,
            json!({"connected": false, "app_key": "notion"})
        );

        let connected = server
            .put(
                "/v1/integrations/notion",
                &alice,
                json!({"access_token": "secret-at", "refresh_token": "secret-rt"}),
            )
            .await;
        connected.assert_status(200);
        assert_eq!(connected.json, json!({"status": "ok", "app_key": "notion"}));
        let status = server.get("/v1/integrations/notion", &alice).await;
        assert_eq!(status.json, json!({"connected": true, "app_key": "notion"}));
        assert!(!status.text.contains("secret"), "tokens are never answered");

        let bob = server.token("bob").await;
        assert_eq!(
            server.get("/v1/integrations/notion", &bob).await["connected"],
            false
        );
        server
            .delete("/v1/integrations/notion", &bob)
            .await
            .assert_status(404);

        server
            .delete("/v1/integrations/notion", &alice)
            .await
            .assert_status(204);
        assert_eq!(
            server.get("/v1/integrations/notion", &alice).await["connected"],
            false
        );
        server
            .delete("/v1/integrations/notion", &alice)
            .await
            .assert_status(404);

        // connected=false disconnects, and is harmless when not connected.
        server
            .put("/v1/integrations/whoop", &alice, json!({}))
            .await
            .assert_status(200);
        server
            .put(
                "/v1/integrations/whoop",
                &alice,
                json!({"connected": false}),
            )
            .await
            .assert_status(200);
        assert_eq!(
            server.get("/v1/integrations/whoop", &alice).await["connected"],
            false
        );
        server
            .put(
                "/v1/integrations/whoop",
                &alice,
                json!({"connected": false}),
            )
            .await
            .assert_status(200);

        for bad in ["Notion", "a%2Fb", "x%00y", &"k".repeat(65)] {
            let refused = server.get(&format!("/v1/integrations/{bad}"), &alice).await;
            assert!(
                (400..500).contains(&refused.status),
                "{bad}: {}",
                refused.text
            );
            let refused = server
                .put(&format!("/v1/integrations/{bad}"), &alice, json!({}))
                .await;
            assert!(
                (400..500).contains(&refused.status),
                "{bad}: {}",
                refused.text
            );
        }
        let long = server
            .put(
                "/v1/integrations/notion",
                &alice,
                json!({"access_token": "t".repeat(8193)}),
            )
            .await;
        long.assert_status(422);
        assert!(long.text.contains("access_token"), "{}", long.text);
        assert_eq!(
            server.get("/v1/integrations/notion", &alice).await["connected"],
            false,
            "nothing refused was recorded"
        );
        server
            .get("/v1/integrations/notion", "")
            .await
            .assert_status(401);
    }
);

both_stores!(apple_health_metrics_are_synced, |server| async move {
    let alice = server.token("alice").await;
    let synced = server
        .put(
            "/v1/integrations/apple-health/sync",
            &alice,
            json!({"period_days": 7, "steps": {"total": 61234}, "heart_rate": {"average": 68, "min": 51, "max": 143}, "sleep": null}),
        )
        .await;
    synced.assert_status(200);
    assert_eq!(synced["status"], "ok");
    assert_eq!(synced["app_key"], "apple_health");
    assert_eq!(synced["data_types_synced"], json!(["steps", "heart_rate"]));
    assert!(synced["synced_at"].is_string());
    assert_eq!(
        server.get("/v1/integrations/apple-health", &alice).await["connected"],
        true
    );
    assert_eq!(
        server.get("/v1/integrations/apple_health", &alice).await["connected"],
        true
    );

    for (bad, loc) in [
        (
            json!({"period_days": 0, "steps": {"total": 1}}),
            "period_days",
        ),
        (
            json!({"period_days": 366, "steps": {"total": 1}}),
            "period_days",
        ),
        (json!({"period_days": 7}), "no health metric"),
        (json!({"period_days": -1, "steps": {}}), "period_days"),
    ] {
        let refused = server
            .put("/v1/integrations/apple-health/sync", &alice, bad.clone())
            .await;
        refused.assert_status(422);
        assert!(refused.text.contains(loc), "{bad}: {}", refused.text);
    }
});

/// A local OAuth token endpoint: `good-code` is traded for tokens, anything else is refused.
struct Provider {
    url: String,
    forms: Arc<Mutex<Vec<String>>>,
}

impl Provider {
    async fn start() -> Provider {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let forms = Arc::new(Mutex::new(Vec::new()));
        let kept = forms.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let mut buffer = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let body = loop {
                        let n = socket.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buffer.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buffer).to_string();
                        let Some((head, body)) = text.split_once("\r\n\r\n") else {
                            continue;
                        };
                        let length: usize = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if body.len() >= length {
                            break body.to_string();
                        }
                    };
                    kept.lock().unwrap().push(body.clone());
                    let (status, answer) = if body.contains("code=good-code") {
                        (
                            "200 OK",
                            json!({"access_token": "ya29.at", "refresh_token": "1//rt", "expires_in": 3599, "token_type": "Bearer"}),
                        )
                    } else {
                        ("400 Bad Request", json!({"error": "invalid_grant"}))
                    };
                    let answer = answer.to_string();
                    let response = format!(
                        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        Provider { url, forms }
    }
}

/// The `state` parameter of a consent URL.
fn state_of(auth_url: &str) -> String {
    auth_url
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("state="))
        .expect("a state")
        .to_string()
}

both_stores!(with_store the_oauth_flow_connects_once_per_state, |store| async move {
    let provider = Provider::start().await;
    let options = StartOptions::new()
        .env("GOOGLE_CLIENT_ID", "omi-client")
        .env("GOOGLE_CLIENT_SECRET", "omi-client-secret")
        .env("GOOGLE_AUTH_URL", format!("{}/authorize", provider.url))
        .env("GOOGLE_TOKEN_URL", format!("{}/token", provider.url))
        .env("OMI_PUBLIC_URL", "https://omi.example");
    let server = TestServer::start_with(store, options).await;
    let alice = server.token("alice").await;

    let url = server.get("/v1/integrations/google_calendar/oauth-url", &alice).await;
    url.assert_status(200);
    let auth_url = url["auth_url"].as_str().unwrap().to_string();
    assert!(auth_url.starts_with(&format!("{}/authorize?client_id=omi-client&", provider.url)), "{auth_url}");
    assert!(auth_url.contains("redirect_uri=https%3A%2F%2Fomi.example%2Fv2%2Fintegrations%2Fgoogle_calendar%2Fcallback"), "{auth_url}");
    assert!(auth_url.contains("access_type=offline"));
    let state = state_of(&auth_url);
    server.get("/v1/integrations/notion/oauth-url", &alice).await.assert_status(400);

    let callback = |code: &str, state: &str| format!("/v2/integrations/google_calendar/callback?code={code}&state={state}");
    let missing = server.get("/v2/integrations/google_calendar/callback?state=x", "").await;
    missing.assert_status(400);
    assert!(missing.text.contains("omi://google_calendar/callback?error=missing_code"), "{}", missing.text);
    let forged = server.get(&callback("good-code", "not-a-state"), "").await;
    forged.assert_status(400);
    assert!(forged.text.contains("error=invalid_state"));
    let failing = server.get(&callback("bad-code", &state), "").await;
    failing.assert_status(502);
    assert!(failing.text.contains("error=server_error"));
    assert_eq!(server.get("/v1/integrations/google_calendar", &alice).await["connected"], false);

    let done = server.get(&callback("good-code", &state), "").await;
    done.assert_status(200);
    assert!(done.text.contains("omi://google_calendar/callback?success=true"), "{}", done.text);
    assert_eq!(server.get("/v1/integrations/google_calendar", &alice).await["connected"], true);
    let form = provider.forms.lock().unwrap().last().unwrap().clone();
    for part in ["grant_type=authorization_code", "code=good-code", "client_id=omi-client", "client_secret=omi-client-secret", "redirect_uri=https%3A%2F%2Fomi.example"] {
        assert!(form.contains(part), "{part} in {form}");
    }
    let reused = server.get(&callback("good-code", &state), "").await;
    reused.assert_status(400);
    assert!(reused.text.contains("error=invalid_state"), "a state is used once");

    // A state of another key does not connect this one.
    let bob = server.token("bob").await;
    let bobs = state_of(server.get("/v1/integrations/google_calendar/oauth-url", &bob).await["auth_url"].as_str().unwrap());
    let elsewhere = server.get(&format!("/v2/integrations/notion/callback?code=good-code&state={bobs}"), "").await;
    elsewhere.assert_status(400);
    assert_eq!(server.get("/v1/integrations/notion", &bob).await["connected"], false);
    // A user token is no state.
    let token_as_state = server.get(&callback("good-code", &alice), "").await;
    token_as_state.assert_status(400);
});

both_stores!(without_a_client_oauth_is_unavailable, |server| async move {
    let alice = server.token("alice").await;
    let url = server
        .get("/v1/integrations/google_calendar/oauth-url", &alice)
        .await;
    url.assert_status(503);
    assert!(url["detail"].as_str().unwrap().contains("GOOGLE_CLIENT_ID"));
    let callback = server
        .get(
            "/v2/integrations/google_calendar/callback?code=c&state=s",
            "",
        )
        .await;
    callback.assert_status(400);
});
