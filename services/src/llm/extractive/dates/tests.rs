//! Dates relative to a fixed capture time: Wednesday 2026-11-25 10:00 UTC.

use chrono::{Datelike, Weekday};

use super::*;
use crate::llm::text::{join, tokenize};

/// Wednesday 2026-11-25 10:00 UTC.
fn capture() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn at(sentence: &str) -> Option<DateTime<Utc>> {
    at_offset(sentence, 0)
}

fn at_offset(sentence: &str, offset: i32) -> Option<DateTime<Utc>> {
    scan(&tokenize(sentence), &Clock::new(capture(), offset)).at
}

fn stripped(sentence: &str) -> String {
    let tokens = tokenize(sentence);
    let m = scan(&tokens, &Clock::new(capture(), 0));
    join(&m.strip(&tokens))
}

#[test]
fn capture_day_is_a_wednesday() {
    assert_eq!(capture().weekday(), Weekday::Wed);
}

#[test]
fn tomorrow_at_3pm_is_thursday_15_00() {
    assert_eq!(
        at("call Tom tomorrow at 3pm"),
        Some(utc(2026, 11, 26, 15, 0))
    );
    assert_eq!(at("tomorrow at 3 pm"), Some(utc(2026, 11, 26, 15, 0)));
    assert_eq!(at("tomorrow at 3:30 p.m."), Some(utc(2026, 11, 26, 15, 30)));
    assert_eq!(at("tomorrow at 15:00"), Some(utc(2026, 11, 26, 15, 0)));
}

#[test]
fn by_friday_is_friday_23_59() {
    assert_eq!(at("send it by Friday"), Some(utc(2026, 11, 27, 23, 59)));
}

#[test]
fn weekday_names_mean_the_next_such_day_after_today() {
    assert_eq!(
        at("on Wednesday"),
        Some(utc(2026, 12, 2, 23, 59)),
        "today's weekday → next week"
    );
    assert_eq!(at("this Wednesday"), Some(utc(2026, 11, 25, 23, 59)));
    assert_eq!(at("on Monday"), Some(utc(2026, 11, 30, 23, 59)));
    assert_eq!(at("next Friday"), Some(utc(2026, 11, 27, 23, 59)));
    assert_eq!(at("Friday's meeting"), Some(utc(2026, 11, 27, 23, 59)));
}

#[test]
fn next_week_is_next_monday_23_59() {
    assert_eq!(at("sometime next week"), Some(utc(2026, 11, 30, 23, 59)));
}

#[test]
fn next_month_and_end_of_month() {
    assert_eq!(at("next month"), Some(utc(2026, 12, 1, 23, 59)));
    assert_eq!(
        at("by the end of the month"),
        Some(utc(2026, 11, 30, 23, 59))
    );
    assert_eq!(
        at("by the end of the week"),
        Some(utc(2026, 11, 27, 23, 59))
    );
    assert_eq!(at("by end of day"), Some(utc(2026, 11, 25, 23, 59)));
}

#[test]
fn weekend() {
    assert_eq!(at("this weekend"), Some(utc(2026, 11, 28, 23, 59)));
    assert_eq!(at("next weekend"), Some(utc(2026, 12, 5, 23, 59)));
}

#[test]
fn today_tonight_day_after_tomorrow() {
    assert_eq!(at("today"), Some(utc(2026, 11, 25, 23, 59)));
    assert_eq!(at("tonight"), Some(utc(2026, 11, 25, 20, 0)));
    assert_eq!(
        at("the day after tomorrow"),
        Some(utc(2026, 11, 27, 23, 59))
    );
    assert_eq!(at("tomorrow night"), Some(utc(2026, 11, 26, 20, 0)));
}

#[test]
fn parts_of_day() {
    assert_eq!(at("tomorrow morning"), Some(utc(2026, 11, 26, 9, 0)));
    assert_eq!(at("friday afternoon"), Some(utc(2026, 11, 27, 14, 0)));
    assert_eq!(at("tomorrow evening at 7"), Some(utc(2026, 11, 26, 19, 0)));
    assert_eq!(at("at noon tomorrow"), Some(utc(2026, 11, 26, 12, 0)));
    assert_eq!(at("this afternoon"), Some(utc(2026, 11, 25, 14, 0)));
}

#[test]
fn this_morning_after_the_morning_default_is_in_the_past() {
    // captured at 10:00: "this morning" is 09:00 today, already past (callers drop it)
    let tokens = tokenize("finish it this morning");
    let clock = Clock::new(capture(), 0);
    let m = scan(&tokens, &clock);
    assert_eq!(m.at, Some(utc(2026, 11, 25, 9, 0)));
    assert_eq!(m.future_at(&clock), None);
}

#[test]
fn a_time_without_a_day_rolls_over_when_passed() {
    assert_eq!(at("call him at 9"), Some(utc(2026, 11, 26, 9, 0)));
    assert_eq!(at("call him at 11am"), Some(utc(2026, 11, 25, 11, 0)));
    assert_eq!(at("call him at 3"), Some(utc(2026, 11, 25, 15, 0)));
    assert_eq!(at("in the morning"), Some(utc(2026, 11, 26, 9, 0)));
}

#[test]
fn hours_in_words() {
    assert_eq!(at("on thursday at two"), Some(utc(2026, 11, 26, 14, 0)));
    assert_eq!(at("around six tomorrow"), Some(utc(2026, 11, 26, 18, 0)));
    assert_eq!(
        at("at ten o'clock tomorrow"),
        Some(utc(2026, 11, 26, 10, 0))
    );
    assert_eq!(at("at one point"), None);
}

#[test]
fn this_morning_does_not_move_to_another_day() {
    assert_eq!(
        at("she called this morning about dinner on Sunday"),
        Some(utc(2026, 11, 29, 23, 59))
    );
}

#[test]
fn bare_numbers_are_not_times_without_at() {
    assert_eq!(at("buy 3 apples"), None);
    assert_eq!(at("meet at 3 locations"), None);
}

#[test]
fn relative_offsets() {
    assert_eq!(at("in 2 hours"), Some(utc(2026, 11, 25, 12, 0)));
    assert_eq!(at("in 30 minutes"), Some(utc(2026, 11, 25, 10, 30)));
    assert_eq!(at("in half an hour"), Some(utc(2026, 11, 25, 10, 30)));
    assert_eq!(at("in an hour and a half"), Some(utc(2026, 11, 25, 11, 30)));
    assert_eq!(at("in three days"), Some(utc(2026, 11, 28, 23, 59)));
    assert_eq!(at("in 2 days at 9am"), Some(utc(2026, 11, 27, 9, 0)));
    assert_eq!(at("in a couple of weeks"), Some(utc(2026, 12, 9, 23, 59)));
    assert_eq!(at("two hours from now"), Some(utc(2026, 11, 25, 12, 0)));
}

#[test]
fn asap_is_capture_plus_two_hours() {
    assert_eq!(at("send it ASAP"), Some(utc(2026, 11, 25, 12, 0)));
    assert_eq!(at("it's urgent"), Some(utc(2026, 11, 25, 12, 0)));
    assert_eq!(at("as soon as possible"), Some(utc(2026, 11, 25, 12, 0)));
    assert_eq!(at("right away"), Some(utc(2026, 11, 25, 12, 0)));
    assert_eq!(
        at("urgent, by Friday"),
        Some(utc(2026, 11, 27, 23, 59)),
        "a day wins over urgency"
    );
}

#[test]
fn calendar_dates() {
    assert_eq!(at("on December 3rd"), Some(utc(2026, 12, 3, 23, 59)));
    assert_eq!(at("on Dec 3, 2027 at 10am"), Some(utc(2027, 12, 3, 10, 0)));
    assert_eq!(at("the 3rd of December"), Some(utc(2026, 12, 3, 23, 59)));
    assert_eq!(
        at("on January 5"),
        Some(utc(2027, 1, 5, 23, 59)),
        "past this year → next year"
    );
    assert_eq!(at("on the 28th"), Some(utc(2026, 11, 28, 23, 59)));
    assert_eq!(at("on the 2nd"), Some(utc(2026, 12, 2, 23, 59)));
    assert_eq!(at("I may go"), None);
}

#[test]
fn user_offset_converts_local_times_to_utc() {
    // UTC+1: local capture is 11:00; tomorrow 15:00 local = 14:00 UTC
    assert_eq!(
        at_offset("tomorrow at 3pm", 60),
        Some(utc(2026, 11, 26, 14, 0))
    );
    assert_eq!(at_offset("by Friday", 60), Some(utc(2026, 11, 27, 22, 59)));
    // UTC-8: local capture is 02:00 on Wednesday; "tomorrow" is Thursday local
    assert_eq!(
        at_offset("tomorrow at 9am", -480),
        Some(utc(2026, 11, 26, 17, 0))
    );
    // UTC+14: the local capture time is already Thursday 00:00
    assert_eq!(at_offset("today", 14 * 60), Some(utc(2026, 11, 26, 9, 59)));
}

#[test]
fn past_references() {
    let clock = Clock::new(capture(), 0);
    for s in [
        "we met yesterday",
        "last week it rained",
        "two days ago",
        "last Friday",
    ] {
        assert!(scan(&tokenize(s), &clock).past, "{s}");
    }
    assert!(!scan(&tokenize("tomorrow"), &clock).past);
}

#[test]
fn parts_of_day_need_a_day_or_a_preposition() {
    assert_eq!(at("good morning everyone"), None);
    assert_eq!(at("I prefer morning meetings"), None);
    assert_eq!(at("the night was long"), None);
    assert_eq!(at("see you at night"), Some(utc(2026, 11, 25, 20, 0)));
    assert_eq!(at("by the evening"), Some(utc(2026, 11, 25, 18, 0)));
}

#[test]
fn no_time_signal() {
    let m = scan(&tokenize("I need to buy milk"), &Clock::new(capture(), 0));
    assert_eq!(m.at, None);
    assert!(!m.is_concrete());
    assert!(m.covered.iter().all(|c| !c));
}

#[test]
fn stripping_removes_time_words_and_their_prepositions() {
    assert_eq!(stripped("call Tom tomorrow at 9 am"), "call Tom");
    assert_eq!(stripped("send the deck by Friday"), "send the deck");
    assert_eq!(
        stripped("book a table for tomorrow evening"),
        "book a table"
    );
    assert_eq!(stripped("review it in the morning"), "review it");
    assert_eq!(
        stripped("prepare slides for Friday's meeting"),
        "prepare slides for the meeting"
    );
    assert_eq!(stripped("pay rent ASAP"), "pay rent");
    assert_eq!(
        stripped("finish the draft by 5pm at the latest"),
        "finish the draft"
    );
    assert_eq!(stripped("meet in 2 hours"), "meet");
    assert_eq!(stripped("visit them over the weekend"), "visit them");
    assert_eq!(stripped("pay on the 3rd of December"), "pay");
}

#[test]
fn concreteness() {
    let clock = Clock::new(capture(), 0);
    assert!(scan(&tokenize("tomorrow at 3"), &clock).is_concrete());
    assert!(scan(&tokenize("in 2 hours"), &clock).is_concrete());
    let urgent = scan(&tokenize("urgent"), &clock);
    assert!(urgent.at.is_some() && !urgent.is_concrete());
}

#[test]
fn number_words() {
    assert_eq!(parse_number("twenty-five"), Some(25.0));
    assert_eq!(parse_number("1.5"), Some(1.5));
    assert_eq!(parse_number("seven"), Some(7.0));
    assert_eq!(parse_number("lots"), None);
}
