//! The daily summary aggregate: one user's day.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{DailySummaryCommand, DailySummaryEvent, SummaryVisibility, Trigger};
use crate::{DomainError, Timestamp};

/// How long after a summary was last written it may be regenerated (spec §7.10: 30 s cooldown).
pub const REGENERATE_COOLDOWN_SECONDS: i64 = 30;

/// The refusal of a regeneration within the cooldown (a `DomainError::Conflict` with this message; the doors
/// answer it 429).
pub const REGENERATE_TOO_SOON: &str =
    "Daily summary was generated less than 30 seconds ago; try again shortly";

/// The state a summary needs to decide on commands.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DailySummary {
    uid: Option<String>,
    live: bool,
    visibility: SummaryVisibility,
    /// When the content was last written (generated or regenerated).
    written_at: Option<Timestamp>,
}

impl DailySummary {
    /// Whether `uid`'s summary exists and is not deleted.
    fn is_live_for(&self, uid: &str) -> bool {
        self.live && self.uid.as_deref() == Some(uid)
    }

    /// Seconds left of the regeneration cooldown at `at`; 0 once it is over.
    pub fn cooldown_left(written_at: Timestamp, at: Timestamp) -> i64 {
        let since = at.signed_duration_since(written_at).num_seconds();
        (REGENERATE_COOLDOWN_SECONDS - since).clamp(0, REGENERATE_COOLDOWN_SECONDS)
    }
}

impl Aggregate for DailySummary {
    const TYPE: &'static str = "DailySummary";
    type Command = DailySummaryCommand;
    type Event = DailySummaryEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: DailySummaryCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let event = match command {
            DailySummaryCommand::GenerateDailySummary {
                uid,
                date,
                content,
                trigger,
                at,
            } => {
                if self.uid.as_deref().is_some_and(|owner| owner != uid) {
                    return Err(DomainError::NotFound("Daily summary"));
                }
                match (self.uid.is_some(), self.live, trigger) {
                    // The schedule writes a day once: a summary written, regenerated or deleted since stays so.
                    (true, _, Trigger::Scheduled) => return Ok(()),
                    (true, true, Trigger::OnDemand) => DailySummaryEvent::DailySummaryRegenerated {
                        content,
                        regenerated_at: at,
                    },
                    _ => DailySummaryEvent::DailySummaryGenerated {
                        uid,
                        date,
                        content,
                        trigger,
                        generated_at: at,
                    },
                }
            }
            DailySummaryCommand::RegenerateDailySummary { uid, content, at } => {
                if !self.is_live_for(&uid) {
                    return Err(DomainError::NotFound("Daily summary"));
                }
                if self
                    .written_at
                    .is_some_and(|written| Self::cooldown_left(written, at) > 0)
                {
                    return Err(DomainError::Conflict(REGENERATE_TOO_SOON.into()));
                }
                DailySummaryEvent::DailySummaryRegenerated {
                    content,
                    regenerated_at: at,
                }
            }
            DailySummaryCommand::ChangeDailySummaryVisibility {
                uid,
                visibility,
                at,
            } => {
                if !self.is_live_for(&uid) {
                    return Err(DomainError::NotFound("Daily summary"));
                }
                if self.visibility == visibility {
                    return Ok(());
                }
                DailySummaryEvent::DailySummaryVisibilityChanged {
                    visibility,
                    changed_at: at,
                }
            }
            DailySummaryCommand::DeleteDailySummary { uid, at } => {
                if !self.is_live_for(&uid) {
                    return Err(DomainError::NotFound("Daily summary"));
                }
                DailySummaryEvent::DailySummaryDeleted { deleted_at: at }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: DailySummaryEvent) {
        match event {
            DailySummaryEvent::DailySummaryGenerated {
                uid, generated_at, ..
            } => {
                self.uid = Some(uid);
                self.live = true;
                self.visibility = SummaryVisibility::Private;
                self.written_at = Some(generated_at);
            }
            DailySummaryEvent::DailySummaryRegenerated { regenerated_at, .. } => {
                self.written_at = Some(regenerated_at);
            }
            DailySummaryEvent::DailySummaryVisibilityChanged { visibility, .. } => {
                self.visibility = visibility;
            }
            DailySummaryEvent::DailySummaryDeleted { .. } => self.live = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::daily_summary::{DailySummaryContent, DayStats};

    fn at(seconds: i64) -> Timestamp {
        Utc.timestamp_opt(1_764_626_400 + seconds, 0).unwrap()
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn content(headline: &str) -> DailySummaryContent {
        DailySummaryContent {
            headline: headline.into(),
            overview: "A day of planning.".into(),
            day_emoji: "📅".into(),
            stats: DayStats {
                total_conversations: 2,
                total_duration_minutes: 30,
                action_items_count: 1,
            },
            highlights: vec![],
            action_items: vec![],
            unresolved_questions: vec![],
            decisions_made: vec![],
            knowledge_nuggets: vec![],
            locations: vec![],
        }
    }

    fn generate(trigger: Trigger, seconds: i64) -> DailySummaryCommand {
        DailySummaryCommand::GenerateDailySummary {
            uid: "u1".into(),
            date: day(),
            content: content("Planning"),
            trigger,
            at: at(seconds),
        }
    }

    fn generated(trigger: Trigger, seconds: i64) -> DailySummaryEvent {
        DailySummaryEvent::DailySummaryGenerated {
            uid: "u1".into(),
            date: day(),
            content: content("Planning"),
            trigger,
            generated_at: at(seconds),
        }
    }

    fn deleted(seconds: i64) -> DailySummaryEvent {
        DailySummaryEvent::DailySummaryDeleted {
            deleted_at: at(seconds),
        }
    }

    fn regenerate(seconds: i64) -> DailySummaryCommand {
        DailySummaryCommand::RegenerateDailySummary {
            uid: "u1".into(),
            content: content("Planning, again"),
            at: at(seconds),
        }
    }

    #[test]
    fn the_schedule_writes_an_empty_day() {
        TestFramework::<DailySummary>::with(())
            .given_no_previous_events()
            .when(generate(Trigger::Scheduled, 0))
            .then_expect_events(vec![generated(Trigger::Scheduled, 0)]);
    }

    #[test]
    fn the_schedule_writes_a_day_once_even_after_it_was_deleted() {
        TestFramework::<DailySummary>::with(())
            .given(vec![generated(Trigger::Scheduled, 0)])
            .when(generate(Trigger::Scheduled, 5))
            .then_expect_events(vec![]);
        TestFramework::<DailySummary>::with(())
            .given(vec![generated(Trigger::Scheduled, 0), deleted(3)])
            .when(generate(Trigger::Scheduled, 5))
            .then_expect_events(vec![]);
    }

    #[test]
    fn a_request_writes_a_live_day_again_and_a_deleted_one_anew() {
        TestFramework::<DailySummary>::with(())
            .given(vec![generated(Trigger::Scheduled, 0)])
            .when(generate(Trigger::OnDemand, 5))
            .then_expect_events(vec![DailySummaryEvent::DailySummaryRegenerated {
                content: content("Planning"),
                regenerated_at: at(5),
            }]);
        TestFramework::<DailySummary>::with(())
            .given(vec![generated(Trigger::Scheduled, 0), deleted(3)])
            .when(generate(Trigger::OnDemand, 5))
            .then_expect_events(vec![generated(Trigger::OnDemand, 5)]);
    }

    #[test]
    fn regeneration_waits_thirty_seconds_after_the_last_write() {
        TestFramework::<DailySummary>::with(())
            .given(vec![generated(Trigger::OnDemand, 0)])
            .when(regenerate(29))
            .then_expect_error(DomainError::Conflict(REGENERATE_TOO_SOON.into()));
        TestFramework::<DailySummary>::with(())
            .given(vec![generated(Trigger::OnDemand, 0)])
            .when(regenerate(30))
            .then_expect_events(vec![DailySummaryEvent::DailySummaryRegenerated {
                content: content("Planning, again"),
                regenerated_at: at(30),
            }]);
        TestFramework::<DailySummary>::with(())
            .given(vec![
                generated(Trigger::OnDemand, 0),
                DailySummaryEvent::DailySummaryRegenerated {
                    content: content("Planning, again"),
                    regenerated_at: at(40),
                },
            ])
            .when(regenerate(60))
            .then_expect_error(DomainError::Conflict(REGENERATE_TOO_SOON.into()));
    }

    #[test]
    fn only_the_owner_reads_changes_or_deletes_a_live_summary() {
        TestFramework::<DailySummary>::with(())
            .given(vec![generated(Trigger::OnDemand, 0)])
            .when(DailySummaryCommand::DeleteDailySummary {
                uid: "u2".into(),
                at: at(1),
            })
            .then_expect_error(DomainError::NotFound("Daily summary"));
        TestFramework::<DailySummary>::with(())
            .given(vec![generated(Trigger::OnDemand, 0), deleted(1)])
            .when(DailySummaryCommand::ChangeDailySummaryVisibility {
                uid: "u1".into(),
                visibility: SummaryVisibility::Shared,
                at: at(2),
            })
            .then_expect_error(DomainError::NotFound("Daily summary"));
        TestFramework::<DailySummary>::with(())
            .given_no_previous_events()
            .when(regenerate(100))
            .then_expect_error(DomainError::NotFound("Daily summary"));
    }

    #[test]
    fn an_unchanged_visibility_records_nothing() {
        TestFramework::<DailySummary>::with(())
            .given(vec![generated(Trigger::OnDemand, 0)])
            .when(DailySummaryCommand::ChangeDailySummaryVisibility {
                uid: "u1".into(),
                visibility: SummaryVisibility::Private,
                at: at(2),
            })
            .then_expect_events(vec![]);
    }
}
