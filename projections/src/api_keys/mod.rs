//! API keys as their owners list them and as authentication looks them up (by hash).

mod projection;
mod queries;
mod view;

pub use projection::ApiKeysProjection;
pub use queries::{by_hash, list, KeyRecord};
pub use view::ApiKeyView;
