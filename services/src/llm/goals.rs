//! What a language model is given and gives back for goals (spec §7.14): a suggestion of a goal from what the
//! user's memories and conversations talk about, advice on reaching a goal, and a progress value read from a
//! piece of text. Every answer goes through its `checked` function, so a caller can store it as it is.

use omi_domain::goal::{GoalType, MAX_TITLE};

/// The longest advice or reasoning kept, in characters.
const MAX_TEXT: usize = 1_000;

/// A goal as a model reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalInput {
    pub title: String,
    pub goal_type: GoalType,
    pub target_value: f64,
    pub current_value: f64,
    pub min_value: f64,
    pub max_value: f64,
    pub unit: Option<String>,
    /// The progress values recorded lately, oldest first.
    pub recent_progress: Vec<f64>,
}

/// What the user's data says about them: memory contents and conversation titles with overviews, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GoalContext {
    pub memories: Vec<String>,
    pub conversations: Vec<String>,
}

/// A suggested goal (`GoalSuggestionResponse`).
#[derive(Debug, Clone, PartialEq)]
pub struct GoalSuggestion {
    pub title: String,
    pub goal_type: GoalType,
    pub target: f64,
    pub min: f64,
    pub max: f64,
    pub reasoning: String,
}

/// A progress value found in a text, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressReading {
    pub value: f64,
    pub reasoning: String,
}

/// Text cleaned for storage and display: trimmed, without NUL characters, at most `max` characters.
pub(crate) fn clean(text: &str, max: usize) -> String {
    text.replace('\0', "").trim().chars().take(max).collect()
}

impl GoalSuggestion {
    /// The suggestion as a goal could be created from it: a title of 1–500 characters (`None` when blank),
    /// finite numbers, the bounds in order (swapped when reversed), a reasoning of at most 1,000 characters.
    pub fn checked(self) -> Option<GoalSuggestion> {
        let title = clean(&self.title, MAX_TITLE);
        let finite = [self.target, self.min, self.max]
            .iter()
            .all(|value| value.is_finite());
        if title.is_empty() || !finite {
            return None;
        }
        let (min, max) = if self.min <= self.max {
            (self.min, self.max)
        } else {
            (self.max, self.min)
        };
        Some(GoalSuggestion {
            title,
            goal_type: self.goal_type,
            target: self.target,
            min,
            max,
            reasoning: clean(&self.reasoning, MAX_TEXT),
        })
    }
}

/// Advice as it is shown: cleaned, at most 1,000 characters; `None` when blank.
pub fn checked_advice(advice: &str) -> Option<String> {
    Some(clean(advice, MAX_TEXT)).filter(|advice| !advice.is_empty())
}

impl ProgressReading {
    /// The reading when its value is a finite number; the reasoning cleaned.
    pub fn checked(self) -> Option<ProgressReading> {
        self.value.is_finite().then(|| ProgressReading {
            value: self.value,
            reasoning: clean(&self.reasoning, MAX_TEXT),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggestion(title: &str, min: f64, max: f64) -> GoalSuggestion {
        GoalSuggestion {
            title: title.into(),
            goal_type: GoalType::Scale,
            target: 8.0,
            min,
            max,
            reasoning: "because\0".into(),
        }
    }

    #[test]
    fn a_suggestion_is_cleaned_and_its_bounds_put_in_order() {
        let checked = suggestion("  Sleep more ", 10.0, 0.0).checked().unwrap();
        assert_eq!(checked.title, "Sleep more");
        assert_eq!((checked.min, checked.max), (0.0, 10.0));
        assert_eq!(checked.reasoning, "because");
        assert!(suggestion(" ", 0.0, 10.0).checked().is_none());
        assert!(suggestion("x", f64::NAN, 10.0).checked().is_none());
    }

    #[test]
    fn blank_advice_and_infinite_readings_are_refused() {
        assert_eq!(checked_advice(" \0 "), None);
        assert_eq!(checked_advice(" Walk. "), Some("Walk.".into()));
        let reading = ProgressReading {
            value: f64::INFINITY,
            reasoning: String::new(),
        };
        assert!(reading.checked().is_none());
    }
}
