//! How far each read model stands: its checkpoint, its lag behind the log and what it parked. For `/health` and
//! `/metrics`, over the read models the projector runs (the registry, `omi_projections::registry`).

use omi_store::{count_after, load_checkpoint, parked_counts, Database, LogPosition};
use schemars::JsonSchema;
use serde::Serialize;

use crate::state::AppState;

/// One read model's standing.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReadModelStatus {
    pub name: &'static str,
    /// Its checkpoint in commit order (`transaction/position`).
    #[serde(serialize_with = "display")]
    #[schemars(with = "String")]
    pub checkpoint: LogPosition,
    /// Committed events it has not applied yet.
    pub lag: i64,
    /// Events it parked instead of applying (see `omi-server parked list`).
    pub parked: i64,
}

fn display<S: serde::Serializer>(position: &LogPosition, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(position)
}

/// The standing of every read model the server projects.
pub async fn read_model_status(
    state: &AppState,
) -> Result<Vec<ReadModelStatus>, omi_store::ReadError> {
    let names: Vec<&'static str> = state
        .projector
        .projections()
        .iter()
        .map(|p| p.name())
        .collect();
    status_of(&state.database, &names).await
}

/// The standing of the read models `names`.
pub async fn status_of(
    database: &Database,
    names: &[&'static str],
) -> Result<Vec<ReadModelStatus>, omi_store::ReadError> {
    let parked = parked_counts(database).await?;
    let mut conn = database.pool().acquire().await?;
    let mut models = Vec::with_capacity(names.len());
    for name in names {
        let checkpoint = load_checkpoint(&mut conn, name).await?;
        models.push(ReadModelStatus {
            name,
            checkpoint,
            lag: 0,
            parked: parked
                .iter()
                .find(|(projection, _)| projection == name)
                .map_or(0, |(_, count)| *count),
        });
    }
    drop(conn);
    for model in &mut models {
        model.lag = count_after(database, model.checkpoint).await?;
    }
    Ok(models)
}
