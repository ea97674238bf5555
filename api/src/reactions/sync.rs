//! Keeps the standalone lists in step with processed conversations (spec §2.3, §3.3): on every
//! `ConversationProcessed`, the conversation's action items and memories are replaced by the new result
//! (removed when it was discarded), so reprocessing never duplicates them.

use crate::time_input::now;
use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::action_item::{ActionItem, ActionItemCommand};
use omi_domain::conversation::{ConversationEvent, ExtractedMemory, Structured};
use omi_domain::memory::{memory_id, Memory, MemoryCommand, Visibility};
use omi_projections::action_items::{self, ActionItemFilter};
use omi_projections::{memories, Projector};
use omi_store::{Database, LogPosition, RecordedEvent, StoredEvent};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::{event_id, settle};

/// How long the sync waits for the read models it reads.
const CATCH_UP: Duration = Duration::from_secs(30);

/// The reaction.
pub struct ConversationSync {
    database: Database,
    commands: CommandBus,
    projector: Arc<Projector>,
    /// The last position this reaction wrote: the read models must show it before the next sync reads them.
    written: Mutex<LogPosition>,
}

impl ConversationSync {
    /// A sync that reads the read models of `projector`.
    pub fn new(database: Database, commands: CommandBus, projector: Arc<Projector>) -> Self {
        Self {
            database,
            commands,
            projector,
            written: Mutex::new(LogPosition::START),
        }
    }

    async fn sync(
        &self,
        processed: &RecordedEvent,
        structured: &Structured,
        discarded: bool,
        extracted: &[ExtractedMemory],
    ) -> Result<(), ReactionError> {
        let mut written = self.written.lock().await;
        let target = (*written).max(processed.position);
        if !self.projector.wait_for(target, CATCH_UP).await {
            return Err(ReactionError("read models are behind; retrying".into()));
        }
        let uid = processed.metadata.uid.as_str();
        let conversation_id = processed.aggregate_id.as_str();
        let metadata = Metadata::caused_by(
            uid,
            event_id(processed),
            processed.metadata.correlation_id.clone(),
        );
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
            let command = ActionItemCommand::DeleteActionItem {
                uid: uid.to_string(),
                at: now,
            };
            let appended = settle(
                self.commands
                    .execute::<ActionItem>(&item.id, command, &metadata)
                    .await,
            )?;
            last = last.max(appended.and_then(|a| a.position));
        }
        for id in memories::ids_of_conversation(&self.database, uid, conversation_id)
            .await
            .map_err(|e| ReactionError(e.to_string()))?
        {
            let command = MemoryCommand::DeleteMemory {
                uid: uid.to_string(),
                at: now,
            };
            let appended = settle(
                self.commands
                    .execute::<Memory>(&id, command, &metadata)
                    .await,
            )?;
            last = last.max(appended.and_then(|a| a.position));
        }
        if !discarded {
            for (index, item) in structured.action_items.iter().enumerate() {
                // Deterministic ids: handling this event again recreates the same items.
                let seed = format!("{conversation_id}#{}#{index}", processed.sequence);
                let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, seed.as_bytes()).to_string();
                let command = ActionItemCommand::CreateActionItem {
                    uid: uid.to_string(),
                    description: item.description.clone(),
                    completed: item.completed,
                    due_at: item.due_at,
                    conversation_id: Some(conversation_id.to_string()),
                    at: now,
                };
                let appended = settle(
                    self.commands
                        .execute::<ActionItem>(&id, command, &metadata)
                        .await,
                )?;
                last = last.max(appended.and_then(|a| a.position));
            }
            for memory in extracted {
                let command = MemoryCommand::CreateMemory {
                    uid: uid.to_string(),
                    content: memory.content.clone(),
                    category: memory.category,
                    visibility: Visibility::Private,
                    tags: Vec::new(),
                    manually_added: false,
                    conversation_id: Some(conversation_id.to_string()),
                    app_id: None,
                    at: now,
                };
                let id = memory_id(uid, &memory.content).to_string();
                let appended = settle(
                    self.commands
                        .execute::<Memory>(&id, command, &metadata)
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

impl Reaction for ConversationSync {
    fn name(&self) -> &'static str {
        "conversation_sync"
    }

    fn reads(&self) -> &'static [&'static str] {
        &[<omi_domain::conversation::Conversation as cqrs_es::Aggregate>::TYPE]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(async move {
            match &event.event {
                StoredEvent::Conversation(ConversationEvent::ConversationProcessed {
                    structured,
                    discarded,
                    memories,
                    ..
                }) => self.sync(event, structured, *discarded, memories).await,
                _ => Ok(()),
            }
        })
    }
}
