//! The event stream of an answer, in the reference's format (spec §6.4): each chunk of text as
//! `data: <chunk>\n\n` with its newlines written `__CRLF__`, then `done: <base64 of the stored answer as
//! JSON>\n\n`; a failed answer ends with `error: <why>\n\n` instead, and nothing of it is stored.

use aide::generate::GenContext;
use aide::openapi::{Operation, Response, StatusCode};
use aide::OperationOutput;
use axum::body::Body;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use base64::Engine;
use indexmap::IndexMap;
use schemars::json_schema;

use crate::app::chat::{Answering, StreamItem};
use crate::openapi::media;

/// A streamed answer.
pub struct AnswerStream(axum::response::Response);

impl AnswerStream {
    /// The stream of `answering`'s items.
    pub fn new(answering: Answering) -> Self {
        let frames = futures::stream::unfold(answering, |mut answering| async move {
            let frame = frame(answering.items.recv().await?);
            Some((Ok::<_, std::convert::Infallible>(frame), answering))
        });
        let mut response = Body::from_stream(frames).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        Self(response)
    }
}

/// One item as the stream writes it.
fn frame(item: StreamItem) -> String {
    match item {
        StreamItem::Chunk(text) => format!("data: {}\n\n", one_line(&text)),
        StreamItem::Done(message) => {
            let json = serde_json::to_vec(&message).unwrap_or_default();
            let encoded = base64::engine::general_purpose::STANDARD.encode(json);
            format!("done: {encoded}\n\n")
        }
        StreamItem::Failed(reason) => format!("error: {}\n\n", one_line(&reason)),
    }
}

/// `text` with its line ends written `__CRLF__`.
fn one_line(text: &str) -> String {
    text.replace("\r\n", "__CRLF__")
        .replace(['\n', '\r'], "__CRLF__")
}

impl IntoResponse for AnswerStream {
    fn into_response(self) -> axum::response::Response {
        self.0
    }
}

/// 200 `text/event-stream`.
impl OperationOutput for AnswerStream {
    type Inner = ();

    fn inferred_responses(
        _ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<StatusCode>, Response)> {
        let stream = Response {
            description: "Lines separated by a blank line: `data: <text chunk>` (newlines written __CRLF__), \
                          then `done: <base64 of the stored answer, a ResponseMessage, as JSON>`, or `error: \
                          <why>` when no answer could be given (nothing is stored then)"
                .into(),
            content: IndexMap::from_iter([(
                "text/event-stream".into(),
                media(json_schema!({"type": "string"})),
            )]),
            ..Default::default()
        };
        vec![(Some(StatusCode::Code(200)), stream)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_is_one_line_with_its_newlines_encoded() {
        assert_eq!(
            frame(StreamItem::Chunk("a\nb\r\nc".into())),
            "data: a__CRLF__b__CRLF__c\n\n"
        );
    }
}
