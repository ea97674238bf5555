//! End-to-end tests of the extractive model (a realistic conversation, determinism, discard,
//! forced processing, imports, time zones) and helpers for the unit tests of its parts.

use chrono::{DateTime, TimeZone, Utc};

use super::dates::Clock;
use super::doc::Doc;
use super::Extractive;
use crate::llm::{
    Analysis, ConversationInput, LanguageModel, TextSource, TranscriptLine, CATEGORIES,
};

/// Wednesday 2026-11-25 10:00 UTC.
pub(super) fn capture() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

pub(super) fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

pub(super) fn clock() -> Clock {
    Clock::new(capture(), 0)
}

/// Lines spoken by ("User" is the user; anyone else is not).
pub(super) fn conversation(lines: &[(&str, &str)]) -> ConversationInput {
    let lines = lines
        .iter()
        .enumerate()
        .map(|(i, (speaker, text))| TranscriptLine {
            speaker: speaker.to_string(),
            is_user: *speaker == "User",
            text: text.to_string(),
            start: i as f64 * 11.0,
            end: i as f64 * 11.0 + 9.0,
        })
        .collect();
    ConversationInput::from_lines(lines, capture())
}

pub(super) fn doc_of(lines: &[(&str, &str)]) -> Doc {
    Doc::from_input(&conversation(lines))
}

/// About three minutes between the user and a colleague, Sarah.
const LAUNCH_MEETING: [(&str, &str); 16] = [
    ("Sarah", "Hey, do you have a few minutes to go over the Acme launch plan?"),
    ("User", "Sure, I was just looking at the launch timeline. We're still aiming for the second week of December, right?"),
    ("Sarah", "Yes, but the budget is the open question. Finance wants the final launch budget before they approve the marketing spend."),
    ("User", "Okay. I'll send you the updated budget spreadsheet by Friday. I just need the numbers from the design agency first."),
    ("Sarah", "Great. The agency said their quote should arrive today. Could you also book the big conference room tomorrow morning? We need space for the rehearsal."),
    ("User", "Yes, I can do that. How long do we need it?"),
    ("Sarah", "Two hours should be enough. The demo itself takes about forty minutes."),
    ("User", "Perfect. And what about the Acme team, when do they want to see the demo?"),
    ("Sarah", "They proposed Monday. We're doing the demo with the Acme team on Monday at 10am, for an hour."),
    ("User", "Works for me. I really prefer morning meetings anyway, my brain is slower after lunch."),
    ("Sarah", "Ha, same. One more thing, the shipping vendor still hasn't confirmed the delivery dates for the launch kits."),
    ("Sarah", "Can you email the vendor today about a firm delivery date? Otherwise we lose the warehouse slot."),
    ("User", "Sure, I'm on it."),
    ("Sarah", "Thanks. By the way, I'm booking a table for the team dinner, any food restrictions?"),
    ("User", "I'm allergic to shellfish, so anything but seafood works."),
    ("Sarah", "Noted. Okay, I think that's everything. Talk later!"),
];

fn analyze(lines: &[(&str, &str)]) -> Analysis {
    Extractive.analyze_sync(&conversation(lines))
}

fn forced(lines: &[(&str, &str)]) -> Analysis {
    let mut input = conversation(lines);
    input.force = true;
    Extractive.analyze_sync(&input)
}

#[test]
fn launch_meeting_title_overview_category() {
    let a = analyze(&LAUNCH_MEETING);
    assert!(!a.discarded);
    assert_eq!(a.title, "Acme Launch Plan");
    assert_eq!(a.category, "business");
    assert_eq!(a.emoji, "💼");
    let sentences = a.overview.matches(['.', '!', '?']).count();
    assert!((1..=3).contains(&sentences), "{}", a.overview);
    assert!(a.overview.contains("launch budget"), "{}", a.overview);
    assert!(
        a.overview.contains("demo with the Acme team"),
        "{}",
        a.overview
    );
}

#[test]
fn launch_meeting_action_items() {
    let a = analyze(&LAUNCH_MEETING);
    let items: Vec<(&str, Option<DateTime<Utc>>)> = a
        .action_items
        .iter()
        .map(|i| (i.description.as_str(), i.due_at))
        .collect();
    assert_eq!(
        items,
        [
            (
                "Send Sarah the updated budget spreadsheet",
                Some(utc(2026, 11, 27, 23, 59))
            ),
            (
                "Book the big conference room",
                Some(utc(2026, 11, 26, 9, 0))
            ),
            (
                "Email the vendor about a firm delivery date",
                Some(utc(2026, 11, 25, 23, 59))
            ),
        ]
    );
}

#[test]
fn launch_meeting_event_and_memories() {
    let a = analyze(&LAUNCH_MEETING);
    assert_eq!(a.events.len(), 1, "{:?}", a.events);
    let e = &a.events[0];
    assert_eq!(e.title, "Demo with the Acme Team");
    assert_eq!(e.start, utc(2026, 11, 30, 10, 0));
    assert_eq!(e.duration_minutes, 60);
    assert!(e.description.starts_with("We're doing the demo"));
    let memories: Vec<(&str, &str)> = a
        .memories
        .iter()
        .map(|m| (m.content.as_str(), m.category.as_str()))
        .collect();
    assert_eq!(
        memories,
        [
            ("User prefers morning meetings", "system"),
            ("User is allergic to shellfish", "system")
        ]
    );
}

#[test]
fn the_same_input_always_gives_the_same_output() {
    let first = analyze(&LAUNCH_MEETING);
    for _ in 0..3 {
        assert_eq!(analyze(&LAUNCH_MEETING), first);
    }
    let discarded = analyze(&[("User", "okay thanks bye")]);
    assert_eq!(analyze(&[("User", "okay thanks bye")]), discarded);
}

#[tokio::test]
async fn the_trait_gives_the_sync_result() {
    let model: &dyn LanguageModel = &Extractive::new();
    assert_eq!(model.name(), "extractive");
    let input = conversation(&LAUNCH_MEETING);
    assert_eq!(
        model.analyze(&input).await.unwrap(),
        Extractive.analyze_sync(&input)
    );
}

#[test]
fn small_talk_is_discarded_with_an_empty_title() {
    for lines in [
        vec![("User", "hi")],
        vec![("User", "okay thanks bye")],
        vec![("User", "testing one two three")],
        vec![
            ("Sarah", "Hey, how are you?"),
            ("User", "Good, thanks, you?"),
            ("Sarah", "Fine, fine."),
        ],
    ] {
        let a = analyze(&lines);
        assert!(a.discarded, "{lines:?}");
        assert_eq!(a.title, "");
        assert_eq!(a.overview, "");
        assert_eq!(a.category, "other");
        assert!(a.action_items.is_empty() && a.events.is_empty() && a.memories.is_empty());
        assert!(a.emoji == "🧠" || a.emoji == "🎉");
    }
}

#[test]
fn short_conversations_with_substance_are_kept() {
    assert!(
        !analyze(&[("User", "Remind me to call mom tomorrow.")]).discarded,
        "task"
    );
    assert!(
        !analyze(&[("User", "I'm allergic to peanuts, just so you know.")]).discarded,
        "fact"
    );
    assert!(
        !analyze(&[("Sarah", "Did you finish the quarterly report?")]).discarded,
        "question"
    );
    assert!(
        !analyze(&[("User", "Dentist appointment on Friday at 10.")]).discarded,
        "event"
    );
    assert!(
        !analyze(&[("User", "We decided to go with the blue logo.")]).discarded,
        "decision"
    );
}

#[test]
fn empty_transcripts_are_discarded_even_when_forced() {
    assert!(analyze(&[]).discarded);
    assert!(forced(&[("User", "   ")]).discarded);
    let text = ConversationInput {
        force: true,
        ..ConversationInput::from_text(" ", TextSource::Message, capture())
    };
    assert!(Extractive.analyze_sync(&text).discarded);
}

#[test]
fn forcing_keeps_small_talk_with_a_title() {
    let a = forced(&[("User", "hi")]);
    assert!(!a.discarded);
    assert_eq!(a.title, "Hi");
    assert_eq!(a.category, "other");
    assert_eq!(a.overview, "Hi.");
}

#[test]
fn kept_conversations_always_have_a_short_title_case_title() {
    let inputs: Vec<Vec<(&str, &str)>> = vec![
        LAUNCH_MEETING.to_vec(),
        vec![("User", "Remind me to call mom tomorrow.")],
        vec![("User", "The quarterly marketing budget review with the regional sales directors, the finance partners, the legal team and the external auditors from the consulting firm went long.")],
        vec![("User", "ok ok ok"), ("Sarah", "yes yes")],
    ];
    for lines in inputs {
        let a = forced(&lines);
        assert!(!a.title.is_empty(), "{lines:?}");
        assert!(a.title.split_whitespace().count() <= 10, "{}", a.title);
        let first = a.title.chars().next().unwrap();
        assert!(
            first.is_uppercase() || !first.is_alphabetic(),
            "{}",
            a.title
        );
        assert!(CATEGORIES.contains(&a.category.as_str()));
    }
}

#[test]
fn the_user_time_zone_shifts_due_dates() {
    let mut input = conversation(&[(
        "User",
        "I need to call the bank tomorrow at 3pm, it's about the mortgage.",
    )]);
    input.utc_offset_minutes = 60;
    let a = Extractive.analyze_sync(&input);
    assert_eq!(a.action_items[0].description, "Call the bank");
    assert_eq!(a.action_items[0].due_at, Some(utc(2026, 11, 26, 14, 0)));
}

#[test]
fn text_imports_use_the_same_rules() {
    let text = "Reminder: I need to renew my passport next month. I'm allergic to penicillin. \
                The visa office closes early on Fridays.";
    let a = Extractive.analyze_sync(&ConversationInput::from_text(
        text,
        TextSource::Message,
        capture(),
    ));
    assert!(!a.discarded);
    assert_eq!(a.action_items.len(), 1);
    assert_eq!(a.action_items[0].description, "Renew my passport");
    assert_eq!(a.action_items[0].due_at, Some(utc(2026, 12, 1, 23, 59)));
    assert_eq!(a.memories[0].content, "User is allergic to penicillin");
    assert_eq!(a.category, "travel");
}

#[test]
fn transcript_imports_keep_speakers() {
    let text = "Sarah: Can you send me the contract by Friday?\nUser: Sure.";
    let a = Extractive.analyze_sync(&ConversationInput::from_text(
        text,
        TextSource::AudioTranscript,
        capture(),
    ));
    assert_eq!(a.action_items[0].description, "Send Sarah the contract");
}

#[test]
fn reprocessing_with_a_hint_still_derives_the_title() {
    let mut input = conversation(&LAUNCH_MEETING);
    input.force = true;
    input.title_hint = Some("Old Title".into());
    assert_eq!(Extractive.analyze_sync(&input).title, "Acme Launch Plan");
}

#[test]
fn odd_inputs_do_not_panic() {
    let odd = [
        "",
        ".",
        "?!?!",
        "…",
        "🙂🙂🙂",
        "'",
        "- - -",
        "at",
        "at 99",
        "at 12:99",
        "in",
        "in 9999 weeks",
        "in 9999 months",
        "on February 30th",
        "on the 31st",
        "the 0th",
        "by 00:00",
        "at 24:00",
        "12am",
        "half past",
        "in half an",
        "for an",
        "my",
        "my sister",
        "I'm a",
        "I",
        "I'll",
        "can you",
        "let's",
        "don't forget to",
        "remind me to",
        "the key is",
        "always",
        "Sarah:",
        ":",
        "x".repeat(10_000).as_str(),
        "Ich muss morgen um 15 Uhr den Zahnarzt anrufen.",
        "明天下午三点开会",
        "I'll I'll I'll I'll",
    ]
    .map(|s| s.to_string());
    for text in &odd {
        for force in [false, true] {
            for offset in [-18 * 60 - 5, -480, 0, 330, 24 * 60] {
                let mut input = conversation(&[("User", text), ("Sarah", text)]);
                input.force = force;
                input.utc_offset_minutes = offset;
                let a = Extractive.analyze_sync(&input);
                assert!(a.discarded || !a.title.is_empty(), "{text:?}");
                let mut text_input = ConversationInput::from_text(
                    text.clone(),
                    TextSource::AudioTranscript,
                    capture(),
                );
                text_input.force = force;
                Extractive.analyze_sync(&text_input);
            }
        }
    }
}
