//! Given/when/then tests of the conversation aggregate: one test per rule.

use chrono::{TimeZone, Utc};
use cqrs_es::test::TestFramework;
use serde_json::json;

use super::*;
use crate::trend::{TrendCategory, TrendMention, TrendType};
use crate::{DomainError, Timestamp};

type Given = TestFramework<Conversation>;

fn at(seconds: i64) -> Timestamp {
    Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
}

fn segment(id: &str, speaker: u32, text: &str, start: f64, end: f64) -> TranscriptSegment {
    TranscriptSegment {
        id: id.into(),
        text: text.into(),
        speaker: speaker_label(speaker),
        speaker_id: speaker,
        is_user: false,
        person_id: None,
        start,
        end,
        translations: vec![],
        speech_profile_processed: false,
        stt_provider: None,
    }
}

fn started(uid: &str) -> ConversationEvent {
    ConversationEvent::ConversationStarted {
        uid: uid.into(),
        source: ConversationSource::Omi,
        language: "en".into(),
        created_at: at(0),
    }
}

fn imported(uid: &str, segments: Vec<TranscriptSegment>) -> ConversationEvent {
    ConversationEvent::ConversationImported {
        uid: uid.into(),
        source: ConversationSource::ExternalIntegration,
        language: "en".into(),
        created_at: at(0),
        started_at: at(0),
        finished_at: at(60),
        segments,
        geolocation: None,
        external_data: None,
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

fn structured() -> Structured {
    Structured {
        title: "Dentist Appointment".into(),
        overview: "Booking a cleaning.".into(),
        emoji: "🩺".into(),
        category: "health".into(),
        action_items: vec![EmbeddedActionItem {
            description: "Call the dentist".into(),
            completed: false,
            created_at: Some(at(62)),
            updated_at: None,
            due_at: None,
            completed_at: None,
        }],
        events: vec![CalendarEvent {
            title: "Cleaning".into(),
            description: String::new(),
            start: at(86_400),
            duration: 30,
            created: false,
        }],
    }
}

fn processed(run: u32) -> ConversationEvent {
    ConversationEvent::ConversationProcessed {
        run,
        structured: structured(),
        discarded: false,
        memories: vec![],
        published: true,
        completed_at: at(62),
    }
}

/// A completed conversation of `u1` with two segments, one action item and one event.
fn completed() -> Vec<ConversationEvent> {
    vec![
        imported(
            "u1",
            vec![
                segment("s0", 0, "I should call the dentist.", 0.0, 2.0),
                segment("s1", 1, "Do it tomorrow.", 2.5, 4.0),
            ],
        ),
        requested(1, false),
        processed(1),
    ]
}

fn import(uid: &str, segments: Vec<TranscriptSegment>, text: Option<&str>) -> ConversationCommand {
    ConversationCommand::ImportConversation {
        uid: uid.into(),
        source: ConversationSource::ExternalIntegration,
        language: "en".into(),
        started_at: at(0),
        finished_at: at(60),
        segments,
        geolocation: None,
        external_data: text.map(|t| json!({ "text": t, "text_source": "other_text" })),
        at: at(61),
    }
}

fn append(segments: Vec<TranscriptSegment>, speech_began: i64, now: i64) -> ConversationCommand {
    ConversationCommand::AppendSegments {
        uid: "u1".into(),
        segments,
        speech_began: at(speech_began),
        at: at(now),
    }
}

fn complete(run: u32) -> ConversationCommand {
    ConversationCommand::CompleteProcessing {
        run,
        structured: structured(),
        discarded: false,
        memories: vec![],
        trends: vec![],
        published: true,
        folder_id: None,
        at: at(62),
    }
}

fn reprocess(uid: &str) -> ConversationCommand {
    ConversationCommand::Reprocess {
        uid: uid.into(),
        language: Some("es".into()),
        at: at(100),
    }
}

#[test]
fn a_live_capture_starts_an_in_progress_stub_once() {
    Given::with(())
        .given_no_previous_events()
        .when(ConversationCommand::StartConversation {
            uid: "u1".into(),
            source: ConversationSource::Omi,
            language: "en".into(),
            at: at(0),
        })
        .then_expect_events(vec![started("u1")]);
    Given::with(())
        .given(vec![started("u1")])
        .when(ConversationCommand::StartConversation {
            uid: "u1".into(),
            source: ConversationSource::Omi,
            language: "en".into(),
            at: at(1),
        })
        .then_expect_error(DomainError::Conflict("Conversation already exists".into()));
}

#[test]
fn an_import_is_recorded_and_asks_for_processing_run_one() {
    let segments = vec![segment("s0", 0, "Hello there.", 0.0, 1.0)];
    Given::with(())
        .given_no_previous_events()
        .when(import("u1", segments.clone(), None))
        .then_expect_events(vec![imported("u1", segments), requested(1, false)]);
}

#[test]
fn a_text_import_without_segments_is_accepted() {
    let events = Given::with(())
        .given_no_previous_events()
        .when(import("u1", vec![], Some("Notes from the meeting")))
        .inspect_result()
        .unwrap();
    assert_eq!(events.len(), 2);
    assert!(matches!(
        &events[0],
        ConversationEvent::ConversationImported { external_data: Some(data), .. }
            if data["text"] == "Notes from the meeting"
    ));
}

#[test]
fn an_import_without_segments_or_text_is_refused() {
    Given::with(())
        .given_no_previous_events()
        .when(import("u1", vec![], None))
        .then_expect_error(DomainError::Invalid(
            "A conversation needs transcript segments or text".into(),
        ));
}

#[test]
fn an_import_that_ends_before_it_starts_is_refused() {
    let mut command = import("u1", vec![segment("s0", 0, "Hi.", 0.0, 1.0)], None);
    if let ConversationCommand::ImportConversation { finished_at, .. } = &mut command {
        *finished_at = at(-1);
    }
    Given::with(())
        .given_no_previous_events()
        .when(command)
        .then_expect_error(DomainError::Invalid(
            "finished_at must not be before started_at".into(),
        ));
}

#[test]
fn the_first_append_merges_one_speakers_segments_and_sets_started_at() {
    Given::with(())
        .given(vec![started("u1")])
        .when(append(
            vec![
                segment("a", 0, "We should", 0.0, 1.0),
                segment("b", 0, "meet .", 1.0, 2.0),
                segment("c", 1, "Agreed.", 2.5, 3.0),
            ],
            5,
            8,
        ))
        .then_expect_events(vec![ConversationEvent::SegmentsAppended {
            segments: vec![
                segment("a", 0, "We should meet.", 0.0, 2.0),
                segment("c", 1, "Agreed.", 2.5, 3.0),
            ],
            started_at: Some(at(5)),
            finished_at: at(8),
        }]);
}

#[test]
fn a_later_append_glues_to_the_stored_segment_and_keeps_started_at() {
    Given::with(())
        .given(vec![
            started("u1"),
            ConversationEvent::SegmentsAppended {
                segments: vec![segment("a", 0, "We should", 0.0, 1.0)],
                started_at: Some(at(5)),
                finished_at: at(6),
            },
        ])
        .when(append(vec![segment("b", 0, "meet.", 3.0, 4.0)], 9, 10))
        .then_expect_events(vec![ConversationEvent::SegmentsAppended {
            segments: vec![segment("a", 0, "We should meet.", 0.0, 4.0)],
            started_at: None,
            finished_at: at(10),
        }]);
}

#[test]
fn an_append_of_only_empty_text_records_nothing() {
    Given::with(())
        .given(vec![started("u1")])
        .when(append(vec![segment("a", 0, "   ", 0.0, 1.0)], 5, 6))
        .then_expect_events(vec![]);
}

#[test]
fn appending_to_a_conversation_that_is_not_in_progress_conflicts() {
    Given::with(())
        .given(completed())
        .when(append(
            vec![segment("z", 0, "Late words.", 9.0, 10.0)],
            5,
            6,
        ))
        .then_expect_error(DomainError::Conflict(
            "Conversation is not in progress".into(),
        ));
}

#[test]
fn requesting_processing_of_an_empty_stub_deletes_it() {
    Given::with(())
        .given(vec![started("u1")])
        .when(ConversationCommand::RequestProcessing {
            uid: "u1".into(),
            force: true,
            at: at(30),
        })
        .then_expect_events(vec![ConversationEvent::ConversationDeleted {
            reason: "empty".into(),
            at: at(30),
        }]);
}

#[test]
fn requesting_processing_bumps_the_run() {
    Given::with(())
        .given(vec![
            started("u1"),
            ConversationEvent::SegmentsAppended {
                segments: vec![segment("a", 0, "Hello there.", 0.0, 1.0)],
                started_at: Some(at(5)),
                finished_at: at(6),
            },
        ])
        .when(ConversationCommand::RequestProcessing {
            uid: "u1".into(),
            force: true,
            at: at(30),
        })
        .then_expect_events(vec![ConversationEvent::ProcessingRequested {
            run: 1,
            force: true,
            reprocess: false,
            language: None,
            requested_at: at(30),
        }]);
}

#[test]
fn requesting_processing_of_a_processed_conversation_conflicts() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::RequestProcessing {
            uid: "u1".into(),
            force: true,
            at: at(30),
        })
        .then_expect_error(DomainError::Conflict(
            "Conversation is not in progress".into(),
        ));
}

#[test]
fn the_result_of_the_current_run_completes_the_conversation() {
    let mut given = completed();
    given.pop();
    Given::with(())
        .given(given)
        .when(complete(1))
        .then_expect_events(vec![processed(1)]);
}

fn mention(category: TrendCategory, topic: &str, kind: TrendType) -> TrendMention {
    TrendMention {
        category,
        topic: topic.into(),
        kind,
    }
}

#[test]
fn a_result_records_its_whitelisted_trend_mentions_once_each_after_the_structure() {
    let mut given = completed();
    given.pop();
    let chatgpt = mention(TrendCategory::AiProduct, "ChatGPT", TrendType::Best);
    let command =
        |trends: Vec<TrendMention>, discarded: bool| ConversationCommand::CompleteProcessing {
            run: 1,
            structured: structured(),
            discarded,
            memories: vec![],
            trends,
            published: true,
            folder_id: None,
            at: at(62),
        };
    let found = vec![
        chatgpt.clone(),
        mention(TrendCategory::AiProduct, "ChatGPT", TrendType::Worst),
        mention(TrendCategory::Company, "Initech", TrendType::Worst),
    ];
    Given::with(())
        .given(given.clone())
        .when(command(found.clone(), false))
        .then_expect_events(vec![
            processed(1),
            ConversationEvent::TrendsExtracted {
                run: 1,
                mentions: vec![chatgpt],
                extracted_at: at(62),
            },
        ]);
    Given::with(())
        .given(given.clone())
        .when(command(found, true))
        .then_expect_events(vec![ConversationEvent::ConversationProcessed {
            run: 1,
            structured: structured(),
            discarded: true,
            memories: vec![],
            published: true,
            completed_at: at(62),
        }]);
    let invented = vec![mention(
        TrendCategory::Ceo,
        "Bill Lumbergh",
        TrendType::Worst,
    )];
    Given::with(())
        .given(given)
        .when(command(invented, false))
        .then_expect_events(vec![processed(1)]);
}

#[test]
fn a_stale_processing_result_records_nothing() {
    let mut given = completed();
    given.push(requested(2, true));
    Given::with(())
        .given(given)
        .when(complete(1))
        .then_expect_events(vec![]);
    let mut given = completed();
    given.push(requested(2, true));
    Given::with(())
        .given(given)
        .when(ConversationCommand::FailProcessing {
            run: 1,
            reason: "late".into(),
            at: at(70),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_failed_run_is_recorded() {
    let mut given = completed();
    given.pop();
    Given::with(())
        .given(given)
        .when(ConversationCommand::FailProcessing {
            run: 1,
            reason: "model down".into(),
            at: at(70),
        })
        .then_expect_events(vec![ConversationEvent::ConversationFailed {
            run: 1,
            reason: "model down".into(),
            failed_at: at(70),
        }]);
}

#[test]
fn reprocessing_a_completed_conversation_asks_for_the_next_run() {
    Given::with(())
        .given(completed())
        .when(reprocess("u1"))
        .then_expect_events(vec![ConversationEvent::ProcessingRequested {
            run: 2,
            force: true,
            reprocess: true,
            language: Some("es".into()),
            requested_at: at(100),
        }]);
}

#[test]
fn reprocessing_a_failed_conversation_is_allowed() {
    let mut given = completed();
    given.pop();
    given.push(ConversationEvent::ConversationFailed {
        run: 1,
        reason: "model down".into(),
        failed_at: at(70),
    });
    let events = Given::with(())
        .given(given)
        .when(reprocess("u1"))
        .inspect_result()
        .unwrap();
    assert!(matches!(
        events.as_slice(),
        [ConversationEvent::ProcessingRequested {
            run: 2,
            reprocess: true,
            ..
        }]
    ));
}

#[test]
fn reprocessing_is_refused_while_processing_or_in_progress() {
    let mut processing = completed();
    processing.pop();
    Given::with(())
        .given(processing)
        .when(reprocess("u1"))
        .then_expect_error(DomainError::Conflict(
            "Only a completed or failed conversation can be reprocessed".into(),
        ));
    Given::with(())
        .given(vec![started("u1")])
        .when(reprocess("u1"))
        .then_expect_error(DomainError::Conflict(
            "Only a completed or failed conversation can be reprocessed".into(),
        ));
}

#[test]
fn a_reprocessed_conversation_stays_completed() {
    // Still completed after the reprocess request: it can be merged (which needs `completed`) and
    // reprocessed again, and the older run's result no longer counts.
    let mut given = completed();
    given.push(requested(2, true));
    Given::with(())
        .given(given)
        .when(ConversationCommand::BeginMerge {
            uid: "u1".into(),
            into: "m".into(),
            at: at(120),
        })
        .then_expect_events(vec![ConversationEvent::MergeStarted {
            into: "m".into(),
            at: at(120),
        }]);
}

#[test]
fn edits_record_only_changes() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::EditTitle {
            uid: "u1".into(),
            title: " Dentist Appointment ".into(),
            at: at(90),
        })
        .then_expect_events(vec![]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::EditTitle {
            uid: "u1".into(),
            title: " Dentist Visit ".into(),
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::TitleEdited {
            title: "Dentist Visit".into(),
            at: at(90),
        }]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::EditOverview {
            uid: "u1".into(),
            overview: "Booking a cleaning.".into(),
            at: at(90),
        })
        .then_expect_events(vec![]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::EditSegmentText {
            uid: "u1".into(),
            segment_id: "s1".into(),
            text: "Do it tomorrow.".into(),
            at: at(90),
        })
        .then_expect_events(vec![]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::Star {
            uid: "u1".into(),
            starred: false,
            at: at(90),
        })
        .then_expect_events(vec![]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::ChangeVisibility {
            uid: "u1".into(),
            visibility: ConversationVisibility::Private,
            at: at(90),
        })
        .then_expect_events(vec![]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::MoveToFolder {
            uid: "u1".into(),
            folder_id: Some("f1".into()),
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::MovedToFolder {
            folder_id: Some("f1".into()),
            at: at(90),
        }]);
}

#[test]
fn a_blank_title_is_refused() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::EditTitle {
            uid: "u1".into(),
            title: "   ".into(),
            at: at(90),
        })
        .then_expect_error(DomainError::Invalid("Title cannot be empty".into()));
}

#[test]
fn editing_an_unknown_segment_is_not_found() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::EditSegmentText {
            uid: "u1".into(),
            segment_id: "nope".into(),
            text: "x".into(),
            at: at(90),
        })
        .then_expect_error(DomainError::NotFound("Segment"));
}

#[test]
fn segment_assignment_needs_existing_segments() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::AssignSegments {
            uid: "u1".into(),
            segment_ids: vec!["s0".into(), "nope".into()],
            is_user: true,
            person_id: None,
            at: at(90),
        })
        .then_expect_error(DomainError::NotFound("Segment"));
    Given::with(())
        .given(completed())
        .when(ConversationCommand::AssignSegments {
            uid: "u1".into(),
            segment_ids: vec![],
            is_user: true,
            person_id: None,
            at: at(90),
        })
        .then_expect_error(DomainError::NotFound("Segment"));
    Given::with(())
        .given(completed())
        .when(ConversationCommand::AssignSegments {
            uid: "u1".into(),
            segment_ids: vec!["s1".into()],
            is_user: false,
            person_id: Some("p1".into()),
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::SegmentsAssigned {
            segment_ids: vec!["s1".into()],
            is_user: false,
            person_id: Some("p1".into()),
            at: at(90),
        }]);
}

#[test]
fn index_toggles_ignore_out_of_range_indices() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::SetEventsCreated {
            uid: "u1".into(),
            indices: vec![0, 7],
            values: vec![true, true],
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::EventsCreatedSet {
            changes: vec![(0, true)],
            at: at(90),
        }]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::SetActionItemsCompleted {
            uid: "u1".into(),
            indices: vec![3],
            values: vec![true],
            at: at(90),
        })
        .then_expect_events(vec![]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::SetActionItemsCompleted {
            uid: "u1".into(),
            indices: vec![0],
            values: vec![true],
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::ActionItemsCompletedSet {
            changes: vec![(0, true)],
            at: at(90),
        }]);
}

#[test]
fn index_toggles_require_equal_lengths() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::SetEventsCreated {
            uid: "u1".into(),
            indices: vec![0, 1],
            values: vec![true],
            at: at(90),
        })
        .then_expect_error(DomainError::Invalid(
            "indices and values must have the same length".into(),
        ));
    Given::with(())
        .given(completed())
        .when(ConversationCommand::SetActionItemsCompleted {
            uid: "u1".into(),
            indices: vec![0],
            values: vec![],
            at: at(90),
        })
        .then_expect_error(DomainError::Invalid(
            "indices and values must have the same length".into(),
        ));
}

#[test]
fn embedded_action_items_are_renamed_and_removed_by_description() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::RenameActionItem {
            uid: "u1".into(),
            old_description: "Call the dentist".into(),
            description: " Call the dentist on Monday ".into(),
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::ActionItemRenamed {
            index: 0,
            description: "Call the dentist on Monday".into(),
            at: at(90),
        }]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::RenameActionItem {
            uid: "u1".into(),
            old_description: "Nothing like it".into(),
            description: "x".into(),
            at: at(90),
        })
        .then_expect_error(DomainError::NotFound("Action item"));
    Given::with(())
        .given(completed())
        .when(ConversationCommand::RemoveActionItems {
            uid: "u1".into(),
            description: "Call the dentist".into(),
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::ActionItemsRemoved {
            description: "Call the dentist".into(),
            at: at(90),
        }]);
}

#[test]
fn another_users_conversation_is_not_found() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::EditTitle {
            uid: "u2".into(),
            title: "Mine".into(),
            at: at(90),
        })
        .then_expect_error(DomainError::NotFound("Conversation"));
    Given::with(())
        .given(completed())
        .when(ConversationCommand::Delete {
            uid: "u2".into(),
            at: at(90),
        })
        .then_expect_error(DomainError::NotFound("Conversation"));
    Given::with(())
        .given(vec![started("u1")])
        .when(ConversationCommand::RequestProcessing {
            uid: "u2".into(),
            force: true,
            at: at(90),
        })
        .then_expect_error(DomainError::NotFound("Conversation"));
}

#[test]
fn a_merge_begins_on_a_completed_conversation_and_finishes_it() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::BeginMerge {
            uid: "u1".into(),
            into: "m".into(),
            at: at(120),
        })
        .then_expect_events(vec![ConversationEvent::MergeStarted {
            into: "m".into(),
            at: at(120),
        }]);
    let mut merging = completed();
    merging.push(ConversationEvent::MergeStarted {
        into: "m".into(),
        at: at(120),
    });
    Given::with(())
        .given(merging)
        .when(ConversationCommand::FinishMerge {
            uid: "u1".into(),
            into: "m".into(),
            at: at(121),
        })
        .then_expect_events(vec![ConversationEvent::ConversationMerged {
            into: "m".into(),
            at: at(121),
        }]);
}

#[test]
fn a_merge_needs_a_completed_conversation_and_a_begun_merge() {
    let mut processing = completed();
    processing.pop();
    Given::with(())
        .given(processing)
        .when(ConversationCommand::BeginMerge {
            uid: "u1".into(),
            into: "m".into(),
            at: at(120),
        })
        .then_expect_error(DomainError::Conflict(
            "Only completed conversations can be merged".into(),
        ));
    Given::with(())
        .given(completed())
        .when(ConversationCommand::FinishMerge {
            uid: "u1".into(),
            into: "m".into(),
            at: at(121),
        })
        .then_expect_error(DomainError::Conflict(
            "Conversation is not being merged".into(),
        ));
}

#[test]
fn a_merged_conversation_is_gone() {
    let mut merged = completed();
    merged.push(ConversationEvent::MergeStarted {
        into: "m".into(),
        at: at(120),
    });
    merged.push(ConversationEvent::ConversationMerged {
        into: "m".into(),
        at: at(121),
    });
    Given::with(())
        .given(merged)
        .when(ConversationCommand::Delete {
            uid: "u1".into(),
            at: at(130),
        })
        .then_expect_error(DomainError::NotFound("Conversation"));
}

#[test]
fn a_conversation_is_deleted_and_then_gone() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::Delete {
            uid: "u1".into(),
            at: at(130),
        })
        .then_expect_events(vec![ConversationEvent::ConversationDeleted {
            reason: "user".into(),
            at: at(130),
        }]);
    let mut deleted = completed();
    deleted.push(ConversationEvent::ConversationDeleted {
        reason: "user".into(),
        at: at(130),
    });
    Given::with(())
        .given(deleted)
        .when(ConversationCommand::EditTitle {
            uid: "u1".into(),
            title: "Back".into(),
            at: at(140),
        })
        .then_expect_error(DomainError::NotFound("Conversation"));
}

#[test]
fn an_import_of_an_existing_conversation_conflicts() {
    Given::with(())
        .given(completed())
        .when(import("u1", vec![segment("s0", 0, "Hi.", 0.0, 1.0)], None))
        .then_expect_error(DomainError::Conflict("Conversation already exists".into()));
}

#[test]
fn a_processing_result_for_a_conversation_not_being_processed_records_nothing() {
    Given::with(())
        .given_no_previous_events()
        .when(complete(1))
        .then_expect_events(vec![]);
    Given::with(())
        .given(vec![started("u1")])
        .when(complete(0))
        .then_expect_events(vec![]);
    Given::with(())
        .given(vec![started("u1")])
        .when(ConversationCommand::FailProcessing {
            run: 0,
            reason: "model down".into(),
            at: at(70),
        })
        .then_expect_events(vec![]);
}

#[test]
fn the_result_of_a_reprocess_run_is_recorded() {
    let mut given = completed();
    given.push(requested(2, true));
    Given::with(())
        .given(given)
        .when(complete(2))
        .then_expect_events(vec![processed(2)]);
}

#[test]
fn the_current_run_may_still_complete_after_it_failed() {
    let mut given = completed();
    given.pop();
    given.push(ConversationEvent::ConversationFailed {
        run: 1,
        reason: "model down".into(),
        failed_at: at(70),
    });
    Given::with(())
        .given(given)
        .when(complete(1))
        .then_expect_events(vec![processed(1)]);
}

#[test]
fn changed_edits_are_recorded() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::EditOverview {
            uid: "u1".into(),
            overview: "Booking a cleaning for Monday.".into(),
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::OverviewEdited {
            overview: "Booking a cleaning for Monday.".into(),
            at: at(90),
        }]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::EditSegmentText {
            uid: "u1".into(),
            segment_id: "s1".into(),
            text: "Do it on Monday.".into(),
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::SegmentTextEdited {
            segment_id: "s1".into(),
            text: "Do it on Monday.".into(),
            at: at(90),
        }]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::Star {
            uid: "u1".into(),
            starred: true,
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::StarredChanged {
            starred: true,
            at: at(90),
        }]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::ChangeVisibility {
            uid: "u1".into(),
            visibility: ConversationVisibility::Shared,
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::VisibilityChanged {
            visibility: ConversationVisibility::Shared,
            at: at(90),
        }]);
}

#[test]
fn moving_to_the_folder_it_is_in_records_nothing() {
    let mut given = completed();
    given.push(ConversationEvent::MovedToFolder {
        folder_id: Some("f1".into()),
        at: at(90),
    });
    Given::with(())
        .given(given)
        .when(ConversationCommand::MoveToFolder {
            uid: "u1".into(),
            folder_id: Some("f1".into()),
            at: at(91),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_conversation_is_discarded_and_restored_only_on_change() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::SetDiscarded {
            uid: "u1".into(),
            discarded: false,
            at: at(90),
        })
        .then_expect_events(vec![]);
    Given::with(())
        .given(completed())
        .when(ConversationCommand::SetDiscarded {
            uid: "u1".into(),
            discarded: true,
            at: at(90),
        })
        .then_expect_events(vec![ConversationEvent::DiscardedChanged {
            discarded: true,
            at: at(90),
        }]);
    let mut discarded = completed();
    discarded.push(ConversationEvent::DiscardedChanged {
        discarded: true,
        at: at(90),
    });
    Given::with(())
        .given(discarded)
        .when(ConversationCommand::SetDiscarded {
            uid: "u1".into(),
            discarded: false,
            at: at(91),
        })
        .then_expect_events(vec![ConversationEvent::DiscardedChanged {
            discarded: false,
            at: at(91),
        }]);
}

#[test]
fn a_blank_action_item_description_is_refused() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::RenameActionItem {
            uid: "u1".into(),
            old_description: "Call the dentist".into(),
            description: "   ".into(),
            at: at(90),
        })
        .then_expect_error(DomainError::Invalid(
            "Action item description cannot be empty".into(),
        ));
}

#[test]
fn removing_an_action_item_that_is_not_there_records_nothing() {
    Given::with(())
        .given(completed())
        .when(ConversationCommand::RemoveActionItems {
            uid: "u1".into(),
            description: "Nothing like it".into(),
            at: at(90),
        })
        .then_expect_events(vec![]);
}

fn complete_into(folder: &str, discarded: bool) -> ConversationCommand {
    match complete(1) {
        ConversationCommand::CompleteProcessing {
            run,
            structured,
            memories,
            trends,
            published,
            at,
            ..
        } => ConversationCommand::CompleteProcessing {
            run,
            structured,
            discarded,
            memories,
            trends,
            published,
            folder_id: Some(folder.into()),
            at,
        },
        other => other,
    }
}

#[test]
fn a_kept_result_moves_a_conversation_in_no_folder_into_the_results_folder() {
    let mut given = completed();
    given.pop();
    Given::with(())
        .given(given)
        .when(complete_into("work", false))
        .then_expect_events(vec![
            processed(1),
            ConversationEvent::MovedToFolder {
                folder_id: Some("work".into()),
                at: at(62),
            },
        ]);
}

#[test]
fn a_discarded_result_or_a_conversation_in_a_folder_keeps_its_folder() {
    let mut given = completed();
    given.pop();
    let mut discarded = processed(1);
    if let ConversationEvent::ConversationProcessed { discarded: d, .. } = &mut discarded {
        *d = true;
    }
    Given::with(())
        .given(given.clone())
        .when(complete_into("work", true))
        .then_expect_events(vec![discarded]);
    given.push(ConversationEvent::MovedToFolder {
        folder_id: Some("mine".into()),
        at: at(61),
    });
    Given::with(())
        .given(given)
        .when(complete_into("work", false))
        .then_expect_events(vec![processed(1)]);
}

#[test]
fn leaving_a_deleted_folder_moves_only_a_conversation_still_in_it() {
    let mut given = completed();
    given.push(ConversationEvent::MovedToFolder {
        folder_id: Some("gone".into()),
        at: at(90),
    });
    let leave = ConversationCommand::MoveOutOfFolder {
        uid: "u1".into(),
        from: "gone".into(),
        to: "other".into(),
        at: at(91),
    };
    Given::with(())
        .given(given.clone())
        .when(leave.clone())
        .then_expect_events(vec![ConversationEvent::MovedToFolder {
            folder_id: Some("other".into()),
            at: at(91),
        }]);
    given.push(ConversationEvent::MovedToFolder {
        folder_id: Some("elsewhere".into()),
        at: at(92),
    });
    Given::with(())
        .given(given)
        .when(leave)
        .then_expect_events(vec![]);
}

fn audio_chunk(uid: &str) -> ConversationCommand {
    ConversationCommand::RecordAudioChunk {
        uid: uid.into(),
        chunk_id: "chunk-1".into(),
        sample_rate: 16000,
        duration_ms: 5000,
        at: at(9),
    }
}

#[test]
fn an_audio_chunk_is_recorded_on_a_live_conversation_only() {
    Given::with(())
        .given(vec![started("u1")])
        .when(audio_chunk("u1"))
        .then_expect_events(vec![ConversationEvent::AudioChunkRecorded {
            chunk_id: "chunk-1".into(),
            sample_rate: 16000,
            duration_ms: 5000,
            recorded_at: at(9),
        }]);
    Given::with(())
        .given(completed())
        .when(audio_chunk("u1"))
        .then_expect_error(DomainError::Conflict(
            "Conversation is not in progress".into(),
        ));
    Given::with(())
        .given(vec![started("u1")])
        .when(audio_chunk("u2"))
        .then_expect_error(DomainError::NotFound("Conversation"));
}

/// The fingerprint of [`completed`]'s text, as a reaction reading its read model computes it.
fn completed_text() -> u64 {
    text_fingerprint(
        "Dentist Appointment",
        "Booking a cleaning.",
        ["I should call the dentist.", "Do it tomorrow."],
    )
}

fn embed(run: Option<u32>, text: u64, model: &str) -> ConversationCommand {
    ConversationCommand::RecordEmbedding {
        uid: "u1".into(),
        run,
        text,
        model: model.into(),
        vector: Embedding::new(vec![1.0, 0.0]).unwrap(),
        at: at(70),
    }
}

fn embedded(run: u32, model: &str) -> ConversationEvent {
    ConversationEvent::ConversationEmbedded {
        run,
        model: model.into(),
        vector: Embedding::new(vec![1.0, 0.0]).unwrap(),
        embedded_at: at(70),
    }
}

#[test]
fn an_embedding_of_the_current_text_is_recorded_once_per_model() {
    Given::with(())
        .given(completed())
        .when(embed(Some(1), completed_text(), "m"))
        .then_expect_events(vec![embedded(1, "m")]);
    let mut given = completed();
    given.push(embedded(1, "m"));
    Given::with(())
        .given(given.clone())
        .when(embed(None, completed_text(), "m"))
        .then_expect_events(vec![]);
    // Another model places the same text again.
    Given::with(())
        .given(given)
        .when(embed(None, completed_text(), "other"))
        .then_expect_events(vec![embedded(1, "other")]);
}

#[test]
fn an_embedding_of_a_text_the_conversation_no_longer_has_is_not_recorded() {
    let mut given = completed();
    given.push(ConversationEvent::TitleEdited {
        title: "Dentist, moved".into(),
        at: at(65),
    });
    Given::with(())
        .given(given)
        .when(embed(Some(1), completed_text(), "m"))
        .then_expect_events(vec![]);
}

#[test]
fn an_edited_text_is_embedded_again_for_the_same_run() {
    let mut given = completed();
    given.push(embedded(1, "m"));
    given.push(ConversationEvent::TitleEdited {
        title: "Dentist, moved".into(),
        at: at(80),
    });
    let edited = text_fingerprint(
        "Dentist, moved",
        "Booking a cleaning.",
        ["I should call the dentist.", "Do it tomorrow."],
    );
    Given::with(())
        .given(given.clone())
        .when(embed(None, edited, "m"))
        .then_expect_events(vec![embedded(1, "m")]);
    given.push(embedded(1, "m"));
    Given::with(())
        .given(given)
        .when(embed(None, edited, "m"))
        .then_expect_events(vec![]);
}

#[test]
fn an_embedding_of_an_older_run_or_an_unprocessed_conversation_is_not_recorded() {
    let mut given = completed();
    given.push(requested(2, true));
    Given::with(())
        .given(given)
        .when(embed(Some(1), completed_text(), "m"))
        .then_expect_events(vec![]);
    let mut given = completed();
    given.pop();
    Given::with(())
        .given(given)
        .when(embed(None, completed_text(), "m"))
        .then_expect_events(vec![]);
}
