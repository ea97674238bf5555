//! MCP for Omi (spec §7.5): the REST data API under `/v1/mcp/*`, the MCP server over Streamable HTTP and the
//! legacy HTTP+SSE transport, and `omi-server mcp` over stdio — all authenticated by `omi_mcp_` keys, which
//! act for their user and are the actor of every write.
//!
//! The transports are implemented here on axum rather than with rmcp's server transports: MCP keys go through
//! the same [`key_auth::mcp`] middleware (hints for other token families, rate limits, revocation at once) as
//! the REST API, sessions belong to the user whose key opened them (403 for another user's), requests without
//! a session are served (as Omi's server does), batches and the legacy transport are spoken, and the answers
//! are the spec's. The protocol itself uses rmcp's model types (`Tool`, `CallToolResult`, `InitializeResult`,
//! `ErrorData`), and the tools' input schemas are derived with schemars.

mod http;
mod protocol;
mod rest;
mod sessions;
mod shapes;
pub mod stdio;
mod tools;

use axum::routing::get;
use axum::{middleware, Extension, Router};

use crate::key_auth;
use crate::state::AppState;

pub use protocol::{PROTOCOL_VERSION, SERVER_NAME};

/// The MCP routes: everything behind MCP key authentication except `/v1/mcp/sse/info`.
pub fn router(state: AppState) -> Router<AppState> {
    let authenticated = Router::new()
        .merge(rest::router())
        .merge(http::router())
        .route_layer(middleware::from_fn_with_state(state, key_auth::mcp))
        .layer(Extension(sessions::Sessions::default()));
    Router::new()
        .route("/v1/mcp/sse/info", get(http::info))
        .merge(authenticated)
}
