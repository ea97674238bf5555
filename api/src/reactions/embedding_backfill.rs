//! The embeddings backfill: conversations and memories written before an embeddings server was configured (or
//! embedded by another model than the configured one) have no vector semantic search can compare, and the
//! embeddings reactions only see what is written from now on. Once per process start, the backfill walks the
//! completed conversations, then the memories, of every user in id order and embeds those without a vector by the
//! configured model, a few batches per tick, until it reaches the end.
//!
//! Each walk leaves to its reaction what was processed (a conversation) or created (a memory) after the point the
//! reaction had passed when the walk began, so nothing is sent to the server by both. It runs in one process at a
//! time (`omi_commands::schedules`); a process that takes over walks again from the start, skipping what has
//! vectors.

use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{checkpoint_name, ReactFuture, ReactionError};
use omi_commands::schedules::Schedule;
use omi_commands::{Actor, CommandBus, Metadata};
use omi_domain::conversation::{Conversation, ConversationCommand, ConversationStatus, Embedding};
use omi_domain::memory::{content_fingerprint, Memory, MemoryCommand};
use omi_projections::search::{self, BackfillCandidate, BackfillKind};
use omi_projections::{conversations, memories};
use omi_services::embeddings::{Embedder, EmbeddingError};
use omi_store::{load_checkpoint, Database, LogPosition};
use tokio::sync::Mutex;

use super::embeddings::{embed_one, fingerprint_of, text_of};
use super::settle;
use super::{ConversationEmbeddings, MemoryEmbeddings};

/// Conversations or memories looked at per read of a walk.
const WINDOW: i64 = 500;
/// Texts sent to the embeddings server in one request.
const BATCH: usize = 32;
/// Texts embedded per tick at most, so one tick does not hold the server for long.
const PER_TICK: usize = 256;

/// Where one walk stands.
struct Walk {
    kind: BackfillKind,
    /// The name of the kind's embeddings reaction, whose checkpoint bounds the walk.
    reaction: &'static str,
    /// The position of the log the reaction had passed when the walk began; read at its first window.
    reaction_passed: Option<LogPosition>,
    /// The last id looked at.
    after: String,
    done: bool,
}

impl Walk {
    fn new(kind: BackfillKind, reaction: &'static str) -> Walk {
        Walk {
            kind,
            reaction,
            reaction_passed: None,
            after: String::new(),
            done: false,
        }
    }
}

/// A conversation's or memory's text, ready to be embedded.
struct Text {
    id: String,
    uid: String,
    text: String,
    /// What the aggregate compares with its own text before it records the vector.
    fingerprint: u64,
}

/// The schedule.
pub struct EmbeddingBackfill {
    database: Database,
    commands: CommandBus,
    embedder: Arc<dyn Embedder>,
    every: Duration,
    walks: Mutex<Vec<Walk>>,
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
            walks: Mutex::new(vec![
                Walk::new(BackfillKind::Conversations, ConversationEmbeddings::NAME),
                Walk::new(BackfillKind::Memories, MemoryEmbeddings::NAME),
            ]),
        }
    }

    async fn tick_once(&self) -> Result<(), ReactionError> {
        let mut walks = self.walks.lock().await;
        let mut embedded = 0;
        for walk in walks.iter_mut().filter(|walk| !walk.done) {
            embedded += self.advance(walk, PER_TICK - embedded).await?;
            if embedded >= PER_TICK {
                break;
            }
        }
        Ok(())
    }

    /// Walks on until `budget` texts were embedded or the walk ends; answers how many were.
    async fn advance(&self, walk: &mut Walk, budget: usize) -> Result<usize, ReactionError> {
        let reaction_passed = match walk.reaction_passed {
            Some(position) => position,
            None => {
                let mut conn = self.database.pool().acquire().await.map_err(failed)?;
                let checkpoint = load_checkpoint(&mut conn, &checkpoint_name(walk.reaction))
                    .await
                    .map_err(failed)?;
                walk.reaction_passed = Some(checkpoint);
                checkpoint
            }
        };
        let mut embedded = 0;
        while embedded < budget {
            let window = search::backfill_window(
                &self.database,
                walk.kind,
                self.embedder.model(),
                &walk.after,
                WINDOW,
                reaction_passed,
            )
            .await
            .map_err(failed)?;
            let Some(last) = window.last().map(|candidate| candidate.id.clone()) else {
                walk.done = true;
                tracing::info!(kind = ?walk.kind, model = self.embedder.model(), "embeddings backfill done");
                break;
            };
            let needed: Vec<&BackfillCandidate> =
                window.iter().filter(|candidate| candidate.needed).collect();
            for batch in needed.chunks(BATCH) {
                // A failure leaves the cursor before the window: the next tick reads it again and skips what
                // was recorded.
                let texts = self.texts(walk.kind, batch).await?;
                self.embed(walk.kind, &texts).await?;
                embedded += batch.len();
            }
            walk.after = last;
        }
        Ok(embedded)
    }

    /// The texts of `batch` as the read models show them now (one deleted meanwhile is left out).
    async fn texts(
        &self,
        kind: BackfillKind,
        batch: &[&BackfillCandidate],
    ) -> Result<Vec<Text>, ReactionError> {
        let mut texts = Vec::with_capacity(batch.len());
        for candidate in batch {
            let (id, uid) = (candidate.id.clone(), candidate.uid.clone());
            match kind {
                BackfillKind::Conversations => {
                    let view = conversations::get(&self.database, &uid, &id)
                        .await
                        .map_err(failed)?;
                    if let Some(view) =
                        view.filter(|view| view.status == ConversationStatus::Completed)
                    {
                        let (text, fingerprint) = (text_of(&view), fingerprint_of(&view));
                        texts.push(Text {
                            id,
                            uid,
                            text,
                            fingerprint,
                        });
                    }
                }
                BackfillKind::Memories => {
                    let memory = memories::get(&self.database, &uid, &id)
                        .await
                        .map_err(failed)?;
                    if let Some(memory) = memory {
                        texts.push(Text {
                            id,
                            uid,
                            fingerprint: content_fingerprint(&memory.content),
                            text: memory.content,
                        });
                    }
                }
            }
        }
        Ok(texts)
    }

    /// Embeds and records `texts`.
    async fn embed(&self, kind: BackfillKind, texts: &[Text]) -> Result<(), ReactionError> {
        let inputs: Vec<String> = texts.iter().map(|text| text.text.clone()).collect();
        let vectors = match self.embedder.embed(&inputs).await {
            Ok(vectors) => vectors.into_iter().map(Some).collect(),
            Err(error) if error.is_transient() => return Err(transient(error)),
            // One text the server refuses must not keep the others of its batch out: each on its own.
            Err(_) => {
                let mut vectors = Vec::with_capacity(texts.len());
                for text in texts {
                    let embedder = self.embedder.as_ref();
                    vectors.push(embed_one(embedder, text.text.clone(), &text.id).await?);
                }
                vectors
            }
        };
        for (text, vector) in texts.iter().zip(vectors) {
            if let Some(vector) = vector {
                self.record(kind, text, vector).await?;
            }
        }
        Ok(())
    }

    async fn record(
        &self,
        kind: BackfillKind,
        text: &Text,
        vector: Embedding,
    ) -> Result<(), ReactionError> {
        let (uid, model, at) = (
            text.uid.clone(),
            self.embedder.model().to_string(),
            chrono::Utc::now(),
        );
        let metadata = Metadata::new(&text.uid, Actor::System, "embeddings-backfill");
        match kind {
            BackfillKind::Conversations => {
                let command = ConversationCommand::RecordEmbedding {
                    uid,
                    run: None,
                    text: text.fingerprint,
                    model,
                    vector,
                    at,
                };
                settle(
                    self.commands
                        .execute::<Conversation>(&text.id, command, &metadata)
                        .await,
                )?;
            }
            BackfillKind::Memories => {
                let command = MemoryCommand::RecordEmbedding {
                    uid,
                    text: text.fingerprint,
                    model,
                    vector,
                    at,
                };
                settle(
                    self.commands
                        .execute::<Memory>(&text.id, command, &metadata)
                        .await,
                )?;
            }
        }
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
