//! What the processing pipeline records on a conversation: the result of a run, or its failure. Only the
//! processing reaction sends these; it runs them through the bus itself and settles refusals (see
//! `crate::reactions`).

use chrono::{DateTime, Utc};
use omi_domain::conversation::{ConversationCommand, ExtractedMemory, Structured};
use omi_domain::trend::TrendMention;

/// The command that records run `run`'s result (with the trend mentions it found), its action items and
/// memories already published to the standalone lists, and the folder a conversation in none goes to.
pub fn completed(
    run: u32,
    structured: Structured,
    discarded: bool,
    memories: Vec<ExtractedMemory>,
    trends: Vec<TrendMention>,
    folder_id: Option<String>,
    at: DateTime<Utc>,
) -> ConversationCommand {
    ConversationCommand::CompleteProcessing {
        run,
        structured,
        discarded,
        memories,
        trends,
        published: true,
        folder_id,
        at,
    }
}

/// The command that records that run `run` failed, and why.
pub fn failed(run: u32, reason: String, at: DateTime<Utc>) -> ConversationCommand {
    ConversationCommand::FailProcessing { run, reason, at }
}
