//! The wrapped aggregate: at most one generation at a time, a finished recap is never regenerated, and a run
//! that stopped reporting progress is started over.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{WrappedCommand, WrappedEvent};
use crate::{DomainError, Timestamp};

/// A run with no progress for this long is taken as stuck, and a new request starts over (spec §7.12).
pub const STUCK_AFTER_MINUTES: i64 = 15;

/// Where a wrapped stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WrappedStatus {
    #[default]
    NotGenerated,
    Processing,
    Done,
    Error,
}

/// The state a wrapped needs to decide on commands.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Wrapped {
    status: WrappedStatus,
    run: u32,
    /// When the running generation last showed life (its request or its last progress).
    heartbeat: Option<Timestamp>,
}

impl Wrapped {
    fn is_current(&self, run: u32) -> bool {
        self.status == WrappedStatus::Processing && self.run == run
    }
}

impl Aggregate for Wrapped {
    const TYPE: &'static str = "Wrapped";
    type Command = WrappedCommand;
    type Event = WrappedEvent;
    type Error = DomainError;
    type Services = ();

    async fn handle(
        &mut self,
        command: WrappedCommand,
        _services: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), DomainError> {
        let event = match command {
            WrappedCommand::RequestWrapped { uid, year, as_of } => {
                let alive = self.heartbeat.is_some_and(|beat| {
                    as_of.signed_duration_since(beat).num_minutes() < STUCK_AFTER_MINUTES
                });
                match self.status {
                    WrappedStatus::Done => return Ok(()),
                    WrappedStatus::Processing if alive => return Ok(()),
                    _ => WrappedEvent::WrappedRequested {
                        uid,
                        year,
                        run: self.run + 1,
                        as_of,
                    },
                }
            }
            WrappedCommand::RecordProgress { run, step, pct, at } => {
                if !(0.0..=1.0).contains(&pct) {
                    return Err(DomainError::Invalid(
                        "Progress must be between 0 and 1".into(),
                    ));
                }
                if !self.is_current(run) {
                    return Ok(());
                }
                WrappedEvent::WrappedProgressed { run, step, pct, at }
            }
            WrappedCommand::CompleteWrapped { run, result, at } => {
                if !self.is_current(run) {
                    return Ok(());
                }
                WrappedEvent::WrappedCompleted { run, result, at }
            }
            WrappedCommand::FailWrapped { run, error, at } => {
                if !self.is_current(run) {
                    return Ok(());
                }
                WrappedEvent::WrappedFailed { run, error, at }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: WrappedEvent) {
        match event {
            WrappedEvent::WrappedRequested { run, as_of, .. } => {
                self.status = WrappedStatus::Processing;
                self.run = run;
                self.heartbeat = Some(as_of);
            }
            WrappedEvent::WrappedProgressed { at, .. } => self.heartbeat = Some(at),
            WrappedEvent::WrappedCompleted { .. } => self.status = WrappedStatus::Done,
            WrappedEvent::WrappedFailed { .. } => self.status = WrappedStatus::Error,
        }
    }
}

#[cfg(test)]
mod tests;
