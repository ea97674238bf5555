//! The user's connections to outside accounts (spec §7.3): one stream per user and integration key
//! (`google_calendar`, `apple_health` …), holding whether it is connected, the tokens the connection gave (never
//! shown back), and for Apple Health the last synced metrics. A connection made through the OAuth callback names
//! the state it consumed, so a state is used once.

mod aggregate;
mod commands;
mod events;

use uuid::Uuid;

pub use aggregate::Integration;
pub use commands::IntegrationCommand;
pub use events::IntegrationEvent;

/// The key of Apple Health, whose metrics are synced rather than fetched.
pub const APPLE_HEALTH: &str = "apple_health";
/// The most characters of an integration key.
pub const MAX_KEY_CHARS: usize = 64;
/// The most characters of a token.
pub const MAX_TOKEN_CHARS: usize = 8192;

const INTEGRATION_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_695f_696e_7465_6772_6174_696f_6e31);

/// The id of the stream of `uid`'s integration `key`.
pub fn integration_id(uid: &str, key: &str) -> String {
    let seed = format!("{uid}\u{1f}{key}");
    Uuid::new_v5(&INTEGRATION_ID_NAMESPACE, seed.as_bytes()).to_string()
}

/// Whether `key` is a well-formed integration key: 1 to 64 of `a-z`, `0-9`, `_` and `-`. The path spelling
/// `apple-health` and `google-calendar` name the same integrations as the keys with `_` ([`canonical_key`]).
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY_CHARS
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The key as it is stored: `-` spelled `_`.
pub fn canonical_key(key: &str) -> String {
    key.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_lower_case_words() {
        assert!(is_valid_key("google_calendar"));
        assert!(is_valid_key("apple-health"));
        assert!(!is_valid_key(""));
        assert!(!is_valid_key("Google"));
        assert!(!is_valid_key("a/b"));
        assert!(!is_valid_key(&"a".repeat(65)));
        assert_eq!(canonical_key("apple-health"), APPLE_HEALTH);
        assert_ne!(integration_id("u", "a"), integration_id("v", "a"));
    }
}
