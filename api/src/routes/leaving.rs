//! Taking one's data and leaving (spec §7.10): `GET /v1/users/export` (the JSON document, or the event log as
//! NDJSON with `format=events`) and `DELETE /v1/users/delete-account`.

use aide::axum::routing::{delete_with, get_with};
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi::{Operation, ReferenceOr, Response as DocumentedResponse, StatusCode};
use aide::{OperationInput, OperationOutput};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::Json;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::app::leaving::deletion::{self, DeleteAccountAnswer, DeleteAccountInput};
use crate::app::leaving::export::{self, ExportDocument, ExportFormat};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, CurrentUser, Params};
use crate::openapi::{media, output_schema};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/users/export",
            get_with(export_data, |op| {
                op.summary(
                    "Download all your data: the JSON document, or your event log as NDJSON (format=events)",
                )
            }),
        )
        .api_route(
            "/v1/users/delete-account",
            delete_with(delete_account, |op| {
                op.summary(
                    "Delete your account: refused at once everywhere, then all of its data is erased",
                )
            }),
        )
        .with_path_items(|item| item.tag("users"))
}

/// Which export.
#[derive(Deserialize, JsonSchema)]
struct ExportQuery {
    /// `json` (the default) or `events`.
    format: Option<ExportFormat>,
}

async fn export_data(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<ExportQuery>,
) -> Attachment {
    let format = query.format.unwrap_or_default();
    Attachment {
        format,
        body: export::body(state, user.uid, format),
    }
}

async fn delete_account(
    State(state): State<AppState>,
    user: CurrentUser,
    OptionalBody(input): OptionalBody<DeleteAccountInput>,
) -> ApiResult<Json<DeleteAccountAnswer>> {
    let answer = deletion::delete_account(&state, &user.uid, input.unwrap_or_default()).await?;
    Ok(Json(answer))
}

/// An export, sent as an attachment while it is read.
struct Attachment {
    format: ExportFormat,
    body: axum::body::Body,
}

impl IntoResponse for Attachment {
    fn into_response(self) -> axum::response::Response {
        let disposition = format!("attachment; filename=\"{}\"", self.format.file_name());
        let mut response = self.body.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.format.content_type()),
        );
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        response
    }
}

/// 200 with the JSON document (`application/json`) or the events (`application/x-ndjson`).
impl OperationOutput for Attachment {
    type Inner = ();

    fn inferred_responses(
        ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<StatusCode>, DocumentedResponse)> {
        let document = output_schema::<ExportDocument>(ctx);
        let line = output_schema::<crate::app::changes::Change>(ctx);
        let mut answer = DocumentedResponse {
            description: "An attachment (`Content-Disposition`): `omi-export.json`, or with format=events \
                          `omi-events.ndjson`, one event a line in commit order (the change feed's fields plus \
                          `uid`), which `omi-server import` loads"
                .into(),
            ..Default::default()
        };
        answer
            .content
            .insert("application/json".into(), media(document));
        answer
            .content
            .insert("application/x-ndjson".into(), media(line));
        vec![(Some(StatusCode::Code(200)), answer)]
    }
}

/// A JSON body that may be left out (no bytes, or only whitespace); when present it is read as [`Body`] reads
/// it (413 when too large, 422 when it does not fit).
struct OptionalBody<T>(Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = request.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest(rejection.body_text())
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalBody(None));
        }
        let request = Request::from_parts(parts, axum::body::Body::from(bytes));
        let Body(value) = Body::<T>::from_request(request, state).await?;
        Ok(OptionalBody(Some(value)))
    }
}

impl<T: JsonSchema> OperationInput for OptionalBody<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        Body::<T>::operation_input(ctx, operation);
        if let Some(ReferenceOr::Item(body)) = &mut operation.request_body {
            body.required = false;
        }
    }
}
