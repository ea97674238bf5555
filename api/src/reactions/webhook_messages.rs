//! Webhook answers become notifications (spec §5.2, §5.4): on `DeliveryDelivered` to one of the user's developer
//! webhooks whose receiver answered a `message` (more than 5 characters), a notification "Webhook says" with that
//! message is recorded for the user, and pushed like any other. Its id is derived from the delivery and the
//! attempt, so handling the event again records nothing new.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::notification::{
    Notification, NotificationCommand, NotificationSource, MAX_BODY_CHARS,
};
use omi_domain::webhook_delivery::{EndpointKind, WebhookDelivery, WebhookDeliveryEvent};
use omi_projections::{webhooks, Projector};
use omi_store::{Database, RecordedEvent, StoredEvent};
use uuid::Uuid;

use super::{event_id, settle};

/// The title of a webhook's message, as the reference words it.
pub const TITLE: &str = "Webhook says";
/// How long the reaction waits for the read models to show the delivery.
const CATCH_UP: Duration = Duration::from_secs(30);
const NOTIFICATION_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_695f_7765_6268_6f6f_6b5f_6d73_6731);

/// The reaction.
pub struct WebhookMessages {
    database: Database,
    commands: CommandBus,
    projector: Arc<Projector>,
}

impl WebhookMessages {
    pub fn new(database: Database, commands: CommandBus, projector: Arc<Projector>) -> Self {
        Self {
            database,
            commands,
            projector,
        }
    }

    async fn notify(
        &self,
        delivered: &RecordedEvent,
        attempt: u32,
        message: &str,
    ) -> Result<(), ReactionError> {
        let uid = delivered.metadata.uid.as_str();
        if !self.projector.wait_for(delivered.position, CATCH_UP).await {
            return Err(ReactionError(
                "the read models did not show the delivery in time".into(),
            ));
        }
        let row = webhooks::delivery(&self.database, uid, &delivered.aggregate_id)
            .await
            .map_err(|error| ReactionError(error.to_string()))?;
        let Some(row) = row else {
            // Erased since, or not this user's: nobody to tell.
            return Ok(());
        };
        let endpoint = &row.view.endpoint;
        if endpoint.kind != EndpointKind::Developer {
            return Ok(());
        }
        let id = Uuid::new_v5(
            &NOTIFICATION_ID_NAMESPACE,
            format!("{}#{attempt}", delivered.aggregate_id).as_bytes(),
        )
        .to_string();
        let body: String = message.chars().take(MAX_BODY_CHARS).collect();
        let data = BTreeMap::from([
            ("type".to_string(), "webhook".to_string()),
            ("webhook".to_string(), endpoint.id.clone()),
        ]);
        let command = NotificationCommand::CreateNotification {
            uid: uid.to_string(),
            title: TITLE.into(),
            body,
            data,
            source: NotificationSource::Server,
            app_id: None,
            at: delivered.recorded_at,
        };
        let metadata = Metadata::caused_by(
            uid.to_string(),
            event_id(delivered),
            delivered.metadata.correlation_id.clone(),
        );
        // A second handling finds the notification there and is refused: an outcome, not a failure.
        settle(
            self.commands
                .execute::<Notification>(&id, command, &metadata)
                .await,
        )?;
        Ok(())
    }
}

impl Reaction for WebhookMessages {
    fn name(&self) -> &'static str {
        "webhook_messages"
    }

    fn reads(&self) -> &'static [&'static str] {
        &[<WebhookDelivery as cqrs_es::Aggregate>::TYPE]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(async move {
            match &event.event {
                StoredEvent::WebhookDelivery(WebhookDeliveryEvent::DeliveryDelivered {
                    attempt,
                    message: Some(message),
                    ..
                }) => self.notify(event, *attempt, message).await,
                _ => Ok(()),
            }
        })
    }
}
