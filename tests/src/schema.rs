//! A JSON Schema validator for the subset that schemars writes into the OpenAPI document: `type` (one or a
//! list, `integer` being a number without a fraction), `properties`, `required`, `additionalProperties`,
//! `items` (one schema or a tuple), `prefixItems`, `minItems`/`maxItems`/`uniqueItems`, `enum`, `const`,
//! `anyOf`/`oneOf`/`allOf`/`not`, `$ref` into the document, `minimum`/`maximum` (and their exclusive forms),
//! `minLength`/`maxLength`, `nullable`, and the `date-time` format. Annotations (`title`, `description`,
//! `default`, `examples`, other formats, `x-` extensions) are ignored; any other keyword is reported, so that a
//! schema this validator does not understand never passes silently.

use serde_json::{Map, Value};

/// Keywords that say nothing about validity.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "default",
    "examples",
    "example",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$schema",
    "$id",
    "$comment",
    "format",
    "externalDocs",
    "discriminator",
];

/// The problems of `instance` against `schema`, each with the JSON pointer of the value it is about; empty
/// when it is valid. `$ref`s are resolved in `root` (the OpenAPI document).
pub fn validate(schema: &Value, instance: &Value, root: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check(schema, instance, root, "", &mut problems, 0);
    problems
}

fn check(
    schema: &Value,
    instance: &Value,
    root: &Value,
    at: &str,
    problems: &mut Vec<String>,
    depth: usize,
) {
    if depth > 64 {
        problems.push(format!("{at}: schema nesting too deep (a `$ref` cycle?)"));
        return;
    }
    let schema = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => {
            problems.push(format!("{at}: no value is allowed here"));
            return;
        }
        Value::Object(schema) => schema,
        other => {
            problems.push(format!("{at}: the schema {other} is not a schema"));
            return;
        }
    };
    for (keyword, value) in schema {
        let mut report = |problem: String| problems.push(format!("{at}: {problem}"));
        match keyword.as_str() {
            "$ref" => match value.as_str().and_then(|pointer| resolve(root, pointer)) {
                Some(target) => check(target, instance, root, at, problems, depth + 1),
                None => report(format!("unresolved $ref {value}")),
            },
            "type" => {
                let nullable = schema.get("nullable") == Some(&Value::Bool(true));
                if !(has_type(value, instance) || (nullable && instance.is_null())) {
                    report(format!("{} is not of type {value}", shown(instance)));
                }
            }
            "nullable" => {}
            "enum" => {
                if !value
                    .as_array()
                    .is_some_and(|allowed| allowed.contains(instance))
                {
                    report(format!("{} is not one of {value}", shown(instance)));
                }
            }
            "const" => {
                if value != instance {
                    report(format!("{} is not {value}", shown(instance)));
                }
            }
            "properties" => {
                if let (Some(properties), Some(object)) = (value.as_object(), instance.as_object())
                {
                    for (name, property) in properties {
                        if let Some(field) = object.get(name) {
                            let here = format!("{at}/{name}");
                            check(property, field, root, &here, problems, depth + 1);
                        }
                    }
                }
            }
            "required" => {
                if let (Some(names), Some(object)) = (value.as_array(), instance.as_object()) {
                    for name in names.iter().filter_map(Value::as_str) {
                        if !object.contains_key(name) {
                            report(format!("the required property {name:?} is missing"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(object) = instance.as_object() {
                    additional(schema, value, object, root, at, problems, depth);
                }
            }
            "items" | "prefixItems" => {
                if let Some(items) = instance.as_array() {
                    check_items(keyword, value, schema, items, root, at, problems, depth);
                }
            }
            "minItems" | "maxItems" => {
                if let (Some(bound), Some(items)) = (value.as_u64(), instance.as_array()) {
                    let count = items.len() as u64;
                    if (keyword == "minItems" && count < bound)
                        || (keyword == "maxItems" && count > bound)
                    {
                        report(format!("{count} items break {keyword} {bound}"));
                    }
                }
            }
            "uniqueItems" => {
                if let (Some(true), Some(items)) = (value.as_bool(), instance.as_array()) {
                    let repeated = items
                        .iter()
                        .enumerate()
                        .any(|(i, item)| items[..i].contains(item));
                    if repeated {
                        report("the items are not unique".into());
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let (Some(bound), Some(text)) = (value.as_u64(), instance.as_str()) {
                    let count = text.chars().count() as u64;
                    if (keyword == "minLength" && count < bound)
                        || (keyword == "maxLength" && count > bound)
                    {
                        report(format!(
                            "a text of {count} characters breaks {keyword} {bound}"
                        ));
                    }
                }
            }
            "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                if let (Some(bound), Some(number)) = (value.as_f64(), instance.as_f64()) {
                    let broken = match keyword.as_str() {
                        "minimum" => number < bound,
                        "maximum" => number > bound,
                        "exclusiveMinimum" => number <= bound,
                        _ => number >= bound,
                    };
                    if broken {
                        report(format!("{number} breaks {keyword} {bound}"));
                    }
                }
            }
            "anyOf" | "oneOf" | "allOf" => {
                let branches = value.as_array().map(Vec::as_slice).unwrap_or_default();
                let failures: Vec<Vec<String>> = branches
                    .iter()
                    .map(|branch| {
                        let mut found = Vec::new();
                        check(branch, instance, root, at, &mut found, depth + 1);
                        found
                    })
                    .collect();
                let passed = failures.iter().filter(|found| found.is_empty()).count();
                match keyword.as_str() {
                    "allOf" => problems.extend(failures.into_iter().flatten()),
                    "anyOf" if passed == 0 => report(format!(
                        "matches none of anyOf: {}",
                        failures.concat().join("; ")
                    )),
                    "oneOf" if passed != 1 => report(format!(
                        "matches {passed} of oneOf, not one: {}",
                        failures.concat().join("; ")
                    )),
                    _ => {}
                }
            }
            "not" => {
                let mut found = Vec::new();
                check(value, instance, root, at, &mut found, depth + 1);
                if found.is_empty() {
                    report(format!(
                        "{} matches a schema it must not match",
                        shown(instance)
                    ));
                }
            }
            keyword if keyword.starts_with("x-") || ANNOTATIONS.contains(&keyword) => {}
            keyword => report(format!(
                "the keyword {keyword:?} is not supported by this validator"
            )),
        }
    }
    if schema.get("format").and_then(Value::as_str) == Some("date-time") {
        if let Some(text) = instance.as_str() {
            if !is_date_time(text) {
                problems.push(format!("{at}: {text:?} is not an RFC 3339 date-time"));
            }
        }
    }
}

fn additional(
    schema: &Map<String, Value>,
    allowed: &Value,
    object: &Map<String, Value>,
    root: &Value,
    at: &str,
    problems: &mut Vec<String>,
    depth: usize,
) {
    let declared = schema.get("properties").and_then(Value::as_object);
    for (name, field) in object {
        if declared.is_some_and(|declared| declared.contains_key(name)) {
            continue;
        }
        let here = format!("{at}/{name}");
        check(allowed, field, root, &here, problems, depth + 1);
    }
}

#[allow(clippy::too_many_arguments)]
fn check_items(
    keyword: &str,
    value: &Value,
    schema: &Map<String, Value>,
    items: &[Value],
    root: &Value,
    at: &str,
    problems: &mut Vec<String>,
    depth: usize,
) {
    match (keyword, value) {
        // A tuple: one schema per position (draft-07 `items: [...]`, or 2020-12 `prefixItems`).
        (_, Value::Array(positions)) => {
            for (index, (item, position)) in items.iter().zip(positions).enumerate() {
                check(
                    position,
                    item,
                    root,
                    &format!("{at}/{index}"),
                    problems,
                    depth + 1,
                );
            }
        }
        // 2020-12 `items` after `prefixItems` applies to the items past the tuple.
        ("items", each) => {
            let skip = schema
                .get("prefixItems")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            for (index, item) in items.iter().enumerate().skip(skip) {
                check(
                    each,
                    item,
                    root,
                    &format!("{at}/{index}"),
                    problems,
                    depth + 1,
                );
            }
        }
        _ => problems.push(format!("{at}: prefixItems is not a list")),
    }
}

/// The value at `pointer` (`#/components/schemas/MemoryView`) of `root`.
fn resolve<'a>(root: &'a Value, pointer: &str) -> Option<&'a Value> {
    let pointer = pointer.strip_prefix('#')?;
    let decoded: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|part| part.replace("~1", "/").replace("~0", "~"))
        .collect();
    decoded.iter().try_fold(root, |value, part| value.get(part))
}

fn has_type(expected: &Value, instance: &Value) -> bool {
    let is = |name: &str| match name {
        "null" => instance.is_null(),
        "boolean" => instance.is_boolean(),
        "object" => instance.is_object(),
        "array" => instance.is_array(),
        "string" => instance.is_string(),
        "number" => instance.is_number(),
        "integer" => {
            instance.is_i64()
                || instance.is_u64()
                || instance.as_f64().is_some_and(|n| n.fract() == 0.0)
        }
        _ => false,
    };
    match expected {
        Value::String(name) => is(name),
        Value::Array(names) => names.iter().filter_map(Value::as_str).any(is),
        _ => false,
    }
}

/// An RFC 3339 date-time: `2025-05-19T07:00:18.661561+00:00` or with `Z`.
fn is_date_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    let at = |index: usize, expected: &[u8]| bytes.get(index).is_some_and(|b| expected.contains(b));
    if !(digits(0..4) && at(4, b"-") && digits(5..7) && at(7, b"-") && digits(8..10)) {
        return false;
    }
    if !(at(10, b"Tt ")
        && digits(11..13)
        && at(13, b":")
        && digits(14..16)
        && at(16, b":")
        && digits(17..19))
    {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let count = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if count == 0 {
            return false;
        }
        rest = &fraction[count..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

/// A short form of a value for messages.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn root() -> Value {
        json!({"components": {"schemas": {
            "Memory": {
                "type": "object",
                "required": ["id", "category", "created_at", "tags"],
                "properties": {
                    "id": {"type": "string"},
                    "category": {"$ref": "#/components/schemas/Category"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "user_review": {"type": ["boolean", "null"]},
                    "count": {"type": "integer", "format": "uint", "minimum": 0},
                },
                "additionalProperties": false,
            },
            "Category": {"type": "string", "enum": ["interesting", "system"]},
        }}})
    }

    fn memory() -> Value {
        json!({"id": "m", "category": "system", "created_at": "2025-05-19T07:00:18.661561+00:00",
               "tags": ["a"], "user_review": null, "count": 3})
    }

    fn problems_of(instance: Value) -> Vec<String> {
        let root = root();
        validate(
            &json!({"$ref": "#/components/schemas/Memory"}),
            &instance,
            &root,
        )
    }

    #[test]
    fn a_conforming_document_passes() {
        assert_eq!(problems_of(memory()), Vec::<String>::new());
        let list = json!({"type": "array", "items": {"$ref": "#/components/schemas/Memory"}});
        assert!(validate(&list, &json!([memory(), memory()]), &root()).is_empty());
    }

    #[test]
    fn wrong_documents_are_refused_with_the_place_named() {
        let mut missing = memory();
        missing.as_object_mut().unwrap().remove("tags");
        assert!(problems_of(missing)[0].contains("\"tags\" is missing"));

        let mut wrong_type = memory();
        wrong_type["tags"] = json!("a");
        assert!(problems_of(wrong_type)[0].starts_with("/tags:"));

        let mut wrong_item = memory();
        wrong_item["tags"] = json!(["a", 1]);
        assert!(problems_of(wrong_item)[0].starts_with("/tags/1:"));

        let mut unknown = memory();
        unknown["category"] = json!("hobbies");
        assert!(problems_of(unknown)[0].contains("not one of"));

        let mut extra = memory();
        extra["secret"] = json!(1);
        assert!(problems_of(extra)[0].starts_with("/secret:"));

        let mut null = memory();
        null["id"] = Value::Null;
        assert_eq!(problems_of(null).len(), 1);

        let mut negative = memory();
        negative["count"] = json!(-1);
        assert!(problems_of(negative)[0].contains("minimum"));

        let mut fraction = memory();
        fraction["count"] = json!(1.5);
        assert!(!problems_of(fraction).is_empty());

        let mut bad_time = memory();
        bad_time["created_at"] = json!("yesterday");
        assert!(problems_of(bad_time)[0].contains("date-time"));
    }

    #[test]
    fn combinators_and_tuples() {
        let root = json!({});
        let any =
            json!({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]});
        assert!(validate(&any, &json!("x"), &root).is_empty());
        assert!(validate(&any, &json!(["x"]), &root).is_empty());
        assert!(!validate(&any, &json!(1), &root).is_empty());
        let one = json!({"oneOf": [{"type": "integer"}, {"type": "number"}]});
        assert!(!validate(&one, &json!(1), &root).is_empty(), "both match");
        assert!(validate(&one, &json!(1.5), &root).is_empty());
        let all = json!({"allOf": [{"required": ["a"]}, {"required": ["b"]}]});
        assert_eq!(validate(&all, &json!({"a": 1}), &root).len(), 1);
        let tuple = json!({"type": "array", "items": [{"type": "string"}, {"type": "integer"}], "minItems": 2});
        assert!(validate(&tuple, &json!(["a", 1]), &root).is_empty());
        assert!(!validate(&tuple, &json!([1, "a"]), &root).is_empty());
        assert!(!validate(&tuple, &json!(["a"]), &root).is_empty());
        assert!(!validate(&json!({"const": "ok"}), &json!("no"), &root).is_empty());
        assert!(!validate(&json!(false), &json!(1), &root).is_empty());
        let nullable = json!({"type": "string", "nullable": true});
        assert!(validate(&nullable, &Value::Null, &root).is_empty());
    }

    #[test]
    fn what_it_cannot_check_is_reported_not_passed() {
        let root = json!({});
        let pattern = json!({"type": "string", "pattern": "^a"});
        assert!(validate(&pattern, &json!("b"), &root)[0].contains("not supported"));
        let dangling = json!({"$ref": "#/components/schemas/Nothing"});
        assert!(validate(&dangling, &json!(1), &root)[0].contains("unresolved"));
    }

    #[test]
    fn date_times() {
        for good in [
            "2025-05-19T07:00:18+00:00",
            "2025-05-19T07:00:18.5Z",
            "2025-05-19T07:00:18.661561-02:30",
        ] {
            assert!(is_date_time(good), "{good}");
        }
        for bad in [
            "2025-05-19",
            "2025-05-19T07:00:18",
            "2025-05-19T07:00:18.+00:00",
            "2025-5-19T07:00:18Z",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }
}
