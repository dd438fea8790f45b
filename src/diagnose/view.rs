//! What the rules look at: a request (and maybe its response), parsed once.
//!
//! Built from a live [`Exchange`](crate::exchange::Exchange) or from a saved
//! file, so every rule works the same on traffic and offline.

use bytes::Bytes;
use serde_json::Value;

use crate::knowledge::{Endpoint, EndpointKind, Knowledge, Model, knowledge};

#[derive(Debug, Clone)]
pub struct RequestView {
    pub method: String,
    pub scheme: Option<String>,
    /// `None` when unknown (a raw body checked without `--url`).
    pub host: Option<String>,
    /// The port, when the URL gave one.
    pub port: Option<u16>,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case names, wire order.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub body_size: u64,
    /// Only part of the body is known (over the capture cap, or it broke off).
    pub body_truncated: bool,
    /// The parsed body, when it is complete JSON.
    pub json: Option<Value>,
    /// Why the body is not JSON (`None` when it is, or when it was not complete).
    pub json_error: Option<std::sync::Arc<serde_json::Error>>,
    /// The day whose API the request is judged by (YYYY-MM-DD).
    pub as_of: String,
    /// False for a bare body checked offline without `-H`: header rules stay silent.
    pub headers_known: bool,
    /// The endpoint the path names, looked up once (rules ask often).
    endpoint: Option<&'static Endpoint>,
}

#[derive(Debug, Clone)]
pub struct ResponseView {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// Made by badreq (502/504), not by the API.
    pub synthetic: bool,
}

impl ResponseView {
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::exchange::header_in(&self.headers, name)
    }
}

#[derive(Debug, Clone)]
pub struct ExchangeView {
    pub request: RequestView,
    pub response: Option<ResponseView>,
}

impl ExchangeView {
    pub fn from_exchange(exchange: &crate::exchange::Exchange) -> ExchangeView {
        let request = RequestView::new(
            exchange.request.method.as_str(),
            &exchange.request.url,
            exchange.request.head.headers.clone(),
            exchange.request.body.bytes.clone(),
            exchange.request.body.total_len,
            // A body that did not arrive whole is judged as incomplete.
            exchange.request.body.truncated
                || exchange.request.body.end != crate::tee::BodyEnd::Complete,
            day_of(exchange.started_at),
        );
        let response = exchange.response.as_ref().map(|r| ResponseView {
            status: r.status.as_u16(),
            headers: r.head.headers.clone(),
            body: r.body.bytes.clone(),
            synthetic: r.synthetic,
        });
        ExchangeView { request, response }
    }
}

/// `YYYY-MM-DD` (UTC) of a point in time.
pub fn day_of(at: std::time::SystemTime) -> String {
    let at = time::OffsetDateTime::from(at);
    format!(
        "{:04}-{:02}-{:02}",
        at.year(),
        u8::from(at.month()),
        at.day()
    )
}

/// Today, `YYYY-MM-DD` (UTC).
pub fn today() -> String {
    day_of(std::time::SystemTime::now())
}

impl RequestView {
    /// The view of a recorded request, judged by the API of the day it was sent.
    pub fn from_record(
        record: &crate::exchange::RequestRecord,
        sent: std::time::SystemTime,
    ) -> RequestView {
        RequestView::new(
            record.method.as_str(),
            &record.url,
            record.head.headers.clone(),
            record.body.bytes.clone(),
            record.body.total_len,
            // A body that did not arrive whole is judged as incomplete.
            record.body.truncated || record.body.end != crate::tee::BodyEnd::Complete,
            day_of(sent),
        )
    }

    /// `url` is absolute (`https://host/path?q`) or a bare path (host unknown).
    pub fn new(
        method: &str,
        url: &str,
        headers: Vec<(String, String)>,
        body: Bytes,
        body_size: u64,
        body_truncated: bool,
        as_of: String,
    ) -> RequestView {
        let (scheme, host, path, query) = split_url(url);
        let port = url
            .split_once("://")
            .and_then(|(_, rest)| rest.split('/').next())
            .and_then(|authority| authority.rsplit_once(':'))
            .and_then(|(_, port)| port.parse().ok());
        let headers = headers
            .into_iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v))
            .collect();
        let (json, json_error) = if body_truncated || body.is_empty() {
            (None, None)
        } else {
            match serde_json::from_slice::<Value>(&body) {
                Ok(value) => (Some(value), None),
                Err(e) => (None, Some(std::sync::Arc::new(e))),
            }
        };
        RequestView {
            method: method.to_ascii_uppercase(),
            scheme,
            host,
            port,
            path,
            query,
            headers,
            body,
            body_size,
            body_truncated,
            json,
            json_error,
            as_of,
            headers_known: true,
            endpoint: None,
        }
        .with_endpoint()
    }

    /// `scheme://host[:port]/path[?query]`, or the bare path when the host is unknown.
    pub fn url(&self) -> String {
        let mut url = match (&self.scheme, &self.host) {
            (Some(scheme), Some(host)) => match self.port {
                Some(port) => format!("{scheme}://{host}:{port}{}", self.path),
                None => format!("{scheme}://{host}{}", self.path),
            },
            _ => self.path.clone(),
        };
        if let Some(query) = &self.query {
            url.push('?');
            url.push_str(query);
        }
        url
    }

    pub fn knowledge(&self) -> &'static Knowledge {
        knowledge()
    }

    /// The first value of header `name` (names are stored lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::exchange::header_in(&self.headers, name)
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.header(name).is_some()
    }

    /// `anthropic-version`, trimmed.
    pub fn api_version(&self) -> Option<&str> {
        self.header("anthropic-version").map(str::trim)
    }

    /// Whether the version sent rejects temperature/top_p/top_k.
    pub fn sampling_rejected(&self) -> bool {
        self.api_version()
            .and_then(|v| knowledge().version(v))
            .is_some_and(|v| v.sampling_rejected)
    }

    pub fn bearer_api_keys(&self) -> bool {
        self.api_version()
            .and_then(|v| knowledge().version(v))
            .is_some_and(|v| v.bearer_api_keys)
    }

    /// The beta names sent in `anthropic-beta` (all headers, comma-separated).
    pub fn betas(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == "anthropic-beta")
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .collect()
    }

    /// Whether the request uses the beta namespace (`?beta=true` or any beta header).
    pub fn is_beta(&self) -> bool {
        self.query
            .as_deref()
            .is_some_and(|q| q.split('&').any(|p| p == "beta=true"))
            || !self.betas().is_empty()
    }

    pub fn endpoint(&self) -> Option<&'static Endpoint> {
        self.endpoint
    }

    fn with_endpoint(mut self) -> RequestView {
        self.endpoint = knowledge().endpoint(&self.path);
        self
    }

    pub fn kind(&self) -> Option<EndpointKind> {
        self.endpoint().map(|e| e.kind)
    }

    /// A Messages-shaped body: /v1/messages or count_tokens, or a cloud-provider path.
    pub fn is_messages_body(&self) -> bool {
        matches!(
            self.kind(),
            Some(EndpointKind::Messages | EndpointKind::CountTokens)
        ) || self.is_cloud_provider_path()
    }

    /// A Bedrock `InvokeModel` or Vertex AI `rawPredict` path.
    pub fn is_cloud_provider_path(&self) -> bool {
        (self.path.starts_with("/model/")
            && (self.path.ends_with("/invoke")
                || self.path.ends_with("/invoke-with-response-stream")))
            || self.path.ends_with(":rawPredict")
            || self.path.ends_with(":streamRawPredict")
    }

    pub fn is_anthropic_host(&self) -> bool {
        self.host.as_deref() == Some(knowledge().api.host.as_str())
    }

    /// Whether this looks like a call to the Anthropic API at all.
    pub fn is_api_traffic(&self) -> bool {
        let k = knowledge();
        match self.host.as_deref() {
            Some(host) if host == k.api.host => true,
            Some(host) if k.api.wrong_hosts.iter().any(|(h, _)| h == host) => true,
            _ => {
                self.has_header("anthropic-version")
                    || self
                        .header("x-api-key")
                        .is_some_and(|k| k.trim().starts_with("sk-ant-"))
                    || self.path.starts_with("/v1/messages")
                    || self.path.starts_with("/v1/complete")
                    || self.is_cloud_provider_path()
            }
        }
    }

    pub fn body_json(&self) -> Option<&Value> {
        self.json.as_ref()
    }

    /// The body's top-level object, when the endpoint takes a Messages body.
    pub fn messages_body(&self) -> Option<&serde_json::Map<String, Value>> {
        if !self.is_messages_body() {
            return None;
        }
        self.json.as_ref()?.as_object()
    }

    /// `max_tokens` of a Messages body, when it is a non-negative integer.
    pub fn max_tokens(&self) -> Option<u64> {
        self.messages_body()?.get("max_tokens")?.as_u64()
    }

    pub fn model_id(&self) -> Option<&str> {
        self.json.as_ref()?.get("model")?.as_str()
    }

    pub fn model(&self) -> Option<&'static Model> {
        knowledge().model(self.model_id()?)
    }

    /// `messages` as an array, when present and an array.
    pub fn messages(&self) -> Option<&Vec<Value>> {
        self.messages_body()?.get("messages")?.as_array()
    }

    /// Whether extended thinking is on (`enabled` or `adaptive`).
    pub fn thinking_on(&self) -> bool {
        self.messages_body()
            .and_then(|b| b.get("thinking"))
            .and_then(|t| t.get("type"))
            .and_then(Value::as_str)
            .is_some_and(|t| t == "enabled" || t == "adaptive")
    }
}

fn split_url(url: &str) -> (Option<String>, Option<String>, String, Option<String>) {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        None => (None, url),
    };
    let (host, path_and_query) = if scheme.is_some() {
        match rest.find('/') {
            Some(i) => (Some(&rest[..i]), &rest[i..]),
            None => (Some(rest), "/"),
        }
    } else {
        (None, rest)
    };
    let host = host.map(|h| {
        let h = h.rsplit('@').next().unwrap_or(h);
        let h = if h.starts_with('[') {
            h.split(']').next().unwrap_or(h).trim_start_matches('[')
        } else {
            h.split(':').next().unwrap_or(h)
        };
        h.to_ascii_lowercase()
    });
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (path_and_query.to_owned(), None),
    };
    let path = if path.is_empty() {
        "/".to_owned()
    } else {
        path
    };
    (scheme, host, path, query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls() {
        let r = RequestView::new(
            "post",
            "https://API.anthropic.com:443/v1/messages?beta=true",
            vec![],
            Bytes::new(),
            0,
            false,
            today(),
        );
        assert_eq!(r.host.as_deref(), Some("api.anthropic.com"));
        assert_eq!(r.path, "/v1/messages");
        assert!(r.is_beta());
        let r = RequestView::new(
            "POST",
            "/v1/complete",
            vec![],
            Bytes::new(),
            0,
            false,
            today(),
        );
        assert_eq!(r.host, None);
        assert_eq!(r.path, "/v1/complete");
    }
}
