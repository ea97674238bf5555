//! `GET /health`: whether the server answers and its read models keep up. Counts only: what was parked and why
//! is for operators (`omi-server parked list`), not for anyone who can reach the port.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::read_models::read_model_status;
use crate::state::AppState;

/// 200 with `status` `ok`, or `degraded` while any read model has parked events; 503 when the store cannot be
/// read.
pub(crate) async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match read_model_status(&state).await {
        Ok(models) => {
            let parked: i64 = models.iter().map(|m| m.parked).sum();
            let status = if parked > 0 { "degraded" } else { "ok" };
            (
                StatusCode::OK,
                Json(json!({ "status": status, "parked_events": parked, "read_models": models })),
            )
        }
        Err(error) => {
            tracing::error!(%error, "health: the store cannot be read");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "detail": "The store cannot be read" })),
            )
        }
    }
}
