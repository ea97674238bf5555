//! The embeddings backfill: conversations processed before an embeddings server was configured (or embedded by
//! another model than the configured one) have no vector semantic search can compare, and the embeddings
//! reaction only sees conversations processed from now on. Once per process start, the backfill walks the
//! completed conversations of every user in id order and embeds those without a vector by the configured model,
//! a few batches per tick, until it reaches the end.
//!
//! The walk leaves to the reaction each conversation processed after the point the reaction had passed when the
//! walk began, so no conversation is sent to the server by both. It runs in one process at a time
//! (`omi_commands::schedules`); a process that takes over walks again from the start, skipping what has vectors.

use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{ReactFuture, ReactionError};
use omi_commands::schedules::Schedule;
use omi_commands::{Actor, CommandBus, Metadata};
use omi_domain::conversation::{Conversation, ConversationCommand, ConversationStatus};
use omi_projections::conversations::{self, ConversationView};
use omi_projections::search::{self, BackfillCandidate};
use omi_services::embeddings::{Embedder, EmbeddingError};
use omi_store::{load_checkpoint, Database};
use tokio::sync::Mutex;

use super::embeddings::{fingerprint_of, text_of};
use super::settle;

/// Conversations looked at per read of the walk.
const WINDOW: i64 = 500;
/// Texts sent to the embeddings server in one request.
const BATCH: usize = 32;
/// Conversations embedded per tick at most, so one tick does not hold the server for long.
const PER_TICK: usize = 256;
/// The embeddings reaction's checkpoint (`omi_commands::reactions`).
const REACTION_CHECKPOINT: &str = "reaction:conversation_embeddings";

/// Where the walk stands.
#[derive(Default)]
struct Walk {
    /// The position of the log the reaction had passed when the walk began; read at the first tick.
    reaction_passed: Option<i64>,
    /// The last conversation id looked at.
    after: String,
    done: bool,
}

/// The schedule.
pub struct EmbeddingBackfill {
    database: Database,
    commands: CommandBus,
    embedder: Arc<dyn Embedder>,
    every: Duration,
    walk: Mutex<Walk>,
}

impl EmbeddingBackfill {
    pub fn new(
        database: Database,
        commands: CommandBus,
        embedder: Arc<dyn Embedder>,
        every: Duration,
    ) -> Self {
        Self {
            database,
            commands,
            embedder,
            every,
            walk: Mutex::new(Walk::default()),
        }
    }

    async fn tick_once(&self) -> Result<(), ReactionError> {
        let mut walk = self.walk.lock().await;
        if walk.done {
            return Ok(());
        }
        let reaction_passed = match walk.reaction_passed {
            Some(position) => position,
            None => {
                let mut conn = self.database.pool().acquire().await.map_err(failed)?;
                let checkpoint = load_checkpoint(&mut conn, REACTION_CHECKPOINT)
                    .await
                    .map_err(failed)?;
                walk.reaction_passed = Some(checkpoint.global);
                checkpoint.global
            }
        };
        let mut embedded = 0;
        while embedded < PER_TICK {
            let window = search::backfill_window(
                &self.database,
                self.embedder.model(),
                &walk.after,
                WINDOW,
                reaction_passed,
            )
            .await
            .map_err(failed)?;
            let Some(last) = window.last().map(|candidate| candidate.id.clone()) else {
                walk.done = true;
                tracing::info!(model = self.embedder.model(), "embeddings backfill done");
                return Ok(());
            };
            let needed: Vec<&BackfillCandidate> =
                window.iter().filter(|candidate| candidate.needed).collect();
            for batch in needed.chunks(BATCH) {
                // A failure leaves the cursor before the window: the next tick reads it again and skips what
                // was recorded.
                embedded += self.embed(batch).await?;
            }
            walk.after = last;
        }
        Ok(())
    }

    /// Embeds and records `batch`; answers how many were recorded or refused for good.
    async fn embed(&self, batch: &[&BackfillCandidate]) -> Result<usize, ReactionError> {
        let mut views = Vec::with_capacity(batch.len());
        for candidate in batch {
            let view = conversations::get(&self.database, &candidate.uid, &candidate.id)
                .await
                .map_err(failed)?;
            if let Some(view) = view.filter(|view| view.status == ConversationStatus::Completed) {
                views.push((candidate.uid.as_str(), view));
            }
        }
        let texts: Vec<String> = views.iter().map(|(_, view)| text_of(view)).collect();
        let vectors = match self.embedder.embed(&texts).await {
            Ok(vectors) => vectors.into_iter().map(Some).collect(),
            Err(error) if error.is_transient() => return Err(transient(error)),
            // One text the server refuses must not keep the others of its batch out: each on its own.
            Err(_) => self.embed_one_by_one(&texts).await?,
        };
        for ((uid, view), vector) in views.iter().zip(vectors) {
            let Some(vector) = vector else { continue };
            self.record(uid, view, vector).await?;
        }
        Ok(batch.len())
    }

    async fn embed_one_by_one(
        &self,
        texts: &[String],
    ) -> Result<Vec<Option<omi_domain::conversation::Embedding>>, ReactionError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for text in texts {
            match self.embedder.embed(std::slice::from_ref(text)).await {
                Ok(mut one) => vectors.push(one.pop()),
                Err(error) if error.is_transient() => return Err(transient(error)),
                Err(error) => {
                    tracing::warn!(%error, "the embeddings server refused a conversation; it is found by its words only");
                    vectors.push(None);
                }
            }
        }
        Ok(vectors)
    }

    async fn record(
        &self,
        uid: &str,
        view: &ConversationView,
        vector: omi_domain::conversation::Embedding,
    ) -> Result<(), ReactionError> {
        let command = ConversationCommand::RecordEmbedding {
            uid: uid.to_string(),
            run: None,
            text: fingerprint_of(view),
            model: self.embedder.model().to_string(),
            vector,
            at: chrono::Utc::now(),
        };
        let metadata = Metadata::new(uid, Actor::System, "embeddings-backfill");
        settle(
            self.commands
                .execute::<Conversation>(&view.id, command, &metadata)
                .await,
        )?;
        Ok(())
    }
}

fn failed(error: impl std::fmt::Display) -> ReactionError {
    ReactionError(error.to_string())
}

fn transient(error: EmbeddingError) -> ReactionError {
    ReactionError(format!("embedding failed: {error}"))
}

impl Schedule for EmbeddingBackfill {
    fn name(&self) -> &'static str {
        "embedding_backfill"
    }

    fn every(&self) -> Duration {
        self.every
    }

    fn tick(&self) -> ReactFuture<'_> {
        Box::pin(self.tick_once())
    }
}
