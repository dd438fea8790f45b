//! Request rules, one function each, grouped by family.
//!
//! A rule looks at a [`RequestView`](crate::diagnose::RequestView) and calls `out.flag(location, message)`
//! for each fault it sees, adding the fix (and a [`Patch`](crate::diagnose::Patch) where the fix is
//! mechanical). Rules read API facts from [`crate::knowledge`], never from
//! constants of their own. The table of IDs is `registry.rs`; the
//! documentation of each rule is `docs/rules.md`.

pub mod auth;
pub mod cache;
pub mod content;
pub mod headers;
pub mod json;
pub mod legacy;
pub mod media;
pub mod messages;
pub mod models;
pub mod sampling;
pub mod schema;
pub mod thinking;
pub mod tools;
pub mod url;

use serde_json::Value;

/// Builds an RFC 6901 pointer from parts.
pub fn pointer<I, S>(parts: I) -> String
where
    I: IntoIterator<Item = S>,
    S: ToString,
{
    parts
        .into_iter()
        .map(|p| format!("/{}", p.to_string().replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// `/messages/{i}`.
pub fn message_at(i: usize) -> String {
    format!("/messages/{i}")
}

/// `/messages/{i}/{field}`.
pub fn message_field(i: usize, field: &str) -> String {
    format!("/messages/{i}/{field}")
}

/// `/messages/{i}/content/{j}`.
pub fn block_at(i: usize, j: usize) -> String {
    format!("/messages/{i}/content/{j}")
}

/// `/messages/{i}/content/{j}/{field}`.
pub fn block_field(i: usize, j: usize, field: &str) -> String {
    format!("/messages/{i}/content/{j}/{field}")
}

/// The content blocks of a message (`None` for string content).
pub fn blocks(message: &Value) -> Option<&Vec<Value>> {
    message.get("content")?.as_array()
}

pub fn role(message: &Value) -> Option<&str> {
    message.get("role")?.as_str()
}

pub fn block_type(block: &Value) -> Option<&str> {
    block.get("type")?.as_str()
}

/// Every content block in the request with its pointer, including blocks
/// nested in `tool_result.content`.
pub fn all_blocks(messages: &[Value]) -> Vec<(String, usize, &Value)> {
    let mut out = Vec::new();
    for (i, message) in messages.iter().enumerate() {
        let Some(list) = blocks(message) else {
            continue;
        };
        for (j, block) in list.iter().enumerate() {
            out.push((block_at(i, j), i, block));
            if block_type(block) == Some("tool_result")
                && let Some(inner) = block.get("content").and_then(Value::as_array)
            {
                for (k, nested) in inner.iter().enumerate() {
                    out.push((format!("{}/content/{k}", block_at(i, j)), i, nested));
                }
            }
        }
    }
    out
}

/// A short JSON rendering of a value, for evidence.
pub fn show(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        text.chars().take(57).collect::<String>() + "..."
    } else {
        text
    }
}
