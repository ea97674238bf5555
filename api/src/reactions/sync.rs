//! Keeps the standalone lists in step with processed conversations (spec §2.3, §3.3): a processed conversation's
//! action items and memories replace the ones of its earlier result (removed when it was discarded), so
//! reprocessing never duplicates them.
//!
//! The processing pipeline publishes a result this way *before* it records the conversation as processed
//! ([`publish`]), so that once a conversation reads `completed` (and before a listen session sends
//! `memory_created`) its action items and memories are already in `/v1/action-items` and `/v1/memories`. The
//! [`ConversationSync`] reaction publishes the results of events written by earlier versions, which recorded the
//! conversation first.

use crate::time_input::now;
use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::action_item::ActionItem;
use omi_domain::conversation::{ConversationEvent, ExtractedMemory, Structured};
use omi_domain::memory::{memory_id, Memory};
use omi_projections::action_items::{self, ActionItemFilter};
use omi_projections::{memories, Projector};
use omi_store::{Database, LogPosition, RecordedEvent, StoredEvent};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::{event_id, settle};
use crate::app::{action_items as app_items, memories as app_memories};

/// How long publishing waits for the read models it reads.
const CATCH_UP: Duration = Duration::from_secs(30);

/// What publishes results: the store, the bus and the read models to read the previous result from.
pub struct Publisher {
    database: Database,
    commands: CommandBus,
    projector: Arc<Projector>,
    /// The last position this publisher wrote: the read models must show it before the next one reads them.
    written: Mutex<LogPosition>,
}

/// One processed result to publish.
pub struct Publication<'a> {
    pub uid: &'a str,
    pub conversation_id: &'a str,
    /// Where the request for this result stands in the log: the read models must have applied it.
    pub after: LogPosition,
    /// Seeds the ids of the created items: handling the same result again recreates the same ids.
    pub seed: String,
    pub structured: &'a Structured,
    pub discarded: bool,
    pub extracted: &'a [ExtractedMemory],
    /// Memory ids by seed (results of this version) or by content (results of earlier versions).
    pub memory_ids: MemoryIds,
    pub metadata: &'a Metadata,
}

/// How a result's memories are named.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum MemoryIds {
    /// By the publication's seed and the memory's place in the result.
    Seeded,
    /// By the user and the content (as earlier versions did).
    ByContent,
}

impl Publisher {
    pub fn new(database: Database, commands: CommandBus, projector: Arc<Projector>) -> Self {
        Self {
            database,
            commands,
            projector,
            written: Mutex::new(LogPosition::START),
        }
    }

    /// Replaces the conversation's action items and memories with the result's; returns once all are written.
    pub async fn publish(&self, publication: Publication<'_>) -> Result<(), ReactionError> {
        let Publication {
            uid,
            conversation_id,
            after,
            seed,
            structured,
            discarded,
            extracted,
            memory_ids,
            metadata,
        } = publication;
        let mut written = self.written.lock().await;
        let target = (*written).max(after);
        if !self.projector.wait_for(target, CATCH_UP).await {
            return Err(ReactionError("read models are behind; retrying".into()));
        }
        let now = now();
        let mut last = None;

        let filter = ActionItemFilter {
            conversation_id: Some(conversation_id.to_string()),
            ..Default::default()
        };
        let existing = action_items::list(&self.database, uid, &filter, 500, 0)
            .await
            .map_err(|e| ReactionError(e.to_string()))?;
        for item in existing.items {
            let command = app_items::deletion(uid, now);
            let appended = settle(
                self.commands
                    .execute::<ActionItem>(&item.id, command, metadata)
                    .await,
            )?;
            last = last.max(appended.and_then(|a| a.position));
        }
        for id in memories::ids_of_conversation(&self.database, uid, conversation_id)
            .await
            .map_err(|e| ReactionError(e.to_string()))?
        {
            let command = app_memories::deletion(uid, now);
            let appended = settle(
                self.commands
                    .execute::<Memory>(&id, command, metadata)
                    .await,
            )?;
            last = last.max(appended.and_then(|a| a.position));
        }
        if !discarded {
            for (index, item) in structured.action_items.iter().enumerate() {
                let id = seeded_id(&format!("{seed}#{index}"));
                let command = app_items::lifted(uid, conversation_id, item, now);
                let appended = settle(
                    self.commands
                        .execute::<ActionItem>(&id, command, metadata)
                        .await,
                )?;
                last = last.max(appended.and_then(|a| a.position));
            }
            for (index, memory) in extracted.iter().enumerate() {
                let command = app_memories::extracted(uid, conversation_id, memory, now);
                let id = match memory_ids {
                    MemoryIds::Seeded => seeded_id(&format!("{seed}#memory#{index}")),
                    MemoryIds::ByContent => memory_id(uid, &memory.content).to_string(),
                };
                let appended = settle(
                    self.commands
                        .execute::<Memory>(&id, command, metadata)
                        .await,
                )?;
                last = last.max(appended.and_then(|a| a.position));
            }
        }
        if let Some(last) = last {
            *written = (*written).max(last);
        }
        Ok(())
    }
}

fn seeded_id(seed: &str) -> String {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, seed.as_bytes()).to_string()
}

/// The reaction that publishes results recorded by earlier versions (`published: false`).
pub struct ConversationSync {
    publisher: Arc<Publisher>,
}

impl ConversationSync {
    pub fn new(publisher: Arc<Publisher>) -> Self {
        Self { publisher }
    }
}

impl Reaction for ConversationSync {
    fn name(&self) -> &'static str {
        "conversation_sync"
    }

    fn reads(&self) -> &'static [&'static str] {
        &[<omi_domain::conversation::Conversation as cqrs_es::Aggregate>::TYPE]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(async move {
            let StoredEvent::Conversation(ConversationEvent::ConversationProcessed {
                structured,
                discarded,
                memories,
                published: false,
                ..
            }) = &event.event
            else {
                return Ok(());
            };
            let metadata = Metadata::caused_by(
                event.metadata.uid.as_str(),
                event_id(event),
                event.metadata.correlation_id.clone(),
            );
            self.publisher
                .publish(Publication {
                    uid: &event.metadata.uid,
                    conversation_id: &event.aggregate_id,
                    after: event.position,
                    // As earlier versions seeded them: handling such an event again recreates the same ids.
                    seed: format!("{}#{}", event.aggregate_id, event.sequence),
                    structured,
                    discarded: *discarded,
                    extracted: memories,
                    memory_ids: MemoryIds::ByContent,
                    metadata: &metadata,
                })
                .await
        })
    }
}
