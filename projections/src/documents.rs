//! The shape most read models share: one row per entity with its owner, a few indexed columns and the JSON
//! document the API returns. A batch of events is folded in memory and each touched row is written once.

use std::collections::{HashMap, HashSet};

use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use omi_store::Envelope;

use crate::runtime::{CopyRows, CopySink, ProjectionError, Rebuild, RecordedEvent};
use crate::sql::{delete_ids, in_list, placeholders, AnyQuery, ROWS_PER_STATEMENT};

/// An entity stored as a document row: `id`, `uid`, the indexed [`Document::COLUMNS`], then `doc`.
pub(crate) trait Document: Serialize + DeserializeOwned {
    const TABLE: &'static str;
    /// The indexed columns between `uid` and `doc`, in the order [`Document::bind_columns`] binds them.
    const COLUMNS: &'static [&'static str];
    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q>;
    /// The same columns as [`Document::bind_columns`], in binary COPY form (for a rebuild).
    fn copy_columns(&self, row: &mut CopyRows);

    /// The stored document, read back with `serde_json::from_str`: by default the JSON object serde writes; the
    /// largest read models store their fields as an array instead (see `crate::json::JsonFields`).
    fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }
}

/// Declares a read model of one document table: a unit struct whose [`Projection`](crate::runtime::Projection)
/// folds the events `select` picks with `evolve`, through [`fold_into`] live and a [`DocumentRebuild`] in a
/// rebuild, so both paths share one `evolve`.
///
/// ```ignore
/// document_projection! {
///     /// The projection behind [`super::list`].
///     PeopleProjection { name: "people", reads: ["Person"], table: "people", select, evolve: PersonView::evolve }
/// }
/// ```
macro_rules! document_projection {
    (
        $(#[$meta:meta])*
        $projection:ident {
            name: $name:literal,
            reads: [$($reads:expr),+ $(,)?],
            table: $table:literal,
            select: $select:path,
            evolve: $evolve:path $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $projection;

        impl $crate::runtime::Projection for $projection {
            fn name(&self) -> &'static str {
                $name
            }

            fn aggregate_types(&self) -> &'static [&'static str] {
                &[$($reads),+]
            }

            fn tables(&self) -> &'static [&'static str] {
                &[$table]
            }

            fn apply<'a>(
                &'a self,
                conn: &'a mut ::sqlx::AnyConnection,
                events: &'a [$crate::runtime::RecordedEvent],
            ) -> $crate::runtime::ApplyFuture<'a> {
                Box::pin(async move {
                    let changes = $crate::documents::changes_of(events, $select);
                    $crate::documents::fold_into(conn, &changes, $evolve).await
                })
            }

            fn in_memory(&self) -> $crate::runtime::InMemoryRebuild {
                $crate::runtime::InMemoryRebuild::new($crate::documents::DocumentRebuild::new(
                    $select, $evolve,
                ))
            }
        }
    };
}
pub(crate) use document_projection;

/// A document and the user who owns it.
pub(crate) struct Owned<D> {
    pub uid: String,
    pub doc: D,
}

impl<D> Owned<D> {
    /// The row after `recorded`, for a read model whose owner is the log's uid: the row keeps its owner, a new
    /// row takes the event's; `next` turns the current document into the next (`None`: no row).
    pub(crate) fn next_by_log(
        current: Option<Owned<D>>,
        recorded: &RecordedEvent,
        next: impl FnOnce(Option<D>) -> Option<D>,
    ) -> Option<Owned<D>> {
        let uid = current
            .as_ref()
            .map_or_else(|| recorded.metadata.uid.clone(), |row| row.uid.clone());
        next(current.map(|row| row.doc)).map(|doc| Owned { uid, doc })
    }
}

/// The events of one read model in a batch (entity id and event, in log order), and which entities' streams
/// start in the batch.
pub(crate) struct Changes<'a, E> {
    list: Vec<(&'a str, &'a E)>,
    /// Entities whose first event here is their stream's first: their rows cannot exist yet.
    new: HashSet<&'a str>,
}

/// The changes `select` picks out of `events`. Rows are keyed by the id of the stream whose events they fold.
pub(crate) fn changes_of<'a, E>(
    events: &'a [RecordedEvent],
    select: impl Fn(&'a RecordedEvent) -> Option<&'a E>,
) -> Changes<'a, E> {
    let mut changes = Changes {
        list: Vec::new(),
        new: HashSet::new(),
    };
    for recorded in events {
        if let Some(event) = select(recorded) {
            let id = recorded.aggregate_id.as_str();
            if recorded.sequence == 1 {
                changes.new.insert(id);
            }
            changes.list.push((id, event));
        }
    }
    changes
}

/// The changes `select` picks out of `events`, each keyed by the entity `key` names in its event: for streams
/// that hold several entities (a user's goals). Every touched row is looked up, since no stream start tells
/// which entities are new.
pub(crate) fn changes_keyed<'a, E>(
    events: &'a [RecordedEvent],
    select: impl Fn(&'a RecordedEvent) -> Option<&'a E>,
    key: Key<E>,
) -> Changes<'a, E> {
    let list = events
        .iter()
        .filter_map(|recorded| {
            select(recorded).map(|event| (key(recorded.aggregate_id.as_str(), event), event))
        })
        .collect();
    Changes {
        list,
        new: HashSet::new(),
    }
}

/// Which row an event folds into, from its stream id and the event.
pub(crate) type Key<E> = for<'a> fn(&'a str, &'a E) -> &'a str;

/// Rows keyed by the stream whose events they fold.
fn stream_id<'a, E>(stream: &'a str, _event: &'a E) -> &'a str {
    stream
}

/// Folds `changes` into the rows of `D::TABLE`: `evolve` turns the current row (if any) and an event into the
/// next one, `None` meaning the entity is gone. Rows of entities new in the batch are not looked up.
pub(crate) async fn fold_into<D, E>(
    conn: &mut AnyConnection,
    changes: &Changes<'_, E>,
    evolve: impl Fn(&str, Option<Owned<D>>, &E) -> Option<Owned<D>>,
) -> Result<(), ProjectionError>
where
    D: Document,
{
    let new = &changes.new;
    let changes = &changes.list[..];
    let mut touched: Vec<&str> = Vec::new();
    let mut rows: HashMap<&str, Option<Owned<D>>> = HashMap::new();
    for (id, _) in changes {
        if rows.insert(id, None).is_none() {
            touched.push(id);
        }
    }
    if touched.is_empty() {
        return Ok(());
    }
    let existing: Vec<&str> = touched
        .iter()
        .copied()
        .filter(|id| !new.contains(id))
        .collect();
    for chunk in existing.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT id, uid, doc FROM {} WHERE id IN ({})",
            D::TABLE,
            in_list(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let id: String = row.try_get(0)?;
            let doc: String = row.try_get(2)?;
            if let Some(slot) = rows.get_mut(id.as_str()) {
                *slot = Some(Owned {
                    uid: row.try_get(1)?,
                    doc: serde_json::from_str(&doc)?,
                });
            }
        }
    }
    for (id, event) in changes {
        if let Some(slot) = rows.get_mut(id) {
            *slot = evolve(id, slot.take(), event);
        }
    }
    let gone: Vec<&str> = touched
        .iter()
        .copied()
        .filter(|id| matches!(rows.get(id), Some(None)))
        .collect();
    delete_ids(conn, D::TABLE, &gone).await?;
    let live: Vec<(&str, &Owned<D>)> = touched
        .iter()
        .filter_map(|id| rows.get(id).and_then(Option::as_ref).map(|row| (*id, row)))
        .collect();
    let columns = D::COLUMNS.len() + 3;
    let columns_list = ["id", "uid"]
        .iter()
        .chain(D::COLUMNS)
        .chain(["doc"].iter())
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let updates: Vec<String> = ["uid"]
        .iter()
        .chain(D::COLUMNS)
        .chain(["doc"].iter())
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    for chunk in live.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO {table} ({columns_list}) VALUES {values}
             ON CONFLICT (id) DO UPDATE SET {updates}",
            table = D::TABLE,
            values = placeholders(chunk.len(), columns),
            updates = updates.join(", "),
        );
        let docs = chunk
            .iter()
            .map(|(_, row)| row.doc.to_json())
            .collect::<Result<Vec<_>, _>>()?;
        let mut query = sqlx::query(&sql);
        for ((id, row), doc) in chunk.iter().zip(docs) {
            query = query.bind(id.to_string()).bind(row.uid.clone());
            query = row.doc.bind_columns(query).bind(doc);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The row of an entity after one of its events (`None`: the entity is gone).
type Evolve<D, E> = fn(&str, Option<Owned<D>>, &E) -> Option<Owned<D>>;

/// A rebuild of a document table from the whole log: every entity's events are folded in memory, with the same
/// `evolve` as the live projection, and each final row is written once. Holds the live entities of the log (or
/// of the slice of streams being rebuilt).
pub(crate) struct DocumentRebuild<D, E: 'static> {
    /// The event of this read model in a recorded event, if it is one.
    select: fn(&RecordedEvent) -> Option<&E>,
    evolve: Evolve<D, E>,
    /// The row an event folds into.
    key: Key<E>,
    /// Every entry holds a row; `None` only while its event is being applied. Boxed: the map then moves only
    /// pointers when it grows (moving the rows themselves cost a sixth of the rebuild's CPU, mostly in page
    /// faults, measured with 280,000 memories).
    ///
    /// Hashed with foldhash (randomly seeded), cheaper than the default SipHash: every event of the log is looked
    /// up here.
    rows: HashMap<String, Option<Box<Owned<D>>>, foldhash::fast::RandomState>,
    /// The rows being written out, once folding is over.
    writing: Option<std::collections::hash_map::IntoIter<String, Option<Box<Owned<D>>>>>,
    columns: String,
    /// What `evolve` reads of the recorded event besides its payload.
    envelope: Envelope,
}

impl<D: Document> DocumentRebuild<D, RecordedEvent> {
    /// A rebuild whose `evolve` reads the recorded event's recording time (not its metadata): the log is then
    /// read with it.
    pub(crate) fn with_recording_time(
        select: fn(&RecordedEvent) -> Option<&RecordedEvent>,
        evolve: Evolve<D, RecordedEvent>,
    ) -> Self {
        Self {
            envelope: Envelope::RecordingTime,
            ..Self::new(select, evolve)
        }
    }
}

impl<D: Document> DocumentRebuild<D, RecordedEvent> {
    /// A rebuild whose `evolve` reads the recorded event's owner (`metadata.uid`, nothing else of the
    /// metadata) and recording time: the log is then read with both.
    pub(crate) fn with_owner(
        select: fn(&RecordedEvent) -> Option<&RecordedEvent>,
        evolve: Evolve<D, RecordedEvent>,
    ) -> Self {
        Self {
            envelope: Envelope::Owner,
            ..Self::new(select, evolve)
        }
    }
}

impl<D: Document, E> DocumentRebuild<D, E> {
    /// A rebuild whose `evolve` sees the stream id and the domain event only.
    pub(crate) fn new(select: fn(&RecordedEvent) -> Option<&E>, evolve: Evolve<D, E>) -> Self {
        let columns = ["id", "uid"]
            .iter()
            .chain(D::COLUMNS)
            .chain(["doc"].iter())
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            select,
            evolve,
            key: stream_id::<E>,
            rows: HashMap::default(),
            writing: None,
            columns,
            envelope: Envelope::Omitted,
        }
    }
}

impl<D: Document, E> DocumentRebuild<D, E> {
    /// A rebuild whose rows are keyed by `key` rather than by stream id (see [`changes_keyed`]).
    pub(crate) fn keyed(
        select: fn(&RecordedEvent) -> Option<&E>,
        evolve: Evolve<D, E>,
        key: Key<E>,
    ) -> Self {
        Self {
            key,
            ..Self::new(select, evolve)
        }
    }
}

impl<D, E> Rebuild for DocumentRebuild<D, E>
where
    D: Document + Send,
    E: Sync,
{
    fn envelope(&self) -> Envelope {
        self.envelope
    }

    fn fold(&mut self, events: &[RecordedEvent]) -> Result<(), ProjectionError> {
        for recorded in events {
            let Some(event) = (self.select)(recorded) else {
                continue;
            };
            let id = (self.key)(recorded.aggregate_id.as_str(), event);
            match self.rows.get_mut(id) {
                Some(slot) => match (self.evolve)(id, slot.take().map(|row| *row), event) {
                    Some(next) => *slot = Some(Box::new(next)),
                    None => {
                        self.rows.remove(id);
                    }
                },
                None => {
                    if let Some(row) = (self.evolve)(id, None, event) {
                        self.rows.insert(id.to_string(), Some(Box::new(row)));
                    }
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self, sink: &mut CopySink, rows: usize) -> Result<bool, ProjectionError> {
        let writing = self
            .writing
            .get_or_insert_with(|| std::mem::take(&mut self.rows).into_iter());
        for (id, row) in writing.by_ref().take(rows) {
            let Some(row) = row else {
                continue;
            };
            let doc = row.doc.to_json()?;
            let out = sink.table(D::TABLE, &self.columns);
            out.row(D::COLUMNS.len() + 3).text(&id).text(&row.uid);
            row.doc.copy_columns(out);
            out.text(&doc);
        }
        if writing.len() == 0 {
            self.writing = None;
            return Ok(false);
        }
        Ok(true)
    }
}
