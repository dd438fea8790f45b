//! Shared test helpers: temp folders, the badreq process, curl and the Python SDK.
//!
//! Tests run the real `badreq` binary on an ephemeral loopback port and talk to
//! it with real clients. Nothing here uses a fixed port or leaves 127.0.0.1.

pub mod upstream;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use upstream::{RawUpstream, TestCa, Upstream};

/// The runtime that serves the test upstreams; tests themselves stay synchronous
/// and call real clients as child processes.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        badreq::tls::install_crypto_provider();
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// A test CA, an API-like upstream and a folder, the usual start of a test.
pub struct Env {
    pub dir: TempDir,
    pub ca: TestCa,
    pub upstream: Upstream,
}

impl Env {
    pub fn new(name: &str) -> Env {
        let dir = TempDir::new(name);
        let ca = TestCa::new(dir.path());
        let upstream = runtime().block_on(Upstream::start(&ca));
        Env { dir, ca, upstream }
    }

    /// badreq in front of this upstream, with `extra` flags.
    pub fn badreq(&self, extra: &[&str]) -> Badreq {
        let mut args = proxy_args(self.dir.path(), &self.ca, self.upstream.addr);
        args.extend(extra.iter().map(|s| s.to_string()));
        Badreq::start(self.dir.path(), &args)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// badreq with a JSON-lines log in the test folder, and the log's path.
    pub fn badreq_logged(&self, extra: &[&str]) -> (Badreq, PathBuf) {
        let jsonl = self.path("log.jsonl");
        let mut args = vec!["--jsonl", jsonl.to_str().unwrap()];
        args.extend_from_slice(extra);
        (self.badreq(&args), jsonl)
    }
}

/// A fresh folder under the target dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `badreq` process, stopped (SIGINT, then kill) when dropped.
pub struct Badreq {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub certs: PathBuf,
    stderr: Arc<Mutex<Vec<String>>>,
}

/// The usual flags for a test proxy in front of `upstream`.
pub fn proxy_args(dir: &Path, ca: &TestCa, upstream: SocketAddr) -> Vec<String> {
    vec![
        "--certs".into(),
        dir.join("certs").display().to_string(),
        "--upstream-ca".into(),
        ca.ca_pem_path.display().to_string(),
        "--connect-to".into(),
        format!("api.anthropic.com:443:127.0.0.1:{}", upstream.port()),
        "--connect-to".into(),
        format!("blind.test:443:127.0.0.1:{}", upstream.port()),
    ]
}

impl Badreq {
    /// Starts badreq with `args` (plus `--listen 127.0.0.1:0`) and waits until it listens.
    pub fn start(dir: &Path, args: &[String]) -> Badreq {
        let mut command = Command::new(env!("CARGO_BIN_EXE_badreq"));
        command
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("starting badreq");
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("badreq listening on http://") {
                    let addr: SocketAddr = rest.split_whitespace().next().unwrap().parse().unwrap();
                    let _ = addr_tx.send(addr);
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = match addr_rx.recv_timeout(Duration::from_secs(20)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                panic!("badreq did not start; stderr: {:?}", lines.lock().unwrap());
            }
        };
        let certs = args
            .iter()
            .position(|a| a == "--certs")
            .map(|i| dir.join(&args[i + 1]))
            .unwrap_or_else(|| dir.join("certs"));
        Badreq {
            child: Some(child),
            addr,
            certs,
            stderr: lines,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ca_pem(&self) -> PathBuf {
        self.certs.join("ca.pem")
    }

    /// badreq's peak resident memory so far, in KiB (Linux `VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        let pid = self.child.as_ref().expect("running").id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status")
    }

    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits up to 10 s for a stderr line containing `needle`.
    pub fn wait_for_line(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(line) = self.stderr().into_iter().find(|l| l.contains(needle)) {
                return line;
            }
            assert!(
                Instant::now() < deadline,
                "no stderr line with {needle:?}; got {:#?}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGINT and waits (up to 20 s) for a clean exit; returns the exit status.
    pub fn interrupt(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("already stopped");
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                // Let the reader thread take the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("badreq did not stop after SIGINT");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Badreq {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs curl with `args`, never touching any proxy but the ones given.
pub fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "30",
            "--noproxy",
            "",
        ])
        .args(args)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .expect("curl must be installed (tests/run.sh installs it)")
}

/// Fails the test with the command's stderr unless it succeeded.
#[track_caller]
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// curl through `badreq` as an HTTPS proxy, trusting badreq's CA.
pub fn curl_via(badreq: &Badreq, args: &[&str]) -> Output {
    let url = badreq.url();
    let ca = badreq.ca_pem().display().to_string();
    let mut all = vec!["--proxy", url.as_str(), "--cacert", ca.as_str()];
    all.extend_from_slice(args);
    curl(&all)
}

/// The venv Python that has the official SDK of the given major version.
pub fn sdk_python(major: u32) -> PathBuf {
    let var = format!("BADREQ_TEST_PY{major}");
    let path = std::env::var_os(&var)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/py{major}/bin/python"))
        });
    assert!(
        path.exists(),
        "{} not found: run `bash tests/run.sh` (it installs the anthropic SDK {major}.x into a venv) or set {var}",
        path.display()
    );
    path
}

/// Runs `tests/e2e/<script>` with the SDK venv and `env`, returning stdout as JSON.
pub fn run_python(
    major: u32,
    script: &str,
    args: &[&str],
    env: &[(&str, String)],
) -> serde_json::Value {
    let script_path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e")
        .join(script);
    let mut command = Command::new(sdk_python(major));
    command.arg(&script_path).args(args);
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "REQUESTS_CA_BUNDLE",
    ] {
        command.env_remove(var);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("running python");
    assert!(
        output.status.success(),
        "{script} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{script} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Reads the complete lines of a JSON-lines file written by badreq (a line
/// still being written, without its newline, is left for the next read).
pub fn read_jsonl(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .map(|l| serde_json::from_str(l).expect("every JSONL line is JSON"))
        .collect()
}

/// Polls `read` until it returns at least `n` items (10 s at most).
pub fn wait_for<T>(n: usize, mut read: impl FnMut() -> Vec<T>) -> Vec<T> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let items = read();
        if items.len() >= n || Instant::now() > deadline {
            return items;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Shaped like a real key (108 characters), so no rule calls it truncated.
pub const TEST_KEY: &str = "sk-ant-api03-TESTKEYtestkeyTESTKEYtestkeyTESTKEYtestkeyTESTKEYtestkeyTESTKEYtestkeyTESTKEYtestkeyTESTKEYteAA";
