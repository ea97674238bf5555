//! `POST /v1/users/fcm-token`: the device's push token and time zone.

use omi_domain::device::{
    device_id, device_key, Device, DeviceCommand, MAX_DEVICE_KEY_PART_CHARS, MAX_TOKEN_CHARS,
};
use omi_domain::user::parse_time_zone;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::users::profile::{change_profile, ProfileUpdate};
use crate::app::users::settings;
use crate::app::validation::{check_length, Problems};
use crate::app::Caller;
use crate::error::ApiResult;
use crate::state::AppState;

/// A device's push token.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct TokenInput {
    /// The Firebase Cloud Messaging registration token (1 to 4096 characters).
    pub fcm_token: String,
    /// The device's IANA time zone (`Europe/Paris`); it becomes the profile's time zone.
    pub time_zone: Option<String>,
}

/// Records the token of the device named by the `X-App-Platform` and `X-Device-Id-Hash` headers (each at most
/// 128 characters), and the time zone as the profile's when it is another. A token that is empty or too long, a
/// time zone that is not an IANA name: 422, nothing recorded.
pub async fn register_token(
    state: &AppState,
    caller: &Caller,
    platform: Option<&str>,
    device_hash: Option<&str>,
    input: TokenInput,
) -> ApiResult<()> {
    let mut problems = Problems::new();
    let token = input.fcm_token.trim().to_string();
    if token.is_empty() {
        problems.add("body.fcm_token", "fcm_token must not be empty");
    }
    check_length(
        &mut problems,
        "body.fcm_token",
        "fcm_token",
        &token,
        MAX_TOKEN_CHARS,
    );
    for (loc, name, value) in [
        ("header.X-App-Platform", "X-App-Platform", platform),
        ("header.X-Device-Id-Hash", "X-Device-Id-Hash", device_hash),
    ] {
        if let Some(value) = value {
            check_length(&mut problems, loc, name, value, MAX_DEVICE_KEY_PART_CHARS);
        }
    }
    let time_zone = input
        .time_zone
        .map(|zone| zone.trim().to_string())
        .filter(|zone| !zone.is_empty());
    if let Some(zone) = &time_zone {
        if let Err(refusal) = parse_time_zone(zone) {
            problems.add("body.time_zone", refusal.to_string());
        }
    }
    problems.finish()?;
    let key = device_key(platform, device_hash);
    let command = DeviceCommand::RegisterToken {
        uid: caller.uid.clone(),
        device_key: key.clone(),
        token,
        time_zone: time_zone.clone(),
        at: state.clock.now(),
    };
    state
        .execute::<Device>(&device_id(&caller.uid, &key), command, &caller.metadata)
        .await?;
    if let Some(zone) = time_zone {
        if settings(state, &caller.uid)
            .await?
            .profile
            .time_zone
            .as_deref()
            != Some(zone.as_str())
        {
            let update = ProfileUpdate {
                time_zone: Some(zone),
                ..ProfileUpdate::default()
            };
            change_profile(state, caller, update).await?;
        }
    }
    Ok(())
}
