//! The OpenAPI document at `/openapi.json`, generated from the handlers' own input and output types, and the
//! interactive documentation at `/docs` (Swagger UI, served from the binary: no CDN).
//!
//! # How the document is made
//!
//! Routers are `aide::axum::ApiRouter`s and routes are added with `api_route`: aide reads each handler's
//! signature when the route is added. Every extractor describes what it reads (`crate::extract::Body` the
//! request body, `Params` and `QueryLists` the query parameters, `Path` the path parameters, `CurrentUser` the
//! `userToken` security requirement and its 401) and every answer what it writes (`axum::Json<T>` the schema of
//! `T` as serde writes it, `ApiError` the `{"detail": ...}` errors and the 422 list). The document therefore
//! cannot drift from the code: changing a handler's types changes its description. [`document::assemble`] puts
//! it together with the security schemes and the operation ids.
//!
//! What aide cannot describe comes from a hand-kept list, [`pending`]: today only the `/v4/listen` WebSocket
//! upgrade (its frames are messages, not an HTTP body; spec §4 describes them), with path, method and
//! authentication only, marked `x-schemas-pending`. Every other route describes itself; a route added with a
//! plain `.route(` and missing from that list fails a test.
//!
//! # Why aide (0.16, the alpha series on schemars 1) and not utoipa
//!
//! - aide infers the request and the responses from the handler's signature (`OperationInput` for
//!   extractors, `OperationOutput` for answers): nothing is written twice. utoipa 5/6 describes each
//!   handler in a `#[utoipa::path(...)]` attribute beside it, body and responses written out again by hand, which
//!   can drift from the signature: what the issue asks to end.
//! - Schemas come from `schemars` 1 (`#[derive(JsonSchema)]`, honouring serde's renames, `skip_serializing_if`,
//!   `flatten`, `untagged`), which the tree already has; utoipa would add its own `ToSchema` derive and a
//!   second set of attributes on every type.
//! - Cost: aide with `default-features = false` and the features `axum`, `axum-json`, `swagger` adds one crate
//!   to the build (aide itself; cfg-if, indexmap and tower-layer were there). utoipa + utoipa-axum +
//!   utoipa-swagger-ui would add a proc-macro crate, rust-embed and a zip extraction at build time.
//! - Swagger UI: aide's `swagger` feature carries Swagger UI's build (script and style sheet) inside the crate;
//!   [`docs`] serves them with our own page configuration.
//! - The risk: aide 0.16 is an alpha. The version is pinned exactly in Cargo.toml, and the surface used is
//!   small (`ApiRouter`, `api_route`, the two traits, `finish_api`).

mod describe;
mod docs;
pub mod document;
mod pending;

use std::sync::{Arc, OnceLock};

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi::{Operation, Response};
use aide::OperationOutput;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use schemars::json_schema;

pub(crate) use describe::{
    add_parameters, ensure_response, ensure_security, header, input_schema, json_response, media,
    output_schema, parameters, Place,
};
pub use document::{assemble, Assembled};

use crate::state::AppState;

/// The routes of this module: `/openapi.json` (serving `document`, set once the document is assembled) and
/// `/docs`.
pub(crate) fn router(document: Arc<OnceLock<Bytes>>) -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/openapi.json",
            get_with(
                move || {
                    let document = document.clone();
                    async move { Document(document.get().cloned().unwrap_or_default()) }
                },
                |op| op.summary("This document").tag("server"),
            ),
        )
        .merge(docs::router())
}

/// The document as JSON text, written once.
struct Document(Bytes);

impl IntoResponse for Document {
    fn into_response(self) -> axum::response::Response {
        ([(header::CONTENT_TYPE, "application/json")], self.0).into_response()
    }
}

impl OperationOutput for Document {
    type Inner = ();

    fn operation_response(_ctx: &mut GenContext, _operation: &mut Operation) -> Option<Response> {
        Some(json_response(
            "The OpenAPI 3.1 document of this server",
            json_schema!({"type": "object", "required": ["openapi", "info", "paths"]}),
        ))
    }

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<aide::openapi::StatusCode>, Response)> {
        Self::operation_response(ctx, operation)
            .map(|response| (Some(aide::openapi::StatusCode::Code(200)), response))
            .into_iter()
            .collect()
    }
}
