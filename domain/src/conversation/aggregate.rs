//! The conversation aggregate: the lifecycle of spec §3.1 and the edits of spec §6.1. `decide` sends each
//! command to its decision in `decide/`; the state they read is in `state.rs`.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::decide::{edits, embedded, lifecycle, merge, processing, Decision};
use super::state::State;
use super::{ConversationCommand, ConversationEvent, ConversationStatus};
use crate::DomainError;

/// The state a conversation needs to decide on commands. `None` before creation and once deleted or merged.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Conversation {
    current: Option<State>,
}

impl Conversation {
    /// Sends a command to its decision: the conversation's life, processing, edits, the embedded action items and
    /// events, or merging.
    fn decide(&self, command: ConversationCommand) -> Decision {
        use ConversationCommand as C;
        let state = self.current.as_ref();
        match command {
            C::StartConversation {
                uid,
                source,
                language,
                at,
            } => lifecycle::start(state, uid, source, language, at),
            C::ImportConversation {
                uid,
                source,
                language,
                started_at,
                finished_at,
                segments,
                geolocation,
                external_data,
                at,
            } => lifecycle::import(
                state,
                uid,
                source,
                language,
                started_at,
                finished_at,
                segments,
                geolocation,
                external_data,
                at,
            ),
            C::AppendSegments {
                uid,
                segments,
                speech_began,
                at,
            } => lifecycle::append_segments(state, uid, segments, speech_began, at),
            C::RecordAudioChunk {
                uid,
                chunk_id,
                sample_rate,
                duration_ms,
                at,
            } => lifecycle::record_audio_chunk(state, uid, chunk_id, sample_rate, duration_ms, at),
            C::SetDiscarded { uid, discarded, at } => {
                lifecycle::set_discarded(state, uid, discarded, at)
            }
            C::Delete { uid, at } => lifecycle::delete(state, uid, at),
            C::RequestProcessing { uid, force, at } => processing::request(state, uid, force, at),
            C::Reprocess { uid, language, at } => processing::reprocess(state, uid, language, at),
            C::CompleteProcessing {
                run,
                structured,
                discarded,
                memories,
                trends,
                published,
                folder_id,
                at,
            } => processing::complete(
                state,
                processing::RunResult {
                    run,
                    structured,
                    discarded,
                    memories,
                    trends,
                    published,
                    folder_id,
                },
                at,
            ),
            C::FailProcessing { run, reason, at } => processing::fail(state, run, reason, at),
            C::RecordAppResults {
                uid,
                run,
                results,
                suggested_apps,
                at,
            } => processing::app_results(state, uid, run, results, suggested_apps, at),
            C::RecordEmbedding {
                uid,
                run,
                text,
                model,
                vector,
                at,
            } => processing::embedding(state, uid, run, text, model, vector, at),
            C::EditTitle { uid, title, at } => edits::edit_title(state, uid, title, at),
            C::EditOverview { uid, overview, at } => edits::edit_overview(state, uid, overview, at),
            C::EditSegmentText {
                uid,
                segment_id,
                text,
                at,
            } => edits::edit_segment_text(state, uid, segment_id, text, at),
            C::AssignSegments {
                uid,
                segment_ids,
                is_user,
                person_id,
                at,
            } => edits::assign_segments(state, uid, segment_ids, is_user, person_id, at),
            C::ChangeVisibility {
                uid,
                visibility,
                at,
            } => edits::change_visibility(state, uid, visibility, at),
            C::Star { uid, starred, at } => edits::star(state, uid, starred, at),
            C::MoveToFolder { uid, folder_id, at } => {
                edits::move_to_folder(state, uid, folder_id, at)
            }
            C::MoveOutOfFolder { uid, from, to, at } => {
                edits::move_out_of_folder(state, uid, from, to, at)
            }
            C::SetEventsCreated {
                uid,
                indices,
                values,
                at,
            } => embedded::set_events_created(state, uid, indices, values, at),
            C::SetActionItemsCompleted {
                uid,
                indices,
                values,
                at,
            } => embedded::set_action_items_completed(state, uid, indices, values, at),
            C::RenameActionItem {
                uid,
                old_description,
                description,
                at,
            } => embedded::rename_action_item(state, uid, old_description, description, at),
            C::RemoveActionItems {
                uid,
                description,
                at,
            } => embedded::remove_action_items(state, uid, description, at),
            C::BeginMerge { uid, into, at } => merge::begin(state, uid, into, at),
            C::FinishMerge { uid, into, at } => merge::finish(state, uid, into, at),
        }
    }
}

impl Aggregate for Conversation {
    const TYPE: &'static str = "Conversation";
    type Command = ConversationCommand;
    type Event = ConversationEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ConversationCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ConversationEvent) {
        use ConversationEvent as E;
        match event {
            E::ConversationStarted { uid, .. } => {
                self.current = Some(State::new(
                    uid,
                    ConversationStatus::InProgress,
                    vec![],
                    None,
                ))
            }
            E::ConversationImported {
                uid,
                segments,
                started_at,
                ..
            } => {
                self.current = Some(State::new(
                    uid,
                    ConversationStatus::Processing,
                    segments,
                    Some(started_at),
                ))
            }
            E::ConversationMerged { .. } | E::ConversationDeleted { .. } => self.current = None,
            event => {
                if let Some(current) = &mut self.current {
                    current.apply(event);
                }
            }
        }
    }
}
