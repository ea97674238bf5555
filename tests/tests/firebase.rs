//! Firebase ID tokens through the real server: an RSA key made here, its JWKS served by a local HTTP server,
//! tokens signed as Firebase signs them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use omi_tests::*;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const PROJECT: &str = "omi-blackbox";

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Serves `body` as JSON to every request; counts the requests.
async fn serve_keys(body: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/keys", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: public, max-age=3600\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (url, hits)
}

fn claims(uid: &str, audience: &str, expires_in: i64) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    json!({
        "iss": format!("https://securetoken.google.com/{audience}"),
        "aud": audience, "sub": uid, "user_id": uid,
        "iat": now - 10, "auth_time": now - 10, "exp": now + expires_in,
    })
}

both_stores!(with_store firebase_id_tokens_are_verified_against_the_published_keys, |store| async move {
    let private = rsa::PrivateKey::new(&mut getrandom::SysRng, 2048).unwrap();
    let public = private.to_public_key();
    let jwks = json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1",
        "n": base64url(&public.n_bytes()), "e": base64url(&public.e_bytes())}]});
    let (keys_url, hits) = serve_keys(jwks.to_string()).await;
    let signing = EncodingKey::from_rsa_der(private.to_pkcs1_der().unwrap().as_bytes());
    let sign = |claims: &Value, kid: &str| {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_string());
        jsonwebtoken::encode(&header, claims, &signing).unwrap()
    };

    let options = StartOptions::new().env("FIREBASE_PROJECT_ID", PROJECT).env("FIREBASE_KEYS_URL", keys_url);
    let server = TestServer::start_with(store, options).await;

    let token = sign(&claims("firebase-user-1", PROJECT, 3600), "k1");
    server.post("/v1/memories", &token, json!({"content": "Signed in with Firebase"})).await.assert_status(200);
    let listed = server.get("/v1/memories", &token).await;
    listed.assert_status(200);
    assert_eq!(listed[0]["uid"], "firebase-user-1");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "the keys are fetched once and cached");

    for (name, bad) in [
        ("another project", sign(&claims("u", "someone-else", 3600), "k1")),
        ("expired", sign(&claims("u", PROJECT, -3600), "k1")),
        ("unknown key id", sign(&claims("u", PROJECT, 3600), "k2")),
    ] {
        let refused = server.get("/v1/memories", &bad).await;
        refused.assert_status(401);
        assert_eq!(refused["detail"], "Invalid authorization token", "{name}");
    }
    let local = server.token("local-user").await;
    server.get("/v1/memories", &local).await.assert_status(200);
});
