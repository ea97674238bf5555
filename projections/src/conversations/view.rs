//! The conversation as the API returns it (`Conversation` of spec §2.1), and how each event changes it.

use chrono::{DateTime, Utc};
use omi_domain::conversation::{
    CalendarEvent, ConversationEvent, ConversationSource, ConversationStatus,
    ConversationVisibility, EmbeddedActionItem, Geolocation, Structured, TranscriptSegment,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::time::{iso, iso_option};

/// A conversation as stored in the read model and returned by the API.
///
/// `transcript_segments` is `None` in list rows, where the key is left out altogether (spec §6.1: "lists may
/// omit transcript segments — clients must treat absence as not loaded"); a single conversation always has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConversationView {
    pub id: String,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    /// When the conversation last changed (any event), for client cache reconciliation.
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub updated_at: DateTime<Utc>,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub finished_at: Option<DateTime<Utc>>,
    pub source: ConversationSource,
    pub language: String,
    pub structured: StructuredView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_segments: Option<Vec<TranscriptSegment>>,
    pub geolocation: Option<Geolocation>,
    /// Photos are not captured yet: always empty.
    pub photos: Vec<Value>,
    pub apps_results: Vec<AppResult>,
    /// The legacy mirror of `apps_results`.
    pub plugins_results: Vec<PluginResult>,
    pub suggested_summarization_apps: Vec<String>,
    /// For text imports: the original create payload.
    pub external_data: Option<Value>,
    pub discarded: bool,
    pub visibility: ConversationVisibility,
    pub starred: bool,
    pub status: ConversationStatus,
    pub is_locked: bool,
    pub folder_id: Option<String>,
    pub processing_conversation_id: Option<String>,
    pub private_cloud_sync_enabled: bool,
    pub deleted: bool,
}

/// The structured summary (spec §2.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StructuredView {
    pub title: String,
    pub overview: String,
    pub emoji: String,
    pub category: String,
    pub action_items: Vec<EmbeddedActionItemView>,
    pub events: Vec<EventView>,
}

/// An action item embedded in a conversation (spec §2.3, first form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EmbeddedActionItemView {
    pub description: String,
    pub completed: bool,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub completed_at: Option<DateTime<Utc>>,
    pub conversation_id: Option<String>,
}

/// A calendar-worthy event (spec §2.2 Event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EventView {
    pub title: String,
    pub description: String,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub start: DateTime<Utc>,
    /// Minutes.
    pub duration: u32,
    pub created: bool,
}

/// The output of a summarization app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AppResult {
    pub app_id: Option<String>,
    pub content: String,
}

/// The legacy mirror of [`AppResult`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PluginResult {
    pub plugin_id: Option<String>,
    pub content: String,
}

impl StructuredView {
    fn from_domain(structured: &Structured, conversation_id: &str) -> Self {
        StructuredView {
            title: structured.title.clone(),
            overview: structured.overview.clone(),
            emoji: structured.emoji.clone(),
            category: structured.category.clone(),
            action_items: structured
                .action_items
                .iter()
                .map(|item| EmbeddedActionItemView::from_domain(item, conversation_id))
                .collect(),
            events: structured
                .events
                .iter()
                .map(EventView::from_domain)
                .collect(),
        }
    }
}

impl Default for StructuredView {
    fn default() -> Self {
        StructuredView::from_domain(&Structured::default(), "")
    }
}

impl EmbeddedActionItemView {
    fn from_domain(item: &EmbeddedActionItem, conversation_id: &str) -> Self {
        EmbeddedActionItemView {
            description: item.description.clone(),
            completed: item.completed,
            created_at: item.created_at,
            updated_at: item.updated_at,
            due_at: item.due_at,
            completed_at: item.completed_at,
            conversation_id: Some(conversation_id.to_string()),
        }
    }
}

impl EventView {
    fn from_domain(event: &CalendarEvent) -> Self {
        EventView {
            title: event.title.clone(),
            description: event.description.clone(),
            start: event.start,
            duration: event.duration,
            created: event.created,
        }
    }
}

/// Processing bookkeeping kept beside the view: the last run asked for and the last run that finished
/// (completed or failed). A request that waits for processing waits until the two meet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Runs {
    pub requested: u32,
    pub finished: u32,
}

/// What the read model stores in `doc`: the view, plus the processing runs under `_runs` (ignored when the
/// document is read back as a [`ConversationView`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ConversationRow {
    #[serde(flatten)]
    pub view: ConversationView,
    #[serde(rename = "_runs", default)]
    pub runs: Runs,
    /// How many of the conversation's events the row has applied: the length of its stream, unless an event
    /// was applied twice (or skipped). Rows written before this count existed count from 0 until a replay.
    #[serde(rename = "_events", default)]
    pub events: u64,
}

/// A new view with the defaults of a conversation that nothing has happened to yet.
#[allow(clippy::too_many_arguments)]
fn new_view(
    id: &str,
    source: ConversationSource,
    language: &str,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    segments: Vec<TranscriptSegment>,
    geolocation: Option<Geolocation>,
    external_data: Option<Value>,
    status: ConversationStatus,
    recorded_at: DateTime<Utc>,
) -> ConversationView {
    ConversationView {
        id: id.to_string(),
        created_at,
        updated_at: recorded_at,
        started_at,
        finished_at,
        source,
        language: language.to_string(),
        structured: StructuredView::default(),
        transcript_segments: Some(segments),
        geolocation,
        photos: Vec::new(),
        apps_results: Vec::new(),
        plugins_results: Vec::new(),
        suggested_summarization_apps: Vec::new(),
        external_data,
        discarded: false,
        visibility: ConversationVisibility::Private,
        starred: false,
        status,
        is_locked: false,
        folder_id: None,
        processing_conversation_id: None,
        private_cloud_sync_enabled: false,
        deleted: false,
    }
}

impl ConversationRow {
    /// The owner and row after `event` (recorded at `recorded_at`); `None` once the conversation is deleted or
    /// merged into another. `current` is the row before it.
    pub(crate) fn evolve(
        id: &str,
        current: Option<(String, ConversationRow)>,
        event: &ConversationEvent,
        recorded_at: DateTime<Utc>,
    ) -> Option<(String, ConversationRow)> {
        use ConversationEvent as E;
        match event {
            E::ConversationStarted {
                uid,
                source,
                language,
                created_at,
            } => Some((
                uid.clone(),
                ConversationRow {
                    view: new_view(
                        id,
                        *source,
                        language,
                        *created_at,
                        None,
                        None,
                        Vec::new(),
                        None,
                        None,
                        ConversationStatus::InProgress,
                        recorded_at,
                    ),
                    runs: Runs::default(),
                    events: 1,
                },
            )),
            E::ConversationImported {
                uid,
                source,
                language,
                created_at,
                started_at,
                finished_at,
                segments,
                geolocation,
                external_data,
            } => Some((
                uid.clone(),
                ConversationRow {
                    view: new_view(
                        id,
                        *source,
                        language,
                        *created_at,
                        Some(*started_at),
                        Some(*finished_at),
                        segments.clone(),
                        geolocation.clone(),
                        external_data.clone(),
                        ConversationStatus::Processing,
                        recorded_at,
                    ),
                    runs: Runs::default(),
                    events: 1,
                },
            )),
            E::ConversationMerged { .. } | E::ConversationDeleted { .. } => None,
            event => current.map(|(uid, mut row)| {
                row.apply(id, event);
                row.events += 1;
                row.view.updated_at = recorded_at;
                (uid, row)
            }),
        }
    }

    fn apply(&mut self, id: &str, event: &ConversationEvent) {
        use ConversationEvent as E;
        let view = &mut self.view;
        match event {
            E::SegmentsAppended {
                segments,
                started_at,
                finished_at,
            } => {
                if started_at.is_some() {
                    view.started_at = *started_at;
                }
                view.finished_at = Some(*finished_at);
                let stored = view.transcript_segments.get_or_insert_with(Vec::new);
                for segment in segments {
                    match stored.iter_mut().find(|s| s.id == segment.id) {
                        Some(existing) => *existing = segment.clone(),
                        None => stored.push(segment.clone()),
                    }
                }
            }
            E::ProcessingRequested { run, reprocess, .. } => {
                self.runs.requested = *run;
                if !*reprocess || view.status == ConversationStatus::Failed {
                    view.status = ConversationStatus::Processing;
                }
            }
            E::ConversationProcessed {
                run,
                structured,
                discarded,
                ..
            } => {
                self.runs.finished = *run;
                view.structured = StructuredView::from_domain(structured, id);
                view.discarded = *discarded;
                view.status = ConversationStatus::Completed;
                // A new run's summarization apps start over.
                view.apps_results.clear();
                view.plugins_results.clear();
                view.suggested_summarization_apps.clear();
            }
            E::AppResultsRecorded {
                results,
                suggested_apps,
                ..
            } => {
                view.apps_results = results
                    .iter()
                    .map(|result| AppResult {
                        app_id: Some(result.app_id.clone()),
                        content: result.content.clone(),
                    })
                    .collect();
                view.plugins_results = results
                    .iter()
                    .map(|result| PluginResult {
                        plugin_id: Some(result.app_id.clone()),
                        content: result.content.clone(),
                    })
                    .collect();
                view.suggested_summarization_apps = suggested_apps.clone();
            }
            E::ConversationFailed { run, .. } => {
                self.runs.finished = *run;
                view.status = ConversationStatus::Failed;
            }
            // Semantic search's, not the conversation's answer's (the projection does not select it).
            E::ConversationEmbedded { .. } => {}
            // The audio webhooks', kept in the spool; the conversation's answer has no audio.
            E::AudioChunkRecorded { .. } => {}
            E::TitleEdited { title, .. } => view.structured.title = title.clone(),
            E::OverviewEdited { overview, .. } => view.structured.overview = overview.clone(),
            E::SegmentTextEdited {
                segment_id, text, ..
            } => {
                if let Some(segment) = view
                    .transcript_segments
                    .iter_mut()
                    .flatten()
                    .find(|s| s.id == *segment_id)
                {
                    segment.text = text.clone();
                }
            }
            E::SegmentsAssigned {
                segment_ids,
                is_user,
                person_id,
                ..
            } => {
                for segment in view
                    .transcript_segments
                    .iter_mut()
                    .flatten()
                    .filter(|s| segment_ids.contains(&s.id))
                {
                    segment.is_user = *is_user;
                    segment.person_id = person_id.clone();
                }
            }
            E::EventsCreatedSet { changes, .. } => {
                for (index, value) in changes {
                    if let Some(event) = view.structured.events.get_mut(*index) {
                        event.created = *value;
                    }
                }
            }
            E::ActionItemsCompletedSet { changes, at } => {
                let created_at = view.created_at;
                for (index, value) in changes {
                    if let Some(item) = view.structured.action_items.get_mut(*index) {
                        item.completed = *value;
                        item.completed_at = value.then_some(*at);
                        item.updated_at = Some(*at);
                        item.created_at.get_or_insert(created_at);
                    }
                }
            }
            E::ActionItemRenamed {
                index,
                description,
                at,
            } => {
                if let Some(item) = view.structured.action_items.get_mut(*index) {
                    item.description = description.clone();
                    item.updated_at = Some(*at);
                }
            }
            E::ActionItemsRemoved { description, .. } => view
                .structured
                .action_items
                .retain(|i| i.description != *description),
            E::VisibilityChanged { visibility, .. } => view.visibility = *visibility,
            E::StarredChanged { starred, .. } => view.starred = *starred,
            E::MovedToFolder { folder_id, .. } => view.folder_id = folder_id.clone(),
            E::DiscardedChanged { discarded, .. } => view.discarded = *discarded,
            E::MergeStarted { .. } => view.status = ConversationStatus::Merging,
            E::ConversationStarted { .. }
            | E::ConversationImported { .. }
            | E::TrendsExtracted { .. }
            | E::ConversationMerged { .. }
            | E::ConversationDeleted { .. } => {}
        }
    }
}

impl ConversationView {
    /// The list form: the same document without `transcript_segments`.
    pub fn without_segments(&self) -> serde_json::Result<String> {
        let mut value = serde_json::to_value(self)?;
        if let Some(object) = value.as_object_mut() {
            object.remove("transcript_segments");
        }
        serde_json::to_string(&value)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn segment(id: &str, text: &str) -> TranscriptSegment {
        TranscriptSegment {
            id: id.into(),
            text: text.into(),
            speaker: "SPEAKER_00".into(),
            speaker_id: 0,
            is_user: false,
            person_id: None,
            start: 0.0,
            end: 1.0,
            translations: vec![],
            speech_profile_processed: false,
            stt_provider: None,
        }
    }

    fn run(events: &[ConversationEvent]) -> Option<(String, ConversationRow)> {
        events.iter().enumerate().fold(None, |row, (i, event)| {
            ConversationRow::evolve("c1", row, event, at(100 + i as i64))
        })
    }

    fn imported() -> ConversationEvent {
        ConversationEvent::ConversationImported {
            uid: "u1".into(),
            source: ConversationSource::ExternalIntegration,
            language: "en".into(),
            created_at: at(0),
            started_at: at(0),
            finished_at: at(60),
            segments: vec![segment("s0", "Hello")],
            geolocation: None,
            external_data: None,
        }
    }

    fn processed(run: u32) -> ConversationEvent {
        ConversationEvent::ConversationProcessed {
            run,
            structured: Structured {
                title: "Greeting".into(),
                overview: "A hello.".into(),
                emoji: "👋".into(),
                category: "social".into(),
                action_items: vec![EmbeddedActionItem {
                    description: "Say hello back".into(),
                    completed: false,
                    created_at: None,
                    updated_at: None,
                    due_at: None,
                    completed_at: None,
                }],
                events: vec![],
            },
            discarded: false,
            memories: vec![],
            published: true,
            completed_at: at(70),
        }
    }

    fn requested(run: u32, reprocess: bool) -> ConversationEvent {
        ConversationEvent::ProcessingRequested {
            run,
            force: reprocess,
            reprocess,
            language: None,
            requested_at: at(61),
        }
    }

    #[test]
    fn an_import_is_processing_with_its_segments_and_times_in_utc() {
        let (uid, row) = run(&[imported(), requested(1, false)]).unwrap();
        assert_eq!(uid, "u1");
        assert_eq!(
            row.runs,
            Runs {
                requested: 1,
                finished: 0
            }
        );
        let json = serde_json::to_value(&row.view).unwrap();
        assert_eq!(json["status"], "processing");
        assert_eq!(json["created_at"], "2023-11-14T22:13:20+00:00");
        assert_eq!(json["finished_at"], "2023-11-14T22:14:20+00:00");
        assert_eq!(json["updated_at"], "2023-11-14T22:15:01+00:00");
        assert_eq!(json["source"], "external_integration");
        assert_eq!(json["transcript_segments"][0]["text"], "Hello");
        assert_eq!(json["structured"]["emoji"], "🧠");
        assert_eq!(json["photos"], json!([]));
        assert_eq!(json["is_locked"], false);
        assert_eq!(json["processing_conversation_id"], Value::Null);
    }

    #[test]
    fn the_list_form_leaves_the_segments_out() {
        let (_, row) = run(&[imported()]).unwrap();
        let list: Value = serde_json::from_str(&row.view.without_segments().unwrap()).unwrap();
        assert!(list.get("transcript_segments").is_none());
        let back: ConversationView = serde_json::from_value(list).unwrap();
        assert_eq!(back.transcript_segments, None);
    }

    #[test]
    fn the_stored_row_round_trips_and_reads_as_a_view() {
        let (_, row) = run(&[imported(), requested(1, false), processed(1)]).unwrap();
        let doc = serde_json::to_string(&row).unwrap();
        assert_eq!(serde_json::from_str::<ConversationRow>(&doc).unwrap(), row);
        let view: ConversationView = serde_json::from_str(&doc).unwrap();
        assert_eq!(view, row.view);
        assert!(!serde_json::to_string(&view).unwrap().contains("_runs"));
    }

    #[test]
    fn a_reprocess_keeps_the_conversation_completed_until_its_run_finishes() {
        let (_, row) = run(&[
            imported(),
            requested(1, false),
            processed(1),
            requested(2, true),
        ])
        .unwrap();
        assert_eq!(row.view.status, ConversationStatus::Completed);
        assert_eq!(
            row.runs,
            Runs {
                requested: 2,
                finished: 1
            }
        );
        assert_eq!(
            row.view.structured.action_items[0]
                .conversation_id
                .as_deref(),
            Some("c1")
        );
    }

    #[test]
    fn completing_an_action_item_stamps_it_and_backfills_created_at() {
        let (_, row) = run(&[
            imported(),
            requested(1, false),
            processed(1),
            ConversationEvent::ActionItemsCompletedSet {
                changes: vec![(0, true)],
                at: at(80),
            },
        ])
        .unwrap();
        let item = &row.view.structured.action_items[0];
        assert!(item.completed);
        assert_eq!(item.completed_at, Some(at(80)));
        assert_eq!(item.created_at, Some(at(0)));
        let (_, row) = ConversationRow::evolve(
            "c1",
            Some(("u1".into(), row)),
            &ConversationEvent::ActionItemsCompletedSet {
                changes: vec![(0, false)],
                at: at(90),
            },
            at(200),
        )
        .unwrap();
        assert_eq!(row.view.structured.action_items[0].completed_at, None);
        assert_eq!(row.view.updated_at, at(200));
    }

    #[test]
    fn deleted_and_merged_conversations_are_gone() {
        for end in [
            ConversationEvent::ConversationDeleted {
                reason: "user".into(),
                at: at(90),
            },
            ConversationEvent::ConversationMerged {
                into: "m".into(),
                at: at(90),
            },
        ] {
            assert!(run(&[imported(), end]).is_none());
        }
    }
}
