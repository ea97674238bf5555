//! The `[n]` markers an answer cites conversations with: removed from the stored text, and the conversations
//! they name (at most five, in order of first citation) kept as the message's `memories_id`.

/// An answer's text without its markers, and the conversations it cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citations {
    pub text: String,
    /// Places in the numbered list (0 first) of the cited conversations, in order, without repeats.
    pub cited: Vec<usize>,
}

/// Removes the markers `[n]` (also `[n, m]`) from `text`; numbers 1 to `sources` are citations, the first
/// `max` of them are kept.
pub fn cited(text: &str, sources: usize, max: usize) -> Citations {
    let mut out = String::with_capacity(text.len());
    let mut cited = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let (before, from) = rest.split_at(open);
        out.push_str(before);
        let marker = from[1..]
            .find(']')
            .map(|close| &from[1..1 + close])
            .filter(|inner| {
                !inner.trim().is_empty()
                    && inner
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == ',' || c == ' ')
            });
        match marker {
            Some(inner) => {
                for number in inner
                    .split(',')
                    .filter_map(|n| n.trim().parse::<usize>().ok())
                {
                    if (1..=sources).contains(&number)
                        && !cited.contains(&(number - 1))
                        && cited.len() < max
                    {
                        cited.push(number - 1);
                    }
                }
                // "…Friday [1]." reads "…Friday." once the marker is gone.
                while out.ends_with(' ') {
                    out.pop();
                }
                rest = &from[inner.len() + 2..];
                if !(rest.starts_with(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
                    || rest.is_empty())
                {
                    out.push(' ');
                }
            }
            None => {
                out.push('[');
                rest = &from[1..];
            }
        }
    }
    out.push_str(rest);
    Citations {
        text: out.trim().to_string(),
        cited,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_removed_and_their_conversations_kept_in_order() {
        let answer = cited("You promised the slides [2]. Anna agreed [1][2].", 3, 5);
        assert_eq!(answer.text, "You promised the slides. Anna agreed.");
        assert_eq!(answer.cited, vec![1, 0]);
    }

    #[test]
    fn numbers_beyond_the_sources_cite_nothing() {
        let answer = cited("Maybe [7] or [1, 3]", 2, 5);
        assert_eq!(answer.text, "Maybe or");
        assert_eq!(answer.cited, vec![0]);
    }

    #[test]
    fn brackets_that_are_no_markers_stay() {
        let answer = cited("a [draft] and [] here [1] now", 1, 5);
        assert_eq!(answer.text, "a [draft] and [] here now");
        assert_eq!(answer.cited, vec![0]);
    }

    #[test]
    fn at_most_max_conversations_are_cited() {
        let answer = cited("[1][2][3][4][5][6]", 6, 5);
        assert_eq!(answer.cited, vec![0, 1, 2, 3, 4]);
    }
}
