//! The values of a chat: the thread id of a context, message types, rating reasons and the limits.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DomainError;

/// The most conversations one AI answer cites (spec §6.4).
pub const MAX_CITED: usize = 5;
/// The most characters of one message's text.
pub const MAX_TEXT_CHARS: usize = 10_000;

const THREAD_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_695f_6368_6174_5f74_6872_6561_6431);

/// The app context a request names: `None` for the main chat, which clients also spell `"null"` or `""`.
pub fn app_context(app_id: Option<&str>) -> Option<String> {
    app_id
        .map(str::trim)
        .filter(|id| !id.is_empty() && *id != "null")
        .map(str::to_string)
}

/// The id of the chat thread (and its stream) of `uid` in the context of `app_id` (`None`: the main chat).
pub fn thread_id(uid: &str, app_id: Option<&str>) -> String {
    let seed = format!("{uid}\u{1f}{}", app_id.unwrap_or(""));
    Uuid::new_v5(&THREAD_ID_NAMESPACE, seed.as_bytes()).to_string()
}

/// A message's text as it is stored, or why it is refused: not blank, at most [`MAX_TEXT_CHARS`] characters,
/// no NUL character.
pub fn checked_text(text: &str) -> Result<&str, DomainError> {
    if text.trim().is_empty() {
        return Err(DomainError::Invalid("text must not be empty".into()));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(DomainError::Invalid(format!(
            "text must be at most {MAX_TEXT_CHARS} characters"
        )));
    }
    if text.contains('\0') {
        return Err(DomainError::Invalid(
            "text must not contain NUL characters".into(),
        ));
    }
    Ok(text)
}

/// What an AI message is (spec §2.8 `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    #[default]
    Text,
    DaySummary,
}

/// Why a user rated a message (spec §6.4, `POST /v1/users/analytics/chat_message`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RatingReason {
    TooVerbose,
    IncorrectOrHallucination,
    NotHelpfulOrIrrelevant,
    DidntFollowInstructions,
    Other,
}

impl RatingReason {
    /// Every reason, as the wire spells them.
    pub const ALL: [(&'static str, RatingReason); 5] = [
        ("too_verbose", RatingReason::TooVerbose),
        (
            "incorrect_or_hallucination",
            RatingReason::IncorrectOrHallucination,
        ),
        (
            "not_helpful_or_irrelevant",
            RatingReason::NotHelpfulOrIrrelevant,
        ),
        (
            "didnt_follow_instructions",
            RatingReason::DidntFollowInstructions,
        ),
        ("other", RatingReason::Other),
    ];

    /// The reason the wire spells `name`.
    pub fn parse(name: &str) -> Option<RatingReason> {
        Self::ALL
            .iter()
            .find(|(spelled, _)| *spelled == name)
            .map(|(_, reason)| *reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_empty_app_ids_mean_the_main_chat() {
        assert_eq!(app_context(Some("null")), None);
        assert_eq!(app_context(Some(" ")), None);
        assert_eq!(app_context(None), None);
        assert_eq!(app_context(Some("app-1")), Some("app-1".into()));
    }

    #[test]
    fn each_user_and_context_has_its_own_thread() {
        assert_eq!(thread_id("u", None), thread_id("u", None));
        assert_ne!(thread_id("u", None), thread_id("u", Some("a")));
        assert_ne!(thread_id("u", None), thread_id("v", None));
    }

    #[test]
    fn a_text_is_not_blank_not_too_long_and_has_no_nul() {
        assert!(checked_text("hi").is_ok());
        assert!(checked_text("  ").is_err());
        assert!(checked_text("a\0b").is_err());
        assert!(checked_text(&"é".repeat(MAX_TEXT_CHARS)).is_ok());
        assert!(checked_text(&"é".repeat(MAX_TEXT_CHARS + 1)).is_err());
    }

    #[test]
    fn every_rating_reason_parses_from_its_wire_name() {
        for (name, reason) in RatingReason::ALL {
            assert_eq!(RatingReason::parse(name), Some(reason));
            assert_eq!(serde_json::to_value(reason).unwrap(), name);
        }
        assert_eq!(RatingReason::parse("rude"), None);
    }
}
