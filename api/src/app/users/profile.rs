//! The profile (`GET/PATCH /v1/users/profile`) and the last geolocation (`PATCH /v1/users/geolocation`).

use omi_domain::user::{
    parse_time_zone, Geolocation, Profile, UserCommand, MAX_PROFILE_FIELD_CHARS,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{execute, settings};
use crate::app::validation::{check_length, Problems};
use crate::app::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// The profile as the API shows it (spec §7.10).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ProfileView {
    pub uid: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// IANA time zone name; daily summaries are written at their hour of this zone (UTC when absent).
    pub time_zone: Option<String>,
    pub motivation: Option<String>,
    pub use_case: Option<String>,
    pub job: Option<String>,
    pub company: Option<String>,
}

/// A change of profile: absent fields are left alone, an empty string clears one.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct ProfileUpdate {
    /// At most 500 characters, as are the other text fields.
    pub name: Option<String>,
    pub email: Option<String>,
    /// An IANA time zone name such as `Europe/Paris`.
    pub time_zone: Option<String>,
    pub motivation: Option<String>,
    pub use_case: Option<String>,
    pub job: Option<String>,
    pub company: Option<String>,
}

/// The user's profile.
pub async fn profile(state: &AppState, uid: &str) -> ApiResult<ProfileView> {
    let Profile {
        name,
        email,
        time_zone,
        motivation,
        use_case,
        job,
        company,
    } = settings(state, uid).await?.profile;
    Ok(ProfileView {
        uid: uid.to_string(),
        email,
        name,
        time_zone,
        motivation,
        use_case,
        job,
        company,
    })
}

/// Changes the given profile fields: each at most 500 characters, the time zone an IANA name (422 otherwise).
pub async fn change_profile(
    state: &AppState,
    caller: &Caller,
    update: ProfileUpdate,
) -> ApiResult<ProfileView> {
    let mut problems = Problems::new();
    let mut field = |name: &str, value: Option<String>| {
        let value = value.map(|value| value.trim().to_string());
        if let Some(text) = &value {
            check_length(
                &mut problems,
                &format!("body.{name}"),
                name,
                text,
                MAX_PROFILE_FIELD_CHARS,
            );
        }
        value
    };
    let changes = Profile {
        name: field("name", update.name),
        email: field("email", update.email),
        time_zone: field("time_zone", update.time_zone),
        motivation: field("motivation", update.motivation),
        use_case: field("use_case", update.use_case),
        job: field("job", update.job),
        company: field("company", update.company),
    };
    if let Some(zone) = changes.time_zone.as_deref().filter(|zone| !zone.is_empty()) {
        if let Err(refusal) = parse_time_zone(zone) {
            problems.add("body.time_zone", refusal.to_string());
        }
    }
    problems.finish()?;
    let command = UserCommand::ChangeProfile {
        uid: caller.uid.clone(),
        changes,
        at: state.clock.now(),
    };
    execute(state, caller, command).await?;
    profile(state, &caller.uid).await
}

/// Records where the user is, unless it is where they last were at 4 decimals (then nothing is appended).
/// Coordinates off the globe and text fields over 500 characters are 422.
pub async fn record_geolocation(
    state: &AppState,
    caller: &Caller,
    geolocation: Geolocation,
) -> ApiResult<()> {
    let mut problems = Problems::new();
    if !(-90.0..=90.0).contains(&geolocation.latitude) {
        problems.add("body.latitude", "latitude must be between -90 and 90");
    }
    if !(-180.0..=180.0).contains(&geolocation.longitude) {
        problems.add("body.longitude", "longitude must be between -180 and 180");
    }
    for (name, text) in [
        ("google_place_id", &geolocation.google_place_id),
        ("address", &geolocation.address),
        ("location_type", &geolocation.location_type),
    ] {
        if let Some(text) = text {
            check_length(
                &mut problems,
                &format!("body.{name}"),
                name,
                text,
                MAX_PROFILE_FIELD_CHARS,
            );
        }
    }
    problems.finish()?;
    let command = UserCommand::RecordGeolocation {
        uid: caller.uid.clone(),
        geolocation,
        at: state.clock.now(),
    };
    execute(state, caller, command).await
}
