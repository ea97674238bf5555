//! The instructions and the conversation as sent to an OpenAI-compatible model.

use chrono::{Datelike, TimeDelta};

use omi_domain::trend::TOPICS;

use crate::llm::normalize::must_keep;
use crate::llm::{ConversationInput, CATEGORIES};

/// Transcripts longer than this are cut (the beginning is kept) so the request stays within
/// common context windows.
pub(crate) const MAX_TRANSCRIPT_CHARS: usize = 100_000;

/// The system prompt: the rules of the spec's processing pipeline, in our own words.
pub(crate) fn system_prompt() -> String {
    format!(
        r#"You read a recorded conversation (or a text the user imported) for a personal memory assistant, and you answer with a single JSON object and nothing else.

STEP 1 - KEEP OR DISCARD (skip this step when the message says the conversation must be kept).
Keep the conversation if it contains at least one of: a task or a request; a decision, commitment or plan; a question that needs a follow-up; a personal fact or preference; an important event or social moment; a useful insight or lesson. Discard greetings, small talk without substance, microphone tests, fragments and background noise. A conversation of more than 100 words is always kept. To discard, answer with "discarded": true, an empty "title", an empty "overview" and empty lists.

STEP 2 - DESCRIBE a kept conversation.
- "title": the main topic in at most 10 words, in Title Case. Use people's names when they are known rather than "Speaker 1".
- "overview": one to three sentences on the main topics, decisions and outcomes.
- "emoji": one emoji that fits the content.
- "category": exactly one of: {categories}.

STEP 3 - ACTION ITEMS for the user (the person who recorded). Be conservative: include only clear commitments made by the user, direct requests made to the user, and explicit reminders, each with a concrete action and future intent. Leave out vague ideas, things other people will do for themselves, and things already done. Never list the same task twice.
- "description": starts with a verb, at most 15 words, with no date or time words in it (the time goes to "due_at"); replace pronouns with names when it is clear who is meant.
- "due_at": an ISO 8601 timestamp in UTC ending in "Z", or null when no timing is mentioned. Resolve relative expressions against the capture time in the user's time zone: "today", "tonight", "tomorrow", weekday names (the next such day), "next week" (the next Monday), "in 2 hours", "this weekend". A day without a time means 23:59 local time. "morning" means 09:00, "afternoon" 14:00, "evening" 18:00, "noon" 12:00, "tonight" 20:00 local time. "urgent", "ASAP" and "right away" mean the capture time plus 2 hours. Convert local times to UTC with the user's UTC offset. A due date must not be before the capture time; use null instead.

STEP 4 - EVENTS worth putting in a calendar: confirmed, involving the user, with a concrete date or time (meetings, appointments, deadlines, travel, personal commitments). Leave out casual mentions, past events, hypothetical plans and other people's events.
- "title": a short name; "description": one sentence of context; "start": an ISO 8601 timestamp in UTC ending in "Z" (same time rules as above); "duration": minutes, 30 when unknown, at most 180.

STEP 5 - MEMORIES: at most 4 lasting facts worth remembering.
- Facts about the user (preferences, relationships, work, home, health, habits, projects): short third-person statements that start with "User", such as "User is allergic to peanuts", with "category": "system".
- Notable insights or advice from other people, attributed by name, such as "Sarah advises backing up photos every week", with "category": "interesting".
Leave out trivia, passing moods and anything said only hypothetically.

STEP 6 - TRENDS: the well-known names below that someone in the conversation clearly praises ("type": "best") or criticizes ("type": "worst"). A name only mentioned, without an opinion, is no trend. Use only these names, spelled as written, each with its own category, at most once each:
{trends}

Write the title, overview, descriptions and memories in the conversation's language given in the message.

Answer with exactly these keys: "discarded" (boolean), "title" (string), "overview" (string), "emoji" (string), "category" (string), "action_items" (array of objects with "description" and "due_at"), "events" (array of objects with "title", "description", "start" and "duration"), "memories" (array of objects with "content" and "category"), "trends" (array of objects with "category", "topic" and "type")."#,
        categories = CATEGORIES.join(", "),
        trends = trend_whitelists(),
    )
}

/// One line per trend category: its name and its whitelist.
fn trend_whitelists() -> String {
    TOPICS
        .iter()
        .map(|(category, topics)| format!("- {}: {}", category.as_str(), topics.join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The user message: capture time, time zone, language, flags, then the transcript or text.
pub(crate) fn user_message(input: &ConversationInput) -> String {
    let offset = TimeDelta::minutes(i64::from(input.utc_offset_minutes.clamp(-18 * 60, 18 * 60)));
    let local = input.started_at.naive_utc() + offset;
    let sign = if input.utc_offset_minutes < 0 {
        '-'
    } else {
        '+'
    };
    let abs = input.utc_offset_minutes.unsigned_abs();
    let mut out = String::new();
    out.push_str(&format!(
        "Capture time (UTC): {}\n",
        input.started_at.format("%Y-%m-%dT%H:%M:%SZ")
    ));
    out.push_str(&format!(
        "User's local time at capture: {} ({}), UTC offset {sign}{:02}:{:02}\n",
        local.format("%Y-%m-%d %H:%M"),
        local.weekday(),
        abs / 60,
        abs % 60
    ));
    out.push_str(&format!(
        "Language: {}\n",
        if input.language.trim().is_empty() {
            "en"
        } else {
            input.language.trim()
        }
    ));
    if must_keep(input) {
        out.push_str("This conversation must be kept: do not discard it.\n");
    }
    if let Some(hint) = input
        .title_hint
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        out.push_str(&format!(
            "Current title (keep it if it still fits): {hint}\n"
        ));
    }
    out.push('\n');
    let body = match &input.text {
        Some((text, source)) if !text.trim().is_empty() => {
            out.push_str(&format!("Imported text ({}):\n", source.as_str()));
            text.trim().to_string()
        }
        _ => {
            out.push_str("Transcript:\n");
            render_lines(input)
        }
    };
    out.push_str(&cut(&body, MAX_TRANSCRIPT_CHARS));
    out
}

/// One line per segment: "[H:MM:SS - H:MM:SS] Speaker: text".
fn render_lines(input: &ConversationInput) -> String {
    input
        .lines
        .iter()
        .filter(|l| !l.text.trim().is_empty())
        .map(|l| {
            let speaker = if l.speaker.trim().is_empty() {
                "Speaker"
            } else {
                l.speaker.trim()
            };
            format!(
                "[{} - {}] {speaker}: {}",
                clock(l.start),
                clock(l.end),
                l.text.trim()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn clock(seconds: f64) -> String {
    let s = if seconds.is_finite() && seconds > 0.0 {
        seconds as u64
    } else {
        0
    };
    format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[… transcript truncated]", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{TextSource, TranscriptLine};
    use chrono::{TimeZone, Utc};

    #[test]
    fn system_prompt_lists_all_categories_and_time_rules() {
        let p = system_prompt();
        for c in CATEGORIES {
            assert!(p.contains(c), "{c}");
        }
        for rule in [
            "09:00",
            "14:00",
            "18:00",
            "12:00",
            "23:59",
            "plus 2 hours",
            "at most 180",
            "at most 4",
        ] {
            assert!(p.contains(rule), "{rule}");
        }
    }

    #[test]
    fn user_message_renders_time_zone_flags_and_transcript() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let mut input = ConversationInput::from_lines(
            vec![TranscriptLine {
                speaker: "Sarah".into(),
                is_user: false,
                text: " Hello ".into(),
                start: 3725.4,
                end: 3727.0,
            }],
            at,
        );
        input.utc_offset_minutes = -90;
        input.force = true;
        input.title_hint = Some("Old".into());
        let m = user_message(&input);
        assert!(
            m.contains("Capture time (UTC): 2026-11-25T10:00:00Z"),
            "{m}"
        );
        assert!(
            m.contains("2026-11-25 08:30 (Wed), UTC offset -01:30"),
            "{m}"
        );
        assert!(m.contains("must be kept"));
        assert!(m.contains("Current title (keep it if it still fits): Old"));
        assert!(m.ends_with("[1:02:05 - 1:02:07] Sarah: Hello"), "{m}");
    }

    #[test]
    fn text_imports_name_their_source_and_long_texts_are_cut() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let input =
            ConversationInput::from_text("é".repeat(MAX_TRANSCRIPT_CHARS), TextSource::Message, at);
        let m = user_message(&input);
        assert!(m.contains("Imported text (message):"));
        assert!(m.ends_with("[… transcript truncated]"));
        assert!(!m.contains("must be kept"));
    }
}
