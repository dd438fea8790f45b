//! `badreq check`'s reports: JSON for machines, text with corrected requests for people.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::diagnose::view::RequestView;
use crate::diagnose::{Severity, Status, has_standing};

use super::Checked;
use super::formats::request;

/// The machine-readable report.
pub fn report_json(checked: &[Checked]) -> Value {
    let exchanges: Vec<Value> = checked
        .iter()
        .map(|c| {
            let r = &c.view.request;
            json!({
                "source": c.source,
                "method": r.method,
                "url": format!("{}{}", r.host.as_deref().map(|h| format!("https://{h}")).unwrap_or_default(), r.path),
                "status": c.view.response.as_ref().map(|r| r.status),
                "findings": c.findings,
            })
        })
        .collect();
    let count = |status: Status| {
        checked
            .iter()
            .flat_map(|c| &c.findings)
            .filter(|f| f.status == status)
            .count()
    };
    json!({
        "exchanges": exchanges,
        "summary": {
            "exchanges": checked.len(),
            "with_errors": checked.iter().filter(|c| has_standing(&c.findings, Severity::Error)).count(),
            "confirmed": count(Status::Confirmed),
            "contradicted": count(Status::Contradicted),
            "unexplained": count(Status::Unexplained),
            "predicted": count(Status::Predicted),
        }
    })
}

/// The error rules the corrected request still trips (fixes that are not mechanical).
fn still_failing(
    original: &RequestView,
    headers: Vec<(String, String)>,
    body: Option<Value>,
) -> Vec<&'static str> {
    let bytes = body
        .map(|b| Bytes::from(b.to_string()))
        .unwrap_or_else(|| original.body.clone());
    let url = match (&original.scheme, &original.host) {
        (Some(scheme), Some(host)) => format!("{scheme}://{host}{}", original.path),
        _ => original.path.clone(),
    };
    let mut corrected = request(
        &original.method,
        &url,
        headers,
        bytes,
        original.body_truncated,
        original.as_of.clone(),
    );
    corrected.headers_known = original.headers_known;
    let mut ids: Vec<&'static str> = crate::diagnose::check_request(&corrected)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule)
        .collect();
    ids.dedup();
    ids
}

/// The text report, with a corrected curl line where fixes are mechanical.
pub fn report_text(checked: &[Checked]) -> String {
    let mut out = String::new();
    for c in checked {
        let r = &c.view.request;
        let status = c
            .view
            .response
            .as_ref()
            .map(|r| r.status.to_string())
            .unwrap_or_else(|| "(no response)".into());
        out.push_str(&format!(
            "{}  {} {} → {}\n",
            c.source, r.method, r.path, status
        ));
        if c.findings.is_empty() {
            out.push_str("    no findings\n");
        }
        let style = crate::output::terminal::Style::default();
        for line in c
            .findings
            .iter()
            .flat_map(|f| crate::output::terminal::finding_lines(f, &style))
        {
            out.push_str(&line);
            out.push('\n');
        }
        let patches: Vec<_> = c
            .findings
            .iter()
            .filter(|f| f.status != Status::Contradicted)
            .flat_map(|f| f.patch.clone())
            .collect();
        if !patches.is_empty() {
            out.push_str("    corrected request:\n");
            for patch in &patches {
                for line in patch.diff_lines(r) {
                    out.push_str(&format!("      {line}\n"));
                }
            }
            let (headers, body) = crate::diagnose::fix::apply(r, &patches);
            let text = body.as_ref().map(Value::to_string);
            for line in crate::diagnose::fix::curl_line(r, &headers, text.as_deref()).lines() {
                out.push_str(&format!("      {line}\n"));
            }
            let remaining = still_failing(r, headers, body);
            if !remaining.is_empty() {
                out.push_str(&format!(
                    "      (not a full fix: the corrected request still trips {})\n",
                    remaining.join(", ")
                ));
            }
        }
    }
    out
}
