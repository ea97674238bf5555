//! Firebase Cloud Messaging, HTTP v1 API: `POST {base}/v1/projects/{project_id}/messages:send` with a bearer token
//! obtained from the service account's `token_uri` (the JWT bearer grant, RFC 7523) and kept until shortly before
//! it expires. The service account file is the JSON one the Firebase console hands out; its `token_uri` and the
//! base URL can point elsewhere (a local server in the tests).

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;

use super::jwt::SigningKey;
use super::{PushMessage, PushResult, PushSender};

/// Where FCM lives.
pub const FCM_BASE_URL: &str = "https://fcm.googleapis.com";
/// The OAuth scope FCM's send API asks for.
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// How long an assertion is valid (the most Google allows).
const ASSERTION_LIFETIME_SECS: i64 = 3600;
/// An access token is renewed this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(60);
/// A request to FCM or its token endpoint gives up after this long.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Why FCM cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FcmError {
    #[error("cannot read the service account file {0}: {1}")]
    Read(String, std::io::Error),
    #[error("the service account file is not valid: {0}")]
    Invalid(String),
}

/// The fields of a service account file that FCM needs.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub private_key: String,
    pub private_key_id: Option<String>,
    pub token_uri: String,
}

/// The FCM HTTP v1 sender.
pub struct Fcm {
    client: reqwest::Client,
    account: ServiceAccount,
    key: SigningKey,
    base_url: String,
    /// The access token and when to renew it.
    token: Mutex<Option<(String, Instant)>>,
}

impl std::fmt::Debug for Fcm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fcm")
            .field("project_id", &self.account.project_id)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Fcm {
    /// A sender for the service account in the JSON file at `path`, sending to `base_url` (normally
    /// [`FCM_BASE_URL`]).
    pub fn from_file(path: &str, base_url: &str) -> Result<Fcm, FcmError> {
        let text =
            std::fs::read_to_string(path).map_err(|error| FcmError::Read(path.into(), error))?;
        let account: ServiceAccount =
            serde_json::from_str(&text).map_err(|error| FcmError::Invalid(error.to_string()))?;
        Fcm::new(account, base_url)
    }

    /// A sender for `account`, sending to `base_url`.
    pub fn new(account: ServiceAccount, base_url: &str) -> Result<Fcm, FcmError> {
        let key = SigningKey::from_pem(&account.private_key).map_err(FcmError::Invalid)?;
        if account.project_id.trim().is_empty() || account.client_email.trim().is_empty() {
            return Err(FcmError::Invalid(
                "project_id and client_email must not be empty".into(),
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| FcmError::Invalid(error.to_string()))?;
        Ok(Fcm {
            client,
            account,
            key,
            base_url: base_url.trim_end_matches('/').to_string(),
            token: Mutex::new(None),
        })
    }

    /// A valid access token: the one held, or a new one from the token endpoint.
    async fn access_token(&self, renew: bool) -> Result<String, String> {
        let mut held = self.token.lock().await;
        if let Some((token, renew_at)) = held.as_ref() {
            if !renew && Instant::now() < *renew_at {
                return Ok(token.clone());
            }
        }
        let now = chrono::Utc::now().timestamp();
        let assertion = self.key.assertion(
            self.account.private_key_id.as_deref(),
            &self.account.client_email,
            SCOPE,
            &self.account.token_uri,
            now,
            ASSERTION_LIFETIME_SECS,
        )?;
        let response = self
            .client
            .post(&self.account.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|error| format!("token endpoint unreachable: {error}"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|error| format!("token endpoint answered {status} without JSON: {error}"))?;
        let token = body["access_token"]
            .as_str()
            .filter(|token| status.is_success() && !token.is_empty())
            .ok_or_else(|| format!("token endpoint refused the assertion ({status}): {body}"))?
            .to_string();
        let lifetime = Duration::from_secs(body["expires_in"].as_u64().unwrap_or(3600));
        *held = Some((
            token.clone(),
            Instant::now() + lifetime.saturating_sub(RENEW_BEFORE),
        ));
        Ok(token)
    }

    async fn send(&self, message: PushMessage<'_>, token: &str) -> Result<(u16, Value), String> {
        let url = format!(
            "{}/v1/projects/{}/messages:send",
            self.base_url, self.account.project_id
        );
        let mut notification = json!({"title": message.title});
        if !message.body.is_empty() {
            notification["body"] = json!(message.body);
        }
        let body = json!({"message": {
            "token": message.token,
            "notification": notification,
            "data": message.data,
        }});
        let response = self
            .client
            .post(url)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .map_err(|error| format!("FCM unreachable: {error}"))?;
        let status = response.status().as_u16();
        let answer = response.json().await.unwrap_or(Value::Null);
        Ok((status, answer))
    }
}

#[async_trait::async_trait]
impl PushSender for Fcm {
    async fn push(&self, message: PushMessage<'_>) -> PushResult {
        let mut renew = false;
        loop {
            let token = match self.access_token(renew).await {
                Ok(token) => token,
                Err(error) => {
                    return PushResult::Failed {
                        error,
                        retryable: true,
                    }
                }
            };
            let (status, answer) = match self.send(message, &token).await {
                Ok(answer) => answer,
                Err(error) => {
                    return PushResult::Failed {
                        error,
                        retryable: true,
                    }
                }
            };
            // An access token revoked before its time: one more try with a new one.
            if status == 401 && !renew {
                renew = true;
                continue;
            }
            return outcome(status, &answer);
        }
    }
}

/// The result FCM's answer means.
fn outcome(status: u16, answer: &Value) -> PushResult {
    if (200..300).contains(&status) {
        return PushResult::Sent(answer["name"].as_str().unwrap_or_default().to_string());
    }
    let error = &answer["error"];
    let code = error["details"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|detail| detail["errorCode"].as_str())
        .or_else(|| error["status"].as_str())
        .unwrap_or("UNKNOWN");
    let message = error["message"].as_str().unwrap_or_default();
    match code {
        "UNREGISTERED" | "NOT_FOUND" => PushResult::Unregistered(code.to_string()),
        _ => PushResult::Failed {
            error: format!("FCM answered {status} {code}: {message}"),
            retryable: status == 429 || status >= 500,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_results() {
        assert_eq!(
            outcome(200, &json!({"name": "projects/p/messages/1"})),
            PushResult::Sent("projects/p/messages/1".into())
        );
        let unregistered = json!({"error": {"code": 404, "status": "NOT_FOUND", "message": "gone",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}});
        assert_eq!(
            outcome(404, &unregistered),
            PushResult::Unregistered("UNREGISTERED".into())
        );
        let overloaded =
            json!({"error": {"code": 503, "status": "UNAVAILABLE", "message": "busy"}});
        assert_eq!(
            outcome(503, &overloaded),
            PushResult::Failed {
                error: "FCM answered 503 UNAVAILABLE: busy".into(),
                retryable: true
            }
        );
        let invalid =
            json!({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad data"}});
        assert!(matches!(
            outcome(400, &invalid),
            PushResult::Failed {
                retryable: false,
                ..
            }
        ));
    }
}
