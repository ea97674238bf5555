//! The action item aggregate: decides which commands stand and what they record.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{ActionItemCommand, ActionItemEvent};
use crate::{DomainError, Patch, Timestamp};

/// The state an action item needs to decide on commands. `None` before creation and after deletion.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ActionItem {
    current: Option<Current>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Current {
    uid: String,
    description: String,
    completed: bool,
    due_at: Option<Timestamp>,
    exported: bool,
    export_date: Option<Timestamp>,
    export_platform: Option<String>,
}

impl ActionItem {
    fn owned_by(&self, uid: &str) -> Result<&Current, DomainError> {
        match &self.current {
            Some(current) if current.uid == uid => Ok(current),
            _ => Err(DomainError::NotFound("Action item")),
        }
    }
}

fn non_blank(description: &str) -> Result<String, DomainError> {
    let description = description.trim();
    if description.is_empty() {
        return Err(DomainError::Invalid(
            "Action item description cannot be empty".into(),
        ));
    }
    Ok(description.to_string())
}

/// The part of a patch that would change `current`: setting the value it holds, or clearing what is already
/// empty, is left alone.
fn changed<T: PartialEq>(patch: Patch<T>, current: &Option<T>) -> Patch<T> {
    match patch {
        Patch::Set(value) if current.as_ref() == Some(&value) => Patch::Keep,
        Patch::Clear if current.is_none() => Patch::Keep,
        patch => patch,
    }
}

impl Aggregate for ActionItem {
    const TYPE: &'static str = "ActionItem";
    type Command = ActionItemCommand;
    type Event = ActionItemEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ActionItemCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let events = match command {
            ActionItemCommand::CreateActionItem {
                uid,
                description,
                completed,
                due_at,
                conversation_id,
                at,
            } => {
                let description = non_blank(&description)?;
                if self.current.is_some() {
                    // The id is a fresh UUID chosen by the caller: a second create is a caller error.
                    return Err(DomainError::Conflict("Action item already exists".into()));
                }
                vec![ActionItemEvent::ActionItemCreated {
                    uid,
                    description,
                    completed,
                    completed_at: completed.then_some(at),
                    due_at,
                    conversation_id,
                    created_at: at,
                }]
            }
            ActionItemCommand::EditActionItem {
                uid,
                description,
                due_at,
                exported,
                export_date,
                export_platform,
                at,
            } => {
                let current = self.owned_by(&uid)?;
                let description = description.map(|d| non_blank(&d)).transpose()?;
                let description = description.filter(|d| *d != current.description);
                let due_at = changed(due_at, &current.due_at);
                let exported = exported.filter(|e| *e != current.exported);
                let export_date = changed(export_date, &current.export_date);
                let export_platform = changed(export_platform, &current.export_platform);
                let unchanged = description.is_none()
                    && due_at.is_keep()
                    && exported.is_none()
                    && export_date.is_keep()
                    && export_platform.is_keep();
                if unchanged {
                    Vec::new()
                } else {
                    vec![ActionItemEvent::ActionItemUpdated {
                        description,
                        due_at,
                        exported,
                        export_date,
                        export_platform,
                        updated_at: at,
                    }]
                }
            }
            ActionItemCommand::CompleteActionItem { uid, at } => {
                if self.owned_by(&uid)?.completed {
                    Vec::new()
                } else {
                    vec![ActionItemEvent::ActionItemCompleted { completed_at: at }]
                }
            }
            ActionItemCommand::ReopenActionItem { uid, at } => {
                if self.owned_by(&uid)?.completed {
                    vec![ActionItemEvent::ActionItemReopened { reopened_at: at }]
                } else {
                    Vec::new()
                }
            }
            ActionItemCommand::DeleteActionItem { uid, at } => {
                self.owned_by(&uid)?;
                vec![ActionItemEvent::ActionItemDeleted { deleted_at: at }]
            }
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ActionItemEvent) {
        match event {
            ActionItemEvent::ActionItemCreated {
                uid,
                description,
                completed,
                due_at,
                ..
            } => {
                self.current = Some(Current {
                    uid,
                    description,
                    completed,
                    due_at,
                    exported: false,
                    export_date: None,
                    export_platform: None,
                })
            }
            ActionItemEvent::ActionItemUpdated {
                description,
                due_at,
                exported,
                export_date,
                export_platform,
                ..
            } => {
                if let Some(current) = &mut self.current {
                    if let Some(description) = description {
                        current.description = description;
                    }
                    due_at.apply_to(&mut current.due_at);
                    if let Some(exported) = exported {
                        current.exported = exported;
                    }
                    export_date.apply_to(&mut current.export_date);
                    export_platform.apply_to(&mut current.export_platform);
                }
            }
            ActionItemEvent::ActionItemCompleted { .. } => {
                if let Some(current) = &mut self.current {
                    current.completed = true;
                }
            }
            ActionItemEvent::ActionItemReopened { .. } => {
                if let Some(current) = &mut self.current {
                    current.completed = false;
                }
            }
            ActionItemEvent::ActionItemDeleted { .. } => self.current = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;

    type Given = TestFramework<ActionItem>;

    fn at(seconds: i64) -> Timestamp {
        Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
    }

    fn created(uid: &str, description: &str, completed: bool) -> ActionItemEvent {
        ActionItemEvent::ActionItemCreated {
            uid: uid.into(),
            description: description.into(),
            completed,
            completed_at: completed.then_some(at(0)),
            due_at: Some(at(100)),
            conversation_id: None,
            created_at: at(0),
        }
    }

    fn create(uid: &str, description: &str, completed: bool) -> ActionItemCommand {
        ActionItemCommand::CreateActionItem {
            uid: uid.into(),
            description: description.into(),
            completed,
            due_at: Some(at(100)),
            conversation_id: None,
            at: at(0),
        }
    }

    /// An edit of the fields most rules are about; the export fields are left alone.
    fn edit(uid: &str, description: Option<&str>, due_at: Patch<Timestamp>) -> ActionItemCommand {
        ActionItemCommand::EditActionItem {
            uid: uid.into(),
            description: description.map(String::from),
            due_at,
            exported: None,
            export_date: Patch::Keep,
            export_platform: Patch::Keep,
            at: at(5),
        }
    }

    fn complete(uid: &str) -> ActionItemCommand {
        ActionItemCommand::CompleteActionItem {
            uid: uid.into(),
            at: at(5),
        }
    }

    fn reopen(uid: &str) -> ActionItemCommand {
        ActionItemCommand::ReopenActionItem {
            uid: uid.into(),
            at: at(5),
        }
    }

    fn deleted(seconds: i64) -> ActionItemEvent {
        ActionItemEvent::ActionItemDeleted {
            deleted_at: at(seconds),
        }
    }

    #[test]
    fn an_item_is_created_with_a_trimmed_description() {
        Given::with(())
            .given_no_previous_events()
            .when(create("u1", "  buy milk ", false))
            .then_expect_events(vec![created("u1", "buy milk", false)]);
    }

    #[test]
    fn an_item_created_completed_is_stamped_completed_at_creation() {
        Given::with(())
            .given_no_previous_events()
            .when(create("u1", "buy milk", true))
            .then_expect_events(vec![created("u1", "buy milk", true)]);
    }

    #[test]
    fn a_blank_description_is_refused() {
        Given::with(())
            .given_no_previous_events()
            .when(create("u1", "   ", false))
            .then_expect_error(DomainError::Invalid(
                "Action item description cannot be empty".into(),
            ));
    }

    #[test]
    fn an_update_to_a_blank_description_is_refused() {
        let command = edit("u1", Some("  "), Patch::Keep);
        Given::with(())
            .given(vec![created("u1", "buy milk", false)])
            .when(command)
            .then_expect_error(DomainError::Invalid(
                "Action item description cannot be empty".into(),
            ));
    }

    #[test]
    fn creating_an_existing_item_again_conflicts() {
        Given::with(())
            .given(vec![created("u1", "buy milk", false)])
            .when(create("u1", "buy milk", false))
            .then_expect_error(DomainError::Conflict("Action item already exists".into()));
    }

    #[test]
    fn an_update_records_only_what_changed() {
        let command = ActionItemCommand::EditActionItem {
            uid: "u1".into(),
            description: Some(" buy oat milk ".into()),
            due_at: Patch::Set(at(100)),
            exported: Some(true),
            export_date: Patch::Set(at(4)),
            export_platform: Patch::Clear,
            at: at(5),
        };
        Given::with(())
            .given(vec![created("u1", "buy milk", false)])
            .when(command)
            .then_expect_events(vec![ActionItemEvent::ActionItemUpdated {
                description: Some("buy oat milk".into()),
                due_at: Patch::Keep,
                exported: Some(true),
                export_date: Patch::Set(at(4)),
                export_platform: Patch::Keep,
                updated_at: at(5),
            }]);
    }

    #[test]
    fn an_explicit_clear_of_the_due_date_is_recorded_as_clear() {
        let command = edit("u1", None, Patch::Clear);
        Given::with(())
            .given(vec![created("u1", "buy milk", false)])
            .when(command)
            .then_expect_events(vec![ActionItemEvent::ActionItemUpdated {
                description: None,
                due_at: Patch::Clear,
                exported: None,
                export_date: Patch::Keep,
                export_platform: Patch::Keep,
                updated_at: at(5),
            }]);
    }

    #[test]
    fn completing_an_open_item_records_its_completion() {
        Given::with(())
            .given(vec![created("u1", "buy milk", false)])
            .when(complete("u1"))
            .then_expect_events(vec![ActionItemEvent::ActionItemCompleted {
                completed_at: at(5),
            }]);
    }

    #[test]
    fn reopening_a_completed_item_records_the_reopening() {
        Given::with(())
            .given(vec![
                created("u1", "buy milk", false),
                ActionItemEvent::ActionItemCompleted {
                    completed_at: at(2),
                },
            ])
            .when(reopen("u1"))
            .then_expect_events(vec![ActionItemEvent::ActionItemReopened {
                reopened_at: at(5),
            }]);
    }

    #[test]
    fn completing_an_already_completed_item_records_nothing() {
        Given::with(())
            .given(vec![created("u1", "buy milk", true)])
            .when(complete("u1"))
            .then_expect_events(vec![]);
    }

    #[test]
    fn reopening_an_open_item_records_nothing() {
        Given::with(())
            .given(vec![created("u1", "buy milk", false)])
            .when(reopen("u1"))
            .then_expect_events(vec![]);
    }

    #[test]
    fn an_edit_that_changes_nothing_records_nothing() {
        Given::with(())
            .given(vec![created("u1", "buy milk", false)])
            .when(edit("u1", Some(" buy milk "), Patch::Set(at(100))))
            .then_expect_events(vec![]);
    }

    #[test]
    fn another_users_item_is_not_found() {
        Given::with(())
            .given(vec![created("u1", "buy milk", false)])
            .when(complete("u2"))
            .then_expect_error(DomainError::NotFound("Action item"));
    }

    #[test]
    fn a_deleted_item_cannot_be_updated() {
        Given::with(())
            .given(vec![created("u1", "buy milk", false), deleted(1)])
            .when(complete("u1"))
            .then_expect_error(DomainError::NotFound("Action item"));
    }

    #[test]
    fn an_item_is_deleted() {
        Given::with(())
            .given(vec![created("u1", "buy milk", false)])
            .when(ActionItemCommand::DeleteActionItem {
                uid: "u1".into(),
                at: at(3),
            })
            .then_expect_events(vec![deleted(3)]);
    }
}
