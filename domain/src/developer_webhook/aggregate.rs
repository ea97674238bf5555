//! The developer-webhooks aggregate: one user's four endpoints.

use std::collections::BTreeMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{clears, DeveloperWebhooksCommand, DeveloperWebhooksEvent, WebhookType};
use crate::DomainError;

/// One endpoint of a user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeveloperWebhook {
    /// Empty when no URL is set.
    pub url: String,
    /// Issued with the first URL; kept when the URL is cleared, so setting it again keeps the receiver's secret.
    pub secret: Option<String>,
    /// The toggle, `None` until the user or the server first turned it: then a set URL counts as on (the spec's
    /// "first call initializes from whether a URL exists").
    pub toggled: Option<bool>,
}

impl DeveloperWebhook {
    /// Whether deliveries go out: a URL is set and the toggle is on.
    pub fn is_enabled(&self) -> bool {
        !self.url.is_empty() && self.toggled.unwrap_or(true)
    }

    /// For `audio_bytes` (stored as `"<url>,<seconds>"`, spec §5.4): the URL posted to and the seconds of audio
    /// per post, [`DEFAULT_AUDIO_SECONDS`] when the URL names none.
    pub fn audio_batches(&self) -> (&str, u32) {
        match self.url.rsplit_once(',') {
            Some((address, seconds)) => match seconds.parse::<u32>() {
                Ok(seconds) if seconds > 0 => (address, seconds),
                _ => (address, DEFAULT_AUDIO_SECONDS),
            },
            None => (&self.url, DEFAULT_AUDIO_SECONDS),
        }
    }
}

/// Seconds of audio per `audio_bytes` post when the webhook's URL names none (spec §5.4).
pub const DEFAULT_AUDIO_SECONDS: u32 = 5;

/// A user's developer webhooks by type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeveloperWebhooks {
    pub endpoints: BTreeMap<WebhookType, DeveloperWebhook>,
}

impl DeveloperWebhooks {
    fn endpoint(&self, wtype: WebhookType) -> DeveloperWebhook {
        self.endpoints.get(&wtype).cloned().unwrap_or_default()
    }
}

impl Aggregate for DeveloperWebhooks {
    const TYPE: &'static str = "DeveloperWebhooks";
    type Command = DeveloperWebhooksCommand;
    type Event = DeveloperWebhooksEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: DeveloperWebhooksCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: DeveloperWebhooksEvent) {
        match event {
            DeveloperWebhooksEvent::DeveloperWebhookUrlSet { wtype, url, .. } => {
                self.endpoints.entry(wtype).or_default().url = url;
            }
            DeveloperWebhooksEvent::DeveloperWebhookSecretIssued { wtype, secret, .. } => {
                self.endpoints.entry(wtype).or_default().secret = Some(secret);
            }
            DeveloperWebhooksEvent::DeveloperWebhookEnabled { wtype, .. } => {
                self.endpoints.entry(wtype).or_default().toggled = Some(true);
            }
            DeveloperWebhooksEvent::DeveloperWebhookDisabled { wtype, .. } => {
                self.endpoints.entry(wtype).or_default().toggled = Some(false);
            }
        }
    }
}

impl DeveloperWebhooks {
    fn decide(
        &self,
        command: DeveloperWebhooksCommand,
    ) -> Result<Vec<DeveloperWebhooksEvent>, DomainError> {
        use DeveloperWebhooksCommand as C;
        use DeveloperWebhooksEvent as E;
        Ok(match command {
            C::SetDeveloperWebhookUrl {
                uid,
                wtype,
                url,
                secret,
                at,
            } => {
                let current = self.endpoint(wtype);
                let url = if clears(&url) { String::new() } else { url };
                let mut events = Vec::new();
                if url != current.url {
                    events.push(E::DeveloperWebhookUrlSet {
                        uid: uid.clone(),
                        wtype,
                        url: url.clone(),
                        set_at: at,
                    });
                }
                if !url.is_empty() && current.secret.is_none() {
                    events.push(E::DeveloperWebhookSecretIssued {
                        uid,
                        wtype,
                        secret,
                        issued_at: at,
                    });
                }
                events
            }
            C::EnableDeveloperWebhook { uid, wtype, at } => {
                if self.endpoint(wtype).toggled == Some(true) {
                    return Ok(vec![]);
                }
                vec![E::DeveloperWebhookEnabled {
                    uid,
                    wtype,
                    enabled_at: at,
                }]
            }
            C::DisableDeveloperWebhook {
                uid,
                wtype,
                reason,
                at,
            } => {
                if self.endpoint(wtype).toggled == Some(false) {
                    return Ok(vec![]);
                }
                vec![E::DeveloperWebhookDisabled {
                    uid,
                    wtype,
                    reason,
                    disabled_at: at,
                }]
            }
            C::RotateDeveloperWebhookSecret {
                uid,
                wtype,
                secret,
                at,
            } => {
                if self.endpoint(wtype).url.is_empty() {
                    return Err(DomainError::NotFound("Webhook"));
                }
                vec![E::DeveloperWebhookSecretIssued {
                    uid,
                    wtype,
                    secret,
                    issued_at: at,
                }]
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::Timestamp;

    type Given = TestFramework<DeveloperWebhooks>;
    const W: WebhookType = WebhookType::MemoryCreated;

    fn at() -> Timestamp {
        Utc.timestamp_opt(1_764_626_400, 0).unwrap()
    }

    fn set(url: &str, secret: &str) -> DeveloperWebhooksCommand {
        DeveloperWebhooksCommand::SetDeveloperWebhookUrl {
            uid: "u1".into(),
            wtype: W,
            url: url.into(),
            secret: secret.into(),
            at: at(),
        }
    }

    fn url_set(url: &str) -> DeveloperWebhooksEvent {
        DeveloperWebhooksEvent::DeveloperWebhookUrlSet {
            uid: "u1".into(),
            wtype: W,
            url: url.into(),
            set_at: at(),
        }
    }

    fn issued(secret: &str) -> DeveloperWebhooksEvent {
        DeveloperWebhooksEvent::DeveloperWebhookSecretIssued {
            uid: "u1".into(),
            wtype: W,
            secret: secret.into(),
            issued_at: at(),
        }
    }

    fn disabled() -> DeveloperWebhooksEvent {
        DeveloperWebhooksEvent::DeveloperWebhookDisabled {
            uid: "u1".into(),
            wtype: W,
            reason: None,
            disabled_at: at(),
        }
    }

    #[test]
    fn the_first_url_issues_the_secret_and_a_later_one_keeps_it() {
        Given::with(())
            .given_no_previous_events()
            .when(set("https://a.example/hook", "whsec_one"))
            .then_expect_events(vec![url_set("https://a.example/hook"), issued("whsec_one")]);
        Given::with(())
            .given(vec![url_set("https://a.example/hook"), issued("whsec_one")])
            .when(set("https://b.example/hook", "whsec_two"))
            .then_expect_events(vec![url_set("https://b.example/hook")]);
    }

    #[test]
    fn an_empty_url_or_a_lone_comma_clears_the_webhook_without_a_secret() {
        Given::with(())
            .given(vec![url_set("https://a.example/hook"), issued("whsec_one")])
            .when(set(",", "whsec_two"))
            .then_expect_events(vec![url_set("")]);
        Given::with(())
            .given_no_previous_events()
            .when(set("", "whsec_two"))
            .then_expect_events(vec![]);
    }

    #[test]
    fn a_set_url_counts_as_on_until_the_webhook_is_turned_off() {
        let mut state = DeveloperWebhooks::default();
        state.apply(url_set("https://a.example/hook"));
        assert!(state.endpoint(W).is_enabled());
        state.apply(disabled());
        assert!(!state.endpoint(W).is_enabled());
    }

    #[test]
    fn turning_off_twice_records_it_once() {
        let disable = DeveloperWebhooksCommand::DisableDeveloperWebhook {
            uid: "u1".into(),
            wtype: W,
            reason: None,
            at: at(),
        };
        Given::with(())
            .given(vec![disabled()])
            .when(disable)
            .then_expect_events(vec![]);
    }

    #[test]
    fn a_secret_is_rotated_only_for_a_webhook_with_a_url() {
        let rotate = DeveloperWebhooksCommand::RotateDeveloperWebhookSecret {
            uid: "u1".into(),
            wtype: W,
            secret: "whsec_new".into(),
            at: at(),
        };
        Given::with(())
            .given_no_previous_events()
            .when(rotate.clone())
            .then_expect_error(DomainError::NotFound("Webhook"));
        Given::with(())
            .given(vec![url_set("https://a.example/hook"), issued("whsec_one")])
            .when(rotate)
            .then_expect_events(vec![issued("whsec_new")]);
    }
}
