//! The memory list: one row per live memory of each user, sorted by `scoring` (spec §2.5).

mod projection;
mod queries;
mod view;

pub use projection::MemoriesProjection;
pub use queries::{get, ids_of_conversation, ids_of_user, list};
pub use view::{view_of_new_stream, MemoryView};
