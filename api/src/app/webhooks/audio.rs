//! The `audio_bytes` webhooks of apps and developers (spec §5.4): whether a user's live capture keeps its audio
//! for them, and how often; the spooled chunks become deliveries like every webhook (`AudioChunkRecorded` → the
//! webhook reactions → the delivery worker, which reads the chunk from the audio spool).

use omi_domain::app::TriggerEvent;
use omi_domain::conversation::ConversationEvent;
use omi_domain::developer_webhook::{WebhookType, DEFAULT_AUDIO_SECONDS};
use omi_projections::webhooks::developer_webhooks;
use omi_projections::ProjectionError;
use omi_store::{Database, StoredEvent};

use super::apps_called_on;
use super::schedule::with_uid;

/// What the body of an `audio_bytes` delivery is sent as.
pub const AUDIO_CONTENT_TYPE: &str = "application/octet-stream";

/// Seconds of audio per chunk a capture of `uid` keeps, or `None` when nothing takes the audio: the developer
/// webhook's batch length when it is on, else [`DEFAULT_AUDIO_SECONDS`] when an enabled app is called on
/// `audio_bytes`. Every receiver of the user gets the same chunks.
pub async fn audio_seconds(database: &Database, uid: &str) -> Result<Option<u32>, ProjectionError> {
    let developer = developer_webhooks(database, uid)
        .await?
        .endpoint(WebhookType::AudioBytes);
    if developer.is_enabled() {
        return Ok(Some(developer.audio_batches().1));
    }
    let apps = apps_called_on(database, uid, TriggerEvent::AudioBytes).await?;
    Ok((!apps.is_empty()).then_some(DEFAULT_AUDIO_SECONDS))
}

/// The chunk an event records for the `audio_bytes` webhooks: its id (what a delivery's body names) and the
/// audio's sample rate; `None` for every other event.
pub fn recorded_chunk(event: &StoredEvent) -> Option<(&str, u32)> {
    match event {
        StoredEvent::Conversation(ConversationEvent::AudioChunkRecorded {
            chunk_id,
            sample_rate,
            ..
        }) => Some((chunk_id, *sample_rate)),
        _ => None,
    }
}

/// `url` with the user and the audio's sample rate in its query (`?sample_rate=<hz>&uid=<uid>`).
pub fn audio_url(url: &str, uid: &str, sample_rate: u32) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    with_uid(&format!("{url}{joiner}sample_rate={sample_rate}"), uid)
}

#[cfg(test)]
mod tests {
    use super::audio_url;

    #[test]
    fn the_sample_rate_and_the_user_join_the_query() {
        assert_eq!(
            audio_url("https://a.example/audio", "u1", 16000),
            "https://a.example/audio?sample_rate=16000&uid=u1"
        );
        assert_eq!(
            audio_url("https://a.example/audio?k=v", "u1", 8000),
            "https://a.example/audio?k=v&sample_rate=8000&uid=u1"
        );
    }
}
