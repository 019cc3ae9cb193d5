//! Reading back the cursors of the paginated lists: base64url of a small
//! JSON object this service wrote. A cursor is the client's to send back,
//! so it is checked like any input: one that does not decode, or whose
//! strings hold NUL characters (which PostgreSQL refuses to compare, and
//! SQLite cuts strings at), is malformed.

use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The cursor's data, or `None` when it is malformed.
pub(super) fn decode<T: DeserializeOwned>(text: &str) -> Option<T> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.as_bytes())
        .ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    if holds_nul(&value) {
        return None;
    }
    serde_json::from_value(value).ok()
}

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map
            .iter()
            .any(|(key, item)| key.contains('\0') || holds_nul(item)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(json: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn nul_characters_anywhere_make_a_cursor_malformed() {
        assert_eq!(
            decode::<Value>(&encode(r#"{"value":"MLA-1","id":"x"}"#)),
            Some(serde_json::json!({"value": "MLA-1", "id": "x"}))
        );
        assert_eq!(decode::<Value>(&encode(r#"{"value":"MLA\u0000-1"}"#)), None);
        assert_eq!(decode::<Value>(&encode(r#"{"v\u0000":"MLA-1"}"#)), None);
        assert_eq!(decode::<Value>(&encode(r#"{"v":["a","\u0000"]}"#)), None);
        assert_eq!(decode::<Value>("not base64!"), None);
    }
}
