//! Reads the whole committed log of PostgreSQL for a rebuild: one streaming `COPY … TO STDOUT (FORMAT binary)`
//! in commit order, decoded by a task of its own while the caller folds, in batches through a bounded channel.
//!
//! The same events as [`crate::read_after`] from the start of the log, in the same order and with the same
//! snapshot rule (only transactions below the snapshot's xmin, all of them finished), but one statement instead
//! of one query per batch, without text casts, and with decoding overlapping the caller's work.

use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use sqlx::postgres::{PgPool, PgPoolCopyExt};
use tokio::sync::mpsc;

use crate::event::{EventMetadata, RecordedEvent, StoredEvent};
use crate::{LogPosition, ReadError};

/// Events per batch handed to the caller.
const BATCH: usize = 2_000;
/// Batches decoded ahead of the caller; bounds the reader's memory.
const AHEAD: usize = 8;
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// The metadata and the recording time too.
    Full,
    /// Neither: `metadata` is left empty and `recorded_at` at the Unix epoch. For readers that fold payloads
    /// only; PostgreSQL then sends a fifth less and the reader decodes no metadata.
    Omitted,
}

/// The committed log, arriving in batches in commit order.
pub struct LogScan {
    batches: mpsc::Receiver<Result<Vec<RecordedEvent>, ReadError>>,
}

impl LogScan {
    /// Starts reading every event of `slice` whose transaction finished before the read began.
    pub fn start(pool: PgPool, slice: StreamSlice, envelope: Envelope) -> LogScan {
        let (sender, batches) = mpsc::channel(AHEAD);
        tokio::spawn(async move {
            if let Err(error) = scan(&pool, slice, envelope, &sender).await {
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

fn statement(slice: StreamSlice, envelope: Envelope) -> String {
    let filter = if slice.count > 1 {
        format!(
            " AND (hashtext(aggregate_id) & 2147483647) % {} = {}",
            slice.count, slice.index
        )
    } else {
        String::new()
    };
    // Omitted fields are sent as NULLs (four bytes each), so every row has the same eight fields.
    let envelope = match envelope {
        Envelope::Full => "metadata, recorded_at",
        Envelope::Omitted => "NULL, NULL",
    };
    format!(
        "COPY (SELECT transaction_id, global_position, aggregate_type, aggregate_id, sequence, payload, {envelope}
              FROM events
              WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot()){filter}
              ORDER BY transaction_id, global_position)
         TO STDOUT (FORMAT binary)"
    )
}

async fn scan(
    pool: &PgPool,
    slice: StreamSlice,
    envelope: Envelope,
    sender: &mpsc::Sender<Result<Vec<RecordedEvent>, ReadError>>,
) -> Result<(), ReadError> {
    let mut stream = pool.copy_out_raw(&statement(slice, envelope)).await?;
    let mut parser = Parser::default();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(chunk) = stream.next().await {
        parser.buffer.extend_from_slice(&chunk?);
        while let Some(event) = parser.next_event()? {
            batch.push(event);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if sender.send(Ok(full)).await.is_err() {
                    return Ok(()); // the caller stopped listening
                }
            }
        }
        parser.compact();
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
    buffer: Vec<u8>,
    at: usize,
    header_read: bool,
    ended: bool,
}

const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

impl Parser {
    /// Drops the bytes already parsed.
    fn compact(&mut self) {
        self.buffer.drain(..self.at);
        self.at = 0;
    }

    fn next_event(&mut self) -> Result<Option<RecordedEvent>, ReadError> {
        if !self.header_read {
            let fixed = SIGNATURE.len() + 8;
            if self.buffer.len() < self.at + fixed {
                return Ok(None);
            }
            if &self.buffer[self.at..self.at + SIGNATURE.len()] != SIGNATURE {
                return Err(malformed("bad signature"));
            }
            let extension = read_i32(&self.buffer, self.at + SIGNATURE.len() + 4) as usize;
            if self.buffer.len() < self.at + fixed + extension {
                return Ok(None);
            }
            self.at += fixed + extension;
            self.header_read = true;
        }
        if self.ended {
            return Ok(None);
        }
        let Some(fields) = self.row_fields()? else {
            return Ok(None);
        };
        let [tx, global, aggregate_type, aggregate_id, sequence, payload, metadata, recorded_at] =
            fields;
        let position = LogPosition {
            transaction: int8(tx)?,
            global: int8(global)?,
        };
        let aggregate_type = text(aggregate_type)?;
        let event = StoredEvent::decode(aggregate_type, text(payload)?)
            .map_err(|e| ReadError::Decode(position, e.to_string()))?;
        // NULL only when the scan left them out (the columns are NOT NULL).
        let metadata = match metadata {
            Some(_) => serde_json::from_str(text(metadata)?)
                .map_err(|e| ReadError::Decode(position, e.to_string()))?,
            None => EventMetadata::default(),
        };
        let recorded_at = match recorded_at {
            Some(_) => {
                let micros = int8(recorded_at)? + POSTGRES_EPOCH_MICROS;
                Utc.timestamp_micros(micros).single().unwrap_or_default()
            }
            None => DateTime::UNIX_EPOCH,
        };
        let event = RecordedEvent {
            position,
            aggregate_id: text(aggregate_id)?.to_string(),
            sequence: int8(sequence)?,
            recorded_at,
            metadata,
            event,
        };
        Ok(Some(event))
    }

    /// The eight fields of the next complete row, advancing past it; `None` when the row is not complete yet or
    /// the trailer was reached.
    #[allow(clippy::type_complexity)]
    fn row_fields(&mut self) -> Result<Option<[Option<&[u8]>; 8]>, ReadError> {
        let buffer = &self.buffer;
        let mut at = self.at;
        if buffer.len() < at + 2 {
            return Ok(None);
        }
        let count = i16::from_be_bytes([buffer[at], buffer[at + 1]]);
        at += 2;
        if count == -1 {
            self.ended = true;
            self.at = at;
            return Ok(None);
        }
        if count != 8 {
            return Err(malformed("unexpected field count"));
        }
        let mut spans = [None; 8];
        for span in spans.iter_mut() {
            if buffer.len() < at + 4 {
                return Ok(None);
            }
            let length = read_i32(buffer, at);
            at += 4;
            if length >= 0 {
                let length = length as usize;
                if buffer.len() < at + length {
                    return Ok(None);
                }
                *span = Some((at, at + length));
                at += length;
            }
        }
        self.at = at;
        let buffer = &self.buffer;
        Ok(Some(
            spans.map(|span| span.map(|(from, to)| &buffer[from..to])),
        ))
    }
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
        out.extend_from_slice(&8i16.to_be_bytes());
        field(out, Some(&tx.to_be_bytes()));
        field(out, Some(&global.to_be_bytes()));
        field(out, Some(b"SomethingNoProjectionReads"));
        field(out, Some(id.as_bytes()));
        field(out, Some(&sequence.to_be_bytes()));
        field(out, Some(b"{}"));
        field(out, Some(br#"{"uid": "u1", "actor": "user"}"#));
        field(out, Some(&0i64.to_be_bytes()));
    }

    #[test]
    fn an_omitted_envelope_reads_as_empty_metadata_at_the_epoch() {
        let mut copy = SIGNATURE.to_vec();
        copy.extend_from_slice(&0i32.to_be_bytes());
        copy.extend_from_slice(&0i32.to_be_bytes());
        copy.extend_from_slice(&8i16.to_be_bytes());
        field(&mut copy, Some(&7i64.to_be_bytes()));
        field(&mut copy, Some(&1i64.to_be_bytes()));
        field(&mut copy, Some(b"SomethingNoProjectionReads"));
        field(&mut copy, Some(b"a"));
        field(&mut copy, Some(&1i64.to_be_bytes()));
        field(&mut copy, Some(b"{}"));
        field(&mut copy, None);
        field(&mut copy, None);
        copy.extend_from_slice(&(-1i16).to_be_bytes());
        let mut parser = Parser {
            buffer: copy,
            ..Parser::default()
        };
        let event = parser.next_event().unwrap().unwrap();
        assert_eq!(event.aggregate_id, "a");
        assert_eq!(event.metadata, EventMetadata::default());
        assert_eq!(event.recorded_at, DateTime::UNIX_EPOCH);
        assert!(parser.next_event().unwrap().is_none());
        assert!(parser.ended);
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
                parser.buffer.extend_from_slice(chunk);
                while let Some(event) = parser.next_event().unwrap() {
                    events.push(event);
                }
                parser.compact();
            }
            assert!(parser.ended, "split at {split}");
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
