//! The notification aggregate.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{checked_content, NotificationCommand, NotificationEvent};
use crate::DomainError;

/// A notification as its stream tells it; `uid` is empty before it is created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub uid: String,
    /// Whether its push was recorded.
    pub pushed: bool,
}

impl Aggregate for Notification {
    const TYPE: &'static str = "Notification";
    type Command = NotificationCommand;
    type Event = NotificationEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: NotificationCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        if let Some(event) = self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: NotificationEvent) {
        match event {
            NotificationEvent::NotificationCreated { uid, .. } => self.uid = uid,
            NotificationEvent::NotificationPushed { .. } => self.pushed = true,
        }
    }
}

impl Notification {
    fn decide(
        &self,
        command: NotificationCommand,
    ) -> Result<Option<NotificationEvent>, DomainError> {
        match command {
            NotificationCommand::CreateNotification {
                uid,
                title,
                body,
                data,
                source,
                app_id,
                at,
            } => {
                if !self.uid.is_empty() {
                    return Err(DomainError::Conflict("notification exists already".into()));
                }
                let (title, body) = checked_content(&title, &body, &data)?;
                Ok(Some(NotificationEvent::NotificationCreated {
                    uid,
                    title,
                    body,
                    data,
                    source,
                    app_id,
                    created_at: at,
                }))
            }
            NotificationCommand::RecordPush { uid, outcomes, at } => {
                if self.uid.is_empty() || self.uid != uid {
                    return Err(DomainError::NotFound("Notification"));
                }
                Ok(
                    (!self.pushed).then_some(NotificationEvent::NotificationPushed {
                        uid,
                        outcomes,
                        pushed_at: at,
                    }),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{TimeZone, Utc};
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::notification::{NotificationSource, PushOutcome, PushStatus};
    use crate::Timestamp;

    fn at() -> Timestamp {
        Utc.timestamp_opt(1_764_626_400, 0).unwrap()
    }

    fn create(title: &str, data: BTreeMap<String, String>) -> NotificationCommand {
        NotificationCommand::CreateNotification {
            uid: "u1".into(),
            title: title.into(),
            body: " Time to stretch ".into(),
            data,
            source: NotificationSource::Admin,
            app_id: None,
            at: at(),
        }
    }

    fn created() -> NotificationEvent {
        NotificationEvent::NotificationCreated {
            uid: "u1".into(),
            title: "Hello".into(),
            body: "Time to stretch".into(),
            data: BTreeMap::new(),
            source: NotificationSource::Admin,
            app_id: None,
            created_at: at(),
        }
    }

    fn push(uid: &str) -> NotificationCommand {
        NotificationCommand::RecordPush {
            uid: uid.into(),
            outcomes: vec![PushOutcome {
                device_key: "ios_abc".into(),
                status: PushStatus::Sent,
                message_id: Some("projects/p/messages/1".into()),
                error: None,
            }],
            at: at(),
        }
    }

    #[test]
    fn a_notification_is_recorded_trimmed() {
        TestFramework::<Notification>::with(())
            .given_no_previous_events()
            .when(create(" Hello ", BTreeMap::new()))
            .then_expect_events(vec![created()]);
    }

    #[test]
    fn an_empty_title_or_too_much_data_is_refused() {
        TestFramework::<Notification>::with(())
            .given_no_previous_events()
            .when(create(" ", BTreeMap::new()))
            .then_expect_error(DomainError::Invalid(
                "title must be between 1 and 500 characters".into(),
            ));
        let data = BTreeMap::from([("k".to_string(), "v".repeat(4096))]);
        TestFramework::<Notification>::with(())
            .given_no_previous_events()
            .when(create("Hello", data))
            .then_expect_error(DomainError::Invalid(
                "data must be at most 4096 bytes".into(),
            ));
    }

    #[test]
    fn only_the_first_push_is_recorded() {
        let NotificationCommand::RecordPush { outcomes, .. } = push("u1") else {
            unreachable!()
        };
        TestFramework::<Notification>::with(())
            .given(vec![created()])
            .when(push("u1"))
            .then_expect_events(vec![NotificationEvent::NotificationPushed {
                uid: "u1".into(),
                outcomes: outcomes.clone(),
                pushed_at: at(),
            }]);
        TestFramework::<Notification>::with(())
            .given(vec![
                created(),
                NotificationEvent::NotificationPushed {
                    uid: "u1".into(),
                    outcomes,
                    pushed_at: at(),
                },
            ])
            .when(push("u1"))
            .then_expect_events(vec![]);
    }

    #[test]
    fn a_push_of_an_unknown_or_foreign_notification_is_not_found() {
        TestFramework::<Notification>::with(())
            .given_no_previous_events()
            .when(push("u1"))
            .then_expect_error(DomainError::NotFound("Notification"));
        TestFramework::<Notification>::with(())
            .given(vec![created()])
            .when(push("u2"))
            .then_expect_error(DomainError::NotFound("Notification"));
    }
}
