//! The only header changes a proxy must make: hop-by-hop fields go, and in
//! base-URL mode `Host` names the upstream.

use http::Uri;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

/// Headers that describe one hop only and must not be forwarded (RFC 9110 §7.6.1).
pub(super) fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in [
        header::CONNECTION,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(name);
    }
}

/// In base-URL mode the client addressed badreq, so `Host` must name the upstream.
pub(super) fn retarget_host(headers: &mut HeaderMap, target: &Uri) {
    let Some(authority) = target.authority() else {
        return;
    };
    let host = match (target.scheme_str(), authority.port_u16()) {
        (Some("https"), Some(443)) | (Some("http"), Some(80)) => authority.host().to_owned(),
        _ => authority.as_str().to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&host) {
        headers.insert(header::HOST, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_go_and_order_stays() {
        let mut headers = HeaderMap::new();
        headers.insert("x-first", HeaderValue::from_static("1"));
        headers.insert("connection", HeaderValue::from_static("keep-alive, x-hop"));
        headers.insert("x-hop", HeaderValue::from_static("h"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("x-api-key", HeaderValue::from_static("k"));
        headers.insert("te", HeaderValue::from_static("trailers"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        headers.insert("x-last", HeaderValue::from_static("2"));
        strip_hop_by_hop(&mut headers);
        let names: Vec<_> = headers.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["x-first", "x-api-key", "x-last"]);
    }

    #[test]
    fn base_url_mode_names_the_upstream_host() {
        let mut headers = HeaderMap::new();
        headers.insert("accept", HeaderValue::from_static("*/*"));
        headers.insert("host", HeaderValue::from_static("127.0.0.1:8080"));
        headers.insert("x-api-key", HeaderValue::from_static("k"));
        retarget_host(
            &mut headers,
            &"https://api.anthropic.com/v1/messages".parse().unwrap(),
        );
        let pairs: Vec<_> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("accept", "*/*"),
                ("host", "api.anthropic.com"),
                ("x-api-key", "k")
            ]
        );
    }
}
