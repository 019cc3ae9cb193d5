//! JSON bodies as the API reads them, for every resource alike: merge
//! patches (RFC 7386), deserialisation that names the field behind each
//! error, and the checks text and date fields share.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use validator::{Validate, ValidationError};

use super::FieldErrors;

/// JSON Merge Patch (RFC 7386): objects merge key by key, `null` removes a
/// key (so the field falls back to empty), anything else replaces.
pub fn merge_patch(target: &mut Value, patch: Value) {
    match patch {
        Value::Object(entries) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let object = target.as_object_mut().expect("made an object above");
            for (key, value) in entries {
                if value.is_null() {
                    object.remove(&key);
                } else {
                    merge_patch(object.entry(key).or_insert(Value::Null), value);
                }
            }
        }
        other => *target = other,
    }
}

/// `body` applied as a merge patch onto an empty object: a creation body's
/// `null` means "not given".
pub fn without_nulls(body: Map<String, Value>) -> Map<String, Value> {
    let mut target = Value::Object(Map::new());
    merge_patch(&mut target, Value::Object(body));
    match target {
        Value::Object(map) => map,
        _ => unreachable!("merging into an object keeps an object"),
    }
}

/// Fields that left a resource, and where they went: a body that still
/// sends one gets this instead of "not a field" (docs/DECISIONS.md).
const MOVED: &[(&str, &str)] = &[
    (
        "victims_identified",
        "is recorded on the request's case now, counted once for the case: \
         PATCH /api/v1/cases/{case_id}",
    ),
    (
        "related_request_id",
        "was replaced by typed links: POST /api/v1/requests/{id}/links \
         with {\"kind\": \"follow_up_of\", \"to\": \"<id>\"}",
    ),
];

/// What a key that is not a field of a resource is told: where it went, if
/// it moved, else that it is not a field.
pub fn not_a_field(key: &str) -> &'static str {
    MOVED
        .iter()
        .find(|(name, _)| *name == key)
        .map_or("is not a field of this resource", |(_, message)| *message)
}

/// Deserialises `value` into `T`; on failure, the error is filed under the
/// path of the offending field (`issuing_magistrate.name`, `offences[2]`).
pub fn deserialize_named<T: DeserializeOwned>(value: Value) -> Result<T, FieldErrors> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        // serde reports a missing field at its parent: move it onto the field.
        if let Some(rest) = message.strip_prefix("missing field `") {
            let field = rest.trim_end_matches('`');
            let full = if path == "." {
                field.to_string()
            } else {
                format!("{path}.{field}")
            };
            return FieldErrors::one(full, "is required");
        }
        // For an unknown field the path already ends with the field.
        if message.starts_with("unknown field `") {
            let message = not_a_field(&path);
            return FieldErrors::one(path, message);
        }
        let path = if path == "." {
            "body".to_string()
        } else {
            path
        };
        FieldErrors::one(path, message)
    })
}

/// serde stops at the first bad field; to report them all, each given field
/// is tried alone on top of `template`, a valid body (so any error is its
/// own), then every missing required field (a key of `template`) is named.
/// `None` if that finds nothing.
pub fn every_field_error<T: DeserializeOwned + Validate>(
    value: &Value,
    template: &Map<String, Value>,
) -> Option<FieldErrors> {
    let Value::Object(given) = value else {
        return None;
    };
    let mut errors = FieldErrors::default();
    for (key, v) in given {
        let mut probe = template.clone();
        probe.insert(key.clone(), v.clone());
        match deserialize_named::<T>(Value::Object(probe)) {
            Err(e) => errors.merge(e),
            Ok(fields) => errors.merge(FieldErrors::of(&fields)),
        }
    }
    for key in template.keys().filter(|k| !given.contains_key(*k)) {
        errors.add(key.clone(), "is required");
    }
    (!errors.is_empty()).then_some(errors)
}

/// What is wrong with `key` set to `value`, merged as a patch (so a nested
/// object merges key by key), on the valid body `template`. A key that is
/// not a field is refused even with `null`, which would otherwise remove
/// nothing and pass unnoticed.
pub fn field_error<T: DeserializeOwned + Validate + serde::Serialize>(
    template: &Map<String, Value>,
    key: &str,
    value: Value,
) -> FieldErrors {
    if value.is_null()
        && let Ok(fields) = deserialize_named::<T>(Value::Object(template.clone()))
        && !as_object(&fields).contains_key(key)
    {
        return FieldErrors::one(key, not_a_field(key));
    }
    let mut probe = Value::Object(template.clone());
    merge_patch(
        &mut probe,
        Value::Object(Map::from_iter([(key.to_string(), value)])),
    );
    match deserialize_named::<T>(probe) {
        Err(e) => e,
        Ok(fields) => FieldErrors::of(&fields),
    }
}

/// Drops repeated items, keeping the first of each.
pub fn dedupe<T: PartialEq + Copy>(list: &mut Vec<T>) {
    let mut seen = Vec::with_capacity(list.len());
    list.retain(|item| {
        let fresh = !seen.contains(item);
        if fresh {
            seen.push(*item);
        }
        fresh
    });
}

/// Removes `key` from `body` and parses it, recording a failure under `key`.
pub fn take<T: DeserializeOwned>(
    body: &mut Map<String, Value>,
    key: &str,
    errors: &mut FieldErrors,
) -> Option<T> {
    let value = body.remove(key)?;
    match serde_json::from_value(value) {
        Ok(v) => Some(v),
        Err(e) => {
            errors.add(key, e.to_string());
            None
        }
    }
}

/// A `validator` check: text that is not only spaces.
pub fn not_blank(text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        let mut e = ValidationError::new("blank");
        e.message = Some("must not be blank".into());
        return Err(e);
    }
    Ok(())
}

/// A `validator` check: a date in the years the register keeps.
pub fn plausible_date(date: &chrono::NaiveDate) -> Result<(), ValidationError> {
    use chrono::Datelike;
    if !(super::FIRST_YEAR..=9999).contains(&date.year()) {
        let mut e = ValidationError::new("date");
        e.message = Some(format!("must be between {} and 9999", super::FIRST_YEAR).into());
        return Err(e);
    }
    Ok(())
}

/// A record's fields as a JSON object (for patches and their changes).
pub fn as_object<T: serde::Serialize>(value: &T) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => unreachable!("fields serialise to an object"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_merge_patch_merges_objects_and_null_removes() {
        let mut target = json!({"a": 1, "b": {"x": 1, "y": 2}, "c": [1]});
        merge_patch(
            &mut target,
            json!({"a": null, "b": {"y": null, "z": 3}, "c": [2]}),
        );
        assert_eq!(target, json!({"b": {"x": 1, "z": 3}, "c": [2]}));
    }

    #[test]
    fn a_field_that_moved_says_where() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Thing {
            a: Option<i32>,
        }
        let err = deserialize_named::<Thing>(json!({"victims_identified": 2})).unwrap_err();
        assert!(
            err.0["victims_identified"][0].contains("/cases/"),
            "{err:?}"
        );
        let err = deserialize_named::<Thing>(json!({"colour": 2})).unwrap_err();
        assert_eq!(err.0["colour"], ["is not a field of this resource"]);
    }
}
