//! A small HTTP client for black-box tests: every call returns a [`Response`] with the status, the headers,
//! the raw body and the body parsed as JSON.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;

use crate::openapi::ResponseCheck;

/// How long one request may take before the test fails.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// An HTTP client bound to one base URL (`http://127.0.0.1:PORT`).
///
/// `token` arguments are sent as `Authorization: Bearer <token>` (Firebase or local tokens, `omi_dev_`,
/// `omi_mcp_` and `sk_` keys alike); an empty token sends no `Authorization` header. With a
/// [`ResponseCheck`] (as [`crate::TestServer::client`] gives), every answer of [`HttpClient::request`] and its
/// shorthands is checked against the server's OpenAPI document.
#[derive(Debug, Clone)]
pub struct HttpClient {
    http: reqwest::Client,
    base_url: String,
    check: Option<Arc<ResponseCheck>>,
}

/// A plain-HTTP reqwest client with the test timeouts and no proxy.
pub fn new_reqwest_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("building the reqwest client")
}

impl HttpClient {
    /// A client for `base_url`, e.g. `http://127.0.0.1:8080` (a trailing `/` is dropped).
    pub fn new(base_url: impl Into<String>) -> HttpClient {
        HttpClient::with_client(new_reqwest_client(), base_url)
    }

    /// A client for `base_url` sharing an existing reqwest client (and its connection pool).
    pub fn with_client(http: reqwest::Client, base_url: impl Into<String>) -> HttpClient {
        let base_url = base_url.into().trim_end_matches('/').to_string();
        HttpClient {
            http,
            base_url,
            check: None,
        }
    }

    /// The same client, checking every answer against the server's OpenAPI document with `check`.
    pub fn checking(mut self, check: Option<Arc<ResponseCheck>>) -> HttpClient {
        self.check = check;
        self
    }

    /// `http://127.0.0.1:PORT`, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The underlying reqwest client, for requests the helpers do not cover (multipart, raw bodies, …);
    /// read the answer with [`Response::read`].
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.http
    }

    /// The absolute URL of `path` (`/v3/memories?limit=5`); a path that already is a URL is kept.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else if path.starts_with('/') {
            format!("{}{}", self.base_url, path)
        } else {
            format!("{}/{}", self.base_url, path)
        }
    }

    /// A request builder for `path` with the bearer token set (unless `token` is empty).
    pub fn builder(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, self.url(path));
        if token.is_empty() {
            builder
        } else {
            builder.bearer_auth(token)
        }
    }

    /// Sends `method path` with an optional JSON body.
    ///
    /// # Panics
    /// When the request cannot be sent or answered (connection refused, timeout, …), or with a
    /// [`ResponseCheck`] when the answer breaks the server's OpenAPI document; HTTP error statuses do not panic.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Response {
        let mut builder = self.builder(method.clone(), path, token);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        let response = send(method, &self.url(path), builder).await;
        if let Some(check) = &self.check {
            check.verify(&self.http, &self.base_url, &response).await;
        }
        response
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: &str, json: Value) -> Response {
        self.request(Method::POST, path, token, Some(json)).await
    }

    pub async fn put(&self, path: &str, token: &str, json: Value) -> Response {
        self.request(Method::PUT, path, token, Some(json)).await
    }

    pub async fn patch(&self, path: &str, token: &str, json: Value) -> Response {
        self.request(Method::PATCH, path, token, Some(json)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, token, None).await
    }
}

/// Sends a prepared request and reads the answer.
///
/// # Panics
/// When the request cannot be sent or answered.
pub async fn send(method: Method, url: &str, builder: reqwest::RequestBuilder) -> Response {
    match builder.send().await {
        Ok(response) => Response::read(method, response).await,
        Err(e) => panic!("{method} {url}: request failed: {e}"),
    }
}

/// An HTTP answer, fully read.
#[derive(Debug, Clone)]
pub struct Response {
    /// The request's method, for messages.
    pub method: Method,
    /// The request's URL, for messages.
    pub url: String,
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as text (lossy UTF-8).
    pub text: String,
    /// The body parsed as JSON; `Value::Null` when it is empty or not JSON.
    pub json: Value,
}

impl Response {
    /// Reads a reqwest response to the end.
    ///
    /// # Panics
    /// When the body cannot be read.
    pub async fn read(method: Method, response: reqwest::Response) -> Response {
        let url = response.url().to_string();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: reading the body failed: {e}"));
        Response::from_parts(method, url, status, headers, &bytes)
    }

    /// Builds a response from its parts (the JSON is parsed from `body`).
    pub fn from_parts(
        method: Method,
        url: String,
        status: u16,
        headers: HeaderMap,
        body: &[u8],
    ) -> Response {
        let text = String::from_utf8_lossy(body).into_owned();
        let json = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::Null)
        };
        Response {
            method,
            url,
            status,
            headers,
            text,
            json,
        }
    }

    /// A header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Panics (showing the request and the body) unless the status is `expected`.
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Response {
        assert!(
            self.status == expected,
            "{} {}: expected status {expected}, got {}; body: {}",
            self.method,
            self.url,
            self.status,
            self.text
        );
        self
    }

    /// Panics (showing the request and the body) unless the status is 2xx.
    #[track_caller]
    pub fn assert_success(&self) -> &Response {
        assert!(
            self.is_success(),
            "{} {}: expected a 2xx status, got {}; body: {}",
            self.method,
            self.url,
            self.status,
            self.text
        );
        self
    }
}

/// `response["field"]` reads the JSON body (`Value::Null` when absent).
impl std::ops::Index<&str> for Response {
    type Output = Value;
    fn index(&self, key: &str) -> &Value {
        &self.json[key]
    }
}

/// `response[0]` reads the JSON body (`Value::Null` when absent).
impl std::ops::Index<usize> for Response {
    type Output = Value;
    fn index(&self, index: usize) -> &Value {
        &self.json[index]
    }
}
