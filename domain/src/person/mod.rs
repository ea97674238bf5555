//! People the user talks with (spec §2.6 Person, §7.10 `people*`): a name of 2 to 40 characters, created once per
//! name. One stream per person, whose id is derived from the user, the normalized name and a slot number
//! ([`person_id`]): two concurrent creations of the same name aim at the same stream, so the log's optimistic
//! concurrency lets one of them record the person and the other finds it there. A slot is taken for good by the
//! person created in it, also after a rename, so a later creation of the first name moves on to the next slot.
//! Speech samples are not stored yet.

mod aggregate;
mod commands;
mod events;

use uuid::Uuid;

pub use aggregate::{Person, SLOT_TAKEN};
pub use commands::PersonCommand;
pub use events::PersonEvent;

/// The fewest characters of a person's name (trimmed).
pub const MIN_NAME_CHARS: usize = 2;
/// The most characters of a person's name (trimmed).
pub const MAX_NAME_CHARS: usize = 40;
/// The speech-sample format version the API answers with (spec §2.6).
pub const SPEECH_SAMPLES_VERSION: u32 = 3;

const PERSON_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_695f_7065_7273_6f6e_5f69_645f_7631);

/// How names are compared: trimmed, runs of white space as one space, lower case.
pub fn normalized_name(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The id of the person `uid` creates under `name` in `slot` (0 first), and of its stream.
pub fn person_id(uid: &str, name: &str, slot: u32) -> String {
    let seed = format!("{uid}\u{1f}{}\u{1f}{slot}", normalized_name(name));
    Uuid::new_v5(&PERSON_ID_NAMESPACE, seed.as_bytes()).to_string()
}

/// A name as it is stored (trimmed), or why it is refused.
pub fn checked_name(name: &str) -> Result<String, crate::DomainError> {
    let trimmed = name.trim();
    let length = trimmed.chars().count();
    if !(MIN_NAME_CHARS..=MAX_NAME_CHARS).contains(&length) {
        return Err(crate::DomainError::Invalid(format!(
            "name must be between {MIN_NAME_CHARS} and {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_depends_on_the_user_the_normalized_name_and_the_slot() {
        assert_eq!(
            person_id("u", " Ada  Lovelace ", 0),
            person_id("u", "ada lovelace", 0)
        );
        assert_ne!(person_id("u", "Ada", 0), person_id("v", "Ada", 0));
        assert_ne!(person_id("u", "Ada", 0), person_id("u", "Ada", 1));
    }

    #[test]
    fn a_name_is_two_to_forty_characters_after_trimming() {
        assert_eq!(checked_name("  Jo ").unwrap(), "Jo");
        assert!(checked_name(" J ").is_err());
        assert!(checked_name(&"é".repeat(40)).is_ok());
        assert!(checked_name(&"é".repeat(41)).is_err());
    }
}
