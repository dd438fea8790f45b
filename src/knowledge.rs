//! The API facts the rules read, loaded from `src/knowledge.toml`.
//!
//! Everything that changes when the API moves (models, limits, versions, beta
//! names, the dates behaviour changed) lives in that file so that updating
//! badreq's knowledge is a data change. This module only parses it and answers
//! small questions about it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

const KNOWLEDGE_TOML: &str = include_str!("knowledge.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Knowledge {
    pub api: Api,
    pub changes: Changes,
    pub versions: Vec<ApiVersion>,
    pub endpoints: Vec<Endpoint>,
    pub messages_fields: MessagesFields,
    pub openai_fields: BTreeMap<String, String>,
    pub betas: Betas,
    pub content: Content,
    pub models: Vec<Model>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    pub host: String,
    pub wrong_hosts: Vec<(String, String)>,
    pub messages_body_limit: u64,
    pub batches_body_limit: u64,
    pub files_body_limit: u64,
    pub image_base64_limit: usize,
    pub max_images_per_request: usize,
    pub max_cache_breakpoints: usize,
    pub thinking_min_budget: u64,
    pub max_messages: usize,
    pub tool_name_max_len: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    pub consecutive_roles_merged: String,
    pub system_role_accepted: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiVersion {
    pub value: String,
    pub note: String,
    #[serde(default)]
    pub bearer_api_keys: bool,
    #[serde(default)]
    pub sampling_rejected: bool,
    #[serde(default)]
    pub assistant_documents_rejected: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    Messages,
    CountTokens,
    Batches,
    Files,
    Complete,
    OpenaiCompat,
    Admin,
    Other,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub path: String,
    pub methods: Vec<String>,
    pub kind: EndpointKind,
}

impl Endpoint {
    /// Whether `path` (no query) matches this endpoint's pattern.
    pub fn matches(&self, path: &str) -> bool {
        if let Some(prefix) = self.path.strip_suffix("/*") {
            return path.starts_with(prefix) && path.len() > prefix.len();
        }
        let want: Vec<&str> = self.path.split('/').collect();
        let got: Vec<&str> = path.split('/').collect();
        want.len() == got.len()
            && want
                .iter()
                .zip(&got)
                .all(|(w, g)| *w == "{id}" && !g.is_empty() || w == g)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagesFields {
    pub required: Vec<String>,
    pub optional: Vec<String>,
    pub sampling: Vec<String>,
    pub count_tokens: Vec<String>,
    pub beta_only: Vec<Vec<String>>,
    pub cloud_provider: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Content {
    pub blocks: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Betas {
    pub known: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    #[default]
    Ok,
    Exclusive,
    Removed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub max_output: Option<u64>,
    pub prefill: Option<bool>,
    #[serde(default)]
    pub sampling: Sampling,
    pub retires: Option<String>,
    pub replacement: Option<String>,
    #[serde(default)]
    pub legacy_complete: bool,
}

impl Model {
    pub fn is_retired(&self, as_of: &str) -> bool {
        self.retires.as_deref().is_some_and(|d| d <= as_of)
    }
}

/// The parsed knowledge file (parsed once; a bad file is a build-time bug
/// caught by the unit test below).
pub fn knowledge() -> &'static Knowledge {
    static KNOWLEDGE: OnceLock<Knowledge> = OnceLock::new();
    KNOWLEDGE.get_or_init(|| toml::from_str(KNOWLEDGE_TOML).expect("src/knowledge.toml is valid"))
}

impl Knowledge {
    pub fn model(&self, id: &str) -> Option<&Model> {
        self.models
            .iter()
            .find(|m| m.id == id || m.aliases.iter().any(|a| a == id))
    }

    pub fn version(&self, value: &str) -> Option<&ApiVersion> {
        self.versions.iter().find(|v| v.value == value)
    }

    pub fn endpoint(&self, path: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.matches(path))
    }

    pub fn beta_known(&self, name: &str) -> bool {
        self.betas.known.iter().any(|b| b == name)
    }

    /// Every model id and alias, for "did you mean".
    pub fn all_model_ids(&self) -> impl Iterator<Item = &str> {
        self.models.iter().flat_map(|m| {
            std::iter::once(m.id.as_str()).chain(m.aliases.iter().map(String::as_str))
        })
    }
}

/// Levenshtein distance, for near-miss suggestions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

/// The closest candidate within `max` edits, if any.
pub fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knowledge_file_parses_and_is_consistent() {
        let k = knowledge();
        assert!(k.model("claude-sonnet-4-5-20250929").is_some());
        assert!(k.version("2026-10-21").unwrap().bearer_api_keys);
        for model in &k.models {
            if let Some(r) = &model.replacement {
                let replacement = k
                    .model(r)
                    .unwrap_or_else(|| panic!("{} → unknown {r}", model.id));
                assert!(
                    replacement.retires.is_none(),
                    "{} → {r}, which retires too",
                    model.id
                );
            }
        }
        assert!(
            k.endpoint("/v1/messages/batches/msgbatch_01/results")
                .is_some()
        );
        assert!(k.endpoint("/v1/messages/").is_none());
    }

    #[test]
    fn closest_finds_near_misses() {
        assert_eq!(
            closest("max_token", ["max_tokens", "model"], 2),
            Some("max_tokens")
        );
        assert_eq!(closest("zzz", ["max_tokens"], 2), None);
    }
}
