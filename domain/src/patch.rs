//! A field of a partial update that can be left alone, cleared with an explicit `null`, or set.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One field of a partial update. On the wire an absent field is [`Patch::Keep`], `null` is [`Patch::Clear`]
/// and a value is [`Patch::Set`]; use it with `#[serde(default, skip_serializing_if = "Patch::is_keep")]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    /// Leave the field as it is.
    #[default]
    Keep,
    /// Remove the field's value.
    Clear,
    /// Replace the field's value.
    Set(T),
}

impl<T> Patch<T> {
    /// True when the field is left alone.
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    /// The new value of an optional field, or `None` when the patch leaves it alone.
    pub fn into_change(self) -> Option<Option<T>> {
        match self {
            Patch::Keep => None,
            Patch::Clear => Some(None),
            Patch::Set(value) => Some(Some(value)),
        }
    }

    /// Applies the patch to an optional field.
    pub fn apply_to(self, field: &mut Option<T>) {
        if let Some(change) = self.into_change() {
            *field = change;
        }
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Keep | Patch::Clear => serializer.serialize_none(),
            Patch::Set(value) => serializer.serialize_some(value),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            None => Patch::Clear,
            Some(value) => Patch::Set(value),
        })
    }
}

/// On the wire a patch is `T` or `null`; the field may also be left out, which the containing struct says with
/// `#[serde(default)]` (so the generated schema does not list it as required).
impl<T: JsonSchema> JsonSchema for Patch<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("Nullable_{}", T::schema_name()).into()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("Patch<{}>", T::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        Option::<T>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Body {
        #[serde(default, skip_serializing_if = "Patch::is_keep")]
        due_at: Patch<String>,
    }

    #[test]
    fn absent_null_and_value_are_three_different_patches() {
        let absent: Body = serde_json::from_str("{}").unwrap();
        let null: Body = serde_json::from_str(r#"{"due_at": null}"#).unwrap();
        let set: Body = serde_json::from_str(r#"{"due_at": "x"}"#).unwrap();
        assert_eq!(absent.due_at, Patch::Keep);
        assert_eq!(null.due_at, Patch::Clear);
        assert_eq!(set.due_at, Patch::Set("x".to_string()));
    }

    #[test]
    fn a_patch_field_is_value_or_null_and_not_required() {
        #[derive(Deserialize, JsonSchema)]
        #[allow(dead_code)]
        struct Update {
            #[serde(default)]
            due_at: Patch<String>,
        }
        let schema = serde_json::to_value(schemars::schema_for!(Update)).unwrap();
        assert_eq!(
            schema["properties"]["due_at"]["type"],
            serde_json::json!(["string", "null"])
        );
        assert!(schema
            .get("required")
            .is_none_or(|r| r.as_array().unwrap().is_empty()));
    }

    #[test]
    fn a_patch_serializes_back_to_the_same_wire_shape() {
        for text in ["{}", r#"{"due_at":null}"#, r#"{"due_at":"x"}"#] {
            let body: Body = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_string(&body).unwrap(), text);
        }
    }
}
