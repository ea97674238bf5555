//! The integration aggregate.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{IntegrationCommand, IntegrationEvent, MAX_TOKEN_CHARS};
use crate::DomainError;

/// How many consumed OAuth states an integration remembers (a state lives ten minutes; a user does not
/// connect one account this often in that time).
const REMEMBERED_STATES: usize = 32;

/// An integration as its stream tells it; `uid` is empty before the first connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integration {
    pub uid: String,
    pub connected: bool,
    /// The OAuth states consumed last, newest last.
    pub used_states: Vec<String>,
}

impl Aggregate for Integration {
    const TYPE: &'static str = "Integration";
    type Command = IntegrationCommand;
    type Event = IntegrationEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: IntegrationCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let event = self.decide(command)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: IntegrationEvent) {
        match event {
            IntegrationEvent::IntegrationConnected { uid, state, .. } => {
                self.uid = uid;
                self.connected = true;
                if let Some(state) = state {
                    self.used_states.push(state);
                    if self.used_states.len() > REMEMBERED_STATES {
                        self.used_states.remove(0);
                    }
                }
            }
            IntegrationEvent::IntegrationDisconnected { .. } => self.connected = false,
            IntegrationEvent::HealthDataSynced { uid, .. } => {
                self.uid = uid;
                self.connected = true;
            }
        }
    }
}

impl Integration {
    fn decide(&self, command: IntegrationCommand) -> Result<IntegrationEvent, DomainError> {
        match command {
            IntegrationCommand::Connect {
                uid,
                key,
                access_token,
                refresh_token,
                state,
                at,
            } => {
                self.owned_by(&uid)?;
                for token in [&access_token, &refresh_token].into_iter().flatten() {
                    if token.chars().count() > MAX_TOKEN_CHARS {
                        return Err(DomainError::Invalid(format!(
                            "tokens must be at most {MAX_TOKEN_CHARS} characters"
                        )));
                    }
                }
                if let Some(state) = &state {
                    if self.used_states.contains(state) {
                        return Err(DomainError::Conflict("invalid_state".into()));
                    }
                }
                Ok(IntegrationEvent::IntegrationConnected {
                    uid,
                    key,
                    access_token,
                    refresh_token,
                    state,
                    connected_at: at,
                })
            }
            IntegrationCommand::Disconnect { uid, at } => {
                self.owned_by(&uid)?;
                if !self.connected {
                    return Err(DomainError::NotFound("Integration"));
                }
                Ok(IntegrationEvent::IntegrationDisconnected {
                    uid,
                    disconnected_at: at,
                })
            }
            IntegrationCommand::SyncHealthData {
                uid,
                key,
                data,
                data_types,
                at,
            } => {
                self.owned_by(&uid)?;
                Ok(IntegrationEvent::HealthDataSynced {
                    uid,
                    key,
                    data,
                    data_types,
                    synced_at: at,
                })
            }
        }
    }

    /// Another user's stream is not found (its id is derived from the user; this guards hand-named streams).
    fn owned_by(&self, uid: &str) -> Result<(), DomainError> {
        if self.uid.is_empty() || self.uid == uid {
            Ok(())
        } else {
            Err(DomainError::NotFound("Integration"))
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

    fn connect(state: Option<&str>) -> IntegrationCommand {
        IntegrationCommand::Connect {
            uid: "u1".into(),
            key: "google_calendar".into(),
            access_token: Some("at".into()),
            refresh_token: None,
            state: state.map(Into::into),
            at: at(),
        }
    }

    fn connected(state: Option<&str>) -> IntegrationEvent {
        IntegrationEvent::IntegrationConnected {
            uid: "u1".into(),
            key: "google_calendar".into(),
            access_token: Some("at".into()),
            refresh_token: None,
            state: state.map(Into::into),
            connected_at: at(),
        }
    }

    #[test]
    fn a_connection_is_recorded_with_its_tokens() {
        TestFramework::<Integration>::with(())
            .given_no_previous_events()
            .when(connect(Some("s1")))
            .then_expect_events(vec![connected(Some("s1"))]);
    }

    #[test]
    fn an_oauth_state_is_consumed_once() {
        TestFramework::<Integration>::with(())
            .given(vec![connected(Some("s1"))])
            .when(connect(Some("s1")))
            .then_expect_error(DomainError::Conflict("invalid_state".into()));
        TestFramework::<Integration>::with(())
            .given(vec![connected(Some("s1"))])
            .when(connect(Some("s2")))
            .then_expect_events(vec![connected(Some("s2"))]);
    }

    #[test]
    fn disconnecting_what_is_not_connected_is_not_found() {
        TestFramework::<Integration>::with(())
            .given_no_previous_events()
            .when(IntegrationCommand::Disconnect {
                uid: "u1".into(),
                at: at(),
            })
            .then_expect_error(DomainError::NotFound("Integration"));
        TestFramework::<Integration>::with(())
            .given(vec![
                connected(None),
                IntegrationEvent::IntegrationDisconnected {
                    uid: "u1".into(),
                    disconnected_at: at(),
                },
            ])
            .when(IntegrationCommand::Disconnect {
                uid: "u1".into(),
                at: at(),
            })
            .then_expect_error(DomainError::NotFound("Integration"));
    }

    #[test]
    fn another_users_stream_is_not_found() {
        TestFramework::<Integration>::with(())
            .given(vec![connected(None)])
            .when(IntegrationCommand::Disconnect {
                uid: "u2".into(),
                at: at(),
            })
            .then_expect_error(DomainError::NotFound("Integration"));
    }
}
