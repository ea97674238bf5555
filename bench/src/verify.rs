//! The check after P2's replay: every column of every row of every read model against the row the generator
//! says it must hold ([`crate::expected`]), and no row more or less. The read models come from the server's own
//! registry of projections (and their checkpoints); a table the check has no expectation for, or a column it does
//! not know, fails the check, so a new read model or column cannot go unchecked.
//!
//! Rows are streamed from PostgreSQL with every column cast to text and compared in memory, one table after the
//! other. Plain columns compare as text (numbers and booleans parsed); the JSON documents are parsed and compared
//! field by field, as arrays of fields in declaration order or as objects, whichever form the row holds: the
//! values must be equal (times as the exact strings the API returns), not the bytes.

use std::collections::{HashMap, HashSet};
use std::fmt;

use futures_util::TryStreamExt;
use omi_domain::conversation::ConversationStatus;
use omi_projections::registry;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::{PgConnection, Row as _};

use crate::expected::{ExpectedActionItem, ExpectedApiKey, ExpectedConversation};
use crate::generate::DataSet;

/// How many differences are reported in full.
const REPORTED: usize = 12;

/// An expected column value.
enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(bool),
    /// A JSON document: its fields in declaration order.
    Doc(Vec<(String, Value)>),
}

fn text(value: &str) -> Cell {
    Cell::Text(Some(value.to_string()))
}

fn micros(at: &chrono::DateTime<chrono::Utc>) -> Cell {
    Cell::Int(Some(at.timestamp_micros()))
}

fn opt_micros(at: Option<&chrono::DateTime<chrono::Utc>>) -> Cell {
    Cell::Int(at.map(|at| at.timestamp_micros()))
}

/// The fields of a struct as serde writes them, in declaration order.
fn fields_of<T: Serialize>(value: &T) -> Vec<(String, Value)> {
    let text = serde_json::to_string(value).expect("views serialise");
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    deserializer
        .deserialize_map(OrderedFields)
        .expect("a serialised struct is an object")
}

struct OrderedFields;

impl<'de> Visitor<'de> for OrderedFields {
    type Value = Vec<(String, Value)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let mut fields = Vec::new();
        while let Some(entry) = map.next_entry::<String, Value>()? {
            fields.push(entry);
        }
        Ok(fields)
    }
}

/// One read-model table the check knows: its columns and, for every entity id the generator wrote, the row it
/// must hold (`None`: no row, the entity is deleted).
struct Expectation<'a, S> {
    table: &'static str,
    columns: &'static [&'static str],
    entities: &'a HashMap<String, Option<S>>,
    row: fn(&str, &S) -> Vec<Cell>,
}

fn memory_row(id: &str, m: &omi_projections::memories::MemoryView) -> Vec<Cell> {
    vec![
        text(id),
        text(&m.uid),
        text(m.category.as_str()),
        text(&m.scoring),
        Cell::Text(m.conversation_id.clone()),
        micros(&m.created_at),
        Cell::Doc(fields_of(m)),
    ]
}

fn action_item_row(id: &str, a: &ExpectedActionItem) -> Vec<Cell> {
    let v = &a.view;
    vec![
        text(id),
        text(&a.uid),
        Cell::Bool(v.completed),
        Cell::Text(v.conversation_id.clone()),
        micros(&v.created_at),
        opt_micros(v.due_at.as_ref()),
        // The instant the completion counts on in the statistics (the creation for an item created completed
        // without a completion time).
        opt_micros(
            v.completed
                .then(|| v.completed_at.unwrap_or(v.created_at))
                .as_ref(),
        ),
        Cell::Doc(fields_of(v)),
    ]
}

fn api_key_row(id: &str, k: &ExpectedApiKey) -> Vec<Cell> {
    vec![
        text(id),
        text(&k.uid),
        text(k.family.as_str()),
        text(&k.hashed_key),
        micros(&k.view.created_at),
        Cell::Doc(vec![
            (
                "view".into(),
                serde_json::to_value(&k.view).expect("views serialise"),
            ),
            ("family".into(), json!(k.family)),
            ("hashed_key".into(), json!(k.hashed_key)),
        ]),
    ]
}

fn conversation_row(id: &str, c: &ExpectedConversation) -> Vec<Cell> {
    let v = &c.view;
    let mut doc = fields_of(v);
    let list_doc: Vec<(String, Value)> = doc
        .iter()
        .filter(|(name, _)| name != "transcript_segments")
        .cloned()
        .collect();
    doc.push((
        "_runs".into(),
        json!({ "requested": c.requested_run, "finished": c.finished_run }),
    ));
    doc.push(("_events".into(), json!(c.events)));
    let visibility = serde_json::to_value(v.visibility).expect("visibility serialises");
    vec![
        text(id),
        text(&c.uid),
        text(v.status.as_str()),
        Cell::Bool(v.discarded),
        micros(&v.created_at),
        opt_micros(v.started_at.as_ref()),
        opt_micros(v.finished_at.as_ref()),
        Cell::Text(v.folder_id.clone()),
        Cell::Bool(v.starred),
        Cell::Text(visibility.as_str().map(str::to_string)),
        Cell::Int(Some(i64::from(c.requested_run))),
        Cell::Int(Some(i64::from(c.finished_run))),
        Cell::Doc(list_doc),
        Cell::Doc(doc),
    ]
}

/// The UTC day of `at`, numbered from 1970-01-01 (the statistics' day).
/// The row of an entity of a table the data set writes nothing into (daily summaries and their settings are
/// The search index's row of a conversation: its searchable text as `omi_projections::search` derives it (the
/// transcript's segments one per line, at most 200,000 bytes; who speaks, each between spaces), derived here
/// anew from the generator's conversation.
fn search_conversation_row(id: &str, c: &ExpectedConversation) -> Vec<Cell> {
    const MAX_TRANSCRIPT_BYTES: usize = 200_000;
    let view = &c.view;
    let mut transcript = String::new();
    let mut speakers = String::from(" ");
    for segment in view.transcript_segments.as_deref().unwrap_or_default() {
        if transcript.len() < MAX_TRANSCRIPT_BYTES {
            if !transcript.is_empty() {
                transcript.push('\n');
            }
            transcript.push_str(&segment.text);
        }
        let speaker = if segment.is_user {
            Some("user")
        } else {
            segment.person_id.as_deref()
        };
        if let Some(speaker) = speaker {
            if !speakers.contains(&format!(" {speaker} ")) {
                speakers.push_str(speaker);
                speakers.push(' ');
            }
        }
    }
    let mut cut = MAX_TRANSCRIPT_BYTES.min(transcript.len());
    while !transcript.is_char_boundary(cut) {
        cut -= 1;
    }
    transcript.truncate(cut);
    vec![
        text(id),
        text(&c.uid),
        micros(&view.created_at),
        Cell::Bool(view.discarded),
        text(&view.structured.category),
        text(&speakers),
        text(&view.structured.title),
        text(&view.structured.overview),
        text(&transcript),
        text(&omi_projections::search::conversation_words(
            &view.structured.title,
            &view.structured.overview,
            &transcript,
        )),
    ]
}

/// The search index's row of a memory.
fn search_memory_row(id: &str, m: &omi_projections::memories::MemoryView) -> Vec<Cell> {
    vec![
        text(id),
        text(&m.uid),
        micros(&m.created_at),
        text(m.category.as_str()),
        text(&m.content),
        text(&omi_projections::search::memory_words(&m.content)),
    ]
}

/// written on request or by the schedule, never by the generator): such a table must be empty, and a row found
/// there is one more than expected.
fn no_row(_id: &str, _nothing: &()) -> Vec<Cell> {
    Vec::new()
}

fn utc_day(at: &chrono::DateTime<chrono::Utc>) -> i64 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    at.date_naive().signed_duration_since(epoch).num_days()
}

/// A conversation's statistics: counted once completed and not discarded, on the day it was created; time from
/// its segments' timings (five minutes without any), words, category, and the other speakers.
fn statistics_conversation_row(id: &str, c: &ExpectedConversation) -> Vec<Cell> {
    let v = &c.view;
    let segments = v.transcript_segments.as_deref().unwrap_or(&[]);
    let ms = |start: f64, end: f64| {
        let seconds = end - start;
        if seconds.is_finite() && seconds > 0.0 {
            (seconds * 1000.0).round() as i64
        } else {
            0
        }
    };
    let milliseconds: i64 = if segments.is_empty() {
        300_000
    } else {
        segments.iter().map(|s| ms(s.start, s.end)).sum()
    };
    let words: i64 = segments
        .iter()
        .map(|s| s.text.split_whitespace().count() as i64)
        .sum();
    let mut people: Vec<String> = segments
        .iter()
        .filter(|s| !s.is_user)
        .filter_map(|s| s.person_id.clone())
        .collect();
    people.sort();
    people.dedup();
    let speakers: HashSet<&str> = segments
        .iter()
        .filter(|s| !s.is_user)
        .map(|s| s.person_id.as_deref().unwrap_or(&s.speaker))
        .collect();
    let day = utc_day(&v.created_at);
    let doc = vec![
        ("day".to_string(), json!(day)),
        ("status".to_string(), json!(v.status)),
        ("discarded".to_string(), json!(v.discarded)),
        ("category".to_string(), json!(v.structured.category)),
        (
            "segments".to_string(),
            Value::Array(
                segments
                    .iter()
                    .map(|s| {
                        json!({
                            "id": s.id,
                            "ms": ms(s.start, s.end),
                            "words": s.text.split_whitespace().count(),
                            "is_user": s.is_user,
                            "speaker": s.speaker,
                            "person_id": s.person_id,
                        })
                    })
                    .collect(),
            ),
        ),
    ];
    vec![
        text(id),
        text(&c.uid),
        Cell::Int(Some(day)),
        Cell::Bool(
            v.status == omi_domain::conversation::ConversationStatus::Completed && !v.discarded,
        ),
        Cell::Int(Some(milliseconds)),
        Cell::Int(Some(words)),
        text(&v.structured.category),
        text(&people.join("\n")),
        Cell::Int(Some(speakers.len() as i64)),
        Cell::Doc(doc),
    ]
}

/// Differences found so far: all counted, the first few kept.
#[derive(Default)]
struct Problems {
    count: u64,
    first: Vec<String>,
}

impl Problems {
    fn push(&mut self, problem: String) {
        self.count += 1;
        if self.first.len() < REPORTED {
            self.first.push(problem);
        }
    }
}

fn shorten(value: &str) -> String {
    const MAX: usize = 160;
    if value.chars().count() <= MAX {
        value.to_string()
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head}…")
    }
}

fn show(value: Option<&str>) -> String {
    match value {
        None => "NULL".into(),
        Some(value) => format!("{:?}", shorten(value)),
    }
}

/// Where two JSON values first differ: the path below `path` and both values there.
fn json_difference(
    path: &str,
    expected: &Value,
    found: &Value,
) -> Option<(String, String, String)> {
    match (expected, found) {
        (Value::Object(e), Value::Object(f)) => {
            for (key, value) in e {
                let at = format!("{path}.{key}");
                match f.get(key) {
                    None => return Some((at, shorten(&value.to_string()), "(absent)".into())),
                    Some(found) => {
                        if let Some(difference) = json_difference(&at, value, found) {
                            return Some(difference);
                        }
                    }
                }
            }
            f.keys().find(|key| !e.contains_key(*key)).map(|key| {
                (
                    format!("{path}.{key}"),
                    "(absent)".into(),
                    shorten(&f[key].to_string()),
                )
            })
        }
        (Value::Array(e), Value::Array(f)) if e.len() == f.len() => e
            .iter()
            .zip(f)
            .enumerate()
            .find_map(|(n, (e, f))| json_difference(&format!("{path}[{n}]"), e, f)),
        (e, f) if e == f => None,
        (e, f) => Some((
            path.to_string(),
            shorten(&e.to_string()),
            shorten(&f.to_string()),
        )),
    }
}

/// Compares a stored document with the expected fields; the first difference, if any.
fn doc_difference(
    column: &str,
    expected: &[(String, Value)],
    found: &str,
) -> Option<(String, String, String)> {
    let found: Value = match serde_json::from_str(found) {
        Ok(value) => value,
        Err(error) => {
            return Some((
                column.to_string(),
                "a JSON document".into(),
                format!("{} ({error})", show(Some(found))),
            ))
        }
    };
    match &found {
        // Fields in declaration order, without their names.
        Value::Array(items) => {
            if items.len() != expected.len() {
                return Some((
                    column.to_string(),
                    format!("{} fields", expected.len()),
                    format!("{} fields", items.len()),
                ));
            }
            expected
                .iter()
                .zip(items)
                .find_map(|((name, e), f)| json_difference(&format!("{column}.{name}"), e, f))
        }
        Value::Object(map) => {
            for (name, e) in expected {
                let at = format!("{column}.{name}");
                match map.get(name) {
                    None => return Some((at, shorten(&e.to_string()), "(absent)".into())),
                    Some(f) => {
                        if let Some(difference) = json_difference(&at, e, f) {
                            return Some(difference);
                        }
                    }
                }
            }
            map.keys()
                .find(|key| !expected.iter().any(|(name, _)| name == *key))
                .map(|key| {
                    (
                        format!("{column}.{key}"),
                        "(absent)".into(),
                        shorten(&map[key].to_string()),
                    )
                })
        }
        other => Some((
            column.to_string(),
            "an array or object".into(),
            shorten(&other.to_string()),
        )),
    }
}

/// The first difference between an expected cell and the stored value (as text).
fn cell_difference(
    column: &str,
    expected: &Cell,
    found: Option<&str>,
) -> Option<(String, String, String)> {
    let differs = |e: String| Some((column.to_string(), e, show(found)));
    match expected {
        Cell::Text(e) => {
            (e.as_deref() != found).then(|| (column.into(), show(e.as_deref()), show(found)))
        }
        Cell::Int(e) => {
            let parsed = found.map(|f| f.parse::<i64>());
            match (e, parsed) {
                (None, None) => None,
                (Some(e), Some(Ok(f))) if *e == f => None,
                (e, _) => Some((
                    column.to_string(),
                    e.map_or("NULL".into(), |e| e.to_string()),
                    found.unwrap_or("NULL").to_string(),
                )),
            }
        }
        Cell::Bool(e) => {
            let parsed = match found {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            };
            (parsed != Some(*e)).then(|| (column.into(), e.to_string(), show(found)))
        }
        Cell::Doc(fields) => match found {
            None => differs("a JSON document".into()),
            Some(found) => doc_difference(column, fields, found),
        },
    }
}

/// What one table's check found.
struct TableReport {
    rows: u64,
    cells: u64,
}

/// Streams every row of the table and compares every column with the expectation; every live entity must have
/// been seen.
async fn check_table<S>(
    conn: &mut PgConnection,
    expectation: &Expectation<'_, S>,
    problems: &mut Problems,
) -> Result<TableReport, String> {
    let table = expectation.table;
    let columns: Vec<(String,)> = sqlx::query_as(
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| format!("columns of {table}: {e}"))?;
    if columns.is_empty() {
        problems.push(format!("table {table} does not exist"));
        return Ok(TableReport { rows: 0, cells: 0 });
    }
    // Where each stored column's expectation is; a column the check does not know fails it.
    let mut positions = Vec::with_capacity(columns.len());
    for (column,) in &columns {
        match expectation.columns.iter().position(|c| c == column) {
            Some(position) => positions.push(position),
            None => problems.push(format!(
                "column {table}.{column} has no expectation in the P2 check: add it to bench/src/verify.rs"
            )),
        }
    }
    for known in expectation.columns {
        if !columns.iter().any(|(c,)| c == known) {
            problems.push(format!("column {table}.{known} is missing"));
        }
    }
    if positions.len() != columns.len() || positions.len() != expectation.columns.len() {
        return Ok(TableReport { rows: 0, cells: 0 });
    }
    let Some(id_at) = columns.iter().position(|(c,)| c == "id") else {
        problems.push(format!("table {table} has no id column"));
        return Ok(TableReport { rows: 0, cells: 0 });
    };
    let select = columns
        .iter()
        .map(|(c,)| format!("CAST({c} AS TEXT)"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT {select} FROM {table}");
    let mut rows = sqlx::query(&sql).fetch(&mut *conn);
    let mut seen: HashSet<String> = HashSet::new();
    let mut report = TableReport { rows: 0, cells: 0 };
    let mut values: Vec<Option<String>> = Vec::with_capacity(columns.len());
    while let Some(row) = rows
        .try_next()
        .await
        .map_err(|e| format!("reading {table}: {e}"))?
    {
        values.clear();
        for n in 0..columns.len() {
            values.push(row.try_get(n).map_err(|e| format!("{table}: {e}"))?);
        }
        report.rows += 1;
        let id = values[id_at].clone().unwrap_or_default();
        if !seen.insert(id.clone()) {
            problems.push(format!("{table} {id}: two rows"));
            continue;
        }
        let expected = match expectation.entities.get(&id) {
            Some(Some(state)) => (expectation.row)(&id, state),
            Some(None) => {
                problems.push(format!(
                    "{table} {id}: the entity is deleted, but its row is there"
                ));
                continue;
            }
            None => {
                problems.push(format!("{table} {id}: no such entity was generated"));
                continue;
            }
        };
        for ((column,), (position, found)) in columns.iter().zip(positions.iter().zip(&values)) {
            report.cells += 1;
            if let Some((at, e, f)) =
                cell_difference(column, &expected[*position], found.as_deref())
            {
                problems.push(format!("{table} {id}: {at}: expected {e}, found {f}"));
            }
        }
    }
    drop(rows);
    let live = expectation
        .entities
        .values()
        .filter(|s| s.is_some())
        .count() as u64;
    if seen.len() as u64 != live || report.rows != live {
        let mut missing = 0u64;
        for (id, state) in expectation.entities {
            if state.is_some() && !seen.contains(id) {
                missing += 1;
                if missing <= 3 {
                    problems.push(format!("{table} {id}: the row is missing"));
                }
            }
        }
        problems.push(format!(
            "{table}: {} rows, expected {live} ({missing} missing)",
            report.rows
        ));
    }
    Ok(report)
}

/// Checks every read model against the data set; a summary, or the problems found.
pub async fn verify(conn: &mut PgConnection, set: &DataSet) -> Result<String, String> {
    let mut problems = Problems::default();

    // Every projection stands at the end of the log, and every checkpoint is a projection's.
    let checkpoints: Vec<(String, i64)> =
        sqlx::query_as("SELECT name, global_position FROM projection_checkpoints ORDER BY name")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| format!("checkpoints: {e}"))?;
    let (end,): (Option<i64>,) = sqlx::query_as("SELECT MAX(global_position) FROM events")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| format!("end of the log: {e}"))?;
    let projections = registry();
    for (name, position) in &checkpoints {
        if !projections.iter().any(|p| p.name() == name) {
            problems.push(format!(
                "checkpoint {name} belongs to no projection of the server"
            ));
        }
        if Some(*position) != end {
            problems.push(format!(
                "projection {name} stands at {position}, the log ends at {end:?}"
            ));
        }
    }

    let mut summary = Vec::new();
    let mut cells = 0;
    for projection in &projections {
        let name = projection.name();
        if !checkpoints.iter().any(|(n, _)| n == name) {
            problems.push(format!("projection {name} has no checkpoint"));
        }
        for table in projection.tables() {
            let started = std::time::Instant::now();
            let Some(report) = check_expected(conn, table, set, &mut problems).await? else {
                problems.push(format!(
                    "table {table} of projection {name} has no expectation in the P2 check: the generator \
                     must say what it holds (bench/src/expected.rs, bench/src/verify.rs)"
                ));
                continue;
            };
            cells += report.cells;
            summary.push(format!(
                "{} {table} ({:.1} s)",
                report.rows,
                started.elapsed().as_secs_f64()
            ));
        }
    }

    if problems.count == 0 {
        Ok(format!(
            "{} rows equal in every column ({cells} values, documents field by field); {} checkpoints at the end \
             of the log",
            summary.join(", "),
            checkpoints.len()
        ))
    } else {
        Err(format!(
            "{} differences, first: {}",
            problems.count,
            problems.first.join("; ")
        ))
    }
}

/// Checks `table` against what the data set says it holds; `None` for a table the check has no expectation for.
async fn check_expected(
    conn: &mut PgConnection,
    table: &'static str,
    set: &DataSet,
    problems: &mut Problems,
) -> Result<Option<TableReport>, String> {
    let report = match table {
        "memories" => {
            let expectation = Expectation {
                table,
                columns: &[
                    "id",
                    "uid",
                    "category",
                    "scoring",
                    "conversation_id",
                    "created_at",
                    "doc",
                ],
                entities: &set.memories,
                row: memory_row,
            };
            check_table(conn, &expectation, problems).await?
        }
        "action_items" => {
            let expectation = Expectation {
                table,
                columns: &[
                    "id",
                    "uid",
                    "completed",
                    "conversation_id",
                    "created_at",
                    "due_at",
                    "completed_at",
                    "doc",
                ],
                entities: &set.action_items,
                row: action_item_row,
            };
            check_table(conn, &expectation, problems).await?
        }
        "api_keys" => {
            let expectation = Expectation {
                table,
                columns: &["id", "uid", "family", "hashed_key", "created_at", "doc"],
                entities: &set.api_keys,
                row: api_key_row,
            };
            check_table(conn, &expectation, problems).await?
        }
        "conversations" => {
            let expectation = Expectation {
                table,
                columns: &[
                    "id",
                    "uid",
                    "status",
                    "discarded",
                    "created_at",
                    "started_at",
                    "finished_at",
                    "folder_id",
                    "starred",
                    "visibility",
                    "requested_run",
                    "finished_run",
                    "list_doc",
                    "doc",
                ],
                entities: &set.conversations,
                row: conversation_row,
            };
            check_table(conn, &expectation, problems).await?
        }
        "statistics_conversations" => {
            let expectation = Expectation {
                table,
                columns: &[
                    "id",
                    "uid",
                    "day",
                    "counted",
                    "milliseconds",
                    "words",
                    "category",
                    "people",
                    "speakers",
                    "doc",
                ],
                entities: &set.conversations,
                row: statistics_conversation_row,
            };
            check_table(conn, &expectation, problems).await?
        }
        "search_conversations" => {
            // Completed conversations only are searchable.
            let searchable: HashMap<String, Option<ExpectedConversation>> = set
                .conversations
                .iter()
                .map(|(id, c)| {
                    let kept = c.as_ref().filter(|c| {
                        c.view.status == ConversationStatus::Completed && !c.view.deleted
                    });
                    (id.clone(), kept.cloned())
                })
                .collect();
            let expectation = Expectation {
                table,
                columns: &[
                    "id",
                    "uid",
                    "created_at",
                    "discarded",
                    "category",
                    "speakers",
                    "title",
                    "overview",
                    "transcript",
                    "words",
                ],
                entities: &searchable,
                row: search_conversation_row,
            };
            check_table(conn, &expectation, problems).await?
        }
        "search_memories" => {
            let expectation = Expectation {
                table,
                columns: &["id", "uid", "created_at", "category", "content", "words"],
                entities: &set.memories,
                row: search_memory_row,
            };
            check_table(conn, &expectation, problems).await?
        }
        "daily_summaries"
        | "daily_summary_settings"
        | "wrapped"
        | "trend_mentions"
        | "users"
        | "people"
        | "goals"
        | "goal_progress"
        | "folders"
        | "devices"
        | "notifications"
        | "integrations"
        | "developer_webhooks"
        | "webhook_deliveries"
        | "apps"
        | "app_logos"
        | "app_installations"
        | "app_reviews"
        | "chat_messages"
        | "search_vectors"
        | "memory_vectors" => {
            // The generated log holds no daily summary, settings, wrapped, trend mention (its conversations'
            // processing results name no trends), profile, person, goal or folder (they name no folder
            // either), device, notification, integration, webhook, delivery, app, chat message or embedding:
            // the tables must be empty.
            let none = HashMap::new();
            let expectation = Expectation {
                table,
                columns: match table {
                    "daily_summaries" => &["id", "uid", "date", "deleted", "visibility", "doc"],
                    "daily_summary_settings" => &["id", "uid", "enabled", "hour", "doc"],
                    "trend_mentions" => &["id", "uid", "created_at", "doc"],
                    "folders" => &["id", "uid", "folder_count", "doc"],
                    "users" => &["id", "uid", "time_zone", "doc"],
                    "people" => &["id", "uid", "normalized_name", "created_at", "doc"],
                    "goals" => &["id", "uid", "is_active", "created_at", "doc"],
                    "goal_progress" => &["id", "uid", "doc"],
                    "devices" => &["id", "uid", "registered_at", "doc"],
                    "notifications" => &["id", "uid", "created_at", "doc"],
                    "integrations" => &["id", "uid", "app_key", "doc"],
                    "developer_webhooks" => &["id", "uid", "doc"],
                    "webhook_deliveries" => &[
                        "id",
                        "uid",
                        "endpoint",
                        "state",
                        "due_at",
                        "created_at",
                        "delivered_at",
                        "doc",
                    ],
                    "apps" => &["id", "uid", "private", "approved", "created_at", "doc"],
                    "app_logos" => &["id", "uid", "logo_id", "doc"],
                    "app_installations" => &["id", "uid", "app_id", "counts_install", "doc"],
                    "app_reviews" => &["id", "uid", "app_id", "score_millis", "rated_at", "doc"],
                    "chat_messages" => &[
                        "id",
                        "uid",
                        "thread_id",
                        "session",
                        "number",
                        "created_at",
                        "doc",
                    ],
                    "search_vectors" | "memory_vectors" => &["id", "uid", "model", "doc"],
                    _ => &["id", "uid", "year", "doc"],
                },
                entities: &none,
                row: no_row,
            };
            check_table(conn, &expectation, problems).await?
        }
        _ => return Ok(None),
    };
    Ok(Some(report))
}
