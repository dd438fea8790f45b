//! Resolved settings: the embedded `config.toml`, an optional user file, then flags.
//!
//! `config.toml` at the repository root is compiled into the binary and is the
//! single description of the defaults; a unit test keeps it equal to
//! [`Config::default`]. A user file may set any subset of keys. Unknown keys and
//! bad values are errors that name the key, so a typo never silently falls back
//! to a default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::cli::ProxyArgs;
use crate::error::UsageError;

/// The text of `config.toml`, shipped inside the binary.
pub const EMBEDDED_DEFAULTS: &str = include_str!("../config.toml");

/// Every setting badreq reads. Field docs live in `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    pub certs: PathBuf,
    pub intercept: Vec<String>,
    pub upstream: String,
    pub upstream_ca: Option<PathBuf>,
    pub connect_to: Vec<String>,
    pub connect_timeout_secs: u64,
    pub response_timeout_secs: u64,
    pub handshake_timeout_secs: u64,
    pub capture_limit_bytes: usize,
    pub jsonl: Option<PathBuf>,
    pub har: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            certs: PathBuf::from("certs"),
            intercept: vec!["api.anthropic.com".to_owned()],
            upstream: "https://api.anthropic.com".to_owned(),
            upstream_ca: None,
            connect_to: Vec::new(),
            connect_timeout_secs: 10,
            response_timeout_secs: 600,
            handshake_timeout_secs: 10,
            capture_limit_bytes: 8 * 1024 * 1024,
            jsonl: None,
            har: None,
        }
    }
}

impl Config {
    /// Loads the user file named by `--config` (or the embedded defaults), applies
    /// the flags, and checks the result.
    pub fn resolve(args: &ProxyArgs) -> Result<Config, UsageError> {
        let mut config = match &args.config {
            Some(path) => Config::from_file(path)?,
            None => Config::from_toml_str(EMBEDDED_DEFAULTS, Path::new("(embedded config.toml)"))?,
        };
        config.apply_args(args);
        config.validate()?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Config, UsageError> {
        let text = std::fs::read_to_string(path).map_err(|e| UsageError::ConfigUnreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Config::from_toml_str(&text, path)
    }

    pub fn from_toml_str(text: &str, path: &Path) -> Result<Config, UsageError> {
        toml::from_str(text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            // Name the key whose value is bad, from the line the error points at.
            let key = e
                .span()
                .and_then(|span| text[..span.start.min(text.len())].lines().last())
                .and_then(|line| line.split_once('='))
                .map(|(key, _)| key.trim().to_owned())
                .filter(|key| !key.is_empty() && !message.contains(key.as_str()));
            UsageError::ConfigInvalid {
                path: path.to_owned(),
                reason: match key {
                    Some(key) => format!("`{key}`: {message}"),
                    None => message,
                },
            }
        })
    }

    fn apply_args(&mut self, args: &ProxyArgs) {
        if let Some(listen) = args.listen {
            self.listen = listen;
        }
        if let Some(certs) = &args.certs {
            self.certs = certs.clone();
        }
        if !args.intercept.is_empty() {
            self.intercept = args.intercept.clone();
        }
        if let Some(upstream) = &args.upstream {
            self.upstream = upstream.clone();
        }
        if let Some(ca) = &args.upstream_ca {
            self.upstream_ca = Some(ca.clone());
        }
        if !args.connect_to.is_empty() {
            self.connect_to = args.connect_to.clone();
        }
        if let Some(jsonl) = &args.jsonl {
            self.jsonl = Some(jsonl.clone());
        }
        if let Some(har) = &args.har {
            self.har = Some(har.clone());
        }
        if let Some(secs) = args.response_timeout {
            self.response_timeout_secs = secs;
        }
        if let Some(secs) = args.connect_timeout {
            self.connect_timeout_secs = secs;
        }
    }

    /// Checks values that parse but cannot work, naming the key at fault.
    pub fn validate(&self) -> Result<(), UsageError> {
        crate::upstream::UpstreamBase::parse(&self.upstream).map_err(|reason| {
            UsageError::BadValue {
                key: "upstream",
                value: self.upstream.clone(),
                reason,
            }
        })?;
        for rule in &self.connect_to {
            crate::upstream::ConnectTo::parse(rule).map_err(|reason| UsageError::BadValue {
                key: "connect_to",
                value: rule.clone(),
                reason,
            })?;
        }
        for pattern in &self.intercept {
            if pattern.is_empty() || pattern.contains(['/', ':', ' ']) {
                return Err(UsageError::BadValue {
                    key: "intercept",
                    value: pattern.clone(),
                    reason: "expected a host name such as api.anthropic.com or *.example.com"
                        .into(),
                });
            }
        }
        for (key, secs) in [
            ("connect_timeout_secs", self.connect_timeout_secs),
            ("response_timeout_secs", self.response_timeout_secs),
            ("handshake_timeout_secs", self.handshake_timeout_secs),
        ] {
            if secs == 0 {
                return Err(UsageError::BadValue {
                    key,
                    value: "0".into(),
                    reason: "must be at least 1 second".into(),
                });
            }
        }
        Ok(())
    }

    /// Whether CONNECT requests to `host` are decrypted rather than tunnelled blind.
    pub fn intercepts(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.intercept.iter().any(|pattern| {
            let pattern = pattern.to_ascii_lowercase();
            match pattern.strip_prefix("*.") {
                Some(suffix) => host
                    .strip_suffix(suffix)
                    .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1),
                None => pattern == "*" || pattern == host,
            }
        })
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }

    pub fn response_timeout(&self) -> Duration {
        Duration::from_secs(self.response_timeout_secs)
    }

    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_secs(self.handshake_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_config_equals_defaults() {
        let parsed = Config::from_toml_str(EMBEDDED_DEFAULTS, Path::new("config.toml")).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn unknown_key_is_named() {
        let err =
            Config::from_toml_str("listn = \"127.0.0.1:1\"", Path::new("x.toml")).unwrap_err();
        assert!(err.to_string().contains("listn"), "{err}");
    }

    #[test]
    fn bad_value_is_named() {
        let err =
            Config::from_toml_str("intercept = []\nlisten = \"nowhere\"", Path::new("x.toml"))
                .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("x.toml") && text.contains("`listen`"),
            "{text}"
        );
    }

    #[test]
    fn partial_file_keeps_defaults() {
        let c = Config::from_toml_str("intercept = [\"*.example.com\"]", Path::new("x")).unwrap();
        assert_eq!(c.listen, Config::default().listen);
        assert!(c.intercepts("api.example.com"));
        assert!(c.intercepts("a.b.example.com"));
        assert!(!c.intercepts("example.com"));
        assert!(!c.intercepts("badexample.com"));
    }

    #[test]
    fn exact_host_match_ignores_case_and_trailing_dot() {
        let c = Config::default();
        assert!(c.intercepts("API.Anthropic.com."));
        assert!(!c.intercepts("anthropic.com"));
    }
}
