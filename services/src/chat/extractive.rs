//! The offline chat answerer: the passages of the retrieved context that share the most words with the
//! question, each cited by the number of the conversation it comes from. Deterministic: the same question and
//! context always give the same answer, streamed in the same chunks.

use async_trait::async_trait;

use super::terms::{matches, question_terms};
use super::{ChatModel, ChatRequest, ChatTools, Chunks};
use crate::llm::LlmError;

/// The most passages of conversations an answer quotes.
const MAX_PASSAGES: usize = 3;
/// The most passages quoted from one conversation.
const PER_CONVERSATION: usize = 2;
/// The most memories and action items an answer lists.
const MAX_FACTS: usize = 2;
/// The most characters of one quoted passage.
const MAX_PASSAGE_CHARS: usize = 300;
/// Words per streamed chunk.
const WORDS_PER_CHUNK: usize = 6;

/// What an answer says when the context holds nothing about the question.
pub const NOTHING_FOUND: &str =
    "I couldn't find anything about that in your conversations, memories or tasks.";

/// The embedded chat answerer.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExtractiveChat;

/// A passage of a conversation and how well it matches.
struct Passage<'a> {
    score: usize,
    /// The conversation's place in the context (0 first).
    conversation: usize,
    /// The passage's place in its conversation.
    at: usize,
    text: &'a str,
}

impl ExtractiveChat {
    /// The whole answer to `request`.
    pub fn compose(request: &ChatRequest) -> String {
        let terms = question_terms(&request.question);
        let context = &request.context;
        let mut passages: Vec<Passage> = Vec::new();
        for (conversation, found) in context.conversations.iter().enumerate() {
            let texts = std::iter::once(found.overview.as_str())
                .chain(found.sentences.iter().map(String::as_str));
            for (at, text) in texts.enumerate() {
                let score = matches(&terms, text);
                if score > 0 && !text.trim().is_empty() {
                    passages.push(Passage {
                        score,
                        conversation,
                        at,
                        text,
                    });
                }
            }
        }
        passages.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then(a.conversation.cmp(&b.conversation))
                .then(a.at.cmp(&b.at))
        });
        let mut quoted: Vec<&Passage> = Vec::new();
        for passage in &passages {
            let from_same = quoted
                .iter()
                .filter(|q| q.conversation == passage.conversation)
                .count();
            if quoted.len() < MAX_PASSAGES && from_same < PER_CONVERSATION {
                quoted.push(passage);
            }
        }
        // Retrieval may match on what the words do not show (a semantic match): the best conversation's
        // overview then answers.
        let fallback;
        if quoted.is_empty() {
            if let Some(best) = context
                .conversations
                .first()
                .filter(|c| !c.overview.trim().is_empty())
            {
                fallback = Passage {
                    score: 0,
                    conversation: 0,
                    at: 0,
                    text: best.overview.as_str(),
                };
                quoted.push(&fallback);
            }
        }
        let memories: Vec<&str> = best_of(context.memories.iter().map(String::as_str), &terms);
        let tasks: Vec<String> = context
            .action_items
            .iter()
            .filter(|item| matches(&terms, &item.description) > 0)
            .take(MAX_FACTS)
            .map(|item| {
                let mut line = item.description.trim().to_string();
                if let Some(due) = item.due_at {
                    line.push_str(&format!(" (due {})", due.format("%Y-%m-%d")));
                }
                if item.completed {
                    line.push_str(" (done)");
                }
                line
            })
            .collect();
        if quoted.is_empty() && memories.is_empty() && tasks.is_empty() {
            return NOTHING_FOUND.to_string();
        }
        let mut answer = String::new();
        if !quoted.is_empty() {
            answer.push_str("Here is what I found in your conversations:");
            for passage in &quoted {
                let title = context.conversations[passage.conversation].title.trim();
                let text = excerpt(passage.text.trim());
                if title.is_empty() {
                    answer.push_str(&format!("\n- {text} [{}]", passage.conversation + 1));
                } else {
                    answer.push_str(&format!(
                        "\n- {title}: {text} [{}]",
                        passage.conversation + 1
                    ));
                }
            }
        }
        for (heading, lines) in [
            (
                "From your memories:",
                memories
                    .iter()
                    .map(|m| m.trim().to_string())
                    .collect::<Vec<_>>(),
            ),
            ("Among your tasks:", tasks),
        ] {
            if !lines.is_empty() {
                if !answer.is_empty() {
                    answer.push_str("\n\n");
                }
                answer.push_str(heading);
                for line in lines {
                    answer.push_str(&format!("\n- {line}"));
                }
            }
        }
        answer
    }
}

/// Up to [`MAX_FACTS`] of `texts` that match the question, best first (earlier first among equals).
fn best_of<'a>(
    texts: impl Iterator<Item = &'a str>,
    terms: &std::collections::HashSet<String>,
) -> Vec<&'a str> {
    let mut scored: Vec<(usize, usize, &str)> = texts
        .enumerate()
        .map(|(at, text)| (matches(terms, text), at, text))
        .filter(|(score, _, _)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored
        .into_iter()
        .take(MAX_FACTS)
        .map(|(_, _, text)| text)
        .collect()
}

/// At most [`MAX_PASSAGE_CHARS`] characters of `text`, cut at a word with "…".
fn excerpt(text: &str) -> String {
    if text.chars().count() <= MAX_PASSAGE_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX_PASSAGE_CHARS).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

/// `text` in chunks of a few words, each with the white space that follows it, so that the chunks joined give
/// the text back.
pub fn chunked(text: &str) -> Vec<String> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut words = 0;
    for piece in text.split_inclusive(char::is_whitespace) {
        current.push_str(piece);
        if !piece.trim().is_empty() {
            words += 1;
        }
        if words == WORDS_PER_CHUNK {
            chunks.push(std::mem::take(&mut current));
            words = 0;
        }
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

#[async_trait]
impl ChatModel for ExtractiveChat {
    fn name(&self) -> &str {
        "extractive"
    }

    async fn answer(
        &self,
        request: &ChatRequest,
        _tools: &dyn ChatTools,
        chunks: &Chunks,
    ) -> Result<String, LlmError> {
        let answer = Self::compose(request);
        for chunk in chunked(&answer) {
            if chunks.send(chunk).await.is_err() {
                break;
            }
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::chat::{cited, ChatContext, RetrievedConversation};

    fn conversation(id: &str, title: &str, sentences: &[&str]) -> RetrievedConversation {
        RetrievedConversation {
            id: id.into(),
            title: title.into(),
            overview: String::new(),
            created_at: Utc.timestamp_opt(1_764_626_400, 0).unwrap(),
            sentences: sentences.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn ask(question: &str, context: ChatContext) -> String {
        ExtractiveChat::compose(&ChatRequest {
            persona: None,
            app_tools: Vec::new(),
            history: vec![],
            question: question.into(),
            context,
        })
    }

    #[test]
    fn the_best_matching_sentence_is_quoted_and_cited_by_its_conversation() {
        let context = ChatContext {
            conversations: vec![
                conversation("c1", "Gym", &["Leg day was hard."]),
                conversation(
                    "c2",
                    "Call with Anna",
                    &["Hi.", "I promise to send Anna the budget slides by Friday."],
                ),
            ],
            ..Default::default()
        };
        let answer = ask("What did I promise Anna?", context);
        assert!(answer.contains("budget slides by Friday. [2]"), "{answer}");
        assert_eq!(cited(&answer, 2, 5).cited, vec![1]);
    }

    #[test]
    fn nothing_matching_says_so() {
        assert_eq!(
            ask("What about taxes?", ChatContext::default()),
            NOTHING_FOUND
        );
    }

    #[test]
    fn memories_and_tasks_that_match_are_listed() {
        let context = ChatContext {
            memories: vec!["Anna is the user's manager".into(), "Likes tea".into()],
            ..Default::default()
        };
        let answer = ask("Who is Anna?", context);
        assert!(
            answer.contains("From your memories:\n- Anna is the user's manager"),
            "{answer}"
        );
        assert!(!answer.contains("tea"));
    }

    #[test]
    fn the_chunks_give_the_answer_back() {
        let text = "one two three four five six seven\neight  nine";
        assert_eq!(chunked(text).concat(), text);
        assert!(chunked(text).len() > 1);
    }
}
