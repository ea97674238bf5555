//! The offline run of a summarization app's prompt: the overview, then the (at most three) sentences of the
//! transcript that share the most content words with the prompt, in the order they were said. The same input
//! always gives the same result.

use super::words::{is_content_word, stem};
use crate::llm::apps::{checked_result, AppPromptInput};

/// The most passages quoted.
const MAX_PASSAGES: usize = 3;

/// The app's result for `input`; `None` when the conversation has nothing to quote nor an overview.
pub(crate) fn run(input: &AppPromptInput) -> Option<String> {
    let wanted: Vec<String> = content_stems(&input.prompt);
    let sentences: Vec<&str> = input
        .transcript
        .lines()
        .map(|line| line.split_once(": ").map_or(line, |(_, text)| text))
        .flat_map(|line| line.split_inclusive(['.', '!', '?']))
        .map(str::trim)
        .filter(|sentence| sentence.split_whitespace().count() >= 3)
        .collect();
    let mut scored: Vec<(usize, usize)> = sentences
        .iter()
        .enumerate()
        .filter_map(|(index, sentence)| {
            let stems = content_stems(sentence);
            let shared = stems.iter().filter(|s| wanted.contains(s)).count();
            // Ties go to the sentence with more to say, then to the earlier one.
            (shared > 0).then_some((shared * 1_000 + stems.len().min(999), index))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<usize> = scored.iter().take(MAX_PASSAGES).map(|(_, i)| *i).collect();
    chosen.sort_unstable();
    let mut result = String::new();
    if !input.overview.trim().is_empty() {
        result.push_str(input.overview.trim());
    }
    for index in chosen {
        if !result.is_empty() {
            result.push('\n');
        }
        result.push_str("- ");
        result.push_str(sentences[index]);
    }
    if result.is_empty() {
        result = input.title.clone();
    }
    checked_result(&result)
}

fn content_stems(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(str::to_lowercase)
        .filter(|word| is_content_word(word))
        .map(|word| stem(&word))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(prompt: &str, transcript: &str) -> AppPromptInput {
        AppPromptInput {
            app_name: "Notes".into(),
            prompt: prompt.into(),
            title: "Planning".into(),
            overview: "The team planned the launch.".into(),
            transcript: transcript.into(),
            language: "en".into(),
        }
    }

    #[test]
    fn the_prompt_picks_the_passages_that_share_its_words() {
        let transcript = "Ana: We talked about the weather for a while. The budget for the launch is twelve thousand.\n\
                          Ben: I will send the budget spreadsheet tomorrow. Lunch was great today.";
        let result = run(&input(
            "List every budget figure and spreadsheet mentioned",
            transcript,
        ))
        .unwrap();
        assert_eq!(
            result,
            "The team planned the launch.\n- The budget for the launch is twelve thousand.\n- I will send the budget spreadsheet tomorrow."
        );
        assert_eq!(
            run(&input(
                "List every budget figure and spreadsheet mentioned",
                transcript
            ))
            .unwrap(),
            result
        );
    }

    #[test]
    fn with_nothing_shared_the_overview_remains() {
        let result = run(&input(
            "Summarize the recipes",
            "Ana: We talked about the weather for a while.",
        ))
        .unwrap();
        assert_eq!(result, "The team planned the launch.");
    }
}
