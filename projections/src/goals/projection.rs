//! Keeps the `goals` and `goal_progress` tables in step with the log.

use omi_domain::goal::GoalsEvent;
use sqlx::AnyConnection;

use super::view::GoalProgress;
use super::GoalView;
use crate::documents::{changes_keyed, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;
use crate::time::micros;

/// The projection behind [`super::goal`] and [`super::goals`].
pub struct GoalsProjection;

/// The projection behind [`super::progress_since`].
pub struct GoalProgressProjection;

impl Projection for GoalsProjection {
    fn name(&self) -> &'static str {
        "goals"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Goals"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["goals"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(async move {
            fold_into(conn, &changes_keyed(events, select, goal_of), evolve_goal).await
        })
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::keyed(select, evolve_goal, goal_of))
    }
}

impl Projection for GoalProgressProjection {
    fn name(&self) -> &'static str {
        "goal_progress"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Goals"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["goal_progress"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(async move {
            fold_into(
                conn,
                &changes_keyed(events, select, goal_of),
                evolve_progress,
            )
            .await
        })
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::keyed(select, evolve_progress, goal_of))
    }
}

impl Document for GoalView {
    const TABLE: &'static str = "goals";
    const COLUMNS: &'static [&'static str] = &["is_active", "created_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.is_active).bind(micros(&self.created_at))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.boolean(self.is_active).bigint(micros(&self.created_at));
    }
}

impl Document for GoalProgress {
    const TABLE: &'static str = "goal_progress";
    const COLUMNS: &'static [&'static str] = &[];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
    }

    fn copy_columns(&self, _row: &mut CopyRows) {}
}

fn select(recorded: &RecordedEvent) -> Option<&GoalsEvent> {
    match &recorded.event {
        StoredEvent::Goals(event) => Some(event),
        _ => None,
    }
}

/// Rows are keyed by the goal an event names, not by the user's stream.
fn goal_of<'a>(_stream: &'a str, event: &'a GoalsEvent) -> &'a str {
    event.goal_id()
}

fn evolve_goal(
    _id: &str,
    current: Option<Owned<GoalView>>,
    event: &GoalsEvent,
) -> Option<Owned<GoalView>> {
    GoalView::evolve(current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}

fn evolve_progress(
    _id: &str,
    current: Option<Owned<GoalProgress>>,
    event: &GoalsEvent,
) -> Option<Owned<GoalProgress>> {
    GoalProgress::evolve(current.map(|row| (row.uid, row.doc)), event)
        .map(|(uid, doc)| Owned { uid, doc })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use omi_domain::goal::GoalType;
    use omi_domain::Patch;

    use super::*;

    fn created(goal_id: &str) -> GoalsEvent {
        GoalsEvent::GoalCreated {
            uid: "u1".into(),
            goal_id: goal_id.into(),
            title: "Run".into(),
            goal_type: GoalType::Numeric,
            target_value: 42.0,
            current_value: 0.0,
            min_value: 0.0,
            max_value: 42.0,
            unit: Some("km".into()),
            created_at: Utc.timestamp_opt(1_764_000_000, 0).unwrap(),
        }
    }

    #[test]
    fn a_goal_follows_its_edits_progress_and_deactivation_and_is_gone_when_deleted() {
        let at = Utc.timestamp_opt(1_764_100_000, 0).unwrap();
        let events = [
            created("goal_a"),
            GoalsEvent::GoalUpdated {
                goal_id: "goal_a".into(),
                title: Some("Run far".into()),
                target_value: None,
                current_value: None,
                min_value: None,
                max_value: None,
                unit: Patch::Clear,
                updated_at: at,
            },
            GoalsEvent::GoalProgressRecorded {
                goal_id: "goal_a".into(),
                value: 12.5,
                recorded_at: at,
            },
            GoalsEvent::GoalDeactivated {
                goal_id: "goal_a".into(),
                deactivated_at: at,
            },
        ];
        let goal = events
            .iter()
            .fold(None, GoalView::evolve)
            .map(|(_, goal)| goal)
            .unwrap();
        assert_eq!(goal.title, "Run far");
        assert_eq!(goal.unit, None);
        assert_eq!(goal.current_value, 12.5);
        assert!(!goal.is_active);
        let progress = events
            .iter()
            .fold(None, GoalProgress::evolve)
            .map(|(_, progress)| progress)
            .unwrap();
        assert_eq!(progress.entries.len(), 1);
        assert_eq!(progress.entries[0].date, "2025-11-25");
        let deleted = GoalsEvent::GoalDeleted {
            goal_id: "goal_a".into(),
            deleted_at: at,
        };
        assert!(GoalView::evolve(Some(("u1".into(), goal)), &deleted).is_none());
    }

    #[test]
    fn events_fold_into_the_row_of_the_goal_they_name() {
        assert_eq!(goal_of("u1", &created("goal_b")), "goal_b");
    }
}
