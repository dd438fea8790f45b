//! The `badreq` binary: parse flags, resolve settings, run the chosen command.
//!
//! This is the one place where errors become text for people and exit codes:
//! 2 for bad usage or config, 1 for a failure at run time.

use std::process::ExitCode;

use clap::Parser;

use badreq::cli::{Cli, Command};
use badreq::config::Config;
use badreq::server::Server;
use badreq::tls;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let config = match Config::resolve(&cli.proxy) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("badreq: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.proxy.no_redact {
        badreq::redact::disable();
        eprintln!(
            "badreq: WARNING: --no-redact: API keys and tokens will appear in full in every log, HAR and curl line"
        );
    }
    let style = badreq::output::terminal::Style::detect(cli.proxy.verbose, cli.proxy.quiet);
    let result = match cli.command {
        None => run_proxy(config, style),
        Some(Command::Ca) => print_ca(&config),
        Some(Command::Check(args)) => return run_check(&args),
        Some(Command::Run(args)) => {
            return run_command(config, style, args, cli.proxy.listen.is_some());
        }
        Some(Command::Rules) => {
            print_rules();
            Ok(())
        }
        Some(Command::Explain { rule }) => return explain(&rule),
        Some(Command::Env { shell }) => print_env(&config, shell),
        Some(Command::Export(args)) => return export(&config, &args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("badreq: {e}");
            ExitCode::from(1)
        }
    }
}

fn run_command(
    config: Config,
    style: badreq::output::terminal::Style,
    args: badreq::cli::RunArgs,
    keep_listen: bool,
) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("building the tokio runtime");
    let options = badreq::run::RunOptions {
        command: args.command,
        fail_on: args.fail_on,
        junit: args.junit,
        keep_listen,
    };
    match runtime.block_on(badreq::run::run(config, style, options)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("badreq: {e}");
            ExitCode::from(1)
        }
    }
}

fn run_check(args: &badreq::cli::CheckArgs) -> ExitCode {
    let mut headers = Vec::new();
    for header in &args.headers {
        match header.split_once(':') {
            Some((name, value)) => headers.push((name.trim().to_owned(), value.trim().to_owned())),
            None => {
                eprintln!("badreq: -H {header:?}: expected `Name: value`");
                return ExitCode::from(2);
            }
        }
    }
    let options = badreq::check::BodyOptions {
        method: args.method.clone(),
        url: args.url.clone(),
        headers,
    };
    let mut checked = Vec::new();
    for file in &args.files {
        match badreq::check::check_file(file, &options) {
            Ok(mut found) => checked.append(&mut found),
            Err(e) => {
                eprintln!("badreq: {e}");
                return ExitCode::from(2);
            }
        }
    }
    match args.format {
        badreq::cli::Format::Json => println!("{:#}", badreq::check::report_json(&checked)),
        badreq::cli::Format::Text => print!("{}", badreq::check::report_text(&checked)),
    }
    let failing = checked
        .iter()
        .any(|c| badreq::diagnose::has_standing(&c.findings, badreq::diagnose::Severity::Error));
    ExitCode::from(u8::from(failing))
}

fn print_env(config: &Config, shell: badreq::cli::Shell) -> Result<(), badreq::error::FatalError> {
    tls::install_crypto_provider();
    let ca = tls::ca::CertificateAuthority::load_or_create(&config.certs)?;
    let ca_path =
        std::fs::canonicalize(ca.cert_path()).unwrap_or_else(|_| ca.cert_path().to_owned());
    let bundle = badreq::run::write_bundle(&ca_path).map_err(|source| {
        badreq::error::FatalError::Output {
            path: ca_path.with_file_name("bundle.pem"),
            source,
        }
    })?;
    let proxy = format!("http://{}", config.listen);
    println!(
        "# Point this shell at badreq on {}: eval \"$(badreq env)\" (fish: badreq env --shell fish | source)",
        config.listen
    );
    for (key, value) in badreq::run::child_env(&proxy, &ca_path, &bundle) {
        match shell {
            badreq::cli::Shell::Fish => println!("set -gx {key} '{value}';"),
            _ => println!("export {key}='{value}'"),
        }
    }
    Ok(())
}

fn export(config: &Config, args: &badreq::cli::ExportArgs) -> ExitCode {
    let Some(log) = args.from.clone().or_else(|| config.jsonl.clone()) else {
        eprintln!("badreq: export needs a JSON-lines log: --from FILE (or `jsonl` in the config)");
        return ExitCode::from(2);
    };
    let selector = match (&args.request_id, args.exchange) {
        (Some(id), _) => badreq::export::Selector::RequestId(id.clone()),
        (None, Some(n)) => badreq::export::Selector::Exchange(n),
        (None, None) => unreachable!("clap requires one of them"),
    };
    match badreq::export::export(&log, &selector, &args.output) {
        Ok(_) => {
            println!("wrote {}", args.output.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("badreq: {e}");
            ExitCode::from(2)
        }
    }
}

fn print_rules() {
    for rule in badreq::diagnose::RULES {
        println!(
            "{:<40} {:<5} {:<9} {}",
            rule.id,
            rule.severity.as_str(),
            rule.family,
            rule.summary
        );
    }
}

fn explain(id: &str) -> ExitCode {
    match badreq::diagnose::docs::section(id) {
        Some(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("badreq: no rule `{id}`; `badreq rules` lists them");
            ExitCode::from(2)
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("BADREQ_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

fn run_proxy(
    config: Config,
    style: badreq::output::terminal::Style,
) -> Result<(), badreq::error::FatalError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("building the tokio runtime");
    runtime.block_on(async {
        let server = Server::start(config, style, Vec::new()).await?;
        eprintln!(
            "badreq listening on http://{}  (CA: {})",
            server.local_addr(),
            server.ca_path().display()
        );
        eprintln!(
            "  HTTPS_PROXY=http://{0}  or  ANTHROPIC_BASE_URL=http://{0}",
            server.local_addr()
        );
        let summary = server.serve(shutdown_signal()).await;
        eprintln!(
            "badreq stopped: {} exchanges ({} failed, {} with errors), {} blind tunnels, {} failed connections; findings: {} confirmed, {} contradicted, {} unexplained",
            summary.exchanges,
            summary.failed,
            summary.diagnosed,
            summary.tunnels,
            summary.connection_failures,
            summary.confirmed,
            summary.contradicted,
            summary.unexplained
        );
        Ok(())
    })
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

fn print_ca(config: &Config) -> Result<(), badreq::error::FatalError> {
    tls::install_crypto_provider();
    let ca = tls::ca::CertificateAuthority::load_or_create(&config.certs)?;
    let path = std::fs::canonicalize(ca.cert_path()).unwrap_or_else(|_| ca.cert_path().to_owned());
    let path = path.display();
    println!("badreq CA certificate: {path}");
    println!("SHA-256 fingerprint:   {}", ca.fingerprint());
    println!();
    println!(
        "Trust it in the client you point at badreq (HTTPS_PROXY=http://{}):",
        config.listen
    );
    println!("  curl            curl --cacert {path} ...   (or CURL_CA_BUNDLE={path})");
    println!("  Python httpx    SSL_CERT_FILE={path}   (the anthropic SDK uses httpx)");
    println!("  Python requests REQUESTS_CA_BUNDLE={path}");
    println!(
        "  Node.js         NODE_EXTRA_CA_CERTS={path}   (plus NODE_USE_ENV_PROXY=1 on Node 24+ for fetch)"
    );
    println!(
        "  Debian/Ubuntu   sudo cp {path} /usr/local/share/ca-certificates/badreq.crt && sudo update-ca-certificates"
    );
    println!(
        "  Fedora/RHEL     sudo cp {path} /etc/pki/ca-trust/source/anchors/badreq.pem && sudo update-ca-trust"
    );
    println!(
        "  macOS           sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {path}"
    );
    println!("  Windows         certutil -addstore -f ROOT {path}");
    println!();
    println!(
        "Base-URL mode needs no CA: ANTHROPIC_BASE_URL=http://{}",
        config.listen
    );
    println!(
        "To point this shell at badreq in one go: eval \"$(badreq env)\"   (fish: badreq env --shell fish | source)"
    );
    Ok(())
}
