//! The multipart body of `POST /v1/apps` and `PATCH /v1/apps/{app_id}` as the reference takes it: `app_data`,
//! the app as a JSON string, and `file`, the logo image (optional here).

use aide::generate::GenContext;
use aide::openapi::{Operation, ReferenceOr, RequestBody};
use aide::OperationInput;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use indexmap::IndexMap;

use crate::app::apps::logo::{Upload, MAX_LOGO_BYTES};
use crate::error::{error_response, validation_response, ApiError};
use crate::openapi::{ensure_response, media};

/// `app_data` and the logo, if one was sent.
pub struct AppForm {
    pub app_data: String,
    pub file: Option<Upload>,
}

fn unreadable(error: axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::invalid(
            "body",
            format!("the multipart body cannot be read: {}", error.body_text()),
        )
    }
}

impl<S: Send + Sync> FromRequest<S> for AppForm {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let mut form = Multipart::from_request(request, state).await.map_err(|_| {
            ApiError::invalid(
                "body",
                "the body must be multipart/form-data with app_data (and file)",
            )
        })?;
        let mut app_data = None;
        let mut file = None;
        while let Some(field) = form.next_field().await.map_err(unreadable)? {
            match field.name() {
                Some("app_data") => {
                    app_data = Some(field.text().await.map_err(|_| {
                        ApiError::invalid("body.app_data", "app_data must be UTF-8 text")
                    })?)
                }
                Some("file") => {
                    let bytes = field.bytes().await.map_err(unreadable)?;
                    if bytes.len() > MAX_LOGO_BYTES {
                        return Err(ApiError::PayloadTooLarge);
                    }
                    if !bytes.is_empty() {
                        file = Some(Upload {
                            bytes: bytes.to_vec(),
                        });
                    }
                }
                _ => {}
            }
        }
        let app_data =
            app_data.ok_or_else(|| ApiError::invalid("body.app_data", "Field required"))?;
        Ok(AppForm { app_data, file })
    }
}

impl OperationInput for AppForm {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = schemars::json_schema!({
            "type": "object",
            "required": ["app_data"],
            "properties": {
                "app_data": {
                    "type": "string",
                    "description": "The app as JSON (name, description, category, capabilities, prompts, external_integration …)"
                },
                "file": {
                    "type": "string",
                    "format": "binary",
                    "description": "The logo: PNG, JPEG, GIF or WebP, at most 1 MiB"
                }
            }
        });
        operation.request_body = Some(ReferenceOr::Item(RequestBody {
            description: Some("multipart/form-data: app_data and the logo".into()),
            content: IndexMap::from_iter([("multipart/form-data".into(), media(schema))]),
            required: true,
            extensions: IndexMap::new(),
        }));
        ensure_response(operation, Some(413), || {
            error_response(ctx, "The body or the logo is larger than the server takes")
        });
        ensure_response(operation, Some(422), || validation_response(ctx));
    }
}
