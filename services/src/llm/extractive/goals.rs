//! Goals without a model: deterministic rules over the user's own words.
//!
//! - A suggestion names the theme that comes up most often in the user's memories and conversations (the
//!   content word, stemmed, found in the most of them and in at least two; names of people and places left
//!   out) and proposes progress on it rated on a 0–10 scale; without such a theme, a daily reflection.
//! - Advice follows from how far the goal is (its current value between its start and its target), its type,
//!   the direction of its latest progress values, and a memory that shares a word root with its title.
//! - A progress value is a number in the text next to the goal's unit or a word of its title ("42 users",
//!   "ran 5 km"); for a yes/no goal, a word of completion ("done", "finished") next to a title word.

use std::collections::{HashMap, HashSet};

use omi_domain::goal::GoalType;

use super::words::{is_content_word, stem};
use crate::llm::text::tokenize;
use crate::llm::{GoalContext, GoalInput, GoalSuggestion, ProgressReading};

/// How many words apart a number and the unit or title word it measures may be.
const NEAR: usize = 3;

/// In how many memories and conversations a word must come up to be a theme.
const MIN_THEME_COUNT: usize = 2;

/// Words that say a yes/no goal is reached.
const DONE_WORDS: &[&str] = &[
    "done",
    "finished",
    "completed",
    "achieved",
    "accomplished",
    "reached",
    "did",
];

/// Words that name the person a memory is about rather than a theme ("User likes tea").
const SUBJECT_WORDS: &[&str] = &["user"];

/// The stemmed content words of `text`, each once.
fn themes(text: &str) -> HashSet<String> {
    tokenize(text)
        .into_iter()
        .filter(|token| !token.punct && is_content_word(&token.lower))
        .filter(|token| !token.lower.chars().any(|c| c.is_ascii_digit()))
        .map(|token| stem(&token.lower))
        .collect()
}

/// The names among the words of `texts`: words written capitalized after the first word of a text and never
/// in lowercase ("Alice", "Berlin"). A name says who or where, not what the user cares about.
fn names(texts: &[&String]) -> HashSet<String> {
    let mut capitalized = HashSet::new();
    let mut lowercase = HashSet::new();
    for text in texts {
        for (at, token) in tokenize(text).iter().enumerate() {
            if token.punct {
                continue;
            }
            if !token.is_capitalized() {
                lowercase.insert(stem(&token.lower));
            } else if at > 0 {
                capitalized.insert(stem(&token.lower));
            }
        }
    }
    capitalized.difference(&lowercase).cloned().collect()
}

/// The goal suggested from what the user's memories and conversations talk about most.
pub(crate) fn suggest(context: &GoalContext) -> GoalSuggestion {
    let texts: Vec<&String> = context
        .memories
        .iter()
        .chain(context.conversations.iter())
        .collect();
    let names = names(&texts);
    let mut counts: HashMap<String, usize> = HashMap::new();
    for text in &texts {
        let found = themes(text).into_iter();
        for theme in found.filter(|t| !names.contains(t) && !SUBJECT_WORDS.contains(&t.as_str())) {
            *counts.entry(theme).or_default() += 1;
        }
    }
    // The most frequent theme; ties go to the alphabetically first, so the answer never depends on hashing. A
    // word said once is no theme.
    let top = counts
        .into_iter()
        .filter(|(_, count)| *count >= MIN_THEME_COUNT)
        .max_by(|(a, m), (b, n)| m.cmp(n).then_with(|| b.cmp(a)));
    match top {
        Some((theme, count)) => GoalSuggestion {
            title: format!("Make steady progress on {theme}"),
            goal_type: GoalType::Scale,
            target: 8.0,
            min: 0.0,
            max: 10.0,
            reasoning: format!(
                "\"{theme}\" comes up in {count} of your {} memories and conversations, more than anything else; \
                 rate your progress on it from 0 to 10.",
                texts.len()
            ),
        },
        None => GoalSuggestion {
            title: "Reflect on your day every evening".to_string(),
            goal_type: GoalType::Boolean,
            target: 1.0,
            min: 0.0,
            max: 1.0,
            reasoning: "No theme comes up in more than one of your memories and conversations yet; a daily \
                        reflection is a simple first goal."
                .to_string(),
        },
    }
}

/// How far the goal is from its start (`min_value`) to its target, 0 to 1 (1 when the target is reached; a
/// target equal to the start counts as reached once the current value is there).
fn fraction(goal: &GoalInput) -> f64 {
    let span = goal.target_value - goal.min_value;
    if span.abs() < f64::EPSILON {
        return if goal.current_value >= goal.target_value {
            1.0
        } else {
            0.0
        };
    }
    ((goal.current_value - goal.min_value) / span).clamp(0.0, 1.0)
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

/// Advice on reaching `goal`.
pub(crate) fn advise(goal: &GoalInput, context: &GoalContext) -> String {
    let unit = goal
        .unit
        .as_deref()
        .map(|unit| format!(" {unit}"))
        .unwrap_or_default();
    let done = fraction(goal);
    let mut advice = if done >= 1.0 {
        format!(
            "You reached your target for \"{}\". Keep the habit that got you there, or set a more ambitious goal.",
            goal.title
        )
    } else if goal.goal_type == GoalType::Boolean {
        format!(
            "\"{}\" is not done yet. Pick the smallest next step and do it today.",
            goal.title
        )
    } else if done < 0.25 {
        format!(
            "You are at {}{unit} of {}{unit} for \"{}\". Break it into small weekly steps and start with the easiest one.",
            number(goal.current_value),
            number(goal.target_value),
            goal.title
        )
    } else if done < 0.75 {
        format!(
            "You are {:.0}% of the way to \"{}\" ({}{unit} of {}{unit}). Keep a steady pace and check your progress each week.",
            done * 100.0,
            goal.title,
            number(goal.current_value),
            number(goal.target_value)
        )
    } else {
        format!(
            "Almost there: {}{unit} of {}{unit} for \"{}\". Plan the last {}{unit} now.",
            number(goal.current_value),
            number(goal.target_value),
            goal.title,
            number(goal.target_value - goal.current_value)
        )
    };
    if let [.., before, last] = goal.recent_progress[..] {
        let towards = (goal.target_value - goal.min_value).signum();
        if (last - before) * towards < 0.0 {
            advice.push_str(" Your latest progress went backwards; look at what changed.");
        }
    }
    let title = themes(&goal.title);
    let related = context.memories.iter().find(|memory| {
        themes(memory)
            .iter()
            .any(|theme| title.iter().any(|word| same_root(word, theme)))
    });
    if let Some(memory) = related {
        advice.push_str(&format!(" Keep in mind what you noted: \"{memory}\""));
    }
    advice
}

/// Whether two stemmed words share their root: one begins with the other ("run", "running"; "user", "users").
fn same_root(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.chars().count() >= 3 && long.starts_with(short)
}

/// A word of the text: its lowercase form, its stem, and the number it spells if it is one.
struct Word {
    lower: String,
    stem: String,
    number: Option<f64>,
}

/// The words of `text`; numbers keep their thousands separators ("1,000") and decimals ("2.5"), and a `k`
/// suffix multiplies by a thousand ("3k").
fn words(text: &str) -> Vec<Word> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ';' | '!' | '?' | '(' | ')' | '"'))
        .map(|raw| raw.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            let lower = raw.to_lowercase();
            let digits = lower.replace(',', "");
            let number = digits
                .strip_suffix('k')
                .and_then(|n| n.parse::<f64>().ok().map(|n| n * 1_000.0))
                .or_else(|| digits.parse::<f64>().ok())
                .filter(|n| n.is_finite());
            Word {
                stem: stem(&lower),
                lower,
                number,
            }
        })
        .collect()
}

/// The progress value `text` gives for `goal`, if it gives one.
pub(crate) fn extract_progress(goal: &GoalInput, text: &str) -> Option<ProgressReading> {
    let words = words(text);
    let mut anchors: HashSet<String> = themes(&goal.title);
    if let Some(unit) = &goal.unit {
        anchors.extend(words_of(unit));
    }
    let is_anchor = |word: &Word| anchors.contains(&word.stem) || anchors.contains(&word.lower);
    let near_anchor = |at: usize| {
        let from = at.saturating_sub(NEAR);
        let to = (at + NEAR + 1).min(words.len());
        (from..to).any(|i| i != at && is_anchor(&words[i]))
    };
    if goal.goal_type == GoalType::Boolean {
        let at = (0..words.len())
            .find(|&i| DONE_WORDS.contains(&words[i].lower.as_str()) && near_anchor(i))?;
        return Some(ProgressReading {
            value: 1.0,
            reasoning: format!(
                "The text says \"{}\" about \"{}\".",
                words[at].lower, goal.title
            ),
        });
    }
    let at = (0..words.len()).find(|&i| words[i].number.is_some() && near_anchor(i))?;
    let value = words[at].number?;
    let from = at.saturating_sub(NEAR);
    let to = (at + NEAR + 1).min(words.len());
    let phrase: Vec<&str> = words[from..to].iter().map(|w| w.lower.as_str()).collect();
    Some(ProgressReading {
        value,
        reasoning: format!(
            "The text gives {} next to a word of the goal: \"{}\".",
            number(value),
            phrase.join(" ")
        ),
    })
}

/// The stems of the words of a unit label ("km", "users" → "user").
fn words_of(unit: &str) -> Vec<String> {
    unit.split_whitespace()
        .map(|word| stem(&word.to_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn goal(title: &str, goal_type: GoalType, unit: Option<&str>) -> GoalInput {
        GoalInput {
            title: title.into(),
            goal_type,
            target_value: 1_000.0,
            current_value: 100.0,
            min_value: 0.0,
            max_value: 1_000.0,
            unit: unit.map(String::from),
            recent_progress: vec![],
        }
    }

    #[test]
    fn the_suggestion_names_the_most_frequent_theme() {
        let context = GoalContext {
            memories: vec![
                "User loves running in the park with Sam".into(),
                "Sam and the user met at work".into(),
                "Sam likes tea".into(),
                "Loves running in the park".into(),
                "Ran a half marathon; running is their passion".into(),
                "Works at a bakery".into(),
            ],
            conversations: vec!["Running club plans: weekly running schedule".into()],
        };
        let suggestion = suggest(&context);
        assert_eq!(suggestion.title, "Make steady progress on running");
        assert!(
            suggestion.reasoning.contains("4 of your 7"),
            "{}",
            suggestion.reasoning
        );
        assert_eq!(suggest(&context), suggestion, "deterministic");
    }

    #[test]
    fn without_a_recurring_theme_the_suggestion_is_a_daily_reflection() {
        let suggestion = suggest(&GoalContext::default());
        assert_eq!(suggestion.goal_type, GoalType::Boolean);
        let scattered = GoalContext {
            memories: vec!["Likes tea".into(), "Owns a bicycle".into()],
            conversations: vec![],
        };
        assert_eq!(
            suggest(&scattered),
            suggestion,
            "a word said once is no theme"
        );
        assert_eq!((suggestion.min, suggestion.max), (0.0, 1.0));
    }

    #[test]
    fn advice_follows_how_far_the_goal_is() {
        let context = GoalContext::default();
        let mut early = goal("Reach 1000 users", GoalType::Numeric, Some("users"));
        assert!(advise(&early, &context).contains("100 users of 1000 users"));
        early.current_value = 500.0;
        assert!(advise(&early, &context).contains("50% of the way"));
        early.current_value = 1_000.0;
        assert!(advise(&early, &context).starts_with("You reached your target"));
        let yes_no = goal("Launch the app", GoalType::Boolean, None);
        assert!(advise(&yes_no, &context).contains("not done yet"));
    }

    #[test]
    fn advice_notes_a_step_back_and_a_related_memory() {
        let mut steps = goal("Reach 1000 users", GoalType::Numeric, Some("users"));
        steps.recent_progress = vec![300.0, 250.0];
        let context = GoalContext {
            memories: vec![
                "Likes tea".into(),
                "Their users love the new onboarding".into(),
            ],
            conversations: vec![],
        };
        let advice = advise(&steps, &context);
        assert!(advice.contains("went backwards"), "{advice}");
        let run = goal("Run a marathon", GoalType::Numeric, None);
        let context = GoalContext {
            memories: vec!["Likes tea".into(), "Loves running".into()],
            conversations: vec![],
        };
        assert!(advise(&run, &context).ends_with("noted: \"Loves running\""));
        assert!(advice.contains("new onboarding"), "{advice}");
    }

    #[test]
    fn a_number_next_to_the_unit_is_the_progress() {
        let users = goal("Grow the product", GoalType::Numeric, Some("users"));
        let reading = extract_progress(&users, "Great week: we now have 1,250 users!").unwrap();
        assert_eq!(reading.value, 1_250.0);
        let reading = extract_progress(&users, "Signups hit 3k users today").unwrap();
        assert_eq!(reading.value, 3_000.0);
        assert!(extract_progress(&users, "We met 3 people for lunch at 12").is_none());
    }

    #[test]
    fn a_number_next_to_a_title_word_counts_when_there_is_no_unit() {
        let run = goal("Run a marathon", GoalType::Numeric, None);
        let reading =
            extract_progress(&run, "Today I managed to run 21.1 without stopping").unwrap();
        assert_eq!(reading.value, 21.1);
    }

    #[test]
    fn a_yes_no_goal_is_done_when_the_text_says_so() {
        let launch = goal("Launch the website", GoalType::Boolean, None);
        let reading = extract_progress(&launch, "The website launch is finally done").unwrap();
        assert_eq!(reading.value, 1.0);
        assert!(extract_progress(&launch, "I finished my lunch").is_none());
    }
}
