//! Sends one attempt of a delivery: an HTTP POST with the Standard Webhooks headers, within the delivery's
//! timeout, never to a refused address (unless the sender was built to allow private ones, for tests on one
//! machine) and never following a redirect (a 3xx is a failed attempt, so a redirect cannot lead elsewhere).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::signature::sign;
use crate::outbound::is_public;

/// How much of a response is read (for its `message`).
const RESPONSE_LIMIT: usize = 64 * 1024;

/// One attempt to send.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The idempotency key (`webhook-id`).
    pub id: &'a str,
    pub url: &'a str,
    pub secret: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
    pub timeout: Duration,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The receiver's status, if it answered.
    pub status_code: Option<u16>,
    /// Why there was no answer (or why a request was not made).
    pub error: Option<String>,
    /// The answer's `message` when it has more than 5 characters (spec §5.2, §5.4).
    pub message: Option<String>,
    pub duration: Duration,
}

impl Attempt {
    /// A 2xx answer.
    pub fn delivered(&self) -> bool {
        self.status_code
            .is_some_and(|code| (200..300).contains(&code))
    }
}

/// Posts webhook attempts; cheap to clone.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl Sender {
    /// A sender that refuses private addresses unless `allow_private` (`OMI_WEBHOOK_ALLOW_PRIVATE=1`).
    pub fn new(allow_private: bool) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .connect_timeout(Duration::from_secs(10))
            .user_agent("omi-server-webhooks")
            .build()?;
        Ok(Self {
            client,
            allow_private,
        })
    }

    /// Sends one attempt, signed with the time of sending.
    pub async fn send(&self, request: &Request<'_>, now_unix: i64) -> Attempt {
        let started = Instant::now();
        let failed = |error: String| Attempt {
            status_code: None,
            error: Some(error),
            message: None,
            duration: started.elapsed(),
        };
        let url = match reqwest::Url::parse(request.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => url,
            _ => return failed("the URL is not an http(s) URL".into()),
        };
        // A literal address is not resolved, so the resolver cannot refuse it: it is checked here.
        let literal = url
            .host_str()
            .map(|host| host.trim_start_matches('[').trim_end_matches(']'))
            .and_then(|host| host.parse::<IpAddr>().ok());
        if let Some(ip) = literal {
            if !self.allow_private && !is_public(ip) {
                return failed(refused(ip));
            }
        }
        let signature = match sign(request.secret, request.id, now_unix, request.body) {
            Ok(signature) => signature,
            Err(error) => return failed(error.to_string()),
        };
        let sent = self
            .client
            .post(url)
            .timeout(request.timeout)
            .header("content-type", request.content_type)
            .header("webhook-id", request.id)
            .header("webhook-timestamp", now_unix.to_string())
            .header("webhook-signature", signature)
            .body(request.body.to_vec())
            .send()
            .await;
        let mut response = match sent {
            Ok(response) => response,
            Err(error) => return failed(describe(&error)),
        };
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while body.len() < RESPONSE_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        Attempt {
            status_code: Some(status),
            error: None,
            message: message_of(&body),
            duration: started.elapsed(),
        }
    }
}

/// The `message` of a JSON answer, when it has more than 5 characters.
fn message_of(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = value.get("message")?.as_str()?.trim();
    (message.chars().count() > 5 && !message.contains('\0')).then(|| message.to_string())
}

fn refused(ip: IpAddr) -> String {
    format!("refused: {ip} is not a public address (set OMI_WEBHOOK_ALLOW_PRIVATE=1 to allow it)")
}

/// The whole chain of causes of a failed request, which reqwest hides behind "error sending request".
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".into();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Resolves host names and drops the refused addresses; a name with only refused addresses fails to resolve.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|address| allow_private || is_public(address.ip()))
                .collect();
            if allowed.is_empty() {
                let error: Box<dyn std::error::Error + Send + Sync> = match found.first() {
                    Some(address) => refused(address.ip()).into(),
                    None => format!("{host} does not resolve").into(),
                };
                return Err(error);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(url: &str) -> Request<'_> {
        Request {
            id: "msg_1",
            url,
            secret: "whsec_c2VjcmV0",
            content_type: "application/json",
            body: b"{}",
            timeout: Duration::from_secs(2),
        }
    }

    #[tokio::test]
    async fn loopback_is_refused_by_address_and_by_name_without_the_setting() {
        let sender = Sender::new(false).unwrap();
        for url in [
            "http://127.0.0.1:9/hook",
            "http://[::1]:9/hook",
            "http://localhost:9/hook",
        ] {
            let attempt = sender.send(&request(url), 1).await;
            assert_eq!(attempt.status_code, None, "{url}");
            let error = attempt.error.unwrap();
            assert!(error.contains("refused"), "{url}: {error}");
        }
    }

    #[test]
    fn only_a_message_longer_than_five_characters_is_kept() {
        assert_eq!(message_of(br#"{"message": "hello"}"#), None);
        assert_eq!(
            message_of(br#"{"message": "hello there"}"#),
            Some("hello there".into())
        );
        assert_eq!(message_of(b"not json"), None);
    }
}
