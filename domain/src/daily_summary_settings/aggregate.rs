//! The settings aggregate.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{DailySummarySettingsCommand, DailySummarySettingsEvent};
use crate::DomainError;

/// Summaries are written unless the user turned them off.
pub const DEFAULT_ENABLED: bool = true;
/// The local hour summaries are written at unless the user chose another.
pub const DEFAULT_HOUR: u32 = 22;
/// The last hour of the day.
pub const MAX_HOUR: u32 = 23;

/// A user's settings; a user who never changed them has the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailySummarySettings {
    pub enabled: bool,
    pub hour: u32,
}

impl Default for DailySummarySettings {
    fn default() -> Self {
        Self {
            enabled: DEFAULT_ENABLED,
            hour: DEFAULT_HOUR,
        }
    }
}

impl Aggregate for DailySummarySettings {
    const TYPE: &'static str = "DailySummarySettings";
    type Command = DailySummarySettingsCommand;
    type Event = DailySummarySettingsEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: DailySummarySettingsCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let DailySummarySettingsCommand::ChangeDailySummarySettings {
            uid,
            enabled,
            hour,
            at,
        } = command;
        if hour.is_some_and(|hour| hour > MAX_HOUR) {
            return Err(DomainError::Invalid(format!(
                "hour must be between 0 and {MAX_HOUR}"
            )));
        }
        let next = DailySummarySettings {
            enabled: enabled.unwrap_or(self.enabled),
            hour: hour.unwrap_or(self.hour),
        };
        if next == *self {
            return Ok(());
        }
        let event = DailySummarySettingsEvent::DailySummarySettingsChanged {
            uid,
            enabled: next.enabled,
            hour: next.hour,
            changed_at: at,
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: DailySummarySettingsEvent) {
        let DailySummarySettingsEvent::DailySummarySettingsChanged { enabled, hour, .. } = event;
        *self = DailySummarySettings { enabled, hour };
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

    fn change(enabled: Option<bool>, hour: Option<u32>) -> DailySummarySettingsCommand {
        DailySummarySettingsCommand::ChangeDailySummarySettings {
            uid: "u1".into(),
            enabled,
            hour,
            at: at(),
        }
    }

    fn changed(enabled: bool, hour: u32) -> DailySummarySettingsEvent {
        DailySummarySettingsEvent::DailySummarySettingsChanged {
            uid: "u1".into(),
            enabled,
            hour,
            changed_at: at(),
        }
    }

    #[test]
    fn a_change_records_both_settings_and_keeps_what_was_not_given() {
        TestFramework::<DailySummarySettings>::with(())
            .given_no_previous_events()
            .when(change(None, Some(7)))
            .then_expect_events(vec![changed(true, 7)]);
        TestFramework::<DailySummarySettings>::with(())
            .given(vec![changed(true, 7)])
            .when(change(Some(false), None))
            .then_expect_events(vec![changed(false, 7)]);
    }

    #[test]
    fn an_hour_past_23_is_refused() {
        TestFramework::<DailySummarySettings>::with(())
            .given_no_previous_events()
            .when(change(None, Some(24)))
            .then_expect_error(DomainError::Invalid("hour must be between 0 and 23".into()));
    }

    #[test]
    fn the_defaults_again_record_nothing() {
        TestFramework::<DailySummarySettings>::with(())
            .given_no_previous_events()
            .when(change(Some(true), Some(22)))
            .then_expect_events(vec![]);
    }
}
