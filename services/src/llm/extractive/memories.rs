//! Memories: facts about the user (category "system") and advice from others ("interesting").
//!
//! Facts come from the user's sentences — or from every sentence when no line is marked as the
//! user's (devices without a speech profile) and from every sentence of an imported text — that
//! are statements (not questions, not conditionals) matching first-person patterns, rewritten in
//! the third person:
//! - "I like/love/enjoy/prefer/hate/dislike X" → "User likes X" ("I don't like X" → "User doesn't
//!   like X"); "I always/usually/never X" → "User always Xs";
//! - "I'm allergic to X", "I'm a/an X", "I'm vegetarian/married/…", "I'm learning/studying X",
//!   "I'm from X", "I'm into X", "I'm afraid of X", "I've been learning X";
//! - "I work at/for/as X", "I live in X", "I moved to X", "I grew up in X", "I was born in X",
//!   "I speak X", "I play X", "I have two kids / a dog named Max";
//! - "my name is X", "my favorite X is Y", "my birthday is X", "my wife/son/dog/boss/best friend
//!   … is named X / is a X / works at X", "my sister Emma …" → "User's sister is named Emma".
//!
//! Advice comes from someone else's sentences (a named speaker): "you should always/never X",
//! "always/never X", "the key/secret/trick to Y is X", "my advice is to X", "it's important to
//! X", "the best way to Y is X" → "Sarah advises to always X" / "Sarah says the key to Y is X".
//!
//! Conversations under 25 characters give nothing; duplicates are dropped; at most 4, facts first.

use super::dates::weekday;
use super::doc::Doc;
use super::phrases::drop_fillers;
use super::words::is_content_word;
use crate::llm::text::{join, Token};
use crate::llm::ExtractedMemory;

pub(crate) const MAX_MEMORIES: usize = 4;
pub(crate) const MIN_TRANSCRIPT_CHARS: usize = 25;
const MAX_OBJECT_WORDS: usize = 12;

const ADVERBS: [&str; 12] = [
    "really",
    "also",
    "actually",
    "totally",
    "absolutely",
    "just",
    "definitely",
    "honestly",
    "still",
    "genuinely",
    "seriously",
    "truly",
];

const FREQUENCY: [&str; 8] = [
    "always",
    "usually",
    "often",
    "never",
    "sometimes",
    "rarely",
    "normally",
    "generally",
];

const PREFERENCE_VERBS: [&str; 7] = [
    "like", "love", "enjoy", "prefer", "hate", "dislike", "adore",
];

const RELATIONS: [&str; 36] = [
    "wife",
    "husband",
    "partner",
    "girlfriend",
    "boyfriend",
    "fiance",
    "fiancee",
    "son",
    "daughter",
    "kid",
    "kids",
    "child",
    "children",
    "brother",
    "sister",
    "mom",
    "mother",
    "dad",
    "father",
    "parents",
    "grandma",
    "grandmother",
    "grandpa",
    "grandfather",
    "aunt",
    "uncle",
    "cousin",
    "dog",
    "cat",
    "puppy",
    "kitten",
    "pet",
    "boss",
    "manager",
    "roommate",
    "friend",
];

const STATES: [&str; 22] = [
    "vegetarian",
    "vegan",
    "married",
    "single",
    "divorced",
    "engaged",
    "pregnant",
    "retired",
    "diabetic",
    "left-handed",
    "right-handed",
    "lactose",
    "gluten",
    "colorblind",
    "introverted",
    "extroverted",
    "unemployed",
    "self-employed",
    "pescatarian",
    "allergic",
    "celiac",
    "sober",
];

/// Objects that make no memory ("I love it", "I like that").
const VAGUE_OBJECTS: [&str; 19] = [
    "it", "that", "this", "you", "him", "her", "them", "those", "these", "when", "how", "what",
    "so", "too", "very", "doing", "being", "here", "there",
];

/// "I'm a bit …" is not an identity.
const NOT_IDENTITIES: [&str; 16] = [
    "bit", "little", "lot", "tad", "few", "couple", "second", "sec", "minute", "moment", "total",
    "complete", "mess", "fool", "kind", "sort",
];

/// Words that end the object of a fact.
const OBJECT_ENDS: [&str; 13] = [
    "but", "because", "cause", "although", "though", "unless", "since", "if", "when", "while",
    "so", "which", "whereas",
];

pub(crate) fn memories(doc: &Doc) -> Vec<ExtractedMemory> {
    let chars: usize = doc.sentences.iter().map(|s| s.text.chars().count()).sum();
    if chars < MIN_TRANSCRIPT_CHARS {
        return Vec::new();
    }
    let mut facts: Vec<String> = Vec::new();
    let mut advice: Vec<String> = Vec::new();
    for s in &doc.sentences {
        if s.is_question() {
            continue;
        }
        let tokens = drop_fillers(&s.tokens);
        if tokens
            .first()
            .is_some_and(|t| matches!(t.lower.as_str(), "if" | "unless"))
        {
            continue;
        }
        if doc.may_be_user(s) {
            for i in clause_starts(&tokens) {
                if let Some(f) = fact_at(&tokens, i) {
                    push_unique(&mut facts, f);
                    break;
                }
            }
        }
        let named = !s.speaker.is_empty() && !s.speaker.eq_ignore_ascii_case("user");
        if named && !s.is_user {
            if let Some(a) = advice_in(&tokens, &s.speaker) {
                push_unique(&mut advice, a);
            }
        }
    }
    facts
        .into_iter()
        .map(|content| ExtractedMemory {
            content,
            category: "system".into(),
        })
        .chain(advice.into_iter().map(|content| ExtractedMemory {
            content,
            category: "interesting".into(),
        }))
        .take(MAX_MEMORIES)
        .collect()
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.iter().any(|x| x.eq_ignore_ascii_case(&item)) {
        list.push(item);
    }
}

/// Token positions that start a clause.
fn clause_starts(tokens: &[Token]) -> Vec<usize> {
    let mut out = Vec::new();
    for i in 0..tokens.len() {
        let prev = if i == 0 {
            ""
        } else {
            tokens[i - 1].lower.as_str()
        };
        let start = i == 0
            || tokens[i - 1].punct
            || matches!(
                prev,
                "and"
                    | "but"
                    | "so"
                    | "also"
                    | "well"
                    | "oh"
                    | "okay"
                    | "yeah"
                    | "actually"
                    | "honestly"
                    | "because"
                    | "since"
            );
        if start && !tokens[i].punct {
            out.push(i);
        }
    }
    out
}

struct Cursor<'a> {
    tokens: &'a [Token],
    j: usize,
}

impl Cursor<'_> {
    fn w(&self, k: usize) -> &str {
        self.tokens
            .get(self.j + k)
            .map(|t| t.lower.as_str())
            .unwrap_or("")
    }

    fn skip_adverbs(&mut self) {
        while ADVERBS.contains(&self.w(0)) {
            self.j += 1;
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        if self.w(0) == word {
            self.j += 1;
            true
        } else {
            false
        }
    }

    /// The object from here to the end of the clause, rewritten in the third person; None when
    /// vague or empty.
    fn object(&self) -> Option<String> {
        object_from(self.tokens, self.j)
    }
}

fn object_from(tokens: &[Token], from: usize) -> Option<String> {
    let mut end = from;
    while end < tokens.len() {
        let t = &tokens[end];
        let next = tokens.get(end + 1).map(|n| n.lower.as_str()).unwrap_or("");
        let and_clause = t.lower == "and"
            && matches!(
                next,
                "i" | "i'm" | "i'll" | "we" | "you" | "he" | "she" | "they" | "it's" | "then"
            );
        if (t.punct && !matches!(t.text.as_str(), "&" | "/"))
            || OBJECT_ENDS.contains(&t.lower.as_str())
            || and_clause
        {
            break;
        }
        end += 1;
    }
    let mut object: Vec<Token> = tokens[from..end]
        .iter()
        .take(MAX_OBJECT_WORDS)
        .cloned()
        .collect();
    while object.last().is_some_and(|t| {
        matches!(
            t.lower.as_str(),
            "and"
                | "or"
                | "the"
                | "a"
                | "to"
                | "of"
                | "like"
                | "too"
                | "though"
                | "anyway"
                | "anyways"
                | "really"
                | "actually"
                | "honestly"
                | "lol"
                | "haha"
                | "now"
                | "then"
                | "so"
        )
    }) {
        object.pop();
    }
    let first = object.first()?.lower.clone();
    // "these family dinners" is specific enough; "these" alone is not
    let determined = matches!(first.as_str(), "these" | "those")
        && object.iter().skip(1).any(|t| is_content_word(&t.lower));
    if (VAGUE_OBJECTS.contains(&first.as_str()) && !determined)
        || !object
            .iter()
            .any(|t| is_content_word(&t.lower) || t.is_capitalized())
    {
        return None;
    }
    for t in &mut object {
        let replacement = match t.lower.as_str() {
            "my" => "their",
            "me" => "them",
            "i" => "they",
            "i'm" => "they're",
            "i've" => "they've",
            "myself" => "themselves",
            "mine" => "theirs",
            _ => continue,
        };
        t.text = replacement.to_string();
        t.lower = replacement.to_string();
    }
    Some(join(&object))
}

/// The third-person singular of a verb ("go" → "goes", "study" → "studies").
fn third_person(verb: &str) -> String {
    match verb {
        "have" => return "has".into(),
        "do" => return "does".into(),
        "be" => return "is".into(),
        _ => {}
    }
    if ["s", "sh", "ch", "x", "z", "o"]
        .iter()
        .any(|e| verb.ends_with(e))
    {
        return format!("{verb}es");
    }
    if let Some(stem) = verb.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            return format!("{stem}ies");
        }
    }
    format!("{verb}s")
}

fn fact_at(tokens: &[Token], i: usize) -> Option<String> {
    let mut c = Cursor { tokens, j: i };
    match c.w(0) {
        "i" => {
            c.j += 1;
            if c.eat("am") {
                return identity(&mut c);
            }
            i_fact(&mut c)
        }
        "i'm" => {
            c.j += 1;
            identity(&mut c)
        }
        "i've" => {
            c.j += 1;
            c.skip_adverbs();
            if c.eat("been")
                && matches!(
                    c.w(0),
                    "learning" | "studying" | "working" | "living" | "playing" | "training"
                )
            {
                let verb = c.w(0).to_string();
                c.j += 1;
                return Some(format!("User has been {verb} {}", c.object()?));
            }
            if c.eat("got") && has_relation_ahead(&c) {
                return Some(format!("User has {}", c.object()?));
            }
            None
        }
        "my" => {
            c.j += 1;
            my_fact(&mut c)
        }
        _ => None,
    }
}

/// After "I": preferences, habits, work, home.
fn i_fact(c: &mut Cursor) -> Option<String> {
    c.skip_adverbs();
    let mut freq = None;
    if FREQUENCY.contains(&c.w(0)) {
        freq = Some(c.w(0).to_string());
        c.j += 1;
        c.skip_adverbs();
    }
    let negated = if c.eat("don't") || c.eat("dont") {
        true
    } else if c.w(0) == "do" && c.w(1) == "not" {
        c.j += 2;
        true
    } else {
        false
    };
    c.skip_adverbs();
    let verb = c.w(0).to_string();
    let freq_part = freq.map(|f| format!("{f} ")).unwrap_or_default();
    if PREFERENCE_VERBS.contains(&verb.as_str()) {
        c.j += 1;
        let object = c.object()?;
        return Some(if negated {
            format!("User {freq_part}doesn't {verb} {object}")
        } else {
            format!("User {freq_part}{} {object}", third_person(&verb))
        });
    }
    if verb == "can't" && matches!(c.w(1), "stand" | "eat" | "drink" | "have") {
        let what = c.w(1).to_string();
        c.j += 2;
        return Some(format!("User can't {what} {}", c.object()?));
    }
    if negated {
        if matches!(verb.as_str(), "eat" | "drink" | "smoke" | "drive" | "own") {
            c.j += 1;
            return Some(format!("User doesn't {verb} {}", c.object()?));
        }
        return None;
    }
    let place_verb = match (verb.as_str(), c.w(1)) {
        ("work", "at" | "for" | "as" | "in" | "on") => Some("works"),
        ("live", "in" | "near") => Some("lives"),
        ("moved", "to") => Some("moved"),
        ("teach", _) => Some("teaches"),
        ("speak", _) => Some("speaks"),
        ("play", _) => Some("plays"),
        ("study", _) => Some("studies"),
        ("own", _) => Some("owns"),
        _ => None,
    };
    if let Some(v) = place_verb {
        c.j += 1;
        return Some(format!("User {freq_part}{v} {}", c.object()?));
    }
    if verb == "grew" && c.w(1) == "up" {
        c.j += 2;
        return Some(format!("User grew up {}", c.object()?));
    }
    if verb == "was" && c.w(1) == "born" {
        c.j += 2;
        return Some(format!("User was born {}", c.object()?));
    }
    if verb == "have" && freq_part.is_empty() {
        c.j += 1;
        if has_relation_ahead(c) {
            return Some(format!("User has {}", c.object()?));
        }
        return None;
    }
    if !freq_part.is_empty()
        && verb.chars().all(char::is_alphabetic)
        && !matches!(
            verb.as_str(),
            "say"
                | "said"
                | "tell"
                | "think"
                | "mean"
                | "know"
                | "feel"
                | "forget"
                | "wanted"
                | "want"
        )
    {
        c.j += 1;
        return Some(format!(
            "User {freq_part}{} {}",
            third_person(&verb),
            c.object()?
        ));
    }
    None
}

/// "a dog", "two kids", "a little sister" within the next three words.
fn has_relation_ahead(c: &Cursor) -> bool {
    let quantity = matches!(
        c.w(0),
        "a" | "an" | "two" | "three" | "four" | "five" | "one"
    ) || c.w(0).chars().all(|ch| ch.is_ascii_digit()) && !c.w(0).is_empty();
    quantity && (1..=3).any(|k| RELATIONS.contains(&c.w(k)))
}

/// After "I'm" / "I am": identity, states, learning, origin.
fn identity(c: &mut Cursor) -> Option<String> {
    c.skip_adverbs();
    let w = c.w(0).to_string();
    if w == "allergic" && c.w(1) == "to" {
        c.j += 1;
        return Some(format!("User is allergic {}", c.object()?));
    }
    if matches!(w.as_str(), "a" | "an") {
        if NOT_IDENTITIES.contains(&c.w(1)) {
            return None;
        }
        return Some(format!("User is {}", c.object()?));
    }
    if STATES.contains(&w.as_str()) {
        return Some(format!("User is {}", c.object()?));
    }
    let follow = match w.as_str() {
        "learning" | "studying" | "training" | "into" | "from" => Some(w.clone()),
        "working" if matches!(c.w(1), "at" | "for" | "as" | "on") => Some(w.clone()),
        "moving" if c.w(1) == "to" => Some(w.clone()),
        "afraid" if c.w(1) == "of" => Some(w.clone()),
        "living" if c.w(1) == "in" => Some(w.clone()),
        _ => None,
    }?;
    c.j += 1;
    let object = c.object()?;
    Some(match follow.as_str() {
        "living" => format!("User lives {object}"),
        verb => format!("User is {verb} {object}"),
    })
}

/// After "my": name, favorites, birthday, people and pets.
fn my_fact(c: &mut Cursor) -> Option<String> {
    match c.w(0) {
        "name" if c.w(1) == "is" => {
            c.j += 2;
            return Some(format!("User's name is {}", names(c.tokens, c.j, 3)?));
        }
        "name's" => {
            c.j += 1;
            return Some(format!("User's name is {}", names(c.tokens, c.j, 3)?));
        }
        "favorite" | "favourite" => {
            let noun_end = (1..=3).find(|k| matches!(c.w(*k), "is" | "are" | "was"))?;
            let noun: Vec<String> = (1..noun_end).map(|k| c.w(k).to_string()).collect();
            let verb = c.w(noun_end).to_string();
            c.j += noun_end + 1;
            return Some(format!(
                "User's favorite {} {verb} {}",
                noun.join(" "),
                c.object()?
            ));
        }
        "birthday" if c.w(1) == "is" => {
            c.j += 2;
            return Some(format!("User's birthday is {}", c.object()?));
        }
        _ => {}
    }
    // "my dog's name is Max"
    if let Some(relation) = c.w(0).strip_suffix("'s").filter(|r| RELATIONS.contains(r)) {
        if c.w(1) == "name" && c.w(2) == "is" {
            return Some(format!(
                "User's {relation} is named {}",
                names(c.tokens, c.j + 3, 3)?
            ));
        }
        return None;
    }
    let relation = if c.w(0) == "best" && c.w(1) == "friend" {
        c.j += 2;
        "best friend".to_string()
    } else if RELATIONS.contains(&c.w(0)) {
        c.j += 1;
        c.tokens[c.j - 1].lower.clone()
    } else {
        return None;
    };
    // "my sister Emma", "my dog, Max,"
    let apposition = if c.w(0) == "," { c.j + 1 } else { c.j };
    if let Some(name) = names(c.tokens, apposition, 2) {
        return Some(format!("User's {relation} is named {name}"));
    }
    if c.w(0) == "is" && matches!(c.w(1), "named" | "called") {
        return Some(format!(
            "User's {relation} is named {}",
            names(c.tokens, c.j + 2, 3)?
        ));
    }
    // "my dog is Max."
    if c.w(0) == "is" {
        if let Some(name) = names(c.tokens, c.j + 1, 2) {
            let after = c.j + 1 + name.split_whitespace().count();
            if c.tokens.get(after).is_none_or(|t| t.punct) {
                return Some(format!("User's {relation} is named {name}"));
            }
        }
    }
    if c.w(0) == "is" && matches!(c.w(1), "a" | "an") {
        c.j += 1;
        return Some(format!("User's {relation} is {}", c.object()?));
    }
    if matches!(
        c.w(0),
        "works" | "lives" | "loves" | "likes" | "hates" | "studies"
    ) || (c.w(0) == "is" && c.w(1) == "allergic")
    {
        return Some(format!("User's {relation} {}", c.object()?));
    }
    None
}

/// Up to `max` capitalized words starting at `from` ("Emma", "Mary Jane").
fn names(tokens: &[Token], from: usize, max: usize) -> Option<String> {
    let words: Vec<&str> = tokens[from.min(tokens.len())..]
        .iter()
        .take_while(|t| {
            !t.punct && t.is_capitalized() && t.lower != "i" && weekday(&t.lower).is_none()
        })
        .take(max)
        .map(|t| t.text.as_str())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Advice from someone else, attributed.
fn advice_in(tokens: &[Token], speaker: &str) -> Option<String> {
    let words: Vec<&str> = tokens.iter().map(|t| t.lower.as_str()).collect();
    let at = |k: usize| words.get(k).copied().unwrap_or("");
    for i in clause_starts(tokens) {
        // "you should always/never X", "you should never X"
        if at(i) == "you" && at(i + 1) == "should" && matches!(at(i + 2), "always" | "never") {
            let object = object_from(tokens, i + 3)?;
            return Some(format!("{speaker} advises to {} {object}", at(i + 2)));
        }
        // "always/never X" at the start of a sentence
        if i == 0
            && matches!(at(i), "always" | "never")
            && !matches!(at(i + 1), "mind" | "again" | "before" | "ever")
        {
            let object = object_from(tokens, i + 1)?;
            if object.split_whitespace().count() >= 2 {
                return Some(format!("{speaker} advises to {} {object}", at(i)));
            }
        }
        // "the key/secret/trick (to Y) is X", "the best way to Y is X"
        let key_like = at(i) == "the"
            && (matches!(at(i + 1), "key" | "secret" | "trick")
                || (at(i + 1) == "best" && at(i + 2) == "way"));
        if key_like && words[i..].contains(&"is") {
            let phrase = object_from(tokens, i)?;
            return Some(format!("{speaker} says the{}", &phrase[3..]));
        }
        // "my advice is (to) X", "my tip is X"
        if at(i) == "my" && matches!(at(i + 1), "advice" | "tip") && at(i + 2) == "is" {
            let from = if at(i + 3) == "to" { i + 4 } else { i + 3 };
            return Some(format!(
                "{speaker} advises to {}",
                object_from(tokens, from)?
            ));
        }
        // "it's important to X"
        if (at(i) == "it's" && at(i + 1) == "important" && at(i + 2) == "to")
            || (at(i) == "it" && at(i + 1) == "is" && at(i + 2) == "important" && at(i + 3) == "to")
        {
            let from = if at(i) == "it" { i + 4 } else { i + 3 };
            return Some(format!(
                "{speaker} says it's important to {}",
                object_from(tokens, from)?
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::extractive::tests::{conversation, doc_of};

    fn facts(text: &str) -> Vec<String> {
        memories(&doc_of(&[
            ("User", text),
            ("Sarah", "Oh really, tell me more about that."),
        ]))
        .into_iter()
        .map(|m| {
            assert_eq!(m.category, "system", "{}", m.content);
            m.content
        })
        .collect()
    }

    fn fact(text: &str) -> String {
        let f = facts(text);
        assert_eq!(f.len(), 1, "{text}: {f:?}");
        f[0].clone()
    }

    #[test]
    fn preferences() {
        assert_eq!(
            fact("I love hiking in the mountains."),
            "User loves hiking in the mountains"
        );
        assert_eq!(
            fact("Honestly, I really prefer tea over coffee."),
            "User prefers tea over coffee"
        );
        assert_eq!(
            fact("I don't like horror movies at all."),
            "User doesn't like horror movies at all"
        );
        assert_eq!(
            fact("I hate driving in the city, it's stressful."),
            "User hates driving in the city"
        );
        assert_eq!(
            fact("I enjoy cooking for my friends."),
            "User enjoys cooking for their friends"
        );
        assert_eq!(
            fact("My favorite band is Radiohead."),
            "User's favorite band is Radiohead"
        );
    }

    #[test]
    fn identity_work_and_home() {
        assert_eq!(
            fact("I'm allergic to peanuts, so no satay."),
            "User is allergic to peanuts"
        );
        assert_eq!(
            fact("I'm a software engineer at a startup."),
            "User is a software engineer at a startup"
        );
        assert_eq!(
            fact("I work at Acme as a data engineer."),
            "User works at Acme as a data engineer"
        );
        assert_eq!(
            fact("I live in Portland with two cats."),
            "User lives in Portland with two cats"
        );
        assert_eq!(
            fact("My name is Alex Morgan."),
            "User's name is Alex Morgan"
        );
        assert_eq!(
            fact("I'm learning Spanish for my trip."),
            "User is learning Spanish for their trip"
        );
        assert_eq!(
            fact("I'm vegetarian since last year."),
            "User is vegetarian"
        );
        assert_eq!(
            fact("I usually go running at 6am."),
            "User usually goes running at 6am"
        );
    }

    #[test]
    fn people_and_pets() {
        assert_eq!(
            fact("My wife is named Julia."),
            "User's wife is named Julia"
        );
        assert_eq!(
            fact("My sister Emma lives in Boston."),
            "User's sister is named Emma"
        );
        assert_eq!(fact("My dog's name is Max."), "User's dog is named Max");
        assert_eq!(
            fact("My brother is a doctor in Chicago."),
            "User's brother is a doctor in Chicago"
        );
        assert_eq!(
            fact("I have two kids and a dog named Max."),
            "User has two kids and a dog named Max"
        );
    }

    #[test]
    fn not_facts() {
        for text in [
            "I'm a bit tired today, long week.",
            "I love it, thanks so much for the gift.",
            "Do you like sushi or ramen more?",
            "If I had money I would love a boat.",
            "I have a question about the invoice.",
            "My wife is tired after the long flight.",
            "I'm going to the store after work.",
        ] {
            assert!(facts(text).is_empty(), "{text}: {:?}", facts(text));
        }
    }

    #[test]
    fn only_the_users_lines_when_marked() {
        let doc = doc_of(&[
            ("Sarah", "I love sushi more than anything else."),
            ("User", "Nice."),
        ]);
        assert!(memories(&doc).is_empty());
        // no line marked: every line may be the user's
        let mut input = conversation(&[("Speaker 1", "I love sushi more than anything else.")]);
        input.lines[0].is_user = false;
        let doc = Doc::from_input(&input);
        assert_eq!(
            memories(&doc)[0].content,
            "User loves sushi more than anything else"
        );
    }

    #[test]
    fn advice_from_others_is_interesting_and_attributed() {
        let doc = doc_of(&[
            (
                "Sarah",
                "You should always back up your photos before an update.",
            ),
            ("Tom", "The key to a good demo is rehearsing it twice."),
            ("Tom", "My advice is to start small."),
            ("User", "Never skip leg day, guys."),
        ]);
        let got: Vec<(String, String)> = memories(&doc)
            .into_iter()
            .map(|m| (m.content, m.category))
            .collect();
        let interesting = |s: &str| (s.to_string(), "interesting".to_string());
        assert_eq!(
            got,
            [
                interesting("Sarah advises to always back up your photos before an update"),
                interesting("Tom says the key to a good demo is rehearsing it twice"),
                interesting("Tom advises to start small"),
            ]
        );
    }

    #[test]
    fn at_most_four_facts_first_no_duplicates() {
        let doc = doc_of(&[
            ("Sarah", "You should never reply to emails after 9pm."),
            ("User", "I love jazz. I love jazz. I'm allergic to cats."),
            (
                "User",
                "I live in Lisbon. I work at Globex. I speak Portuguese.",
            ),
        ]);
        let got: Vec<String> = memories(&doc).into_iter().map(|m| m.content).collect();
        assert_eq!(
            got,
            [
                "User loves jazz",
                "User is allergic to cats",
                "User lives in Lisbon",
                "User works at Globex"
            ]
        );
    }

    #[test]
    fn short_transcripts_give_nothing() {
        assert!(memories(&doc_of(&[("User", "I love jazz.")])).is_empty());
        assert_eq!(
            memories(&doc_of(&[("User", "I love jazz and blues music.")])).len(),
            1
        );
    }
}
