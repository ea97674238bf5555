//! Action items: the user's standalone tasks, typed in by hand or lifted from a conversation (spec §2.3, §6.2).

mod aggregate;
mod commands;
mod events;

pub use aggregate::ActionItem;
pub use commands::ActionItemCommand;
pub use events::ActionItemEvent;
