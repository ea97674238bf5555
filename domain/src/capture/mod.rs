//! The in-progress pointer of a user: which conversation a live capture writes into. One stream per user, so
//! that two sessions starting at once cannot open two `in_progress` conversations (spec §3.1).

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use crate::contract::stored_events;
use crate::{DomainError, Timestamp};

/// A user's capture pointer. The stream id is the uid.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Capture {
    conversation_id: Option<String>,
}

/// What can be asked of the pointer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CaptureCommand {
    /// Points at a new in-progress conversation; refused while another one is open.
    BeginCapture {
        conversation_id: String,
        at: Timestamp,
    },
    /// Clears the pointer if it still points at `conversation_id`.
    EndCapture {
        conversation_id: String,
        at: Timestamp,
    },
}

/// What happened to the pointer. Stored under the names its `#[serde(rename)]` and the contract below both spell
/// out, so renaming a variant changes nothing stored (see [`crate::contract`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CaptureEvent {
    #[serde(rename = "CaptureBegan")]
    CaptureBegan {
        conversation_id: String,
        at: Timestamp,
    },
    #[serde(rename = "CaptureEnded")]
    CaptureEnded {
        conversation_id: String,
        at: Timestamp,
    },
}

stored_events! {
    events: CaptureEvent,
    aggregate_type: Capture::TYPE,
    stored: {
        CaptureBegan => ("CaptureBegan", "1.0"),
        CaptureEnded => ("CaptureEnded", "1.0"),
    }
}

impl Capture {
    /// The prefix of the conflict message; the open conversation's id follows it.
    pub const OPEN_PREFIX: &'static str = "capture already open: ";
}

impl Aggregate for Capture {
    const TYPE: &'static str = "Capture";
    type Command = CaptureCommand;
    type Event = CaptureEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: CaptureCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let event = match command {
            CaptureCommand::BeginCapture {
                conversation_id,
                at,
            } => match &self.conversation_id {
                Some(open) if *open == conversation_id => return Ok(()),
                Some(open) => {
                    return Err(DomainError::Conflict(format!(
                        "{}{open}",
                        Self::OPEN_PREFIX
                    )))
                }
                None => CaptureEvent::CaptureBegan {
                    conversation_id,
                    at,
                },
            },
            CaptureCommand::EndCapture {
                conversation_id,
                at,
            } => {
                if self.conversation_id.as_deref() != Some(conversation_id.as_str()) {
                    return Ok(());
                }
                CaptureEvent::CaptureEnded {
                    conversation_id,
                    at,
                }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: CaptureEvent) {
        match event {
            CaptureEvent::CaptureBegan {
                conversation_id, ..
            } => self.conversation_id = Some(conversation_id),
            CaptureEvent::CaptureEnded { .. } => self.conversation_id = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;

    fn at() -> Timestamp {
        Utc.timestamp_opt(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn a_second_capture_is_refused_naming_the_open_one() {
        TestFramework::<Capture>::with(())
            .given(vec![CaptureEvent::CaptureBegan {
                conversation_id: "c1".into(),
                at: at(),
            }])
            .when(CaptureCommand::BeginCapture {
                conversation_id: "c2".into(),
                at: at(),
            })
            .then_expect_error(DomainError::Conflict("capture already open: c1".into()));
    }

    #[test]
    fn ending_another_conversation_leaves_the_pointer() {
        TestFramework::<Capture>::with(())
            .given(vec![CaptureEvent::CaptureBegan {
                conversation_id: "c1".into(),
                at: at(),
            }])
            .when(CaptureCommand::EndCapture {
                conversation_id: "c0".into(),
                at: at(),
            })
            .then_expect_events(vec![]);
    }

    #[test]
    fn after_the_end_a_new_capture_begins() {
        TestFramework::<Capture>::with(())
            .given(vec![
                CaptureEvent::CaptureBegan {
                    conversation_id: "c1".into(),
                    at: at(),
                },
                CaptureEvent::CaptureEnded {
                    conversation_id: "c1".into(),
                    at: at(),
                },
            ])
            .when(CaptureCommand::BeginCapture {
                conversation_id: "c2".into(),
                at: at(),
            })
            .then_expect_events(vec![CaptureEvent::CaptureBegan {
                conversation_id: "c2".into(),
                at: at(),
            }]);
    }
}
