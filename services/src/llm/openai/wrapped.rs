//! The written sections of a yearly recap from an OpenAI-compatible model: one chat completion asking for a JSON
//! object in the shape of [`WrittenSections`], given the year's conversations (date, category, title, overview;
//! at most [`CONVERSATIONS_IN_PROMPT`], spread evenly over the year) and its counted figures. The answer is
//! checked: a decision style outside the five archetypes or a missing section makes it unusable.

use omi_domain::wrapped::DECISION_STYLES;
use serde_json::json;

use super::wire::Format;
use super::OpenAiCompatible;
use crate::llm::wrapped::{month_day, WrittenSections, YearInReview};
use crate::llm::LlmError;

/// How many conversations the prompt lists at most.
pub(crate) const CONVERSATIONS_IN_PROMPT: usize = 200;

fn system_prompt() -> String {
    let styles = DECISION_STYLES
        .iter()
        .map(|(name, description)| format!("- {name}: {description}"))
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        "You write the sections of a user's yearly recap (\"Wrapped\") from their conversations of the year. \
Answer with one JSON object and nothing else, with exactly these keys:\n\
decision_style {{name, description}} where name is one of:\n{styles}\n\
memorable_days {{most_fun_day, most_productive_day, most_stressful_day}}, each {{date (\"Month Day\"), title, \
description, emoji}} or null;\n\
funniest_event and most_embarrassing_event, each {{date (\"Month Day\"), title, story, emoji}} or null;\n\
top_buddies: at most 5 {{name, relationship, context, emoji}};\n\
obsessions {{show, movie, book, celebrity, food}}, each a string or null;\n\
movie_recommendations: at most 5 film titles;\n\
struggle {{title, description}} and personal_win {{title, description}}.\n\
Use only what the conversations say; write to the user as \"you\"."
    )
}

fn user_message(year: &YearInReview) -> String {
    let all = &year.conversations;
    let step = all.len().div_ceil(CONVERSATIONS_IN_PROMPT).max(1);
    let listed: Vec<_> = all
        .iter()
        .step_by(step)
        .map(|c| {
            json!({
                "date": month_day(c.date),
                "category": c.category,
                "title": c.title,
                "overview": c.overview,
                "people": c.people,
            })
        })
        .collect();
    json!({
        "year": year.year,
        "conversations_in_year": all.len(),
        "top_categories": year.top_categories,
        "action_items": year.action_items,
        "completed_action_items": year.completed_action_items,
        "conversations": listed,
    })
    .to_string()
}

/// The sections in the model's answer, checked.
fn parse(content: &str) -> Result<WrittenSections, LlmError> {
    let trimmed = content
        .trim()
        .trim_start_matches("```json")
        .trim_start_matches("```")
        .trim_end_matches("```");
    let mut sections: WrittenSections = serde_json::from_str(trimmed.trim())
        .map_err(|e| LlmError::BadResponse(format!("not the recap's sections: {e}")))?;
    let Some((name, description)) = DECISION_STYLES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(sections.decision_style.name.trim()))
    else {
        return Err(LlmError::BadResponse(format!(
            "decision style {:?} is not one of the five archetypes",
            sections.decision_style.name
        )));
    };
    sections.decision_style.name = name.to_string();
    if sections.decision_style.description.trim().is_empty() {
        sections.decision_style.description = description.to_string();
    }
    sections.top_buddies.truncate(5);
    sections.movie_recommendations.truncate(5);
    if sections.contains_nul() {
        return Err(LlmError::BadResponse(
            "the answer holds a NUL character".into(),
        ));
    }
    Ok(sections)
}

impl OpenAiCompatible {
    /// The written sections of `year`, asked of the model.
    pub(crate) async fn wrapped_sections(
        &self,
        year: &YearInReview,
    ) -> Result<WrittenSections, LlmError> {
        let content = self
            .complete(&system_prompt(), &user_message(year), Format::JsonObject)
            .await?;
        parse(&content)
    }
}

trait ContainsNul {
    fn contains_nul(&self) -> bool;
}

impl ContainsNul for WrittenSections {
    fn contains_nul(&self) -> bool {
        serde_json::to_string(self).is_ok_and(|text| text.contains("\\u0000"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"{
        "decision_style": {"name": "strategic questioner", "description": ""},
        "memorable_days": {"most_fun_day": null, "most_productive_day": null,
                           "most_stressful_day": {"date": "May 2", "title": "Exams", "description": "Long night.", "emoji": "📚"}},
        "funniest_event": null, "most_embarrassing_event": null,
        "top_buddies": [],
        "obsessions": {"show": "Severance", "movie": null, "book": null, "celebrity": null, "food": "ramen"},
        "movie_recommendations": ["a", "b", "c", "d", "e", "f"],
        "struggle": {"title": "Exams", "description": "May was hard."},
        "personal_win": {"title": "Passed", "description": "All of them."}
    }"#;

    #[test]
    fn an_answer_is_checked_and_trimmed_to_the_spec() {
        let sections = parse(ANSWER).unwrap();
        assert_eq!(sections.decision_style.name, "Strategic Questioner");
        assert!(!sections.decision_style.description.is_empty());
        assert_eq!(sections.movie_recommendations.len(), 5);
        assert_eq!(sections.obsessions.show.as_deref(), Some("Severance"));
    }

    #[test]
    fn an_unknown_archetype_or_a_missing_section_is_unusable() {
        let unknown = ANSWER.replace("strategic questioner", "Chaos Agent");
        assert!(matches!(parse(&unknown), Err(LlmError::BadResponse(_))));
        assert!(matches!(parse("{}"), Err(LlmError::BadResponse(_))));
        assert!(matches!(parse("not json"), Err(LlmError::BadResponse(_))));
    }
}
