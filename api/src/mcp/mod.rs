//! MCP for Omi (spec §7.5): the REST data API under `/v1/mcp/*`, the MCP server over Streamable HTTP and the
//! legacy HTTP+SSE transport, and `omi-server mcp` over stdio — all authenticated by `omi_mcp_` keys, which
//! act for their user and are the actor of every write.
//!
//! The transports are implemented here on axum rather than with rmcp's server transports: MCP keys go through
//! the same key authentication as the REST API ([`behind_key`]: hints for other token families, rate limits,
//! revocation at once), sessions belong to the user whose key opened them (403 for another user's), requests without
//! a session are served (as Omi's server does), batches and the legacy transport are spoken, and the answers
//! are the spec's. The protocol itself uses rmcp's model types (`Tool`, `CallToolResult`, `InitializeResult`,
//! `ErrorData`), and the tools' input schemas are derived with schemars.

mod answers;
mod http;
mod protocol;
mod rest;
mod sessions;
mod shapes;
pub mod stdio;
mod tools;

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use axum::Extension;
use omi_domain::api_key::KeyFamily;

use crate::key_auth::behind_key;
use crate::state::AppState;

pub use protocol::{PROTOCOL_VERSION, SERVER_NAME};

/// The MCP routes, tagged `mcp`: everything behind MCP key authentication except `/v1/mcp/sse/info`.
pub fn router(state: AppState) -> ApiRouter<AppState> {
    let keyed = ApiRouter::new().merge(rest::router()).merge(http::router());
    let authenticated =
        behind_key(keyed, state, KeyFamily::Mcp).layer(Extension(sessions::Sessions::default()));
    ApiRouter::new()
        .api_route(
            "/v1/mcp/sse/info",
            get_with(http::info, |op| op.summary("How to connect an MCP client")),
        )
        .merge(authenticated)
        .with_path_items(|item| item.tag("mcp"))
}
