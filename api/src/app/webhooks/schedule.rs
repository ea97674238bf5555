//! Scheduling a delivery, shared by every sender of webhooks (developer webhooks now, app webhooks later): the
//! delivery's stream id is its idempotency key, so scheduling the same (cause, endpoint) again records nothing.

use omi_commands::{Appended, CommandBus, CommandError, Metadata};
use omi_domain::webhook_delivery::{
    delivery_id, Delivery, WebhookDelivery, WebhookDeliveryCommand, WebhookDeliveryEvent,
};
use omi_domain::{DomainError, Timestamp};

/// Schedules `delivery`, due at once; answers its id. The stream is taken to be new without reading it (the
/// usual case); when it is not, the append conflicts and the command runs again on the stream as stored, which
/// records nothing.
pub async fn schedule(
    commands: &CommandBus,
    delivery: Delivery,
    metadata: &Metadata,
    at: Timestamp,
) -> Result<(String, Appended<WebhookDeliveryEvent>), CommandError<DomainError>> {
    let id = delivery_id(&delivery.causing_event, &delivery.endpoint);
    let command = WebhookDeliveryCommand::ScheduleDelivery { delivery, at };
    let appended = commands
        .create::<WebhookDelivery>(&id, command, metadata)
        .await?;
    Ok((id, appended))
}

/// `url` with the user named in its query (`?uid=` or `&uid=` when it has a query already; spec §5.1).
pub fn with_uid(url: &str, uid: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(uid.as_bytes()).collect();
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}uid={encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_joins_the_query_the_url_has() {
        assert_eq!(
            with_uid("https://a.example/h", "u1"),
            "https://a.example/h?uid=u1"
        );
        assert_eq!(
            with_uid("https://a.example/h?k=v", "u 1"),
            "https://a.example/h?k=v&uid=u+1"
        );
    }
}
