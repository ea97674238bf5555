//! Schedules the webhooks of the apps a user has enabled (spec §5.1, §5.2) from the events that cause them: a
//! processed, not discarded conversation → each `memory_creation` app gets the full conversation; live transcript
//! segments → each `transcript_processed` app gets `{"session_id": uid, "segments": [...]}`. Only apps with the
//! `external_integration` capability, a `webhook_url`, and a webhook not turned off for failing are called. Each
//! call is a delivery whose idempotency key is derived from the event and the app, signed with the app's
//! `whsec_` secret (made here on the app's first delivery), and sent, retried and logged by the delivery worker
//! (`deliveries`) like every webhook.
//!
//! A chunk of live audio kept in the spool (`AudioChunkRecorded`) → each `audio_bytes` app gets the chunk as
//! `application/octet-stream` at `?sample_rate=&uid=` (spec §5.4); the delivery names the chunk, and the worker
//! reads its bytes from the spool when it sends.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::app::{App, AppCommand, AppEvent, TriggerEvent};
use omi_domain::conversation::ConversationEvent;
use omi_domain::webhook_delivery::{Delivery, Endpoint, EndpointKind};
use omi_projections::apps::AppRecord;
use omi_projections::{conversations, Projector};
use omi_store::{Database, RecordedEvent, StoredEvent};
use serde_json::{json, Value};

use super::{event_id, settle};
use crate::app::webhooks::audio::{audio_url, recorded_chunk, AUDIO_CONTENT_TYPE};
use crate::app::webhooks::schedule::{schedule, with_uid};
use crate::app::webhooks::{apps_called_on, fresh_secret};

/// How long a payload waits for the read model it is read from.
const CATCH_UP: Duration = Duration::from_secs(30);
/// Deliveries of one event scheduled at once.
const SCHEDULING_CONCURRENCY: usize = 64;

/// The reaction that schedules app webhooks.
pub struct AppWebhookScheduling {
    database: Database,
    commands: CommandBus,
    projector: Arc<Projector>,
}

impl AppWebhookScheduling {
    pub fn new(database: Database, commands: CommandBus, projector: Arc<Projector>) -> Self {
        Self {
            database,
            commands,
            projector,
        }
    }

    async fn handle(&self, event: &RecordedEvent) -> Result<(), ReactionError> {
        let uid = event.metadata.uid.as_str();
        let Some(trigger) = trigger_of(&event.event) else {
            return Ok(());
        };
        if uid.is_empty() {
            return Ok(());
        }
        let apps = apps_called_on(&self.database, uid, trigger)
            .await
            .map_err(|e| ReactionError(e.to_string()))?;
        if apps.is_empty() {
            return Ok(());
        }
        let (body, content_type, audio_rate) = match recorded_chunk(&event.event) {
            Some((chunk_id, sample_rate)) => {
                (chunk_id.to_string(), AUDIO_CONTENT_TYPE, Some(sample_rate))
            }
            None => match self.body(uid, event).await? {
                Some(body) => (body.to_string(), "application/json", None),
                None => return Ok(()),
            },
        };
        let cause = event_id(event);
        let metadata = Metadata::caused_by(uid, cause.clone(), &event.metadata.correlation_id);
        // Concurrently, so that the appends of many apps' deliveries share commits (the log's group commit).
        let scheduled: Vec<Result<(), ReactionError>> = futures::stream::iter(apps)
            .map(|(app, url)| {
                let (cause, metadata, body) = (&cause, &metadata, &body);
                async move {
                    let secret = self
                        .secret_of(&app, cause, &event.metadata.correlation_id)
                        .await?;
                    let delivery = Delivery {
                        uid: uid.to_string(),
                        endpoint: Endpoint {
                            kind: EndpointKind::App,
                            id: app.id.clone(),
                        },
                        url: match audio_rate {
                            Some(rate) => audio_url(&url, uid, rate),
                            None => with_uid(&url, uid),
                        },
                        secret,
                        payload_kind: trigger.id().to_string(),
                        content_type: content_type.into(),
                        body: body.clone(),
                        causing_event: cause.clone(),
                    };
                    settle(schedule(&self.commands, delivery, metadata, chrono::Utc::now()).await)?;
                    Ok(())
                }
            })
            .buffer_unordered(SCHEDULING_CONCURRENCY)
            .collect()
            .await;
        scheduled.into_iter().collect()
    }

    /// The body every app called for `event` gets; `None` when what it is about is gone.
    async fn body(&self, uid: &str, event: &RecordedEvent) -> Result<Option<Value>, ReactionError> {
        if let StoredEvent::Conversation(ConversationEvent::SegmentsAppended { segments, .. }) =
            &event.event
        {
            return Ok(Some(json!({"session_id": uid, "segments": segments})));
        }
        if !self.projector.wait_for(event.position, CATCH_UP).await {
            return Err(ReactionError(
                "the read models have not caught up with the event yet".into(),
            ));
        }
        let view = conversations::get(&self.database, uid, &event.aggregate_id)
            .await
            .map_err(|e| ReactionError(e.to_string()))?;
        Ok(view.map(|view| {
            let mut body = json!(view);
            // What a workflow sent stays with the user (spec §5.1).
            if body["source"] == "workflow" {
                body["external_data"] = Value::Null;
            }
            body
        }))
    }

    /// The app's webhook secret: the one it has, or a first one recorded now (the first recording wins when
    /// two processes race).
    async fn secret_of(
        &self,
        app: &AppRecord,
        cause: &str,
        correlation_id: &str,
    ) -> Result<String, ReactionError> {
        if let Some(secret) = &app.webhook_secret {
            return Ok(secret.clone());
        }
        let fresh = fresh_secret().map_err(|e| ReactionError(e.to_string()))?;
        let command = AppCommand::EnsureWebhookSecret {
            secret: fresh,
            at: chrono::Utc::now(),
        };
        // The app's stream is its owner's.
        let metadata = Metadata::caused_by(app.uid.clone(), cause, correlation_id);
        let appended = settle(
            self.commands
                .execute::<App>(&app.id, command, &metadata)
                .await,
        )?;
        let recorded = appended
            .into_iter()
            .flat_map(|a| a.events)
            .find_map(|event| match event {
                AppEvent::AppWebhookSecretRotated { secret, .. } => Some(secret),
                _ => None,
            });
        match recorded {
            Some(secret) => Ok(secret),
            // Another process gave it one first: read it once the read model shows it (a retry).
            None => Err(ReactionError(
                "the app's webhook secret is not in the read model yet".into(),
            )),
        }
    }
}

/// The app trigger an event causes, if any.
fn trigger_of(event: &StoredEvent) -> Option<TriggerEvent> {
    match event {
        StoredEvent::Conversation(ConversationEvent::ConversationProcessed {
            discarded: false,
            ..
        }) => Some(TriggerEvent::MemoryCreation),
        StoredEvent::Conversation(ConversationEvent::SegmentsAppended { segments, .. })
            if !segments.is_empty() =>
        {
            Some(TriggerEvent::TranscriptProcessed)
        }
        StoredEvent::Conversation(ConversationEvent::AudioChunkRecorded { .. }) => {
            Some(TriggerEvent::AudioBytes)
        }
        _ => None,
    }
}

impl Reaction for AppWebhookScheduling {
    fn name(&self) -> &'static str {
        "app_webhooks"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["Conversation"]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(self.handle(event))
    }
}
