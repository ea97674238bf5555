//! What every handler gets: the database, the command bus, the projector to wait on, auth and settings.

use std::sync::Arc;

use cqrs_es::Aggregate;
use omi_commands::{Appended, CommandBus, Metadata};

use omi_domain::DomainError;
use omi_projections::Projector;
use omi_services::chat::ChatModel;
use omi_services::embeddings::Embedder;
use omi_services::llm::LanguageModel;
use omi_services::stt::SpeechToText;
use omi_store::{Database, LogPosition};

use crate::app::changes::ChangeHub;
use crate::auth::Authenticator;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::live_conversations::LiveConversations;
use crate::serve::Connections;

/// Shared by all handlers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub database: Database,
    pub commands: CommandBus,
    pub projector: Arc<Projector>,
    pub auth: Arc<Authenticator>,
    pub config: Arc<Config>,
    /// The language model of the requests that write with one (daily summaries on demand).
    pub model: Arc<dyn LanguageModel>,
    /// The model that answers chat messages.
    pub chat: Arc<dyn ChatModel>,
    /// The embeddings server of semantic search, when configured (`OMI_EMBEDDINGS_BASE_URL`).
    pub embedder: Option<Arc<dyn Embedder>>,
    /// Now, as daily summaries read it.
    pub clock: Clock,
    /// Server speech-to-text for `/v4/listen`, when configured.
    pub stt: Option<Arc<dyn SpeechToText>>,
    /// The conversations this process's listen sessions write into.
    pub live: LiveConversations,
    /// Requests answered, by route, for `/metrics`.
    pub requests: crate::metrics::RequestMetrics,
    /// The process's reader of new events for the change feed's streams.
    pub changes: ChangeHub,
    /// The open HTTP connections and WebSocket sessions (counts for metrics), and the shutdown signal.
    pub connections: Connections,
}

impl AppState {
    /// Runs a command and waits until the read models show its effect (read-your-writes).
    pub async fn execute<A>(
        &self,
        id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> ApiResult<Appended<A::Event>>
    where
        A: Aggregate<Services = (), Error = DomainError> + 'static,
        A::Command: Clone,
    {
        let appended = self.commands.execute::<A>(id, command, metadata).await?;
        self.caught_up(appended.position).await?;
        Ok(appended)
    }

    /// Runs a command that creates the aggregate with a freshly made-up id (its stream is not read first; see
    /// [`CommandBus::create`]) and waits until the read models show it.
    pub async fn create<A>(
        &self,
        id: &str,
        command: A::Command,
        metadata: &Metadata,
    ) -> ApiResult<Appended<A::Event>>
    where
        A: Aggregate<Services = (), Error = DomainError> + 'static,
        A::Command: Clone,
    {
        let appended = self.commands.create::<A>(id, command, metadata).await?;
        self.caught_up(appended.position).await?;
        Ok(appended)
    }

    /// Runs one creating command per fresh aggregate id, all at once (so their appends share a commit), and waits
    /// once for the read models to show them all. Returns the ids, in order; the first refusal is the answer.
    pub async fn create_all<A>(
        &self,
        commands: Vec<(String, A::Command)>,
        metadata: &Metadata,
    ) -> ApiResult<Vec<String>>
    where
        A: Aggregate<Services = (), Error = DomainError> + 'static,
        A::Command: Clone,
    {
        let results = futures::future::join_all(
            commands
                .iter()
                .map(|(id, command)| self.commands.create::<A>(id, command.clone(), metadata)),
        )
        .await;
        let mut last = None;
        for result in results {
            last = last.max(result?.position);
        }
        self.caught_up(last).await?;
        Ok(commands.into_iter().map(|(id, _)| id).collect())
    }

    /// Waits until the read models have applied the log up to `position` (nothing to wait for when `None`).
    pub async fn caught_up(&self, position: Option<LogPosition>) -> ApiResult<()> {
        let Some(position) = position else {
            return Ok(());
        };
        if self
            .projector
            .wait_for(position, self.config.read_your_writes_timeout)
            .await
        {
            Ok(())
        } else {
            tracing::warn!(%position, "read models did not catch up in time");
            Err(ApiError::Unavailable(
                "The change was saved but is not visible yet; read it again shortly".into(),
            ))
        }
    }
}
