//! The key aggregate.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{ApiKeyCommand, ApiKeyEvent};
use crate::{DomainError, Timestamp};

/// How often a key's use is recorded at most.
const USE_RESOLUTION_SECONDS: i64 = 60;

/// The state a key needs to decide on commands.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ApiKey {
    uid: Option<String>,
    revoked: bool,
    last_used_at: Option<Timestamp>,
}

impl Aggregate for ApiKey {
    const TYPE: &'static str = "ApiKey";
    type Command = ApiKeyCommand;
    type Event = ApiKeyEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ApiKeyCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let event = match command {
            ApiKeyCommand::CreateApiKey {
                uid,
                family,
                name,
                scopes,
                hashed_key,
                display_prefix,
                at,
            } => {
                if self.uid.is_some() {
                    return Err(DomainError::Conflict("API key already exists".into()));
                }
                let name = name.trim().to_string();
                if name.is_empty() {
                    return Err(DomainError::Invalid("Key name cannot be empty".into()));
                }
                if scopes.is_empty() {
                    return Err(DomainError::Invalid(
                        "A key needs at least one scope".into(),
                    ));
                }
                ApiKeyEvent::ApiKeyCreated {
                    uid,
                    family,
                    name,
                    scopes,
                    hashed_key,
                    display_prefix,
                    created_at: at,
                }
            }
            ApiKeyCommand::RecordUse { at } => {
                if self.uid.is_none() || self.revoked {
                    return Err(DomainError::NotFound("API key"));
                }
                let recent = self.last_used_at.is_some_and(|last| {
                    at.signed_duration_since(last).num_seconds() < USE_RESOLUTION_SECONDS
                });
                if recent {
                    return Ok(());
                }
                ApiKeyEvent::ApiKeyUsed { used_at: at }
            }
            ApiKeyCommand::RevokeApiKey { uid, at } => {
                if self.uid.as_deref() != Some(uid.as_str()) || self.revoked {
                    return Err(DomainError::NotFound("API key"));
                }
                ApiKeyEvent::ApiKeyRevoked { revoked_at: at }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: ApiKeyEvent) {
        match event {
            ApiKeyEvent::ApiKeyCreated { uid, .. } => self.uid = Some(uid),
            ApiKeyEvent::ApiKeyUsed { used_at } => self.last_used_at = Some(used_at),
            ApiKeyEvent::ApiKeyRevoked { .. } => self.revoked = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::api_key::{KeyFamily, Scope};

    fn at(seconds: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn created() -> ApiKeyEvent {
        ApiKeyEvent::ApiKeyCreated {
            uid: "u1".into(),
            family: KeyFamily::Developer,
            name: "script".into(),
            scopes: vec![Scope::MemoriesRead],
            hashed_key: "h".into(),
            display_prefix: "omi_dev_abcd...wxyz".into(),
            created_at: at(0),
        }
    }

    fn create(name: &str, scopes: Vec<Scope>) -> ApiKeyCommand {
        ApiKeyCommand::CreateApiKey {
            uid: "u1".into(),
            family: KeyFamily::Developer,
            name: name.into(),
            scopes,
            hashed_key: "h".into(),
            display_prefix: "omi_dev_abcd...wxyz".into(),
            at: at(0),
        }
    }

    #[test]
    fn a_key_is_created_with_a_trimmed_name() {
        TestFramework::<ApiKey>::with(())
            .given_no_previous_events()
            .when(create(" script ", vec![Scope::MemoriesRead]))
            .then_expect_events(vec![created()]);
    }

    #[test]
    fn a_blank_name_is_refused() {
        TestFramework::<ApiKey>::with(())
            .given_no_previous_events()
            .when(create("  ", vec![Scope::MemoriesRead]))
            .then_expect_error(DomainError::Invalid("Key name cannot be empty".into()));
    }

    #[test]
    fn use_is_recorded_at_most_once_a_minute() {
        TestFramework::<ApiKey>::with(())
            .given(vec![created(), ApiKeyEvent::ApiKeyUsed { used_at: at(10) }])
            .when(ApiKeyCommand::RecordUse { at: at(30) })
            .then_expect_events(vec![]);
        TestFramework::<ApiKey>::with(())
            .given(vec![created(), ApiKeyEvent::ApiKeyUsed { used_at: at(10) }])
            .when(ApiKeyCommand::RecordUse { at: at(75) })
            .then_expect_events(vec![ApiKeyEvent::ApiKeyUsed { used_at: at(75) }]);
    }

    #[test]
    fn only_the_owner_revokes_and_only_once() {
        TestFramework::<ApiKey>::with(())
            .given(vec![created()])
            .when(ApiKeyCommand::RevokeApiKey {
                uid: "u2".into(),
                at: at(5),
            })
            .then_expect_error(DomainError::NotFound("API key"));
        TestFramework::<ApiKey>::with(())
            .given(vec![
                created(),
                ApiKeyEvent::ApiKeyRevoked { revoked_at: at(5) },
            ])
            .when(ApiKeyCommand::RevokeApiKey {
                uid: "u1".into(),
                at: at(6),
            })
            .then_expect_error(DomainError::NotFound("API key"));
    }

    #[test]
    fn a_revoked_key_records_no_use() {
        TestFramework::<ApiKey>::with(())
            .given(vec![
                created(),
                ApiKeyEvent::ApiKeyRevoked { revoked_at: at(5) },
            ])
            .when(ApiKeyCommand::RecordUse { at: at(100) })
            .then_expect_error(DomainError::NotFound("API key"));
    }
}
