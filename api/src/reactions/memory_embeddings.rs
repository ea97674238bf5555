//! Semantic search of memories: when a memory is written or its content edited, the content goes to the
//! embeddings server of `OMI_EMBEDDINGS_BASE_URL` and the vector comes back into the log as `MemoryEmbedded`, so
//! a replay restores it without asking the server again. The reaction exists only with a server (without one,
//! memories are found by their words only); memories written before a server was configured are the backfill's
//! (`embedding_backfill`).
//!
//! The memory aggregate records a vector only of the content the memory has when it is recorded: the vector of a
//! content edited since is dropped, and the edit's own follows.

use std::sync::Arc;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::memory::{content_fingerprint, Memory, MemoryCommand, MemoryEvent};
use omi_services::embeddings::Embedder;
use omi_store::{RecordedEvent, StoredEvent};

use super::embeddings::embed_one;
use super::{event_id, settle};

/// The reaction.
pub struct MemoryEmbeddings {
    commands: CommandBus,
    embedder: Arc<dyn Embedder>,
}

impl MemoryEmbeddings {
    /// The reaction's name (its checkpoint's is `reaction:memory_embeddings`).
    pub(crate) const NAME: &'static str = "memory_embeddings";

    pub fn new(commands: CommandBus, embedder: Arc<dyn Embedder>) -> Self {
        Self { commands, embedder }
    }

    async fn handle(&self, event: &RecordedEvent, content: &str) -> Result<(), ReactionError> {
        let uid = event.metadata.uid.as_str();
        if uid.is_empty() {
            return Ok(());
        }
        let embedder = self.embedder.as_ref();
        let Some(vector) = embed_one(embedder, content.to_string(), &event.aggregate_id).await?
        else {
            return Ok(());
        };
        let command = MemoryCommand::RecordEmbedding {
            uid: uid.to_string(),
            text: content_fingerprint(content),
            model: embedder.model().to_string(),
            vector,
            at: chrono::Utc::now(),
        };
        let metadata = Metadata::caused_by(uid, event_id(event), &event.metadata.correlation_id);
        settle(
            self.commands
                .execute::<Memory>(&event.aggregate_id, command, &metadata)
                .await,
        )?;
        Ok(())
    }
}

impl Reaction for MemoryEmbeddings {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn reads(&self) -> &'static [&'static str] {
        &["Memory"]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(async move {
            match &event.event {
                StoredEvent::Memory(MemoryEvent::MemoryCreated { content, .. })
                | StoredEvent::Memory(MemoryEvent::MemoryEdited {
                    content: Some(content),
                    ..
                }) => self.handle(event, content).await,
                _ => Ok(()),
            }
        })
    }
}
