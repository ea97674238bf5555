//! The processing pipeline (spec §3.2): on `ProcessingRequested`, fold the conversation's transcript, ask the
//! language model for its structure, and record the result — or the failure, so that a conversation is never
//! left in `processing`.

use crate::time_input::now;
use std::sync::Arc;

use chrono::Utc;
use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::conversation::{
    CalendarEvent, Conversation, ConversationContent, ConversationEvent, EmbeddedActionItem,
    ExtractedMemory, Structured,
};
use omi_domain::memory::MemoryCategory;
use omi_services::llm::{Analysis, ConversationInput, LanguageModel, TextSource, TranscriptLine};
use omi_store::{read_stream, Database, RecordedEvent, StoredEvent};

use super::sync::{MemoryIds, Publication, Publisher};
use super::{event_id, settle};
use crate::app::conversations::processing;
use crate::app::folders;

/// The reaction.
pub struct Processing {
    database: Database,
    commands: CommandBus,
    model: Arc<dyn LanguageModel>,
    publisher: Arc<Publisher>,
}

impl Processing {
    /// A pipeline over `model` that publishes its results with `publisher`.
    pub fn new(
        database: Database,
        commands: CommandBus,
        model: Arc<dyn LanguageModel>,
        publisher: Arc<Publisher>,
    ) -> Self {
        Self {
            database,
            commands,
            model,
            publisher,
        }
    }

    async fn process(
        &self,
        requested: &RecordedEvent,
        run: u32,
        force: bool,
        reprocess: bool,
        language: Option<String>,
    ) -> Result<(), ReactionError> {
        let stream = read_stream(&self.database, "Conversation", &requested.aggregate_id)
            .await
            .map_err(|e| ReactionError(e.to_string()))?;
        let events: Vec<&ConversationEvent> = stream
            .iter()
            .filter_map(|e| match &e.event {
                StoredEvent::Conversation(event) => Some(event),
                _ => None,
            })
            .collect();
        if !still_pending(&events, run) {
            return Ok(());
        }
        let Some(content) = ConversationContent::fold(events.iter().copied()) else {
            return Ok(());
        };
        let input = input_of(&content, force, language);
        let now = now();
        let metadata = Metadata::caused_by(
            content.uid.clone(),
            event_id(requested),
            requested.metadata.correlation_id.clone(),
        );
        let command = match self.model.analyze(&input).await {
            Ok(mut analysis) => {
                let trends = std::mem::take(&mut analysis.trends);
                let (structured, discarded, memories) = structure(analysis, now);
                // The lists first: a conversation never reads `completed` without its items.
                self.publisher
                    .publish(Publication {
                        uid: &content.uid,
                        conversation_id: &requested.aggregate_id,
                        after: requested.position,
                        seed: format!("{}#run{run}", requested.aggregate_id),
                        structured: &structured,
                        discarded,
                        extracted: &memories,
                        memory_ids: MemoryIds::Seeded,
                        metadata: &metadata,
                    })
                    .await?;
                // A first result that is kept goes into its category's folder (spec §3.2 step 5), unless the
                // conversation is in a folder already (the aggregate checks that).
                let folder_id = if discarded || reprocess {
                    None
                } else {
                    settle(
                        folders::folder_for_category(
                            &self.commands,
                            &content.uid,
                            &structured.category,
                            now,
                            &metadata,
                        )
                        .await,
                    )?
                };
                processing::completed(run, structured, discarded, memories, trends, folder_id, now)
            }
            Err(error) => {
                tracing::warn!(conversation = %requested.aggregate_id, run, %error, "processing failed");
                processing::failed(run, error.to_string(), now)
            }
        };
        settle(
            self.commands
                .execute::<Conversation>(&requested.aggregate_id, command, &metadata)
                .await,
        )?;
        Ok(())
    }
}

impl Reaction for Processing {
    fn name(&self) -> &'static str {
        "conversation_processing"
    }

    fn reads(&self) -> &'static [&'static str] {
        &[<omi_domain::conversation::Conversation as cqrs_es::Aggregate>::TYPE]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(async move {
            match &event.event {
                StoredEvent::Conversation(ConversationEvent::ProcessingRequested {
                    run,
                    force,
                    reprocess,
                    language,
                    ..
                }) => {
                    self.process(event, *run, *force, *reprocess, language.clone())
                        .await
                }
                _ => Ok(()),
            }
        })
    }
}

/// A run is pending until its result is recorded or a newer run was asked for.
fn still_pending(events: &[&ConversationEvent], run: u32) -> bool {
    !events.iter().any(|event| match event {
        ConversationEvent::ConversationProcessed { run: done, .. }
        | ConversationEvent::ConversationFailed { run: done, .. } => *done == run,
        ConversationEvent::ProcessingRequested { run: newer, .. } => *newer > run,
        _ => false,
    })
}

/// The model's input: one line per segment, `User` for the account owner and `Speaker N` for others, or the
/// text of a text import.
fn input_of(
    content: &ConversationContent,
    force: bool,
    language: Option<String>,
) -> ConversationInput {
    let lines = content
        .segments
        .iter()
        .map(|segment| TranscriptLine {
            speaker: if segment.is_user {
                "User".to_string()
            } else {
                format!("Speaker {}", segment.speaker_id)
            },
            is_user: segment.is_user,
            text: segment.text.clone(),
            start: segment.start,
            end: segment.end,
        })
        .collect();
    let text = content.external_data.as_ref().and_then(|data| {
        let text = data.get("text")?.as_str()?.to_string();
        let source = match data.get("text_source").and_then(|s| s.as_str()) {
            Some("message") => TextSource::Message,
            Some("audio_transcript") => TextSource::AudioTranscript,
            _ => TextSource::OtherText,
        };
        Some((text, source))
    });
    ConversationInput {
        lines,
        text,
        started_at: content.started_at.unwrap_or(content.created_at),
        utc_offset_minutes: 0,
        language: language.unwrap_or_else(|| content.language.clone()),
        force,
        title_hint: Some(content.title.clone()).filter(|t| !t.is_empty()),
    }
}

/// The model's analysis as the conversation records it.
fn structure(
    analysis: Analysis,
    now: chrono::DateTime<Utc>,
) -> (Structured, bool, Vec<ExtractedMemory>) {
    let structured = Structured {
        title: analysis.title,
        overview: analysis.overview,
        emoji: analysis.emoji,
        category: omi_domain::conversation::coerce_category(&analysis.category),
        action_items: analysis
            .action_items
            .into_iter()
            .map(|item| EmbeddedActionItem {
                description: item.description,
                completed: false,
                created_at: Some(now),
                updated_at: None,
                due_at: item.due_at,
                completed_at: None,
            })
            .collect(),
        events: analysis
            .events
            .into_iter()
            .map(|event| CalendarEvent {
                title: event.title,
                description: event.description,
                start: event.start,
                duration: event.duration_minutes.min(180),
                created: false,
            })
            .collect(),
    };
    let memories = analysis
        .memories
        .into_iter()
        .map(|memory| ExtractedMemory {
            category: match memory.category.as_str() {
                "interesting" => MemoryCategory::Interesting,
                _ => MemoryCategory::System,
            },
            content: memory.content,
        })
        .collect();
    (structured, analysis.discarded, memories)
}
