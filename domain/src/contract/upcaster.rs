//! The hook that turns a stored event of an older version into the next one.

use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use serde_json::Value;

/// Turns the payload of one stored event type from the version it reads into the version it produces. It is a
/// cqrs-es [`EventUpcaster`]; a [`super::Contract`] applies its upcasters in a chain until the current version.
#[derive(Debug, Clone, Copy)]
pub struct Upcaster {
    /// The stored name of the event type.
    pub event_type: &'static str,
    /// The version it reads (exactly).
    pub reads: &'static str,
    /// The version it produces.
    pub produces: &'static str,
    /// The older version's fields (the value under the stored name) → the newer version's.
    pub upcast: fn(Value) -> Value,
}

impl EventUpcaster for Upcaster {
    fn can_upcast(&self, event_type: &str, event_version: &str) -> bool {
        event_type == self.event_type && event_version == self.reads
    }

    /// Rewrites the value under the stored name (a payload of another form is left as it is: the contract
    /// refuses it before any upcaster runs) and sets the produced version.
    fn upcast(&self, mut event: SerializedEvent) -> SerializedEvent {
        if let Some(fields) = event.payload.get_mut(self.event_type) {
            *fields = (self.upcast)(fields.take());
        }
        event.event_version = self.produces.to_string();
        event
    }
}
