//! Third-party account integrations (spec §7.3, the `integrations` router): connection records, Apple Health
//! sync, and the OAuth URL and callback of Google Calendar.

use aide::axum::routing::{get_with, put_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, NoContent};
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::integrations::{
    self, AuthUrl, Changed, ConnectionInput, HealthSync, IntegrationStatus, Synced,
};
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/integrations/apple-health/sync",
            put_with(sync_health, |op| {
                op.summary("Record the health metrics a device aggregated (connects Apple Health)")
            }),
        )
        .api_route(
            "/v1/integrations/{app_key}",
            get_with(get_status, |op| op.summary("Whether the integration is connected"))
                .put_with(connect, |op| {
                    op.summary("Connect (or with connected=false disconnect) the integration")
                })
                .delete_with(disconnect, |op| {
                    op.summary("Disconnect the integration (204; 404 when not connected)")
                }),
        )
        .api_route(
            "/v1/integrations/{app_key}/oauth-url",
            get_with(oauth_url, |op| {
                op.summary("The provider's consent URL, with a state valid for ten minutes (google_calendar)")
            }),
        )
        .api_route(
            "/v2/integrations/{app_id}/callback",
            get_with(callback, |op| {
                op.summary("The provider's redirect: exchanges the code and links back to the app")
                    .description(
                        "An HTML page linking to `omi://{app_key}/callback?success=true`, or \
                         `?error=missing_code|invalid_state|config_error|server_error` (status 400 or 502).",
                    )
                    .response::<200, Html<String>>()
                    .response::<400, Html<String>>()
                    .response::<502, Html<String>>()
            }),
        )
        .with_path_items(|item| item.tag("integrations"))
}

async fn get_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
) -> ApiResult<Json<IntegrationStatus>> {
    Ok(Json(integrations::status(&state, &user.uid, &key).await?))
}

async fn connect(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
    Body(input): Body<ConnectionInput>,
) -> ApiResult<Json<Changed>> {
    Ok(Json(
        integrations::connect(&state, &user.caller(), &key, input).await?,
    ))
}

async fn disconnect(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
) -> ApiResult<NoContent> {
    integrations::disconnect(&state, &user.caller(), &key).await?;
    Ok(NoContent)
}

async fn sync_health(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(sync): Body<HealthSync>,
) -> ApiResult<Json<Synced>> {
    Ok(Json(
        integrations::sync_health(&state, &user.caller(), sync).await?,
    ))
}

async fn oauth_url(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key): Path<String>,
) -> ApiResult<Json<AuthUrl>> {
    Ok(Json(
        integrations::oauth_url(&state, &user.uid, &key).await?,
    ))
}

/// The provider's redirect parameters.
#[derive(Debug, Deserialize, JsonSchema)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Params(query): Params<CallbackQuery>,
) -> (StatusCode, Html<String>) {
    let result =
        integrations::callback(&state, &key, query.code.as_deref(), query.state.as_deref()).await;
    // The deep link names the integration as the app knows it; an unusable key links to no app.
    let app_key = integrations::checked_key(&key).unwrap_or_else(|_| "omi".into());
    let (status, link, message) = match result {
        Ok(()) => (
            StatusCode::OK,
            format!("omi://{app_key}/callback?success=true"),
            "Connected. You can return to the Omi app.",
        ),
        Err(error) => (
            match error {
                integrations::CallbackError::ServerError => StatusCode::BAD_GATEWAY,
                _ => StatusCode::BAD_REQUEST,
            },
            format!("omi://{app_key}/callback?error={}", error.as_str()),
            "The connection did not succeed. Return to the Omi app and try again.",
        ),
    };
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Omi</title>\
         <meta http-equiv=\"refresh\" content=\"0;url={link}\"></head>\
         <body><p>{message}</p><p><a href=\"{link}\">Open Omi</a></p></body></html>"
    );
    (status, Html(page))
}
