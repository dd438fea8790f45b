//! The live terminal log: one line per exchange, and under a flagged exchange a
//! compact diagnosis block, readable at 80 columns.
//!
//! Colours only on a terminal and never under `NO_COLOR`. `-q` shows only
//! flagged exchanges; `-v` adds the (redacted) heads and bodies.

use std::io::Write;

use crate::diagnose::{Finding, Severity, Status};
use crate::exchange::{ConnectionWhat, Exchange, Head, Record};
use crate::recorder::Sink;

use super::{clock, size};

/// How the terminal log looks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    /// 0 = normal, 1 = heads and bodies.
    pub verbose: u8,
    /// Only flagged exchanges.
    pub quiet: bool,
}

impl Style {
    /// Colour when `stderr` is a terminal and `NO_COLOR` is unset.
    pub fn detect(verbose: u8, quiet: bool) -> Style {
        use std::io::IsTerminal;
        let color = std::io::stderr().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Style {
            color,
            verbose,
            quiet,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

const WIDTH: usize = 80;

/// Wraps `text` to the terminal width with `indent` spaces on every line.
fn wrap(text: &str, indent: usize) -> Vec<String> {
    let room = WIDTH.saturating_sub(indent).max(20);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    let pad = " ".repeat(indent);
    lines.into_iter().map(|l| format!("{pad}{l}")).collect()
}

/// The path (with the host unless it is the API's), shortened to fit.
fn target(url: &str) -> String {
    let url = crate::redact::redact_text(url);
    let bare = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let api_host = format!("{}/", crate::knowledge::knowledge().api.host);
    let shown = bare
        .strip_prefix(api_host.as_str())
        .map_or_else(|| bare.to_owned(), |path| format!("/{path}"));
    if shown.chars().count() > 36 {
        format!("{}…", shown.chars().take(35).collect::<String>())
    } else {
        shown
    }
}

/// `1.2kB`-style sizes without a space, for the headline.
fn tight(bytes: u64) -> String {
    size(bytes).replace(' ', "")
}

/// The request's `model` and `stream`, read with one parse of the body.
fn model_and_stream(exchange: &Exchange) -> (Option<String>, bool) {
    #[derive(serde::Deserialize)]
    struct Fields {
        model: Option<String>,
        stream: Option<bool>,
    }
    match serde_json::from_slice::<Fields>(&exchange.request.body.bytes) {
        Ok(fields) => (fields.model, fields.stream == Some(true)),
        Err(_) => (None, false),
    }
}

/// The exchange's headline.
pub fn headline(exchange: &Exchange, style: &Style) -> String {
    let status = exchange.response.as_ref().map(|r| r.status.as_u16());
    let status_text = status.map_or_else(|| "---".to_owned(), |s| s.to_string());
    let status_text = match status {
        Some(200..=299) => style.paint("32", &status_text),
        Some(400..=499) => style.paint("33", &status_text),
        Some(_) => style.paint("31", &status_text),
        None => status_text,
    };
    let time = clock(exchange.started_at);
    let line = format!(
        "{} #{} {} {} {} {}ms ↑{} ↓{}",
        time.split('.').next().unwrap_or(&time),
        exchange.id,
        exchange.request.method,
        target(&exchange.request.url),
        status_text,
        exchange.timings.total.as_millis(),
        tight(exchange.request.body.total_len),
        tight(exchange.response.as_ref().map_or(0, |r| r.body.total_len)),
    );
    let mut extras = Vec::new();
    let (model, stream) = model_and_stream(exchange);
    if let Some(model) = model {
        extras.push(model);
    }
    if stream {
        match exchange.timings.first_body_byte {
            Some(first) => extras.push(format!("stream (first event {}ms)", first.as_millis())),
            None => extras.push("stream".to_owned()),
        }
    }
    if extras.is_empty() {
        return line;
    }
    let extras = extras.join(" ");
    // Count what shows, not the colour codes.
    let visible = line.chars().count() - if style.color { 9 } else { 0 };
    if visible + 1 + extras.chars().count() <= WIDTH {
        format!("{line} {extras}")
    } else {
        format!("{line}\n  {extras}")
    }
}

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Predicted => "predicted",
        Status::Confirmed => "confirmed",
        Status::Contradicted => "contradicted: the API accepted it",
        Status::Unexplained => "unexplained",
    }
}

/// The diagnosis block of one finding.
pub fn finding_lines(f: &Finding, style: &Style) -> Vec<String> {
    let mark = match f.severity {
        Severity::Error => style.paint("31", "✗ error"),
        Severity::Warn => style.paint("33", "! warn"),
        Severity::Info => style.paint("36", "· info"),
    };
    let mut lines = vec![format!(
        "  {mark} {} {} ({})",
        style.paint("1", f.rule),
        f.location,
        status_word(f.status)
    )];
    lines.extend(wrap(&f.message, 4));
    if let Some(evidence) = &f.evidence {
        lines.extend(
            wrap(&format!("evidence: {evidence}"), 4)
                .into_iter()
                .map(|l| style.paint("2", &l)),
        );
    }
    if let Some(fix) = &f.fix {
        lines.extend(wrap(&format!("fix: {fix}"), 4));
    }
    if let Some(api) = &f.api_message {
        let id = f
            .request_id
            .as_deref()
            .map(|id| format!(" ({id})"))
            .unwrap_or_default();
        lines.extend(wrap(
            &format!("API: {}{id}", crate::redact::redact_text(api)),
            4,
        ));
    }
    lines
}

fn head_lines(label: &str, head: &Head) -> Vec<String> {
    let mut lines = vec![format!("  {label}")];
    for (name, value) in &head.headers {
        lines.push(format!(
            "    {name}: {}",
            crate::redact::header_value(name, value)
        ));
    }
    lines
}

fn body_lines(bytes: &[u8]) -> Vec<String> {
    const MAX: usize = 2000;
    let text = match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(json) => serde_json::to_string_pretty(&json).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    };
    let text = crate::redact::redact_text(&text);
    let mut shown: String = text.chars().take(MAX).collect();
    if text.chars().count() > MAX {
        shown.push_str("\n…");
    }
    shown.lines().map(|l| format!("    {l}")).collect()
}

/// Whether the exchange deserves attention under `-q`.
pub fn flagged(exchange: &Exchange) -> bool {
    exchange.failure.is_some()
        || exchange
            .findings
            .iter()
            .any(|f| f.severity >= Severity::Warn)
}

/// Everything printed for one exchange.
pub fn render_exchange(exchange: &Exchange, style: &Style) -> Vec<String> {
    let mut lines = vec![headline(exchange, style)];
    if style.verbose > 0 {
        lines.extend(head_lines("request", &exchange.request.head));
        if !exchange.request.body.bytes.is_empty() {
            lines.extend(body_lines(&exchange.request.body.bytes));
        }
        if let Some(response) = &exchange.response {
            lines.extend(head_lines("response", &response.head));
            if !response.body.bytes.is_empty() {
                lines.extend(body_lines(&response.body.bytes));
            }
        }
    }
    if let Some(failure) = &exchange.failure {
        let side = match failure.side {
            crate::error::Side::Client => "client",
            crate::error::Side::Upstream => "upstream",
            crate::error::Side::Proxy => "badreq",
        };
        lines.push(format!(
            "  {} {} ({side})",
            style.paint("31", "✗"),
            failure.kind
        ));
        lines.extend(wrap(&failure.message, 4));
    }
    for finding in &exchange.findings {
        lines.extend(finding_lines(finding, style));
    }
    if exchange
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error && f.status != Status::Contradicted)
    {
        lines.push("  reproduce:".to_owned());
        lines.extend(curl_lines(exchange));
    }
    lines
}

/// A redacted curl command that replays the exchange's request.
fn curl_lines(exchange: &Exchange) -> Vec<String> {
    let view = crate::diagnose::ExchangeView::from_exchange(exchange).request;
    // Replay the body byte for byte when it is text; binary bodies live in the captures.
    let body = std::str::from_utf8(&view.body)
        .ok()
        .filter(|t| !t.is_empty() && !view.body_truncated);
    let mut text = crate::diagnose::fix::curl_line(&view, &view.headers, body);
    if body.is_none() && !view.body.is_empty() {
        text.push_str(&format!(
            " \\\n  --data-binary @body  # {} bytes, not JSON; see the JSONL/HAR capture",
            view.body_size
        ));
    }
    text.lines().map(|l| format!("    {l}")).collect()
}

/// Prints records on a terminal (or any writer).
pub struct TerminalSink<W: Write + Send> {
    out: W,
    style: Style,
}

impl<W: Write + Send> TerminalSink<W> {
    pub fn new(out: W, style: Style) -> Self {
        TerminalSink { out, style }
    }
}

impl<W: Write + Send> Sink for TerminalSink<W> {
    fn write(&mut self, record: &Record) -> std::io::Result<()> {
        let lines = match record {
            Record::Exchange(exchange) => {
                if self.style.quiet && !flagged(exchange) {
                    return Ok(());
                }
                render_exchange(exchange, &self.style)
            }
            Record::Preflight(preflight) => {
                let errors: Vec<&Finding> = preflight
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                    .collect();
                if errors.is_empty() {
                    return Ok(());
                }
                let time = clock(preflight.started_at);
                let mut lines = vec![format!(
                    "{} #{} {} {} … awaiting the response; predicted:",
                    time.split('.').next().unwrap_or(&time),
                    preflight.id,
                    preflight.request.method,
                    target(&preflight.request.url)
                )];
                for f in errors {
                    lines.push(format!(
                        "  {} {} {}",
                        self.style.paint("31", "✗"),
                        f.rule,
                        f.location
                    ));
                }
                lines
            }
            Record::Connection(event) => match &event.what {
                ConnectionWhat::Tunnel { up, down } => {
                    if self.style.quiet {
                        return Ok(());
                    }
                    vec![format!(
                        "{} tunnel {} (not intercepted) {}ms ↑{} ↓{}",
                        clock(event.started_at),
                        event.target,
                        event.duration.as_millis(),
                        size(*up),
                        size(*down)
                    )]
                }
                ConnectionWhat::Notice { kind, message } => {
                    if self.style.quiet {
                        return Ok(());
                    }
                    let mut lines = vec![format!(
                        "{} · {kind} from {} to {}",
                        clock(event.started_at),
                        event.client,
                        event.target
                    )];
                    lines.extend(wrap(message, 4));
                    lines
                }
                ConnectionWhat::Failed(failure) => {
                    let mut lines = vec![format!(
                        "{} {} {} from {} to {}",
                        clock(event.started_at),
                        self.style.paint("31", "✗"),
                        failure.kind,
                        event.client,
                        event.target
                    )];
                    lines.extend(wrap(&failure.message, 4));
                    lines
                }
            },
        };
        // One write per record: lines of two records never interleave, and a
        // busy proxy makes one syscall per exchange, not one per line.
        let mut text = lines.join("\n");
        text.push('\n');
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_80_columns() {
        let text = "word ".repeat(40);
        for line in wrap(&text, 4) {
            assert!(line.chars().count() <= 80, "{line}");
            assert!(line.starts_with("    word"));
        }
    }
}
