//! Request extractors whose failures speak the API's error shape: JSON bodies, query strings and path
//! parameters (422 with the problems, 413 when too large), and the authenticated user. Each refuses text the
//! event log cannot store (a NUL character, see [`omi_domain::storable`]) where it enters, with the place
//! named, so that the same request gets the same answer on both stores. Each describes what it reads in the
//! OpenAPI document (`aide::OperationInput`), from the same type it deserializes.

use aide::generate::GenContext;
use aide::openapi::{Operation, ReferenceOr, RequestBody};
use aide::OperationInput;
use axum::body::Bytes;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use indexmap::IndexMap;
use omi_commands::{Actor, Metadata};
use omi_domain::storable::{is_storable, unstorable_at, NUL_REFUSED};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::auth::AuthError;
use crate::error::{error_response, validation_response, ApiError, Problem};
use crate::openapi::{
    add_parameters, ensure_response, ensure_security, header, input_schema, media, parameters,
    Place,
};
use crate::request_id::RequestId;
use crate::state::AppState;

/// A JSON body of type `T`.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !declares_json(request.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::invalid(
                "body",
                "the body must be JSON, sent as Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest(rejection.body_text())
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid("body", "Field required"));
        }
        if may_hold_nul(&bytes) {
            refuse_unstorable(&bytes)?;
        }
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            problem(
                "body",
                error.path().to_string(),
                error.into_inner().to_string(),
            )
        })?;
        // One JSON value and nothing after it but whitespace: a body with bytes after its value (a raw NUL,
        // a second document) is not the JSON it claims to be.
        deserializer
            .end()
            .map_err(|error| problem("body", String::new(), error.to_string()))?;
        Ok(Body(value))
    }
}

/// The request body: required JSON of `T`'s schema; 413 when it is too large, 422 when it does not fit.
impl<T: JsonSchema> OperationInput for Body<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = input_schema::<T>();
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .map(String::from);
        operation.request_body = Some(ReferenceOr::Item(RequestBody {
            description,
            content: IndexMap::from_iter([("application/json".into(), media(schema))]),
            required: true,
            extensions: IndexMap::new(),
        }));
        ensure_response(operation, Some(413), || {
            error_response(ctx, "The request body is larger than the server takes")
        });
        ensure_response(operation, Some(422), || validation_response(ctx));
    }
}

/// Whether a request's `Content-Type` lets its body be read as JSON, as the reference (FastAPI) decides: none
/// given, `application/json`, or an `application/*+json` type. A body declared as something else (a form, plain
/// text, as a cross-site form may send) is not read as JSON.
fn declares_json(content_type: Option<&header::HeaderValue>) -> bool {
    let Some(value) = content_type else {
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}

/// Whether the JSON text `bytes` may hold a NUL character: whether it has a `\u0000` escape (one whose
/// backslash is not itself escaped). JSON has no other way to write one: a raw NUL byte is a syntax error.
fn may_hold_nul(bytes: &[u8]) -> bool {
    const ESCAPE: &[u8] = b"\\u0000";
    bytes
        .windows(ESCAPE.len())
        .enumerate()
        .any(|(start, window)| {
            window == ESCAPE
                && bytes[..start]
                    .iter()
                    .rev()
                    .take_while(|&&byte| byte == b'\\')
                    .count()
                    % 2
                    == 0
        })
}

/// 422 at the first string of the JSON text `bytes` that holds a NUL character, if there is one (text that is
/// not JSON is left to the deserializer to report).
fn refuse_unstorable(bytes: &[u8]) -> Result<(), ApiError> {
    let Ok(value) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(());
    };
    match unstorable_at(&value) {
        Some(path) => Err(problem("body", path, NUL_REFUSED.into())),
        None => Ok(()),
    }
}

/// 422 at the first `name=value` pair that holds a NUL character (`%00`), if there is one.
fn refuse_unstorable_query(query: &str) -> Result<(), ApiError> {
    match form_urlencoded::parse(query.as_bytes())
        .find(|(name, value)| !is_storable(name) || !is_storable(value))
    {
        Some((name, _)) if is_storable(&name) => {
            Err(problem("query", name.into_owned(), NUL_REFUSED.into()))
        }
        Some(_) => Err(ApiError::invalid(
            "query",
            format!("a parameter name {NUL_REFUSED}"),
        )),
        None => Ok(()),
    }
}

/// Query parameters of type `T`.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        refuse_unstorable_query(query)?;
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(Params)
            .map_err(|error| {
                problem(
                    "query",
                    error.path().to_string(),
                    error.into_inner().to_string(),
                )
            })
    }
}

/// One query parameter per field of `T`; 422 when they do not fit.
impl<T: JsonSchema> OperationInput for Params<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        add_parameters(operation, parameters(&input_schema::<T>(), Place::Query));
        ensure_response(operation, Some(422), || validation_response(ctx));
    }
}

fn problem(place: &str, path: String, message: String) -> ApiError {
    let loc = if path == "." || path.is_empty() {
        place.to_string()
    } else {
        format!("{place}.{path}")
    };
    ApiError::Validation(vec![Problem::new(&loc, message)])
}

/// The path parameters of the route (`{id}`, `({id}, {segment})`), percent-decoded. Text that is not UTF-8
/// (`%ff%fe`), holds a NUL character (`%00`) or does not parse as `T` is a 422 naming the parameter, in the
/// API's error shape (axum's own extractor answers such requests in plain text).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(params) =
            axum::extract::Path::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(path_problem)?;
        if let Some((name, _)) = params.iter().find(|(_, value)| !is_storable(value)) {
            return Err(problem("path", name.clone(), NUL_REFUSED.into()));
        }
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(path_problem)?;
        Ok(Path(value))
    }
}

/// The path parameters: by name for a struct `T`, else by position (named after the route template when the
/// document is finished); 422 when they do not parse.
impl<T: JsonSchema> OperationInput for Path<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        add_parameters(operation, parameters(&input_schema::<T>(), Place::Path));
        ensure_response(operation, Some(422), || validation_response(ctx));
    }
}

/// The problem with path parameters that axum could not extract.
fn path_problem(rejection: PathRejection) -> ApiError {
    let PathRejection::FailedToDeserializePathParams(failure) = rejection else {
        // The route has no parameters: a handler that asks for some is a bug, not a bad request.
        return ApiError::Internal(rejection.body_text());
    };
    let message = failure.body_text();
    match failure.into_kind() {
        ErrorKind::InvalidUtf8InPathParam { key } => problem(
            "path",
            key,
            "must be UTF-8 text (the percent-encoded bytes are not)".into(),
        ),
        ErrorKind::ParseErrorAtKey { key, .. } | ErrorKind::DeserializeError { key, .. } => {
            problem("path", key, message)
        }
        _ => problem("path", String::new(), message),
    }
}

/// All `name=value` pairs of the query string, in order, for parameters that may repeat.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        refuse_unstorable_query(query)?;
        serde_urlencoded::from_str(query)
            .map(QueryPairs)
            .map_err(|e| ApiError::invalid("query", e.to_string()))
    }
}

/// Nothing: the pairs are read by name in the handler, where no type says which. A documented route reads its
/// repeatable parameters with [`QueryLists`] instead.
impl OperationInput for QueryPairs {}

impl QueryPairs {
    /// Every value of `name`, with comma-separated values split.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .flat_map(|(_, value)| value.split(','))
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(String::from)
            .collect()
    }
}

/// Query parameters that may repeat, gathered by name into the list fields of `T` (`Vec<String>`, or a list of
/// an enum of names), each value split at commas: `?categories=a&categories=b,c` gives `["a", "b", "c"]`.
/// Other parameters are left to [`Params`]; a missing one gives an empty list when its field has
/// `#[serde(default)]`.
pub struct QueryLists<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryLists<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let QueryPairs(pairs) = QueryPairs::from_request_parts(parts, state).await?;
        let mut lists = Map::new();
        for (name, value) in pairs {
            let list = lists
                .entry(name)
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = list {
                list.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|piece| !piece.is_empty())
                        .map(|piece| Value::String(piece.to_string())),
                );
            }
        }
        serde_path_to_error::deserialize(Value::Object(lists))
            .map(QueryLists)
            .map_err(|error| {
                // `categories[1]` or `categories`: the parameter is what a client can act on.
                let path = error.path().to_string();
                let name = path
                    .split(['[', '.'])
                    .next()
                    .unwrap_or_default()
                    .to_string();
                problem("query", name, error.into_inner().to_string())
            })
    }
}

/// One repeatable query parameter per field of `T` (`style: form`, `explode: true`: the name repeated); 422
/// when a value is not one of the names it takes.
impl<T: JsonSchema> OperationInput for QueryLists<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let mut found = parameters(&input_schema::<T>(), Place::Query);
        for parameter in &mut found {
            let data = parameter.parameter_data_mut();
            data.explode = Some(true);
            let hint = "Repeat the parameter or separate the values with commas.";
            data.description = Some(match data.description.take() {
                Some(description) => format!("{description} {hint}"),
                None => hint.to_string(),
            });
        }
        add_parameters(operation, found);
        ensure_response(operation, Some(422), || validation_response(ctx));
    }
}

/// The user a request acts for, authenticated by a user token (local or Firebase, or admin impersonation); an
/// erased account is refused (401).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub uid: String,
    pub request_id: String,
}

impl CurrentUser {
    /// The metadata of the events this request records.
    pub fn metadata(&self) -> Metadata {
        Metadata::new(self.uid.clone(), Actor::User, self.request_id.clone())
    }

    /// The user as the application layer's caller.
    pub fn caller(&self) -> crate::app::Caller {
        crate::app::Caller::new(&self.uid, self.metadata())
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|value| value.to_str().unwrap_or_default());
        let uid = state
            .auth
            .authenticate(header)
            .await
            .map_err(|error| match error {
                AuthError::KeysUnavailable => ApiError::Unavailable(error.to_string()),
                other => ApiError::Unauthorized(other.to_string()),
            })?;
        crate::erasure::refuse_erased(&state.database, &uid).await?;
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|id| id.0.clone())
            .unwrap_or_default();
        Ok(CurrentUser { uid, request_id })
    }
}

/// The `userToken` security requirement, and 401 (with `WWW-Authenticate: Bearer`) without a valid token.
impl OperationInput for CurrentUser {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        ensure_security(operation, "userToken");
        ensure_response(operation, Some(401), || {
            let mut response = error_response(ctx, "No valid user token");
            let challenge = header("`Bearer`", schemars::json_schema!({"const": "Bearer"}));
            response
                .headers
                .insert("WWW-Authenticate".into(), challenge);
            response
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_json_when_its_type_says_so_or_says_nothing() {
        let declared =
            |value: &str| declares_json(Some(&header::HeaderValue::from_str(value).unwrap()));
        assert!(declares_json(None));
        assert!(declared("application/json"));
        assert!(declared("Application/JSON; charset=utf-8"));
        assert!(declared("application/merge-patch+json"));
        assert!(!declared("text/plain"));
        assert!(!declared("application/x-www-form-urlencoded"));
        assert!(!declared("multipart/form-data; boundary=x"));
        assert!(!declared("json"));
    }

    #[derive(Debug, serde::Deserialize)]
    struct Filter {
        #[serde(default)]
        categories: Vec<String>,
        #[serde(default)]
        statuses: Vec<String>,
    }

    async fn lists(query: &str) -> Result<Filter, ApiError> {
        let request = axum::http::Request::builder()
            .uri(format!("/x?{query}"))
            .body(())
            .unwrap();
        let (mut parts, ()) = request.into_parts();
        QueryLists::<Filter>::from_request_parts(&mut parts, &())
            .await
            .map(|QueryLists(filter)| filter)
    }

    #[tokio::test]
    async fn query_lists_gather_repeated_and_comma_separated_values() {
        let filter = lists("categories=a,%20b&limit=5&categories=c,,&statuses=")
            .await
            .unwrap();
        assert_eq!(filter.categories, ["a", "b", "c"]);
        assert!(filter.statuses.is_empty());
        assert!(lists("").await.unwrap().categories.is_empty());
        match lists("categories=a%00").await {
            Err(ApiError::Validation(problems)) => {
                assert_eq!(problems[0].loc, ["query", "categories"])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_an_unescaped_nul_escape_may_hold_a_nul() {
        assert!(may_hold_nul(br#"{"content": "\u0000"}"#));
        assert!(
            may_hold_nul(br#"{"content": "a\\\u0000"}"#),
            "an escaped backslash, then NUL"
        );
        assert!(
            !may_hold_nul(br#"{"content": "a\\u0000"}"#),
            "a backslash, then text"
        );
        assert!(!may_hold_nul(br#"{"content": "u0000 \u0001"}"#));
    }

    #[test]
    fn the_refusal_names_the_place_of_the_nul() {
        let refused =
            refuse_unstorable(br#"{"memories": [{"content": "ok"}, {"tags": ["\u0000"]}]}"#);
        match refused {
            Err(ApiError::Validation(problems)) => {
                assert_eq!(problems[0].loc, ["body", "memories", "1", "tags", "0"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(refuse_unstorable(br#"{"content": "a\\u0000"}"#).is_ok());
        assert!(
            refuse_unstorable(b"{not json").is_ok(),
            "left to the deserializer"
        );
        match refuse_unstorable_query("limit=5&title=a%00b") {
            Err(ApiError::Validation(problems)) => assert_eq!(problems[0].loc, ["query", "title"]),
            other => panic!("{other:?}"),
        }
        assert!(
            refuse_unstorable_query("title=a%2500b").is_ok(),
            "an encoded percent sign"
        );
    }
}
