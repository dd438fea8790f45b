//! Masking secrets before anything is written or printed.
//!
//! A masked value keeps a short prefix and its length (`sk-ant-api03-…[108]`)
//! so a user can still tell two keys apart without the log revealing either.

use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns masking off for the whole process (`--no-redact`).
pub fn disable() {
    ENABLED.store(false, Ordering::Relaxed);
}

fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Headers whose whole value is a secret.
const SECRET_HEADERS: &[&str] = &[
    "x-api-key",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// How many characters of a secret stay visible.
const KEEP: usize = 12;

/// Masks one secret value.
pub fn mask(secret: &str) -> String {
    if !enabled() {
        return secret.to_owned();
    }
    let (scheme, token) = match secret.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("basic") =>
        {
            (Some(scheme), token)
        }
        _ => (None, secret),
    };
    let kept: String = token
        .chars()
        .take(KEEP.min(token.chars().count() / 2))
        .collect();
    let masked = format!("{kept}…[{} chars]", token.chars().count());
    match scheme {
        Some(scheme) => format!("{scheme} {masked}"),
        None => masked,
    }
}

/// The value to show for header `name`.
pub fn header_value(name: &str, value: &str) -> String {
    if SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name)) {
        mask(value)
    } else {
        redact_text(value)
    }
}

/// Masks every `sk-ant-…` token inside free text (bodies, URLs).
pub fn redact_text(text: &str) -> String {
    const MARK: &str = "sk-ant-";
    if !enabled() || !text.contains(MARK) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(MARK) {
        out.push_str(&rest[..pos]);
        let token_len = rest[pos..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len() - pos);
        let token = &rest[pos..pos + token_len];
        if rest[pos + token_len..].starts_with('…') {
            out.push_str(token); // already masked
        } else {
            out.push_str(&mask(token));
        }
        rest = &rest[pos + token_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_prefix_and_length() {
        let key = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789";
        let masked = mask(key);
        assert!(masked.starts_with("sk-ant-api03"));
        assert!(!masked.contains("abcdefghij"));
        assert!(masked.contains("[49 chars]"), "{masked}");
        assert_eq!(
            header_value("Authorization", &format!("Bearer {key}")),
            format!("Bearer {masked}")
        );
    }

    #[test]
    fn finds_keys_in_text() {
        let text = r#"{"k":"sk-ant-oat01-SECRETSECRETSECRETSECRET","x":1}"#;
        let out = redact_text(text);
        assert!(!out.contains("SECRETSECRETSECRET"), "{out}");
        assert!(out.ends_with(r#"","x":1}"#));
        assert_eq!(header_value("accept", "*/*"), "*/*");
        let masked = mask("sk-ant-api03-abcdefghijklmnopqrstuvwxyz");
        assert_eq!(
            redact_text(&masked),
            masked,
            "masking twice changes nothing"
        );
    }
}
