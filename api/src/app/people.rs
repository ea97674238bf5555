//! People the user talks with (spec §2.6, §7.10 `people*`): create (idempotent by name), list, get, rename,
//! delete, and the check that a `person_id` given to a conversation names one of the caller's people. Another
//! user's person answers 404 as if it did not exist. Speech samples are not stored yet: every person has none.

use omi_domain::person::{
    checked_name, person_id, Person, PersonCommand, MAX_NAME_CHARS, MIN_NAME_CHARS, SLOT_TAKEN,
};
use omi_projections::people::{self, PersonView};
use schemars::JsonSchema;
use serde::Deserialize;

use super::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How many slots of one name creation tries (a slot is taken for good by a person renamed since; see
/// [`omi_domain::person`]). More renames away from one name than this make creating it again 409.
const SLOTS: u32 = 32;

/// A person to create.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PersonInput {
    /// 2 to 40 characters (trimmed).
    pub name: String,
}

fn not_found() -> ApiError {
    ApiError::NotFound("Person not found".into())
}

/// The name trimmed, or 422 at `loc` unless it holds 2 to 40 characters.
fn name_at(loc: &str, name: &str) -> ApiResult<String> {
    checked_name(name).map_err(|_| {
        ApiError::invalid(
            loc,
            format!("name must be between {MIN_NAME_CHARS} and {MAX_NAME_CHARS} characters"),
        )
    })
}

/// Creates the person, or answers the user's person of that name if there is one (compared trimmed, case and
/// runs of spaces aside). Two concurrent creations of one name aim at the same stream, so only one person is
/// recorded.
pub async fn create(
    state: &AppState,
    caller: &Caller,
    input: PersonInput,
) -> ApiResult<PersonView> {
    let name = name_at("body.name", &input.name)?;
    if let Some(existing) = people::by_name(&state.database, &caller.uid, &name).await? {
        return Ok(existing);
    }
    for slot in 0..SLOTS {
        let id = person_id(&caller.uid, &name, slot);
        let command = PersonCommand::CreatePerson {
            uid: caller.uid.clone(),
            name: name.clone(),
            at: state.clock.now(),
        };
        match state
            .execute::<Person>(&id, command, &caller.metadata)
            .await
        {
            Ok(appended) => {
                if appended.events.is_empty() {
                    // Another request created this person first: its event is in the log, but perhaps not
                    // yet in the read models.
                    let head = omi_store::head_position(&state.database)
                        .await
                        .map_err(|error| ApiError::Internal(error.to_string()))?;
                    state.caught_up(Some(head)).await?;
                }
                return read(state, &caller.uid, &id).await;
            }
            Err(ApiError::Conflict(message)) if message == SLOT_TAKEN => continue,
            Err(other) => return Err(other),
        }
    }
    Err(ApiError::Conflict(format!(
        "A person named {name} was renamed too many times; choose another name"
    )))
}

/// The user's people, oldest first.
pub async fn list(state: &AppState, uid: &str) -> ApiResult<Vec<PersonView>> {
    Ok(people::list(&state.database, uid).await?)
}

/// The user's person, or 404.
pub async fn read(state: &AppState, uid: &str, id: &str) -> ApiResult<PersonView> {
    people::get(&state.database, uid, id)
        .await?
        .ok_or_else(not_found)
}

/// Renames the user's person (2 to 40 characters, else 422); 404 when it is not theirs.
pub async fn rename(
    state: &AppState,
    caller: &Caller,
    id: &str,
    name: &str,
) -> ApiResult<PersonView> {
    let name = name_at("query.value", name)?;
    read(state, &caller.uid, id).await?;
    let command = PersonCommand::RenamePerson {
        uid: caller.uid.clone(),
        name,
        at: state.clock.now(),
    };
    state
        .execute::<Person>(id, command, &caller.metadata)
        .await?;
    read(state, &caller.uid, id).await
}

/// Deletes the user's person; 404 when it is not theirs.
pub async fn delete(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    read(state, &caller.uid, id).await?;
    let command = PersonCommand::DeletePerson {
        uid: caller.uid.clone(),
        at: state.clock.now(),
    };
    state
        .execute::<Person>(id, command, &caller.metadata)
        .await?;
    Ok(())
}

/// Deleting one speech sample: the person must be the user's (404), and since no samples are stored yet, every
/// index is 404 too.
pub async fn delete_speech_sample(
    state: &AppState,
    uid: &str,
    id: &str,
    index: &str,
) -> ApiResult<()> {
    let person = read(state, uid, id).await?;
    Err(ApiError::NotFound(format!(
        "Speech sample {} not found: {} has no speech samples (this server does not store them yet)",
        index.chars().take(16).collect::<String>(),
        person.name
    )))
}

/// Checks that `person_id` names one of the user's people (404 otherwise): a conversation's segments may only
/// be assigned to them.
pub async fn check_person(state: &AppState, uid: &str, person_id: &str) -> ApiResult<()> {
    read(state, uid, person_id).await.map(drop)
}
