//! Semantic search's vectors: when a conversation is processed, its text (title, overview, transcript) goes to the
//! embeddings server of `OMI_EMBEDDINGS_BASE_URL`, and the vector comes back into the log as
//! `ConversationEmbedded`, so a replay restores it without asking the server again. An edit of the title, the
//! overview or a segment's text embeds the conversation again. The reaction exists only with a server (without
//! one, search is full-text only); conversations processed before a server was configured are the backfill's
//! (`embedding_backfill`).
//!
//! A server that is down or busy is asked again (the reaction's retries); one that refuses the text for good is
//! logged and the conversation stays findable by its words only.

use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::conversation::{
    text_fingerprint, Conversation, ConversationCommand, ConversationEvent, ConversationStatus,
    Embedding,
};
use omi_projections::conversations::{self, ConversationView};
use omi_projections::{search, Projector};
use omi_services::embeddings::Embedder;
use omi_store::{Database, RecordedEvent, StoredEvent};

use super::{event_id, settle};

/// How long the reaction waits for the read models to show the processed conversation.
const CATCH_UP: Duration = Duration::from_secs(30);

/// The reaction.
pub struct ConversationEmbeddings {
    database: Database,
    commands: CommandBus,
    projector: Arc<Projector>,
    embedder: Arc<dyn Embedder>,
}

impl ConversationEmbeddings {
    /// The reaction's name (its checkpoint's is `reaction:conversation_embeddings`).
    pub(crate) const NAME: &'static str = "conversation_embeddings";

    pub fn new(
        database: Database,
        commands: CommandBus,
        projector: Arc<Projector>,
        embedder: Arc<dyn Embedder>,
    ) -> Self {
        Self {
            database,
            commands,
            projector,
            embedder,
        }
    }

    /// Embeds the conversation of `event` as the read models show it once they include the event: for
    /// processing run `run`, or (`None`) the text an edit changed.
    async fn handle(&self, event: &RecordedEvent, run: Option<u32>) -> Result<(), ReactionError> {
        let uid = event.metadata.uid.as_str();
        if uid.is_empty() {
            return Ok(());
        }
        let embedder = self.embedder.as_ref();
        if !self.projector.wait_for(event.position, CATCH_UP).await {
            return Err(ReactionError(
                "the read models have not caught up with the event yet".into(),
            ));
        }
        let failed = |e: omi_projections::ProjectionError| ReactionError(e.to_string());
        // A processing run seen again after a restart (at least once): the server is not asked twice for it.
        if let Some(run) = run {
            let recorded = search::embedded_run(&self.database, &event.aggregate_id)
                .await
                .map_err(failed)?;
            if recorded == Some((run, embedder.model().to_string())) {
                return Ok(());
            }
        }
        let Some(view) = conversations::get(&self.database, uid, &event.aggregate_id)
            .await
            .map_err(failed)?
        else {
            return Ok(());
        };
        if view.status != ConversationStatus::Completed {
            return Ok(());
        }
        let Some(vector) = embed_one(embedder, text_of(&view), &event.aggregate_id).await? else {
            return Ok(());
        };
        let command = ConversationCommand::RecordEmbedding {
            uid: uid.to_string(),
            run,
            text: fingerprint_of(&view),
            model: embedder.model().to_string(),
            vector,
            at: chrono::Utc::now(),
        };
        let metadata = Metadata::caused_by(uid, event_id(event), &event.metadata.correlation_id);
        settle(
            self.commands
                .execute::<Conversation>(&event.aggregate_id, command, &metadata)
                .await,
        )?;
        Ok(())
    }
}

/// What is embedded of a conversation: its title, overview and transcript (or imported text), one per paragraph;
/// the embeddings client cuts it to the length a model reads.
pub(crate) fn text_of(view: &ConversationView) -> String {
    let mut text = format!(
        "{}\n\n{}\n\n",
        view.structured.title, view.structured.overview
    );
    let segments = view.transcript_segments.as_deref().unwrap_or_default();
    if segments.is_empty() {
        if let Some(imported) = view
            .external_data
            .as_ref()
            .and_then(|data| data.get("text"))
            .and_then(|text| text.as_str())
        {
            text.push_str(imported);
        }
    }
    for segment in segments {
        if text.len() > omi_services::embeddings::MAX_INPUT_CHARS * 4 {
            break;
        }
        text.push_str(&segment.text);
        text.push('\n');
    }
    text
}

/// The vector of one text (of the conversation or memory `id`): `None` when the server refuses it for good (it
/// is logged; the text is found by its words only), an error to retry when the server is down or busy.
pub(crate) async fn embed_one(
    embedder: &dyn Embedder,
    text: String,
    id: &str,
) -> Result<Option<Embedding>, ReactionError> {
    match embedder.embed(&[text]).await {
        Ok(mut vectors) => Ok(vectors.pop()),
        Err(error) if error.is_transient() => {
            Err(ReactionError(format!("embedding failed: {error}")))
        }
        Err(error) => {
            tracing::warn!(%id, %error, "the embeddings server refused a text; it is found by its words only");
            Ok(None)
        }
    }
}

/// The [`text_fingerprint`] of the conversation's text as `view` shows it: what the conversation aggregate
/// compares with its own text before it records a vector.
pub(crate) fn fingerprint_of(view: &ConversationView) -> u64 {
    let segments = view.transcript_segments.as_deref().unwrap_or_default();
    text_fingerprint(
        &view.structured.title,
        &view.structured.overview,
        segments.iter().map(|segment| segment.text.as_str()),
    )
}

impl Reaction for ConversationEmbeddings {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn reads(&self) -> &'static [&'static str] {
        &["Conversation"]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(async move {
            match &event.event {
                StoredEvent::Conversation(ConversationEvent::ConversationProcessed {
                    run, ..
                }) => self.handle(event, Some(*run)).await,
                StoredEvent::Conversation(
                    ConversationEvent::TitleEdited { .. }
                    | ConversationEvent::OverviewEdited { .. }
                    | ConversationEvent::SegmentTextEdited { .. },
                ) => self.handle(event, None).await,
                _ => Ok(()),
            }
        })
    }
}
