//! The values a goal is made of: its type, its id and the limits of its text.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The longest title, in characters (spec §2.10: 1–500).
pub const MAX_TITLE: usize = 500;
/// The longest unit label, in characters ("steps", "km", "users": a label, not a sentence).
pub const MAX_UNIT: usize = 50;

/// How a goal is measured (spec §2.10).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GoalType {
    /// Done or not done: 0 or 1.
    Boolean,
    /// A rating on a scale, 0–10 by default.
    #[default]
    Scale,
    /// A count or an amount (users, kilometres, euros).
    Numeric,
}

impl GoalType {
    /// The wire name (`boolean`, `scale`, `numeric`).
    pub fn as_str(self) -> &'static str {
        match self {
            GoalType::Boolean => "boolean",
            GoalType::Scale => "scale",
            GoalType::Numeric => "numeric",
        }
    }

    /// The type named `name` on the wire, if any.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "boolean" => Some(GoalType::Boolean),
            "scale" => Some(GoalType::Scale),
            "numeric" => Some(GoalType::Numeric),
            _ => None,
        }
    }
}

/// A fresh goal id: `goal_` and 12 lowercase hex digits, taken from a random UUID as the reference does.
pub fn new_goal_id() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("goal_{}", &hex[..12])
}

/// Whether `id` has the form of a goal id (`goal_` and 12 lowercase hex digits).
pub fn is_goal_id(id: &str) -> bool {
    id.strip_prefix("goal_").is_some_and(|hex| {
        hex.len() == 12
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_goal_id_has_the_spec_form_and_differs_each_time() {
        let (a, b) = (new_goal_id(), new_goal_id());
        assert!(is_goal_id(&a), "{a}");
        assert_ne!(a, b);
        assert!(!is_goal_id("goal_ABCDEF123456"));
        assert!(!is_goal_id("goal_123"));
        assert!(!is_goal_id("5b8e2c1a-3f4d-4e6a-9b7c-1d2e3f4a5b6c"));
    }

    #[test]
    fn goal_types_read_their_wire_names() {
        for kind in [GoalType::Boolean, GoalType::Scale, GoalType::Numeric] {
            assert_eq!(GoalType::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(GoalType::parse("percent"), None);
        assert_eq!(GoalType::default(), GoalType::Scale);
    }
}
