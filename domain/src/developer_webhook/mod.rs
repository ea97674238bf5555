//! A user's developer webhooks (spec §5.4, §7.10 `developer/webhook*`): for each [`WebhookType`] the URL the
//! server posts to, its `whsec_` signing secret (issued when a URL is first set) and the on/off toggle. The stream
//! id is the user id.

mod aggregate;
mod commands;
mod events;

pub use aggregate::{DeveloperWebhook, DeveloperWebhooks, DEFAULT_AUDIO_SECONDS};
pub use commands::DeveloperWebhooksCommand;
pub use events::DeveloperWebhooksEvent;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a developer webhook is told of (spec §5.4 `WebhookType`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WebhookType {
    /// A conversation was processed (and not discarded): the full conversation.
    MemoryCreated,
    /// New live transcript segments.
    RealtimeTranscript,
    /// Raw audio of a live capture.
    AudioBytes,
    /// A daily summary was written.
    DaySummary,
}

impl WebhookType {
    /// Every type, in the order the status answer lists them.
    pub const ALL: [WebhookType; 4] = [
        WebhookType::AudioBytes,
        WebhookType::MemoryCreated,
        WebhookType::RealtimeTranscript,
        WebhookType::DaySummary,
    ];

    /// The spelling of the spec (`memory_created` …).
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookType::MemoryCreated => "memory_created",
            WebhookType::RealtimeTranscript => "realtime_transcript",
            WebhookType::AudioBytes => "audio_bytes",
            WebhookType::DaySummary => "day_summary",
        }
    }

    /// The type spelled `text`, if there is one.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|wtype| wtype.as_str() == text)
    }
}

/// Whether `url` as sent by a client turns the webhook off (the spec's `""` and `","`).
pub fn clears(url: &str) -> bool {
    matches!(url.trim(), "" | ",")
}
