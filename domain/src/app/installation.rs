//! A user's installation of an app: enabled or not.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{AppInstallationCommand, AppInstallationEvent};
use crate::DomainError;

/// Whether the user has the app enabled.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AppInstallation {
    enabled: bool,
}

impl Aggregate for AppInstallation {
    const TYPE: &'static str = "AppInstallation";
    type Command = AppInstallationCommand;
    type Event = AppInstallationEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: AppInstallationCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let event = match command {
            AppInstallationCommand::EnableApp {
                app_id,
                uid,
                counts_install,
                at,
            } => {
                if self.enabled {
                    return Ok(());
                }
                AppInstallationEvent::AppEnabled {
                    app_id,
                    uid,
                    counts_install,
                    enabled_at: at,
                }
            }
            AppInstallationCommand::DisableApp { at } => {
                if !self.enabled {
                    return Err(DomainError::NotFound("Enabled app"));
                }
                AppInstallationEvent::AppDisabled { disabled_at: at }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: AppInstallationEvent) {
        self.enabled = matches!(event, AppInstallationEvent::AppEnabled { .. });
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::Timestamp;

    fn at(seconds: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn enable() -> AppInstallationCommand {
        AppInstallationCommand::EnableApp {
            app_id: "a1".into(),
            uid: "u1".into(),
            counts_install: true,
            at: at(0),
        }
    }

    fn enabled() -> AppInstallationEvent {
        AppInstallationEvent::AppEnabled {
            app_id: "a1".into(),
            uid: "u1".into(),
            counts_install: true,
            enabled_at: at(0),
        }
    }

    #[test]
    fn enabling_records_the_installation_once() {
        TestFramework::<AppInstallation>::with(())
            .given_no_previous_events()
            .when(enable())
            .then_expect_events(vec![enabled()]);
        TestFramework::<AppInstallation>::with(())
            .given(vec![enabled()])
            .when(enable())
            .then_expect_events(vec![]);
    }

    #[test]
    fn only_an_enabled_app_is_disabled() {
        TestFramework::<AppInstallation>::with(())
            .given_no_previous_events()
            .when(AppInstallationCommand::DisableApp { at: at(1) })
            .then_expect_error(DomainError::NotFound("Enabled app"));
        TestFramework::<AppInstallation>::with(())
            .given(vec![enabled()])
            .when(AppInstallationCommand::DisableApp { at: at(1) })
            .then_expect_events(vec![AppInstallationEvent::AppDisabled {
                disabled_at: at(1),
            }]);
    }

    #[test]
    fn a_disabled_app_can_be_enabled_again() {
        TestFramework::<AppInstallation>::with(())
            .given(vec![
                enabled(),
                AppInstallationEvent::AppDisabled { disabled_at: at(1) },
            ])
            .when(enable())
            .then_expect_events(vec![enabled()]);
    }
}
