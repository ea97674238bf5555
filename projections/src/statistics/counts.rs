//! The typed statistics of a day or a range of days, and the one function that counts contributions into them
//! (used by the queries over the read models and by the folds of a user's log as of an instant alike).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::day::date_of;
use super::tally::ConversationContribution;

/// What a user did on a day, or over a range of days.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Statistics {
    /// Completed conversations, neither discarded nor deleted, counted on the day they were created.
    pub conversations: u64,
    /// Speech in those conversations, from their segments' timings (five minutes for one without segments).
    pub milliseconds_spoken: u64,
    /// Words in their transcripts.
    pub words: u64,
    /// Those conversations per category.
    pub categories: BTreeMap<String, u64>,
    /// Action items created that day (deleted ones no longer count).
    pub action_items_created: u64,
    /// Action items completed that day (and still completed).
    pub action_items_completed: u64,
    /// Memories created that day (deleted ones no longer count).
    pub memories_created: u64,
    /// Person id of each other speaker → how many of those conversations they spoke in.
    pub people: BTreeMap<String, u64>,
    /// Other speakers summed over those conversations (assigned to a person or not).
    pub speakers: u64,
}

/// The statistics of one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DayStatistics {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub statistics: Statistics,
}

/// The statistics of a range of days (both ends included): every day with something counted, and the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RangeStatistics {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Days with anything counted, in date order.
    pub days: Vec<DayStatistics>,
    pub total: Statistics,
}

impl RangeStatistics {
    /// Days with at least one counted conversation.
    pub fn days_with_conversations(&self) -> usize {
        self.days
            .iter()
            .filter(|day| day.statistics.conversations > 0)
            .count()
    }
}

impl Statistics {
    fn is_empty(&self) -> bool {
        *self == Statistics::default()
    }

    fn add(&mut self, other: &Statistics) {
        self.conversations += other.conversations;
        self.milliseconds_spoken += other.milliseconds_spoken;
        self.words += other.words;
        for (category, count) in &other.categories {
            *self.categories.entry(category.clone()).or_default() += count;
        }
        self.action_items_created += other.action_items_created;
        self.action_items_completed += other.action_items_completed;
        self.memories_created += other.memories_created;
        for (person, count) in &other.people {
            *self.people.entry(person.clone()).or_default() += count;
        }
        self.speakers += other.speakers;
    }
}

/// Contributions to be counted into days: conversations, action items (created day, completed day) and the
/// creation days of memories. Entries outside the range counted are passed over.
#[derive(Debug, Default)]
pub struct Contributions {
    pub conversations: Vec<ConversationContribution>,
    pub action_items: Vec<(i64, Option<i64>)>,
    pub memories: Vec<i64>,
}

impl Contributions {
    /// The statistics of the days `from..=to` (day numbers).
    pub fn count(&self, from: i64, to: i64) -> RangeStatistics {
        let within = |day: i64| (from..=to).contains(&day);
        let mut days: BTreeMap<i64, Statistics> = BTreeMap::new();
        for conversation in self
            .conversations
            .iter()
            .filter(|c| c.counted && within(c.day))
        {
            let day = days.entry(conversation.day).or_default();
            day.conversations += 1;
            day.milliseconds_spoken += conversation.milliseconds.max(0) as u64;
            day.words += conversation.words.max(0) as u64;
            *day.categories
                .entry(conversation.category.clone())
                .or_default() += 1;
            for person in &conversation.people {
                *day.people.entry(person.clone()).or_default() += 1;
            }
            day.speakers += conversation.speakers.max(0) as u64;
        }
        for (created, completed) in &self.action_items {
            if within(*created) {
                days.entry(*created).or_default().action_items_created += 1;
            }
            if let Some(completed) = completed.filter(|day| within(*day)) {
                days.entry(completed).or_default().action_items_completed += 1;
            }
        }
        for day in self.memories.iter().filter(|day| within(**day)) {
            days.entry(*day).or_default().memories_created += 1;
        }
        let mut total = Statistics::default();
        let days = days
            .into_iter()
            .filter(|(_, statistics)| !statistics.is_empty())
            .map(|(day, statistics)| {
                total.add(&statistics);
                DayStatistics {
                    date: date_of(day),
                    statistics,
                }
            })
            .collect();
        RangeStatistics {
            from: date_of(from),
            to: date_of(to),
            days,
            total,
        }
    }
}
