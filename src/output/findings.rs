//! Findings as text for people: one block per finding, readable at 80 columns.

use crate::diagnose::{Finding, Severity, Status};

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Predicted => "predicted",
        Status::Confirmed => "confirmed by the API",
        Status::Contradicted => "contradicted: the API accepted it",
        Status::Unexplained => "unexplained",
    }
}

fn mark(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "✗",
        Severity::Warn => "!",
        Severity::Info => "·",
    }
}

/// The lines of each finding, indented under an exchange line.
pub fn render(findings: &[Finding]) -> Vec<String> {
    let mut out = Vec::new();
    for f in findings {
        out.push(format!(
            "    {} {} {} at {} ({})",
            mark(f.severity),
            f.severity.as_str(),
            f.rule,
            f.location,
            status_word(f.status)
        ));
        out.push(format!("      {}", f.message));
        if let Some(evidence) = &f.evidence {
            out.push(format!("      evidence: {evidence}"));
        }
        if let Some(fix) = &f.fix {
            out.push(format!("      fix: {fix}"));
        }
        if let Some(api) = &f.api_message {
            let id = f
                .request_id
                .as_deref()
                .map(|id| format!(" [{id}]"))
                .unwrap_or_default();
            out.push(format!(
                "      API said: {}{id}",
                crate::redact::redact_text(api)
            ));
        }
    }
    out
}
