//! Request rules, one function each, grouped by family.
//!
//! A rule looks at a [`RequestView`](crate::diagnose::RequestView) and calls `out.flag(location, message)`
//! for each fault it sees, adding the fix (and a [`Patch`](crate::diagnose::Patch) where the fix is
//! mechanical). Rules read API facts from [`crate::knowledge`], never from
//! constants of their own. The table of IDs is `registry.rs`; the
//! documentation of each rule is `docs/rules.md`.

pub mod auth;
pub mod body;
pub mod cache;
pub mod headers;
pub mod legacy;
pub mod media;
pub mod messages;
pub mod models;
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
            out.push((
                pointer([
                    "messages".to_string(),
                    i.to_string(),
                    "content".into(),
                    j.to_string(),
                ]),
                i,
                block,
            ));
            if block_type(block) == Some("tool_result")
                && let Some(inner) = block.get("content").and_then(Value::as_array)
            {
                for (k, nested) in inner.iter().enumerate() {
                    out.push((
                        pointer([
                            "messages".to_string(),
                            i.to_string(),
                            "content".into(),
                            j.to_string(),
                            "content".into(),
                            k.to_string(),
                        ]),
                        i,
                        nested,
                    ));
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
