//! Every version of every memory, kept after deletion: who changed what, when (beyond Omi: "what did this
//! memory say last March"). The memory's own stream in the event log holds every version, so the history is
//! read from there and folded on request; no read model keeps a second copy of it.

mod queries;

pub use queries::{history, MemoryHistory, MemoryVersion};
