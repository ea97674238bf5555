//! Chat messages (spec §2.8, §6.4): one row per message of every chat thread, with its thread, session and
//! place in the thread. The chat of a context is the session of the thread's newest message: clearing a thread
//! records its greeting in the next session at once, so the messages of a cleared session are never read again.

mod projection;
mod queries;
mod view;

pub use projection::ChatMessagesProjection;
pub use queries::{current, message, of_user};
pub use view::{ChatMessageView, Sender};
