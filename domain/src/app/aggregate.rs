//! The app aggregate: who owns the app, whether it lives, and its keys.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{AppCommand, AppEvent};
use crate::DomainError;

/// The state an app needs to decide on commands.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct App {
    owner: Option<String>,
    deleted: bool,
    private: bool,
    /// The ids of its live keys.
    keys: Vec<String>,
    /// Whether it has a webhook secret.
    #[serde(default)]
    has_webhook_secret: bool,
    /// Whether its webhook was turned off after failing.
    #[serde(default)]
    auto_disabled: bool,
}

impl App {
    /// The live app, owned by `uid`; anything else is refused as not found.
    fn owned_by(&self, uid: &str) -> Result<(), DomainError> {
        self.live()?;
        if self.owner.as_deref() == Some(uid) {
            Ok(())
        } else {
            Err(DomainError::NotFound("App"))
        }
    }

    fn live(&self) -> Result<(), DomainError> {
        if self.owner.is_none() || self.deleted {
            Err(DomainError::NotFound("App"))
        } else {
            Ok(())
        }
    }

    fn decide(&self, command: AppCommand) -> Result<Option<AppEvent>, DomainError> {
        use AppCommand as C;
        use AppEvent as E;
        Ok(Some(match command {
            C::CreateApp {
                uid,
                definition,
                at,
            } => {
                if self.owner.is_some() {
                    return Err(DomainError::Conflict("App already exists".into()));
                }
                E::AppCreated {
                    uid,
                    definition,
                    created_at: at,
                }
            }
            C::UpdateApp {
                uid,
                definition,
                at,
            } => {
                self.owned_by(&uid)?;
                E::AppUpdated {
                    definition,
                    updated_at: at,
                }
            }
            C::StoreLogo {
                uid,
                logo_id,
                content_type,
                data,
                at,
            } => {
                self.owned_by(&uid)?;
                E::AppLogoStored {
                    logo_id,
                    content_type,
                    data,
                    stored_at: at,
                }
            }
            C::ChangeVisibility { uid, private, at } => {
                self.owned_by(&uid)?;
                if private == self.private {
                    return Ok(None);
                }
                E::AppVisibilityChanged {
                    private,
                    changed_at: at,
                }
            }
            C::ApproveApp { at } => {
                self.live()?;
                E::AppApproved { approved_at: at }
            }
            C::RejectApp { at } => {
                self.live()?;
                E::AppRejected { rejected_at: at }
            }
            C::SetPopular { popular, at } => {
                self.live()?;
                E::AppPopularitySet {
                    popular,
                    set_at: at,
                }
            }
            C::CreateAppKey {
                uid,
                key_id,
                label,
                hashed_key,
                at,
            } => {
                self.owned_by(&uid)?;
                if self.keys.contains(&key_id) {
                    return Err(DomainError::Conflict("API key already exists".into()));
                }
                E::AppKeyCreated {
                    key_id,
                    label,
                    hashed_key,
                    created_at: at,
                }
            }
            C::RevokeAppKey { uid, key_id, at } => {
                self.owned_by(&uid)?;
                if !self.keys.contains(&key_id) {
                    return Err(DomainError::NotFound("API key"));
                }
                E::AppKeyRevoked {
                    key_id,
                    revoked_at: at,
                }
            }
            C::DeleteApp { uid, at } => {
                self.owned_by(&uid)?;
                E::AppDeleted { deleted_at: at }
            }
            C::EnsureWebhookSecret { secret, at } => {
                self.live()?;
                if self.has_webhook_secret {
                    return Ok(None);
                }
                E::AppWebhookSecretRotated {
                    secret,
                    rotated_at: at,
                }
            }
            C::RotateWebhookSecret { uid, secret, at } => {
                self.owned_by(&uid)?;
                E::AppWebhookSecretRotated {
                    secret,
                    rotated_at: at,
                }
            }
            C::AutoDisable { reason, at } => {
                self.live()?;
                if self.auto_disabled {
                    return Ok(None);
                }
                E::AppAutoDisabled {
                    reason,
                    disabled_at: at,
                }
            }
            C::RecordChatTools { uid, tools, at } => {
                self.owned_by(&uid)?;
                E::AppChatToolsFetched {
                    tools,
                    fetched_at: at,
                }
            }
            C::ReEnable { uid, at } => {
                self.owned_by(&uid)?;
                if !self.auto_disabled {
                    return Ok(None);
                }
                E::AppReEnabled { enabled_at: at }
            }
        }))
    }
}

impl Aggregate for App {
    const TYPE: &'static str = "App";
    type Command = AppCommand;
    type Event = AppEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: AppCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        if let Some(event) = self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: AppEvent) {
        match event {
            AppEvent::AppCreated { uid, .. } => self.owner = Some(uid),
            AppEvent::AppVisibilityChanged { private, .. } => self.private = private,
            AppEvent::AppKeyCreated { key_id, .. } => self.keys.push(key_id),
            AppEvent::AppKeyRevoked { key_id, .. } => self.keys.retain(|k| *k != key_id),
            AppEvent::AppDeleted { .. } => self.deleted = true,
            AppEvent::AppWebhookSecretRotated { .. } => self.has_webhook_secret = true,
            AppEvent::AppAutoDisabled { .. } => self.auto_disabled = true,
            AppEvent::AppReEnabled { .. } => self.auto_disabled = false,
            AppEvent::AppUpdated { .. }
            | AppEvent::AppLogoStored { .. }
            | AppEvent::AppApproved { .. }
            | AppEvent::AppRejected { .. }
            | AppEvent::AppPopularitySet { .. }
            | AppEvent::AppChatToolsFetched { .. } => {}
        }
    }
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;
