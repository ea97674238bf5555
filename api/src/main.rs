//! The `omi-server` binary.

use clap::Parser;
use omi_api::cli::{self, Cli};
use omi_api::config::Config;
use tracing_subscriber::EnvFilter;

/// The server allocates per request, per frame and per replayed event; glibc's allocator showed as 10–17 % of
/// the profiles of P1, P4 and P2 (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match Config::from_env() {
        Ok(config) => cli::run(cli, config).await,
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("omi-server: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
