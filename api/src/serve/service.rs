//! The application as hyper sees it on one connection: each request gets a body deadline, and a response is
//! counted as in flight until it has been written.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::{Json, Router};
use hyper::body::Incoming;
use serde_json::json;
use tokio::time::Instant;
use tower_service::Service as _;

use super::activity::Activity;
use super::body::{Deadline, Tracked};

/// The router, serving one connection.
#[derive(Clone)]
pub struct ConnectionService {
    pub app: Router,
    pub activity: Arc<Activity>,
    /// How long a request's body may take to arrive, from the end of its headers.
    pub body_timeout: Duration,
}

impl hyper::service::Service<Request<Incoming>> for ConnectionService {
    type Response = Response<Tracked<Body>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.activity.request_started();
        let expired = Arc::new(AtomicBool::new(false));
        let deadline = Instant::now() + self.body_timeout;
        let request = request.map(|body| Body::new(Deadline::new(body, deadline, expired.clone())));
        let mut app = self.app.clone();
        let activity = self.activity.clone();
        Box::pin(async move {
            let response = match app.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let response = if expired.load(Ordering::Acquire) {
                body_too_slow()
            } else {
                response
            };
            Ok(response.map(|body| Tracked::new(body, activity)))
        })
    }
}

/// The answer to a request whose body did not arrive in time; the connection is closed after it.
fn body_too_slow() -> Response<Body> {
    (
        StatusCode::REQUEST_TIMEOUT,
        [(header::CONNECTION, HeaderValue::from_static("close"))],
        Json(json!({ "detail": "The request body did not arrive in time" })),
    )
        .into_response()
}
