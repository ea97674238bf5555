//! `GET /metrics` in the Prometheus text format: requests and latency per route, each read model's lag behind the
//! log and its parked events, the event log writer's batch sizes, open connections and live sessions.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi::{MediaType, Operation, Response as DocumentedResponse, StatusCode};
use aide::OperationOutput;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use indexmap::IndexMap;
use omi_commands::metrics::{append_batches, Histogram};

use crate::error::ApiError;
use crate::openapi::media;
use crate::read_models::read_model_status;
use crate::state::AppState;

/// The routes of this module.
pub(crate) fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/metrics",
        get_with(metrics, |op| {
            op.summary("Metrics in the Prometheus text format")
                .tag("server")
        }),
    )
}

/// Request latency buckets, in seconds.
const LATENCY_BOUNDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// (route template, method) → per status counts and latency.
type RouteKey = (String, &'static str);

/// Requests answered by this process, by route. Cheap to clone.
#[derive(Clone, Default)]
pub struct RequestMetrics {
    routes: Arc<Mutex<HashMap<RouteKey, RouteMetrics>>>,
}

struct RouteMetrics {
    statuses: HashMap<u16, u64>,
    latency: Histogram,
}

impl RequestMetrics {
    fn record(&self, route: String, method: &'static str, status: u16, seconds: f64) {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let entry = routes
            .entry((route, method))
            .or_insert_with(|| RouteMetrics {
                statuses: HashMap::new(),
                latency: Histogram::new(LATENCY_BOUNDS),
            });
        *entry.statuses.entry(status).or_default() += 1;
        entry.latency.observe(seconds);
    }

    fn render(&self, out: &mut String) {
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let mut keys: Vec<&RouteKey> = routes.keys().collect();
        keys.sort();
        out.push_str(
            "# HELP omi_http_requests_total HTTP requests answered, by route, method and status.\n",
        );
        out.push_str("# TYPE omi_http_requests_total counter\n");
        for key in &keys {
            let mut statuses: Vec<_> = routes[*key].statuses.iter().collect();
            statuses.sort();
            for (status, count) in statuses {
                let _ = writeln!(
                    out,
                    "omi_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\"}} {count}",
                    key.0, key.1
                );
            }
        }
        out.push_str("# HELP omi_http_request_duration_seconds Time to answer a request, by route and method.\n");
        out.push_str("# TYPE omi_http_request_duration_seconds histogram\n");
        for key in &keys {
            let labels = format!("route=\"{}\",method=\"{}\"", key.0, key.1);
            render_histogram(
                out,
                "omi_http_request_duration_seconds",
                &labels,
                &routes[*key].latency,
            );
        }
    }
}

fn render_histogram(out: &mut String, name: &str, labels: &str, histogram: &Histogram) {
    let (buckets, sum, count) = histogram.snapshot();
    let separator = if labels.is_empty() { "" } else { "," };
    for (bound, cumulative) in buckets {
        let le = if bound.is_infinite() {
            "+Inf".to_string()
        } else {
            bound.to_string()
        };
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{separator}le=\"{le}\"}} {cumulative}"
        );
    }
    let braces = if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    };
    let _ = writeln!(out, "{name}_sum{braces} {sum}");
    let _ = writeln!(out, "{name}_count{braces} {count}");
}

/// Counts and times every request under its route template (never the raw path: ids would make a series each).
pub async fn track(
    State(metrics): State<RequestMetrics>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record(
        route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The metrics in the Prometheus text exposition format 0.0.4.
pub struct Exposition(String);

impl IntoResponse for Exposition {
    fn into_response(self) -> Response {
        (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            self.0,
        )
            .into_response()
    }
}

impl OperationOutput for Exposition {
    type Inner = String;

    fn operation_response(
        _ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Option<DocumentedResponse> {
        let text: MediaType = media(schemars::json_schema!({"type": "string"}));
        Some(DocumentedResponse {
            description: "The metrics in the Prometheus text format".into(),
            content: IndexMap::from_iter([("text/plain".into(), text)]),
            ..Default::default()
        })
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<StatusCode>, DocumentedResponse)> {
        Self::operation_response(ctx, operation)
            .map(|response| (Some(StatusCode::Code(200)), response))
            .into_iter()
            .collect()
    }
}

/// `GET /metrics`; 503 when the store cannot be read.
pub async fn metrics(State(state): State<AppState>) -> Result<Exposition, ApiError> {
    let mut out = String::with_capacity(8 << 10);
    state.requests.render(&mut out);
    match read_model_status(&state).await {
        Ok(models) => {
            out.push_str("# HELP omi_read_model_lag_events Committed events a read model has not applied yet.\n");
            out.push_str("# TYPE omi_read_model_lag_events gauge\n");
            for model in &models {
                let _ = writeln!(
                    out,
                    "omi_read_model_lag_events{{read_model=\"{}\"}} {}",
                    model.name, model.lag
                );
            }
            out.push_str(
                "# HELP omi_parked_events Events a read model parked instead of applying.\n",
            );
            out.push_str("# TYPE omi_parked_events gauge\n");
            for model in &models {
                let _ = writeln!(
                    out,
                    "omi_parked_events{{read_model=\"{}\"}} {}",
                    model.name, model.parked
                );
            }
        }
        Err(error) => {
            tracing::error!(%error, "metrics: the read models' status cannot be read");
            return Err(ApiError::Unavailable("The store cannot be read".into()));
        }
    }
    out.push_str("# HELP omi_append_batch_appends Appends written together by one commit of the event log writer.\n");
    out.push_str("# TYPE omi_append_batch_appends histogram\n");
    render_histogram(&mut out, "omi_append_batch_appends", "", append_batches());
    out.push_str("# HELP omi_open_http_connections HTTP connections open on this process (WebSockets not counted).\n");
    out.push_str("# TYPE omi_open_http_connections gauge\n");
    let _ = writeln!(
        out,
        "omi_open_http_connections {}",
        state.connections.open_http()
    );
    out.push_str(
        "# HELP omi_open_websockets WebSocket sessions (/v4/listen) open on this process.\n",
    );
    out.push_str("# TYPE omi_open_websockets gauge\n");
    let _ = writeln!(
        out,
        "omi_open_websockets {}",
        state.connections.open_websockets()
    );
    out.push_str("# HELP omi_live_conversations Conversations that a /v4/listen session of this process writes into.\n");
    out.push_str("# TYPE omi_live_conversations gauge\n");
    let _ = writeln!(out, "omi_live_conversations {}", state.live.count());
    Ok(Exposition(out))
}
