//! The P2 data set: a year of use by a few thousand users, as event log rows ready for `COPY … FROM STDIN`.
//!
//! Every event is decided by the domain's own aggregates from a command (so it is exactly what the server would
//! have appended: only changed fields, no event for a no-op) and stored as the server stores it: postgres-es binds
//! payload and metadata as JSONB, so the `json` columns hold JSONB's text form (keys ordered by length, then
//! bytewise; `", "` and `": "` separators), which [`jsonb_text`] reproduces byte for byte. Streams are interleaved in time: all
//! events are sorted by their timestamp before they are written, so a stream's events are spread over the log
//! as they would be in real use. Beside the rows it keeps what the read models must hold afterwards.

use std::collections::HashMap;

use chrono::{Duration, SecondsFormat, TimeZone, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use omi_domain::action_item::{ActionItem, ActionItemCommand, ActionItemEvent};
use omi_domain::memory::{
    memory_id, Memory, MemoryCategory, MemoryCommand, MemoryEvent, Visibility,
};
use omi_domain::{Patch, Timestamp};
use serde_json::{json, Value};

use crate::rng::Rng;
use crate::text;

/// One event row in PostgreSQL `COPY` text format, with its time for ordering.
pub struct Row {
    pub at: i64,
    pub line: String,
}

/// The columns of [`Row::line`], in order.
pub const COPY_COLUMNS: &str =
    "aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at";

/// What the `memories` read model must show for a memory.
pub struct ExpectedMemory {
    pub uid: String,
    pub content: String,
    pub category: MemoryCategory,
    pub visibility: Visibility,
    pub user_review: Option<bool>,
}

/// What the `action_items` read model must show for an action item.
pub struct ExpectedActionItem {
    pub uid: String,
    pub description: String,
    pub completed: bool,
    pub exported: bool,
}

/// The generated log and what replaying it must produce.
#[derive(Default)]
pub struct DataSet {
    /// Sorted by time: the order in which they are appended.
    pub rows: Vec<Row>,
    pub memory_events: u64,
    pub action_item_events: u64,
    /// Every memory stream and its final state (`None`: deleted).
    pub memories: HashMap<String, Option<ExpectedMemory>>,
    /// Every action item stream and its final state (`None`: deleted).
    pub action_items: HashMap<String, Option<ExpectedActionItem>>,
}

impl DataSet {
    pub fn live_memories(&self) -> u64 {
        self.memories.values().filter(|m| m.is_some()).count() as u64
    }

    pub fn live_action_items(&self) -> u64 {
        self.action_items.values().filter(|a| a.is_some()).count() as u64
    }

    pub fn completed_action_items(&self) -> u64 {
        self.action_items
            .values()
            .filter(|a| a.as_ref().is_some_and(|a| a.completed))
            .count() as u64
    }
}

/// Generates exactly `events` events for `users` users (the last stream is cut short where the count is reached;
/// a prefix of a valid stream is valid).
pub async fn generate(events: u64, users: usize, seed: u64) -> DataSet {
    let mut rng = Rng::new(seed);
    let uids: Vec<String> = (0..users.max(1)).map(|_| firebase_uid(&mut rng)).collect();
    let mut generator = Generator {
        rng,
        remaining: events,
        set: DataSet {
            rows: Vec::with_capacity(events as usize),
            ..DataSet::default()
        },
    };
    let start = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date");
    while generator.remaining > 0 {
        let uid = generator.rng.pick(&uids).clone();
        let offset = generator.rng.below(365 * 86_400 * 1_000_000) as i64;
        let at = start + Duration::microseconds(offset);
        if generator.rng.chance(0.55) {
            generator.memory_stream(&uid, at).await;
        } else {
            generator.action_item_stream(&uid, at).await;
        }
    }
    generator.set.rows.sort_by_key(|row| row.at);
    generator.set
}

/// A Firebase-like uid: 28 letters and digits.
fn firebase_uid(rng: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..28).map(|_| char::from(*rng.pick(ALPHABET))).collect()
}

/// Lets the aggregate decide `command`; the aggregate has applied the events when this returns.
async fn decide<A>(aggregate: &mut A, command: A::Command) -> Vec<A::Event>
where
    A: Aggregate<Services = ()>,
{
    let sink = EventSink::default();
    if let Err(error) = aggregate.handle(command, &(), &sink).await {
        panic!(
            "the generator issued a command the {} aggregate refuses: {error}",
            A::TYPE
        );
    }
    sink.collect().await
}

/// Escapes a value for the `COPY` text format.
fn escape(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// The text PostgreSQL gives back for `value` stored through JSONB: object keys ordered by length and then
/// bytewise, `", "` between items and `": "` after keys; strings escaped as serde_json escapes them (the same
/// set as PostgreSQL: quote, backslash, control characters; nothing else).
pub fn jsonb_text(value: &Value) -> String {
    let mut out = String::new();
    write_jsonb(value, &mut out);
    out
}

fn write_jsonb(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| {
                a.0.len()
                    .cmp(&b.0.len())
                    .then_with(|| a.0.as_bytes().cmp(b.0.as_bytes()))
            });
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write_jsonb(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_jsonb(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

const EXTRACTED_CATEGORIES: &[MemoryCategory] = &[
    MemoryCategory::Interesting,
    MemoryCategory::Interesting,
    MemoryCategory::Interesting,
    MemoryCategory::System,
    MemoryCategory::System,
    MemoryCategory::Core,
    MemoryCategory::Hobbies,
    MemoryCategory::Lifestyle,
    MemoryCategory::Work,
    MemoryCategory::Skills,
    MemoryCategory::Learnings,
    MemoryCategory::Habits,
    MemoryCategory::Other,
];

const EXPORT_PLATFORMS: &[&str] = &["apple_reminders", "todoist", "google_tasks", "asana"];

struct Generator {
    rng: Rng,
    remaining: u64,
    set: DataSet,
}

/// One stream being written: its identity and the next sequence number (streams start at 1, as cqrs-es does).
struct Stream<'a> {
    aggregate_type: &'static str,
    id: &'a str,
    uid: &'a str,
    sequence: i64,
}

impl Generator {
    /// A gap between two actions on the same stream: a minute to a month, mostly short.
    fn later(&mut self, at: Timestamp) -> Timestamp {
        let u = self.rng.unit();
        let seconds = 60 + (u * u * 30.0 * 86_400.0) as i64;
        at + Duration::seconds(seconds) + Duration::microseconds(self.rng.below(1_000_000) as i64)
    }

    /// Appends `events` of one command to the log (as far as the event budget goes); false once it is spent.
    fn emit<E: DomainEvent + serde::Serialize>(
        &mut self,
        stream: &mut Stream<'_>,
        events: &[E],
        at: Timestamp,
        mut apply: impl FnMut(&E),
    ) -> bool {
        let correlation_id = self.rng.uuid().to_string();
        let metadata = jsonb_text(
            &json!({ "uid": stream.uid, "actor": "user", "correlation_id": correlation_id }),
        );
        for event in events {
            if self.remaining == 0 {
                return false;
            }
            stream.sequence += 1;
            let payload = jsonb_text(&serde_json::to_value(event).expect("events serialise"));
            let mut line = String::with_capacity(payload.len() + metadata.len() + 128);
            line.push_str(stream.aggregate_type);
            line.push('\t');
            line.push_str(stream.id);
            line.push('\t');
            line.push_str(&stream.sequence.to_string());
            line.push('\t');
            line.push_str(&event.event_type());
            line.push('\t');
            line.push_str(&event.event_version());
            line.push('\t');
            escape(&payload, &mut line);
            line.push('\t');
            escape(&metadata, &mut line);
            line.push('\t');
            line.push_str(&at.to_rfc3339_opts(SecondsFormat::Micros, true));
            line.push('\n');
            self.set.rows.push(Row {
                at: at.timestamp_micros(),
                line,
            });
            self.remaining -= 1;
            apply(event);
        }
        self.remaining > 0
    }

    async fn memory_stream(&mut self, uid: &str, mut at: Timestamp) {
        // Typed in by the user (manually added, reviewed) or extracted from a conversation.
        let manual = self.rng.chance(0.35);
        let (content, id) = loop {
            let content = text::memory_content(&mut self.rng);
            let id = memory_id(uid, &content).to_string();
            if !self.set.memories.contains_key(&id) {
                break (content, id);
            }
        };
        let category = if manual {
            if self.rng.chance(0.2) {
                MemoryCategory::Manual
            } else {
                MemoryCategory::Interesting
            }
        } else {
            *self.rng.pick(EXTRACTED_CATEGORIES)
        };
        let tags: Vec<String> = (0..self.rng.below(3))
            .map(|_| text::tag(&mut self.rng))
            .collect();
        let conversation_id = (!manual).then(|| self.rng.uuid().to_string());
        let create = |at: Timestamp| MemoryCommand::CreateMemory {
            uid: uid.to_string(),
            content: content.clone(),
            category,
            visibility: Visibility::Private,
            tags: tags.clone(),
            manually_added: manual,
            conversation_id: conversation_id.clone(),
            app_id: None,
            at,
        };
        let mut memory = Memory::default();
        let mut state: Option<ExpectedMemory> = None;
        let mut stream = Stream {
            aggregate_type: Memory::TYPE,
            id: &id,
            uid,
            sequence: 0,
        };
        let mut memory_events = 0u64;
        let mut command = create(at);
        for step in 0..10 {
            let events = decide(&mut memory, command).await;
            let more = self.emit(&mut stream, &events, at, |event| {
                memory_events += 1;
                apply_memory(&mut state, event);
            });
            if !more || step == 9 || !self.rng.chance(0.55) {
                break;
            }
            at = self.later(at);
            command = match &state {
                // A deleted memory is sometimes written anew (same user, same content, so the same stream).
                None if self.rng.chance(0.3) => create(at),
                None => break,
                Some(current) => self.memory_follow_up(uid, current, at),
            };
        }
        self.set.memory_events += memory_events;
        self.set.memories.insert(id.clone(), state);
    }

    fn memory_follow_up(
        &mut self,
        uid: &str,
        current: &ExpectedMemory,
        at: Timestamp,
    ) -> MemoryCommand {
        let edit = |content, category, tags, visibility| MemoryCommand::EditMemory {
            uid: uid.to_string(),
            content,
            category,
            tags,
            visibility,
            at,
        };
        match self.rng.below(100) {
            0..30 => edit(Some(text::memory_content(&mut self.rng)), None, None, None),
            30..40 => {
                let category = *self.rng.pick(&MemoryCategory::ALL);
                let tags = (0..self.rng.between(1, 3))
                    .map(|_| text::tag(&mut self.rng))
                    .collect();
                edit(None, Some(category), Some(tags), None)
            }
            40..70 => MemoryCommand::ReviewMemory {
                uid: uid.to_string(),
                value: self.rng.chance(0.85),
                at,
            },
            70..82 => {
                let visibility = match current.visibility {
                    Visibility::Private => Visibility::Public,
                    Visibility::Public => Visibility::Private,
                };
                edit(None, None, None, Some(visibility))
            }
            _ => MemoryCommand::DeleteMemory {
                uid: uid.to_string(),
                at,
            },
        }
    }

    async fn action_item_stream(&mut self, uid: &str, mut at: Timestamp) {
        let id = self.rng.uuid().to_string();
        let completed = self.rng.chance(0.05);
        let due_at = self
            .rng
            .chance(0.4)
            .then(|| at + Duration::hours(self.rng.between(1, 30 * 24) as i64));
        let conversation_id = self.rng.chance(0.5).then(|| self.rng.uuid().to_string());
        let mut item = ActionItem::default();
        let mut state: Option<ExpectedActionItem> = None;
        let mut stream = Stream {
            aggregate_type: ActionItem::TYPE,
            id: &id,
            uid,
            sequence: 0,
        };
        let mut item_events = 0u64;
        let mut command = ActionItemCommand::CreateActionItem {
            uid: uid.to_string(),
            description: text::action_description(&mut self.rng),
            completed,
            due_at,
            conversation_id,
            at,
        };
        for step in 0..10 {
            let events = decide(&mut item, command).await;
            let more = self.emit(&mut stream, &events, at, |event| {
                item_events += 1;
                apply_action_item(&mut state, event);
            });
            if !more || step == 9 || state.is_none() || !self.rng.chance(0.55) {
                break;
            }
            at = self.later(at);
            command = self.action_item_follow_up(uid, at);
        }
        self.set.action_item_events += item_events;
        self.set.action_items.insert(id, state);
    }

    fn action_item_follow_up(&mut self, uid: &str, at: Timestamp) -> ActionItemCommand {
        let mut update = ActionItemCommand::UpdateActionItem {
            uid: uid.to_string(),
            description: None,
            completed: None,
            due_at: Patch::Keep,
            exported: None,
            export_date: Patch::Keep,
            export_platform: Patch::Keep,
            at,
        };
        let ActionItemCommand::UpdateActionItem {
            description,
            completed,
            due_at,
            exported,
            export_date,
            export_platform,
            ..
        } = &mut update
        else {
            unreachable!("built above")
        };
        match self.rng.below(100) {
            0..20 => *description = Some(text::action_description(&mut self.rng)),
            20..35 => {
                *due_at = if self.rng.chance(0.7) {
                    Patch::Set(at + Duration::hours(self.rng.between(1, 30 * 24) as i64))
                } else {
                    Patch::Clear
                }
            }
            35..40 => {
                *exported = Some(true);
                *export_date = Patch::Set(at);
                *export_platform = Patch::Set((*self.rng.pick(EXPORT_PLATFORMS)).to_string());
            }
            40..75 => *completed = Some(true),
            75..83 => *completed = Some(false),
            _ => {
                return ActionItemCommand::DeleteActionItem {
                    uid: uid.to_string(),
                    at,
                }
            }
        }
        update
    }
}

/// The memory read model's view of `event`, reduced to what the benchmark checks.
fn apply_memory(state: &mut Option<ExpectedMemory>, event: &MemoryEvent) {
    match event {
        MemoryEvent::MemoryCreated {
            uid,
            content,
            category,
            visibility,
            user_review,
            ..
        } => {
            *state = Some(ExpectedMemory {
                uid: uid.clone(),
                content: content.clone(),
                category: *category,
                visibility: *visibility,
                user_review: *user_review,
            })
        }
        MemoryEvent::MemoryEdited {
            content, category, ..
        } => {
            if let Some(current) = state {
                if let Some(content) = content {
                    current.content = content.clone();
                }
                if let Some(category) = category {
                    current.category = *category;
                }
            }
        }
        MemoryEvent::MemoryReviewed { value, .. } => {
            if let Some(current) = state {
                current.user_review = Some(*value);
            }
        }
        MemoryEvent::MemoryVisibilityChanged { visibility, .. } => {
            if let Some(current) = state {
                current.visibility = *visibility;
            }
        }
        MemoryEvent::MemoryDeleted { .. } => *state = None,
    }
}

/// The action item read model's view of `event`, reduced to what the benchmark checks.
fn apply_action_item(state: &mut Option<ExpectedActionItem>, event: &ActionItemEvent) {
    match event {
        ActionItemEvent::ActionItemCreated {
            uid,
            description,
            completed,
            ..
        } => {
            *state = Some(ExpectedActionItem {
                uid: uid.clone(),
                description: description.clone(),
                completed: *completed,
                exported: false,
            })
        }
        ActionItemEvent::ActionItemUpdated {
            description,
            exported,
            ..
        } => {
            if let Some(current) = state {
                if let Some(description) = description {
                    current.description = description.clone();
                }
                if let Some(exported) = exported {
                    current.exported = *exported;
                }
            }
        }
        ActionItemEvent::ActionItemCompleted { .. } => {
            if let Some(current) = state {
                current.completed = true;
            }
        }
        ActionItemEvent::ActionItemReopened { .. } => {
            if let Some(current) = state {
                current.completed = false;
            }
        }
        ActionItemEvent::ActionItemDeleted { .. } => *state = None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_written_as_postgresql_prints_jsonb() {
        // A row appended by the server, as `SELECT payload FROM events` printed it.
        let event = MemoryEvent::MemoryCreated {
            uid: "u1".into(),
            content: "likes tea".into(),
            category: MemoryCategory::Interesting,
            visibility: Visibility::Private,
            tags: vec![],
            manually_added: true,
            reviewed: true,
            user_review: Some(true),
            conversation_id: None,
            app_id: None,
            created_at: "2026-11-29T07:33:50.442614Z".parse().unwrap(),
        };
        let stored = r#"{"MemoryCreated": {"uid": "u1", "tags": [], "app_id": null, "content": "likes tea", "category": "interesting", "reviewed": true, "created_at": "2026-11-29T07:33:50.442614Z", "visibility": "private", "user_review": true, "manually_added": true, "conversation_id": null}}"#;
        assert_eq!(jsonb_text(&serde_json::to_value(&event).unwrap()), stored);
        let metadata = json!({"uid": "u1", "actor": "user", "correlation_id": "a05449ba-df77-40ab-8b53-e4067e95ae81"});
        assert_eq!(
            jsonb_text(&metadata),
            r#"{"uid": "u1", "actor": "user", "correlation_id": "a05449ba-df77-40ab-8b53-e4067e95ae81"}"#
        );
    }

    #[tokio::test]
    async fn the_log_has_the_asked_size_and_gapless_sequences() {
        let set = generate(5_000, 20, 7).await;
        assert_eq!(set.rows.len(), 5_000);
        assert_eq!(set.memory_events + set.action_item_events, 5_000);
        assert!(set.rows.windows(2).all(|w| w[0].at <= w[1].at));
        // Every stream's sequence numbers run 1, 2, 3… in log order.
        let mut last: HashMap<String, i64> = HashMap::new();
        for row in &set.rows {
            let fields: Vec<&str> = row.line.split('\t').collect();
            assert_eq!(fields.len(), 8);
            let sequence: i64 = fields[2].parse().unwrap();
            let previous = last.insert(fields[1].to_string(), sequence).unwrap_or(0);
            assert_eq!(sequence, previous + 1, "{}", row.line);
        }
        assert!(set.live_memories() > 0 && set.live_memories() < set.memories.len() as u64);
        assert!(set.live_action_items() > 0 && set.completed_action_items() > 0);
    }
}
