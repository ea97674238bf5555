//! The app catalog (spec §7.1): the public v2 listing and a capability's apps grouped by category (no auth),
//! the search, the v1 lists (approved, popular), the fixed lists (categories, capabilities, scopes, plans),
//! and the logos apps show, served from the log.

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi::{Operation, Response as DocumentedResponse, StatusCode};
use aide::OperationOutput;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::apps::catalog::{
    self, CapabilityCatalog, CapabilityInfo, Labeled, SearchQuery, SearchResults, SuggestedApps,
    V2Catalog, V2Query,
};
use crate::app::apps::{self, logo, AppView};
use crate::error::ApiResult;
use crate::extract::{CurrentUser, Params, Path};
use crate::openapi::media;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v2/apps",
            get_with(v2, |op| {
                op.summary(
                    "The public catalog: grouped by capability, or one capability or category",
                )
            }),
        )
        .api_route(
            "/v2/apps/capability/{capability_id}/grouped",
            get_with(grouped, |op| {
                op.summary("The public apps of a capability, grouped by category")
            }),
        )
        .api_route(
            "/v2/apps/search",
            get_with(search, |op| op.summary("Search the apps you may see")),
        )
        .api_route(
            "/v1/approved-apps",
            get_with(approved, |op| {
                op.summary("Approved public apps (no personas)")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/suggested-apps",
            get_with(suggested_apps, |op| {
                op.summary("The summarization apps suggested for your conversation, best first")
                    .tag("conversations")
            }),
        )
        .api_route(
            "/v1/apps/popular",
            get_with(popular, |op| op.summary("Apps flagged popular")),
        )
        .api_route(
            "/v1/app-categories",
            get_with(categories, |op| op.summary("The app categories")),
        )
        .api_route(
            "/v1/app-capabilities",
            get_with(capabilities, |op| {
                op.summary("The capabilities with their triggers, actions and scopes")
            }),
        )
        .api_route(
            "/v1/app/proactive-notification-scopes",
            get_with(scopes, |op| {
                op.summary("The scopes of proactive notifications")
            }),
        )
        .api_route(
            "/v1/app/payment-plans",
            get_with(plans, |op| {
                op.summary("The payment plans (deprecated: /v1/app/plans)")
            }),
        )
        .api_route(
            "/v1/app/plans",
            get_with(user_plans, |op| op.summary("The payment plans")),
        )
        .api_route(
            "/v1/app-logos/{logo_id}",
            get_with(logo_image, |op| op.summary("An app's logo image")),
        )
        .with_path_items(|item| item.tag("apps"))
}

/// `?include_reviews=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct ReviewsQuery {
    #[serde(default)]
    include_reviews: bool,
}

async fn v2(
    State(state): State<AppState>,
    Params(query): Params<V2Query>,
) -> ApiResult<Json<V2Catalog>> {
    Ok(Json(catalog::v2(&state, query).await?))
}

async fn grouped(
    State(state): State<AppState>,
    Path(capability_id): Path<String>,
) -> ApiResult<Json<CapabilityCatalog>> {
    Ok(Json(catalog::by_capability(&state, &capability_id).await?))
}

async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    Ok(Json(catalog::search(&state, &user.uid, query).await?))
}

async fn approved(
    State(state): State<AppState>,
    Params(query): Params<ReviewsQuery>,
) -> ApiResult<Json<Vec<AppView>>> {
    Ok(Json(
        apps::public(&state, None, query.include_reviews).await?,
    ))
}

async fn popular(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<Vec<AppView>>> {
    let mut all = apps::public(&state, Some(&user.uid), false).await?;
    all.retain(|app| app.is_popular);
    Ok(Json(all))
}

async fn categories() -> Json<Vec<Labeled>> {
    Json(catalog::categories())
}

async fn capabilities() -> Json<Vec<CapabilityInfo>> {
    Json(catalog::capabilities())
}

async fn scopes() -> Json<Vec<Labeled>> {
    Json(catalog::scopes())
}

async fn plans() -> Json<Vec<Labeled>> {
    Json(catalog::plans())
}

async fn user_plans(_user: CurrentUser) -> Json<Vec<Labeled>> {
    Json(catalog::plans())
}

/// An image answer.
struct Image {
    content_type: String,
    bytes: Vec<u8>,
}

impl IntoResponse for Image {
    fn into_response(self) -> Response {
        let mut response = self.bytes.into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&self.content_type) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400, immutable"),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        response
    }
}

/// 200 with the image bytes.
impl OperationOutput for Image {
    type Inner = ();

    fn inferred_responses(
        _ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<StatusCode>, DocumentedResponse)> {
        let binary = || media(schemars::json_schema!({"type": "string", "format": "binary"}));
        let content = IndexMap::from_iter(
            ["image/png", "image/jpeg", "image/gif", "image/webp"]
                .into_iter()
                .map(|kind| (kind.to_string(), binary())),
        );
        vec![(
            Some(StatusCode::Code(200)),
            DocumentedResponse {
                description: "The logo image".into(),
                content,
                ..Default::default()
            },
        )]
    }
}

async fn logo_image(
    State(state): State<AppState>,
    Path(logo_id): Path<String>,
) -> ApiResult<Image> {
    let (content_type, bytes) = logo::read(&state, &logo_id).await?;
    Ok(Image {
        content_type,
        bytes,
    })
}

async fn suggested_apps(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<SuggestedApps>> {
    Ok(Json(catalog::suggested_for(&state, &user.uid, &id).await?))
}
