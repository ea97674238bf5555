//! A user's folders (spec §2.9, §7.13): the ten system folders, created lazily with ids derived from the user
//! and their name, and at most fifty custom ones. All of a user's folders live in one stream (its id is the
//! user id), so the rules that span folders — the limit, the order, the default folder a deleted folder's
//! conversations fall back to — are decided in one place. Which system folder a conversation category goes to
//! is [`SystemFolder::for_category`].

mod aggregate;
mod commands;
mod events;
mod values;

#[cfg(test)]
mod tests;

pub use aggregate::{Folder, Folders};
pub use commands::{FolderChanges, FoldersCommand};
pub use events::FoldersEvent;
pub use values::{
    folders_stream_id, is_hex_color, SystemFolder, DEFAULT_COLOR, DEFAULT_ICON, MAX_CUSTOM_FOLDERS,
    MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS,
};
