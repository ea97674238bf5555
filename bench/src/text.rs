//! Plausible English-like text for memory contents and action item descriptions, so that payload sizes are
//! those of real use (a memory is one sentence of 60–160 characters).

use crate::rng::Rng;

const WORDS: &[&str] = &[
    "the",
    "user",
    "prefers",
    "green",
    "tea",
    "over",
    "coffee",
    "in",
    "morning",
    "likes",
    "hiking",
    "with",
    "friends",
    "on",
    "weekends",
    "works",
    "as",
    "software",
    "engineer",
    "at",
    "startup",
    "berlin",
    "plans",
    "trip",
    "to",
    "japan",
    "next",
    "spring",
    "is",
    "learning",
    "spanish",
    "every",
    "evening",
    "has",
    "dog",
    "named",
    "max",
    "who",
    "loves",
    "long",
    "walks",
    "park",
    "enjoys",
    "cooking",
    "italian",
    "food",
    "for",
    "family",
    "reads",
    "science",
    "fiction",
    "before",
    "sleep",
    "wants",
    "run",
    "marathon",
    "this",
    "year",
    "mentioned",
    "sister",
    "birthday",
    "party",
    "saturday",
    "dinner",
    "meeting",
    "team",
    "project",
    "deadline",
    "friday",
    "budget",
    "review",
    "quarterly",
    "report",
    "manager",
    "feedback",
    "presentation",
    "client",
    "call",
    "tuesday",
    "afternoon",
    "gym",
    "three",
    "times",
    "week",
    "avoids",
    "sugar",
    "and",
    "dairy",
    "playing",
    "guitar",
    "since",
    "college",
    "favourite",
    "band",
    "concert",
    "tickets",
    "bought",
    "new",
    "apartment",
    "near",
    "river",
    "moving",
    "october",
    "needs",
    "fix",
    "bike",
    "brakes",
    "doctor",
    "appointment",
    "dentist",
    "insurance",
    "renew",
    "passport",
    "visa",
    "application",
    "colleague",
    "anna",
    "book",
    "recommendation",
    "podcast",
    "about",
    "history",
    "economics",
    "startup",
    "funding",
    "investor",
    "pitch",
    "deck",
    "design",
    "mockups",
    "feature",
    "launch",
    "customer",
    "interview",
    "notes",
    "summary",
    "garden",
    "tomatoes",
    "balcony",
    "photography",
    "camera",
    "lens",
    "vacation",
    "photos",
    "album",
    "mother",
    "father",
    "brother",
    "kids",
    "school",
    "pickup",
    "soccer",
    "practice",
    "piano",
    "lessons",
    "wednesday",
];

/// A sentence of `min..=max` words, capitalised, ending with a full stop.
pub fn sentence(rng: &mut Rng, min: u64, max: u64) -> String {
    let count = rng.between(min, max);
    let mut out = String::with_capacity(count as usize * 8);
    for i in 0..count {
        let word = *rng.pick(WORDS);
        if i == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            }
        } else {
            out.push(' ');
            out.push_str(word);
        }
    }
    out.push('.');
    out
}

/// A memory's content: one sentence of 10–24 words (about 60–160 characters).
pub fn memory_content(rng: &mut Rng) -> String {
    sentence(rng, 10, 24)
}

/// An action item's description: 4–12 words.
pub fn action_description(rng: &mut Rng) -> String {
    sentence(rng, 4, 12)
}

/// A tag.
pub fn tag(rng: &mut Rng) -> String {
    (*rng.pick(WORDS)).to_string()
}
