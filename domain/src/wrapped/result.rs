//! The recap a wrapped holds once generated (spec §7.12 `result`): counted fields, identical on every rebuild of
//! the same log, and written sections, from the configured language model or the deterministic rules.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The five decision-style archetypes of the spec, with what each says of the user.
pub const DECISION_STYLES: [(&str, &str); 5] = [
    (
        "Reflective Executor",
        "You think things through, then follow through: your plans turn into finished tasks.",
    ),
    (
        "Fast Iterative Thinker",
        "You decide quickly and adjust as you go, trying things rather than waiting for certainty.",
    ),
    (
        "Collaborative Planner",
        "You shape decisions with the people around you and plan them together.",
    ),
    (
        "Independent Builder",
        "You work things out on your own and build steadily, mostly in your own head.",
    ),
    (
        "Strategic Questioner",
        "You lead with questions, testing ideas from every side before you commit.",
    ),
];

/// A year's recap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WrappedResult {
    /// Completed, non-discarded conversations created in the year.
    pub total_conversations: u64,
    /// Days of the year with at least one such conversation.
    pub days_active: u64,
    /// Time spoken in them (segment timings; five minutes for one without segments), in hours, to 0.1.
    pub total_time_hours: f64,
    /// Up to five categories, most conversations first.
    pub top_categories: Vec<String>,
    /// Every category with its conversations, most first.
    pub category_breakdown: Vec<CategoryCount>,
    /// Action items created in the year (and not deleted).
    pub total_action_items: u64,
    /// Of those, the ones completed.
    pub completed_action_items: u64,
    /// `completed_action_items / total_action_items` to 0.01 (0 without action items).
    pub action_items_completion_rate: f64,
    /// The user's most repeated phrase, if any phrase came back at least twice.
    pub signature_phrase: Option<SignaturePhrase>,
    pub decision_style: DecisionStyle,
    /// Up to five of the user's most repeated phrases, with where the first one was said.
    pub top_phrases: Vec<Phrase>,
    pub memorable_days: MemorableDays,
    pub funniest_event: Option<Story>,
    pub most_embarrassing_event: Option<Story>,
    /// Up to five people.
    pub top_buddies: Vec<TopBuddy>,
    pub obsessions: Obsessions,
    /// Up to five titles.
    pub movie_recommendations: Vec<String>,
    pub struggle: LifeEvent,
    pub personal_win: LifeEvent,
}

/// A category and its conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CategoryCount {
    pub category: String,
    pub count: u64,
}

/// The phrase the user said most.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SignaturePhrase {
    pub phrase: String,
    pub count: u64,
}

/// One of the decision-style archetypes ([`DECISION_STYLES`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DecisionStyle {
    pub name: String,
    pub description: String,
}

/// A phrase and where it was said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Phrase {
    pub phrase: String,
    pub context: String,
}

/// The most fun, productive and stressful days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemorableDays {
    pub most_fun_day: Option<MemorableDay>,
    pub most_productive_day: Option<MemorableDay>,
    pub most_stressful_day: Option<MemorableDay>,
}

/// A day worth remembering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MemorableDay {
    /// "Month Day", e.g. "March 9".
    pub date: String,
    pub title: String,
    pub description: String,
    pub emoji: String,
}

/// A moment told as a short story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Story {
    /// "Month Day".
    pub date: String,
    pub title: String,
    pub story: String,
    pub emoji: String,
}

/// Someone the user spent the year talking with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TopBuddy {
    pub name: String,
    pub relationship: String,
    pub context: String,
    pub emoji: String,
}

/// What the user kept coming back to; `None` where nothing stood out.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Obsessions {
    pub show: Option<String>,
    pub movie: Option<String>,
    pub book: Option<String>,
    pub celebrity: Option<String>,
    pub food: Option<String>,
}

/// A struggle or a win of the year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LifeEvent {
    pub title: String,
    pub description: String,
}

/// The sections of a recap that are written rather than counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WrittenSections {
    pub decision_style: DecisionStyle,
    pub memorable_days: MemorableDays,
    pub funniest_event: Option<Story>,
    pub most_embarrassing_event: Option<Story>,
    pub top_buddies: Vec<TopBuddy>,
    pub obsessions: Obsessions,
    pub movie_recommendations: Vec<String>,
    pub struggle: LifeEvent,
    pub personal_win: LifeEvent,
}
