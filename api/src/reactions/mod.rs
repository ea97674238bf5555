//! The reactions of the server: the processing pipeline (a conversation asked to be processed → the language
//! model's structure, or a failure) and the sync of a processed conversation into the standalone action-item
//! and memory lists. The runtime that runs them is `omi_commands::reactions`.

mod processing;
mod sync;

use std::sync::Arc;

use omi_commands::reactions::{self, ReactionError};
use omi_commands::{CommandBus, CommandError};
use omi_domain::DomainError;
use omi_projections::Projector;
use omi_services::llm::LanguageModel;
use omi_store::{Database, RecordedEvent};

pub use processing::Processing;
pub use sync::{ConversationSync, Publisher};

/// Starts every reaction of the server.
pub async fn spawn_all(
    database: &Database,
    commands: &CommandBus,
    projector: &Arc<Projector>,
    model: Arc<dyn LanguageModel>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, omi_store::SqlError> {
    let publisher = Arc::new(Publisher::new(
        database.clone(),
        commands.clone(),
        Arc::clone(projector),
    ));
    Ok(vec![
        reactions::spawn(
            database.clone(),
            Arc::new(Processing::new(
                database.clone(),
                commands.clone(),
                model,
                Arc::clone(&publisher),
            )),
        )
        .await?,
        reactions::spawn(database.clone(), Arc::new(ConversationSync::new(publisher))).await?,
    ])
}

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
