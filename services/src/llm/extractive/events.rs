//! Calendar events: a sentence that names an event (meeting, appointment, dinner, flight,
//! deadline, …) with a concrete future time, involves the user, and is a statement (not a
//! question, not hypothetical, cancelled or negated).
//!
//! - Involves the user: a first- or second-person word ("I", "we", "my", "our", "us", "you",
//!   "let's"), or the user (or an imported text) says it without a third-person subject.
//! - Not an event: questions; tentative, hypothetical, cancelled or negated sentences ("should",
//!   "might", "if", "cancelled", "can't"); arranging one in the future ("I'll book a dinner",
//!   "we need to schedule a meeting" — those are action items).
//! - Start: the sentence's time (see `dates`); a day without a time of day starts at 09:00 local
//!   (breakfast 08:00, brunch 11:00, lunch 12:00, dinner 19:00; no event when that is already
//!   past), except deadlines, which keep 23:59.
//! - Title: the event word with up to two words before it ("dentist appointment") and the phrase
//!   after it ("with Sarah", "to Denver"), without time words, at most 8 words, Title Case.
//! - Description: the sentence. Duration: "for 2 hours", "for 90 minutes", "for an hour and a
//!   half" (default 30, capped at 180).

use chrono::{DateTime, Utc};

use super::dates::{parse_number, scan, Clock};
use super::doc::{Doc, Sentence};
use super::words::is_stopword;
use crate::llm::text::{join, title_case, Token};
use crate::llm::ExtractedEvent;

pub(crate) const MAX_TITLE_WORDS: usize = 8;
pub(crate) const DEFAULT_DURATION: u32 = 30;
pub(crate) const MAX_DURATION: u32 = 180;
const MAX_EVENTS: usize = 5;

/// Nouns (and "meet") that name an event.
const EVENT_WORDS: [&str; 48] = [
    "meeting",
    "meet",
    "appointment",
    "dinner",
    "lunch",
    "breakfast",
    "brunch",
    "coffee",
    "interview",
    "flight",
    "doctor",
    "dentist",
    "checkup",
    "check-up",
    "party",
    "wedding",
    "birthday",
    "conference",
    "presentation",
    "demo",
    "deadline",
    "class",
    "lecture",
    "exam",
    "session",
    "game",
    "concert",
    "reservation",
    "standup",
    "stand-up",
    "sync",
    "webinar",
    "workshop",
    "recital",
    "rehearsal",
    "ceremony",
    "funeral",
    "haircut",
    "massage",
    "therapy",
    "surgery",
    "vet",
    "trip",
    "call",
    "review",
    "date",
    "visit",
    "practice",
];

/// Event words that are also verbs: they count only after a determiner or a modifier
/// ("a call", "the review", "our date").
const NEEDS_DETERMINER: [&str; 5] = ["call", "review", "date", "visit", "practice"];

const DETERMINERS: [&str; 14] = [
    "a", "an", "the", "our", "my", "your", "his", "her", "their", "this", "that", "quick", "team",
    "weekly",
];

/// Words that make the sentence hypothetical, tentative, cancelled or negated.
const UNSURE: [&str; 26] = [
    "if",
    "unless",
    "might",
    "maybe",
    "perhaps",
    "cancel",
    "cancelled",
    "canceled",
    "postponed",
    "postpone",
    "wish",
    "not",
    "won't",
    "can't",
    "cannot",
    "didn't",
    "isn't",
    "wasn't",
    "should",
    "could",
    "would",
    "hope",
    "hopefully",
    "probably",
    "possibly",
    "try",
];

/// Verbs that make the sentence about arranging an event (an action item), not the event itself.
const ARRANGING: [&str; 8] = [
    "make",
    "schedule",
    "arrange",
    "book",
    "reschedule",
    "set",
    "organize",
    "plan",
];

/// Future markers that, with an arranging verb, make a task ("I'll book a dinner").
const FUTURE: [&str; 10] = [
    "i'll", "we'll", "will", "need", "needs", "have", "going", "gonna", "let's", "to",
];

/// Default start hour of meals when only a day is given.
fn meal_hour(word: &str) -> Option<u32> {
    Some(match word {
        "breakfast" => 8,
        "brunch" => 11,
        "lunch" => 12,
        "dinner" => 19,
        _ => return None,
    })
}

const PERSONAL: [&str; 16] = [
    "i", "i'm", "i'll", "i've", "i'd", "me", "my", "we", "we're", "we'll", "we've", "us", "our",
    "let's", "you", "your",
];

const THIRD_PERSON: [&str; 10] = [
    "he", "she", "they", "his", "her", "their", "he's", "she's", "they're", "it",
];

/// Words before the event word that are not part of its name.
const NOT_MODIFIERS: [&str; 26] = [
    "scheduled",
    "booked",
    "planned",
    "confirmed",
    "attend",
    "attending",
    "set",
    "having",
    "got",
    "big",
    "quick",
    "next",
    "grab",
    "join",
    "joining",
    "book",
    "schedule",
    "catch",
    "hold",
    "host",
    "throw",
    "skip",
    "miss",
    "doing",
    "moved",
    "make",
];

/// Words that end the phrase after the event word.
const PHRASE_ENDS: [&str; 32] = [
    "and", "but", "so", "because", "which", "that", "where", "when", "then", "if", "is", "was",
    "will", "should", "are", "were", "has", "have", "had", "leaves", "leave", "starts", "start",
    "begins", "begin", "departs", "lands", "arrives", "ends", "gets", "goes", "runs",
];

pub(crate) fn events(doc: &Doc, clock: &Clock) -> Vec<ExtractedEvent> {
    let mut out: Vec<ExtractedEvent> = Vec::new();
    for s in &doc.sentences {
        if let Some(event) = sentence_event(s, clock) {
            let dup = out
                .iter()
                .any(|e| e.start == event.start && e.title.eq_ignore_ascii_case(&event.title));
            if !dup && out.len() < MAX_EVENTS {
                out.push(event);
            }
        }
    }
    out
}

fn sentence_event(s: &Sentence, clock: &Clock) -> Option<ExtractedEvent> {
    if s.is_question() {
        return None;
    }
    let words: Vec<&str> = s.tokens.iter().map(|t| t.lower.as_str()).collect();
    if words.iter().any(|w| UNSURE.contains(w)) {
        return None;
    }
    let mut k = words
        .iter()
        .enumerate()
        .position(|(i, w)| is_event_word(&words, i, w))?;
    // "dentist appointment", "team meeting": the last of consecutive event words is the head
    while k + 1 < words.len() && EVENT_WORDS.contains(&words[k + 1]) {
        k += 1;
    }
    let arranging = words[k.saturating_sub(4)..k]
        .iter()
        .any(|w| ARRANGING.contains(w));
    if arranging && words[..k].iter().any(|w| FUTURE.contains(w)) {
        return None;
    }
    let mention = scan(&s.tokens, clock);
    if mention.past || !mention.is_concrete() {
        return None;
    }
    let involves_user = words.iter().any(|w| PERSONAL.contains(w))
        || ((s.is_user || s.speaker.is_empty()) && !THIRD_PERSON.contains(words.first()?));
    if !involves_user {
        return None;
    }
    let mut start = mention.future_at(clock)?;
    let is_deadline = words[k] == "deadline";
    if !mention.has_clock && !mention.exact && !is_deadline {
        // a day without a time of day: 09:00 local (meals at their usual hour) instead of 23:59
        let hour = meal_hour(words[k].trim_end_matches("'s")).unwrap_or(9);
        start = hour_of(start, hour, clock)?;
    }
    let title = event_title(&s.tokens, &mention.covered, k);
    if title.is_empty() {
        return None;
    }
    Some(ExtractedEvent {
        title,
        description: s.text.trim().to_string(),
        start,
        duration_minutes: duration(&words)
            .unwrap_or(DEFAULT_DURATION)
            .clamp(1, MAX_DURATION),
    })
}

fn is_event_word(words: &[&str], i: usize, w: &str) -> bool {
    let w = w.trim_end_matches("'s");
    if !EVENT_WORDS.contains(&w) {
        return false;
    }
    if NEEDS_DETERMINER.contains(&w) {
        let prev = if i == 0 { "" } else { words[i - 1] };
        let possessive = prev.ends_with("'s")
            && !matches!(
                prev,
                "let's"
                    | "it's"
                    | "that's"
                    | "what's"
                    | "he's"
                    | "she's"
                    | "there's"
                    | "here's"
                    | "who's"
            );
        return DETERMINERS.contains(&prev) || possessive;
    }
    true
}

/// `hour`:00 local on the day of `at`, if still ahead of the capture time.
fn hour_of(at: DateTime<Utc>, hour: u32, clock: &Clock) -> Option<DateTime<Utc>> {
    let day = clock.local_time(at).date();
    let start = clock.utc_time(day.and_hms_opt(hour, 0, 0)?);
    (start >= clock.now()).then_some(start)
}

/// The event's name: modifiers + event word + the phrase after it.
fn event_title(tokens: &[Token], covered: &[bool], k: usize) -> String {
    let is_covered = |i: usize| covered.get(i).copied().unwrap_or(false);
    let mut from = k;
    while from > 0 && k - from < 2 {
        let t = &tokens[from - 1];
        let w = t.lower.as_str();
        if t.punct || is_covered(from - 1) || is_stopword(w) || NOT_MODIFIERS.contains(&w) {
            break;
        }
        from -= 1;
        if w.ends_with("'s") {
            break; // "doctor's appointment", "Sarah's party"
        }
    }
    let mut parts: Vec<Token> = tokens[from..k].to_vec();
    let head = &tokens[k];
    let head_word = head.lower.trim_end_matches("'s");
    if matches!(head_word, "meet" | "meeting") && from == k {
        parts.push(Token {
            text: "Meeting".into(),
            lower: "meeting".into(),
            punct: false,
        });
    } else {
        let text = head.text.trim_end_matches("'s").to_string();
        parts.push(Token {
            lower: text.to_lowercase(),
            text,
            punct: false,
        });
    }
    // "meeting Tom" → "Meeting with Tom"
    let mut j = k + 1;
    if matches!(head_word, "meet" | "meeting")
        && tokens
            .get(j)
            .is_some_and(|t| !t.punct && t.is_capitalized() && !is_covered(j))
    {
        parts.push(Token {
            text: "with".into(),
            lower: "with".into(),
            punct: false,
        });
    } else if !tokens.get(j).is_some_and(|t| {
        matches!(
            t.lower.as_str(),
            "with" | "at" | "for" | "about" | "to" | "on" | "in" | "of"
        ) && !is_covered(j)
    }) {
        return finish(parts);
    }
    while j < tokens.len() && parts.len() < MAX_TITLE_WORDS {
        let t = &tokens[j];
        if t.punct || is_covered(j) || PHRASE_ENDS.contains(&t.lower.as_str()) {
            break;
        }
        // "with Sarah and Tom": keep an "and" between names
        parts.push(t.clone());
        j += 1;
    }
    finish(parts)
}

fn finish(mut parts: Vec<Token>) -> String {
    while parts.len() > 1 && parts.last().is_some_and(|t| is_stopword(&t.lower)) {
        parts.pop();
    }
    parts.truncate(MAX_TITLE_WORDS);
    title_case(&join(&parts))
}

/// "for 2 hours", "for 90 minutes", "for an hour and a half", "for half an hour".
fn duration(words: &[&str]) -> Option<u32> {
    for i in 0..words.len() {
        if words[i] != "for" {
            continue;
        }
        let w = |k: usize| words.get(k).copied().unwrap_or("");
        let mut k = i + 1;
        let mut amount = if w(k) == "half" && matches!(w(k + 1), "an" | "a") {
            k += 2;
            0.5
        } else if matches!(w(k), "a" | "an") {
            k += 1;
            1.0
        } else if let Some(n) = parse_number(w(k)) {
            k += 1;
            n
        } else {
            continue;
        };
        if w(k) == "and" && w(k + 1) == "a" && w(k + 2) == "half" {
            amount += 0.5;
            k += 3;
        }
        let per_unit = match w(k) {
            "minute" | "minutes" | "min" | "mins" => 1.0,
            "hour" | "hours" | "hr" | "hrs" => 60.0,
            _ => continue,
        };
        if w(k + 1) == "and" && w(k + 2) == "a" && w(k + 3) == "half" {
            amount += 0.5;
        }
        let minutes = (amount * per_unit).round();
        if minutes >= 1.0 {
            return Some(minutes.min(f64::from(MAX_DURATION)) as u32);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::extractive::tests::{capture, clock, doc_of, utc};

    fn events_of(speaker: &str, text: &str) -> Vec<ExtractedEvent> {
        events(
            &doc_of(&[
                (speaker, text),
                (if speaker == "User" { "Sarah" } else { "User" }, "Okay."),
            ]),
            &clock(),
        )
    }

    fn one(speaker: &str, text: &str) -> (String, DateTime<Utc>, u32) {
        let e = events_of(speaker, text);
        assert_eq!(e.len(), 1, "{text}: {e:?}");
        (e[0].title.clone(), e[0].start, e[0].duration_minutes)
    }

    #[test]
    fn appointments_and_meetings() {
        assert_eq!(
            one("User", "I have a dentist appointment on Friday at 10."),
            ("Dentist Appointment".into(), utc(2026, 11, 27, 10, 0), 30)
        );
        assert_eq!(
            one("User", "Meeting with Sarah tomorrow at 3pm for 2 hours."),
            ("Meeting with Sarah".into(), utc(2026, 11, 26, 15, 0), 120)
        );
        assert_eq!(
            one("User", "My flight to Denver leaves Monday at 6am."),
            ("Flight to Denver".into(), utc(2026, 11, 30, 6, 0), 30)
        );
        assert_eq!(
            one(
                "Sarah",
                "Let's have dinner with the Johnsons on Saturday at 7."
            ),
            (
                "Dinner with the Johnsons".into(),
                utc(2026, 11, 28, 19, 0),
                30
            )
        );
    }

    #[test]
    fn description_is_the_sentence() {
        let e = events_of("User", "I have a dentist appointment on Friday at 10.");
        assert_eq!(
            e[0].description,
            "I have a dentist appointment on Friday at 10."
        );
    }

    #[test]
    fn durations() {
        assert_eq!(
            one("User", "We have a workshop tomorrow at 1pm for 5 hours.").2,
            180
        );
        assert_eq!(
            one("User", "We have a call tomorrow at 1pm for half an hour.").2,
            30
        );
        assert_eq!(
            one(
                "User",
                "We have a review tomorrow at 1pm for an hour and a half."
            )
            .2,
            90
        );
        assert_eq!(
            one("User", "We have a lecture tomorrow at 1pm for 45 minutes.").2,
            45
        );
    }

    #[test]
    fn another_part_of_today_does_not_set_the_hour() {
        let e = one(
            "User",
            "So mom called this morning, she wants us to come over for dinner on Sunday.",
        );
        assert_eq!(e, ("Dinner".into(), utc(2026, 11, 29, 19, 0), 30));
    }

    #[test]
    fn a_day_without_a_time() {
        assert_eq!(
            one("User", "The project deadline is next Friday.").1,
            utc(2026, 11, 27, 23, 59)
        );
        assert_eq!(
            one("User", "We're having dinner with my parents on Saturday.").1,
            utc(2026, 11, 28, 19, 0)
        );
        assert_eq!(
            one("User", "I have a dentist appointment on Friday.").1,
            utc(2026, 11, 27, 9, 0)
        );
    }

    #[test]
    fn the_user_time_zone_applies() {
        let c = Clock::new(capture(), -300); // UTC-5: local capture 05:00
        let doc = doc_of(&[("User", "I have a dentist appointment tomorrow at 10am.")]);
        assert_eq!(events(&doc, &c)[0].start, utc(2026, 11, 26, 15, 0));
    }

    #[test]
    fn not_events() {
        for (speaker, text) in [
            ("User", "I have a dentist appointment soon."),
            ("User", "We had a meeting yesterday at 3."),
            ("Sarah", "Tom has a meeting tomorrow at 3."),
            ("User", "Should we meet tomorrow at 3?"),
            ("User", "We might have dinner on Friday at 7."),
            ("User", "The meeting tomorrow at 3 was cancelled."),
            ("User", "I need to schedule a meeting with Tom on Monday."),
            ("User", "I can't make the meeting tomorrow at 3."),
            ("User", "I prefer morning meetings."),
            ("User", "Let's review the dashboards on Thursday at two."),
        ] {
            assert!(events_of(speaker, text).is_empty(), "{text}");
        }
    }
}
