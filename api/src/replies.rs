//! The small answers that several doors give: `{"status": "ok"}` and `{"success": true}`.

use schemars::JsonSchema;
use serde::Serialize;

/// `{"status": "ok"}` (or `"Ok"`, as some of the reference's routes spell it).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Status {
    #[schemars(extend("enum" = ["ok", "Ok"]))]
    pub status: &'static str,
}

impl Status {
    /// `{"status": "ok"}`.
    pub fn ok() -> Self {
        Self { status: "ok" }
    }

    /// `{"status": "Ok"}`, as the reference's conversation edits spell it.
    pub fn ok_capitalized() -> Self {
        Self { status: "Ok" }
    }
}

/// `{"success": true}`, the developer API's and MCP's answer to deletes and edits.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Success {
    pub success: bool,
}

impl Success {
    /// `{"success": true}`.
    pub fn yes() -> Self {
        Self { success: true }
    }
}
