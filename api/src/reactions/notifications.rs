//! Notification push: on `NotificationCreated`, push the notification to each device the user has (as the
//! `devices` read model shows them once it has caught up with the notification), then record the outcome per
//! device with `RecordPush`. A device whose token the push service no longer knows has its token dropped.
//!
//! At least once: a crash between the pushes and the record pushes again on restart (a device may show a
//! notification twice); the record itself is kept once. Failures the push service calls temporary are retried a
//! few times within the reaction, then recorded as failed, so one unreachable device never holds back the others'
//! notifications. Without a push service this reaction records nothing: notifications stay readable through
//! `GET /v1/notifications` as recorded.

use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::device::{Device, DeviceCommand};
use omi_domain::notification::{
    Notification, NotificationCommand, NotificationEvent, PushOutcome, PushStatus,
};
use omi_projections::{devices, Projector};
use omi_services::push::{PushMessage, PushResult, PushSender};
use omi_store::{Database, RecordedEvent, StoredEvent};

use super::{event_id, settle};

/// How long the reaction waits for the devices read model to show the notification's moment.
const CATCH_UP: Duration = Duration::from_secs(30);
/// The waits before each retry of a push the service refused for the time being.
const RETRIES: [Duration; 2] = [Duration::from_millis(500), Duration::from_secs(2)];

/// The reaction.
pub struct NotificationPush {
    database: Database,
    commands: CommandBus,
    projector: Arc<Projector>,
    sender: Option<Arc<dyn PushSender>>,
}

impl NotificationPush {
    /// Pushes through `sender`; with none, notifications are only recorded.
    pub fn new(
        database: Database,
        commands: CommandBus,
        projector: Arc<Projector>,
        sender: Option<Arc<dyn PushSender>>,
    ) -> Self {
        Self {
            database,
            commands,
            projector,
            sender,
        }
    }

    async fn push(
        &self,
        sender: &dyn PushSender,
        created: &RecordedEvent,
        uid: &str,
        message: (&str, &str, &std::collections::BTreeMap<String, String>),
    ) -> Result<(), ReactionError> {
        if !self.projector.wait_for(created.position, CATCH_UP).await {
            return Err(ReactionError(
                "the read models did not show the notification in time".into(),
            ));
        }
        let metadata = Metadata::caused_by(
            uid.to_string(),
            event_id(created),
            created.metadata.correlation_id.clone(),
        );
        let devices = devices::of_user(&self.database, uid)
            .await
            .map_err(|error| ReactionError(error.to_string()))?;
        let (title, body, data) = message;
        let mut outcomes = Vec::with_capacity(devices.len());
        for device in devices {
            let push = PushMessage {
                token: &device.token,
                title,
                body,
                data,
            };
            let mut result = sender.push(push).await;
            for wait in RETRIES {
                match result {
                    PushResult::Failed {
                        retryable: true, ..
                    } => {
                        tokio::time::sleep(wait).await;
                        result = sender.push(push).await;
                    }
                    _ => break,
                }
            }
            let outcome = match result {
                PushResult::Sent(message_id) => PushOutcome {
                    device_key: device.device_key,
                    status: PushStatus::Sent,
                    message_id: Some(message_id),
                    error: None,
                },
                PushResult::Unregistered(reason) => {
                    let drop = DeviceCommand::DropToken {
                        uid: uid.to_string(),
                        token: device.token.clone(),
                        reason: reason.clone(),
                        at: chrono::Utc::now(),
                    };
                    settle(
                        self.commands
                            .execute::<Device>(&device.id, drop, &metadata)
                            .await,
                    )?;
                    PushOutcome {
                        device_key: device.device_key,
                        status: PushStatus::Unregistered,
                        message_id: None,
                        error: Some(reason),
                    }
                }
                PushResult::Failed { error, .. } => PushOutcome {
                    device_key: device.device_key,
                    status: PushStatus::Failed,
                    message_id: None,
                    error: Some(error),
                },
            };
            outcomes.push(outcome);
        }
        let record = NotificationCommand::RecordPush {
            uid: uid.to_string(),
            outcomes,
            at: chrono::Utc::now(),
        };
        settle(
            self.commands
                .execute::<Notification>(&created.aggregate_id, record, &metadata)
                .await,
        )?;
        Ok(())
    }
}

impl Reaction for NotificationPush {
    fn name(&self) -> &'static str {
        "notification_push"
    }

    fn reads(&self) -> &'static [&'static str] {
        &[<Notification as cqrs_es::Aggregate>::TYPE]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(async move {
            let Some(sender) = self.sender.as_deref() else {
                return Ok(());
            };
            match &event.event {
                StoredEvent::Notification(NotificationEvent::NotificationCreated {
                    uid,
                    title,
                    body,
                    data,
                    ..
                }) => self.push(sender, event, uid, (title, body, data)).await,
                _ => Ok(()),
            }
        })
    }
}
