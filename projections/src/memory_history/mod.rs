//! Every version of every memory, kept after deletion: who changed what, when (beyond Omi: "what did this
//! memory say last March").

mod projection;
mod queries;

pub use projection::MemoryHistoryProjection;
pub use queries::{history, MemoryHistory, MemoryVersion};
