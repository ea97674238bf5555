//! The `omi-server` command line: serve (the default), token, migrate, mcp, replay, events, import, parked.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use omi_projections::{rebuild, registered, registry, Projection};

use crate::config::Config;
use crate::server;

/// An Omi-compatible backend in which every change is an event.
#[derive(Debug, Parser)]
#[command(
    name = "omi-server",
    version,
    about = "An Omi-compatible backend in which every change is an event"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the server (the default).
    Serve,
    /// Prints a bearer token that this server accepts for a user.
    Token {
        /// The user id.
        #[arg(long)]
        uid: String,
        /// How many days the token stays valid.
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
    /// Applies the database schema and exits.
    Migrate,
    /// Serves MCP over stdio for local assistants, with the MCP key in OMI_API_KEY. With OMI_API_BASE_URL
    /// it forwards to that running server; without, it opens the store itself (on SQLite only while no
    /// server runs on the same data directory).
    Mcp,
    /// Rebuilds read models from the start of the event log and exits.
    Replay {
        /// Rebuild only this read model (default: all).
        #[arg(long)]
        projection: Option<String>,
    },
    /// Prints the event log as NDJSON, one event a line in commit order (the change feed's fields plus `uid`).
    Events {
        /// Only this user's events.
        #[arg(long)]
        uid: Option<String>,
        /// Only events of this stored name (e.g. MemoryCreated).
        #[arg(long = "type", value_name = "TYPE")]
        event_type: Option<String>,
        /// Only events after this cursor (the feed's `cursor`, or a line's `position`).
        #[arg(long, value_name = "CURSOR")]
        after: Option<String>,
        /// Keep printing new events until interrupted.
        #[arg(long)]
        follow: bool,
    },
    /// Loads an event export (`GET /v1/users/export?format=events` or `omi-server events`) into this store, in
    /// one transaction; events already present and identical are passed over.
    Import {
        /// The NDJSON file, one event a line.
        file: PathBuf,
    },
    /// Lists the read models (the names `replay --projection` takes) with their tables, one per line.
    ReadModels,
    /// Lists, retries or skips the events that read models parked instead of applying.
    Parked {
        #[command(subcommand)]
        action: ParkedAction,
    },
}

/// What to do with parked events.
#[derive(Debug, Subcommand)]
pub enum ParkedAction {
    /// Lists parked and skipped events with their errors, oldest first.
    List {
        /// Only this read model's.
        #[arg(long)]
        projection: Option<String>,
    },
    /// Applies every parked event again (after a fix), stream by stream in order; what fails again stays
    /// parked with its new error.
    Retry,
    /// Leaves one parked event out for good, with the reason recorded; its stream's later events stay parked
    /// until the next retry.
    Skip {
        /// The read model that parked it.
        #[arg(long)]
        projection: String,
        /// The event's global position (the second number of its position in `parked list`).
        #[arg(long)]
        position: i64,
        /// Why it is left out (kept with the event).
        #[arg(long)]
        reason: String,
    },
}

/// Runs the chosen subcommand.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let _lock = lock_data_dir(&config)?;
            server::serve(config).await
        }
        Command::Token { uid, days } => {
            let uid = uid.trim();
            anyhow::ensure!(!uid.is_empty(), "--uid must not be empty");
            let auth = server::authenticator(&config)?;
            println!(
                "{}",
                auth.local()
                    .issue(uid, chrono::Duration::days(i64::from(days)))
            );
            Ok(())
        }
        Command::Migrate => {
            let database = server::open_database(&config).await?;
            database.close().await;
            eprintln!("schema is up to date");
            Ok(())
        }
        Command::Mcp => {
            let key = crate::mcp::stdio::api_key()?;
            match crate::mcp::stdio::base_url() {
                Some(base) => crate::mcp::stdio::proxy(&base, &key).await,
                None => {
                    let _lock = lock_data_dir(&config).map_err(|e| {
                        anyhow::Error::msg(format!(
                            "{e}; or set {}=<the running server's URL> to forward to it",
                            crate::mcp::stdio::BASE_URL_VAR
                        ))
                    })?;
                    crate::mcp::stdio::direct(config, &key).await
                }
            }
        }
        Command::Replay { projection } => {
            let _lock = lock_data_dir(&config)?;
            without_huge_pages();
            replay(&config, projection.as_deref()).await
        }
        Command::Events {
            uid,
            event_type,
            after,
            follow,
        } => {
            let selection = crate::log_events::Selection {
                uid,
                event_type,
                after,
                follow,
            };
            crate::log_events::run(&config, selection).await
        }
        Command::Import { file } => {
            let _lock = lock_data_dir(&config)?;
            let summary = crate::import_events::run(&config, &file).await?;
            eprintln!(
                "imported {} events ({} already present) from {}",
                summary.appended,
                summary.already_present,
                file.display()
            );
            Ok(())
        }
        Command::ReadModels => {
            for projection in registry() {
                println!("{}\t{}", projection.name(), projection.tables().join(","));
            }
            Ok(())
        }
        Command::Parked { action } => {
            let _lock = lock_data_dir(&config)?;
            let database = server::open_database(&config).await?;
            let done = crate::parked::run(&database, action).await;
            database.close().await;
            done
        }
    }
}

/// A replay fills a few hundred megabytes once, and the kernel clears every transparent huge page that the
/// allocator asks for in full on first touch: without them the replay ran ~6 % faster (P2, BENCHMARKS.md).
fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments only and changes nothing but this process's faults.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

async fn replay(config: &Config, only: Option<&str>) -> anyhow::Result<()> {
    let projections: Vec<Arc<dyn Projection>> = match only {
        None => registry(),
        Some(name) => vec![registered(name)?],
    };
    let database = server::open_database(config).await?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{wide_bar}] {pos}/{len} events ({per_sec})",
            )
            .expect("valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = std::time::Instant::now();
    let reached = rebuild(&database, &projections, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish();
    let names: Vec<_> = projections.iter().map(|p| p.name()).collect();
    eprintln!(
        "rebuilt {} up to {reached} in {:.2?}",
        names.join(", "),
        started.elapsed()
    );
    database.close().await;
    Ok(())
}

/// On SQLite only one process may use the data directory's database at a time.
fn lock_data_dir(config: &Config) -> anyhow::Result<Option<std::fs::File>> {
    if config
        .database_url
        .as_deref()
        .is_some_and(|u| u.starts_with("postgres"))
    {
        return Ok(None);
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let path: PathBuf = config.data_dir.join("omi.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(_) => anyhow::bail!(
            "another omi-server process is using {} (stop it first; for several processes use PostgreSQL)",
            config.data_dir.display()
        ),
    }
}
