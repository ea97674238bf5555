//! `omi-server events`: the event log as NDJSON for operators and analytics jobs, one event a line with the
//! fields of the change feed plus `uid`, in commit order; `--follow` keeps printing new events until
//! interrupted. It reads the store directly (on SQLite too while a server runs: it only reads).

use std::io::{self, Write};

use omi_store::{read_log, read_user_log, Database, LogPosition, LoggedEvent};

use crate::app::changes::{decode_cursor, write_line, ChangeHub};
use crate::config::Config;

/// Events read at once when not following.
const PAGE: i64 = 1_000;

/// What to print.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only this user's events.
    pub uid: Option<String>,
    /// Only events of this stored name.
    pub event_type: Option<String>,
    /// Only events after this cursor (of the feed, or an earlier line's `position`).
    pub after: Option<String>,
    /// Keep printing new events until interrupted.
    pub follow: bool,
}

/// Prints the events `selection` asks for to stdout from the configured store (checking the selection before
/// opening it). A closed stdout (`| head`) ends it without an error.
pub async fn run(config: &Config, selection: Selection) -> anyhow::Result<()> {
    let uid = checked("--uid", selection.uid.as_deref())?;
    let event_type = checked("--type", selection.event_type.as_deref())?;
    let after = decode_cursor(selection.after.as_deref()).map_err(|_| {
        anyhow::anyhow!("--after is not a cursor of the feed (a `cursor` or an event's `position`)")
    })?;
    let database = crate::server::open_database(config).await?;
    let printed = print(&database, uid, event_type, after, selection.follow).await;
    database.close().await;
    printed
}

async fn print(
    database: &Database,
    uid: Option<&str>,
    event_type: Option<&str>,
    after: LogPosition,
    follow_on: bool,
) -> anyhow::Result<()> {
    let mut out = Lines {
        stdout: io::BufWriter::new(io::stdout().lock()),
        event_type,
    };
    let printed = if follow_on {
        follow(database, uid, after, &mut out).await
    } else {
        print_to_head(database, uid, after, &mut out).await
    };
    match printed.and_then(|()| out.stdout.flush().map_err(anyhow::Error::from)) {
        Err(error) if is_closed_pipe(&error) => Ok(()),
        other => other,
    }
}

/// A filter value as given: absent, or text that is not blank.
fn checked<'a>(flag: &str, value: Option<&'a str>) -> anyhow::Result<Option<&'a str>> {
    match value.map(str::trim) {
        None => Ok(None),
        Some("") => anyhow::bail!("{flag} must not be empty"),
        Some(value) => Ok(Some(value)),
    }
}

async fn print_to_head(
    database: &Database,
    uid: Option<&str>,
    mut after: LogPosition,
    out: &mut Lines<'_>,
) -> anyhow::Result<()> {
    loop {
        let events = match uid {
            Some(uid) => read_user_log(database, uid, after, PAGE).await?,
            None => read_log(database, after, PAGE).await?,
        };
        for event in &events {
            out.print(event)?;
        }
        match events.last() {
            Some(last) if events.len() as i64 == PAGE => after = last.position,
            _ => return Ok(()),
        }
    }
}

async fn follow(
    database: &Database,
    uid: Option<&str>,
    after: LogPosition,
    out: &mut Lines<'_>,
) -> anyhow::Result<()> {
    let hub = ChangeHub::new(database.clone(), 1);
    let mut follow = hub
        .follow(uid, after)
        .ok_or_else(|| anyhow::anyhow!("cannot follow the log"))?;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        let event = tokio::select! {
            _ = &mut interrupted => return Ok(()),
            event = follow.next() => event?,
        };
        out.print(&event.event)?;
        if !follow.ready() {
            out.stdout.flush()?;
        }
    }
}

struct Lines<'a> {
    stdout: io::BufWriter<io::StdoutLock<'a>>,
    event_type: Option<&'a str>,
}

impl Lines<'_> {
    fn print(&mut self, event: &LoggedEvent) -> anyhow::Result<()> {
        if self.event_type.is_some_and(|name| name != event.event_type) {
            return Ok(());
        }
        write_line(&mut self.stdout, event)?;
        Ok(())
    }
}

fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(|e| e.io_error_kind())
                .is_some_and(|kind| kind == io::ErrorKind::BrokenPipe)
    })
}
