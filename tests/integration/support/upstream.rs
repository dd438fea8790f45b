//! A TLS test upstream that answers like the Anthropic API, plus test-only routes.
//!
//! It presents a certificate for `api.anthropic.com`, `blind.test`, `localhost`
//! and `127.0.0.1`, signed by its own test CA, speaks HTTP/1.1 and HTTP/2, and
//! records every request it sees so tests can compare both sides.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

pub type TestBody = BoxBody<Bytes, std::io::Error>;

/// A CA of the test suite's own, and a leaf for the test hosts.
pub struct TestCa {
    pub ca_pem_path: PathBuf,
    chain: Vec<CertificateDer<'static>>,
    key_der: Vec<u8>,
}

impl TestCa {
    pub fn new(dir: &Path) -> TestCa {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::default();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "badreq test upstream CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let names = ["api.anthropic.com", "blind.test", "localhost", "127.0.0.1"];
        let mut leaf_params =
            CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap();
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "test upstream");
        leaf_params.use_authority_key_identifier_extension = true;
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        let ca_pem_path = dir.join("test-upstream-ca.pem");
        std::fs::write(&ca_pem_path, ca_cert.pem()).unwrap();
        TestCa {
            ca_pem_path,
            chain: vec![leaf.der().clone(), ca_cert.der().clone()],
            key_der: leaf_key.serialize_der(),
        }
    }

    pub fn server_config(&self, alpn: &[&[u8]]) -> Arc<ServerConfig> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let mut config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), key)
            .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}

/// What the upstream saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<Seen>>>);

impl Log {
    pub fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }
}

/// The API-like upstream (HTTP/1.1 + HTTP/2 over TLS).
pub struct Upstream {
    pub addr: SocketAddr,
    pub log: Log,
}

impl Upstream {
    pub async fn start(ca: &TestCa) -> Upstream {
        let log = Log::default();
        let task_log = log.clone();
        let addr = serve_tls(ca.server_config(&[b"h2", b"http/1.1"]), move |tls| {
            let log = task_log.clone();
            async move {
                let service = service_fn(move |req| answer(req, log.clone()));
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            }
        })
        .await;
        Upstream { addr, log }
    }
}

/// Listens on an ephemeral loopback port and hands each TLS connection to `serve`.
async fn serve_tls<F, Fut>(config: Arc<ServerConfig>, serve: F) -> SocketAddr
where
    F: Fn(tokio_rustls::server::TlsStream<tokio::net::TcpStream>) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let serve = serve.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    serve(tls).await;
                }
            });
        }
    });
    addr
}

/// The same routes over plain HTTP/1.1, for `HTTP_PROXY` tests.
pub async fn start_plain() -> (SocketAddr, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Log::default();
    let task_log = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let log = task_log.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| answer(req, log.clone()));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    (addr, log)
}

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Deterministic test bytes.
pub fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

pub fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<TestBody> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("request-id", "req_011CTestUpstream0000000001")
        .body(
            Full::new(body.into())
                .map_err(|never| match never {})
                .boxed(),
        )
        .unwrap()
}

/// The API's error envelope, verbatim in shape.
pub fn api_error(status: StatusCode, kind: &str, message: &str) -> Response<TestBody> {
    let body = json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_011CTestUpstream0000000001",
    });
    let mut response = full(status, "application/json", body.to_string());
    response
        .headers_mut()
        .insert("x-should-retry", "false".parse().unwrap());
    response
}

async fn answer(req: Request<Incoming>, log: Log) -> Result<Response<TestBody>, std::io::Error> {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let (_, mut body) = req.into_parts();
    if path == "/reset-mid-body" {
        // Take one frame, then drop the connection without an answer.
        let _ = body.frame().await;
        return Err(std::io::Error::other("test upstream resets mid-body"));
    }
    let bytes = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    log.0.lock().unwrap().push(Seen {
        path: path.clone(),
        headers: headers.clone(),
    });
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    Ok(match path.as_str() {
        "/echo" => full(
            StatusCode::OK,
            "application/json",
            json!({"len": bytes.len(), "sha256": sha256_hex(&bytes)}).to_string(),
        ),
        "/download" => {
            let len = query
                .strip_prefix("bytes=")
                .and_then(|n| n.parse().ok())
                .unwrap_or(1024);
            let data = pattern(len);
            let mut response = full(StatusCode::OK, "application/octet-stream", data.clone());
            response
                .headers_mut()
                .insert("x-sha256", sha256_hex(&data).parse().unwrap());
            response
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_millis(800)).await;
            full(StatusCode::OK, "text/plain", "slow but fine")
        }
        "/stall" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            full(StatusCode::OK, "text/plain", "too late")
        }
        "/truncate" => {
            // The head and ten bytes go out; then the body breaks off.
            let (tx, rx) = tokio::sync::mpsc::channel(2);
            tokio::spawn(async move {
                let _ = tx
                    .send(Ok(Frame::data(Bytes::from_static(b"0123456789"))))
                    .await;
                tokio::time::sleep(Duration::from_millis(200)).await;
                let _ = tx
                    .send(Err(std::io::Error::other("test upstream breaks off")))
                    .await;
            });
            Response::builder()
                .header("content-length", "1000")
                .body(ChannelBody(rx).boxed())
                .unwrap()
        }
        "/v1/messages" | "/v1/messages/count_tokens" => {
            messages(&bytes, header("anthropic-version"))
        }
        _ => api_error(StatusCode::NOT_FOUND, "not_found_error", "Not Found"),
    })
}

/// A small, honest imitation of POST /v1/messages.
fn messages(body: &[u8], version: Option<String>) -> Response<TestBody> {
    if version.is_none() {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "anthropic-version: header is required",
        );
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "There was an error parsing the body of your request.",
        );
    };
    let model = request["model"].as_str().unwrap_or("").to_owned();
    if model.is_empty() || model.starts_with("claude-2") || model.contains('.') {
        return api_error(
            StatusCode::NOT_FOUND,
            "not_found_error",
            &format!("model: {model}"),
        );
    }
    if let Some(messages) = request["messages"].as_array() {
        for message in messages {
            if let Some(blocks) = message["content"].as_array() {
                for block in blocks {
                    if block["type"] == "text" && block["text"] == "" {
                        return api_error(
                            StatusCode::BAD_REQUEST,
                            "invalid_request_error",
                            "messages: text content blocks must be non-empty",
                        );
                    }
                }
            }
        }
    }
    if request["stream"] == true {
        return sse(&model);
    }
    let message = json!({
        "id": "msg_01TestUpstream",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": "Hello from the test upstream."}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": 10, "output_tokens": 7},
    });
    full(StatusCode::OK, "application/json", message.to_string())
}

/// Gap between SSE events; long enough that buffering anywhere would show.
pub const SSE_GAP: Duration = Duration::from_millis(400);

/// A streamed message whose events go out `SSE_GAP` apart; each event carries
/// the upstream's send time in `sent_at` so the client can check arrival order.
fn sse(model: &str) -> Response<TestBody> {
    let model = model.to_owned();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(4);
    tokio::spawn(async move {
        let events = [
            (
                "message_start",
                json!({"type":"message_start","message":{"id":"msg_01TestStream","type":"message","role":"assistant","model":model,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}),
            ),
            (
                "content_block_start",
                json!({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}),
            ),
            (
                "content_block_delta",
                json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}),
            ),
            (
                "content_block_delta",
                json!({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" world"}}),
            ),
            (
                "content_block_stop",
                json!({"type":"content_block_stop","index":0}),
            ),
            (
                "message_delta",
                json!({"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}),
            ),
            ("message_stop", json!({"type":"message_stop"})),
        ];
        for (i, (name, mut data)) in events.into_iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(SSE_GAP).await;
            }
            data["sent_at"] = json!(now_secs());
            let chunk = format!("event: {name}\ndata: {data}\n\n");
            if tx.send(Ok(Frame::data(Bytes::from(chunk)))).await.is_err() {
                return;
            }
        }
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("request-id", "req_011CTestUpstreamStream00001")
        .body(ChannelBody(rx).boxed())
        .unwrap()
}

/// A body fed by a channel, frame by frame.
pub struct ChannelBody(tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, std::io::Error>>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx)
    }
}

/// A raw TLS upstream (HTTP/1.1 only) that keeps the exact bytes of each request
/// head, to check header order and letter case on the wire.
pub struct RawUpstream {
    pub addr: SocketAddr,
    pub heads: Arc<Mutex<Vec<String>>>,
}

impl RawUpstream {
    pub async fn start(ca: &TestCa) -> RawUpstream {
        let heads = Arc::new(Mutex::new(Vec::new()));
        let task_heads = heads.clone();
        let addr = serve_tls(ca.server_config(&[b"http/1.1"]), move |mut tls| {
            let heads = task_heads.clone();
            async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match tls.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
            heads
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..end]).into_owned());
            let body = b"{\"ok\":true}";
            let response = format!(
                "HTTP/1.1 200 OK\r\nX-Upstream-Case: Kept\r\ncontent-type: application/json\r\nContent-Length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = tls.write_all(response.as_bytes()).await;
            let _ = tls.write_all(body).await;
            let _ = tls.shutdown().await;
            }
        })
        .await;
        RawUpstream { addr, heads }
    }
}
