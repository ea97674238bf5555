//! Transcript segments and the rule that merges live segments into a stored transcript (spec §2.4).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A live translation of a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Translation {
    pub lang: String,
    pub text: String,
}

/// One stretch of speech. Times are seconds relative to the conversation's `started_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TranscriptSegment {
    pub id: String,
    pub text: String,
    pub speaker: String,
    pub speaker_id: u32,
    pub is_user: bool,
    pub person_id: Option<String>,
    pub start: f64,
    pub end: f64,
    #[serde(default)]
    pub translations: Vec<Translation>,
    #[serde(default)]
    pub speech_profile_processed: bool,
    #[serde(default)]
    pub stt_provider: Option<String>,
}

/// The speaker label of speaker `n`: `SPEAKER_00` style.
pub fn speaker_label(speaker_id: u32) -> String {
    format!("SPEAKER_{speaker_id:02}")
}

/// The numeric suffix of a `SPEAKER_NN` label (0 when there is none).
pub fn speaker_id_of(label: &str) -> u32 {
    label
        .rsplit('_')
        .next()
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0)
}

/// How far apart two segments of one speaker may be and still be one segment.
const GLUE_GAP_SECONDS: f64 = 30.0;

fn same_speaker(a: &TranscriptSegment, b: &TranscriptSegment) -> bool {
    (a.is_user && b.is_user)
        || (!a.is_user && !b.is_user && a.speaker == b.speaker && a.person_id == b.person_id)
}

fn join(into: &mut TranscriptSegment, next: &TranscriptSegment) {
    into.text = normalize_spacing(&format!(
        "{} {}",
        into.text.trim_end(),
        next.text.trim_start()
    ));
    into.end = into.end.max(next.end);
}

/// Removes the space that STT engines leave before punctuation.
pub fn normalize_spacing(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if matches!(c, ',' | '.' | '!' | '?' | ';' | ':') && out.ends_with(' ') {
            out.pop();
        }
        out.push(c);
    }
    out
}

/// Merges `incoming` (sorted by start) into `stored`: consecutive incoming segments of one speaker become one,
/// and the first is glued to the last stored segment when the speaker is the same and the gap is under 30 s.
/// Returns every segment that is new or changed, in final form (a changed stored segment keeps its id).
pub fn merge_segments(
    stored: &[TranscriptSegment],
    incoming: Vec<TranscriptSegment>,
) -> Vec<TranscriptSegment> {
    let mut combined: Vec<TranscriptSegment> = Vec::new();
    for mut segment in incoming {
        segment.text = normalize_spacing(&segment.text);
        if segment.text.is_empty() {
            continue;
        }
        match combined.last_mut() {
            Some(last) if same_speaker(last, &segment) => join(last, &segment),
            _ => combined.push(segment),
        }
    }
    if let (Some(last_stored), Some(first)) = (stored.last(), combined.first()) {
        if same_speaker(last_stored, first) && first.start - last_stored.end < GLUE_GAP_SECONDS {
            let mut glued = last_stored.clone();
            join(&mut glued, first);
            combined[0] = glued;
        }
    }
    combined
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(id: &str, speaker: u32, text: &str, start: f64, end: f64) -> TranscriptSegment {
        TranscriptSegment {
            id: id.into(),
            text: text.into(),
            speaker: speaker_label(speaker),
            speaker_id: speaker,
            is_user: false,
            person_id: None,
            start,
            end,
            translations: vec![],
            speech_profile_processed: false,
            stt_provider: None,
        }
    }

    #[test]
    fn consecutive_segments_of_one_speaker_become_one() {
        let merged = merge_segments(
            &[],
            vec![
                segment("a", 0, "Hello", 0.0, 1.0),
                segment("b", 0, "there , friend", 1.0, 2.0),
                segment("c", 1, "Hi", 2.5, 3.0),
            ],
        );
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].id, "a");
        assert_eq!(merged[0].text, "Hello there, friend");
        assert_eq!(merged[0].end, 2.0);
        assert_eq!(merged[1].id, "c");
    }

    #[test]
    fn the_first_new_segment_is_glued_to_the_last_stored_one_of_the_same_speaker() {
        let stored = vec![segment("s", 1, "We should", 0.0, 2.0)];
        let merged = merge_segments(&stored, vec![segment("n", 1, "meet tomorrow.", 3.0, 4.0)]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].id, "s", "the stored segment is updated in place");
        assert_eq!(merged[0].text, "We should meet tomorrow.");
        assert_eq!(merged[0].end, 4.0);
    }

    #[test]
    fn a_long_gap_starts_a_new_segment() {
        let stored = vec![segment("s", 1, "Earlier", 0.0, 2.0)];
        let merged = merge_segments(&stored, vec![segment("n", 1, "Much later", 40.0, 41.0)]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].id, "n");
    }

    #[test]
    fn labels_and_ids_round_trip() {
        assert_eq!(speaker_label(3), "SPEAKER_03");
        assert_eq!(speaker_id_of("SPEAKER_03"), 3);
        assert_eq!(speaker_id_of("odd"), 0);
    }
}
