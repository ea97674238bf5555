//! The embedded language model: deterministic, offline heuristics over the transcript (English
//! word lists; other languages get titles and overviews from keyword scoring, and few items).
//!
//! Pipeline: split into sentences (`doc`) → action items (`action_items`), events (`events`),
//! memories (`memories`), trend mentions (`trends`) → discard check (`discard`, skipped when forced) → title (`title`),
//! overview (`overview`), category (`category`) and emoji → shared validation
//! ([`crate::llm::normalize`]). Times resolve against the capture time in the user's time zone
//! (`dates`).

mod action_items;
mod apps;
mod category;
mod dates;
mod day;
mod discard;
mod doc;
mod events;
mod goals;
mod memories;
mod overview;
mod phrases;
mod salience;
mod title;
mod trends;
mod words;
mod wrapped;

#[cfg(test)]
mod tests;

use self::dates::Clock;
use self::discard::Signals;
use self::doc::Doc;
use self::salience::Salience;
use crate::llm::{
    category_emoji, checked_advice, input_text, normalize, Analysis, ConversationInput, DayInput,
    DayWriting, GoalContext, GoalInput, GoalSuggestion, LanguageModel, LlmError, ProgressReading,
    WrittenSections, YearInReview,
};

/// The embedded, deterministic language model (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct Extractive;

impl Extractive {
    pub fn new() -> Self {
        Extractive
    }

    /// The written sections of a yearly recap, computed synchronously (deterministic rules, no I/O).
    pub fn write_wrapped_sync(&self, year: &YearInReview) -> WrittenSections {
        wrapped::write(year)
    }

    /// The analysis, computed synchronously (it is cheap: no I/O).
    pub fn analyze_sync(&self, input: &ConversationInput) -> Analysis {
        let seed = input_text(input);
        if input.is_empty() {
            return Analysis::discarded(&seed);
        }
        let doc = Doc::from_input(input);
        if doc.sentences.is_empty() {
            return Analysis::discarded(&seed);
        }
        let clock = Clock::new(input.started_at, input.utc_offset_minutes);
        let action_items = action_items::action_items(&doc, &clock);
        let events = events::events(&doc, &clock);
        let memories = memories::memories(&doc);
        let signals = Signals {
            action_items: !action_items.is_empty(),
            events: !events.is_empty(),
            memories: !memories.is_empty(),
        };
        if !input.force && discard::should_discard(&doc, signals) {
            return Analysis::discarded(&seed);
        }
        let salience = Salience::new(&doc);
        let category = category::category(&doc);
        let analysis = Analysis {
            discarded: false,
            title: title::title(&doc, &salience, &clock, input.title_hint.as_deref()),
            overview: overview::overview(&doc, &salience),
            emoji: category_emoji(category).to_string(),
            category: category.to_string(),
            action_items,
            events,
            memories,
            trends: trends::trends(doc.sentences.iter().map(|s| s.text.as_str())),
        };
        normalize(analysis, input)
    }
}

#[async_trait::async_trait]
impl LanguageModel for Extractive {
    fn name(&self) -> &str {
        "extractive"
    }

    async fn analyze(&self, input: &ConversationInput) -> Result<Analysis, LlmError> {
        Ok(self.analyze_sync(input))
    }

    async fn write_daily_summary(&self, day: &DayInput) -> Result<DayWriting, LlmError> {
        Ok(day::write_day(day).checked(day))
    }

    async fn write_wrapped(&self, year: &YearInReview) -> Result<WrittenSections, LlmError> {
        Ok(wrapped::write(year))
    }

    async fn suggest_goal(&self, context: &GoalContext) -> Result<GoalSuggestion, LlmError> {
        goals::suggest(context)
            .checked()
            .ok_or_else(|| LlmError::BadResponse("the suggestion has no title".into()))
    }

    async fn advise_on_goal(
        &self,
        goal: &GoalInput,
        context: &GoalContext,
    ) -> Result<String, LlmError> {
        checked_advice(&goals::advise(goal, context))
            .ok_or_else(|| LlmError::BadResponse("no advice".into()))
    }

    async fn extract_goal_progress(
        &self,
        goal: &GoalInput,
        text: &str,
    ) -> Result<Option<ProgressReading>, LlmError> {
        Ok(goals::extract_progress(goal, text).and_then(ProgressReading::checked))
    }

    async fn run_app_prompt(
        &self,
        input: &crate::llm::apps::AppPromptInput,
    ) -> Result<Option<String>, LlmError> {
        Ok(apps::run(input))
    }
}
