//! Pass-through is byte-exact: bodies, header order and case, HTTP/2, tunnels.

use crate::support::{
    self, Badreq, Env, RawUpstream, assert_success, curl, curl_via, read_jsonl, upstream, wait_for,
};

fn proxy_flag(badreq: &Badreq) -> String {
    badreq.url()
}

#[test]
fn large_bodies_cross_unchanged_through_the_intercepted_tunnel() {
    let env = Env::new("large-bodies");
    let (badreq, jsonl) = env.badreq_logged(&[]);
    let upload = env.path("upload.bin");
    let data = upstream::pattern(10 * 1024 * 1024);
    std::fs::write(&upload, &data).unwrap();

    let out = curl(&[
        "--proxy",
        &proxy_flag(&badreq),
        "--cacert",
        badreq.ca_pem().to_str().unwrap(),
        "--data-binary",
        &format!("@{}", upload.display()),
        "-H",
        "content-type: application/octet-stream",
        "https://api.anthropic.com/echo",
    ]);
    assert_success(&out);
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["len"], data.len());
    assert_eq!(
        answer["sha256"],
        upstream::sha256_hex(&data),
        "upload hash differs upstream"
    );

    let download = env.path("download.bin");
    let out = curl(&[
        "--proxy",
        &proxy_flag(&badreq),
        "--cacert",
        badreq.ca_pem().to_str().unwrap(),
        "-D",
        "-",
        "-o",
        download.to_str().unwrap(),
        "https://api.anthropic.com/download?bytes=1048576",
    ]);
    assert_success(&out);
    let headers = String::from_utf8_lossy(&out.stdout).to_lowercase();
    let got = std::fs::read(&download).unwrap();
    assert_eq!(got.len(), 1024 * 1024);
    let expected = format!("x-sha256: {}", upstream::sha256_hex(&got));
    assert!(
        headers.contains(&expected),
        "download hash differs: {headers}"
    );

    let records = wait_for(2, || read_jsonl(&jsonl));
    let upload_record = records
        .iter()
        .find(|r| r["request"]["url"].as_str().unwrap().ends_with("/echo"))
        .unwrap();
    assert_eq!(upload_record["mode"], "intercept");
    assert_eq!(upload_record["request"]["body"]["size"], 10 * 1024 * 1024);
    assert_eq!(
        upload_record["request"]["body"]["captured"],
        8 * 1024 * 1024,
        "capture is capped"
    );
    assert_eq!(upload_record["request"]["body"]["truncated"], true);
}

#[test]
fn end_to_end_headers_keep_their_order_and_case() {
    let env = Env::new("header-case");
    let raw = support::runtime().block_on(RawUpstream::start(&env.ca));
    let args = vec![
        "--certs".to_string(),
        "certs".into(),
        "--upstream-ca".into(),
        env.ca.ca_pem_path.display().to_string(),
        "--connect-to".into(),
        format!("api.anthropic.com:443:127.0.0.1:{}", raw.addr.port()),
    ];
    let badreq = Badreq::start(env.dir.path(), &args);
    let out = curl(&[
        "--http1.1",
        "-v",
        "--proxy",
        &badreq.url(),
        "--cacert",
        badreq.ca_pem().to_str().unwrap(),
        "-H",
        "X-Custom-First: 1",
        "-H",
        "anthropic-version: 2023-06-01",
        "-H",
        "X-Api-Key: sk-ant-api03-abc",
        "-H",
        "Content-Type: application/json",
        "-H",
        "x-lower-last: z",
        "-H",
        "Connection: keep-alive, X-Hop",
        "-H",
        "X-Hop: dropped",
        "-d",
        "{}",
        "-D",
        "-",
        "https://api.anthropic.com/v1/messages",
    ]);
    assert_success(&out);
    // What curl sent inside the tunnel, in order, from its trace.
    let trace = String::from_utf8_lossy(&out.stderr);
    let sent: Vec<String> = trace
        .lines()
        .skip_while(|l| !l.starts_with("> POST /v1/messages"))
        .skip(1)
        .take_while(|l| l.starts_with("> ") && l.len() > 2)
        .map(|l| l[2..].trim_end().to_owned())
        .filter(|l| !l.starts_with("Connection:") && !l.starts_with("X-Hop:"))
        .collect();
    assert!(sent.len() >= 7, "could not read curl's trace: {trace}");
    let heads = raw.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    let arrived: Vec<String> = heads[0].lines().skip(1).map(str::to_owned).collect();
    assert_eq!(
        arrived, sent,
        "headers upstream differ in order, case or value"
    );
    assert!(heads[0].starts_with("POST /v1/messages HTTP/1.1"));
    // The response side keeps the upstream's case too.
    assert!(String::from_utf8_lossy(&out.stdout).contains("X-Upstream-Case: Kept"));
}

#[test]
fn http2_is_served_inside_the_tunnel() {
    let env = Env::new("http2");
    let badreq = env.badreq(&[]);
    let out = curl(&[
        "--http2",
        "--proxy",
        &badreq.url(),
        "--cacert",
        badreq.ca_pem().to_str().unwrap(),
        "-w",
        "\n%{http_version}",
        "-d",
        "hello",
        "https://api.anthropic.com/echo",
    ]);
    assert_success(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.ends_with("\n2"),
        "curl did not speak HTTP/2 to badreq: {text}"
    );
    assert!(text.contains(&upstream::sha256_hex(b"hello")));
}

#[test]
fn hosts_not_intercepted_are_tunnelled_blind() {
    let env = Env::new("blind");
    let badreq = env.badreq(&[]);
    // Only the upstream's own certificate validates against the test CA.
    let out = curl(&[
        "--proxy",
        &badreq.url(),
        "--cacert",
        env.ca.ca_pem_path.to_str().unwrap(),
        "-d",
        "through",
        "https://blind.test/echo",
    ]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&upstream::sha256_hex(b"through")));
    // badreq's CA does not sign for blind.test: it never minted a leaf there.
    let out = curl_via(&badreq, &["https://blind.test/echo"]);
    assert!(
        !out.status.success(),
        "a blind tunnel must not present badreq's certificate"
    );
    badreq.wait_for_line("tunnel blind.test:443 (not intercepted)");
}

#[test]
fn absolute_form_http_requests_are_forwarded() {
    let env = Env::new("absolute-form");
    let (plain, log) = support::runtime().block_on(upstream::start_plain());
    let badreq = env.badreq(&[]);
    let out = curl(&[
        "--proxy",
        &badreq.url(),
        "-d",
        "plain",
        &format!("http://127.0.0.1:{}/echo", plain.port()),
    ]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&upstream::sha256_hex(b"plain")));
    let seen = log.all();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("host"),
        Some(format!("127.0.0.1:{}", plain.port()).as_str())
    );
    assert!(seen[0].header("proxy-connection").is_none());
}

#[test]
fn base_url_mode_forwards_to_the_configured_upstream() {
    let env = Env::new("base-url");
    let badreq = env.badreq(&[]);
    let out = curl(&[
        "-H",
        "anthropic-version: 2023-06-01",
        "-H",
        "content-type: application/json",
        "-d",
        r#"{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#,
        &format!("{}/v1/messages", badreq.url()),
    ]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Hello from the test upstream"));
    let seen = env.upstream.log.all();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/messages");
    let host = seen[0].header("host").map(str::to_owned);
    // HTTP/2 carries the host as :authority; HTTP/1.1 as Host. Either names the upstream.
    assert!(
        host.is_none() || host.as_deref() == Some("api.anthropic.com"),
        "{host:?}"
    );
}

#[test]
fn absolute_form_for_badreq_itself_is_base_url_mode() {
    let env = Env::new("absolute-self");
    let badreq = env.badreq(&[]);
    // HTTP_PROXY and a base URL both pointing at badreq: the request names badreq.
    let out = curl(&[
        "--proxy",
        &badreq.url(),
        "-H",
        "anthropic-version: 2023-06-01",
        "-d",
        "{}",
        &format!("{}/v1/messages", badreq.url()),
    ]);
    assert_success(&out);
    assert_eq!(
        env.upstream.log.all().len(),
        1,
        "forwarded to the upstream, not looped"
    );
}

#[test]
fn predictions_are_shown_before_a_slow_answer_arrives() {
    let env = Env::new("preflight");
    let badreq = env.badreq(&[]);
    // A streamed answer takes about two seconds; the request alone shows its fault.
    let url = format!("{}/v1/messages", badreq.url());
    let streaming = std::thread::spawn(move || {
        curl(&[
            "-H",
            "anthropic-version: 2023-06-01",
            "-H",
            "content-type: application/json",
            "-d",
            r#"{"model":"claude-sonnet-4-6","max_tokens":10,"stream":true,"temperature":0.5,"top_p":0.9,"messages":[{"role":"user","content":"hi"}]}"#,
            &url,
        ])
    });
    let early = badreq.wait_for_line("awaiting the response; predicted:");
    assert!(early.contains("#1 POST"), "{early}");
    assert!(
        env.upstream.log.all().len() == 1
            && !badreq
                .stderr()
                .iter()
                .any(|l| l.contains("stream (first event")),
        "printed before the stream ended"
    );
    let out = streaming.join().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("message_stop"));
    // The test upstream accepts it, so the prediction is shown as contradicted.
    badreq.wait_for_line("sampling-temperature-and-top-p /top_p (contradicted");
}

#[test]
fn thirty_mib_bodies_stream_without_being_held_whole() {
    const SIZE: usize = 30 * 1024 * 1024;
    let env = Env::new("thirty-mib");
    // A 1 MiB capture copy, so that what remains is the streaming itself.
    let config = env.path("small-capture.toml");
    std::fs::write(&config, "capture_limit_bytes = 1048576\n").unwrap();
    let badreq = env.badreq(&["--config", config.to_str().unwrap()]);
    let upload = env.path("upload.bin");
    std::fs::write(&upload, upstream::pattern(SIZE)).unwrap();
    let out = curl_via(
        &badreq,
        &[
            "--data-binary",
            &format!("@{}", upload.display()),
            "https://api.anthropic.com/echo",
        ],
    );
    assert_success(&out);
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["len"], SIZE);
    let download = env.path("download.bin");
    let out = curl_via(
        &badreq,
        &[
            "-o",
            download.to_str().unwrap(),
            &format!("https://api.anthropic.com/download?bytes={SIZE}"),
        ],
    );
    assert_success(&out);
    assert_eq!(std::fs::metadata(&download).unwrap().len(), SIZE as u64);
    // Holding either body whole would put 30 MiB on top of badreq's own memory
    // and its 1 MiB capture copy; streaming stays far below that.
    let peak = badreq.peak_rss_kib();
    eprintln!("badreq peak RSS while moving 30 MiB each way: {peak} KiB");
    assert!(
        peak < 40 * 1024,
        "badreq peaked at {peak} KiB while moving 30 MiB bodies"
    );
}
