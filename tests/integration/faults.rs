//! Faults get clear answers, are recorded, and never stop badreq serving others.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::{
    Badreq, Env, assert_success, curl, curl_via, proxy_args, read_jsonl, wait_for,
};

/// A plain request through badreq that must still work after a fault.
fn still_serves(badreq: &Badreq) {
    let out = curl_via(badreq, &["-d", "again", "https://api.anthropic.com/echo"]);
    assert!(
        out.status.success(),
        "badreq stopped serving: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A raw TCP connection to badreq that gives up reading after 10 s.
fn raw_connection(badreq: &Badreq) -> TcpStream {
    let stream = TcpStream::connect(badreq.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

fn body_json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn status_of(out: &std::process::Output) -> u16 {
    let text = String::from_utf8_lossy(&out.stdout);
    text.rsplit('\n').next().unwrap().trim().parse().unwrap()
}

#[test]
fn refused_upstream_gets_a_502_that_names_the_cause() {
    let env = Env::new("refused");
    let (badreq, jsonl) = env.badreq_logged(&["--upstream", "http://127.0.0.1:1"]);
    let out = curl(&[
        "-d",
        r#"{"model":"x"}"#,
        "-w",
        "\n%{http_code}",
        &format!("{}/v1/messages", badreq.url()),
    ]);
    assert_eq!(status_of(&out), 502);
    let text = String::from_utf8_lossy(&out.stdout);
    let body: serde_json::Value = serde_json::from_str(text.rsplit_once('\n').unwrap().0).unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "badreq_upstream_refused");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("refused") && message.contains("--upstream"),
        "says what to check: {message}"
    );
    let records = wait_for(1, || read_jsonl(&jsonl));
    assert_eq!(records[0]["failure"]["kind"], "upstream_refused");
    assert_eq!(records[0]["response"]["synthetic"], true);
    // The request body the upstream never took is still in the record.
    assert_eq!(records[0]["request"]["body"]["text"], r#"{"model":"x"}"#);
    still_serves(&badreq);
}

#[test]
fn upstream_reset_mid_body_gets_a_502() {
    let env = Env::new("reset");
    let badreq = env.badreq(&[]);
    let big = vec![b'x'; 4 * 1024 * 1024];
    let upload = env.path("big.bin");
    std::fs::write(&upload, &big).unwrap();
    let out = curl_via(
        &badreq,
        &[
            "--data-binary",
            &format!("@{}", upload.display()),
            "-w",
            "\n%{http_code}",
            "https://api.anthropic.com/reset-mid-body",
        ],
    );
    assert_eq!(
        status_of(&out),
        502,
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("badreq_upstream_closed"));
    still_serves(&badreq);
}

#[test]
fn untrusted_upstream_certificate_gets_a_502() {
    let env = Env::new("untrusted");
    // No --upstream-ca: the test upstream's CA is not trusted.
    let args: Vec<String> = proxy_args(env.dir.path(), &env.ca, env.upstream.addr)
        .into_iter()
        .filter(|a| a != "--upstream-ca" && !a.ends_with("test-upstream-ca.pem"))
        .collect();
    assert!(!args.iter().any(|a| a.ends_with("test-upstream-ca.pem")));
    let badreq = Badreq::start(env.dir.path(), &args);
    let out = curl_via(
        &badreq,
        &["-d", "{}", "https://api.anthropic.com/v1/messages"],
    );
    let body = body_json(&out);
    assert_eq!(body["error"]["type"], "badreq_upstream_tls");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("certificate"), "{message}");
}

#[test]
fn stalled_upstream_gets_a_504() {
    let env = Env::new("stall");
    let badreq = env.badreq(&["--response-timeout", "1"]);
    let out = curl_via(
        &badreq,
        &["-w", "\n%{http_code}", "https://api.anthropic.com/stall"],
    );
    assert_eq!(status_of(&out), 504);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no response head within 1s"));
    still_serves(&badreq);
}

#[test]
fn response_broken_off_mid_body_is_recorded() {
    let env = Env::new("truncate");
    let (badreq, jsonl) = env.badreq_logged(&[]);
    let out = curl_via(&badreq, &["https://api.anthropic.com/truncate"]);
    assert!(
        !out.status.success(),
        "the client must see the body break off: {:?} {:?} {:#?}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        badreq.stderr()
    );
    let records = wait_for(1, || read_jsonl(&jsonl));
    assert_eq!(records[0]["failure"]["kind"], "upstream_body_failed");
    assert_eq!(records[0]["response"]["body"]["text"], "0123456789");
    still_serves(&badreq);
}

#[test]
fn plain_http_inside_an_intercepted_tunnel_gets_a_400_with_a_reason() {
    let env = Env::new("not-tls");
    let (badreq, jsonl) = env.badreq_logged(&[]);
    let mut stream = raw_connection(&badreq);
    stream
        .write_all(b"CONNECT api.anthropic.com:443 HTTP/1.1\r\nHost: api.anthropic.com:443\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = stream.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    stream
        .write_all(b"GET /v1/models HTTP/1.1\r\nHost: api.anthropic.com\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("expects TLS"), "{answer}");
    let records = wait_for(1, || read_jsonl(&jsonl));
    assert_eq!(records[0]["kind"], "connection");
    assert_eq!(records[0]["failure"]["kind"], "client_not_tls");
    assert_eq!(records[0]["failure"]["side"], "client");
    still_serves(&badreq);
}

#[test]
fn malformed_http_is_refused_and_recorded() {
    let env = Env::new("malformed");
    let (badreq, jsonl) = env.badreq_logged(&[]);
    let mut stream = raw_connection(&badreq);
    stream
        .write_all(b"THIS IS NOT HTTP\x00\x01\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
    let records = wait_for(1, || read_jsonl(&jsonl));
    assert_eq!(records[0]["failure"]["kind"], "malformed_http");
    still_serves(&badreq);
}

#[test]
fn ctrl_c_lets_in_flight_exchanges_finish_and_flushes_the_log() {
    let env = Env::new("shutdown");
    let (mut badreq, jsonl) = env.badreq_logged(&[]);
    let url = badreq.url();
    let ca = badreq.ca_pem();
    let slow = std::thread::spawn(move || {
        curl(&[
            "--proxy",
            &url,
            "--cacert",
            ca.to_str().unwrap(),
            "https://api.anthropic.com/slow",
        ])
    });
    // Interrupt once the slow request has reached the upstream.
    wait_for(1, || env.upstream.log.all());
    let status = badreq.interrupt();
    assert!(status.success(), "badreq exited with {status}");
    let out = slow.join().unwrap();
    assert_success(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "slow but fine");
    let records = read_jsonl(&jsonl);
    assert_eq!(records.len(), 1, "the in-flight exchange is in the log");
    assert_eq!(records[0]["response"]["status"], 200);
    assert!(
        badreq
            .stderr()
            .iter()
            .any(|l| l.starts_with("badreq stopped: 1 exchanges"))
    );
}

#[test]
fn a_client_that_rejects_badreqs_certificate_is_told_how_to_trust_it() {
    let env = Env::new("untrusting-client");
    let (badreq, jsonl) = env.badreq_logged(&[]);
    // No --cacert: curl does not trust badreq's CA and aborts the handshake.
    let out = curl(&[
        "--proxy",
        &badreq.url(),
        "https://api.anthropic.com/v1/models",
    ]);
    assert!(!out.status.success());
    let records = wait_for(1, || read_jsonl(&jsonl));
    assert_eq!(records[0]["failure"]["kind"], "client_rejected_certificate");
    let message = records[0]["failure"]["message"].as_str().unwrap();
    assert!(message.contains("curl/"), "names the client: {message}");
    assert!(
        message.contains("--cacert"),
        "says how to trust the CA: {message}"
    );
    badreq.wait_for_line("client_rejected_certificate");
    still_serves(&badreq);
}

#[test]
fn a_client_without_sni_is_served_and_noted() {
    let env = Env::new("no-sni");
    let (badreq, jsonl) = env.badreq_logged(&["--intercept", "127.0.0.1"]);
    // curl sends no SNI for an IP address.
    let out = curl_via(
        &badreq,
        &[
            "-d",
            "ip",
            &format!("https://127.0.0.1:{}/echo", env.upstream.addr.port()),
        ],
    );
    assert_success(&out);
    let records = wait_for(2, || read_jsonl(&jsonl));
    let notice = records
        .iter()
        .find(|r| r["kind"] == "connection")
        .expect("a notice record");
    assert_eq!(notice["notice"]["kind"], "client_no_sni");
    assert!(
        records
            .iter()
            .any(|r| r["kind"] == "exchange" && r["response"]["status"] == 200)
    );
}
