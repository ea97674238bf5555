//! The devices a user receives push notifications on (spec §7.8 `POST /v1/users/fcm-token`): one stream per
//! device, whose id is derived from the user and the device key (`<platform>_<device id hash>`), holding the
//! device's current push token. A token the push service reports as no longer registered is dropped, unless the
//! device has registered a newer one since.

mod aggregate;
mod commands;
mod events;

use uuid::Uuid;

pub use aggregate::Device;
pub use commands::DeviceCommand;
pub use events::DeviceEvent;

/// The most characters of a push token (FCM tokens are about 160).
pub const MAX_TOKEN_CHARS: usize = 4096;
/// The most characters of a device key's platform and of its device id hash.
pub const MAX_DEVICE_KEY_PART_CHARS: usize = 128;

const DEVICE_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_695f_6465_7669_6365_5f69_645f_7631);

/// The id of the stream of `uid`'s device `device_key`.
pub fn device_id(uid: &str, device_key: &str) -> String {
    let seed = format!("{uid}\u{1f}{device_key}");
    Uuid::new_v5(&DEVICE_ID_NAMESPACE, seed.as_bytes()).to_string()
}

/// The device key the reference builds from the `X-App-Platform` and `X-Device-Id-Hash` headers:
/// `<platform>_<hash>`, each part trimmed; missing parts count as `unknown`.
pub fn device_key(platform: Option<&str>, hash: Option<&str>) -> String {
    let part = |value: Option<&str>| {
        value
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .unwrap_or("unknown")
            .to_string()
    };
    format!("{}_{}", part(platform), part(hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_depends_on_the_user_and_the_device_key() {
        assert_eq!(device_id("u", "ios_1"), device_id("u", "ios_1"));
        assert_ne!(device_id("u", "ios_1"), device_id("v", "ios_1"));
        assert_ne!(device_id("u", "ios_1"), device_id("u", "ios_2"));
    }

    #[test]
    fn missing_header_parts_are_unknown() {
        assert_eq!(device_key(Some(" ios "), Some("abc")), "ios_abc");
        assert_eq!(device_key(None, Some("")), "unknown_unknown");
    }
}
