//! The daily summary schedule: every tick, the days due now (see `app::daily_summaries::schedule`) are written,
//! one user after another. Runs in one process at a time (`omi_commands::schedules`); a day another process or
//! an earlier run wrote is left as it is, so each user's day is written once across processes and restarts.

use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{ReactFuture, ReactionError};
use omi_commands::schedules::Schedule;
use omi_commands::CommandBus;
use omi_services::llm::LanguageModel;
use omi_store::Database;

use crate::app::daily_summaries::schedule;
use crate::clock::Clock;
use crate::error::ApiError;

/// Writes the daily summaries that are due.
pub struct DailySummarySchedule {
    database: Database,
    commands: CommandBus,
    model: Arc<dyn LanguageModel>,
    clock: Clock,
    every: Duration,
}

impl DailySummarySchedule {
    /// The schedule over the store, the bus and the model, reading `clock`, ticking `every`.
    pub fn new(
        database: Database,
        commands: CommandBus,
        model: Arc<dyn LanguageModel>,
        clock: Clock,
        every: Duration,
    ) -> Self {
        Self {
            database,
            commands,
            model,
            clock,
            every,
        }
    }

    async fn write_due(&self) -> Result<(), ReactionError> {
        let now = self.clock.now();
        let due = schedule::due(&self.database, now).await.map_err(failed)?;
        for (uid, date) in due {
            match schedule::generate(
                &self.database,
                &self.commands,
                self.model.as_ref(),
                &uid,
                date,
                self.clock.now(),
            )
            .await
            {
                Ok(true) => tracing::info!(%uid, %date, "daily summary written"),
                Ok(false) => {}
                // One user's failure (a model that is down) does not hold back the others; the next tick retries.
                Err(error) => tracing::warn!(%uid, %date, %error, "daily summary not written"),
            }
        }
        Ok(())
    }
}

fn failed(error: ApiError) -> ReactionError {
    ReactionError(error.to_string())
}

impl Schedule for DailySummarySchedule {
    fn name(&self) -> &'static str {
        "daily_summaries"
    }

    fn every(&self) -> Duration {
        self.every
    }

    fn tick(&self) -> ReactFuture<'_> {
        Box::pin(self.write_due())
    }
}
