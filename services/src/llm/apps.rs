//! What a summarization app's `memory_prompt` (spec §3.2 step 6) is run on, and the check of what it gives back.
//! With a model the prompt is the model's instruction; offline the prompt picks the passages of the conversation
//! that share the most words with it.

/// One conversation as an app's prompt reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AppPromptInput {
    pub app_name: String,
    /// The app's `memory_prompt`.
    pub prompt: String,
    pub title: String,
    pub overview: String,
    /// The transcript, a `Speaker: text` line per segment (or the imported text).
    pub transcript: String,
    /// The language the result is written in.
    pub language: String,
}

/// The longest result kept, in characters.
pub const MAX_RESULT_CHARS: usize = 20_000;

/// A result as it can be stored: trimmed, without NUL characters, at most [`MAX_RESULT_CHARS`]; `None` when
/// nothing is left.
pub fn checked_result(text: &str) -> Option<String> {
    let cleaned: String = text
        .replace('\0', "")
        .trim()
        .chars()
        .take(MAX_RESULT_CHARS)
        .collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_trimmed_cleaned_and_bounded() {
        assert_eq!(checked_result("  a\0b  ").as_deref(), Some("ab"));
        assert_eq!(checked_result(" \0 "), None);
        let long = "x".repeat(MAX_RESULT_CHARS + 10);
        assert_eq!(
            checked_result(&long).unwrap().chars().count(),
            MAX_RESULT_CHARS
        );
    }
}
