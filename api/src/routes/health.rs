//! `GET /health`: whether the server answers and its read models keep up. Counts only: what was parked and why
//! is for operators (`omi-server parked list`), not for anyone who can reach the port.

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi::{Operation, Response as DocumentedResponse, StatusCode as DocumentedStatus};
use aide::OperationOutput;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use schemars::JsonSchema;
use serde::Serialize;

use crate::openapi::{json_response, output_schema};
use crate::read_models::{read_model_status, ReadModelStatus};
use crate::state::AppState;

/// The routes of this module.
pub(crate) fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/health",
        get_with(health, |op| {
            op.summary("Liveness, and each read model's lag and parked events")
                .tag("server")
        }),
    )
}

/// The server's standing.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Health {
    /// `ok`, or `degraded` while any read model has parked events.
    status: HealthStatus,
    /// Events parked by all read models together.
    parked_events: i64,
    read_models: Vec<ReadModelStatus>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum HealthStatus {
    Ok,
    Degraded,
}

/// The answer when the store cannot be read.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Unavailable {
    status: UnavailableStatus,
    detail: String,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum UnavailableStatus {
    Unavailable,
}

/// 200 with [`Health`], or 503 with [`Unavailable`].
pub(crate) enum HealthAnswer {
    Standing(Health),
    Unavailable(Unavailable),
}

impl IntoResponse for HealthAnswer {
    fn into_response(self) -> Response {
        match self {
            HealthAnswer::Standing(health) => (StatusCode::OK, Json(health)).into_response(),
            HealthAnswer::Unavailable(answer) => {
                (StatusCode::SERVICE_UNAVAILABLE, Json(answer)).into_response()
            }
        }
    }
}

impl OperationOutput for HealthAnswer {
    type Inner = Health;

    fn inferred_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, DocumentedResponse)> {
        vec![
            (
                Some(DocumentedStatus::Code(200)),
                json_response("The server answers", output_schema::<Health>(ctx)),
            ),
            (
                Some(DocumentedStatus::Code(503)),
                json_response(
                    "The store cannot be read",
                    output_schema::<Unavailable>(ctx),
                ),
            ),
        ]
    }
}

/// 200 with `status` `ok`, or `degraded` while any read model has parked events; 503 when the store cannot be
/// read.
pub(crate) async fn health(State(state): State<AppState>) -> HealthAnswer {
    match read_model_status(&state).await {
        Ok(models) => {
            let parked: i64 = models.iter().map(|m| m.parked).sum();
            let status = if parked > 0 {
                HealthStatus::Degraded
            } else {
                HealthStatus::Ok
            };
            HealthAnswer::Standing(Health {
                status,
                parked_events: parked,
                read_models: models,
            })
        }
        Err(error) => {
            tracing::error!(%error, "health: the store cannot be read");
            HealthAnswer::Unavailable(Unavailable {
                status: UnavailableStatus::Unavailable,
                detail: "The store cannot be read".into(),
            })
        }
    }
}
