//! `/docs`: Swagger UI over `/openapi.json`, with "Try it out" against this server. The UI's script and style
//! sheet are the build of Swagger UI that the `aide` crate ships (its `swagger` feature), served from the binary:
//! the page loads nothing from any other host.

use std::sync::OnceLock;

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// The page; its configuration is ours (no validator badge, try-it-out on, the token kept across reloads).
const PAGE: &str = include_str!("docs.html");

/// Swagger UI's script and style sheet.
struct Assets {
    script: &'static str,
    style: &'static str,
}

/// The assets, cut once out of the page aide writes (they are inlined there, in a `<style>` and the first
/// `<script>` element).
fn assets() -> &'static Assets {
    static ASSETS: OnceLock<Assets> = OnceLock::new();
    ASSETS.get_or_init(|| {
        let page: &'static str = aide::swagger::Swagger::new("openapi.json").html().leak();
        Assets {
            script: between(page, "<script>", "</script>").unwrap_or_default(),
            style: between(page, "<style>", "</style>").unwrap_or_default(),
        }
    })
}

/// The text between the first `open` and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = start + text[start..].find(close)?;
    Some(&text[start..end])
}

/// The page (documented) and its two assets (not API operations, so not in the document).
pub(crate) fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/docs",
            get_with(page, |op| {
                op.summary("Interactive API documentation").tag("server")
            }),
        )
        .route("/docs/swagger-ui-bundle.js", get(script))
        .route("/docs/swagger-ui.css", get(style))
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

async fn script() -> Response {
    asset("text/javascript; charset=utf-8", assets().script)
}

async fn style() -> Response {
    asset("text/css; charset=utf-8", assets().style)
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_assets_are_swagger_ui() {
        let assets = assets();
        assert!(
            assets.script.len() > 100_000 && assets.script.contains("SwaggerUIBundle"),
            "the script was not found in aide's page"
        );
        assert!(
            assets.style.len() > 10_000 && assets.style.contains(".swagger-ui"),
            "the style sheet was not found in aide's page"
        );
    }

    #[test]
    fn the_page_loads_only_from_this_server() {
        let elsewhere: Vec<&str> = PAGE
            .split(['"', '\''])
            .filter(|part| part.contains("://"))
            .collect();
        assert!(
            elsewhere.is_empty(),
            "the page refers to other hosts: {elsewhere:?}"
        );
        assert!(PAGE.contains("\"openapi.json\""));
        assert!(PAGE.contains("docs/swagger-ui-bundle.js"));
    }
}
