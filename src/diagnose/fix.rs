//! Mechanical fixes as edits to the request, shown as a diff and a curl line.
//!
//! A rule whose fix is mechanical attaches [`Patch`]es; applying them to the
//! request gives the corrected request, which can be printed as a redacted,
//! ready-to-run `curl` command (the key as `$ANTHROPIC_API_KEY`).

use serde::Serialize;
use serde_json::Value;

use super::view::RequestView;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Patch {
    SetHeader { name: String, value: String },
    RemoveHeader { name: String },
    Set { pointer: String, value: Value },
    Remove { pointer: String },
    Rename { from: String, to: String },
}

impl Patch {
    pub fn set_header(name: &str, value: &str) -> Patch {
        Patch::SetHeader {
            name: name.to_owned(),
            value: value.to_owned(),
        }
    }

    pub fn remove_header(name: &str) -> Patch {
        Patch::RemoveHeader {
            name: name.to_owned(),
        }
    }

    pub fn set(pointer: impl Into<String>, value: Value) -> Patch {
        Patch::Set {
            pointer: pointer.into(),
            value,
        }
    }

    pub fn remove(pointer: impl Into<String>) -> Patch {
        Patch::Remove {
            pointer: pointer.into(),
        }
    }

    pub fn rename(from: impl Into<String>, to: impl Into<String>) -> Patch {
        Patch::Rename {
            from: from.into(),
            to: to.into(),
        }
    }

    /// Diff lines (`- old` / `+ new`) for people.
    pub fn diff_lines(&self, request: &RequestView) -> Vec<String> {
        let show = |v: &Value| crate::redact::redact_text(&short(&v.to_string()));
        match self {
            Patch::SetHeader { name, value } => {
                let mut lines = Vec::new();
                if let Some(old) = request.header(&name.to_ascii_lowercase()) {
                    lines.push(format!(
                        "- {name}: {}",
                        crate::redact::header_value(name, old)
                    ));
                }
                lines.push(format!("+ {name}: {value}"));
                lines
            }
            Patch::RemoveHeader { name } => {
                let old = request.header(&name.to_ascii_lowercase()).unwrap_or("");
                vec![format!(
                    "- {name}: {}",
                    crate::redact::header_value(name, old)
                )]
            }
            Patch::Set { pointer, value } => {
                let mut lines = Vec::new();
                if let Some(old) = request.json.as_ref().and_then(|j| j.pointer(pointer)) {
                    lines.push(format!("- {pointer}: {}", show(old)));
                }
                lines.push(format!("+ {pointer}: {}", show(value)));
                lines
            }
            Patch::Remove { pointer } => {
                let old = request
                    .json
                    .as_ref()
                    .and_then(|j| j.pointer(pointer))
                    .map(show)
                    .unwrap_or_default();
                vec![format!("- {pointer}: {old}")]
            }
            Patch::Rename { from, to } => {
                let old = request
                    .json
                    .as_ref()
                    .and_then(|j| j.pointer(from))
                    .map(show)
                    .unwrap_or_default();
                vec![format!("- {from}: {old}"), format!("+ {to}: {old}")]
            }
        }
    }
}

fn short(text: &str) -> String {
    if text.chars().count() > 80 {
        text.chars().take(77).collect::<String>() + "..."
    } else {
        text.to_owned()
    }
}

/// The request with `patches` applied: (headers, JSON body).
pub fn apply(request: &RequestView, patches: &[Patch]) -> (Vec<(String, String)>, Option<Value>) {
    let mut headers = request.headers.clone();
    let mut body = request.json.clone();
    // Removals go last, deepest and highest index first, so that removing one
    // array element does not shift the pointers of the others.
    let mut ordered: Vec<&Patch> = patches
        .iter()
        .filter(|p| !matches!(p, Patch::Remove { .. }))
        .collect();
    let mut removals: Vec<&Patch> = patches
        .iter()
        .filter(|p| matches!(p, Patch::Remove { .. }))
        .collect();
    removals.sort_by_key(|p| match p {
        Patch::Remove { pointer } => std::cmp::Reverse(pointer_key(pointer)),
        _ => std::cmp::Reverse(Vec::new()),
    });
    ordered.extend(removals);
    // A changed body has another length: let the client compute it.
    if patches.iter().any(|p| {
        matches!(
            p,
            Patch::Set { .. } | Patch::Remove { .. } | Patch::Rename { .. }
        )
    }) {
        headers.retain(|(n, _)| n != "content-length");
    }
    for patch in ordered {
        match patch {
            Patch::SetHeader { name, value } => {
                let name = name.to_ascii_lowercase();
                match headers.iter_mut().find(|(n, _)| *n == name) {
                    Some(slot) => slot.1 = value.clone(),
                    None => headers.push((name, value.clone())),
                }
            }
            Patch::RemoveHeader { name } => headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name)),
            Patch::Set { pointer, value } => {
                if let Some(body) = body.as_mut() {
                    set_pointer(body, pointer, value.clone());
                }
            }
            Patch::Remove { pointer } => {
                if let Some(body) = body.as_mut() {
                    take_pointer(body, pointer);
                }
            }
            Patch::Rename { from, to } => {
                if let Some(body) = body.as_mut()
                    && let Some(value) = take_pointer(body, from)
                {
                    set_pointer(body, to, value);
                }
            }
        }
    }
    (headers, body)
}

/// A sort key that orders `/messages/10` after `/messages/9`.
fn pointer_key(pointer: &str) -> Vec<(u64, String)> {
    pointer
        .split('/')
        .map(|s| match s.parse::<u64>() {
            Ok(n) => (n, String::new()),
            Err(_) => (u64::MAX, s.to_owned()),
        })
        .collect()
}

fn split_pointer(pointer: &str) -> Option<(&str, String)> {
    let (parent, last) = pointer.rsplit_once('/')?;
    Some((parent, last.replace("~1", "/").replace("~0", "~")))
}

fn set_pointer(root: &mut Value, pointer: &str, value: Value) {
    let Some((parent, last)) = split_pointer(pointer) else {
        return;
    };
    match root.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(last, value);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items[i] = value;
            }
        }
        _ => {}
    }
}

fn take_pointer(root: &mut Value, pointer: &str) -> Option<Value> {
    let (parent, last) = split_pointer(pointer)?;
    match root.pointer_mut(parent)? {
        Value::Object(map) => map.remove(&last),
        Value::Array(items) => {
            let i: usize = last.parse().ok()?;
            (i < items.len()).then(|| items.remove(i))
        }
        _ => None,
    }
}

/// Headers worth repeating in a reproduction.
fn keep_in_curl(name: &str) -> bool {
    name.starts_with("anthropic-")
        || matches!(
            name,
            "x-api-key" | "authorization" | "content-type" | "content-encoding" | "origin"
        )
}

/// A redacted, ready-to-run curl command for the (corrected) request.
pub fn curl_line(
    request: &RequestView,
    headers: &[(String, String)],
    body: Option<&str>,
) -> String {
    let url = match request.host {
        Some(_) => request.url(),
        None => format!("https://api.anthropic.com{}", request.url()),
    };
    let mut line = String::from("curl");
    if request.method != "POST" || body.is_none() {
        line.push_str(&format!(" -X {}", request.method));
    }
    line.push_str(&format!(" {}", quote(&url)));
    for (name, value) in headers.iter().filter(|(n, _)| keep_in_curl(n)) {
        let value = match name.as_str() {
            "x-api-key" => "\"x-api-key: $ANTHROPIC_API_KEY\"".to_owned(),
            "authorization" if value.starts_with("Bearer ") || value.starts_with("bearer ") => {
                "\"authorization: Bearer $ANTHROPIC_API_KEY\"".to_owned()
            }
            _ => quote(&format!(
                "{name}: {}",
                crate::redact::header_value(name, value)
            )),
        };
        line.push_str(&format!(" \\\n  -H {value}"));
    }
    if let Some(body) = body {
        let text = crate::redact::redact_text(body);
        if text.len() <= 4000 {
            line.push_str(&format!(" \\\n  --data-raw {}", quote(&text)));
        } else {
            line.push_str(&format!(
                " \\\n  --data-binary @request.json  # body of {} bytes",
                text.len()
            ));
        }
    }
    line
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn rename_and_header_patches_apply() {
        let body = r#"{"model":"m","max_tokens_to_sample":5,"messages":[]}"#;
        let request = RequestView::new(
            "POST",
            "https://api.anthropic.com/v1/messages",
            vec![(
                "authorization".into(),
                "Bearer sk-ant-api03-secretsecretsecret".into(),
            )],
            Bytes::from(body),
            body.len() as u64,
            false,
            "2026-11-25".into(),
        );
        let patches = [
            Patch::rename("/max_tokens_to_sample", "/max_tokens"),
            Patch::remove_header("authorization"),
            Patch::set_header("x-api-key", "$ANTHROPIC_API_KEY"),
        ];
        let (headers, json) = apply(&request, &patches);
        let json = json.unwrap();
        assert_eq!(json["max_tokens"], 5);
        assert!(json.get("max_tokens_to_sample").is_none());
        let curl = curl_line(&request, &headers, Some(&json.to_string()));
        assert!(curl.contains("\"x-api-key: $ANTHROPIC_API_KEY\""), "{curl}");
        assert!(!curl.contains("secretsecret"), "{curl}");
        assert!(patches[0].diff_lines(&request)[1].starts_with("+ /max_tokens: 5"));
    }
}
