//! Words of time expressions: units, parts of day, weekdays, months, numbers, clock times.

use chrono::{Datelike, Months, NaiveDate, Weekday};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Unit {
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
}

pub(super) fn unit(w: &str) -> Option<Unit> {
    Some(match w {
        "minute" | "minutes" | "min" | "mins" => Unit::Minutes,
        "hour" | "hours" | "hr" | "hrs" => Unit::Hours,
        "day" | "days" => Unit::Days,
        "week" | "weeks" => Unit::Weeks,
        "month" | "months" => Unit::Months,
        _ => return None,
    })
}

pub(super) fn part_of_day(w: &str) -> Option<u32> {
    Some(match w {
        "morning" => 9,
        "afternoon" => 14,
        "evening" => 18,
        "night" => 20,
        _ => return None,
    })
}

pub(super) fn is_period_word(w: &str) -> bool {
    matches!(
        w,
        "night" | "week" | "weekend" | "month" | "year" | "time" | "evening" | "morning"
    ) || weekday(w).is_some()
}

pub(crate) fn weekday(w: &str) -> Option<Weekday> {
    Some(match w {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        _ => return None,
    })
}

pub(super) fn month(w: &str) -> Option<u32> {
    Some(match w.trim_end_matches('.') {
        "january" | "jan" => 1,
        "february" | "feb" => 2,
        "march" | "mar" => 3,
        "april" | "apr" => 4,
        "may" => 5,
        "june" | "jun" => 6,
        "july" | "jul" => 7,
        "august" | "aug" => 8,
        "september" | "sep" | "sept" => 9,
        "october" | "oct" => 10,
        "november" | "nov" => 11,
        "december" | "dec" => 12,
        _ => return None,
    })
}

pub(super) fn is_ordinal(w: &str) -> bool {
    ["st", "nd", "rd", "th"].iter().any(|s| w.ends_with(s))
        && w.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// 1..=31, written "3", "3rd", "21st".
pub(super) fn day_number(w: &str) -> Option<u32> {
    let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &w[digits.len()..];
    if !matches!(suffix, "" | "st" | "nd" | "rd" | "th") || digits.is_empty() || digits.len() > 2 {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

pub(super) fn year_number(w: &str) -> Option<i32> {
    if w.len() != 4 {
        return None;
    }
    w.parse().ok().filter(|y| (2000..=2100).contains(y))
}

/// The date `month`/`day` in `year`, or this year's if not before today, else next year's.
pub(super) fn next_date(
    today: NaiveDate,
    month: u32,
    day: u32,
    year: Option<i32>,
) -> Option<NaiveDate> {
    if let Some(y) = year {
        return NaiveDate::from_ymd_opt(y, month, day);
    }
    match NaiveDate::from_ymd_opt(today.year(), month, day) {
        Some(d) if d >= today => Some(d),
        _ => NaiveDate::from_ymd_opt(today.year() + 1, month, day),
    }
}

pub(super) fn last_day_of_month(day: NaiveDate) -> NaiveDate {
    let first = day.with_day(1).unwrap_or(day);
    first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(day)
}

/// "3pm" → ("3", Some(true)); "10:30a.m" → ("10:30", Some(false)); "15:00" → ("15:00", None).
pub(super) fn split_meridiem(w: &str) -> (&str, Option<bool>) {
    for (suffix, pm) in [("pm", true), ("p.m", true), ("am", false), ("a.m", false)] {
        if let Some(digits) = w.strip_suffix(suffix) {
            if digits.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                return (digits, Some(pm));
            }
        }
    }
    (w, None)
}

pub(super) fn meridiem_word(w: &str) -> Option<bool> {
    match w {
        "pm" | "p.m" => Some(true),
        "am" | "a.m" => Some(false),
        _ => None,
    }
}

/// "3" → (3, 0, false); "3:30" → (3, 30, true); rejects anything else.
pub(super) fn parse_hm(s: &str) -> Option<(u32, u32, bool)> {
    let (h, m, colon) = match s.split_once(':') {
        Some((h, m)) => (h, m, true),
        None => (s, "0", false),
    };
    if h.is_empty() || h.len() > 2 || !h.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if colon && (m.len() != 2 || !m.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let (hour, minute): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (hour <= 23 && minute <= 59).then_some((hour, minute, colon))
}

/// An hour written as a word: "one" … "twelve".
pub(super) fn word_hour(w: &str) -> Option<u32> {
    if !w.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let n = number_word(w)?;
    (1.0..=12.0).contains(&n).then_some(n as u32)
}

/// Digits ("3", "1.5") or number words ("two", "twenty-five").
pub(crate) fn parse_number(w: &str) -> Option<f64> {
    if w.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return w
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0 && *n < 10_000.0);
    }
    if let Some((tens, ones)) = w.split_once('-') {
        let t = number_word(tens)?;
        let o = number_word(ones)?;
        return (t >= 20.0 && o < 10.0).then_some(t + o);
    }
    number_word(w)
}

pub(super) fn number_word(w: &str) -> Option<f64> {
    const WORDS: [(&str, f64); 28] = [
        ("zero", 0.0),
        ("one", 1.0),
        ("two", 2.0),
        ("three", 3.0),
        ("four", 4.0),
        ("five", 5.0),
        ("six", 6.0),
        ("seven", 7.0),
        ("eight", 8.0),
        ("nine", 9.0),
        ("ten", 10.0),
        ("eleven", 11.0),
        ("twelve", 12.0),
        ("thirteen", 13.0),
        ("fourteen", 14.0),
        ("fifteen", 15.0),
        ("sixteen", 16.0),
        ("seventeen", 17.0),
        ("eighteen", 18.0),
        ("nineteen", 19.0),
        ("twenty", 20.0),
        ("thirty", 30.0),
        ("forty", 40.0),
        ("fifty", 50.0),
        ("sixty", 60.0),
        ("seventy", 70.0),
        ("eighty", 80.0),
        ("ninety", 90.0),
    ];
    WORDS.iter().find(|(word, _)| *word == w).map(|(_, n)| *n)
}
