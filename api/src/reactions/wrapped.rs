//! Wrapped generation (spec §7.12): on `WrappedRequested`, read the user's log as it stood at the request's
//! instant, count the year, have the language model write the rest, and record progress along the way and then
//! the result — or the failure, so a wrapped is never left `processing` by a model that failed. A failing model
//! fails the run (status `error`, its error shown; a new request starts again) rather than quietly mixing in the
//! deterministic writer's sections: which writer wrote a recap is then never in doubt.
//!
//! Idempotent: a run that is no longer the stream's current one (finished, or started over) is passed over, and
//! the aggregate ignores progress and results of any other run.

use std::sync::Arc;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::wrapped::{Wrapped, WrappedCommand, WrappedEvent};
use omi_services::llm::LanguageModel;
use omi_store::{read_stream, Database, RecordedEvent, StoredEvent};

use super::{event_id, settle};
use crate::app::wrapped::recap::YearLog;
use crate::time_input::now;

/// The reaction.
pub struct WrappedGeneration {
    database: Database,
    commands: CommandBus,
    model: Arc<dyn LanguageModel>,
}

/// One run being generated.
struct Run<'a> {
    stream: &'a str,
    run: u32,
    metadata: Metadata,
}

impl WrappedGeneration {
    /// Generation over `model`.
    pub fn new(database: Database, commands: CommandBus, model: Arc<dyn LanguageModel>) -> Self {
        Self {
            database,
            commands,
            model,
        }
    }

    async fn send(&self, run: &Run<'_>, command: WrappedCommand) -> Result<(), ReactionError> {
        settle(
            self.commands
                .execute::<Wrapped>(run.stream, command, &run.metadata)
                .await,
        )?;
        Ok(())
    }

    async fn progress(&self, run: &Run<'_>, step: &str, pct: f64) -> Result<(), ReactionError> {
        let command = WrappedCommand::RecordProgress {
            run: run.run,
            step: step.into(),
            pct,
            at: now(),
        };
        self.send(run, command).await
    }

    async fn generate(
        &self,
        requested: &RecordedEvent,
        uid: &str,
        year: i32,
        run: u32,
        as_of: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ReactionError> {
        let stream = read_stream(&self.database, "Wrapped", &requested.aggregate_id)
            .await
            .map_err(|e| ReactionError(e.to_string()))?;
        if !still_current(&stream, run) {
            return Ok(());
        }
        let run = Run {
            stream: &requested.aggregate_id,
            run,
            metadata: Metadata::caused_by(
                uid.to_string(),
                event_id(requested),
                requested.metadata.correlation_id.clone(),
            ),
        };
        self.progress(&run, "Reading your year", 0.1).await?;
        let log = YearLog::read(&self.database, uid, year, as_of)
            .await
            .map_err(|e| ReactionError(e.to_string()))?;
        self.progress(&run, "Counting your conversations", 0.4)
            .await?;
        let (counted, review) = log.count();
        self.progress(&run, "Writing your story", 0.7).await?;
        let command = match self.model.write_wrapped(&review).await {
            Ok(written) => {
                self.progress(&run, "Wrapping up", 0.98).await?;
                WrappedCommand::CompleteWrapped {
                    run: run.run,
                    result: Box::new(counted.with(written)),
                    at: now(),
                }
            }
            Err(error) => {
                tracing::warn!(wrapped = %requested.aggregate_id, run = run.run, %error, "wrapped generation failed");
                WrappedCommand::FailWrapped {
                    run: run.run,
                    error: error.to_string(),
                    at: now(),
                }
            }
        };
        self.send(&run, command).await
    }
}

/// A run is current until it finished or a newer one was asked for.
fn still_current(stream: &[RecordedEvent], run: u32) -> bool {
    !stream.iter().any(|recorded| match &recorded.event {
        StoredEvent::Wrapped(WrappedEvent::WrappedCompleted { run: done, .. })
        | StoredEvent::Wrapped(WrappedEvent::WrappedFailed { run: done, .. }) => *done == run,
        StoredEvent::Wrapped(WrappedEvent::WrappedRequested { run: newer, .. }) => *newer > run,
        _ => false,
    })
}

impl Reaction for WrappedGeneration {
    fn name(&self) -> &'static str {
        "wrapped_generation"
    }

    fn reads(&self) -> &'static [&'static str] {
        &[<Wrapped as cqrs_es::Aggregate>::TYPE]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(async move {
            match &event.event {
                StoredEvent::Wrapped(WrappedEvent::WrappedRequested {
                    uid,
                    year,
                    run,
                    as_of,
                }) => self.generate(event, uid, *year, *run, *as_of).await,
                _ => Ok(()),
            }
        })
    }
}
