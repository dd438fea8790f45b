//! `badreq run -- CMD` around a script that uses the official SDK, as a CI job runs it.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Env, TEST_KEY, read_jsonl, sdk_python};

/// `badreq run` with the test upstream behind it and `extra` flags, running `cmd`.
fn run_command<S: AsRef<std::ffi::OsStr>>(env: &Env, extra: &[&str], cmd: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_badreq"));
    command
        .arg("run")
        .args(crate::support::proxy_args(
            env.dir.path(),
            &env.ca,
            env.upstream.addr,
        ))
        .args(extra)
        .arg("--")
        .args(cmd)
        .current_dir(env.dir.path())
        .env("ANTHROPIC_API_KEY", TEST_KEY)
        .env("NO_COLOR", "1");
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "SSL_CERT_FILE",
        "ANTHROPIC_BASE_URL",
    ] {
        command.env_remove(var);
    }
    command
}

/// The command line that runs tests/e2e/sdk_run.py in `mode` with the 2.x SDK.
fn sdk_run(mode: &str) -> Vec<String> {
    vec![
        sdk_python(2).display().to_string(),
        script("sdk_run.py"),
        mode.to_owned(),
    ]
}

fn script(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e")
        .join(name)
        .display()
        .to_string()
}

fn har_summary(path: &Path) -> Value {
    let output = Command::new(sdk_python(2))
        .arg(script("har_check.py"))
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "HAR check failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn describe(output: &Output) -> String {
    format!(
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn run_captures_every_exchange_and_fails_on_diagnosed_errors() {
    let env = Env::new("run-capture");
    let (har, jsonl, junit) = (env.path("t.har"), env.path("t.jsonl"), env.path("t.xml"));
    let output = run_command(
        &env,
        &[
            "--har",
            har.to_str().unwrap(),
            "--jsonl",
            jsonl.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
        &sdk_run("two"),
    )
    .output()
    .unwrap();
    assert_eq!(
        output.status.code(),
        Some(3),
        "--fail-on error is met: {}",
        describe(&output)
    );
    let seen = env.upstream.log.all();
    assert_eq!(seen.len(), 2, "the upstream saw both requests");
    let records = read_jsonl(&jsonl);
    assert_eq!(records.len(), seen.len(), "JSONL holds every exchange");
    let har_view = har_summary(&har);
    let entries = har_view["entries"].as_array().unwrap();
    assert_eq!(entries.len(), seen.len(), "HAR holds every exchange");
    assert_eq!(entries[1]["status"], 400);
    assert!(
        entries[1]["diagnoses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "messages-empty-text-block")
    );
    for file in [&har, &jsonl, &junit] {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(
            !text.contains(TEST_KEY),
            "{} holds the unredacted key",
            file.display()
        );
    }
    let junit_text = std::fs::read_to_string(&junit).unwrap();
    assert!(
        junit_text.contains("tests=\"2\" failures=\"1\""),
        "{junit_text}"
    );
    assert!(
        junit_text.contains("<failure type=\"messages-empty-text-block\""),
        "{junit_text}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("badreq summary"), "{stderr}");
    assert!(stderr.contains("400: 1"), "{stderr}");
    assert!(stderr.contains("messages-empty-text-block"), "{stderr}");
}

#[test]
fn fail_on_never_returns_the_childs_code() {
    let env = Env::new("run-never");
    let output = run_command(&env, &["--fail-on", "never"], &sdk_run("two"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let output = run_command(&env, &["--fail-on", "never"], &["sh", "-c", "exit 7"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(7));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no exchange reached badreq"), "{stderr}");
}

#[test]
fn a_child_killed_by_a_signal_leaves_complete_files() {
    let env = Env::new("run-killed");
    let (har, jsonl) = (env.path("k.har"), env.path("k.jsonl"));
    // The script makes one request, then the shell kills it with SIGKILL.
    let shell = format!(
        "{} sleep & sleep 0; while [ \"$(cat {} 2>/dev/null | wc -l)\" -lt 1 ]; do sleep 0.05; done; kill -KILL $!; wait $!",
        sdk_run("sleep")[..2].join(" "),
        jsonl.display()
    );
    let output = run_command(
        &env,
        &[
            "--har",
            har.to_str().unwrap(),
            "--jsonl",
            jsonl.to_str().unwrap(),
            "--fail-on",
            "never",
        ],
        &["sh", "-c", &shell],
    )
    .output()
    .unwrap();
    assert_eq!(
        output.status.code(),
        Some(137),
        "the child's signal death is passed on: {}",
        describe(&output)
    );
    assert_eq!(read_jsonl(&jsonl).len(), 1);
    assert_eq!(har_summary(&har)["entries"].as_array().unwrap().len(), 1);
}

#[test]
fn ctrl_c_to_badreq_reaches_the_child_and_files_stay_valid() {
    let env = Env::new("run-ctrl-c");
    let (har, jsonl) = (env.path("c.har"), env.path("c.jsonl"));
    let mut child = run_command(
        &env,
        &[
            "--har",
            har.to_str().unwrap(),
            "--jsonl",
            jsonl.to_str().unwrap(),
        ],
        &sdk_run("sleep"),
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while read_jsonl(&jsonl).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the script's request never arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = wait_with_deadline(&mut child, Duration::from_secs(20));
    assert_ne!(
        output.status.code(),
        Some(0),
        "the interrupted child failed: {}",
        describe(&output)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("badreq summary"));
    assert_eq!(read_jsonl(&jsonl).len(), 1);
    assert_eq!(har_summary(&har)["entries"].as_array().unwrap().len(), 1);
}

fn wait_with_deadline(child: &mut std::process::Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("badreq run did not stop after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    Output {
        status: child.wait().unwrap(),
        stdout,
        stderr,
    }
}
