//! Reading the API's answer and holding the predictions up against it.
//!
//! The API's error envelope (`{"type":"error","error":{"type","message"},
//! "request_id"}`) is the truth about a rejected request. Its message usually
//! starts with a dotted path (`messages.3.content.0.tool_use.input: ...`),
//! which [`message_pointer`] turns into a JSON pointer by walking the request
//! body and skipping the union tags (`tool_use`, `custom`, `base64`, ...).
//!
//! [`envelope`] reads the answer, [`explain`] says what an answer means on its
//! own, and this module holds the predictions up against it.

mod envelope;
mod explain;

use super::registry::{RULES, Rule, rule};
use super::view::{RequestView, ResponseView};
use super::{Finding, Severity, Status, check_rule};

pub use envelope::{ApiError, api_error, message_pointer};
use explain::{explain_response, is_account_level};

/// Whether a finding's location and the API's pointer speak of the same place.
fn same_place(location: &str, pointer: &str) -> bool {
    let parent = |p: &str| {
        p.rsplit_once('/')
            .map(|(head, _)| head.to_owned())
            .unwrap_or_default()
    };
    location == pointer
        || location.starts_with(&format!("{pointer}/"))
        || pointer.starts_with(&format!("{location}/"))
        || (!parent(location).is_empty() && parent(location) == parent(pointer))
}

fn fragment_matches(rule: &Rule, message: &str) -> bool {
    rule.api_messages.iter().any(|f| message.contains(f))
}

/// Holds the predictions against the response and adds what the response says.
pub fn correlate(
    request: &RequestView,
    response: &ResponseView,
    mut findings: Vec<Finding>,
) -> Vec<Finding> {
    if response.synthetic {
        return findings;
    }
    let Some(error) = api_error(response) else {
        if (200..400).contains(&response.status) {
            for finding in findings
                .iter_mut()
                .filter(|f| f.severity == Severity::Error)
            {
                finding.status = Status::Contradicted;
            }
        }
        return findings;
    };
    let pointer = message_pointer(&error.message, request.json.as_ref());
    let mut explained = false;
    for finding in findings.iter_mut() {
        let Some(rule) = rule(finding.rule) else {
            continue;
        };
        let at_pointer = pointer
            .as_deref()
            .is_none_or(|p| !finding.location.starts_with('/') || same_place(&finding.location, p));
        if fragment_matches(rule, &error.message) && at_pointer {
            confirm(finding, &error);
            explained = true;
        }
    }
    if !explained {
        explained = locate_with_rule(request, &error, None, &mut findings);
    }
    let mut from_response = explain_response(request, response, &error, pointer.as_deref());
    if explained {
        from_response.retain(|f| is_account_level(f.rule));
    }
    if !explained && from_response.is_empty() {
        explained = locate_with_rule(request, &error, pointer.as_deref(), &mut findings);
    }
    if !explained && from_response.is_empty() {
        let mut finding = Finding::new(
            "api-unexplained",
            if error.status >= 500 {
                Severity::Warn
            } else {
                Severity::Error
            },
            pointer.clone().unwrap_or_else(|| "body".into()),
            format!(
                "the API rejected the request ({}); no rule explains it",
                error.status
            ),
        );
        finding.status = Status::Unexplained;
        finding.api_message = Some(error.message.clone());
        finding.request_id = error.request_id.clone();
        finding.fix("read the API's message; if badreq should have caught this, the rule is missing (please report it)");
        from_response.push(finding);
    }
    findings.extend(from_response);
    findings
}

fn confirm(finding: &mut Finding, error: &ApiError) {
    finding.status = Status::Confirmed;
    finding.severity = Severity::Error;
    finding.api_message = Some(error.message.clone());
    finding.request_id = error.request_id.clone();
}

/// A rule that recognises the message but predicted nothing: its fault was
/// accepted on the request's date (re-run it as of the day before the change),
/// or, when `pointer` is given, its data did not cover this request (report it
/// at the API's pointer). Either way the API confirmed it.
fn locate_with_rule(
    request: &RequestView,
    error: &ApiError,
    pointer: Option<&str>,
    findings: &mut Vec<Finding>,
) -> bool {
    // Rules that changed over time first: their fragments are the most specific.
    let candidates = RULES
        .iter()
        .filter(|r| r.before.is_some())
        .chain(RULES.iter().filter(|r| r.before.is_none()))
        .filter(|r| r.check.is_some() && fragment_matches(r, &error.message));
    for rule in candidates {
        let mut located = match rule.before {
            Some(day) => {
                let mut earlier = request.clone();
                earlier.as_of = day.to_owned();
                check_rule(rule, &earlier)
            }
            None => Vec::new(),
        };
        if located.is_empty() {
            let Some(pointer) = pointer else { continue };
            if rule.before.is_some() {
                continue;
            }
            let mut finding = Finding::new(
                rule.id,
                Severity::Error,
                pointer,
                format!(
                    "{} (badreq's data did not predict it for this request)",
                    rule.summary
                ),
            );
            finding.fix("see `badreq explain ".to_owned() + rule.id + "`");
            located.push(finding);
        }
        for mut finding in located {
            if rule.before.is_some() {
                finding.message.push_str(&format!(
                    "; the API rejected it, so it is judged by the API before {}",
                    day_after(rule.before.unwrap_or(""))
                ));
            }
            confirm(&mut finding, error);
            findings.push(finding);
        }
        return true;
    }
    false
}

/// The day after `day` (YYYY-MM-DD): the day the API's behaviour changed.
fn day_after(day: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(day, &format)
        .ok()
        .and_then(time::Date::next_day)
        .and_then(|next| next.format(&format).ok())
        .unwrap_or_else(|| day.to_owned())
}
