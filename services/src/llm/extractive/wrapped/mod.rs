//! The deterministic writer of a yearly recap's written sections: cue words, counts and fixed wording over the
//! year's conversations, so the same year always reads the same. Ties go to the earliest day or conversation,
//! then to the alphabetically first name.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use omi_domain::wrapped::{
    DecisionStyle, LifeEvent, MemorableDay, MemorableDays, Obsessions, Story, TopBuddy,
    DECISION_STYLES,
};

use crate::llm::wrapped::{month_day, WrittenSections, YearConversation, YearInReview};

mod lexicon;

use self::lexicon::{
    EMBARRASSING_CUES, FOODS, FUN_CATEGORIES, FUN_CUES, HUMOR_CUES, MOVIES, MOVIES_OTHERWISE,
    PLANNING_CUES, STRESS_CUES, WORK_CATEGORIES,
};

/// One conversation with its lowered text, read once.
struct Read<'a> {
    conversation: &'a YearConversation,
    /// Title, overview and text, lowered.
    lower: String,
    /// Where the lowered text starts in `lower`.
    text_at: usize,
}

impl Read<'_> {
    fn cues(&self, cues: &[&str]) -> usize {
        cues.iter().map(|cue| self.lower.matches(cue).count()).sum()
    }
}

/// The written sections of `year`.
pub fn write(year: &YearInReview) -> WrittenSections {
    let reads: Vec<Read> = year
        .conversations
        .iter()
        .map(|conversation| {
            let mut lower =
                format!("{}\n{}\n", conversation.title, conversation.overview).to_lowercase();
            let text_at = lower.len();
            lower.push_str(&conversation.text.to_lowercase());
            Read {
                conversation,
                lower,
                text_at,
            }
        })
        .collect();
    WrittenSections {
        decision_style: decision_style(year, &reads),
        memorable_days: MemorableDays {
            most_fun_day: best_day(&reads, "🎉", |r| {
                let c = r.conversation;
                3 * usize::from(FUN_CATEGORIES.contains(&c.category.as_str())) + r.cues(FUN_CUES)
            }),
            most_productive_day: best_day(&reads, "🚀", |r| {
                let c = r.conversation;
                c.action_items
                    + 2 * c.completed_action_items
                    + usize::from(WORK_CATEGORIES.contains(&c.category.as_str()))
            }),
            most_stressful_day: best_day(&reads, "😮‍💨", |r| r.cues(STRESS_CUES)),
        },
        funniest_event: best_story(&reads, "😂", |r| r.cues(HUMOR_CUES)),
        most_embarrassing_event: best_story(&reads, "🙈", |r| r.cues(EMBARRASSING_CUES)),
        top_buddies: top_buddies(&reads),
        obsessions: obsessions(&reads),
        movie_recommendations: movies(year),
        struggle: struggle(&reads),
        personal_win: personal_win(year),
    }
}

fn decision_style(year: &YearInReview, reads: &[Read]) -> DecisionStyle {
    let n = reads.len().max(1) as f64;
    let questions = reads
        .iter()
        .map(|r| r.lower.matches('?').count())
        .sum::<usize>() as f64;
    let together = reads
        .iter()
        .filter(|r| r.conversation.other_speakers > 0)
        .count() as f64;
    let planning = reads.iter().filter(|r| r.cues(PLANNING_CUES) > 0).count() as f64;
    let days: std::collections::BTreeSet<NaiveDate> =
        reads.iter().map(|r| r.conversation.date).collect();
    let per_day = reads.len() as f64 / days.len().max(1) as f64;
    let completion = if year.action_items == 0 {
        0.0
    } else {
        year.completed_action_items as f64 / year.action_items as f64
    };
    let index = if questions / n >= 2.0 {
        4
    } else if together / n >= 0.6 && planning / n >= 0.3 {
        2
    } else if completion >= 0.6 {
        0
    } else if per_day >= 3.0 {
        1
    } else {
        3
    };
    let (name, description) = DECISION_STYLES[index];
    DecisionStyle {
        name: name.to_string(),
        description: description.to_string(),
    }
}

/// The day whose conversations score highest (none when nothing scores), told by its best conversation.
fn best_day(reads: &[Read], emoji: &str, score: impl Fn(&Read) -> usize) -> Option<MemorableDay> {
    let mut days: BTreeMap<NaiveDate, (usize, usize, &YearConversation)> = BTreeMap::new();
    for read in reads {
        let points = score(read);
        let entry = days
            .entry(read.conversation.date)
            .or_insert((0, 0, read.conversation));
        entry.0 += points;
        if points > entry.1 {
            entry.1 = points;
            entry.2 = read.conversation;
        }
    }
    let mut best: Option<(NaiveDate, usize, &YearConversation)> = None;
    for (date, (points, _, conversation)) in days {
        if points > 0 && best.is_none_or(|(_, top, _)| points > top) {
            best = Some((date, points, conversation));
        }
    }
    best.map(|(date, _, conversation)| MemorableDay {
        date: month_day(date),
        title: conversation.title.clone(),
        description: conversation.overview.clone(),
        emoji: emoji.to_string(),
    })
}

/// The conversation scoring highest (none when nothing scores), told as a story.
fn best_story(reads: &[Read], emoji: &str, score: impl Fn(&Read) -> usize) -> Option<Story> {
    let mut best: Option<(usize, &YearConversation)> = None;
    for read in reads {
        let points = score(read);
        if points > 0 && best.is_none_or(|(top, _)| points > top) {
            best = Some((points, read.conversation));
        }
    }
    best.map(|(_, conversation)| Story {
        date: month_day(conversation.date),
        title: conversation.title.clone(),
        story: conversation.overview.clone(),
        emoji: emoji.to_string(),
    })
}

fn top_buddies(reads: &[Read]) -> Vec<TopBuddy> {
    let mut people: BTreeMap<&str, usize> = BTreeMap::new();
    for read in reads {
        for person in &read.conversation.people {
            *people.entry(person.as_str()).or_default() += 1;
        }
    }
    let mut ranked: Vec<(&str, usize)> = people.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    ranked
        .into_iter()
        .take(5)
        .map(|(name, count)| TopBuddy {
            name: name.to_string(),
            relationship: "Frequent conversation partner".to_string(),
            context: format!(
                "Spoke with you in {count} conversation{}",
                if count == 1 { "" } else { "s" }
            ),
            emoji: "🤝".to_string(),
        })
        .collect()
}

/// The most mentioned title after any of `cues` (its capitalized words), if any.
fn most_named(reads: &[Read], cues: &[&str]) -> Option<String> {
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for read in reads {
        let text = &read.conversation.text;
        let lower = &read.lower[read.text_at..];
        // Offsets found in the lowered text point into the text only where lowering kept every length.
        if lower.len() != text.len() {
            continue;
        }
        for cue in cues {
            for (at, _) in lower.match_indices(cue) {
                let Some(rest) = text.get(at + cue.len()..) else {
                    continue;
                };
                // Capitalized words, up to four, ending at the first punctuation mark.
                let mut name: Vec<&str> = Vec::new();
                for raw in rest.split_whitespace().take(4) {
                    let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
                    if !word.chars().next().is_some_and(char::is_uppercase) {
                        break;
                    }
                    name.push(word);
                    if raw.ends_with(|c: char| !c.is_alphanumeric()) {
                        break;
                    }
                }
                if !name.is_empty() {
                    *names.entry(name.join(" ")).or_default() += 1;
                }
            }
        }
    }
    names
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(name, _)| name)
}

fn obsessions(reads: &[Read]) -> Obsessions {
    let mut foods: BTreeMap<&str, usize> = BTreeMap::new();
    for read in reads {
        for food in FOODS {
            let count = read.lower.matches(food).count();
            if count > 0 {
                *foods.entry(food).or_default() += count;
            }
        }
    }
    Obsessions {
        show: most_named(reads, &["watching ", "binged ", "the show "]),
        movie: most_named(reads, &["the movie ", "the film ", "watched "]),
        book: most_named(reads, &["reading ", "the book "]),
        celebrity: most_named(reads, &["fan of ", "obsessed with "]),
        food: foods
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
            .map(|(food, _)| food.to_string()),
    }
}

fn movies(year: &YearInReview) -> Vec<String> {
    let top = year.top_categories.first().map(String::as_str);
    let list = MOVIES
        .iter()
        .find(|(categories, _)| top.is_some_and(|top| categories.contains(&top)))
        .map_or(MOVIES_OTHERWISE, |(_, movies)| *movies);
    list.iter().map(|m| m.to_string()).collect()
}

fn struggle(reads: &[Read]) -> LifeEvent {
    let mut stress: BTreeMap<&str, usize> = BTreeMap::new();
    for read in reads {
        let cues = read.cues(STRESS_CUES);
        if cues > 0 {
            *stress
                .entry(read.conversation.category.as_str())
                .or_default() += 1;
        }
    }
    match stress
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
    {
        Some((category, count)) => LifeEvent {
            title: format!("Pressure around {category}"),
            description: format!(
                "{count} of your {category} conversation{} carried worry, deadlines or pressure.",
                if count == 1 { "" } else { "s" }
            ),
        },
        None => LifeEvent {
            title: "Finding the time".to_string(),
            description: format!(
                "Nothing weighed on you for long: {} conversations and never a sign of real stress.",
                reads.len()
            ),
        },
    }
}

fn personal_win(year: &YearInReview) -> LifeEvent {
    let mut months: BTreeMap<u32, (usize, usize)> = BTreeMap::new();
    for conversation in &year.conversations {
        let month = months.entry(conversation.date.month()).or_default();
        month.0 += conversation.completed_action_items;
        month.1 += 1;
    }
    let best = months
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    match best {
        Some((month, (done, conversations))) => {
            let name = NaiveDate::from_ymd_opt(year.year, month, 1)
                .map(|d| d.format("%B").to_string())
                .unwrap_or_default();
            LifeEvent {
                title: format!("Your strongest month: {name}"),
                description: format!(
                    "{conversations} conversations and {done} action items done in {name}."
                ),
            }
        }
        None => LifeEvent {
            title: "A quiet year".to_string(),
            description: "No conversations were recorded this year yet.".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(day: u32, title: &str, category: &str, text: &str) -> YearConversation {
        YearConversation {
            date: NaiveDate::from_ymd_opt(2025, 3, day).unwrap(),
            title: title.into(),
            overview: format!("About {title}."),
            category: category.into(),
            emoji: "💬".into(),
            action_items: 0,
            completed_action_items: 0,
            people: vec![],
            other_speakers: 0,
            text: text.into(),
        }
    }

    fn year(conversations: Vec<YearConversation>) -> YearInReview {
        YearInReview {
            year: 2025,
            conversations,
            top_categories: vec!["technology".into()],
            action_items: 0,
            completed_action_items: 0,
        }
    }

    #[test]
    fn the_same_year_always_reads_the_same() {
        let y = year(vec![
            conversation(
                1,
                "Launch",
                "work",
                "The deadline is urgent. I am reading Dune.",
            ),
            conversation(
                2,
                "Picnic",
                "social",
                "That was so funny, we laugh a lot. Pizza!",
            ),
        ]);
        assert_eq!(write(&y), write(&y));
    }

    #[test]
    fn cues_pick_the_days_and_stories() {
        let mut launch = conversation(1, "Launch", "work", "The deadline is urgent.");
        launch.action_items = 3;
        launch.completed_action_items = 2;
        launch.people = vec!["ann".into()];
        let written = write(&year(vec![
            launch,
            conversation(
                2,
                "Picnic",
                "social",
                "That was so funny, we laugh a lot. I am reading The Hobbit. Pizza and pizza.",
            ),
        ]));
        let days = &written.memorable_days;
        assert_eq!(days.most_fun_day.as_ref().unwrap().date, "March 2");
        assert_eq!(days.most_productive_day.as_ref().unwrap().title, "Launch");
        assert_eq!(days.most_stressful_day.as_ref().unwrap().date, "March 1");
        assert_eq!(written.funniest_event.unwrap().title, "Picnic");
        assert_eq!(written.most_embarrassing_event, None);
        assert_eq!(written.top_buddies[0].name, "ann");
        assert_eq!(written.obsessions.book.as_deref(), Some("The Hobbit"));
        assert_eq!(written.obsessions.food.as_deref(), Some("pizza"));
        assert_eq!(written.movie_recommendations.len(), 5);
        assert_eq!(written.struggle.title, "Pressure around work");
        assert!(DECISION_STYLES
            .iter()
            .any(|(name, _)| *name == written.decision_style.name));
    }

    #[test]
    fn an_empty_year_still_has_every_section() {
        let written = write(&year(vec![]));
        assert_eq!(written.memorable_days.most_fun_day, None);
        assert_eq!(written.personal_win.title, "A quiet year");
        assert!(written.top_buddies.is_empty());
    }
}
