//! The P2 data set: a year of use by a few thousand users, as event log rows ready for `COPY … FROM STDIN`.
//!
//! Every event is decided by the domain's own aggregates from a command (so it is exactly what the server would
//! have appended: only changed fields, no event for a no-op) and stored as the server stores it: postgres-es binds
//! payload and metadata as JSONB, so the `json` columns hold JSONB's text form (keys ordered by length, then
//! bytewise; `", "` and `": "` separators), which [`jsonb_text`] reproduces byte for byte. Streams are interleaved in time: all
//! events are sorted by their recording time before they are written, so a stream's events are spread over the
//! log as they would be in real use.
//!
//! The log holds the four aggregates of the server: memories and action items typed by users, conversations
//! (live captures and imports from segments or text, processed into a structured result whose action items and
//! memories the pipeline writes to the standalone lists first, as the server does; then edited, starred,
//! shared, reprocessed, deleted) and API keys (created with scopes, used, some revoked). Each event is recorded
//! a little after the time its command carries, as on the server, so the recording time differs from every time
//! inside the events. Beside the rows it keeps what the read models must hold afterwards ([`crate::expected`]).

use std::collections::HashMap;

use chrono::{Duration, SecondsFormat, TimeZone, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use omi_domain::action_item::{ActionItem, ActionItemCommand};
use omi_domain::api_key::{ApiKey, ApiKeyCommand, KeyFamily, Scope};
use omi_domain::conversation::{
    CalendarEvent, Conversation, ConversationCommand, ConversationSource, ConversationStatus,
    ConversationVisibility, EmbeddedActionItem, ExtractedMemory, Geolocation, Structured,
    TranscriptSegment, CATEGORIES,
};
use omi_domain::memory::{memory_id, Memory, MemoryCategory, MemoryCommand, Visibility};
use omi_domain::{Patch, Timestamp};
use omi_projections::memories::MemoryView;
use serde_json::{json, Value};

use crate::expected::{self, ExpectedActionItem, ExpectedApiKey, ExpectedConversation};
use crate::rng::Rng;
use crate::text;

/// One event row in PostgreSQL `COPY` text format, with its recording time (microseconds) for ordering.
pub struct Row {
    pub at: i64,
    pub line: String,
}

/// The columns of [`Row::line`], in order.
pub const COPY_COLUMNS: &str =
    "aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at";

/// The generated log and what replaying it must produce.
#[derive(Default)]
pub struct DataSet {
    /// Sorted by recording time: the order in which they are appended.
    pub rows: Vec<Row>,
    pub memory_events: u64,
    pub action_item_events: u64,
    pub conversation_events: u64,
    pub api_key_events: u64,
    /// Every memory stream and its final state (`None`: deleted).
    pub memories: HashMap<String, Option<MemoryView>>,
    /// Every action item stream and its final state (`None`: deleted).
    pub action_items: HashMap<String, Option<ExpectedActionItem>>,
    /// Every conversation stream and its final state (`None`: deleted).
    pub conversations: HashMap<String, Option<ExpectedConversation>>,
    /// Every key stream and its final state (`None`: revoked).
    pub api_keys: HashMap<String, Option<ExpectedApiKey>>,
}

fn live<T>(map: &HashMap<String, Option<T>>) -> u64 {
    map.values().filter(|v| v.is_some()).count() as u64
}

impl DataSet {
    pub fn live_memories(&self) -> u64 {
        live(&self.memories)
    }

    pub fn live_action_items(&self) -> u64 {
        live(&self.action_items)
    }

    pub fn live_conversations(&self) -> u64 {
        live(&self.conversations)
    }

    pub fn live_api_keys(&self) -> u64 {
        live(&self.api_keys)
    }

    /// Live action items written by the processing of a generated conversation.
    pub fn action_items_of_conversations(&self) -> u64 {
        self.action_items
            .values()
            .flatten()
            .filter(|a| {
                a.view
                    .conversation_id
                    .as_ref()
                    .is_some_and(|c| self.conversations.contains_key(c))
            })
            .count() as u64
    }

    /// Live memories written by the processing of a generated conversation.
    pub fn memories_of_conversations(&self) -> u64 {
        self.memories
            .values()
            .flatten()
            .filter(|m| {
                m.conversation_id
                    .as_ref()
                    .is_some_and(|c| self.conversations.contains_key(c))
            })
            .count() as u64
    }

    /// Events per aggregate type, as `aggregate_type` names them in the log.
    pub fn events_by_type(&self) -> [(&'static str, u64); 4] {
        [
            (Memory::TYPE, self.memory_events),
            (ActionItem::TYPE, self.action_item_events),
            (Conversation::TYPE, self.conversation_events),
            (ApiKey::TYPE, self.api_key_events),
        ]
    }
}

/// Generates exactly `events` events for `users` users (the last streams are cut short where the count is
/// reached; a prefix of a valid stream is valid).
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
        // Per stream started; a conversation brings about 8 events (4–5 of its own, the rest its action items
        // and memories), a key about 9, a memory or an action item about 2: conversations then make 7–8 % of
        // the log and keys about 6 %.
        let kind = generator.rng.unit();
        if kind < 0.043 {
            generator.conversation_stream(&uid, at).await;
        } else if kind < 0.059 {
            generator.api_key_stream(&uid, at).await;
        } else if generator.rng.chance(0.55) {
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

const LIVE_SOURCES: &[ConversationSource] = &[
    ConversationSource::Omi,
    ConversationSource::Omi,
    ConversationSource::Omi,
    ConversationSource::Friend,
    ConversationSource::Phone,
    ConversationSource::AppleWatch,
    ConversationSource::Limitless,
];

const IMPORT_SOURCES: &[ConversationSource] = &[
    ConversationSource::ExternalIntegration,
    ConversationSource::Phone,
    ConversationSource::Desktop,
    ConversationSource::Sdcard,
    ConversationSource::Plaud,
    ConversationSource::Bee,
];

const TEXT_SOURCES: &[&str] = &["other_text", "email", "message", "audio_transcript"];

const EMOJIS: &[&str] = &["🧠", "📅", "💼", "🏃", "🍳", "✈️", "💡", "📚", "👨‍👩‍👧"];

const KEY_NAMES: &[&str] = &[
    "script",
    "zapier",
    "home assistant",
    "notes sync",
    "claude desktop",
    "cursor",
    " backup ",
];

struct Generator {
    rng: Rng,
    remaining: u64,
    set: DataSet,
}

/// One stream being written: its identity, who acts on it, the next sequence number (streams start at 1, as
/// cqrs-es does) and the recording time of its last event (its events are recorded in order).
struct Stream {
    aggregate_type: &'static str,
    id: String,
    uid: String,
    actor: String,
    sequence: i64,
    last_recorded: i64,
}

impl Stream {
    fn new(aggregate_type: &'static str, id: &str, uid: &str, actor: &str) -> Self {
        Self {
            aggregate_type,
            id: id.to_string(),
            uid: uid.to_string(),
            actor: actor.to_string(),
            sequence: 0,
            last_recorded: i64::MIN,
        }
    }
}

/// An entity written by conversation processing: its aggregate, stream and expected row.
struct Child<A, S> {
    aggregate: A,
    stream: Stream,
    state: Option<S>,
}

/// A conversation being written, with the action items and memories its results put in the lists.
struct ConversationContext {
    aggregate: Conversation,
    stream: Stream,
    state: Option<ExpectedConversation>,
    items: Vec<Child<ActionItem, ExpectedActionItem>>,
    memories: Vec<Child<Memory, MemoryView>>,
}

impl ConversationContext {
    fn status(&self) -> Option<ConversationStatus> {
        self.state.as_ref().map(|c| c.view.status)
    }
}

impl Generator {
    /// A gap between two actions on the same stream: a minute to a month, mostly short.
    fn later(&mut self, at: Timestamp) -> Timestamp {
        let u = self.rng.unit();
        let seconds = 60 + (u * u * 30.0 * 86_400.0) as i64;
        at + Duration::seconds(seconds) + Duration::microseconds(self.rng.below(1_000_000) as i64)
    }

    /// Appends `events` of one command, issued at `at`, to the log (as far as the event budget goes); false once
    /// it is spent. Each event is recorded 0.1–3 ms after `at` (and after the stream's previous event); `apply`
    /// sees it with its recording time.
    fn emit<E: DomainEvent + serde::Serialize>(
        &mut self,
        stream: &mut Stream,
        events: &[E],
        at: Timestamp,
        mut apply: impl FnMut(&E, Timestamp),
    ) -> bool {
        let correlation_id = self.rng.uuid().to_string();
        let metadata = jsonb_text(
            &json!({ "uid": stream.uid, "actor": stream.actor, "correlation_id": correlation_id }),
        );
        let delay = self.rng.between(100, 3_000) as i64;
        for event in events {
            if self.remaining == 0 {
                return false;
            }
            let recorded = (at.timestamp_micros() + delay).max(stream.last_recorded + 1);
            stream.last_recorded = recorded;
            let recorded_at = Utc
                .timestamp_micros(recorded)
                .single()
                .expect("a valid time");
            stream.sequence += 1;
            let payload = jsonb_text(&serde_json::to_value(event).expect("events serialise"));
            let mut line = String::with_capacity(payload.len() + metadata.len() + 128);
            line.push_str(stream.aggregate_type);
            line.push('\t');
            line.push_str(&stream.id);
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
            line.push_str(&recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true));
            line.push('\n');
            self.set.rows.push(Row { at: recorded, line });
            self.remaining -= 1;
            match stream.aggregate_type {
                "Memory" => self.set.memory_events += 1,
                "ActionItem" => self.set.action_item_events += 1,
                "Conversation" => self.set.conversation_events += 1,
                "ApiKey" => self.set.api_key_events += 1,
                other => panic!("no counter for aggregate type {other}"),
            }
            apply(event, recorded_at);
        }
        self.remaining > 0
    }

    /// Lets `aggregate` decide `command` and appends its events; false once the budget is spent.
    async fn run<A>(
        &mut self,
        aggregate: &mut A,
        stream: &mut Stream,
        command: A::Command,
        at: Timestamp,
        apply: impl FnMut(&A::Event, Timestamp),
    ) -> bool
    where
        A: Aggregate<Services = ()>,
        A::Event: serde::Serialize,
    {
        let events = decide(aggregate, command).await;
        self.emit(stream, &events, at, apply)
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
        let mut state: Option<MemoryView> = None;
        let mut stream = Stream::new(Memory::TYPE, &id, uid, "user");
        let mut command = create(at);
        for step in 0..10 {
            let more = self
                .run(&mut memory, &mut stream, command, at, |event, _| {
                    expected::memory(&id, &mut state, event)
                })
                .await;
            if !more || step == 9 || !self.rng.chance(0.55) {
                break;
            }
            at = self.later(at);
            command = match &state {
                // A deleted memory is sometimes written anew (same user, same content, so the same stream).
                None if self.rng.chance(0.3) => create(at),
                None => break,
                Some(current) => self.memory_follow_up(uid, current.visibility, at),
            };
        }
        self.set.memories.insert(id, state);
    }

    fn memory_follow_up(
        &mut self,
        uid: &str,
        visibility: Visibility,
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
                let visibility = match visibility {
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
        let mut stream = Stream::new(ActionItem::TYPE, &id, uid, "user");
        let mut command = ActionItemCommand::CreateActionItem {
            uid: uid.to_string(),
            description: text::action_description(&mut self.rng),
            completed,
            due_at,
            conversation_id,
            at,
        };
        for step in 0..10 {
            let more = self
                .run(&mut item, &mut stream, command, at, |event, _| {
                    expected::action_item(&id, &mut state, event)
                })
                .await;
            if !more || step == 9 || state.is_none() || !self.rng.chance(0.55) {
                break;
            }
            at = self.later(at);
            command = self.action_item_follow_up(uid, at);
        }
        self.set.action_items.insert(id, state);
    }

    fn action_item_follow_up(&mut self, uid: &str, at: Timestamp) -> ActionItemCommand {
        let uid = uid.to_string();
        let mut description = None;
        let mut due_at = Patch::Keep;
        let (mut exported, mut export_date, mut export_platform) = (None, Patch::Keep, Patch::Keep);
        match self.rng.below(100) {
            0..20 => description = Some(text::action_description(&mut self.rng)),
            20..35 => {
                due_at = if self.rng.chance(0.7) {
                    Patch::Set(at + Duration::hours(self.rng.between(1, 30 * 24) as i64))
                } else {
                    Patch::Clear
                }
            }
            35..40 => {
                exported = Some(true);
                export_date = Patch::Set(at);
                export_platform = Patch::Set((*self.rng.pick(EXPORT_PLATFORMS)).to_string());
            }
            40..75 => return ActionItemCommand::CompleteActionItem { uid, at },
            75..83 => return ActionItemCommand::ReopenActionItem { uid, at },
            _ => return ActionItemCommand::DeleteActionItem { uid, at },
        }
        ActionItemCommand::EditActionItem {
            uid,
            description,
            due_at,
            exported,
            export_date,
            export_platform,
            at,
        }
    }

    async fn api_key_stream(&mut self, uid: &str, mut at: Timestamp) {
        let id = self.rng.uuid().to_string();
        let family = if self.rng.chance(0.75) {
            KeyFamily::Developer
        } else {
            KeyFamily::Mcp
        };
        let mut scopes: Vec<Scope> = Scope::ALL
            .into_iter()
            .filter(|_| self.rng.chance(0.4))
            .collect();
        if scopes.is_empty() {
            scopes.push(Scope::MemoriesRead);
        }
        let secret: String = (0..2)
            .map(|_| format!("{:016x}", self.rng.next_u64()))
            .collect();
        let hashed_key: String = (0..4)
            .map(|_| format!("{:016x}", self.rng.next_u64()))
            .collect();
        let command = ApiKeyCommand::CreateApiKey {
            uid: uid.to_string(),
            family,
            name: (*self.rng.pick(KEY_NAMES)).to_string(),
            scopes,
            hashed_key,
            display_prefix: format!(
                "{}{}...{}",
                family.prefix(),
                &secret[..4],
                &secret[secret.len() - 4..]
            ),
            at,
        };
        let mut key = ApiKey::default();
        let mut state: Option<ExpectedApiKey> = None;
        let mut stream = Stream::new(ApiKey::TYPE, &id, uid, "user");
        let mut more = self
            .run(&mut key, &mut stream, command, at, |event, _| {
                expected::api_key(&id, &mut state, event)
            })
            .await;
        // Used now and then (recorded at most once a minute), by the key itself.
        stream.actor = match family {
            KeyFamily::Developer => format!("developer_key:{id}"),
            KeyFamily::Mcp => format!("mcp_key:{id}"),
        };
        let u = self.rng.unit();
        let uses = (u * u * 25.0) as u32;
        for _ in 0..uses {
            if !more {
                break;
            }
            let u = self.rng.unit();
            at += Duration::seconds(20 + (u * u * 3.0 * 86_400.0) as i64);
            more = self
                .run(
                    &mut key,
                    &mut stream,
                    ApiKeyCommand::RecordUse { at },
                    at,
                    |event, _| expected::api_key(&id, &mut state, event),
                )
                .await;
        }
        if more && self.rng.chance(0.25) {
            stream.actor = "user".into();
            at = self.later(at);
            let command = ApiKeyCommand::RevokeApiKey {
                uid: uid.to_string(),
                at,
            };
            self.run(&mut key, &mut stream, command, at, |event, _| {
                expected::api_key(&id, &mut state, event)
            })
            .await;
        }
        self.set.api_keys.insert(id, state);
    }

    /// `count` transcript segments from `from` seconds into the conversation, 1–3 speakers.
    fn segments(&mut self, count: u64, from: f64) -> Vec<TranscriptSegment> {
        let mut start = from;
        (0..count)
            .map(|_| {
                let speaker_id = self.rng.below(3) as u32;
                let length = (self.rng.between(100, 2_500) as f64) / 100.0;
                let segment = TranscriptSegment {
                    id: self.rng.uuid().to_string(),
                    text: text::sentence(&mut self.rng, 4, 30),
                    speaker: omi_domain::conversation::speaker_label(speaker_id),
                    speaker_id,
                    is_user: speaker_id == 0 && self.rng.chance(0.7),
                    person_id: (speaker_id == 2 && self.rng.chance(0.5))
                        .then(|| self.rng.uuid().to_string()),
                    start,
                    end: start + length,
                    translations: Vec::new(),
                    speech_profile_processed: self.rng.chance(0.5),
                    stt_provider: self.rng.chance(0.6).then(|| "deepgram".to_string()),
                };
                start += length + (self.rng.between(0, 4_000) as f64) / 100.0;
                segment
            })
            .collect()
    }

    /// Appends one command to the conversation's own stream.
    async fn on_conversation(
        &mut self,
        c: &mut ConversationContext,
        command: ConversationCommand,
        at: Timestamp,
    ) -> bool {
        let ConversationContext {
            aggregate,
            stream,
            state,
            ..
        } = c;
        let id = stream.id.clone();
        self.run(aggregate, stream, command, at, |event, recorded| {
            expected::conversation(&id, state, event, recorded)
        })
        .await
    }

    async fn conversation_stream(&mut self, uid: &str, mut at: Timestamp) {
        let id = self.rng.uuid().to_string();
        let mut c = ConversationContext {
            aggregate: Conversation::default(),
            stream: Stream::new(Conversation::TYPE, &id, uid, "user"),
            state: None,
            items: Vec::new(),
            memories: Vec::new(),
        };
        let mut more = if self.rng.chance(0.3) {
            self.live_capture(&mut c, uid, &mut at).await
        } else {
            self.import(&mut c, uid, at).await
        };
        let mut run = 1;
        if more && c.status() == Some(ConversationStatus::Processing) {
            more = self.process(&mut c, uid, run, &mut at).await;
        }
        for _ in 0..8 {
            if !more || c.state.is_none() || !self.rng.chance(0.6) {
                break;
            }
            at = self.later(at);
            more = self
                .conversation_follow_up(&mut c, uid, &mut run, &mut at)
                .await;
        }
        for child in c.items {
            self.set.action_items.insert(child.stream.id, child.state);
        }
        for child in c.memories {
            self.set.memories.insert(child.stream.id, child.state);
        }
        self.set.conversations.insert(id, c.state);
    }

    /// A capture from a device: the stub, a few batches of live segments, then processing asked for (a stub that
    /// got no speech is deleted instead).
    async fn live_capture(
        &mut self,
        c: &mut ConversationContext,
        uid: &str,
        at: &mut Timestamp,
    ) -> bool {
        let start = ConversationCommand::StartConversation {
            uid: uid.to_string(),
            source: *self.rng.pick(LIVE_SOURCES),
            language: if self.rng.chance(0.9) { "en" } else { "de" }.to_string(),
            at: *at,
        };
        if !self.on_conversation(c, start, *at).await {
            return false;
        }
        let speech_began = *at + Duration::milliseconds(self.rng.between(500, 20_000) as i64);
        let batches = if self.rng.chance(0.03) {
            0
        } else {
            self.rng.between(1, 4)
        };
        let mut offset = 0.0;
        for _ in 0..batches {
            *at += Duration::milliseconds(self.rng.between(20_000, 90_000) as i64);
            let count = self.rng.between(1, 3);
            let segments = self.segments(count, offset);
            offset = segments.last().map_or(offset, |s| s.end) + 1.0;
            let append = ConversationCommand::AppendSegments {
                uid: uid.to_string(),
                segments,
                speech_began,
                at: *at,
            };
            if !self.on_conversation(c, append, *at).await {
                return false;
            }
        }
        *at += Duration::seconds(self.rng.between(30, 120) as i64);
        let request = ConversationCommand::RequestProcessing {
            uid: uid.to_string(),
            force: false,
            at: *at,
        };
        self.on_conversation(c, request, *at).await
    }

    /// A finished conversation imported from segments or from text (it asks for processing itself).
    async fn import(&mut self, c: &mut ConversationContext, uid: &str, at: Timestamp) -> bool {
        let started_at = at - Duration::seconds(self.rng.between(120, 3 * 3_600) as i64);
        let geolocation = self.rng.chance(0.2).then(|| Geolocation {
            latitude: (self.rng.between(0, 180_000_000) as f64 - 90_000_000.0) / 1_000_000.0,
            longitude: (self.rng.between(0, 360_000_000) as f64 - 180_000_000.0) / 1_000_000.0,
            google_place_id: None,
            address: self
                .rng
                .chance(0.5)
                .then(|| format!("{} Market Street", self.rng.between(1, 999))),
            location_type: None,
        });
        let language = if self.rng.chance(0.9) { "en" } else { "es" }.to_string();
        let command = if self.rng.chance(0.5) {
            let finished_at = started_at + Duration::minutes(5);
            let source = ConversationSource::ExternalIntegration;
            let mut external_data = json!({
                "text": text::sentence(&mut self.rng, 40, 200),
                "text_source": *self.rng.pick(TEXT_SOURCES),
                "text_source_spec": null,
                "started_at": omi_projections::time::format(&started_at),
                "finished_at": omi_projections::time::format(&finished_at),
                "language": language,
                "source": source,
            });
            if let (Some(geolocation), Value::Object(data)) = (&geolocation, &mut external_data) {
                data.insert("geolocation".into(), json!(geolocation));
            }
            ConversationCommand::ImportConversation {
                uid: uid.to_string(),
                source,
                language,
                started_at,
                finished_at,
                segments: Vec::new(),
                geolocation,
                external_data: Some(external_data),
                at,
            }
        } else {
            let count = self.rng.between(2, 12);
            let segments = self.segments(count, 0.0);
            let finished_at = started_at
                + Duration::milliseconds((segments.last().map_or(60.0, |s| s.end) * 1000.0) as i64);
            ConversationCommand::ImportConversation {
                uid: uid.to_string(),
                source: *self.rng.pick(IMPORT_SOURCES),
                language,
                started_at,
                finished_at: finished_at.min(at),
                segments,
                geolocation,
                external_data: None,
                at,
            }
        };
        self.on_conversation(c, command, at).await
    }

    /// What processing makes of a conversation.
    fn structured(&mut self, at: Timestamp) -> Structured {
        let items = match self.rng.below(10) {
            0..3 => 0,
            3..7 => 1,
            7..9 => 2,
            _ => 3,
        };
        let events = if self.rng.chance(0.25) {
            self.rng.between(1, 2)
        } else {
            0
        };
        Structured {
            title: text::sentence(&mut self.rng, 2, 7)
                .trim_end_matches('.')
                .to_string(),
            overview: text::sentence(&mut self.rng, 15, 45),
            emoji: (*self.rng.pick(EMOJIS)).to_string(),
            category: (*self.rng.pick(&CATEGORIES)).to_string(),
            action_items: (0..items)
                .map(|_| EmbeddedActionItem {
                    description: text::action_description(&mut self.rng),
                    completed: false,
                    created_at: Some(at),
                    updated_at: None,
                    due_at: self
                        .rng
                        .chance(0.3)
                        .then(|| at + Duration::hours(self.rng.between(2, 240) as i64)),
                    completed_at: None,
                })
                .collect(),
            events: (0..events)
                .map(|_| CalendarEvent {
                    title: text::sentence(&mut self.rng, 2, 5),
                    description: text::sentence(&mut self.rng, 5, 14),
                    start: at + Duration::hours(self.rng.between(2, 500) as i64),
                    duration: self.rng.between(15, 180) as u32,
                    created: false,
                })
                .collect(),
        }
    }

    /// Processing run `run`, some seconds after `at`, as the server's pipeline does it: the action items and
    /// memories of the conversation's previous result are deleted and the new result's written to the lists
    /// (with `conversation_id`), then the conversation is recorded as processed. Some runs fail.
    async fn process(
        &mut self,
        c: &mut ConversationContext,
        uid: &str,
        run: u32,
        at: &mut Timestamp,
    ) -> bool {
        *at += Duration::milliseconds(self.rng.between(5_000, 90_000) as i64);
        let conversation_id = c.stream.id.clone();
        let step = Duration::milliseconds(5);
        c.stream.actor = "system".into();
        let more = 'run: {
            if self.rng.chance(0.04) {
                let fail = ConversationCommand::FailProcessing {
                    run,
                    reason: "the language model did not answer".into(),
                    at: *at,
                };
                break 'run self.on_conversation(c, fail, *at).await;
            }
            let structured = self.structured(*at);
            let discarded = self.rng.chance(0.06);
            let extracted: Vec<ExtractedMemory> = (0..self.rng.below(4))
                .map(|_| ExtractedMemory {
                    content: text::memory_content(&mut self.rng),
                    category: if self.rng.chance(0.6) {
                        MemoryCategory::Interesting
                    } else {
                        MemoryCategory::System
                    },
                })
                .collect();
            for child in c.items.iter_mut().filter(|i| i.state.is_some()) {
                *at += step;
                let Child {
                    aggregate,
                    stream,
                    state,
                } = child;
                stream.actor = "system".into();
                let id = stream.id.clone();
                let delete = ActionItemCommand::DeleteActionItem {
                    uid: uid.to_string(),
                    at: *at,
                };
                if !self
                    .run(aggregate, stream, delete, *at, |event, _| {
                        expected::action_item(&id, state, event)
                    })
                    .await
                {
                    break 'run false;
                }
            }
            for child in c.memories.iter_mut().filter(|m| m.state.is_some()) {
                *at += step;
                let Child {
                    aggregate,
                    stream,
                    state,
                } = child;
                stream.actor = "system".into();
                let id = stream.id.clone();
                let delete = MemoryCommand::DeleteMemory {
                    uid: uid.to_string(),
                    at: *at,
                };
                if !self
                    .run(aggregate, stream, delete, *at, |event, _| {
                        expected::memory(&id, state, event)
                    })
                    .await
                {
                    break 'run false;
                }
            }
            if !discarded {
                for item in &structured.action_items {
                    *at += step;
                    let id = self.rng.uuid().to_string();
                    let mut child = Child {
                        aggregate: ActionItem::default(),
                        stream: Stream::new(ActionItem::TYPE, &id, uid, "system"),
                        state: None,
                    };
                    let create = ActionItemCommand::CreateActionItem {
                        uid: uid.to_string(),
                        description: item.description.clone(),
                        completed: item.completed,
                        due_at: item.due_at,
                        conversation_id: Some(conversation_id.clone()),
                        at: *at,
                    };
                    let more = self
                        .run(
                            &mut child.aggregate,
                            &mut child.stream,
                            create,
                            *at,
                            |event, _| expected::action_item(&id, &mut child.state, event),
                        )
                        .await;
                    c.items.push(child);
                    if !more {
                        break 'run false;
                    }
                }
                for memory in &extracted {
                    *at += step;
                    let id = self.rng.uuid().to_string();
                    let mut child = Child {
                        aggregate: Memory::default(),
                        stream: Stream::new(Memory::TYPE, &id, uid, "system"),
                        state: None,
                    };
                    let create = MemoryCommand::CreateMemory {
                        uid: uid.to_string(),
                        content: memory.content.clone(),
                        category: memory.category,
                        visibility: Visibility::Private,
                        tags: Vec::new(),
                        manually_added: false,
                        conversation_id: Some(conversation_id.clone()),
                        app_id: None,
                        at: *at,
                    };
                    let more = self
                        .run(
                            &mut child.aggregate,
                            &mut child.stream,
                            create,
                            *at,
                            |event, _| expected::memory(&id, &mut child.state, event),
                        )
                        .await;
                    c.memories.push(child);
                    if !more {
                        break 'run false;
                    }
                }
            }
            *at += step;
            let complete = ConversationCommand::CompleteProcessing {
                run,
                structured,
                discarded,
                memories: extracted,
                trends: vec![],
                published: true,
                folder_id: None,
                at: *at,
            };
            self.on_conversation(c, complete, *at).await
        };
        c.stream.actor = "user".into();
        more
    }

    /// One thing the user does with a conversation later.
    async fn conversation_follow_up(
        &mut self,
        c: &mut ConversationContext,
        uid: &str,
        run: &mut u32,
        at: &mut Timestamp,
    ) -> bool {
        let Some(current) = c.state.as_ref().map(|s| &s.view) else {
            return true;
        };
        let status = current.status;
        let starred = current.starred;
        let visibility = current.visibility;
        let embedded: Vec<bool> = current
            .structured
            .action_items
            .iter()
            .map(|i| i.completed)
            .collect();
        let events: Vec<bool> = current
            .structured
            .events
            .iter()
            .map(|e| e.created)
            .collect();
        let user = uid.to_string();
        let at_now = *at;
        let star = ConversationCommand::Star {
            uid: user.clone(),
            starred: !starred,
            at: at_now,
        };
        let command = match self.rng.below(100) {
            0..18 => ConversationCommand::EditTitle {
                uid: user,
                title: text::sentence(&mut self.rng, 2, 6),
                at: at_now,
            },
            18..28 => ConversationCommand::EditOverview {
                uid: user,
                overview: text::sentence(&mut self.rng, 15, 45),
                at: at_now,
            },
            28..43 => star,
            43..51 => {
                let visibility = match (visibility, self.rng.chance(0.5)) {
                    (ConversationVisibility::Private, true) => ConversationVisibility::Shared,
                    (ConversationVisibility::Private, false) => ConversationVisibility::Public,
                    _ => ConversationVisibility::Private,
                };
                ConversationCommand::ChangeVisibility {
                    uid: user,
                    visibility,
                    at: at_now,
                }
            }
            51..61 if !embedded.is_empty() => {
                let index = self.rng.below(embedded.len() as u64) as usize;
                ConversationCommand::SetActionItemsCompleted {
                    uid: user,
                    indices: vec![index],
                    values: vec![!embedded[index]],
                    at: at_now,
                }
            }
            61..66 if !events.is_empty() => {
                let index = self.rng.below(events.len() as u64) as usize;
                ConversationCommand::SetEventsCreated {
                    uid: user,
                    indices: vec![index],
                    values: vec![!events[index]],
                    at: at_now,
                }
            }
            51..71 => ConversationCommand::MoveToFolder {
                uid: user,
                folder_id: self.rng.chance(0.8).then(|| self.rng.uuid().to_string()),
                at: at_now,
            },
            71..80 => {
                // The user ticks off one of the action items processing put in the list.
                let open: Vec<usize> = c
                    .items
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| i.state.as_ref().is_some_and(|s| !s.view.completed))
                    .map(|(n, _)| n)
                    .collect();
                if open.is_empty() {
                    star
                } else {
                    let n = *self.rng.pick(&open);
                    let Child {
                        aggregate,
                        stream,
                        state,
                    } = &mut c.items[n];
                    stream.actor = "user".into();
                    let id = stream.id.clone();
                    let update = ActionItemCommand::CompleteActionItem {
                        uid: user,
                        at: at_now,
                    };
                    return self
                        .run(aggregate, stream, update, at_now, |event, _| {
                            expected::action_item(&id, state, event)
                        })
                        .await;
                }
            }
            80..90
                if matches!(
                    status,
                    ConversationStatus::Completed | ConversationStatus::Failed
                ) =>
            {
                let reprocess = ConversationCommand::Reprocess {
                    uid: user,
                    language: self.rng.chance(0.2).then(|| "en".to_string()),
                    at: at_now,
                };
                if !self.on_conversation(c, reprocess, at_now).await {
                    return false;
                }
                *run += 1;
                return self.process(c, uid, *run, at).await;
            }
            80..90 => star,
            _ => ConversationCommand::Delete {
                uid: user,
                at: at_now,
            },
        };
        self.on_conversation(c, command, at_now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omi_domain::memory::MemoryEvent;

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
        let set = generate(20_000, 50, 7).await;
        assert_eq!(set.rows.len(), 20_000);
        assert_eq!(
            set.events_by_type().iter().map(|(_, n)| n).sum::<u64>(),
            20_000
        );
        assert!(set.rows.windows(2).all(|w| w[0].at <= w[1].at));
        // Every stream's sequence numbers run 1, 2, 3… in log order.
        let mut last: HashMap<String, i64> = HashMap::new();
        let mut types: HashMap<String, u64> = HashMap::new();
        for row in &set.rows {
            let fields: Vec<&str> = row.line.split('\t').collect();
            assert_eq!(fields.len(), 8);
            let sequence: i64 = fields[2].parse().unwrap();
            let previous = last.insert(fields[1].to_string(), sequence).unwrap_or(0);
            assert_eq!(sequence, previous + 1, "{}", row.line);
            *types.entry(fields[0].to_string()).or_default() += 1;
        }
        for (aggregate_type, count) in set.events_by_type() {
            assert_eq!(types.get(aggregate_type).copied().unwrap_or(0), count);
        }
        assert!(set.live_memories() > 0 && set.live_memories() < set.memories.len() as u64);
        assert!(set.live_action_items() > 0);
        assert!(
            set.live_conversations() > 0
                && set.live_conversations() < set.conversations.len() as u64
        );
        assert!(set.live_api_keys() > 0 && set.live_api_keys() < set.api_keys.len() as u64);
        assert!(set.action_items_of_conversations() > 0 && set.memories_of_conversations() > 0);
        // Conversations and keys make a realistic share of the log.
        for share in [set.conversation_events, set.api_key_events] {
            let share = share as f64 / 20_000.0;
            assert!((0.04..0.12).contains(&share), "{share}");
        }
    }

    #[tokio::test]
    async fn a_conversation_is_updated_when_its_last_event_was_recorded() {
        let set = generate(20_000, 50, 7).await;
        let mut recorded: HashMap<&str, &str> = HashMap::new();
        for row in &set.rows {
            let fields: Vec<&str> = row.line.split('\t').collect();
            if fields[0] == "Conversation" {
                recorded.insert(fields[1], fields[7]);
            }
        }
        let mut checked = 0;
        for (id, state) in &set.conversations {
            if let Some(state) = state {
                let at: chrono::DateTime<Utc> = recorded[id.as_str()].parse().unwrap();
                assert_eq!(state.view.updated_at, at);
                checked += 1;
            }
        }
        assert!(checked > 0);
    }
}
