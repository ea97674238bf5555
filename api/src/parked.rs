//! `omi-server parked`: what read models parked instead of applying, and the operator's retry and skip.

use omi_projections::{registry, retry_parked, skip_parked_event};
use omi_store::{list_parked, Database, ParkedStatus};

use crate::cli::ParkedAction;

/// Runs one `parked` action and prints its outcome.
pub async fn run(database: &Database, action: ParkedAction) -> anyhow::Result<()> {
    match action {
        ParkedAction::List { projection } => {
            let parked = list_parked(database, projection.as_deref()).await?;
            if parked.is_empty() {
                eprintln!("no parked events");
            }
            for event in parked {
                let decision = match event.status {
                    ParkedStatus::Parked => String::new(),
                    ParkedStatus::Skipped => format!(
                        " | skipped at {}: {}",
                        event.decided_at.unwrap_or_default(),
                        event.decision.unwrap_or_default()
                    ),
                };
                println!(
                    "{}\t{}\t{}\t{}/{}#{}\t{}\t{}{}",
                    event.projection,
                    event.position,
                    event.status.as_str(),
                    event.aggregate_type,
                    event.aggregate_id,
                    event.sequence,
                    event.parked_at,
                    event.error,
                    decision
                );
            }
            Ok(())
        }
        ParkedAction::Retry => {
            let report = retry_parked(database, &registry()).await?;
            eprintln!(
                "applied {} parked events; {} still parked",
                report.applied, report.still_parked
            );
            anyhow::ensure!(
                report.still_parked == 0,
                "some events still fail; see `omi-server parked list`"
            );
            Ok(())
        }
        ParkedAction::Skip {
            projection,
            position,
            reason,
        } => {
            anyhow::ensure!(!reason.trim().is_empty(), "--reason must say why");
            let skipped = skip_parked_event(database, &projection, position, reason.trim()).await?;
            anyhow::ensure!(
                skipped,
                "{projection} has no parked event at global position {position}"
            );
            eprintln!("skipped; run `omi-server parked retry` to apply the events held behind it");
            Ok(())
        }
    }
}
