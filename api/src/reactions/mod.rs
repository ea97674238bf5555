//! The reactions of the server: the processing pipeline (a conversation asked to be processed → the language
//! model's structure, or a failure) and the sync of a processed conversation into the standalone action-item
//! and memory lists, both listed once in [`registry()`]; and the scheduled ones (the daily summaries), listed in
//! [`schedules()`]. The runtime that runs them is `omi_commands::reactions`.

mod app_webhooks;
mod daily_summaries;
pub mod deliveries;
mod embedding_backfill;
mod embeddings;
mod folders;
mod memory_embeddings;
mod notifications;
mod processing;
mod registry;
mod summarization_apps;
mod sync;
mod webhook_messages;
mod webhooks;
mod wrapped;

use omi_commands::reactions::ReactionError;
use omi_commands::CommandError;
use omi_domain::DomainError;
use omi_store::RecordedEvent;

pub use app_webhooks::AppWebhookScheduling;
pub use daily_summaries::DailySummarySchedule;
pub use embedding_backfill::EmbeddingBackfill;
pub use embeddings::ConversationEmbeddings;
pub use folders::FolderCleanup;
pub use memory_embeddings::MemoryEmbeddings;
pub use notifications::NotificationPush;
pub use processing::Processing;
pub use registry::{registry, schedules, spawn_all, spawn_schedules};
pub use summarization_apps::SummarizationApps;
pub use sync::{ConversationSync, Publisher};
pub use webhook_messages::WebhookMessages;
pub use webhooks::DeveloperWebhookScheduling;
pub use wrapped::WrappedGeneration;

/// The id a reaction's commands name as their cause.
fn event_id(event: &RecordedEvent) -> String {
    format!("{}#{}", event.aggregate_id, event.sequence)
}

/// A refused command is an outcome (the state moved on, or its events cannot be stored), not a failure to retry;
/// anything else is retried.
fn settle<E>(result: Result<E, CommandError<DomainError>>) -> Result<Option<E>, ReactionError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(CommandError::Domain(error)) => {
            tracing::info!(%error, "reaction command refused; the state moved on");
            Ok(None)
        }
        // Retrying would refuse it again forever and hold the reaction back for every user.
        Err(CommandError::Unstorable(reason)) => {
            tracing::error!(%reason, "reaction command refused: its events cannot be stored");
            Ok(None)
        }
        Err(other) => Err(ReactionError(other.to_string())),
    }
}
