//! The inspection side: receives finished records and writes them to the sinks.
//!
//! It runs on its own thread so that writing files or a slow terminal never
//! touches the async workers carrying traffic. The channel is unbounded: bodies
//! in records are already capped, and dropping records would make the CI
//! capture lie.

use std::thread::JoinHandle;

use std::collections::HashMap;

use tokio::sync::mpsc;

use crate::diagnose::{self, ExchangeView, Finding, view::RequestView};

use crate::exchange::Record;

/// Where records go: the terminal, a JSON-lines file, ...
pub trait Sink: Send {
    fn write(&mut self, record: &Record) -> std::io::Result<()>;
    /// Called once after the last record.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub enum Message {
    Record(Record),
    Stop,
}

/// Counts kept over a run, for the closing summary.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Exchanges per response status (0 = no response).
    pub by_status: std::collections::BTreeMap<u16, u64>,
    /// Findings per rule that still stand (not contradicted), with the rule's worst severity.
    pub by_rule: std::collections::BTreeMap<&'static str, (crate::diagnose::Severity, u64)>,
    /// Exchanges whose worst standing finding is a warning.
    pub warned: u64,
    /// Clients that failed TLS with badreq or spoke something else into a tunnel.
    pub client_tls_failures: Vec<String>,
    pub exchanges: u64,
    pub failed: u64,
    /// Exchanges with an error finding that the API did not contradict.
    pub diagnosed: u64,
    pub confirmed: u64,
    pub contradicted: u64,
    pub unexplained: u64,
    pub tunnels: u64,
    pub connection_failures: u64,
}

pub struct Recorder {
    tx: mpsc::UnboundedSender<Message>,
    thread: JoinHandle<Summary>,
}

impl Recorder {
    pub fn spawn(mut sinks: Vec<Box<dyn Sink>>) -> Recorder {
        let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
        let thread = std::thread::Builder::new()
            .name("badreq-recorder".into())
            .spawn(move || {
                let mut summary = Summary::default();
                // Predictions made at preflight, reused when the exchange ends.
                let mut predicted: HashMap<u64, Vec<Finding>> = HashMap::new();
                while let Some(Message::Record(mut record)) = rx.blocking_recv() {
                    match &mut record {
                        Record::Exchange(exchange) => {
                            let view = ExchangeView::from_exchange(exchange);
                            exchange.findings = match predicted.remove(&exchange.id) {
                                Some(early) => diagnose::diagnose_with(&view, early),
                                None => diagnose::diagnose(&view),
                            };
                        }
                        Record::Preflight(preflight) => {
                            let view =
                                RequestView::from_record(&preflight.request, preflight.started_at);
                            preflight.findings = diagnose::check_request(&view);
                            predicted.insert(preflight.id, preflight.findings.clone());
                        }
                        Record::Connection(_) => {}
                    }
                    count(&mut summary, &record);
                    for sink in &mut sinks {
                        if let Err(e) = sink.write(&record) {
                            tracing::error!(error = %e, "could not write a record");
                        }
                    }
                }
                for sink in &mut sinks {
                    if let Err(e) = sink.finish() {
                        tracing::error!(error = %e, "could not finish an output");
                    }
                }
                summary
            })
            .expect("spawning the recorder thread");
        Recorder { tx, thread }
    }

    pub fn sender(&self) -> mpsc::UnboundedSender<Message> {
        self.tx.clone()
    }

    /// Writes everything already sent, finishes the sinks and returns the summary.
    pub fn finish(self) -> Summary {
        let _ = self.tx.send(Message::Stop);
        self.thread.join().unwrap_or_default()
    }
}

fn count(summary: &mut Summary, record: &Record) {
    match record {
        Record::Preflight(_) => {}
        Record::Exchange(exchange) => {
            summary.exchanges += 1;
            let status = exchange.response.as_ref().map_or(0, |r| r.status.as_u16());
            *summary.by_status.entry(status).or_default() += 1;
            for finding in exchange
                .findings
                .iter()
                .filter(|f| f.status != crate::diagnose::Status::Contradicted)
            {
                let entry = summary
                    .by_rule
                    .entry(finding.rule)
                    .or_insert((finding.severity, 0));
                entry.0 = entry.0.max(finding.severity);
                entry.1 += 1;
            }
            if crate::diagnose::has_standing(&exchange.findings, crate::diagnose::Severity::Warn)
                && !crate::diagnose::has_standing(
                    &exchange.findings,
                    crate::diagnose::Severity::Error,
                )
            {
                summary.warned += 1;
            }
            if exchange.failure.is_some() {
                summary.failed += 1;
            }
            if crate::diagnose::has_standing(&exchange.findings, crate::diagnose::Severity::Error) {
                summary.diagnosed += 1;
            }
            for finding in &exchange.findings {
                match finding.status {
                    crate::diagnose::Status::Confirmed => summary.confirmed += 1,
                    crate::diagnose::Status::Contradicted => summary.contradicted += 1,
                    crate::diagnose::Status::Unexplained => summary.unexplained += 1,
                    crate::diagnose::Status::Predicted => {}
                }
            }
        }
        Record::Connection(event) => match &event.what {
            crate::exchange::ConnectionWhat::Tunnel { .. } => summary.tunnels += 1,
            crate::exchange::ConnectionWhat::Notice { .. } => {}
            crate::exchange::ConnectionWhat::Failed(failure) => {
                summary.connection_failures += 1;
                if failure.kind.starts_with("client_") {
                    summary.client_tls_failures.push(failure.message.clone());
                }
            }
        },
    }
}
