//! Memories: facts about the user, typed in by hand or extracted from conversations (spec §2.5).

mod aggregate;
mod commands;
mod events;
mod values;

pub use aggregate::Memory;
pub use commands::MemoryCommand;
pub use events::MemoryEvent;
pub use values::{content_fingerprint, memory_id, scoring, MemoryCategory, Visibility};
