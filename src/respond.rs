//! Responses badreq makes itself, when the upstream cannot answer.
//!
//! They use the API's own error envelope so that SDKs surface the message, and
//! mark it as badreq's twice: `error.type` starts with `badreq_` and an
//! `x-badreq-error` header carries the stable kind.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Empty, Full};

use crate::error::ProxyError;
use crate::forward::ProxyBody;

/// The header naming the kind of failure on every response badreq makes.
pub const ERROR_HEADER: &str = "x-badreq-error";

/// A 502/504/400 for `error`, and the body bytes it carries (for the record).
pub fn proxy_error(error: &ProxyError) -> (Response<ProxyBody>, Bytes) {
    let body = serde_json::json!({
        "type": "error",
        "error": {
            "type": format!("badreq_{}", error.kind()),
            "message": format!("badreq: {}", error.describe()),
        },
        "badreq": {
            "side": error.side(),
            "kind": error.kind(),
        },
    });
    let bytes = Bytes::from(body.to_string());
    let mut response = Response::new(full(bytes.clone()));
    *response.status_mut() = error.status();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(kind) = HeaderValue::from_str(error.kind()) {
        headers.insert(ERROR_HEADER, kind);
    }
    (response, bytes)
}

/// A plain-text answer to a request badreq cannot forward.
pub fn bad_request(reason: &str) -> Response<ProxyBody> {
    let mut response = Response::new(full(Bytes::from(format!("badreq: {reason}\n"))));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(ERROR_HEADER, HeaderValue::from_static("bad_request"));
    response
}

/// The `200` that opens a CONNECT tunnel.
pub fn tunnel_established() -> Response<ProxyBody> {
    Response::new(empty())
}

pub fn full(bytes: Bytes) -> ProxyBody {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

pub fn empty() -> ProxyBody {
    Empty::<Bytes>::new()
        .map_err(|never| match never {})
        .boxed()
}
