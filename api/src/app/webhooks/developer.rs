//! The user's developer webhooks: setting a URL (`""` or `","` turns it off; the first URL issues the `whsec_`
//! secret), reading it with its secret, turning it on and off, the status of all four, rotating the secret.

use super::fresh_secret;
use omi_domain::developer_webhook::{
    clears, DeveloperWebhooks, DeveloperWebhooksCommand, WebhookType,
};
use omi_domain::storable::is_storable;
use omi_projections::webhooks::developer_webhooks;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::Caller;
use crate::error::{ApiError, ApiResult};
use crate::replies::Status;
use crate::state::AppState;

/// The longest URL accepted.
pub const MAX_URL_CHARS: usize = 2048;

/// The body of `POST /v1/users/developer/webhook/{wtype}`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct WebhookUrl {
    /// The URL posted to; `""` or `","` turns the webhook off. For `audio_bytes`, `"<url>,<seconds>"`.
    pub url: String,
}

/// A developer webhook as its owner reads it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WebhookView {
    /// Empty when none is set.
    pub url: String,
    /// The `whsec_` secret deliveries are signed with (Standard Webhooks); `null` until a URL is first set.
    pub secret: Option<String>,
}

/// A fresh secret.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Secret {
    pub secret: String,
}

/// Whether each developer webhook delivers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WebhooksStatus {
    pub audio_bytes: bool,
    pub memory_created: bool,
    pub realtime_transcript: bool,
    pub day_summary: bool,
}

/// The webhook type named in a path, or 422.
pub fn webhook_type(text: &str) -> ApiResult<WebhookType> {
    WebhookType::parse(text).ok_or_else(|| {
        ApiError::invalid(
            "path.wtype",
            "must be one of memory_created, realtime_transcript, audio_bytes, day_summary",
        )
    })
}

/// Sets the URL of `wtype` (or turns the webhook off).
pub async fn set_url(
    state: &AppState,
    caller: &Caller,
    wtype: WebhookType,
    body: WebhookUrl,
) -> ApiResult<Status> {
    let url = body.url.trim().to_string();
    if !clears(&url) {
        validate_url(wtype, &url)?;
    }
    let command = DeveloperWebhooksCommand::SetDeveloperWebhookUrl {
        uid: caller.uid.clone(),
        wtype,
        url,
        secret: fresh_secret()?,
        at: state.clock.now(),
    };
    run(state, caller, command).await?;
    Ok(Status::ok())
}

/// The URL and secret of `wtype`.
pub async fn get(state: &AppState, uid: &str, wtype: WebhookType) -> ApiResult<WebhookView> {
    let endpoint = developer_webhooks(&state.database, uid)
        .await?
        .endpoint(wtype);
    Ok(WebhookView {
        url: endpoint.url,
        secret: endpoint.secret,
    })
}

/// Turns `wtype` on or off.
pub async fn toggle(
    state: &AppState,
    caller: &Caller,
    wtype: WebhookType,
    on: bool,
) -> ApiResult<Status> {
    let (uid, at) = (caller.uid.clone(), state.clock.now());
    let command = if on {
        DeveloperWebhooksCommand::EnableDeveloperWebhook { uid, wtype, at }
    } else {
        DeveloperWebhooksCommand::DisableDeveloperWebhook {
            uid,
            wtype,
            reason: None,
            at,
        }
    };
    run(state, caller, command).await?;
    Ok(Status::ok())
}

/// Whether each webhook delivers (a URL is set and it is not turned off).
pub async fn status(state: &AppState, uid: &str) -> ApiResult<WebhooksStatus> {
    let row = developer_webhooks(&state.database, uid).await?;
    let on = |wtype| row.endpoint(wtype).is_enabled();
    Ok(WebhooksStatus {
        audio_bytes: on(WebhookType::AudioBytes),
        memory_created: on(WebhookType::MemoryCreated),
        realtime_transcript: on(WebhookType::RealtimeTranscript),
        day_summary: on(WebhookType::DaySummary),
    })
}

/// Replaces the secret of `wtype` (404 when it has no URL).
pub async fn rotate_secret(
    state: &AppState,
    caller: &Caller,
    wtype: WebhookType,
) -> ApiResult<Secret> {
    let secret = fresh_secret()?;
    let command = DeveloperWebhooksCommand::RotateDeveloperWebhookSecret {
        uid: caller.uid.clone(),
        wtype,
        secret: secret.clone(),
        at: state.clock.now(),
    };
    run(state, caller, command).await?;
    Ok(Secret { secret })
}

async fn run(
    state: &AppState,
    caller: &Caller,
    command: DeveloperWebhooksCommand,
) -> ApiResult<()> {
    state
        .execute::<DeveloperWebhooks>(&caller.uid, command, &caller.metadata)
        .await?;
    Ok(())
}

/// An absolute http(s) URL with a host, at most [`MAX_URL_CHARS`]; for `audio_bytes` optionally followed by
/// `,<seconds>` (whole seconds, 1-3600).
fn validate_url(wtype: WebhookType, url: &str) -> ApiResult<()> {
    let invalid = |msg: &str| Err(ApiError::invalid("body.url", msg));
    if url.chars().count() > MAX_URL_CHARS {
        return invalid("must be at most 2048 characters");
    }
    if !is_storable(url) || url.chars().any(char::is_whitespace) {
        return invalid("must not contain whitespace or the NUL character");
    }
    let address = match (wtype, url.rsplit_once(',')) {
        (WebhookType::AudioBytes, Some((address, seconds))) => {
            if !seconds
                .parse::<u32>()
                .is_ok_and(|s| (1..=3600).contains(&s))
            {
                return invalid(
                    "the seconds after the comma must be a whole number from 1 to 3600",
                );
            }
            address
        }
        _ => url,
    };
    match reqwest::Url::parse(address) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
            Ok(())
        }
        _ => invalid("must be an absolute http or https URL"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_of_bounded_length_are_accepted() {
        let memory = WebhookType::MemoryCreated;
        assert!(validate_url(memory, "https://hooks.example.com/omi?x=1").is_ok());
        for refused in [
            "ftp://hooks.example.com/omi",
            "hooks.example.com/omi",
            "https://",
            "https://a.example/\u{0}",
            "https://a.example/ b",
        ] {
            assert!(validate_url(memory, refused).is_err(), "{refused:?}");
        }
        let long = format!("https://a.example/{}", "x".repeat(MAX_URL_CHARS));
        assert!(validate_url(memory, &long).is_err());
    }

    #[test]
    fn audio_bytes_takes_a_batch_length_after_a_comma() {
        let audio = WebhookType::AudioBytes;
        assert!(validate_url(audio, "https://a.example/audio,5").is_ok());
        assert!(validate_url(audio, "https://a.example/audio").is_ok());
        assert!(validate_url(audio, "https://a.example/audio,0").is_err());
        assert!(validate_url(audio, "https://a.example/audio,soon").is_err());
    }
}
