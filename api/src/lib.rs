//! The HTTP, WebSocket and MCP surface of omi-server.

pub mod auth;
