//! Time expressions in a sentence, resolved against the capture time in the user's time zone.
//!
//! Rules (local time = capture time shifted by the user's UTC offset; results are UTC):
//! - Days: "today"; "tonight" (today, 20:00); "tomorrow"; "(the) day after tomorrow" (+2);
//!   weekday names ("Friday", "on/by/this/next Friday": the next such day after the capture day;
//!   "this Friday" on a Friday is that day; "next Friday" is read like "Friday");
//!   "next week" (the next Monday); "this week" / "end of the week" (Friday on or after today, the
//!   next Friday on a weekend); "this weekend" / "the weekend" (Saturday on or after today; today
//!   on a Sunday); "next weekend" (the Saturday after next Monday); "next month" (its 1st);
//!   "end of the month" (its last day); "end of (the) day" / "EOD" (today); "in N days/weeks/months";
//!   dates such as "December 3rd", "Dec 3 2027", "3rd of December", "the 5th" (the next such
//!   date on or after today).
//! - Times: "at 3pm", "3:30 pm", "15:00", "3 o'clock", "noon"/"midday" (12:00), "midnight" (23:59);
//!   a bare "at 3" / "at two" (after at/around/by/until/before) is 13:00–19:00 for 1–7,
//!   08:00–12:00 for 8–12 (or the afternoon when a part of day after noon is named: "tomorrow
//!   evening at 7" is 19:00); parts of day: "morning" 09:00,
//!   "afternoon" 14:00, "evening" 18:00, "night"/"tonight" 20:00 — after a day ("tomorrow
//!   morning", "Friday night"), "this", or a preposition ("in the morning", "at night"), so that
//!   "morning meetings" is not a time.
//! - Exact instants: "in N minutes/hours", "in half an hour", "in an hour and a half",
//!   "N hours from now".
//! - Urgency: "urgent(ly)", "ASAP", "as soon as possible", "right away", "immediately",
//!   "right now" → capture time + 2 h, used only when nothing else gives a time.
//! - A day without a time is 23:59 local. A time without a day is today, or tomorrow when that
//!   time has already passed ("call him at 9" said at 10:00 means tomorrow 09:00); except a part
//!   of day introduced by "this" ("this morning") or "tonight", which stays today — if it has
//!   passed, the result is in the past and callers drop it ("this morning" said at 10:00 gives no
//!   due date). "this morning" next to another day ("called this morning about Sunday") is
//!   ignored.
//! - "yesterday", "last week/night/Friday…", "… ago", "earlier today" mark the mention as past.

mod lexicon;
mod scanner;

#[cfg(test)]
mod tests;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};

pub(crate) use self::lexicon::{parse_number, weekday};
use self::scanner::{ClockTime, Scanner, State};
use crate::llm::text::Token;

/// The capture time and the user's UTC offset.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    now: DateTime<Utc>,
    offset_seconds: i64,
}

impl Clock {
    /// Offsets are clamped to ±18 h.
    pub fn new(now: DateTime<Utc>, utc_offset_minutes: i32) -> Self {
        let minutes = i64::from(utc_offset_minutes.clamp(-18 * 60, 18 * 60));
        Clock {
            now,
            offset_seconds: minutes * 60,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub fn local_now(&self) -> NaiveDateTime {
        self.local_time(self.now)
    }

    pub fn today(&self) -> NaiveDate {
        self.local_now().date()
    }

    pub fn local_time(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.naive_utc() + TimeDelta::seconds(self.offset_seconds)
    }

    pub fn utc_time(&self, local: NaiveDateTime) -> DateTime<Utc> {
        Utc.from_utc_datetime(&(local - TimeDelta::seconds(self.offset_seconds)))
    }
}

/// What a sentence says about time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TimeMention {
    /// The resolved instant, if the sentence gives one (possibly in the past; callers filter).
    pub at: Option<DateTime<Utc>>,
    /// A day was named.
    pub has_day: bool,
    /// A clock time or a part of day was named.
    pub has_clock: bool,
    /// An exact offset from the capture time ("in 2 hours").
    pub exact: bool,
    /// An urgency word was used.
    pub urgent: bool,
    /// The sentence refers to the past ("yesterday", "last week", "two days ago").
    pub past: bool,
    /// Per token: part of a time expression (including the prepositions introducing it).
    pub covered: Vec<bool>,
    /// Per token: a possessive time word ("Friday's meeting") that reads "the" once stripped.
    possessive: Vec<bool>,
}

impl TimeMention {
    /// A day, a time of day or an exact offset was given (not only urgency).
    pub fn is_concrete(&self) -> bool {
        self.at.is_some() && (self.has_day || self.has_clock || self.exact)
    }

    /// `at` when it is not before the capture time.
    pub fn future_at(&self, clock: &Clock) -> Option<DateTime<Utc>> {
        self.at.filter(|at| *at >= clock.now())
    }

    /// The tokens without the time expressions ("Friday's meeting" → "the meeting").
    pub fn strip(&self, tokens: &[Token]) -> Vec<Token> {
        let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            if self.possessive.get(i).copied().unwrap_or(false) {
                let prev = out.last().map(|p| p.lower.as_str()).unwrap_or("");
                if !matches!(
                    prev,
                    "the" | "a" | "my" | "our" | "your" | "his" | "her" | "their"
                ) {
                    out.push(Token {
                        text: "the".into(),
                        lower: "the".into(),
                        punct: false,
                    });
                }
            } else if !self.covered.get(i).copied().unwrap_or(false) {
                out.push(t.clone());
            }
        }
        out
    }
}

/// Words that introduce a time expression and go with it when it is stripped.
const CONNECTORS: [&str; 18] = [
    "at", "on", "by", "before", "until", "till", "til", "around", "from", "this", "next", "the",
    "in", "within", "for", "sometime", "later", "over",
];

/// Scans a tokenized sentence for time expressions.
pub(crate) fn scan(tokens: &[Token], clock: &Clock) -> TimeMention {
    let words: Vec<String> = tokens
        .iter()
        .map(|t| {
            if t.punct {
                t.lower.clone()
            } else {
                t.lower.trim_end_matches("'s").to_string()
            }
        })
        .collect();
    let mut scanner = Scanner {
        words: &words,
        clock,
        state: State::default(),
    };
    let n = words.len();
    let mut covered = vec![false; n];
    let mut possessive = vec![false; n];
    let mut i = 0;
    while i < n {
        match scanner.match_at(i) {
            Some(len) => {
                let len = len.max(1).min(n - i);
                covered[i..i + len].iter_mut().for_each(|c| *c = true);
                if len == 1 && tokens[i].lower.ends_with("'s") && i + 1 < n && !tokens[i + 1].punct
                {
                    possessive[i] = true;
                }
                i += len;
            }
            None => i += 1,
        }
    }
    extend_connectors(&words, &mut covered, &possessive);
    let mut state = scanner.state;
    if state.part_this && state.day.is_some_and(|d| d != clock.today()) {
        // "she called this morning … dinner on Sunday": the part of day belongs to today
        state.part = None;
    }
    let at = resolve(&state, clock);
    TimeMention {
        at,
        has_day: state.day.is_some(),
        has_clock: state.clock.is_some() || state.part.is_some(),
        exact: state.exact.is_some(),
        urgent: state.urgent,
        past: state.past,
        covered,
        possessive,
    }
}

/// Covers the prepositions before each time expression ("by Friday", "in the morning") and
/// "sharp" / "at the latest" after it.
fn extend_connectors(words: &[String], covered: &mut [bool], possessive: &[bool]) {
    let n = words.len();
    let mut i = 0;
    while i < n {
        if !covered[i] || (i > 0 && covered[i - 1]) {
            i += 1;
            continue;
        }
        // i starts a covered run
        if !possessive[i] {
            let mut s = i;
            while s > 0 && !covered[s - 1] && CONNECTORS.contains(&words[s - 1].as_str()) {
                s -= 1;
                covered[s] = true;
            }
        }
        let mut e = i;
        while e < n && covered[e] {
            e += 1;
        }
        if e < n && matches!(words[e].as_str(), "sharp" | "latest" | "ish") {
            covered[e] = true;
        } else if e + 2 < n && words[e] == "at" && words[e + 1] == "the" && words[e + 2] == "latest"
        {
            covered[e..e + 3].iter_mut().for_each(|c| *c = true);
        }
        i = e.max(i + 1);
    }
}

fn resolve(state: &State, clock: &Clock) -> Option<DateTime<Utc>> {
    if let Some(exact) = state.exact {
        return Some(exact);
    }
    let time = match (state.clock, state.part) {
        (Some(c), part) => Some(adjust_hour(c, part)),
        (None, Some(part)) => Some((part, 0)),
        (None, None) => None,
    };
    match (state.day, time) {
        (Some(day), time) => {
            let (h, m) = time.unwrap_or((23, 59));
            Some(clock.utc_time(day.and_time(hm(h, m))))
        }
        (None, Some((h, m))) => {
            let today = clock.today().and_time(hm(h, m));
            let rolls = state.clock.is_some() || !state.part_this;
            let local = if today < clock.local_now() && rolls {
                today + TimeDelta::days(1)
            } else {
                today
            };
            Some(clock.utc_time(local))
        }
        (None, None) if state.urgent => Some(clock.now() + TimeDelta::hours(2)),
        (None, None) => None,
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

/// Picks am or pm for an hour said without it.
fn adjust_hour(c: ClockTime, part: Option<u32>) -> (u32, u32) {
    if c.known {
        return (c.hour, c.minute);
    }
    let hour = match (c.hour, part) {
        (h @ 1..=11, Some(p)) if p >= 12 => h + 12,
        (h, Some(_)) => h,
        (h @ 1..=7, None) => h + 12,
        (h, None) => h,
    };
    (hour, c.minute)
}
