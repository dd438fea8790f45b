//! Product output: what badreq shows people and writes for tools.
//!
//! Kept apart from `tracing`, which is for debugging badreq itself: these
//! formats are a contract, not log lines.

pub mod har;
pub mod jsonl;
pub mod terminal;

use std::time::SystemTime;

/// RFC 3339 UTC timestamp with milliseconds.
pub fn rfc3339(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    at.format(&format).unwrap_or_default()
}

/// `HH:MM:SS.mmm` UTC, for the terminal.
pub fn clock(at: SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    let format = time::macros::format_description!("[hour]:[minute]:[second].[subsecond digits:3]");
    at.format(&format).unwrap_or_default()
}

/// `1.2 kB`-style sizes.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} kB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}
