//! The diagnosis engine: why a request failed (or will), where, and how to fix it.
//!
//! Request rules (`rules/`) look at the request alone and *predict*; response
//! rules (`response.rs`) read the API's answer, which is the truth. [`diagnose`]
//! runs both and correlates them: a prediction the API agrees with is
//! `confirmed`, one it contradicts (the request succeeded) is `contradicted`, and
//! a rejection no rule explains is `unexplained`. All of it is pure code over an
//! [`ExchangeView`], so the proxy, `badreq check` and the tests share it.

pub mod docs;
pub mod fix;
pub mod registry;
pub mod response;
pub mod rules;
pub mod view;

use serde::Serialize;

pub use fix::Patch;
pub use registry::{RULES, Rule, rule};
pub use view::{ExchangeView, RequestView, ResponseView};

/// How sure the API is to mind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Works, but worth knowing.
    Info,
    /// Works today, but is deprecated, wasteful or risky.
    Warn,
    /// The API rejects it.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }
}

/// Where a finding stands against the API's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// From the request alone; no response (yet) to compare with.
    Predicted,
    /// The API's answer agrees (or the finding comes from the answer itself).
    Confirmed,
    /// The API accepted what the rule said it would reject: the rule's knowledge is stale.
    Contradicted,
    /// The API rejected the request and no rule explains why.
    Unexplained,
}

/// One diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// An RFC 6901 JSON pointer (`/messages/3/content/0`), `header:<name>`, `url`,
    /// `body` or `account`.
    pub location: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub patch: Vec<Patch>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Finding {
    pub fn new(
        rule: &'static str,
        severity: Severity,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            rule,
            severity,
            location: location.into(),
            message: message.into(),
            evidence: None,
            fix: None,
            patch: Vec::new(),
            status: Status::Predicted,
            api_message: None,
            request_id: None,
        }
    }

    pub fn fix(&mut self, fix: impl Into<String>) -> &mut Finding {
        self.fix = Some(fix.into());
        self
    }

    pub fn evidence(&mut self, evidence: impl Into<String>) -> &mut Finding {
        let mut text: String = evidence.into();
        if text.chars().count() > 120 {
            text = text.chars().take(117).collect::<String>() + "...";
        }
        self.evidence = Some(crate::redact::redact_text(&text));
        self
    }

    pub fn patch(&mut self, patch: Patch) -> &mut Finding {
        self.patch.push(patch);
        self
    }

    pub fn severity(&mut self, severity: Severity) -> &mut Finding {
        self.severity = severity;
        self
    }
}

/// Collects the findings of the rule being run.
pub struct Findings {
    current: &'static Rule,
    list: Vec<Finding>,
}

impl Findings {
    fn new() -> Findings {
        Findings {
            current: &RULES[0],
            list: Vec::new(),
        }
    }

    /// Records a finding of the current rule, at its default severity.
    pub fn flag(
        &mut self,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.list.push(Finding::new(
            self.current.id,
            self.current.severity,
            location,
            message,
        ));
        self.list.last_mut().expect("just pushed")
    }

    pub fn into_vec(self) -> Vec<Finding> {
        self.list
    }
}

/// Runs every request rule on `request`.
pub fn check_request(request: &RequestView) -> Vec<Finding> {
    let mut findings = Findings::new();
    if !request.is_api_traffic() {
        return Vec::new();
    }
    for rule in RULES.iter() {
        if !request.headers_known && matches!(rule.family, "auth" | "headers") {
            continue;
        }
        if let Some(check) = rule.check {
            findings.current = rule;
            check(request, &mut findings);
        }
    }
    findings.into_vec()
}

/// Runs one rule only (used to locate what a response speaks of).
pub fn check_rule(rule: &'static Rule, request: &RequestView) -> Vec<Finding> {
    let mut findings = Findings::new();
    if let Some(check) = rule.check {
        findings.current = rule;
        check(request, &mut findings);
    }
    findings.into_vec()
}

/// The full diagnosis of an exchange: request rules, response rules, correlation.
pub fn diagnose(exchange: &ExchangeView) -> Vec<Finding> {
    diagnose_with(exchange, check_request(&exchange.request))
}

/// Like [`diagnose`], with the request rules' findings already at hand (the
/// recorder made them when the request finished, before the answer came).
pub fn diagnose_with(exchange: &ExchangeView, predicted: Vec<Finding>) -> Vec<Finding> {
    let mut findings = match &exchange.response {
        Some(response) if exchange.request.is_api_traffic() => {
            response::correlate(&exchange.request, response, predicted)
        }
        _ => predicted,
    };
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

/// Whether any finding at `threshold` or above still stands (not contradicted).
pub fn has_standing(findings: &[Finding], threshold: Severity) -> bool {
    findings
        .iter()
        .any(|f| f.severity >= threshold && f.status != Status::Contradicted)
}
