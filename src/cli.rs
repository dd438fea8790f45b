//! Command-line flags, as the user typed them.
//!
//! Only parsing lives here; turning flags into settings is [`crate::config`]'s job.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A local HTTP(S) debugging proxy that explains why API requests fail.
///
/// Bare `badreq` runs the proxy. Point a client at it with
/// `HTTPS_PROXY=http://127.0.0.1:8080` (trust `certs/ca.pem`, see `badreq ca`)
/// or use it as a base URL: `ANTHROPIC_BASE_URL=http://127.0.0.1:8080`.
#[derive(Debug, Parser)]
#[command(name = "badreq", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub proxy: ProxyArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print where badreq's CA certificate is, its fingerprint, and how to trust it.
    Ca,
    /// Diagnose saved traffic offline: HAR files, badreq JSONL logs, or a request body.
    ///
    /// Exit code 1 when an error finding stands, 0 otherwise, 2 for bad usage or
    /// unreadable input.
    Check(CheckArgs),
    /// Run a command behind badreq (proxy variables and CA bundle set), then
    /// summarise; exits with the command's code, or 3 when --fail-on is met.
    Run(RunArgs),
    /// List every rule: ID, severity, family and what it detects.
    Rules,
    /// Print the shell lines that point this shell at a running badreq.
    Env {
        /// Shell syntax.
        #[arg(long, value_enum, default_value = "bash")]
        shell: Shell,
    },
    /// Write one logged exchange (redacted) to a file for the API provider's support.
    Export(ExportArgs),
    /// Print a rule's documentation (from docs/rules.md).
    Explain {
        /// The rule ID, e.g. tool-result-orphan.
        rule: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// bash and zsh
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["request_id", "exchange"])))]
pub struct ExportArgs {
    /// The API's request id (`request-id` header or `request_id` in the error body).
    #[arg(long, value_name = "ID")]
    pub request_id: Option<String>,
    /// badreq's exchange number (`#N` in the terminal, `id` in the log).
    #[arg(long, value_name = "N")]
    pub exchange: Option<u64>,
    /// The JSON-lines log to read (default: `jsonl` from the config).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Where to write the bundle.
    #[arg(
        short,
        long,
        value_name = "FILE",
        default_value = "badreq-support.json"
    )]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Write a JUnit XML report: one test case per exchange.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Fail the run (exit 3) when a finding of this severity or worse stands.
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: crate::run::FailOn,
    /// The command to run, after `--`.
    #[arg(required = true, last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files to check: .har, .jsonl (badreq's log), or a request body (.json).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// For a bare body: the request method.
    #[arg(long, default_value = "POST")]
    pub method: String,
    /// For a bare body: the URL it was sent to.
    #[arg(long, default_value = crate::check::DEFAULT_URL)]
    pub url: String,
    /// For a bare body: a request header, `Name: value` (repeatable). Without any,
    /// header rules are skipped.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
}

/// Flags that shape the proxy; each overrides the same key in the config file.
#[derive(Debug, Default, Clone, Args)]
pub struct ProxyArgs {
    /// Read settings from this TOML file instead of the embedded defaults.
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// Address to listen on (config: `listen`).
    #[arg(long, value_name = "ADDR", global = true)]
    pub listen: Option<SocketAddr>,

    /// Folder for the CA certificate and key (config: `certs`).
    #[arg(long, value_name = "DIR", global = true)]
    pub certs: Option<PathBuf>,

    /// Decrypt HTTPS to this host; repeatable, `*.example.com` allowed (config: `intercept`).
    #[arg(long, value_name = "HOST", global = true)]
    pub intercept: Vec<String>,

    /// Where requests addressed to badreq itself go (config: `upstream`).
    #[arg(long, value_name = "URL", global = true)]
    pub upstream: Option<String>,

    /// Also trust this CA (PEM) for upstream servers (config: `upstream_ca`).
    #[arg(long, value_name = "FILE", global = true)]
    pub upstream_ca: Option<PathBuf>,

    /// Connect to HOST2:PORT2 for requests to HOST:PORT, as curl does; repeatable
    /// (config: `connect_to`).
    #[arg(long, value_name = "HOST:PORT:HOST2:PORT2", global = true)]
    pub connect_to: Vec<String>,

    /// Append one JSON object per exchange to FILE (config: `jsonl`).
    #[arg(long, value_name = "FILE", global = true)]
    pub jsonl: Option<PathBuf>,

    /// Write every exchange to a HAR 1.2 file (config: `har`).
    #[arg(long, value_name = "FILE", global = true)]
    pub har: Option<PathBuf>,

    /// Show API keys and tokens in logs, HAR and curl lines (they are masked by default).
    #[arg(long, global = true)]
    pub no_redact: bool,

    /// Also print (redacted) headers and bodies; repeat for more.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Print only exchanges with a failure or a finding.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Seconds to wait for an upstream's response head (config: `response_timeout_secs`).
    #[arg(long, value_name = "SECS", global = true)]
    pub response_timeout: Option<u64>,

    /// Seconds to wait for an upstream connection (config: `connect_timeout_secs`).
    #[arg(long, value_name = "SECS", global = true)]
    pub connect_timeout: Option<u64>,
}
