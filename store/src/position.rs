//! A position in the event log, in commit order.

/// Where an event stands in commit order. On PostgreSQL that is the pair (transaction id, global position):
/// positions are handed out at insert but become visible at commit, so the transaction id orders them first.
/// On SQLite writes are serialized, so `transaction` is 0 and the global position alone is commit order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogPosition {
    /// The writing transaction's id (PostgreSQL `xid8`), 0 on SQLite.
    pub transaction: i64,
    /// The event's `global_position`.
    pub global: i64,
}

impl LogPosition {
    /// The position before the first event.
    pub const START: LogPosition = LogPosition {
        transaction: 0,
        global: 0,
    };
}

impl std::fmt::Display for LogPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.transaction, self.global)
    }
}
