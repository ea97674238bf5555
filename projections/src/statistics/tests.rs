//! The rules of the statistics, one test each, on the fold of a user's events and on the read models.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use omi_domain::action_item::ActionItemEvent;
use omi_domain::conversation::{
    ConversationEvent, ConversationSource, Structured, TranscriptSegment,
};
use omi_domain::memory::{MemoryCategory, MemoryEvent, Visibility};
use omi_store::{Database, LogPosition};

use super::*;
use crate::runtime::{Projection, RecordedEvent, StoredEvent};

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, day, hour, 0, 0).unwrap()
}

fn date(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, day).unwrap()
}

fn segment(id: &str, text: &str, start: f64, end: f64, is_user: bool) -> TranscriptSegment {
    TranscriptSegment {
        id: id.into(),
        text: text.into(),
        speaker: if is_user { "SPEAKER_00" } else { "SPEAKER_01" }.into(),
        speaker_id: u32::from(!is_user),
        is_user,
        person_id: None,
        start,
        end,
        translations: vec![],
        speech_profile_processed: false,
        stt_provider: None,
    }
}

/// The events of a log, numbered in order, each on the stream its aggregate id names.
struct Log(Vec<RecordedEvent>);

impl Log {
    fn push(&mut self, id: &str, event: StoredEvent) -> &mut Self {
        let global = self.0.len() as i64 + 1;
        let sequence = self.0.iter().filter(|e| e.aggregate_id == id).count() as i64 + 1;
        self.0.push(RecordedEvent {
            position: LogPosition {
                transaction: 0,
                global,
            },
            aggregate_id: id.into(),
            sequence,
            recorded_at: DateTime::<Utc>::UNIX_EPOCH,
            metadata: Default::default(),
            event,
        });
        self
    }

    fn conversation(&mut self, id: &str, event: ConversationEvent) -> &mut Self {
        self.push(id, StoredEvent::Conversation(event))
    }

    fn imported(&mut self, id: &str, day: u32, segments: Vec<TranscriptSegment>) -> &mut Self {
        self.conversation(
            id,
            ConversationEvent::ConversationImported {
                uid: "u1".into(),
                source: ConversationSource::Omi,
                language: "en".into(),
                created_at: at(day, 9),
                started_at: at(day, 9),
                finished_at: at(day, 10),
                segments,
                geolocation: None,
                external_data: None,
            },
        )
    }

    fn processed(&mut self, id: &str, run: u32, category: &str, discarded: bool) -> &mut Self {
        self.conversation(
            id,
            ConversationEvent::ConversationProcessed {
                run,
                structured: Structured {
                    category: category.into(),
                    ..Structured::default()
                },
                discarded,
                memories: vec![],
                published: true,
                completed_at: at(28, 0),
            },
        )
    }

    fn statistics(&self, from: u32, to: u32) -> RangeStatistics {
        contributions_of(&self.0).count(day::day_number(date(from)), day::day_number(date(to)))
    }
}

fn log() -> Log {
    Log(Vec::new())
}

#[test]
fn a_completed_conversation_counts_its_segments_time_words_category_and_other_speakers() {
    let mut speaker = segment("s2", "how are you", 10.0, 12.5, false);
    speaker.person_id = Some("p-ann".into());
    let mut log = log();
    log.imported(
        "c1",
        3,
        vec![
            segment("s1", "hello there", 0.0, 10.0, true),
            speaker,
            segment("s3", "fine", 13.0, 14.0, false),
        ],
    )
    .processed("c1", 1, "work", false);
    let stats = log.statistics(1, 30);
    assert_eq!(stats.days.len(), 1);
    assert_eq!(stats.days[0].date, date(3));
    let day = &stats.days[0].statistics;
    assert_eq!(day.conversations, 1);
    assert_eq!(day.milliseconds_spoken, 13_500);
    assert_eq!(day.words, 6);
    assert_eq!(day.categories.get("work"), Some(&1));
    assert_eq!(day.people.get("p-ann"), Some(&1));
    assert_eq!(day.speakers, 2, "p-ann and SPEAKER_01");
    assert_eq!(stats.total, *day);
}

#[test]
fn a_conversation_without_segments_counts_five_minutes() {
    let mut log = log();
    log.imported("c1", 3, vec![])
        .processed("c1", 1, "other", false);
    assert_eq!(log.statistics(3, 3).total.milliseconds_spoken, 300_000);
}

#[test]
fn only_completed_conversations_count() {
    let mut log = log();
    log.imported("c1", 3, vec![segment("s1", "hi", 0.0, 1.0, true)]);
    assert_eq!(log.statistics(1, 30).total.conversations, 0);
    log.processed("c1", 1, "work", false);
    assert_eq!(log.statistics(1, 30).total.conversations, 1);
    log.conversation(
        "c1",
        ConversationEvent::ConversationFailed {
            run: 2,
            reason: "model down".into(),
            failed_at: at(4, 0),
        },
    );
    assert_eq!(log.statistics(1, 30).total.conversations, 0);
}

#[test]
fn a_discard_a_deletion_and_a_merge_take_a_conversation_out() {
    for end in [
        ConversationEvent::DiscardedChanged {
            discarded: true,
            at: at(5, 0),
        },
        ConversationEvent::ConversationDeleted {
            reason: "user".into(),
            at: at(5, 0),
        },
        ConversationEvent::ConversationMerged {
            into: "c9".into(),
            at: at(5, 0),
        },
    ] {
        let mut log = log();
        log.imported("c1", 3, vec![])
            .processed("c1", 1, "work", false);
        log.conversation("c1", end);
        assert_eq!(log.statistics(1, 30).total, Statistics::default());
    }
    let mut log = log();
    log.imported("c1", 3, vec![])
        .processed("c1", 1, "work", true);
    assert_eq!(log.statistics(1, 30).total.conversations, 0);
    log.conversation(
        "c1",
        ConversationEvent::DiscardedChanged {
            discarded: false,
            at: at(5, 0),
        },
    );
    assert_eq!(log.statistics(1, 30).total.conversations, 1);
}

#[test]
fn a_reprocess_moves_the_conversation_to_its_new_category() {
    let mut log = log();
    log.imported("c1", 3, vec![])
        .processed("c1", 1, "work", false);
    log.conversation(
        "c1",
        ConversationEvent::ProcessingRequested {
            run: 2,
            force: true,
            reprocess: true,
            language: None,
            requested_at: at(6, 0),
        },
    );
    assert_eq!(
        log.statistics(1, 30).total.categories.get("work"),
        Some(&1),
        "still counted while the reprocess runs"
    );
    log.processed("c1", 2, "health", false);
    let total = log.statistics(1, 30).total;
    assert_eq!(total.categories.len(), 1);
    assert_eq!(total.categories.get("health"), Some(&1));
}

#[test]
fn edited_and_resent_segments_replace_their_words_and_times() {
    let mut log = log();
    log.imported("c1", 3, vec![segment("s1", "one two", 0.0, 2.0, true)])
        .processed("c1", 1, "work", false);
    log.conversation(
        "c1",
        ConversationEvent::SegmentTextEdited {
            segment_id: "s1".into(),
            text: "one two three four".into(),
            at: at(4, 0),
        },
    );
    assert_eq!(log.statistics(1, 30).total.words, 4);
    log.conversation(
        "c1",
        ConversationEvent::SegmentsAppended {
            segments: vec![segment("s1", "one", 0.0, 5.0, true)],
            started_at: None,
            finished_at: at(4, 0),
        },
    );
    let total = log.statistics(1, 30).total;
    assert_eq!((total.words, total.milliseconds_spoken), (1, 5_000));
}

#[test]
fn action_items_count_on_their_creation_and_completion_days_until_reopened_or_deleted() {
    let created = |day: u32, completed: bool| {
        StoredEvent::ActionItem(ActionItemEvent::ActionItemCreated {
            uid: "u1".into(),
            description: "call Ann".into(),
            completed,
            completed_at: completed.then(|| at(day, 12)),
            due_at: None,
            conversation_id: None,
            created_at: at(day, 9),
        })
    };
    let mut log = log();
    log.push("a1", created(3, false))
        .push("a2", created(3, true))
        .push(
            "a1",
            StoredEvent::ActionItem(ActionItemEvent::ActionItemCompleted {
                completed_at: at(7, 8),
            }),
        );
    let stats = log.statistics(1, 30);
    assert_eq!(stats.days[0].statistics.action_items_created, 2);
    assert_eq!(stats.days[0].statistics.action_items_completed, 1);
    assert_eq!(stats.days[1].date, date(7));
    assert_eq!(stats.days[1].statistics.action_items_completed, 1);
    log.push(
        "a1",
        StoredEvent::ActionItem(ActionItemEvent::ActionItemReopened {
            reopened_at: at(8, 0),
        }),
    )
    .push(
        "a2",
        StoredEvent::ActionItem(ActionItemEvent::ActionItemDeleted {
            deleted_at: at(8, 0),
        }),
    );
    let total = log.statistics(1, 30).total;
    assert_eq!(
        (total.action_items_created, total.action_items_completed),
        (1, 0)
    );
    assert_eq!(
        log.statistics(4, 30).total.action_items_created,
        0,
        "outside the range"
    );
}

#[test]
fn memories_count_on_their_creation_day_until_deleted() {
    let created = |day: u32| {
        StoredEvent::Memory(MemoryEvent::MemoryCreated {
            uid: "u1".into(),
            content: "likes tea".into(),
            category: MemoryCategory::Interesting,
            visibility: Visibility::Private,
            tags: vec![],
            manually_added: true,
            reviewed: true,
            user_review: None,
            conversation_id: None,
            app_id: None,
            created_at: at(day, 9),
        })
    };
    let mut log = log();
    log.push("m1", created(3)).push("m2", created(4));
    assert_eq!(log.statistics(1, 30).total.memories_created, 2);
    log.push(
        "m1",
        StoredEvent::Memory(MemoryEvent::MemoryDeleted {
            deleted_at: at(5, 0),
        }),
    );
    let stats = log.statistics(1, 30);
    assert_eq!(stats.total.memories_created, 1);
    assert_eq!(stats.days[0].date, date(4));
}

/// The read models, fed batch by batch through the live path, count what the fold of the same log counts.
#[tokio::test]
async fn the_read_models_answer_what_the_fold_of_the_log_counts() {
    let mut log = log();
    log.imported("c1", 3, vec![segment("s1", "hello there", 0.0, 4.0, false)])
        .imported("c2", 4, vec![])
        .processed("c1", 1, "work", false)
        .processed("c2", 1, "social", false)
        .conversation(
            "c2",
            ConversationEvent::ConversationDeleted {
                reason: "user".into(),
                at: at(5, 0),
            },
        )
        .push(
            "a1",
            StoredEvent::ActionItem(ActionItemEvent::ActionItemCreated {
                uid: "u1".into(),
                description: "call Ann".into(),
                completed: true,
                completed_at: Some(at(4, 1)),
                due_at: None,
                conversation_id: None,
                created_at: at(3, 1),
            }),
        )
        .push(
            "m1",
            StoredEvent::Memory(MemoryEvent::MemoryCreated {
                uid: "u1".into(),
                content: "likes tea".into(),
                category: MemoryCategory::Interesting,
                visibility: Visibility::Private,
                tags: vec![],
                manually_added: true,
                reviewed: true,
                user_review: None,
                conversation_id: None,
                app_id: None,
                created_at: at(4, 2),
            }),
        );
    let dir = std::env::temp_dir().join(format!("omi-statistics-{}", uuid_like()));
    let database = Database::open(None, &dir, 1).await.unwrap();
    // The statistics read the conversations' contribution rows and the action items' and memories' own rows.
    let projections: Vec<Box<dyn Projection>> = vec![
        Box::new(ConversationStatisticsProjection),
        Box::new(crate::action_items::ActionItemsProjection),
        Box::new(crate::memories::MemoriesProjection),
    ];
    // Two batches: the second one's events find their rows written by the first.
    for batch in log.0.chunks(4) {
        let mut conn = database.pool().acquire().await.unwrap();
        for projection in &projections {
            projection.apply(&mut conn, batch).await.unwrap();
        }
    }
    let read = range(&database, "u1", date(1), date(30)).await.unwrap();
    assert_eq!(read, log.statistics(1, 30));
    assert_eq!(read.total.conversations, 1);
    assert_eq!(read.total.action_items_completed, 1);
    assert_eq!(read.total.memories_created, 1);
    let fourth = super::day(&database, "u1", date(4)).await.unwrap();
    assert_eq!(fourth.statistics.action_items_completed, 1);
    assert_eq!(fourth.statistics.memories_created, 1);
    assert_eq!(fourth.statistics.conversations, 0, "c2 was deleted");
    let other = range(&database, "u2", date(1), date(30)).await.unwrap();
    assert!(other.days.is_empty());
    database.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

fn uuid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    )
}
