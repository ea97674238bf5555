//! The typed bodies of the conversation routes' answers and the text fields they check themselves.

use aide::generate::GenContext;
use aide::openapi::{Operation, Response as DocumentedResponse, StatusCode as DocumentedStatus};
use aide::OperationOutput;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use omi_projections::conversations::ConversationView;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::borrow::Cow;

use crate::error::{ApiError, ApiResult};
use crate::openapi::{json_response, output_schema};
use crate::replies::Status;

/// `{"status": "Ok", "conversation": ...}`: an edit and the conversation after it.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct Changed {
    #[serde(flatten)]
    status: Status,
    conversation: ConversationView,
}

impl Changed {
    pub(super) fn new(conversation: ConversationView) -> Self {
        Self {
            status: Status::ok_capitalized(),
            conversation,
        }
    }
}

/// A shared conversation (without geolocation) and the people its segments name: none yet, as there are no
/// people records.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct SharedConversation {
    #[serde(flatten)]
    conversation: ConversationView,
    people: Vec<Value>,
}

impl SharedConversation {
    pub(super) fn new(conversation: ConversationView) -> Self {
        Self {
            conversation,
            people: Vec::new(),
        }
    }
}

/// A conversation's photos: none, as photos are not captured yet.
#[derive(Debug, Default, Serialize, JsonSchema)]
#[serde(transparent)]
pub(super) struct Photos(Vec<Value>);

/// Whether the conversation's audio is stored.
#[derive(Debug, Serialize, JsonSchema)]
pub(super) struct Recording {
    pub(super) has_recording: bool,
}

/// A page of the list as the read model stores it: the rows are already the answer's JSON (conversations in
/// list form), passed through unparsed.
pub(super) struct ListDocuments(String);

impl ListDocuments {
    /// The JSON array of the stored rows.
    pub(super) fn of(rows: &[String]) -> Self {
        Self(format!("[{}]", rows.join(",")))
    }
}

impl IntoResponse for ListDocuments {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/json")], self.0).into_response()
    }
}

impl OperationOutput for ListDocuments {
    type Inner = Vec<ConversationView>;

    fn operation_response(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Option<DocumentedResponse> {
        Some(json_response(
            "Conversations in list form (without transcript segments)",
            output_schema::<Vec<ConversationView>>(ctx),
        ))
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<DocumentedStatus>, DocumentedResponse)> {
        Self::operation_response(ctx, operation)
            .map(|response| (Some(DocumentedStatus::Code(200)), response))
            .into_iter()
            .collect()
    }
}

/// A text field the route checks itself: anything but a non-empty string (absent, `null`, a number, blank)
/// reads as missing, which the route answers with 400 and its own message (as the reference does), not 422.
#[derive(Debug, Default)]
pub(super) struct RequiredText(Option<String>);

impl RequiredText {
    /// The text, or 400 `missing`.
    pub(super) fn or_missing(self, missing: &str) -> ApiResult<String> {
        self.0
            .ok_or_else(|| ApiError::BadRequest(missing.to_string()))
    }
}

impl<'de> Deserialize<'de> for RequiredText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Ok(Self(
            value
                .as_str()
                .filter(|text| !text.trim().is_empty())
                .map(String::from),
        ))
    }
}

/// A non-empty string.
impl JsonSchema for RequiredText {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "RequiredText".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({"type": "string", "minLength": 1})
    }
}
