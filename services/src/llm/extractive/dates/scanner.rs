//! The patterns of time expressions, tried at each word of a sentence.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeDelta, Utc};

use super::lexicon::{
    day_number, is_ordinal, is_period_word, last_day_of_month, meridiem_word, month, next_date,
    parse_hm, parse_number, part_of_day, split_meridiem, unit, weekday, word_hour, year_number,
    Unit,
};
use super::Clock;

/// Words that may follow a bare hour ("at 3 tomorrow", "at 3, …").
const AFTER_BARE_HOUR: [&str; 24] = [
    "today",
    "tomorrow",
    "tonight",
    "on",
    "in",
    "this",
    "next",
    "sharp",
    "and",
    "or",
    "then",
    "with",
    "to",
    "for",
    "at",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "so",
    "ish",
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct ClockTime {
    pub hour: u32,
    pub minute: u32,
    /// am/pm given, or unambiguous (24-hour clock, noon, midnight).
    pub known: bool,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub day: Option<NaiveDate>,
    pub clock: Option<ClockTime>,
    pub part: Option<u32>,
    pub part_this: bool,
    pub exact: Option<DateTime<Utc>>,
    pub urgent: bool,
    pub past: bool,
}

pub(super) struct Scanner<'a> {
    pub words: &'a [String],
    pub clock: &'a Clock,
    pub state: State,
}

impl Scanner<'_> {
    fn w(&self, i: usize) -> &str {
        self.words.get(i).map(String::as_str).unwrap_or("")
    }

    fn seq(&self, i: usize, words: &[&str]) -> bool {
        words.iter().enumerate().all(|(k, w)| self.w(i + k) == *w)
    }

    fn set_day(&mut self, day: NaiveDate) {
        if self.state.day.is_none() {
            self.state.day = Some(day);
        }
    }

    fn set_part(&mut self, hour: u32, this: bool) {
        if self.state.part.is_none() {
            self.state.part = Some(hour);
            self.state.part_this = this;
        }
    }

    /// Tries every pattern at `i`; returns the number of tokens matched.
    pub fn match_at(&mut self, i: usize) -> Option<usize> {
        let today = self.clock.today();
        let w = self.w(i).to_string();
        if self.seq(i, &["day", "after", "tomorrow"]) {
            self.set_day(today + TimeDelta::days(2));
            return Some(3);
        }
        if self.seq(i, &["day", "before", "yesterday"]) || w == "yesterday" {
            self.state.past = true;
            return Some(if w == "yesterday" { 1 } else { 3 });
        }
        if self.seq(i, &["earlier", "today"]) || self.seq(i, &["this", "past"]) {
            self.state.past = true;
            return Some(2);
        }
        if w == "last" && is_period_word(self.w(i + 1)) {
            self.state.past = true;
            return Some(2);
        }
        if let Some(len) = self.match_urgency(i) {
            self.state.urgent = true;
            return Some(len);
        }
        match w.as_str() {
            "today" => {
                self.set_day(today);
                return Some(1);
            }
            "tonight" => {
                self.set_day(today);
                self.set_part(20, true);
                return Some(1);
            }
            "tomorrow" | "tmrw" | "tmr" | "tomorow" => {
                self.set_day(today + TimeDelta::days(1));
                return Some(1);
            }
            "eod" => {
                self.set_day(today);
                return Some(1);
            }
            _ => {}
        }
        if self.seq(i, &["end", "of"]) {
            return self.match_end_of(i);
        }
        if let Some(len) = self.match_relative(i) {
            return Some(len);
        }
        if let Some(wd) = weekday(&w) {
            let this = self.w(i.wrapping_sub(1)) == "this";
            let mut ahead = (7 + wd.num_days_from_monday() as i64
                - today.weekday().num_days_from_monday() as i64)
                % 7;
            if ahead == 0 && !this {
                ahead = 7;
            }
            self.set_day(today + TimeDelta::days(ahead));
            return Some(1);
        }
        if let Some(len) = self.match_week_month(i) {
            return Some(len);
        }
        if let Some(len) = self.match_calendar_date(i) {
            return Some(len);
        }
        if let Some((c, len)) = self.match_clock(i) {
            if self.state.clock.is_none() {
                self.state.clock = Some(c);
            }
            return Some(len);
        }
        self.match_part_of_day(i)
    }

    fn match_urgency(&self, i: usize) -> Option<usize> {
        match self.w(i) {
            "asap" | "a.s.a.p" | "urgent" | "urgently" | "immediately" => Some(1),
            "right" if matches!(self.w(i + 1), "away" | "now") => Some(2),
            "as" if self.seq(i, &["as", "soon", "as", "possible"]) => Some(4),
            _ => None,
        }
    }

    fn match_end_of(&mut self, i: usize) -> Option<usize> {
        let today = self.clock.today();
        let k = if self.w(i + 2) == "the" || self.w(i + 2) == "this" {
            i + 3
        } else {
            i + 2
        };
        let len = k + 1 - i;
        match self.w(k) {
            "day" | "today" => self.set_day(today),
            "week" => {
                let wd = today.weekday().num_days_from_monday() as i64;
                let ahead = if wd <= 4 { 4 - wd } else { 11 - wd };
                self.set_day(today + TimeDelta::days(ahead));
            }
            "month" => self.set_day(last_day_of_month(today)),
            _ => return None,
        }
        Some(len)
    }

    /// "in 2 days", "within an hour", "in half an hour", "3 hours from now", "two days ago".
    fn match_relative(&mut self, i: usize) -> Option<usize> {
        let (start, future_prefix) = match self.w(i) {
            "in" | "within" => (i + 1, true),
            _ => (i, false),
        };
        let (amount, unit, len) = self.quantity(start)?;
        let mut end = start + len;
        let future = if future_prefix {
            true
        } else if self.seq(end, &["from", "now"]) {
            end += 2;
            true
        } else if self.w(end) == "ago" {
            end += 1;
            self.state.past = true;
            false
        } else {
            return None;
        };
        if future {
            self.apply_offset(amount, unit);
        }
        Some(end - i)
    }

    fn apply_offset(&mut self, amount: f64, unit: Unit) {
        let today = self.clock.today();
        match unit {
            Unit::Minutes | Unit::Hours => {
                let minutes = if unit == Unit::Hours {
                    amount * 60.0
                } else {
                    amount
                };
                if self.state.exact.is_none() {
                    self.state.exact =
                        Some(self.clock.now() + TimeDelta::minutes(minutes.round() as i64));
                }
            }
            Unit::Days => self.set_day(today + TimeDelta::days(amount.round() as i64)),
            Unit::Weeks => self.set_day(today + TimeDelta::days((amount * 7.0).round() as i64)),
            Unit::Months => {
                if let Some(day) = today.checked_add_months(Months::new(amount.round() as u32)) {
                    self.set_day(day);
                }
            }
        }
    }

    /// A quantity with a unit: "2 hours", "an hour and a half", "half an hour", "a couple of days".
    fn quantity(&self, j: usize) -> Option<(f64, Unit, usize)> {
        if self.w(j) == "half" && matches!(self.w(j + 1), "an" | "a") {
            let unit = unit(self.w(j + 2))?;
            return Some((0.5, unit, 3));
        }
        let mut k = j;
        let mut amount = match self.w(k) {
            "a" | "an" => match self.w(k + 1) {
                "few" => {
                    k += 1;
                    3.0
                }
                "couple" => {
                    k += 1;
                    if self.w(k + 1) == "of" {
                        k += 1;
                    }
                    2.0
                }
                _ => 1.0,
            },
            "few" => 3.0,
            "couple" => 2.0,
            other => parse_number(other)?,
        };
        k += 1;
        if self.seq(k, &["and", "a", "half"]) {
            amount += 0.5;
            k += 3;
        }
        let unit = unit(self.w(k))?;
        k += 1;
        if self.seq(k, &["and", "a", "half"]) {
            amount += 0.5;
            k += 3;
        }
        Some((amount, unit, k - j))
    }

    fn match_week_month(&mut self, i: usize) -> Option<usize> {
        let today = self.clock.today();
        let wd = today.weekday().num_days_from_monday() as i64;
        let next_monday = today + TimeDelta::days(7 - wd);
        let (prefix, len) = match self.w(i) {
            "next" | "this" | "the" | "coming" => (self.w(i).to_string(), 2),
            _ => (String::new(), 1),
        };
        let noun = if prefix.is_empty() {
            self.w(i).to_string()
        } else {
            self.w(i + 1).to_string()
        };
        match (prefix.as_str(), noun.as_str()) {
            ("next" | "coming", "week") => self.set_day(next_monday),
            ("this", "week") => {
                let ahead = if wd <= 4 { 4 - wd } else { 11 - wd };
                self.set_day(today + TimeDelta::days(ahead));
            }
            ("next", "weekend") => self.set_day(next_monday + TimeDelta::days(5)),
            ("this" | "the" | "coming" | "", "weekend") => {
                let ahead = match wd {
                    5 | 6 => 0,
                    _ => 5 - wd,
                };
                self.set_day(today + TimeDelta::days(ahead));
            }
            ("next" | "coming", "month") => {
                let first = today.with_day(1)?;
                self.set_day(first.checked_add_months(Months::new(1))?);
            }
            ("next" | "coming", "year") => {
                self.set_day(NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)?)
            }
            _ => return None,
        }
        Some(len)
    }

    /// "December 3rd", "Dec 3, 2027", "3rd of December", "3 December", "the 5th".
    fn match_calendar_date(&mut self, i: usize) -> Option<usize> {
        let today = self.clock.today();
        // month day [year]
        if let Some(month) = month(self.w(i)) {
            if let Some(day) = day_number(self.w(i + 1)) {
                let mut len = 2;
                let mut year = None;
                let y_at = if self.w(i + 2) == "," { i + 3 } else { i + 2 };
                if let Some(y) = year_number(self.w(y_at)) {
                    year = Some(y);
                    len = y_at + 1 - i;
                }
                self.set_day(next_date(today, month, day, year)?);
                return Some(len);
            }
            return None;
        }
        if let Some(len) = self.match_day_month(i) {
            return Some(len);
        }
        // the 5th (of December)
        if self.w(i) == "the" && is_ordinal(self.w(i + 1)) {
            if let Some(len) = self.match_day_month(i + 1) {
                return Some(len + 1);
            }
            let day = day_number(self.w(i + 1))?;
            let this_month = today.with_day(day);
            let date = match this_month {
                Some(d) if d >= today => d,
                _ => {
                    let next = today.with_day(1)?.checked_add_months(Months::new(1))?;
                    next.with_day(day)?
                }
            };
            self.set_day(date);
            return Some(2);
        }
        None
    }

    /// "3 December", "3rd of December 2027".
    fn match_day_month(&mut self, i: usize) -> Option<usize> {
        let day = day_number(self.w(i))?;
        let m_at = if self.w(i + 1) == "of" { i + 2 } else { i + 1 };
        let month = month(self.w(m_at))?;
        let mut len = m_at + 1 - i;
        let mut year = None;
        if let Some(y) = year_number(self.w(m_at + 1)) {
            year = Some(y);
            len += 1;
        }
        self.set_day(next_date(self.clock.today(), month, day, year)?);
        Some(len)
    }

    /// "3pm", "3:30 pm", "15:00", "3 o'clock", "at 3", "noon", "midnight".
    fn match_clock(&self, i: usize) -> Option<(ClockTime, usize)> {
        match self.w(i) {
            "noon" | "midday" => {
                return Some((
                    ClockTime {
                        hour: 12,
                        minute: 0,
                        known: true,
                    },
                    1,
                ))
            }
            "midnight" => {
                return Some((
                    ClockTime {
                        hour: 23,
                        minute: 59,
                        known: true,
                    },
                    1,
                ))
            }
            _ => {}
        }
        let (digits, suffix) = split_meridiem(self.w(i));
        let (hour, minute, has_colon) = match parse_hm(digits) {
            Some(hm) => hm,
            // "at two", "around six"
            None => (word_hour(self.w(i))?, 0, false),
        };
        let mut len = 1;
        let mut meridiem = suffix;
        if meridiem.is_none() {
            meridiem = meridiem_word(self.w(i + 1));
            if meridiem.is_some() {
                len += 1;
                if self.w(i + 2) == "." {
                    len += 1;
                }
            }
        }
        if let Some(pm) = meridiem {
            if !(1..=12).contains(&hour) {
                return None;
            }
            let hour = match (hour, pm) {
                (12, false) => 0,
                (12, true) => 12,
                (h, true) => h + 12,
                (h, false) => h,
            };
            return Some((
                ClockTime {
                    hour,
                    minute,
                    known: true,
                },
                len,
            ));
        }
        if self.w(i + 1) == "o'clock" {
            return (1..=12).contains(&hour).then_some((
                ClockTime {
                    hour,
                    minute,
                    known: false,
                },
                2,
            ));
        }
        if has_colon {
            return Some((
                ClockTime {
                    hour,
                    minute,
                    known: hour == 0 || hour > 12,
                },
                1,
            ));
        }
        // a bare hour needs "at"/"by"/… before it and no noun after it
        let before = self.w(i.wrapping_sub(1));
        let after = self.w(i + 1);
        let after_ok = after.is_empty()
            || !after.chars().next().is_some_and(char::is_alphanumeric)
            || AFTER_BARE_HOUR.contains(&after)
            || part_of_day(after).is_some();
        if matches!(
            before,
            "at" | "around" | "by" | "@" | "until" | "till" | "til" | "before"
        ) && after_ok
            && hour <= 23
        {
            return Some((
                ClockTime {
                    hour,
                    minute,
                    known: hour == 0 || hour > 12,
                },
                1,
            ));
        }
        None
    }

    fn match_part_of_day(&mut self, i: usize) -> Option<usize> {
        let w = self.w(i);
        let before = self.w(i.wrapping_sub(1));
        if before == "good" {
            return None; // "good morning"
        }
        let hour = part_of_day(w)?;
        // "tomorrow morning", "in the morning", "Friday afternoon" — not "morning meetings"
        let day_before = matches!(before, "this" | "tomorrow" | "tmrw" | "tmr" | "today")
            || weekday(before).is_some();
        let article_before = matches!(
            before,
            "the" | "in" | "on" | "by" | "until" | "till" | "before" | "at"
        ) && w != "night"
            || before == "at" && w == "night";
        if !(day_before || article_before) {
            return None;
        }
        self.set_part(hour, before == "this");
        Some(1)
    }
}
