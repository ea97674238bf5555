//! Webhook answers (spec §5.1, §5.2, §5.4): on `DeliveryDelivered` whose receiver answered a `message` (more than
//! 5 characters), a developer webhook's answer becomes a notification "Webhook says"; an app's answer becomes a
//! message of the app in the user's chat with it (linked to the conversation for `memory_creation`), and for
//! `transcript_processed` also a notification "<App name> says" that opens that chat. Notifications are pushed
//! like any other. Every record's id is derived from the delivery and the attempt, so handling the event again
//! records nothing new.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::app::TriggerEvent;
use omi_domain::chat::{thread_id, ChatCommand, ChatThread, MessageType};
use omi_domain::notification::{
    Notification, NotificationCommand, NotificationSource, MAX_BODY_CHARS, MAX_TITLE_CHARS,
};
use omi_domain::webhook_delivery::{EndpointKind, WebhookDelivery, WebhookDeliveryEvent};
use omi_projections::{apps, webhooks, Projector};
use omi_store::{Database, RecordedEvent, StoredEvent};
use uuid::Uuid;

use super::{event_id, settle};

/// The title of a webhook's message, as the reference words it.
pub const TITLE: &str = "Webhook says";
/// How long the reaction waits for the read models to show the delivery.
const CATCH_UP: Duration = Duration::from_secs(30);
const NOTIFICATION_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_695f_7765_6268_6f6f_6b5f_6d73_6731);
const CHAT_MESSAGE_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_695f_7765_6268_6f6f_6b5f_6368_6174);

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

    async fn answered(
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
            .map_err(failed)?;
        let Some(row) = row else {
            // Erased since, or not this user's: nobody to tell.
            return Ok(());
        };
        let endpoint = &row.view.endpoint;
        let metadata = Metadata::caused_by(
            uid.to_string(),
            event_id(delivered),
            delivered.metadata.correlation_id.clone(),
        );
        let answer = Answer {
            uid,
            key: format!("{}#{attempt}", delivered.aggregate_id),
            message,
            at: delivered.recorded_at,
            metadata: &metadata,
        };
        match endpoint.kind {
            EndpointKind::Developer => {
                let data = BTreeMap::from([
                    ("type".to_string(), "webhook".to_string()),
                    ("webhook".to_string(), endpoint.id.clone()),
                ]);
                self.notify(&answer, TITLE.into(), data, None).await
            }
            EndpointKind::App => {
                let Some(listed) = apps::app(&self.database, &endpoint.id)
                    .await
                    .map_err(failed)?
                else {
                    return Ok(());
                };
                // A conversation's webhook links the message to the conversation.
                let conversation = (row.view.payload_kind == TriggerEvent::MemoryCreation.id())
                    .then(|| row.view.causing_event.split('#').next().unwrap_or_default())
                    .filter(|id| !id.is_empty());
                self.app_chat_message(&answer, &endpoint.id, conversation)
                    .await?;
                if row.view.payload_kind == TriggerEvent::TranscriptProcessed.id() {
                    let data = BTreeMap::from([
                        ("type".to_string(), "app".to_string()),
                        ("app_id".to_string(), endpoint.id.clone()),
                        ("navigate_to".to_string(), format!("/chat/{}", endpoint.id)),
                    ]);
                    let title = format!("{} says", listed.app.definition.name);
                    self.notify(&answer, title, data, Some(endpoint.id.clone()))
                        .await?;
                }
                Ok(())
            }
        }
    }

    /// Records the notification `answer` makes; its id is derived from the delivery and the attempt.
    async fn notify(
        &self,
        answer: &Answer<'_>,
        title: String,
        data: BTreeMap<String, String>,
        app_id: Option<String>,
    ) -> Result<(), ReactionError> {
        let source = match app_id {
            Some(_) => NotificationSource::App,
            None => NotificationSource::Server,
        };
        let id = Uuid::new_v5(&NOTIFICATION_ID_NAMESPACE, answer.key.as_bytes()).to_string();
        let title: String = title.chars().take(MAX_TITLE_CHARS).collect();
        let body: String = answer.message.chars().take(MAX_BODY_CHARS).collect();
        let command = NotificationCommand::CreateNotification {
            uid: answer.uid.to_string(),
            title,
            body,
            data,
            source,
            app_id,
            at: answer.at,
        };
        // A second handling finds the notification there and is refused: an outcome, not a failure.
        settle(
            self.commands
                .execute::<Notification>(&id, command, answer.metadata)
                .await,
        )?;
        Ok(())
    }

    /// Records `answer` as a message of the app in the user's chat with it (spec §5.1, §5.2).
    async fn app_chat_message(
        &self,
        answer: &Answer<'_>,
        app_id: &str,
        conversation: Option<&str>,
    ) -> Result<(), ReactionError> {
        let message_id =
            Uuid::new_v5(&CHAT_MESSAGE_ID_NAMESPACE, answer.key.as_bytes()).to_string();
        let command = ChatCommand::GiveAiAnswer {
            uid: answer.uid.to_string(),
            app_id: Some(app_id.to_string()),
            message_id,
            text: answer.message.to_string(),
            memories_id: conversation.map(String::from).into_iter().collect(),
            kind: MessageType::Text,
            at: answer.at,
        };
        let thread = thread_id(answer.uid, Some(app_id));
        // A second handling finds the message there and is refused: an outcome, not a failure.
        settle(
            self.commands
                .execute::<ChatThread>(&thread, command, answer.metadata)
                .await,
        )?;
        Ok(())
    }
}

/// What a receiver answered, and what the records it makes share.
struct Answer<'a> {
    uid: &'a str,
    /// `<delivery id>#<attempt>`: the records' ids are derived from it.
    key: String,
    message: &'a str,
    at: omi_domain::Timestamp,
    metadata: &'a Metadata,
}

fn failed(error: omi_projections::ProjectionError) -> ReactionError {
    ReactionError(error.to_string())
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
                }) => self.answered(event, *attempt, message).await,
                _ => Ok(()),
            }
        })
    }
}
