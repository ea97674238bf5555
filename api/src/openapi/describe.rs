//! What the extractors, the error type and the answers of the handlers describe themselves with: schemas of what
//! clients send (serde's `Deserialize` contract, written inline) and of what the server writes (the `Serialize`
//! contract, under `#/components/schemas`), JSON responses, and query and path parameters.
//!
//! Responses that several sources may add to one operation (422 from the extractors and from the handler's
//! `ApiError`, 401 from an extractor and a key middleware) are added with [`ensure_response`], never through
//! aide's "inferred responses", which reports two sources of one status as a conflict.

use aide::generate::GenContext;
use aide::openapi::{
    Header, HeaderStyle, MediaType, Operation, Parameter, ParameterData, ParameterSchemaOrContent,
    PathStyle, QueryStyle, ReferenceOr, Response, SchemaObject, StatusCode,
};
use indexmap::IndexMap;
use schemars::generate::SchemaSettings;
use schemars::transform::{ReplaceBoolSchemas, Transform};
use schemars::{JsonSchema, Schema};
use serde_json::Value;

/// The extension that marks a path parameter known by position only (`Path<String>`, `Path<(String, u32)>`):
/// its name is taken from the route template when the document is finished.
pub(crate) const POSITION: &str = "x-omi-position";

/// The schema of what clients send as `T`: serde's `Deserialize` contract (a `#[serde(default)]` field is
/// optional), with every subschema inline, so that it never collides with the `Serialize`-contract schema of a
/// type of the same name under `#/components/schemas`.
pub(crate) fn input_schema<T: JsonSchema>() -> Schema {
    let mut schema = SchemaSettings::draft07()
        .for_deserialize()
        .with(|settings| {
            settings.inline_subschemas = true;
            settings.meta_schema = None;
        })
        .with_transform(no_bool_schemas())
        .into_generator()
        .into_root_schema_for::<T>();
    if let Some(object) = schema.as_object_mut() {
        // A recursive input type would leave its definitions here, where no `$ref` of the document points.
        debug_assert!(
            !object.contains_key("definitions"),
            "{} is recursive: input types must not be",
            T::schema_name()
        );
        object.remove("definitions");
    }
    schema
}

/// The schema of what the server writes as `T` (the `Serialize` contract of the document's generator, see
/// [`super::document`]): a `$ref` into `#/components/schemas` for named types.
pub(crate) fn output_schema<T: JsonSchema>(ctx: &mut GenContext) -> Schema {
    let mut schema = ctx.schema.subschema_for::<T>();
    no_bool_schemas().transform(&mut schema);
    schema
}

/// Writes the schema `true` (any value: a `serde_json::Value`) as `{}`, which means the same: client
/// generators (openapi-python-client among them) refuse boolean schemas. `additionalProperties: false` stays.
pub(crate) fn no_bool_schemas() -> ReplaceBoolSchemas {
    let mut transform = ReplaceBoolSchemas::default();
    transform.skip_additional_properties = true;
    transform
}

/// A response whose body is JSON of `schema`.
pub(crate) fn json_response(description: &str, schema: Schema) -> Response {
    Response {
        description: description.into(),
        content: IndexMap::from_iter([("application/json".into(), media(schema))]),
        ..Default::default()
    }
}

/// The media type object of `schema`.
pub(crate) fn media(schema: Schema) -> MediaType {
    MediaType {
        schema: Some(SchemaObject {
            json_schema: schema,
            example: None,
            external_docs: None,
        }),
        ..Default::default()
    }
}

/// A response header of `schema`, always sent with that response.
pub(crate) fn header(description: &str, schema: Schema) -> ReferenceOr<Header> {
    ReferenceOr::Item(Header {
        description: Some(description.into()),
        style: HeaderStyle::Simple,
        required: true,
        deprecated: None,
        format: ParameterSchemaOrContent::Schema(SchemaObject {
            json_schema: schema,
            example: None,
            external_docs: None,
        }),
        example: None,
        examples: IndexMap::new(),
        extensions: IndexMap::new(),
    })
}

/// Adds the response for `status` (`None`: the default response) unless the operation has one already.
pub(crate) fn ensure_response(
    operation: &mut Operation,
    status: Option<u16>,
    response: impl FnOnce() -> Response,
) {
    let responses = operation.responses.get_or_insert_with(Default::default);
    match status {
        Some(code) => {
            responses
                .responses
                .entry(StatusCode::Code(code))
                .or_insert_with(|| ReferenceOr::Item(response()));
        }
        None => {
            responses
                .default
                .get_or_insert_with(|| ReferenceOr::Item(response()));
        }
    }
}

/// Adds the security requirement `scheme` (no scopes) unless the operation has it.
pub(crate) fn ensure_security(operation: &mut Operation, scheme: &str) {
    if !operation
        .security
        .iter()
        .any(|requirement| requirement.contains_key(scheme))
    {
        operation
            .security
            .push(IndexMap::from_iter([(scheme.to_string(), Vec::new())]));
    }
}

/// Where a parameter is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Query,
    Path,
}

/// One parameter per property of the object schema `schema` (required as the schema says). A schema that is no
/// object (a string, a number, a tuple) gives path parameters by position instead (see [`POSITION`]).
pub(crate) fn parameters(schema: &Schema, place: Place) -> Vec<Parameter> {
    let Some(object) = schema.as_object() else {
        return Vec::new();
    };
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(properties) = object.get("properties").and_then(Value::as_object) {
        return properties
            .iter()
            .map(|(name, property)| {
                let data = parameter_data(name, property, required.contains(&name.as_str()));
                parameter(data, place)
            })
            .collect();
    }
    if place == Place::Query {
        return Vec::new();
    }
    // A tuple: draft-07 writes its items as an array of schemas; anything else is one value.
    let items: Vec<Value> = match object.get("items") {
        Some(Value::Array(items)) if object.get("type") == Some(&Value::from("array")) => {
            items.clone()
        }
        _ => vec![Value::Object(object.clone())],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(position, mut item)| {
            // The Rust type's name (`String`) says nothing to a client.
            if let Some(item) = item.as_object_mut() {
                item.remove("title");
            }
            let mut data = parameter_data(&format!("{{{position}}}"), &item, true);
            data.extensions.insert(POSITION.into(), position.into());
            parameter(data, Place::Path)
        })
        .collect()
}

fn parameter_data(name: &str, schema: &Value, required: bool) -> ParameterData {
    let json_schema = Schema::try_from(schema.clone()).unwrap_or_else(|_| Schema::from(true));
    ParameterData {
        name: name.to_string(),
        description: schema
            .get("description")
            .and_then(Value::as_str)
            .map(String::from),
        required,
        deprecated: None,
        format: ParameterSchemaOrContent::Schema(SchemaObject {
            json_schema,
            example: None,
            external_docs: None,
        }),
        example: None,
        examples: IndexMap::new(),
        explode: None,
        extensions: IndexMap::new(),
    }
}

fn parameter(parameter_data: ParameterData, place: Place) -> Parameter {
    match place {
        Place::Query => Parameter::Query {
            parameter_data,
            allow_reserved: false,
            style: QueryStyle::Form,
            allow_empty_value: None,
        },
        Place::Path => Parameter::Path {
            parameter_data,
            style: PathStyle::Simple,
        },
    }
}

/// Adds `parameters` to the operation, skipping names it has already (a second extractor of the same place).
pub(crate) fn add_parameters(operation: &mut Operation, parameters: Vec<Parameter>) {
    for parameter in parameters {
        let name = &parameter.parameter_data_ref().name;
        let known = operation.parameters.iter().any(|existing| match existing {
            ReferenceOr::Item(existing) => existing.parameter_data_ref().name == *name,
            ReferenceOr::Reference { .. } => false,
        });
        if !known {
            operation.parameters.push(ReferenceOr::Item(parameter));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Deserialize, JsonSchema)]
    struct Page {
        /// How many.
        #[serde(default)]
        limit: i64,
        cursor: String,
    }

    #[test]
    fn an_object_gives_one_parameter_per_property() {
        let found = parameters(&input_schema::<Page>(), Place::Query);
        let names: Vec<(&str, bool)> = found
            .iter()
            .map(|p| {
                (
                    p.parameter_data_ref().name.as_str(),
                    p.parameter_data_ref().required,
                )
            })
            .collect();
        assert_eq!(names, [("cursor", true), ("limit", false)]);
        assert_eq!(
            found[1].parameter_data_ref().description.as_deref(),
            Some("How many.")
        );
    }

    #[test]
    fn a_scalar_or_a_tuple_gives_path_parameters_by_position() {
        let one = parameters(&input_schema::<String>(), Place::Path);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].parameter_data_ref().extensions[POSITION], 0);
        let two = parameters(&input_schema::<(String, u32)>(), Place::Path);
        assert_eq!(two.len(), 2);
        assert_eq!(two[1].parameter_data_ref().extensions[POSITION], 1);
        assert!(parameters(&input_schema::<String>(), Place::Query).is_empty());
    }

    #[test]
    fn inputs_follow_the_deserialize_contract() {
        let schema = input_schema::<Page>();
        assert_eq!(schema.get("required"), Some(&serde_json::json!(["cursor"])));
        assert!(schema.get("$schema").is_none());
    }
}
