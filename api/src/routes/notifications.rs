//! Notifications and devices (spec §7.8, the `notifications` router): a device's push token, an operator's
//! notification to a user, and (an extension) the user's notifications as recorded, with how each push went.

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi::{Operation, Parameter, ParameterData, ParameterSchemaOrContent, ReferenceOr};
use aide::OperationInput;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::Json;
use omi_commands::{Actor, Metadata};
use omi_domain::notification::NotificationSource;
use omi_projections::notifications::NotificationView;

use crate::app::notifications::{self, AdminNotification, TokenInput, LIST};
use crate::app::PageQuery;
use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, CurrentUser, Params};
use crate::replies::Status;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/users/fcm-token",
            post_with(register_token, |op| {
                op.summary("Record the device's push token and time zone (the profile's time zone from now on)")
                    .tag("notifications")
            }),
        )
        .api_route(
            "/v1/notification",
            post_with(send, |op| {
                op.summary("Send a notification to a user (operators: `secret-key` header)")
                    .tag("notifications")
            }),
        )
        .api_route(
            "/v1/notifications",
            get_with(list, |op| {
                op.summary("The user's notifications, newest first, with how each push went (extension)")
                    .description(
                        "Every notification is recorded before it is pushed, so a server without a push service \
                         (no OMI_FCM_SERVICE_ACCOUNT) still keeps them here.",
                    )
                    .tag("notifications")
            }),
        )
}

/// The `X-App-Platform` and `X-Device-Id-Hash` headers, which name the device.
struct DeviceHeaders {
    platform: Option<String>,
    hash: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for DeviceHeaders {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let read = |name: &str| -> Result<Option<String>, ApiError> {
            match parts.headers.get(name) {
                None => Ok(None),
                Some(value) => value
                    .to_str()
                    .map(|text| Some(text.to_string()))
                    .map_err(|_| {
                        ApiError::invalid(
                            &format!("header.{name}"),
                            format!("{name} must be visible ASCII"),
                        )
                    }),
            }
        };
        Ok(DeviceHeaders {
            platform: read("X-App-Platform")?,
            hash: read("X-Device-Id-Hash")?,
        })
    }
}

impl OperationInput for DeviceHeaders {
    fn operation_input(_ctx: &mut GenContext, operation: &mut Operation) {
        for (name, description) in [
            (
                "X-App-Platform",
                "The device's platform (`ios`, `android` …)",
            ),
            ("X-Device-Id-Hash", "A hash of the device's id"),
        ] {
            operation.parameters.push(ReferenceOr::Item(Parameter::Header {
                parameter_data: ParameterData {
                    name: name.into(),
                    description: Some(format!(
                        "{description}; with the other header it names the device (at most 128 characters)"
                    )),
                    required: false,
                    deprecated: None,
                    format: ParameterSchemaOrContent::Schema(aide::openapi::SchemaObject {
                        json_schema: schemars::json_schema!({"type": "string"}),
                        external_docs: None,
                        example: None,
                    }),
                    example: None,
                    examples: Default::default(),
                    explode: None,
                    extensions: Default::default(),
                },
                style: Default::default(),
            }));
        }
    }
}

async fn register_token(
    State(state): State<AppState>,
    user: CurrentUser,
    device: DeviceHeaders,
    Body(input): Body<TokenInput>,
) -> ApiResult<Json<Status>> {
    notifications::register_token(
        &state,
        &user.caller(),
        device.platform.as_deref(),
        device.hash.as_deref(),
        input,
    )
    .await?;
    Ok(Json(Status::ok_capitalized()))
}

async fn send(
    State(state): State<AppState>,
    admin: Admin,
    Body(input): Body<AdminNotification>,
) -> ApiResult<Json<Status>> {
    let (uid, content) = input.checked()?;
    let metadata = Metadata::new(uid.clone(), Actor::System, admin.request_id);
    // An erased account takes no new data.
    crate::erasure::refuse_erased(&state.database, &uid)
        .await
        .map_err(|error| match error {
            ApiError::Unauthorized(message) => ApiError::NotFound(message),
            other => other,
        })?;
    notifications::send(
        &state,
        &metadata,
        &uid,
        content,
        NotificationSource::Admin,
        None,
    )
    .await?;
    Ok(Json(Status::ok_capitalized()))
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<PageQuery>,
) -> ApiResult<Json<Vec<NotificationView>>> {
    let page = LIST.of(&query)?;
    Ok(Json(notifications::list(&state, &user.uid, page).await?))
}
