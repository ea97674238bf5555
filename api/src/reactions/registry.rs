//! The one list of reactions: start-up enrols and runs every reaction listed here, so a new reaction is its
//! module plus one line in [`registry()`].

use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{self, Reaction};
use omi_commands::schedules::{self, Schedule};
use omi_commands::CommandBus;
use omi_projections::Projector;
use omi_services::embeddings::Embedder;
use omi_services::llm::LanguageModel;
use omi_services::push::PushSender;
use omi_store::Database;

use super::{
    AppWebhookScheduling, ConversationEmbeddings, ConversationSync, DailySummarySchedule,
    DeveloperWebhookScheduling, EmbeddingBackfill, FolderCleanup, MemoryEmbeddings,
    NotificationPush, Processing, Publisher, SummarizationApps, WebhookMessages, WrappedGeneration,
};
use crate::state::AppState;

/// Every reaction of the server, built over the store, the bus, the read models it waits on and the language
/// model: the processing pipeline and the sync of results written by earlier versions, sharing one publisher; the
/// push of notifications through `push` (none: notifications are only recorded); and, with an embeddings server,
/// the embedding of conversations and memories.
pub fn registry(
    database: &Database,
    commands: &CommandBus,
    projector: &Arc<Projector>,
    model: Arc<dyn LanguageModel>,
    embedder: Option<Arc<dyn Embedder>>,
    push: Option<Arc<dyn PushSender>>,
) -> Vec<Arc<dyn Reaction>> {
    let publisher = Arc::new(Publisher::new(
        database.clone(),
        commands.clone(),
        Arc::clone(projector),
    ));
    let mut reactions: Vec<Arc<dyn Reaction>> = vec![
        Arc::new(Processing::new(
            database.clone(),
            commands.clone(),
            Arc::clone(&model),
            Arc::clone(&publisher),
        )),
        Arc::new(ConversationSync::new(publisher)),
        Arc::new(SummarizationApps::new(
            database.clone(),
            commands.clone(),
            Arc::clone(projector),
            Arc::clone(&model),
        )),
        Arc::new(WrappedGeneration::new(
            database.clone(),
            commands.clone(),
            model,
        )),
        Arc::new(FolderCleanup::new(
            database.clone(),
            commands.clone(),
            Arc::clone(projector),
        )),
        Arc::new(NotificationPush::new(
            database.clone(),
            commands.clone(),
            Arc::clone(projector),
            push,
        )),
        Arc::new(DeveloperWebhookScheduling::new(
            database.clone(),
            commands.clone(),
            Arc::clone(projector),
        )),
        Arc::new(AppWebhookScheduling::new(
            database.clone(),
            commands.clone(),
            Arc::clone(projector),
        )),
        Arc::new(WebhookMessages::new(
            database.clone(),
            commands.clone(),
            Arc::clone(projector),
        )),
    ];
    // Without an embeddings server nothing is embedded, and the log is not read for it. Once one is configured,
    // these start at the head of the log, and the embeddings backfill embeds what came before.
    if let Some(embedder) = embedder {
        reactions.push(Arc::new(ConversationEmbeddings::new(
            database.clone(),
            commands.clone(),
            Arc::clone(projector),
            Arc::clone(&embedder),
        )));
        reactions.push(Arc::new(MemoryEmbeddings::new(commands.clone(), embedder)));
    }
    reactions
}

/// Enrols every reaction of the [`registry()`] (one that has never run starts at the head of the log as it is
/// now) and starts it. Call it before serving, so that nothing a request appends falls before a new reaction's
/// start.
pub async fn spawn_all(
    database: &Database,
    commands: &CommandBus,
    projector: &Arc<Projector>,
    model: Arc<dyn LanguageModel>,
    embedder: Option<Arc<dyn Embedder>>,
    push: Option<Arc<dyn PushSender>>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, omi_store::SqlError> {
    let mut running = Vec::new();
    for reaction in registry(database, commands, projector, model, embedder, push) {
        running.push(reactions::spawn(database.clone(), reaction).await?);
    }
    Ok(running)
}

/// How often the embeddings backfill takes its next batches.
const EMBEDDING_BACKFILL_TICK: Duration = Duration::from_secs(2);

/// Every scheduled reaction of the server: the daily summaries, ticking every `OMI_DAILY_SUMMARY_TICK_SECS`, and
/// with an embeddings server the embeddings backfill.
pub fn schedules(state: &AppState) -> Vec<Arc<dyn Schedule>> {
    let mut schedules: Vec<Arc<dyn Schedule>> = vec![Arc::new(DailySummarySchedule::new(
        state.database.clone(),
        state.commands.clone(),
        state.model.clone(),
        state.clock,
        state.config.daily_summary_tick,
    ))];
    if let Some(embedder) = &state.embedder {
        schedules.push(Arc::new(EmbeddingBackfill::new(
            state.database.clone(),
            state.commands.clone(),
            embedder.clone(),
            EMBEDDING_BACKFILL_TICK,
        )));
    }
    schedules
}

/// Starts every scheduled reaction of [`schedules()`]; each runs in one process at a time.
pub fn spawn_schedules(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    schedules(state)
        .into_iter()
        .map(|schedule| schedules::spawn(state.database.clone(), schedule))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use omi_commands::{Actor, Metadata};
    use omi_domain::memory::{Memory, MemoryCategory, MemoryCommand, Visibility};
    use omi_services::llm::Extractive;
    use omi_store::load_checkpoint;

    use super::*;

    async fn database() -> (Database, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("omi-reactions-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        (Database::open(None, &dir, 4).await.unwrap(), dir)
    }

    #[tokio::test]
    async fn start_up_enrols_every_registered_reaction_at_the_head_of_the_log() {
        let (database, dir) = database().await;
        let commands = CommandBus::new(database.clone());
        let projector = Projector::new(database.clone(), omi_projections::registry());
        let registered = registry(
            &database,
            &commands,
            &projector,
            Arc::new(Extractive),
            None,
            None,
        );
        let mut names = HashSet::new();
        for reaction in &registered {
            let name = reaction.name();
            assert!(!name.is_empty(), "a reaction without a name");
            assert!(!reaction.reads().is_empty(), "{name} reads nothing");
            assert!(names.insert(name), "{name} is registered twice");
        }
        // History before the reactions start: a new reaction acts on what happens from now on.
        let create = MemoryCommand::CreateMemory {
            uid: "u".into(),
            content: "likes tea".into(),
            category: MemoryCategory::Interesting,
            visibility: Visibility::Private,
            tags: vec![],
            manually_added: true,
            conversation_id: None,
            app_id: None,
            at: chrono::Utc::now(),
        };
        let head = commands
            .create::<Memory>("m1", create, &Metadata::new("u", Actor::User, "test"))
            .await
            .unwrap()
            .position
            .unwrap();

        let running = spawn_all(
            &database,
            &commands,
            &projector,
            Arc::new(Extractive),
            None,
            None,
        )
        .await
        .unwrap();
        assert_eq!(running.len(), registered.len(), "every reaction runs");
        let mut conn = database.pool().acquire().await.unwrap();
        for name in &names {
            // The stored checkpoint name: renaming it would start the reaction over at the head, skipping events.
            let checkpoint = load_checkpoint(&mut conn, &format!("reaction:{name}"))
                .await
                .unwrap();
            assert_eq!(
                checkpoint, head,
                "{name} is enrolled at the head of the log"
            );
        }
        drop(conn);

        for task in running {
            task.abort();
        }
        database.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
