//! The device aggregate.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{DeviceCommand, DeviceEvent, MAX_TOKEN_CHARS};
use crate::DomainError;

/// A device as its stream tells it; `uid` is empty before the first registration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub uid: String,
    /// The token pushes go to; `None` before registration and once dropped.
    pub token: Option<String>,
    pub time_zone: Option<String>,
}

impl Aggregate for Device {
    const TYPE: &'static str = "Device";
    type Command = DeviceCommand;
    type Event = DeviceEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: DeviceCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        if let Some(event) = self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: DeviceEvent) {
        match event {
            DeviceEvent::DeviceTokenRegistered {
                uid,
                token,
                time_zone,
                ..
            } => {
                *self = Device {
                    uid,
                    token: Some(token),
                    time_zone,
                }
            }
            DeviceEvent::DeviceTokenDropped { .. } => self.token = None,
        }
    }
}

impl Device {
    fn decide(&self, command: DeviceCommand) -> Result<Option<DeviceEvent>, DomainError> {
        match command {
            DeviceCommand::RegisterToken {
                uid,
                device_key,
                token,
                time_zone,
                at,
            } => {
                self.owned_by(&uid)?;
                let token = token.trim().to_string();
                if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
                    return Err(DomainError::Invalid(format!(
                        "fcm_token must be between 1 and {MAX_TOKEN_CHARS} characters"
                    )));
                }
                let unchanged =
                    self.token.as_deref() == Some(token.as_str()) && self.time_zone == time_zone;
                Ok((!unchanged).then_some(DeviceEvent::DeviceTokenRegistered {
                    uid,
                    device_key,
                    token,
                    time_zone,
                    registered_at: at,
                }))
            }
            DeviceCommand::DropToken {
                uid,
                token,
                reason,
                at,
            } => {
                if self.uid.is_empty() {
                    return Err(DomainError::NotFound("Device"));
                }
                self.owned_by(&uid)?;
                Ok((self.token.as_deref() == Some(token.as_str())).then_some(
                    DeviceEvent::DeviceTokenDropped {
                        uid,
                        token,
                        reason,
                        dropped_at: at,
                    },
                ))
            }
        }
    }

    /// A device of another user is not found (its stream id is derived from the user, so this only guards
    /// against a caller naming a stream by hand).
    fn owned_by(&self, uid: &str) -> Result<(), DomainError> {
        if self.uid.is_empty() || self.uid == uid {
            Ok(())
        } else {
            Err(DomainError::NotFound("Device"))
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::Timestamp;

    fn at() -> Timestamp {
        Utc.timestamp_opt(1_764_626_400, 0).unwrap()
    }

    fn register(token: &str, zone: Option<&str>) -> DeviceCommand {
        DeviceCommand::RegisterToken {
            uid: "u1".into(),
            device_key: "ios_abc".into(),
            token: token.into(),
            time_zone: zone.map(Into::into),
            at: at(),
        }
    }

    fn registered(token: &str, zone: Option<&str>) -> DeviceEvent {
        DeviceEvent::DeviceTokenRegistered {
            uid: "u1".into(),
            device_key: "ios_abc".into(),
            token: token.into(),
            time_zone: zone.map(Into::into),
            registered_at: at(),
        }
    }

    fn drop_token(token: &str) -> DeviceCommand {
        DeviceCommand::DropToken {
            uid: "u1".into(),
            token: token.into(),
            reason: "UNREGISTERED".into(),
            at: at(),
        }
    }

    #[test]
    fn registering_the_same_token_and_zone_again_records_nothing() {
        TestFramework::<Device>::with(())
            .given(vec![registered("t1", Some("Europe/Paris"))])
            .when(register(" t1 ", Some("Europe/Paris")))
            .then_expect_events(vec![]);
    }

    #[test]
    fn a_new_zone_is_recorded_with_the_token() {
        TestFramework::<Device>::with(())
            .given(vec![registered("t1", None)])
            .when(register("t1", Some("Europe/Paris")))
            .then_expect_events(vec![registered("t1", Some("Europe/Paris"))]);
    }

    #[test]
    fn an_empty_token_is_refused() {
        TestFramework::<Device>::with(())
            .given_no_previous_events()
            .when(register("  ", None))
            .then_expect_error(DomainError::Invalid(
                "fcm_token must be between 1 and 4096 characters".into(),
            ));
    }

    #[test]
    fn the_refused_token_is_dropped() {
        TestFramework::<Device>::with(())
            .given(vec![registered("t1", None)])
            .when(drop_token("t1"))
            .then_expect_events(vec![DeviceEvent::DeviceTokenDropped {
                uid: "u1".into(),
                token: "t1".into(),
                reason: "UNREGISTERED".into(),
                dropped_at: at(),
            }]);
    }

    #[test]
    fn a_token_replaced_since_the_push_is_kept() {
        TestFramework::<Device>::with(())
            .given(vec![registered("t1", None), registered("t2", None)])
            .when(drop_token("t1"))
            .then_expect_events(vec![]);
    }

    #[test]
    fn another_users_stream_is_not_found() {
        TestFramework::<Device>::with(())
            .given(vec![registered("t1", None)])
            .when(DeviceCommand::RegisterToken {
                uid: "u2".into(),
                device_key: "ios_abc".into(),
                token: "t9".into(),
                time_zone: None,
                at: at(),
            })
            .then_expect_error(DomainError::NotFound("Device"));
    }
}
