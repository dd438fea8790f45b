//! Reaching upstream servers: the base URL, `connect_to` overrides and the connector.
//!
//! The connector is badreq's own rather than hyper-util's `HttpConnector` so that
//! it can (a) send `HOST:PORT` to another address while TLS still checks `HOST`,
//! as curl's `--connect-to` does, (b) tell DNS, refusal, timeout and TLS
//! failures apart for the client's 502/504, and (c) time the TCP and TLS steps
//! for the exchange record.

mod connector;
mod io;

use http::Uri;

pub use connector::UpstreamConnector;
pub use io::{ConnInfo, MaybeTls, UpstreamIo};

/// The `upstream` base URL used for requests addressed to badreq itself.
#[derive(Debug, Clone)]
pub struct UpstreamBase {
    pub scheme: http::uri::Scheme,
    pub authority: http::uri::Authority,
    /// Path prefix without a trailing slash ("" for none).
    pub prefix: String,
}

impl UpstreamBase {
    pub fn parse(text: &str) -> Result<UpstreamBase, String> {
        let uri: Uri = text.parse().map_err(|e| format!("not a URL: {e}"))?;
        let scheme = uri.scheme().cloned().ok_or("missing http:// or https://")?;
        if scheme != http::uri::Scheme::HTTP && scheme != http::uri::Scheme::HTTPS {
            return Err(format!("scheme {scheme} is not http or https"));
        }
        let authority = uri.authority().cloned().ok_or("missing host")?;
        if uri.query().is_some() {
            return Err("a base URL cannot carry a query string".into());
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(UpstreamBase {
            scheme,
            authority,
            prefix,
        })
    }

    /// The upstream URL for an origin-form `path_and_query` sent to badreq.
    pub fn join(&self, path_and_query: &str) -> Result<Uri, http::Error> {
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(format!("{}{}", self.prefix, path_and_query))
            .build()
    }
}

/// One `HOST:PORT:HOST2:PORT2` override; empty parts match anything / keep the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    host: Option<String>,
    port: Option<u16>,
    to_host: Option<String>,
    to_port: Option<u16>,
}

impl ConnectTo {
    pub fn parse(text: &str) -> Result<ConnectTo, String> {
        let parts = split_connect_to(text)?;
        let port = |s: &str, what: &str| -> Result<Option<u16>, String> {
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse()
                    .map(Some)
                    .map_err(|_| format!("{what} port {s:?} is not a number from 0 to 65535"))
            }
        };
        let host =
            |s: &str| (!s.is_empty()).then(|| s.trim_matches(['[', ']']).to_ascii_lowercase());
        Ok(ConnectTo {
            host: host(&parts[0]),
            port: port(&parts[1], "source")?,
            to_host: host(&parts[2]),
            to_port: port(&parts[3], "target")?,
        })
    }

    /// The address to dial for `host:port`, if this rule applies.
    pub fn apply(&self, host: &str, port: u16) -> Option<(String, u16)> {
        let host_matches = self
            .host
            .as_deref()
            .is_none_or(|h| h.eq_ignore_ascii_case(host));
        let port_matches = self.port.is_none_or(|p| p == port);
        (host_matches && port_matches).then(|| {
            (
                self.to_host.clone().unwrap_or_else(|| host.to_owned()),
                self.to_port.unwrap_or(port),
            )
        })
    }
}

/// Splits on the three colons that are not inside `[...]` (IPv6 literals).
fn split_connect_to(text: &str) -> Result<Vec<String>, String> {
    let mut parts = vec![String::new()];
    let mut in_brackets = false;
    for c in text.chars() {
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            ':' if !in_brackets => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().expect("never empty").push(c);
    }
    if parts.len() != 4 {
        return Err("expected HOST:PORT:HOST2:PORT2".into());
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_to_matches_like_curl() {
        let rule = ConnectTo::parse("api.anthropic.com:443:127.0.0.1:9443").unwrap();
        assert_eq!(
            rule.apply("api.anthropic.com", 443),
            Some(("127.0.0.1".into(), 9443))
        );
        assert_eq!(rule.apply("api.anthropic.com", 80), None);
        assert_eq!(rule.apply("example.com", 443), None);
        let any = ConnectTo::parse("::127.0.0.1:").unwrap();
        assert_eq!(any.apply("x.test", 8443), Some(("127.0.0.1".into(), 8443)));
        let v6 = ConnectTo::parse("h:1:[::1]:2").unwrap();
        assert_eq!(v6.apply("h", 1), Some(("::1".into(), 2)));
        assert!(ConnectTo::parse("a:1:b").is_err());
        assert!(ConnectTo::parse("a:x:b:1").is_err());
    }

    #[test]
    fn base_url_joins_prefix() {
        let base = UpstreamBase::parse("https://gw.example.com/anthropic/").unwrap();
        assert_eq!(
            base.join("/v1/messages?beta=true").unwrap().to_string(),
            "https://gw.example.com/anthropic/v1/messages?beta=true"
        );
        assert!(UpstreamBase::parse("ftp://x").is_err());
        assert!(UpstreamBase::parse("api.anthropic.com").is_err());
    }
}
