//! Users' folders (spec §2.9, §7.13) as the API lists them. One read model, `folders`: a row per user holding
//! every folder as the folders aggregate folds them. A folder's `conversation_count` is counted when read, from
//! the conversations read model, which already follows moves, discards, deletions and merges; counting there
//! keeps one source for "which conversations are in a folder" (the folder's list reads the same rows).

mod projection;
mod queries;

pub use projection::FoldersProjection;
pub use queries::{conversation_ids_in, folders_of, FolderView};
