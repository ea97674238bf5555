//! Action items from commitments and requests.
//!
//! A trigger phrase opens a clause that becomes the item:
//! - the speaker commits: "I'll …", "I will …", "I'm going to …", "I need to …", "I have to …",
//!   "I must …", "I've got to …", "I plan to …", "remind me to …", "let me …" (and "I should …",
//!   kept only with a timing signal) — counted when the speaker is the user, or when no line is
//!   marked as the user's;
//! - someone asks the user: "can/could/would/will you …", "I need you to …", "you need/have to …",
//!   "make sure you …", "please …" at the start of a clause (and "you should …" with a timing
//!   signal), or an imperative starting with a common task verb that has a timing signal ("Call
//!   me tomorrow") — counted when the speaker is not the user, or when no line is marked;
//! - shared: "we need/have to …", "we'll …", "we're going to …", "let's …" (and "we should …" with
//!   a timing signal); reminders: "don't forget to …", "remember to …", "make sure to …" — from
//!   anyone.
//!
//! The clause ends at a sentence or clause break ("but", "because", "if", "when", ", so", "and I"),
//! and "and <task verb>" starts a second item ("I'll call Tom and email Ann"). The description
//! drops hedges ("probably", "try to"), fillers and time words, is at most 15 words, starts with
//! a capitalized verb; "me"/"my" in a request become the requester's name, and "you"/"your" in
//! the user's own commitment become the other speaker's name when there is exactly one. Vague
//! pronouns ("it", "them") stay. Items need a verb that makes a task and something beyond the
//! verb (a task verb with a timing signal is enough: "Email him tomorrow"). The due date comes
//! from the clause's time words, else the sentence's (see `dates`); past dates are dropped.
//! Items are de-duplicated by their content words.

use super::dates::{scan, Clock, TimeMention};
use super::doc::{Doc, Sentence};
use super::phrases::{drop_fillers, SUBJECTS};
use super::words::{is_content_word, is_filler, stem, ACTION_VERBS, NON_TASK_VERBS};
use crate::llm::text::{capitalize_first, join, Token};
use crate::llm::ExtractedActionItem;

pub(crate) const MAX_DESCRIPTION_WORDS: usize = 15;
const MAX_ITEMS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Owner {
    /// The speaker commits ("I'll").
    Speaker,
    /// The speaker asks the listener ("can you").
    Listener,
    /// Everyone ("we need to", "let's").
    Shared,
    /// A reminder that binds whoever hears it ("don't forget to").
    Anyone,
}

struct Trigger {
    words: &'static [&'static str],
    owner: Owner,
    /// Only with a timing signal ("we should").
    weak: bool,
    /// Only at the start of a clause ("please").
    clause_start: bool,
}

const fn t(words: &'static [&'static str], owner: Owner) -> Trigger {
    Trigger {
        words,
        owner,
        weak: false,
        clause_start: false,
    }
}

const fn weak(words: &'static [&'static str], owner: Owner) -> Trigger {
    Trigger {
        words,
        owner,
        weak: true,
        clause_start: false,
    }
}

const fn start(words: &'static [&'static str], owner: Owner) -> Trigger {
    Trigger {
        words,
        owner,
        weak: false,
        clause_start: true,
    }
}

const TRIGGERS: &[Trigger] = &[
    t(&["i'll"], Owner::Speaker),
    t(&["i", "will"], Owner::Speaker),
    t(&["i", "shall"], Owner::Speaker),
    t(&["i'm", "going", "to"], Owner::Speaker),
    t(&["i", "am", "going", "to"], Owner::Speaker),
    t(&["i'm", "gonna"], Owner::Speaker),
    t(&["i", "gotta"], Owner::Speaker),
    t(&["i've", "got", "to"], Owner::Speaker),
    t(&["i've", "gotta"], Owner::Speaker),
    t(&["i", "need", "to"], Owner::Speaker),
    t(&["i", "have", "to"], Owner::Speaker),
    t(&["i", "must"], Owner::Speaker),
    t(&["i", "plan", "to"], Owner::Speaker),
    t(&["i'm", "planning", "to"], Owner::Speaker),
    t(&["i", "promise", "to"], Owner::Speaker),
    t(&["i'm", "supposed", "to"], Owner::Speaker),
    t(&["i'd", "better"], Owner::Speaker),
    t(&["remind", "me", "to"], Owner::Speaker),
    start(&["let", "me"], Owner::Speaker),
    weak(&["i", "should"], Owner::Speaker),
    weak(&["i", "ought", "to"], Owner::Speaker),
    t(&["we'll"], Owner::Shared),
    t(&["we", "will"], Owner::Shared),
    t(&["we're", "going", "to"], Owner::Shared),
    t(&["we", "are", "going", "to"], Owner::Shared),
    t(&["we're", "gonna"], Owner::Shared),
    t(&["we", "need", "to"], Owner::Shared),
    t(&["we", "have", "to"], Owner::Shared),
    t(&["we", "must"], Owner::Shared),
    t(&["we've", "got", "to"], Owner::Shared),
    t(&["we", "gotta"], Owner::Shared),
    t(&["we", "plan", "to"], Owner::Shared),
    t(&["let's"], Owner::Shared),
    t(&["lets"], Owner::Shared),
    start(&["let", "us"], Owner::Shared),
    weak(&["we", "should"], Owner::Shared),
    weak(&["we", "ought", "to"], Owner::Shared),
    t(&["can", "you"], Owner::Listener),
    t(&["could", "you"], Owner::Listener),
    t(&["would", "you"], Owner::Listener),
    t(&["will", "you"], Owner::Listener),
    t(&["i", "need", "you", "to"], Owner::Listener),
    t(&["i", "want", "you", "to"], Owner::Listener),
    t(&["i'd", "like", "you", "to"], Owner::Listener),
    t(&["you", "need", "to"], Owner::Listener),
    t(&["you", "have", "to"], Owner::Listener),
    t(&["you", "must"], Owner::Listener),
    t(&["you've", "got", "to"], Owner::Listener),
    t(&["make", "sure", "you"], Owner::Listener),
    start(&["please"], Owner::Listener),
    weak(&["you", "should"], Owner::Listener),
    t(&["don't", "forget", "to"], Owner::Anyone),
    t(&["dont", "forget", "to"], Owner::Anyone),
    t(&["do", "not", "forget", "to"], Owner::Anyone),
    start(&["remember", "to"], Owner::Anyone),
    t(&["make", "sure", "to"], Owner::Anyone),
    t(&["be", "sure", "to"], Owner::Anyone),
];

/// Adverbs allowed inside a trigger ("I really need to", "we definitely should").
const TRIGGER_ADVERBS: [&str; 12] = [
    "really",
    "still",
    "also",
    "just",
    "definitely",
    "probably",
    "totally",
    "absolutely",
    "seriously",
    "actually",
    "then",
    "please",
];

/// A trigger right after one of these is not a commitment ("what I need to say", "if you can").
const NOT_AFTER: [&str; 26] = [
    "what",
    "that",
    "which",
    "who",
    "whatever",
    "whom",
    "whoever",
    "if",
    "whether",
    "unless",
    "why",
    "how",
    "where",
    "when",
    "wish",
    "know",
    "said",
    "says",
    "thing",
    "things",
    "all",
    "everything",
    "anything",
    "something",
    "than",
    "as",
];

/// Words that open a clause (a "please" or "let me" after them is at a clause start).
const OPENERS: [&str; 17] = [
    "and", "but", "so", "then", "also", "okay", "ok", "alright", "yeah", "yes", "sure", "well",
    "oh", "now", "actually", "anyway", "hey",
];

/// Words that end the clause of an item.
const CLAUSE_ENDS: [&str; 14] = [
    "but",
    "because",
    "cause",
    "cuz",
    "although",
    "though",
    "unless",
    "whereas",
    "since",
    "if",
    "when",
    "while",
    "so",
    "otherwise",
];

/// Hedges dropped at the start of a description.
const LEAD_HEDGES: [&str; 20] = [
    "please",
    "also",
    "just",
    "definitely",
    "probably",
    "really",
    "actually",
    "quickly",
    "first",
    "maybe",
    "totally",
    "absolutely",
    "then",
    "to",
    "still",
    "finally",
    "like",
    "and",
    "gonna",
    "kindly",
];

const LEAD_HEDGE_PHRASES: &[&[&str]] = &[
    &["go", "ahead", "and"],
    &["try", "to"],
    &["try", "and"],
    &["make", "sure", "to"],
    &["make", "sure", "i"],
    &["make", "sure", "we"],
    &["remember", "to"],
    &["need", "to"],
    &["have", "to"],
    &["be", "sure", "to"],
    &["be", "able", "to"],
    &["at", "least"],
];

/// Trailing words dropped from a description.
const TAIL_WORDS: [&str; 28] = [
    "and", "or", "so", "but", "the", "a", "an", "to", "with", "at", "on", "by", "for", "of", "in",
    "from", "please", "okay", "ok", "alright", "right", "yeah", "then", "too", "also", "though",
    "maybe", "probably",
];

/// Words a description must not start with (it must start with a verb).
const NOT_A_VERB: [&str; 33] = [
    "the", "a", "an", "it", "this", "that", "these", "those", "my", "your", "our", "his", "her",
    "their", "i", "you", "we", "he", "she", "they", "there", "here", "so", "because", "what",
    "when", "all", "some", "any", "no", "not", "never", "n't",
];

pub(crate) fn action_items(doc: &Doc, clock: &Clock) -> Vec<ExtractedActionItem> {
    let mut items: Vec<ExtractedActionItem> = Vec::new();
    for s in &doc.sentences {
        for item in sentence_items(doc, s, clock) {
            add_unique(&mut items, item);
        }
    }
    items.truncate(MAX_ITEMS);
    items
}

fn sentence_items(doc: &Doc, s: &Sentence, clock: &Clock) -> Vec<ExtractedActionItem> {
    let tokens = drop_fillers(&s.tokens);
    let mention = scan(&tokens, clock);
    if mention.past && mention.at.is_none() {
        return Vec::new();
    }
    let words: Vec<&str> = tokens.iter().map(|t| t.lower.as_str()).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Some((trigger, len)) = match_trigger(&words, i) else {
            i += 1;
            continue;
        };
        let trigger_at = i;
        let start = i + len;
        let end = clause_end(&words, start);
        i = end.max(start);
        if !accepts(doc, s, trigger.owner) || conditional_before(&words, trigger_at) {
            continue;
        }
        for part in split_parts(&tokens[start..end]) {
            if let Some(item) =
                make_item(doc, s, part, trigger.owner, trigger.weak, &mention, clock)
            {
                out.push(item);
            }
        }
    }
    if out.is_empty() && doc.may_be_other(s) && !s.is_question() {
        // an imperative with a timing signal from someone else: "Call me tomorrow."
        let lead = tokens
            .iter()
            .position(|t| !t.punct && !is_filler(&t.lower) && t.lower != "please");
        if let Some(k) = lead.filter(|k| ACTION_VERBS.contains(&words[*k])) {
            let end = clause_end(&words, k);
            for part in split_parts(&tokens[k..end]) {
                if let Some(item) = make_item(doc, s, part, Owner::Listener, true, &mention, clock)
                {
                    out.push(item);
                }
            }
        }
    }
    out
}

/// The longest trigger starting at `i`, if `i` may start a commitment.
fn match_trigger(words: &[&str], i: usize) -> Option<(&'static Trigger, usize)> {
    let prev = if i == 0 { "" } else { words[i - 1] };
    if NOT_AFTER.contains(&prev) {
        return None;
    }
    let at_clause_start =
        i == 0 || OPENERS.contains(&prev) || !prev.chars().any(char::is_alphanumeric);
    let mut best: Option<(&'static Trigger, usize)> = None;
    for trigger in TRIGGERS {
        if trigger.clause_start && !at_clause_start {
            continue;
        }
        if let Some(len) = match_words(words, i, trigger.words) {
            if best.is_none_or(|(_, l)| len > l) {
                best = Some((trigger, len));
            }
        }
    }
    best
}

/// Matches `pattern` at `i`, skipping adverbs between its words; returns the tokens consumed.
fn match_words(words: &[&str], i: usize, pattern: &[&str]) -> Option<usize> {
    let mut j = i;
    for (k, p) in pattern.iter().enumerate() {
        if k > 0 {
            while j < words.len() && words[j] != *p && TRIGGER_ADVERBS.contains(&words[j]) {
                j += 1;
            }
        }
        if words.get(j) != Some(p) {
            return None;
        }
        j += 1;
    }
    Some(j - i)
}

fn accepts(doc: &Doc, s: &Sentence, owner: Owner) -> bool {
    match owner {
        Owner::Speaker => doc.may_be_user(s),
        Owner::Listener => doc.may_be_other(s),
        Owner::Shared | Owner::Anyone => true,
    }
}

/// "if"/"unless" earlier in the sentence makes it hypothetical.
fn conditional_before(words: &[&str], trigger_at: usize) -> bool {
    words[..trigger_at.min(words.len())]
        .iter()
        .any(|w| matches!(*w, "if" | "unless"))
}

/// Index where the item's clause ends.
fn clause_end(words: &[&str], start: usize) -> usize {
    let mut k = start;
    while k < words.len() {
        let w = words[k];
        let next = words.get(k + 1).copied().unwrap_or("");
        let hard_punct = matches!(w, "." | "!" | "?" | ";" | ":" | "…" | "(" | ")" | "\"");
        let comma_break = w == ","
            && (CLAUSE_ENDS.contains(&next)
                || SUBJECTS.contains(&next)
                || matches!(
                    next,
                    "and"
                        | "or"
                        | "then"
                        | "okay"
                        | "ok"
                        | "alright"
                        | "yeah"
                        | "right"
                        | "which"
                        | "please"
                ));
        let and_subject = w == "and" && (SUBJECTS.contains(&next) || next == "then");
        // "check if the car needs gas": "if"/"whether" after such a verb is its object
        let complement = matches!(w, "if" | "whether")
            && k > 0
            && matches!(
                words[k - 1],
                "check" | "see" | "ask" | "out" | "confirm" | "verify" | "find"
            );
        let clause_word = CLAUSE_ENDS.contains(&w) && !complement;
        if hard_punct || comma_break || and_subject || (k > start && clause_word) {
            return k;
        }
        k += 1;
    }
    words.len()
}

/// Splits "call Tom and email Ann" / "buy milk, call mom" at a task verb after "and" or ",".
fn split_parts(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut from = 0;
    for k in 1..tokens.len() {
        let joiner = matches!(tokens[k - 1].lower.as_str(), "and" | ",");
        if joiner && ACTION_VERBS.contains(&tokens[k].lower.as_str()) && k - 1 > from {
            parts.push(&tokens[from..k - 1]);
            from = k;
        }
    }
    parts.push(&tokens[from..]);
    parts
}

fn make_item(
    doc: &Doc,
    s: &Sentence,
    part: &[Token],
    owner: Owner,
    weak: bool,
    sentence_mention: &TimeMention,
    clock: &Clock,
) -> Option<ExtractedActionItem> {
    let own = scan(part, clock);
    let due = if own.at.is_some() {
        own.future_at(clock)
    } else {
        sentence_mention.future_at(clock)
    };
    let mut body = trim_lead(&own.strip(part));
    let first = body.first()?.lower.clone();
    if NON_TASK_VERBS.contains(&first.as_str())
        || NOT_A_VERB.contains(&first.as_str())
        || first == "mind"
        || !first.chars().any(char::is_alphabetic)
    {
        return None;
    }
    if weak && due.is_none() {
        return None;
    }
    body = trim_tail(&body);
    // judged before pronouns become names: "tell you what" has no object
    let has_object = body
        .iter()
        .skip(1)
        .any(|t| !t.punct && is_content_word(&t.lower));
    substitute_pronouns(doc, s, owner, &mut body);
    let mut capped = Vec::new();
    let mut count = 0;
    for t in body {
        if !t.punct {
            count += 1;
            if count > MAX_DESCRIPTION_WORDS {
                break;
            }
        }
        capped.push(t);
    }
    let body = trim_tail(&capped);
    let word_count = body.iter().filter(|t| !t.punct).count();
    let task_verb_with_time = ACTION_VERBS.contains(&first.as_str()) && due.is_some();
    if word_count < 2 || !(has_object || task_verb_with_time) {
        return None;
    }
    Some(ExtractedActionItem {
        description: capitalize_first(&join(&body)),
        due_at: due,
    })
}

fn trim_lead(tokens: &[Token]) -> Vec<Token> {
    let mut k = 0;
    loop {
        let rest = &tokens[k..];
        let Some(first) = rest.first() else { break };
        if first.punct || LEAD_HEDGES.contains(&first.lower.as_str()) {
            k += 1;
            continue;
        }
        // "go buy milk", "come pick it up"
        if matches!(first.lower.as_str(), "go" | "come")
            && rest
                .get(1)
                .is_some_and(|n| ACTION_VERBS.contains(&n.lower.as_str()))
        {
            k += 1;
            continue;
        }
        match LEAD_HEDGE_PHRASES
            .iter()
            .find(|p| p.len() <= rest.len() && p.iter().zip(rest).all(|(w, t)| t.lower == *w))
        {
            Some(p) => k += p.len(),
            None => break,
        }
    }
    tokens[k..].to_vec()
}

fn trim_tail(tokens: &[Token]) -> Vec<Token> {
    let mut end = tokens.len();
    while end > 0 {
        let w = tokens[end - 1].lower.as_str();
        let prev = if end >= 2 {
            tokens[end - 2].lower.as_str()
        } else {
            ""
        };
        if matches!(
            (prev, w),
            ("as", "well") | ("for", "now") | ("if", "possible")
        ) {
            end -= 2;
        } else if tokens[end - 1].punct
            || TAIL_WORDS.contains(&w)
            || matches!(w, "um" | "uh" | "er")
        {
            end -= 1;
        } else {
            break;
        }
    }
    tokens[..end].to_vec()
}

/// "me"/"my" of a requester → their name; "you"/"your" in the user's own commitment → the other
/// speaker's name when there is exactly one.
fn substitute_pronouns(doc: &Doc, s: &Sentence, owner: Owner, body: &mut [Token]) {
    let (first_person, name) = match owner {
        Owner::Listener => (true, s.speaker.as_str()),
        Owner::Speaker if s.is_user && doc.others.len() == 1 => (false, doc.others[0].as_str()),
        _ => return,
    };
    if name.is_empty() || name.eq_ignore_ascii_case("user") {
        return;
    }
    for t in body.iter_mut() {
        let replacement = match (first_person, t.lower.as_str()) {
            (true, "me" | "myself") | (false, "you") => name.to_string(),
            (true, "my" | "mine") | (false, "your" | "yours") => format!("{name}'s"),
            _ => continue,
        };
        t.lower = replacement.to_lowercase();
        t.text = replacement;
    }
}

fn key(description: &str) -> Vec<String> {
    let mut k: Vec<String> = description
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(str::to_lowercase)
        .filter(|w| is_content_word(w))
        .map(|w| stem(&w))
        .collect();
    k.sort();
    k.dedup();
    k
}

fn add_unique(items: &mut Vec<ExtractedActionItem>, item: ExtractedActionItem) {
    let new_key = key(&item.description);
    for existing in items.iter_mut() {
        let old_key = key(&existing.description);
        let shared = new_key.iter().filter(|w| old_key.contains(w)).count();
        let union = new_key.len() + old_key.len() - shared;
        let same = existing.description.eq_ignore_ascii_case(&item.description)
            || (union > 0 && shared * 4 >= union * 3 && shared >= 1);
        if same {
            if existing.due_at.is_none() {
                existing.due_at = item.due_at;
            }
            return;
        }
    }
    items.push(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::extractive::tests::{capture, clock, conversation, doc_of, utc};
    use chrono::{DateTime, Utc};

    fn items(lines: &[(&str, &str)]) -> Vec<(String, Option<DateTime<Utc>>)> {
        action_items(&doc_of(lines), &clock())
            .into_iter()
            .map(|i| (i.description, i.due_at))
            .collect()
    }

    fn one(speaker: &str, text: &str) -> Vec<(String, Option<DateTime<Utc>>)> {
        // a second speaker so that ownership is decided by the marks
        items(&[
            (speaker, text),
            (if speaker == "User" { "Sarah" } else { "User" }, "Okay."),
        ])
    }

    fn item(description: &str, due: Option<DateTime<Utc>>) -> Vec<(String, Option<DateTime<Utc>>)> {
        vec![(description.to_string(), due)]
    }

    #[test]
    fn user_commitments() {
        assert_eq!(
            one("User", "I need to call the bank tomorrow at 9am."),
            item("Call the bank", Some(utc(2026, 11, 26, 9, 0)))
        );
        assert_eq!(
            one("User", "I have to finish the report ASAP."),
            item("Finish the report", Some(utc(2026, 11, 25, 12, 0)))
        );
        assert_eq!(
            one("User", "I'm going to renew my passport next month."),
            item("Renew my passport", Some(utc(2026, 12, 1, 23, 59)))
        );
        assert_eq!(
            one("User", "I need to go buy milk and eggs."),
            item("Buy milk and eggs", None)
        );
    }

    #[test]
    fn reminders() {
        assert_eq!(
            one("User", "Remind me to pick up the dry cleaning tonight."),
            item("Pick up the dry cleaning", Some(utc(2026, 11, 25, 20, 0)))
        );
        assert_eq!(
            one("Sarah", "Don't forget to water the plants this weekend."),
            item("Water the plants", Some(utc(2026, 11, 28, 23, 59)))
        );
    }

    #[test]
    fn requests_to_the_user_name_the_requester() {
        assert_eq!(
            one("Sarah", "Can you send me the slides by Friday?"),
            item("Send Sarah the slides", Some(utc(2026, 11, 27, 23, 59)))
        );
        assert_eq!(
            one("Sarah", "Please review the contract this afternoon."),
            item("Review the contract", Some(utc(2026, 11, 25, 14, 0)))
        );
        assert_eq!(
            one("Sarah", "Could you pick up my prescription?"),
            item("Pick up Sarah's prescription", None)
        );
    }

    #[test]
    fn imperatives_from_others_need_a_time() {
        assert_eq!(
            one("Sarah", "Call me tomorrow."),
            item("Call Sarah", Some(utc(2026, 11, 26, 23, 59)))
        );
        assert!(one("Sarah", "Call me.").is_empty());
    }

    #[test]
    fn the_user_promising_the_other_speaker_names_them() {
        assert_eq!(
            one("User", "I'll let you know by Friday."),
            item("Let Sarah know", Some(utc(2026, 11, 27, 23, 59)))
        );
    }

    #[test]
    fn shared_plans() {
        assert_eq!(
            one("User", "Let's finalize the budget in two days."),
            item("Finalize the budget", Some(utc(2026, 11, 27, 23, 59)))
        );
        assert_eq!(
            one("Sarah", "We need to update the roadmap."),
            item("Update the roadmap", None)
        );
    }

    #[test]
    fn weak_triggers_need_a_time() {
        assert_eq!(
            one("User", "We should grab lunch next week."),
            item("Grab lunch", Some(utc(2026, 11, 30, 23, 59)))
        );
        assert!(one("User", "We should hang out sometime.").is_empty());
        assert_eq!(
            one("User", "I should probably email him tomorrow morning."),
            item("Email him", Some(utc(2026, 11, 26, 9, 0)))
        );
    }

    #[test]
    fn two_tasks_in_one_sentence_share_its_time() {
        let friday = Some(utc(2026, 11, 27, 23, 59));
        assert_eq!(
            one("User", "I'll call Tom and email Ann on Friday."),
            vec![
                ("Call Tom".to_string(), friday),
                ("Email Ann".to_string(), friday)
            ]
        );
    }

    #[test]
    fn check_if_keeps_its_object() {
        assert_eq!(
            one(
                "Sarah",
                "Can you also check if the car needs gas before we drive up there?"
            ),
            item("Check if the car needs gas before we drive up there", None)
        );
        assert_eq!(
            one("User", "I'll call you if I'm late tomorrow."),
            item("Call Sarah", Some(utc(2026, 11, 26, 23, 59)))
        );
    }

    #[test]
    fn not_tasks() {
        for text in [
            "I'll see you later.",
            "Okay, I'll do it.",
            "I'll be there.",
            "Let me think.",
            "If it rains, I'll stay home.",
            "I'll tell you what.",
            "We'll see.",
            "What I need to say is simple.",
            "I won't call him.",
            "Today we will talk about photosynthesis.",
            "We need to discuss the budget.",
        ] {
            assert!(one("User", text).is_empty(), "{text}");
        }
        assert!(one("Sarah", "Can you hear me?").is_empty());
        assert!(one("Sarah", "Would you mind closing the door?").is_empty());
    }

    #[test]
    fn ownership_follows_the_user_marks() {
        // the user asking someone else, and someone else committing, are not the user's tasks
        assert!(one("User", "Can you send me the file tomorrow?").is_empty());
        assert!(one("Sarah", "I'll send you the file tomorrow.").is_empty());
        // without marks, anyone may be the user
        let mut input = conversation(&[("Speaker 1", "I'll send the file tomorrow.")]);
        input.lines[0].is_user = false;
        let doc = Doc::from_input(&input);
        assert_eq!(action_items(&doc, &clock()).len(), 1);
    }

    #[test]
    fn due_dates_in_the_past_are_dropped() {
        // captured at 10:00: "this morning" (09:00) has passed
        assert_eq!(
            one("User", "I need to finish the slides this morning."),
            item("Finish the slides", None)
        );
    }

    #[test]
    fn time_words_leave_the_description() {
        let got = one(
            "User",
            "I'll send the invoice to the client by the end of the week at the latest.",
        );
        assert_eq!(
            got,
            item(
                "Send the invoice to the client",
                Some(utc(2026, 11, 27, 23, 59))
            )
        );
    }

    #[test]
    fn descriptions_have_at_most_15_words_and_start_with_a_capital() {
        let got = one(
            "User",
            "I need to write a very long and detailed summary of every single decision the board made during \
             the annual strategy retreat in the mountains",
        );
        assert_eq!(got.len(), 1);
        let d = &got[0].0;
        assert!(d.split_whitespace().count() <= MAX_DESCRIPTION_WORDS, "{d}");
        assert!(d.starts_with("Write a very long"), "{d}");
        assert!(!d.ends_with(" the") && !d.ends_with(" in"), "{d}");
    }

    #[test]
    fn duplicates_are_merged_keeping_a_due_date() {
        let got = items(&[
            ("User", "I'll send the report."),
            ("Sarah", "Great."),
            ("User", "Yes, I will send the report tomorrow."),
        ]);
        assert_eq!(
            got,
            item("Send the report", Some(utc(2026, 11, 26, 23, 59)))
        );
    }

    #[test]
    fn capture_time_is_the_reference() {
        assert_eq!(capture(), utc(2026, 11, 25, 10, 0));
    }
}
