//! Summarization apps (spec §3.2 step 6): when a conversation is processed and kept, the user's enabled apps with
//! the `memories` capability and a `memory_prompt` are ranked by how much of the conversation they are about (the
//! words their name, description and prompt share with its title, overview and transcript); the best three are
//! recorded as `suggested_summarization_apps`, and the first one's prompt runs on the conversation through the
//! language model (offline: the passages its prompt picks). The result is recorded on the conversation
//! (`AppResultsRecorded`, shown as `apps_results`), so replay restores it without asking the model again.
//!
//! A model that fails for good records the suggestions without a result; a transient failure is retried.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::app::Capability;
use omi_domain::conversation::{AppResult, Conversation, ConversationCommand, ConversationEvent};
use omi_projections::apps::{self as apps_read, AppRecord};
use omi_projections::conversations::{self, ConversationView};
use omi_projections::Projector;
use omi_services::llm::apps::AppPromptInput;
use omi_services::llm::LanguageModel;
use omi_store::{Database, RecordedEvent, StoredEvent};

use super::{event_id, settle};

/// How long the reaction waits for the read models to show the processed conversation.
const CATCH_UP: Duration = Duration::from_secs(30);
/// The most apps suggested for one conversation.
const MAX_SUGGESTED: usize = 3;

/// The reaction.
pub struct SummarizationApps {
    database: Database,
    commands: CommandBus,
    projector: Arc<Projector>,
    model: Arc<dyn LanguageModel>,
}

impl SummarizationApps {
    pub fn new(
        database: Database,
        commands: CommandBus,
        projector: Arc<Projector>,
        model: Arc<dyn LanguageModel>,
    ) -> Self {
        Self {
            database,
            commands,
            projector,
            model,
        }
    }

    async fn handle(&self, event: &RecordedEvent, run: u32) -> Result<(), ReactionError> {
        let uid = event.metadata.uid.as_str();
        let failed = |e: omi_projections::ProjectionError| ReactionError(e.to_string());
        if uid.is_empty() {
            return Ok(());
        }
        let candidates = self.candidates(uid).await?;
        if candidates.is_empty() {
            return Ok(());
        }
        if !self.projector.wait_for(event.position, CATCH_UP).await {
            return Err(ReactionError(
                "the read models have not caught up with the event yet".into(),
            ));
        }
        let Some(view) = conversations::get(&self.database, uid, &event.aggregate_id)
            .await
            .map_err(failed)?
        else {
            return Ok(());
        };
        let transcript = transcript_of(&view);
        let suggested = suggest(&candidates, &view, &transcript);
        let mut results = Vec::new();
        if let Some(app) = suggested
            .first()
            .and_then(|id| candidates.iter().find(|app| app.id == *id))
        {
            let input = AppPromptInput {
                app_name: app.definition.name.clone(),
                prompt: app.definition.memory_prompt.clone().unwrap_or_default(),
                title: view.structured.title.clone(),
                overview: view.structured.overview.clone(),
                transcript,
                language: view.language.clone(),
            };
            match self.model.run_app_prompt(&input).await {
                Ok(Some(content)) => results.push(AppResult {
                    app_id: app.id.clone(),
                    content,
                }),
                Ok(None) => {}
                Err(error) if error.is_transient() => {
                    return Err(ReactionError(format!("the app's prompt failed: {error}")))
                }
                Err(error) => {
                    tracing::warn!(app = %app.id, %error, "a summarization app's prompt failed; no result is recorded")
                }
            }
        }
        let command = ConversationCommand::RecordAppResults {
            uid: uid.to_string(),
            run,
            results,
            suggested_apps: suggested,
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

    /// The user's enabled apps that summarize conversations, in the order they were enabled.
    async fn candidates(&self, uid: &str) -> Result<Vec<AppRecord>, ReactionError> {
        let enabled = apps_read::enabled_apps(&self.database, uid)
            .await
            .map_err(|e| ReactionError(e.to_string()))?;
        let found = enabled
            .into_iter()
            .filter(|app| {
                let definition = &app.definition;
                let prompt = definition.memory_prompt.as_deref().unwrap_or_default();
                definition.capabilities.contains(&Capability::Memories) && !prompt.trim().is_empty()
            })
            .collect();
        Ok(found)
    }
}

/// The transcript as the prompt reads it: a `Speaker: text` line per segment, or the imported text.
fn transcript_of(view: &ConversationView) -> String {
    let segments = view.transcript_segments.as_deref().unwrap_or_default();
    if segments.is_empty() {
        return view
            .external_data
            .as_ref()
            .and_then(|data| data.get("text"))
            .and_then(|text| text.as_str())
            .unwrap_or_default()
            .to_string();
    }
    segments
        .iter()
        .map(|segment| {
            let speaker = if segment.is_user {
                "User"
            } else {
                segment.speaker.as_str()
            };
            format!("{speaker}: {}", segment.text)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The ids of at most [`MAX_SUGGESTED`] candidates, the ones that share the most words with the conversation
/// first (ties keep the order the user enabled them in).
fn suggest(candidates: &[AppRecord], view: &ConversationView, transcript: &str) -> Vec<String> {
    let said = words(&format!(
        "{} {} {transcript}",
        view.structured.title, view.structured.overview
    ));
    let mut scored: Vec<(usize, usize, &str)> = candidates
        .iter()
        .enumerate()
        .map(|(order, app)| {
            let definition = &app.definition;
            let about = words(&format!(
                "{} {} {}",
                definition.name,
                definition.description,
                definition.memory_prompt.as_deref().unwrap_or_default()
            ));
            (about.intersection(&said).count(), order, app.id.as_str())
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(MAX_SUGGESTED)
        .map(|(_, _, id)| id.to_string())
        .collect()
}

/// The lower-cased words of at least four letters or digits in `text`.
fn words(text: &str) -> HashSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().count() >= 4)
        .map(str::to_lowercase)
        .collect()
}

impl Reaction for SummarizationApps {
    fn name(&self) -> &'static str {
        "summarization_apps"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["Conversation"]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(async move {
            match &event.event {
                StoredEvent::Conversation(ConversationEvent::ConversationProcessed {
                    run,
                    discarded: false,
                    ..
                }) => self.handle(event, *run).await,
                _ => Ok(()),
            }
        })
    }
}
