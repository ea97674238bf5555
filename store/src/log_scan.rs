//! Reads the whole committed log of PostgreSQL for a rebuild: one streaming `COPY … TO STDOUT (FORMAT binary)`
//! in commit order, decoded by a task of its own while the caller folds, in batches through a bounded channel.
//!
//! The same events as [`crate::read_after`] from the start of the log, in the same order and with the same
//! rule (only transactions below the log writers' watermark, all of them finished), but one statement instead
//! of one query per batch, without text casts, and with decoding overlapping the caller's work.

use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use sqlx::postgres::{PgPool, PgPoolCopyExt};
use tokio::sync::mpsc;

use crate::event::{EventMetadata, RecordedEvent, StoredForm};
use crate::{LogPosition, ReadError};

/// Events per batch handed to the caller.
const BATCH: usize = 2_000;
/// Batches decoded ahead of the caller; bounds the reader's memory.
const AHEAD: usize = 8;
/// The fields of each row: position, stream, stored name and version, payload, metadata, recording time.
const FIELDS: usize = 10;
/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01), the origin of binary timestamps.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A slice of the streams: those whose `aggregate_id` hashes to `index` modulo `count`. A stream's events all
/// fall in one slice, so a reader that folds per stream can take the log slice by slice with bounded memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSlice {
    pub index: u32,
    pub count: u32,
}

impl StreamSlice {
    /// Every stream.
    pub const ALL: StreamSlice = StreamSlice { index: 0, count: 1 };
}

/// What a scan reads of each event besides its position, stream and payload.
/// Ordered from the least to the most read: readers of one scan get the most any of them needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Envelope {
    /// Neither: `metadata` is left empty and `recorded_at` at the Unix epoch. For readers that fold payloads
    /// only; PostgreSQL then sends a fifth less and the reader decodes no metadata.
    Omitted,
    /// The recording time but not the metadata (left empty).
    RecordingTime,
    /// The recording time and the owner (`metadata.uid`, read from the log's own `uid` column; the rest of the
    /// metadata left empty): for read models whose rows belong to a user that their events do not name.
    Owner,
    /// The metadata and the recording time too.
    Full,
}

/// The committed log, arriving in batches in commit order.
pub struct LogScan {
    batches: mpsc::Receiver<Result<Vec<RecordedEvent>, ReadError>>,
}

impl LogScan {
    /// Starts reading every event of `slice` below `watermark` (from [`crate::log_watermark`], taken before
    /// this call: every log writer below it has finished). Slices read with one watermark together hold exactly
    /// the events below it, whatever is appended meanwhile.
    pub fn start(pool: PgPool, slice: StreamSlice, envelope: Envelope, watermark: i64) -> LogScan {
        let (sender, batches) = mpsc::channel(AHEAD);
        tokio::spawn(async move {
            if let Err(error) = scan(&pool, slice, envelope, watermark, &sender).await {
                let _ = sender.send(Err(error)).await;
            }
        });
        LogScan { batches }
    }

    /// The next batch (never empty); `None` at the end of the log.
    pub async fn next(&mut self) -> Option<Result<Vec<RecordedEvent>, ReadError>> {
        self.batches.recv().await
    }
}

fn statement(slice: StreamSlice, envelope: Envelope, watermark: i64) -> String {
    let filter = if slice.count > 1 {
        format!(
            " AND (hashtext(aggregate_id) & 2147483647) % {} = {}",
            slice.count, slice.index
        )
    } else {
        String::new()
    };
    // Omitted fields are sent as NULLs (four bytes each), so every row has the same ten fields.
    let envelope = match envelope {
        Envelope::Full => "metadata, recorded_at",
        Envelope::RecordingTime => "NULL, recorded_at",
        Envelope::Owner => "uid, recorded_at",
        Envelope::Omitted => "NULL, NULL",
    };
    format!(
        "COPY (SELECT transaction_id, global_position, aggregate_type, aggregate_id, sequence, event_type,
                     event_version, payload, {envelope}
              FROM events
              WHERE transaction_id < CAST(CAST({watermark} AS TEXT) AS xid8){filter}
              ORDER BY transaction_id, global_position)
         TO STDOUT (FORMAT binary)"
    )
}

async fn scan(
    pool: &PgPool,
    slice: StreamSlice,
    envelope: Envelope,
    watermark: i64,
    sender: &mpsc::Sender<Result<Vec<RecordedEvent>, ReadError>>,
) -> Result<(), ReadError> {
    let mut stream = pool
        .copy_out_raw(&statement(slice, envelope, watermark))
        .await?;
    let mut parser = Parser {
        owner_only: envelope == Envelope::Owner,
        ..Parser::default()
    };
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(chunk) = stream.next().await {
        parser.feed(&chunk?, &mut batch)?;
        if batch.len() >= BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if sender.send(Ok(full)).await.is_err() {
                return Ok(()); // the caller stopped listening
            }
        }
    }
    if !parser.ended {
        return Err(malformed("the COPY stream ended without its trailer"));
    }
    if !batch.is_empty() {
        let _ = sender.send(Ok(batch)).await;
    }
    Ok(())
}

fn malformed(what: &str) -> ReadError {
    ReadError::Sql(sqlx::Error::Protocol(format!(
        "binary COPY of the log: {what}"
    )))
}

/// Parses PostgreSQL's binary COPY format: a header, then per row a 16-bit field count and per field a 32-bit
/// length (-1 for NULL) and the bytes, then a field count of -1.
#[derive(Default)]
struct Parser {
    /// The start of a row that the chunks so far did not complete.
    pending: Vec<u8>,
    header_read: bool,
    ended: bool,
    /// The metadata field holds the owner's uid alone (see [`Envelope::Owner`]).
    owner_only: bool,
}

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

impl Parser {
    /// Decodes the rows that `chunk` completes into `events`. PostgreSQL sends each row in a message of its
    /// own, so a chunk is usually decoded where it lies; only a row split over chunks is gathered first.
    fn feed(&mut self, chunk: &[u8], events: &mut Vec<RecordedEvent>) -> Result<(), ReadError> {
        if self.pending.is_empty() {
            let used = self.decode(chunk, events)?;
            self.pending.extend_from_slice(&chunk[used..]);
        } else {
            let mut pending = std::mem::take(&mut self.pending);
            pending.extend_from_slice(chunk);
            let used = self.decode(&pending, events)?;
            pending.drain(..used);
            self.pending = pending;
        }
        Ok(())
    }

    /// Decodes the complete rows at the start of `data`; returns how many bytes they took.
    fn decode(&mut self, data: &[u8], events: &mut Vec<RecordedEvent>) -> Result<usize, ReadError> {
        let mut at = 0;
        if !self.header_read {
            let fixed = SIGNATURE.len() + 8;
            if data.len() < fixed {
                return Ok(0);
            }
            if &data[..SIGNATURE.len()] != SIGNATURE {
                return Err(malformed("bad signature"));
            }
            let extension = read_i32(data, SIGNATURE.len() + 4) as usize;
            if data.len() < fixed + extension {
                return Ok(0);
            }
            at = fixed + extension;
            self.header_read = true;
        }
        while !self.ended {
            match row_fields(data, at)? {
                Row::Incomplete => break,
                Row::Trailer(end) => {
                    self.ended = true;
                    at = end;
                }
                Row::Fields(fields, end) => {
                    events.push(event(fields, self.owner_only)?);
                    at = end;
                }
            }
        }
        Ok(at)
    }
}

/// The next row of a binary COPY.
enum Row<'a> {
    /// Its fields, and where the row ends.
    Fields([Option<&'a [u8]>; FIELDS], usize),
    /// The end of the data, and where the trailer ends.
    Trailer(usize),
    /// Not all of it has arrived.
    Incomplete,
}

fn row_fields(data: &[u8], mut at: usize) -> Result<Row<'_>, ReadError> {
    if data.len() < at + 2 {
        return Ok(Row::Incomplete);
    }
    let count = i16::from_be_bytes([data[at], data[at + 1]]);
    at += 2;
    if count == -1 {
        return Ok(Row::Trailer(at));
    }
    if count != FIELDS as i16 {
        return Err(malformed("unexpected field count"));
    }
    let mut fields = [None; FIELDS];
    for field in fields.iter_mut() {
        if data.len() < at + 4 {
            return Ok(Row::Incomplete);
        }
        let length = read_i32(data, at);
        at += 4;
        if length >= 0 {
            let length = length as usize;
            if data.len() < at + length {
                return Ok(Row::Incomplete);
            }
            *field = Some(&data[at..at + length]);
            at += length;
        }
    }
    Ok(Row::Fields(fields, at))
}

fn event(fields: [Option<&[u8]>; FIELDS], owner_only: bool) -> Result<RecordedEvent, ReadError> {
    let [tx, global, aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, recorded_at] =
        fields;
    let position = LogPosition {
        transaction: int8(tx)?,
        global: int8(global)?,
    };
    let stored = StoredForm {
        aggregate_type: text(aggregate_type)?,
        event_type: text(event_type)?,
        event_version: text(event_version)?,
        payload: text(payload)?,
    };
    let (event, metadata) = if owner_only {
        // The `uid` column is NULL for an event whose metadata names no user.
        let uid = match metadata {
            Some(_) => text(metadata)?.to_string(),
            None => String::new(),
        };
        let (event, _) = crate::reader::decode_event(stored, None);
        (
            event,
            EventMetadata {
                uid,
                ..EventMetadata::default()
            },
        )
    } else {
        // Metadata is NULL only when the scan left it out (the column is NOT NULL).
        let metadata = match metadata {
            Some(_) => Some(text(metadata)?),
            None => None,
        };
        crate::reader::decode_event(stored, metadata)
    };
    let recorded_at = match recorded_at {
        Some(_) => {
            let micros = int8(recorded_at)? + POSTGRES_EPOCH_MICROS;
            Utc.timestamp_micros(micros).single().unwrap_or_default()
        }
        None => DateTime::UNIX_EPOCH,
    };
    Ok(RecordedEvent {
        position,
        aggregate_id: text(aggregate_id)?.to_string(),
        sequence: int8(sequence)?,
        recorded_at,
        metadata,
        event,
    })
}

fn read_i32(buffer: &[u8], at: usize) -> i32 {
    i32::from_be_bytes([buffer[at], buffer[at + 1], buffer[at + 2], buffer[at + 3]])
}

fn text(field: Option<&[u8]>) -> Result<&str, ReadError> {
    std::str::from_utf8(field.ok_or_else(|| malformed("unexpected NULL"))?)
        .map_err(|_| malformed("text is not UTF-8"))
}

fn int8(field: Option<&[u8]>) -> Result<i64, ReadError> {
    let bytes: [u8; 8] = field
        .and_then(|f| f.try_into().ok())
        .ok_or_else(|| malformed("an 8-byte integer expected"))?;
    Ok(i64::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
        match bytes {
            Some(b) => {
                out.extend_from_slice(&(b.len() as i32).to_be_bytes());
                out.extend_from_slice(b);
            }
            None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        }
    }

    fn row(out: &mut Vec<u8>, tx: i64, global: i64, id: &str, sequence: i64) {
        out.extend_from_slice(&(FIELDS as i16).to_be_bytes());
        field(out, Some(&tx.to_be_bytes()));
        field(out, Some(&global.to_be_bytes()));
        field(out, Some(b"SomethingNoProjectionReads"));
        field(out, Some(id.as_bytes()));
        field(out, Some(&sequence.to_be_bytes()));
        field(out, Some(b"Happened"));
        field(out, Some(b"1.0"));
        field(out, Some(b"{}"));
        field(out, Some(br#"{"uid": "u1", "actor": "user"}"#));
        field(out, Some(&0i64.to_be_bytes()));
    }

    #[test]
    fn an_omitted_envelope_reads_as_empty_metadata_at_the_epoch() {
        let mut copy = SIGNATURE.to_vec();
        copy.extend_from_slice(&0i32.to_be_bytes());
        copy.extend_from_slice(&0i32.to_be_bytes());
        copy.extend_from_slice(&(FIELDS as i16).to_be_bytes());
        field(&mut copy, Some(&7i64.to_be_bytes()));
        field(&mut copy, Some(&1i64.to_be_bytes()));
        field(&mut copy, Some(b"SomethingNoProjectionReads"));
        field(&mut copy, Some(b"a"));
        field(&mut copy, Some(&1i64.to_be_bytes()));
        field(&mut copy, Some(b"Happened"));
        field(&mut copy, Some(b"1.0"));
        field(&mut copy, Some(b"{}"));
        field(&mut copy, None);
        field(&mut copy, None);
        copy.extend_from_slice(&(-1i16).to_be_bytes());
        let mut parser = Parser::default();
        let mut events = Vec::new();
        parser.feed(&copy, &mut events).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].aggregate_id, "a");
        assert_eq!(events[0].metadata, EventMetadata::default());
        assert_eq!(events[0].recorded_at, DateTime::UNIX_EPOCH);
        assert!(parser.ended);
        assert!(parser.pending.is_empty());
    }

    #[test]
    fn an_owner_envelope_reads_the_uid_column_as_the_metadata_uid() {
        let mut copy = SIGNATURE.to_vec();
        copy.extend_from_slice(&0i32.to_be_bytes());
        copy.extend_from_slice(&0i32.to_be_bytes());
        for (id, uid) in [("a", Some(&b"alice"[..])), ("b", None)] {
            copy.extend_from_slice(&(FIELDS as i16).to_be_bytes());
            field(&mut copy, Some(&7i64.to_be_bytes()));
            field(&mut copy, Some(&1i64.to_be_bytes()));
            field(&mut copy, Some(b"SomethingNoProjectionReads"));
            field(&mut copy, Some(id.as_bytes()));
            field(&mut copy, Some(&1i64.to_be_bytes()));
            field(&mut copy, Some(b"Happened"));
            field(&mut copy, Some(b"1.0"));
            field(&mut copy, Some(b"{}"));
            field(&mut copy, uid);
            field(&mut copy, Some(&0i64.to_be_bytes()));
        }
        copy.extend_from_slice(&(-1i16).to_be_bytes());
        let mut parser = Parser {
            owner_only: true,
            ..Parser::default()
        };
        let mut events = Vec::new();
        parser.feed(&copy, &mut events).unwrap();
        assert_eq!(events.len(), 2);
        let alice = EventMetadata {
            uid: "alice".into(),
            ..EventMetadata::default()
        };
        assert_eq!(events[0].metadata, alice);
        assert_eq!(events[1].metadata, EventMetadata::default());
        assert_eq!(events[0].recorded_at.timestamp(), 946_684_800);
        assert!(!matches!(
            events[0].event,
            crate::StoredEvent::Undecodable { .. }
        ));
    }

    #[test]
    fn parses_rows_split_anywhere() {
        let mut copy = SIGNATURE.to_vec();
        copy.extend_from_slice(&0i32.to_be_bytes());
        copy.extend_from_slice(&0i32.to_be_bytes());
        row(&mut copy, 7, 1, "a", 1);
        row(&mut copy, 7, 2, "b", 1);
        copy.extend_from_slice(&(-1i16).to_be_bytes());
        for split in 1..copy.len() {
            let mut parser = Parser::default();
            let mut events = Vec::new();
            for chunk in [&copy[..split], &copy[split..]] {
                parser.feed(chunk, &mut events).unwrap();
            }
            assert!(parser.ended, "split at {split}");
            assert!(parser.pending.is_empty(), "split at {split}");
            let read: Vec<_> = events
                .iter()
                .map(|e| {
                    (
                        e.position.transaction,
                        e.position.global,
                        e.aggregate_id.as_str(),
                    )
                })
                .collect();
            assert_eq!(read, [(7, 1, "a"), (7, 2, "b")], "split at {split}");
            assert_eq!(events[0].metadata.uid, "u1");
            assert_eq!(events[0].recorded_at.timestamp(), 946_684_800);
        }
    }
}
