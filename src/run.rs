//! `badreq run -- CMD`: put badreq in front of a command, the way a CI job does.
//!
//! The proxy listens on an ephemeral loopback port; the child gets every
//! variable common clients read to find a proxy and a CA bundle (the system
//! roots plus badreq's CA, so other HTTPS keeps working); signals are
//! forwarded; at the end a summary says what happened, and the exit code says
//! whether the child failed or a diagnosis crossed `--fail-on`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

use base64::Engine;

use crate::config::Config;
use crate::diagnose::{Severity, Status};
use crate::error::FatalError;
use crate::exchange::Record;
use crate::output::terminal::Style;
use crate::recorder::{Sink, Summary};
use crate::server::Server;

/// Exit code when the child succeeded but a finding met `--fail-on`.
pub const EXIT_DIAGNOSED: u8 = 3;

/// When findings fail the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warn,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warn => Some(Severity::Warn),
            FailOn::Never => None,
        }
    }
}

pub struct RunOptions {
    pub command: Vec<String>,
    pub fail_on: FailOn,
    pub junit: Option<PathBuf>,
    /// Keep the configured `listen` address instead of an ephemeral port.
    pub keep_listen: bool,
}

/// Runs the child behind the proxy; returns the process exit code.
pub async fn run(mut config: Config, style: Style, options: RunOptions) -> Result<u8, FatalError> {
    if !options.keep_listen {
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    }
    let mut extra: Vec<Box<dyn Sink>> = Vec::new();
    if let Some(path) = &options.junit {
        extra.push(Box::new(JunitSink::new(
            path.clone(),
            options.fail_on.threshold(),
        )));
    }
    let server = Server::start(config, style, extra).await?;
    let proxy_url = format!("http://{}", server.local_addr());
    let ca_path = server.ca_path().to_owned();
    let bundle = write_bundle(&ca_path).map_err(|source| FatalError::Output {
        path: bundle_path(&ca_path),
        source,
    })?;
    eprintln!(
        "badreq run: proxy {proxy_url}, CA bundle {}",
        bundle.display()
    );

    let mut command = tokio::process::Command::new(&options.command[0]);
    command.args(&options.command[1..]);
    for (key, value) in child_env(&proxy_url, &ca_path, &bundle) {
        command.env(key, value);
    }
    #[cfg(unix)]
    command.process_group(0);
    let child = command.spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            eprintln!("badreq run: cannot start {}: {e}", options.command[0]);
            let _ = server.serve(async {}).await;
            return Ok(127);
        }
    };
    let forwarding = tokio::spawn(forward_signals(child.id()));
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<ExitStatus>();
    tokio::spawn(async move {
        let status = child.wait().await;
        forwarding.abort();
        if let Ok(status) = status {
            let _ = done_tx.send(status);
        }
    });
    let status_slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let slot = status_slot.clone();
    let summary = server
        .serve(async move {
            if let Ok(status) = done_rx.await {
                *slot.lock().expect("status lock") = Some(status);
            }
        })
        .await;
    let status = status_slot.lock().expect("status lock").take();
    print_summary(&summary, &options.command, status);
    Ok(exit_code(&summary, options.fail_on, status))
}

fn exit_code(summary: &Summary, fail_on: FailOn, status: Option<ExitStatus>) -> u8 {
    let failing = fail_on
        .threshold()
        .is_some_and(|t| summary.by_rule.values().any(|(severity, _)| *severity >= t));
    if failing {
        return EXIT_DIAGNOSED;
    }
    match status {
        Some(status) => child_code(status),
        None => 1,
    }
}

fn child_code(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(1);
        }
    }
    1
}

/// Waits for SIGINT, SIGTERM or SIGHUP and passes each one on to the child's
/// process group. Never returns while signals keep coming.
async fn forward_signals(pid: Option<u32>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return std::future::pending().await;
        };
        loop {
            let name = tokio::select! {
                _ = int.recv() => "INT",
                _ = term.recv() => "TERM",
                _ = hup.recv() => "HUP",
            };
            if let Some(pid) = pid {
                // The child leads its own process group: signal the whole group.
                let _ = tokio::process::Command::new("kill")
                    .args([&format!("-{name}"), "--", &format!("-{pid}")])
                    .status()
                    .await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        std::future::pending().await
    }
}

/// The variables common clients read for a proxy and a CA bundle.
pub fn child_env(proxy_url: &str, ca: &Path, bundle: &Path) -> Vec<(&'static str, String)> {
    let bundle = bundle.display().to_string();
    vec![
        ("HTTPS_PROXY", proxy_url.to_owned()),
        ("https_proxy", proxy_url.to_owned()),
        ("HTTP_PROXY", proxy_url.to_owned()),
        ("http_proxy", proxy_url.to_owned()),
        ("NODE_USE_ENV_PROXY", "1".to_owned()),
        ("SSL_CERT_FILE", bundle.clone()),
        ("REQUESTS_CA_BUNDLE", bundle.clone()),
        ("CURL_CA_BUNDLE", bundle.clone()),
        ("GIT_SSL_CAINFO", bundle),
        ("NODE_EXTRA_CA_CERTS", ca.display().to_string()),
    ]
}

fn bundle_path(ca: &Path) -> PathBuf {
    ca.with_file_name("bundle.pem")
}

/// Writes the system roots plus badreq's CA as one PEM file next to the CA.
pub fn write_bundle(ca: &Path) -> std::io::Result<PathBuf> {
    let mut pem = String::new();
    for cert in rustls_native_certs::load_native_certs().certs {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        let encoded = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
        for chunk in encoded.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    pem.push_str(&std::fs::read_to_string(ca)?);
    let path = bundle_path(ca);
    std::fs::write(&path, pem)?;
    Ok(path)
}

/// Why a child's traffic may not have reached badreq, for its runtime.
fn no_traffic_hints(command: &[String]) -> Vec<&'static str> {
    let program = command
        .first()
        .and_then(|c| Path::new(c).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let mut hints = Vec::new();
    match program {
        "node" | "npm" | "npx" | "yarn" | "pnpm" | "bun" | "deno" | "jest" | "vitest" => {
            hints.push("Node's built-in fetch ignores HTTPS_PROXY before Node 24; badreq sets NODE_USE_ENV_PROXY=1, which Node 24+ honours. On older Node use undici's EnvHttpProxyAgent, or point the SDK at badreq with ANTHROPIC_BASE_URL.");
        }
        "python" | "python3" | "pytest" | "uv" | "poetry" | "tox" | "nox" => {
            hints.push("Python: httpx (used by the anthropic SDK) and requests honour HTTPS_PROXY unless a custom http_client or trust_env=False is used; check NO_PROXY too.");
        }
        "java" | "mvn" | "gradle" | "gradlew" | "./gradlew" | "sbt" => {
            hints.push("The JVM ignores HTTPS_PROXY: pass -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=<port> and import badreq's CA into the truststore (keytool -importcert).");
        }
        "go" => hints.push("Go honours HTTPS_PROXY, except for requests to localhost/127.0.0.1 and hosts in NO_PROXY."),
        _ => {}
    }
    hints.push("A base URL set in code or ANTHROPIC_BASE_URL pointing elsewhere bypasses the proxy; so does a host listed in NO_PROXY.");
    hints
}

fn print_summary(summary: &Summary, command: &[String], status: Option<ExitStatus>) {
    let mut out = String::from("\nbadreq summary\n");
    out.push_str(&format!("  command      {}\n", command.join(" ")));
    let exit = status.map_or_else(|| "(not run)".to_owned(), |s| s.to_string());
    out.push_str(&format!("  child        {exit}\n"));
    out.push_str(&format!(
        "  exchanges    {} ({} with errors, {} with warnings only)\n",
        summary.exchanges, summary.diagnosed, summary.warned
    ));
    if !summary.by_status.is_empty() {
        let statuses: Vec<String> = summary
            .by_status
            .iter()
            .map(|(s, n)| {
                if *s == 0 {
                    format!("none: {n}")
                } else {
                    format!("{s}: {n}")
                }
            })
            .collect();
        out.push_str(&format!("  by status    {}\n", statuses.join(", ")));
    }
    if summary.tunnels > 0 {
        out.push_str(&format!(
            "  tunnels      {} (not intercepted)\n",
            summary.tunnels
        ));
    }
    out.push_str(&format!(
        "  findings     {} confirmed, {} contradicted, {} unexplained\n",
        summary.confirmed, summary.contradicted, summary.unexplained
    ));
    if !summary.by_rule.is_empty() {
        out.push_str("  by rule\n");
        let mut rules: Vec<_> = summary.by_rule.iter().collect();
        rules.sort_by_key(|(id, (severity, count))| {
            (
                std::cmp::Reverse(*severity),
                std::cmp::Reverse(*count),
                **id,
            )
        });
        for (id, (severity, count)) in rules {
            out.push_str(&format!(
                "    {:<5} {:>4}  {id}\n",
                severity.as_str(),
                count
            ));
        }
    }
    if !summary.client_tls_failures.is_empty() {
        out.push_str("  clients that did not complete TLS with badreq\n");
        for failure in summary.client_tls_failures.iter().take(5) {
            out.push_str(&format!("    {failure}\n"));
        }
    }
    if summary.exchanges == 0 && summary.tunnels == 0 {
        out.push_str("  no exchange reached badreq. Likely causes:\n");
        for hint in no_traffic_hints(command) {
            out.push_str(&format!("    - {hint}\n"));
        }
    }
    eprint!("{out}");
}

/// A JUnit XML report: one test case per exchange, failed when a finding at
/// the threshold stands, so CI systems show diagnoses in their test view.
pub struct JunitSink {
    path: PathBuf,
    threshold: Option<Severity>,
    cases: Vec<String>,
    failures: usize,
}

impl JunitSink {
    pub fn new(path: PathBuf, threshold: Option<Severity>) -> JunitSink {
        JunitSink {
            path,
            threshold,
            cases: Vec::new(),
            failures: 0,
        }
    }
}

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect::<String>()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Sink for JunitSink {
    fn write(&mut self, record: &Record) -> std::io::Result<()> {
        let Record::Exchange(exchange) = record else {
            return Ok(());
        };
        let view = crate::diagnose::ExchangeView::from_exchange(exchange).request;
        let status = exchange.response.as_ref().map_or(0, |r| r.status.as_u16());
        let name = format!(
            "#{} {} {} → {status}",
            exchange.id, exchange.request.method, view.path
        );
        let class = view.host.unwrap_or_else(|| "badreq".into());
        let seconds = exchange.timings.total.as_secs_f64();
        let failing: Vec<_> = exchange
            .findings
            .iter()
            .filter(|f| {
                f.status != Status::Contradicted && self.threshold.is_some_and(|t| f.severity >= t)
            })
            .collect();
        let mut case = format!(
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{seconds:.3}\"",
            xml(&class),
            xml(&name)
        );
        if failing.is_empty() {
            case.push_str("/>\n");
        } else {
            self.failures += 1;
            let first = failing[0];
            let style = Style::default();
            let details: Vec<String> = failing
                .iter()
                .flat_map(|f| crate::output::terminal::finding_lines(f, &style))
                .collect();
            case.push_str(&format!(
                ">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>\n",
                first.rule,
                xml(&format!("{}: {}", first.rule, first.message)),
                xml(&details.join("\n"))
            ));
        }
        self.cases.push(case);
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        let mut text = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        text.push_str(&format!(
            "<testsuites name=\"badreq\" tests=\"{0}\" failures=\"{1}\">\n  <testsuite name=\"badreq\" tests=\"{0}\" failures=\"{1}\" errors=\"0\">\n",
            self.cases.len(),
            self.failures
        ));
        for case in &self.cases {
            text.push_str(case);
        }
        text.push_str("  </testsuite>\n</testsuites>\n");
        std::fs::write(&self.path, text)
    }
}
