//! Starting the server: open the store, catch the read models up, start the live tail, serve HTTP.

use std::sync::Arc;

use omi_commands::CommandBus;
use omi_projections::{registry, Projector};
use omi_store::Database;
use tokio::net::TcpListener;

use crate::app::changes::ChangeHub;
use crate::auth::{AuthSettings, Authenticator};
use crate::clock::Clock;
use crate::config::{Config, SttService};
use crate::live_conversations::LiveConversations;
use crate::routes;
use crate::serve::{self, Connections, Limits};
use crate::state::AppState;
use crate::{listen, reactions};
use omi_services::chat::{ChatModel, ExtractiveChat, OpenAiChat};
use omi_services::embeddings::{Embedder, OpenAiEmbeddings};
use omi_services::llm::{Extractive, LanguageModel, OpenAiCompatible};
use omi_services::push::{Fcm, PushSender};
use omi_services::stt::{Deepgram, OpenAiTranscription, SpeechToText};

/// Opens the configured store (applying migrations).
pub async fn open_database(config: &Config) -> anyhow::Result<Database> {
    Ok(Database::open(
        config.database_url.as_deref(),
        &config.data_dir,
        config.db_max_connections,
    )
    .await?)
}

/// Builds the shared state: store, command bus, projector (caught up) and authenticator.
pub async fn state(config: Config) -> anyhow::Result<AppState> {
    let database = open_database(&config).await?;
    let projector = Projector::new(database.clone(), registry());
    let reached = projector.catch_up().await?;
    tracing::info!(%reached, "read models caught up");
    let auth = authenticator(&config)?;
    let stt = speech_to_text(&config);
    let model = language_model(&config)?;
    let chat = chat_model(&config)?;
    let embedder = embedder(&config)?;
    Ok(AppState {
        embedder,
        chat,
        commands: CommandBus::new(database.clone()),
        changes: ChangeHub::new(database.clone(), config.max_change_streams),
        model,
        clock: Clock::starting_at(config.clock_start),
        database,
        projector,
        auth: Arc::new(auth),
        stt,
        live: LiveConversations::default(),
        requests: Default::default(),
        connections: Connections::default(),
        config: Arc::new(config),
    })
}

/// The authenticator the settings ask for; creates the local signing secret on first use.
pub fn authenticator(config: &Config) -> anyhow::Result<Authenticator> {
    let settings = AuthSettings {
        secret: config.auth_secret.clone(),
        firebase_project_id: config.firebase_project_id.clone(),
        firebase_keys_url: config.firebase_keys_url.clone(),
        admin_key: config.admin_key.clone(),
    };
    Authenticator::load(&config.data_dir, settings).map_err(|e| {
        anyhow::Error::msg(format!(
            "cannot prepare local tokens in {}: {e}",
            config.data_dir.display()
        ))
    })
}

/// The language model the settings ask for: an OpenAI-compatible server, or the embedded extractive pipeline.
pub fn language_model(config: &Config) -> anyhow::Result<Arc<dyn LanguageModel>> {
    Ok(match &config.llm {
        Some(remote) => Arc::new(
            OpenAiCompatible::new(
                remote.base_url.clone(),
                remote.api_key.clone(),
                remote.model.clone(),
            )
            .map_err(|e| anyhow::Error::msg(format!("OMI_LLM_BASE_URL: {e}")))?,
        ),
        None => Arc::new(Extractive),
    })
}

/// The chat answerer the settings ask for: the OpenAI-compatible server of `OMI_LLM_BASE_URL`, streaming with
/// tools, or the embedded extractive answerer.
pub fn chat_model(config: &Config) -> anyhow::Result<Arc<dyn ChatModel>> {
    Ok(match &config.llm {
        Some(remote) => Arc::new(
            OpenAiChat::new(
                &remote.base_url,
                remote.api_key.clone(),
                &remote.model,
                OpenAiCompatible::DEFAULT_TIMEOUT,
            )
            .map_err(|e| anyhow::Error::msg(format!("OMI_LLM_BASE_URL: {e}")))?,
        ),
        None => Arc::new(ExtractiveChat),
    })
}

/// The embeddings server of semantic search, if the settings name one.
pub fn embedder(config: &Config) -> anyhow::Result<Option<Arc<dyn Embedder>>> {
    let Some(service) = &config.embeddings else {
        return Ok(None);
    };
    let remote = &service.remote;
    let embeddings = OpenAiEmbeddings::new(&remote.base_url, remote.api_key.clone(), &remote.model)
        .map_err(|e| anyhow::Error::msg(format!("OMI_EMBEDDINGS_BASE_URL: {e}")))?;
    Ok(Some(Arc::new(embeddings)))
}

/// The server speech-to-text the settings ask for, if any.
pub fn speech_to_text(config: &Config) -> Option<Arc<dyn SpeechToText>> {
    match config.stt.as_ref()? {
        SttService::Deepgram { url, api_key } => Some(Arc::new(
            Deepgram::new(api_key.clone()).with_url(url.clone()),
        )),
        SttService::OpenAi(remote) => Some(Arc::new(
            OpenAiTranscription::new(remote.base_url.clone(), remote.api_key.clone())
                .with_model(remote.model.clone()),
        )),
    }
}

/// The push sender the settings ask for: Firebase Cloud Messaging, or none (notifications are only recorded).
pub fn push_sender(config: &Config) -> anyhow::Result<Option<Arc<dyn PushSender>>> {
    let Some(push) = &config.push else {
        return Ok(None);
    };
    let path = push.service_account.display().to_string();
    let fcm = Fcm::from_file(&path, &push.base_url)
        .map_err(|e| anyhow::Error::msg(format!("OMI_FCM_SERVICE_ACCOUNT: {e}")))?;
    Ok(Some(Arc::new(fcm)))
}

/// Serves until Ctrl-C or SIGTERM, then shuts down within `OMI_SHUTDOWN_GRACE_SECS`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|e| anyhow::Error::msg(format!("cannot listen on {}: {e}", config.bind)))?;
    let push = push_sender(&config)?;
    let state = state(config).await?;
    let tail = state.projector.spawn();
    tracing::info!(model = state.model.name(), "language model");
    let mut background = reactions::spawn_all(
        &state.database,
        &state.commands,
        &state.projector,
        state.model.clone(),
        state.embedder.clone(),
        push,
    )
    .await?;
    background.extend(reactions::spawn_schedules(&state));
    background.push(listen::sweep::spawn(state.clone()));
    background.push(crate::erasure::spawn(state.clone()));
    background.push(reactions::deliveries::spawn(state.clone()));
    let address = listener.local_addr()?;
    let backend = state.database.backend();
    let database = state.database.clone();
    let connections = state.connections.clone();
    let limits = Limits::from_config(&state.config);
    // The routes (and their OpenAPI document) are built before the server says it listens: from then on a
    // signal must find the shutdown handler installed, not the default action.
    let app = routes::app(state);
    println!("omi-server listening on http://{address}");
    tracing::info!(%address, ?backend, "serving");
    serve::serve(listener, app, connections, limits, shutdown_signal()).await;
    tracing::info!("connections closed; stopping the background tasks");
    tail.abort();
    for task in background {
        task.abort();
    }
    database.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}
