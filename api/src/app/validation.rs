//! What the modules of the application layer share to check input: problems collected with their place, and the
//! length rule of the spec's text fields.

use crate::error::{ApiError, ApiResult, Problem};

/// The problems found in one request, each at its place; a request with any writes nothing.
#[derive(Debug, Default)]
pub struct Problems(Vec<Problem>);

impl Problems {
    /// No problem yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem at `loc` (`body.content`, `body.memories.3.content`, `query.limit` …).
    pub fn add(&mut self, loc: &str, msg: impl Into<String>) {
        self.0.push(Problem::new(loc, msg));
    }

    /// Whether nothing was found.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when nothing was found, else the 422 with every problem.
    pub fn or<T>(self, value: T) -> ApiResult<T> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::Validation(self.0))
        }
    }

    /// `Ok(())` when nothing was found, else the 422 with every problem.
    pub fn finish(self) -> ApiResult<()> {
        self.or(())
    }
}

/// Checks that `text` (trimmed) holds at most `max` characters, recording `{field} must hold at most {max}
/// characters` at `loc` otherwise. Returns whether it fits.
pub fn check_length(
    problems: &mut Problems,
    loc: &str,
    field: &str,
    text: &str,
    max: usize,
) -> bool {
    let fits = text.trim().chars().count() <= max;
    if !fits {
        problems.add(loc, format!("{field} must be at most {max} characters"));
    }
    fits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_characters_of_the_trimmed_text() {
        let mut problems = Problems::new();
        assert!(check_length(
            &mut problems,
            "body.content",
            "content",
            "  ééé  ",
            3
        ));
        assert!(problems.is_empty());
        assert!(!check_length(
            &mut problems,
            "body.content",
            "content",
            "éééé",
            3
        ));
        let Err(ApiError::Validation(found)) = problems.finish() else {
            panic!("expected a validation error");
        };
        assert_eq!(found[0].loc, ["body", "content"]);
        assert_eq!(found[0].msg, "content must be at most 3 characters");
    }
}
