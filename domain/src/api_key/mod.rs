//! API keys for scripts and assistants: developer keys (`omi_dev_`) with scopes and MCP keys (`omi_mcp_`)
//! (spec §1.3, §7.4, §7.5). The raw key is shown once; the stream keeps only its SHA-256 hash.

mod aggregate;
mod commands;
mod events;
mod values;

pub use aggregate::ApiKey;
pub use commands::ApiKeyCommand;
pub use events::ApiKeyEvent;
pub use values::{KeyFamily, Scope, READ_ONLY_SCOPES};
