//! Rows in PostgreSQL's binary COPY format, for the rebuild's writes: no statement per row, no parameters, no
//! escaping. A [`CopySink`] gathers rows per table and hands out full chunks, each the complete payload of one
//! `COPY … FROM STDIN (FORMAT binary)`.

/// Bytes per chunk handed to the writer.
const CHUNK_BYTES: usize = 4 << 20;
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// The rows of one table being encoded.
pub(crate) struct CopyRows {
    bytes: Vec<u8>,
    rows: usize,
}

impl CopyRows {
    fn new() -> Self {
        let mut bytes = Vec::with_capacity(CHUNK_BYTES + (CHUNK_BYTES >> 3));
        bytes.extend_from_slice(SIGNATURE);
        bytes.extend_from_slice(&0i32.to_be_bytes()); // flags
        bytes.extend_from_slice(&0i32.to_be_bytes()); // header extension length
        Self { bytes, rows: 0 }
    }

    /// Starts a row of `fields` values; the caller then writes exactly that many.
    pub(crate) fn row(&mut self, fields: usize) -> &mut Self {
        self.rows += 1;
        self.bytes.extend_from_slice(&(fields as i16).to_be_bytes());
        self
    }

    fn value(&mut self, bytes: &[u8]) -> &mut Self {
        self.bytes
            .extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        self.bytes.extend_from_slice(bytes);
        self
    }

    fn null(&mut self) -> &mut Self {
        self.bytes.extend_from_slice(&(-1i32).to_be_bytes());
        self
    }

    /// A `TEXT` value.
    pub(crate) fn text(&mut self, value: &str) -> &mut Self {
        self.value(value.as_bytes())
    }

    /// A nullable `TEXT` value.
    pub(crate) fn text_or_null(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    /// A `BIGINT` value.
    pub(crate) fn bigint(&mut self, value: i64) -> &mut Self {
        self.value(&value.to_be_bytes())
    }

    /// A nullable `BIGINT` value.
    pub(crate) fn bigint_or_null(&mut self, value: Option<i64>) -> &mut Self {
        match value {
            Some(v) => self.bigint(v),
            None => self.null(),
        }
    }

    /// A value already in its type's binary form (a `tsvector`'s, say).
    pub(crate) fn bytes(&mut self, value: &[u8]) -> &mut Self {
        self.value(value)
    }

    /// A `BOOLEAN` value.
    pub(crate) fn boolean(&mut self, value: bool) -> &mut Self {
        self.value(&[u8::from(value)])
    }

    /// The complete payload (header, rows, trailer); this buffer starts over.
    fn take(&mut self) -> Vec<u8> {
        let mut full = std::mem::replace(self, Self::new());
        full.bytes.extend_from_slice(&(-1i16).to_be_bytes());
        full.bytes
    }
}

/// Rows for one `COPY`: the table, its column list and the binary payload.
pub(crate) struct CopyChunk {
    pub table: String,
    pub columns: String,
    pub data: Vec<u8>,
}

/// Rows gathered per table.
#[derive(Default)]
pub(crate) struct CopySink {
    /// Per table: its name, its column list, its rows.
    tables: Vec<(String, String, CopyRows)>,
    full: Vec<CopyChunk>,
}

impl CopySink {
    /// The rows of `table` with `columns`, to append one row to. A table whose rows have filled a chunk hands it
    /// over first (see [`CopySink::take_full`]).
    pub(crate) fn table(&mut self, table: &str, columns: &str) -> &mut CopyRows {
        let at = match self.tables.iter().position(|(name, _, _)| name == table) {
            Some(at) => at,
            None => {
                self.tables
                    .push((table.to_string(), columns.to_string(), CopyRows::new()));
                self.tables.len() - 1
            }
        };
        let (table, columns, rows) = &mut self.tables[at];
        if rows.bytes.len() >= CHUNK_BYTES {
            self.full.push(CopyChunk {
                table: table.clone(),
                columns: columns.clone(),
                data: rows.take(),
            });
        }
        rows
    }

    /// The chunks that are full.
    pub(crate) fn take_full(&mut self) -> Vec<CopyChunk> {
        std::mem::take(&mut self.full)
    }

    /// Every chunk, full or not.
    pub(crate) fn take_all(&mut self) -> Vec<CopyChunk> {
        let mut chunks = self.take_full();
        for (table, columns, rows) in &mut self.tables {
            if rows.rows > 0 {
                chunks.push(CopyChunk {
                    table: table.clone(),
                    columns: columns.clone(),
                    data: rows.take(),
                });
            }
        }
        chunks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_header_rows_and_trailer() {
        let mut sink = CopySink::default();
        sink.table("t", "a, b, c, d")
            .row(4)
            .text("x")
            .bigint(-2)
            .boolean(true)
            .text_or_null(None);
        let chunks = sink.take_all();
        assert_eq!(chunks.len(), 1);
        assert_eq!(
            (chunks[0].table.as_str(), chunks[0].columns.as_str()),
            ("t", "a, b, c, d")
        );
        let mut expected = SIGNATURE.to_vec();
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        expected.extend_from_slice(&[0, 4]);
        expected.extend_from_slice(&[0, 0, 0, 1, b'x']);
        expected.extend_from_slice(&[0, 0, 0, 8, 255, 255, 255, 255, 255, 255, 255, 254]);
        expected.extend_from_slice(&[0, 0, 0, 1, 1]);
        expected.extend_from_slice(&[255, 255, 255, 255]);
        expected.extend_from_slice(&[255, 255]);
        assert_eq!(chunks[0].data, expected);
        assert!(sink.take_all().is_empty(), "nothing left after take_all");
    }

    #[test]
    fn tables_are_kept_apart_and_full_chunks_handed_over() {
        let mut sink = CopySink::default();
        let big = "y".repeat(1 << 20);
        for _ in 0..5 {
            sink.table("memories", "id").row(1).text(&big);
            sink.table("action_items", "id").row(1).text("z");
        }
        let full = sink.take_full();
        assert_eq!(full.len(), 1);
        assert_eq!(full[0].table, "memories");
        let rest = sink.take_all();
        assert_eq!(rest.len(), 2);
        assert_eq!(rest[0].table, "memories");
        assert_eq!(rest[1].table, "action_items");
    }
}
