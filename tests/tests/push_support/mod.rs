//! A local Firebase Cloud Messaging: the OAuth token endpoint of a service account (`POST /token`, the JWT
//! bearer grant; the assertion is checked with the test key's public half) and the HTTP v1 send API
//! (`POST /v1/projects/{project}/messages:send`). It answers `UNREGISTERED` for the tokens it is told are gone,
//! `503` for the next pushes it is told to refuse, and keeps every message it accepted.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use omi_tests::local_http::{read_request, respond_json, LocalRequest};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};

const PROJECT: &str = "omi-test";
const CLIENT_EMAIL: &str = "push@omi-test.iam.gserviceaccount.com";
const KEY: &str = include_str!("../../fixtures/push/test-service-account-key.pem");
const PUBLIC: &str = include_str!("../../fixtures/push/test-service-account-public.pem");

#[derive(Default)]
struct State {
    tokens_issued: AtomicUsize,
    /// Bodies of the accepted sends.
    messages: Mutex<Vec<Value>>,
    unregistered: Mutex<HashSet<String>>,
    /// How many of the next sends answer 503.
    refuse_next: AtomicUsize,
    /// Why requests were refused (a bad assertion, a missing bearer token).
    refusals: Mutex<Vec<String>>,
}

/// The running server and the service account file that points at it.
pub struct FakeFcm {
    url: String,
    state: Arc<State>,
    account: PathBuf,
    _dir: tempfile::TempDir,
}

impl FakeFcm {
    pub async fn start() -> FakeFcm {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State::default());
        let shared = state.clone();
        let token_uri = format!("{url}/token");
        let audience = token_uri.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let state = shared.clone();
                let audience = audience.clone();
                tokio::spawn(async move { serve(socket, &state, &audience).await });
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let account = dir.path().join("service-account.json");
        let file = json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "test-key-1",
            "private_key": KEY,
            "client_email": CLIENT_EMAIL,
            "token_uri": token_uri,
        });
        std::fs::write(&account, file.to_string()).unwrap();
        FakeFcm {
            url,
            state,
            account,
            _dir: dir,
        }
    }

    /// The server's settings for this FCM.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            ("OMI_FCM_SERVICE_ACCOUNT", path(&self.account)),
            ("OMI_FCM_BASE_URL", self.url.clone()),
        ]
    }

    /// Answers `UNREGISTERED` for `token` from now on.
    pub fn unregister(&self, token: &str) {
        self.state.unregistered.lock().unwrap().insert(token.into());
    }

    /// The next `count` sends answer 503.
    pub fn refuse_next(&self, count: usize) {
        self.state.refuse_next.store(count, Ordering::SeqCst);
    }

    /// The `message` objects of the accepted sends.
    pub fn messages(&self) -> Vec<Value> {
        self.state.messages.lock().unwrap().clone()
    }

    pub fn tokens_issued(&self) -> usize {
        self.state.tokens_issued.load(Ordering::SeqCst)
    }

    pub fn refusals(&self) -> Vec<String> {
        self.state.refusals.lock().unwrap().clone()
    }
}

fn path(path: &Path) -> String {
    path.display().to_string()
}

fn form_value(body: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(body).split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| value.replace("%3A", ":").replace("%3a", ":"))
    })
}

fn check_assertion(assertion: &str, audience: &str) -> Result<(), String> {
    let key = DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[CLIENT_EMAIL]);
    let claims = decode::<Value>(assertion, &key, &validation)
        .map_err(|e| format!("bad assertion: {e}"))?
        .claims;
    if claims["scope"] != "https://www.googleapis.com/auth/firebase.messaging" {
        return Err(format!("wrong scope: {claims}"));
    }
    Ok(())
}

async fn serve(mut socket: TcpStream, state: &State, audience: &str) {
    let Some(request) = read_request(&mut socket).await else {
        return;
    };
    let (status, body) = answer(request, state, audience);
    respond_json(&mut socket, status, &body).await;
}

fn answer(request: LocalRequest, state: &State, audience: &str) -> (&'static str, String) {
    if request.path() == "/token" {
        let grant = form_value(&request.body, "grant_type").unwrap_or_default();
        let assertion = form_value(&request.body, "assertion").unwrap_or_default();
        let checked = if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer" {
            check_assertion(&assertion, audience)
        } else {
            Err(format!("wrong grant type {grant}"))
        };
        return match checked {
            Ok(()) => {
                let n = state.tokens_issued.fetch_add(1, Ordering::SeqCst);
                let token = json!({"access_token": format!("at-{n}"), "expires_in": 3600, "token_type": "Bearer"});
                ("200 OK", token.to_string())
            }
            Err(reason) => {
                state.refusals.lock().unwrap().push(reason);
                (
                    "400 Bad Request",
                    json!({"error": "invalid_grant"}).to_string(),
                )
            }
        };
    }
    if request.path() != format!("/v1/projects/{PROJECT}/messages:send") {
        return (
            "404 Not Found",
            json!({"error": {"code": 404, "status": "NOT_FOUND", "message": "no such path"}})
                .to_string(),
        );
    }
    if !request.authorization.starts_with("Bearer at-") {
        state.refusals.lock().unwrap().push(format!(
            "send without an access token: {:?}",
            request.authorization
        ));
        return (
            "401 Unauthorized",
            json!({"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "no token"}})
                .to_string(),
        );
    }
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let message = body["message"].clone();
    let token = message["token"].as_str().unwrap_or_default().to_string();
    if state.unregistered.lock().unwrap().contains(&token) {
        let error = json!({"error": {"code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found.",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}});
        return ("404 Not Found", error.to_string());
    }
    if state
        .refuse_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        let error =
            json!({"error": {"code": 503, "status": "UNAVAILABLE", "message": "try later"}});
        return ("503 Service Unavailable", error.to_string());
    }
    let mut messages = state.messages.lock().unwrap();
    messages.push(message);
    let name = format!("projects/{PROJECT}/messages/{}", messages.len());
    ("200 OK", json!({"name": name}).to_string())
}
