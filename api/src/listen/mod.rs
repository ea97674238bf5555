//! `WS /v4/listen`: live capture (spec §4). Authentication and parameters are checked on the upgrade request;
//! failures are reported as WebSocket close codes, as clients expect.

mod audio_chunks;
mod messages;
mod params;
mod session;
pub mod sweep;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};

pub use params::ListenParams;

use crate::error::ApiError;
use crate::extract::QueryPairs;
use crate::request_id::RequestId;
use crate::state::AppState;

/// How much the WebSocket reads from the connection at once. Devices send small frames (20–60 ms of audio, a
/// few hundred bytes to a few KB; larger messages are still read whole, in several reads), and tungstenite
/// zero-fills this much of its buffer before every read: its default of 128 KiB cost a 128 KiB `memset` per
/// audio frame. The buffer is allocated with the session and held while it lasts, idle or not, so it is a large
/// part of what an idle session costs (P5 in BENCHMARKS.md).
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/v4/listen", get(listen))
}

async fn listen(
    State(state): State<AppState>,
    headers: HeaderMap,
    Extension(request_id): Extension<RequestId>,
    QueryPairs(pairs): QueryPairs,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return ApiError::BadRequest(rejection.body_text()).into_response(),
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default());
    let auth = state.auth.authenticate(authorization).await;
    let refused = match &auth {
        Ok(uid) => crate::erasure::refuse_erased(&state.database, uid)
            .await
            .err(),
        Err(_) => None,
    };
    let params = ListenParams::parse(&pairs, state.config.min_conversation_timeout);
    // Counted from here: between the answer and the session's start the connection is no longer an HTTP one.
    let open = state.connections.websocket_opened();
    upgrade.read_buffer_size(READ_BUFFER_BYTES).on_upgrade(move |mut socket| async move {
        let _open = open;
        match (auth, params) {
            (Err(error), _) => session::close(&mut socket, error.ws_close_code(), &error.to_string()).await,
            (Ok(_), _) if refused.is_some() => {
                let reason = refused.map(|error| error.to_string()).unwrap_or_default();
                session::close(&mut socket, session::POLICY, &reason).await
            }
            (Ok(_), Err(reason)) => session::close(&mut socket, session::POLICY, &reason).await,
            (Ok(uid), Ok(params)) => {
                tracing::info!(%uid, codec = params.codec.as_str(), custom_stt = params.custom_stt, "listen session started");
                session::Session::new(state, uid, params, request_id.0).run(socket).await;
                tracing::info!("listen session ended");
            }
        }
    })
}
