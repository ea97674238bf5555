//! The HTTP, WebSocket and MCP surface of omi-server: the application layer (`app`), the front doors over it
//! (`routes` for the app, `developer` for `/v1/dev`, `mcp`, `listen`, `reactions`), authentication, errors,
//! configuration, and the pieces of the `omi-server` binary.

pub mod app;
pub mod auth;
pub mod change_stream;
pub mod cli;
pub mod clock;
pub mod config;
pub mod developer;
pub mod erasure;
pub mod error;
pub mod extract;
pub mod import_events;
pub mod key_auth;
pub mod key_material;
pub mod limited;
pub mod listen;
pub mod live_conversations;
pub mod log_events;
pub mod mcp;
pub mod metrics;
pub mod openapi;
pub mod parked;
pub mod policies;
pub mod rate_limit;
pub mod reactions;
pub mod read_models;
pub mod replies;
pub mod request_id;
pub mod routes;
pub mod serve;
pub mod server;
pub mod state;
pub mod time_input;
