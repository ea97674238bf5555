//! Starting the server: open the store, catch the read models up, start the live tail, serve HTTP.

use std::sync::Arc;

use omi_commands::CommandBus;
use omi_projections::{all_projections, Projector};
use omi_store::Database;
use tokio::net::TcpListener;

use crate::auth::{AuthSettings, Authenticator};
use crate::config::Config;
use crate::routes;
use crate::state::AppState;

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
    let projector = Projector::new(database.clone(), all_projections());
    let reached = projector.catch_up().await?;
    tracing::info!(%reached, "read models caught up");
    let auth = authenticator(&config)?;
    Ok(AppState {
        commands: CommandBus::new(database.clone()),
        database,
        projector,
        auth: Arc::new(auth),
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

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|e| anyhow::Error::msg(format!("cannot listen on {}: {e}", config.bind)))?;
    let state = state(config).await?;
    let tail = state.projector.spawn();
    let address = listener.local_addr()?;
    println!("omi-server listening on http://{address}");
    tracing::info!(%address, backend = ?state.database.backend(), "serving");
    let database = state.database.clone();
    axum::serve(listener, routes::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tail.abort();
    database.close().await;
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
