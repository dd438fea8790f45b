//! The one table of rules: stable IDs, families, severities, and what they run.
//!
//! IDs never change once released; `docs/rules.md` has one section per ID
//! (a unit test keeps the two in step), and `badreq explain ID` prints it.

use super::rules::{
    auth, cache, content, headers, json, legacy, media, messages, models, sampling, schema,
    thinking, tools, url,
};
use super::view::RequestView;
use super::{Findings, Severity};

pub type Check = fn(&RequestView, &mut Findings);

pub struct Rule {
    pub id: &'static str,
    pub family: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    /// The API versions, models and dates the rule holds for.
    pub holds: &'static str,
    /// Fragments of the API's own error message that mean this rule's fault.
    pub api_messages: &'static [&'static str],
    /// The request check; `None` for rules that read the response only.
    pub check: Option<Check>,
    /// For rules whose fault the API stopped rejecting: a day before the change,
    /// used to locate the fault when an old-style rejection comes back.
    pub before: Option<&'static str>,
}

const BASE: Rule = Rule {
    id: "",
    family: "",
    severity: Severity::Error,
    summary: "",
    holds: "all API versions",
    api_messages: &[],
    check: None,
    before: None,
};

use Severity::Warn;

/// Builds the table: rules grouped by family, each `"id" => { field: value, ... }`
/// over the defaults in [`BASE`]. One line per rule keeps the table readable.
macro_rules! rules {
    ($($family:literal { $($id:literal => { $($field:ident: $value:expr),* $(,)? })* })*) => {
        &[$($(Rule { id: $id, family: $family, $($field: $value,)* ..BASE },)*)*]
    };
}

pub static RULES: &[Rule] = rules! {
    "url" {
        "url-wrong-host" => { summary: "a host that does not serve the API", check: Some(url::wrong_host) }
        "url-plain-http" => { summary: "http:// instead of https:// to api.anthropic.com", check: Some(url::plain_http) }
        "url-missing-v1" => { summary: "an API path without the /v1 prefix", api_messages: &["Not Found"], check: Some(url::missing_v1) }
        "url-double-v1" => { summary: "/v1/v1/ from a base URL that already ends in /v1", api_messages: &["Not Found"], check: Some(url::double_v1) }
        "url-trailing-slash" => { summary: "an endpoint path with a trailing slash", api_messages: &["Not Found"], check: Some(url::trailing_slash) }
        "url-unknown-endpoint" => { summary: "a /v1 path that is no endpoint", api_messages: &["Not Found"], check: Some(url::unknown_endpoint) }
        "url-wrong-method" => { summary: "an HTTP method the endpoint does not take", check: Some(url::wrong_method) }
        "url-cloud-provider-path" => { summary: "a Bedrock or Vertex AI path sent to api.anthropic.com", api_messages: &["Not Found"], check: Some(url::cloud_provider_path) }
    }
    "auth" {
        "auth-missing" => { summary: "no x-api-key and no Authorization", api_messages: &["x-api-key header is required"], check: Some(auth::missing) }
        "auth-bearer-api-key-old-version" => { summary: "an API key as Bearer under an anthropic-version before 2026-10-21", holds: "anthropic-version 2023-06-01 and 2023-01-01; silent under 2026-10-21", api_messages: &["Invalid bearer token"], check: Some(auth::bearer_api_key_old_version) }
        "auth-oauth-in-x-api-key" => { summary: "an OAuth token (sk-ant-oat…) in x-api-key", api_messages: &["invalid x-api-key"], check: Some(auth::oauth_in_x_api_key) }
        "auth-oauth-without-beta" => { severity: Warn, summary: "an OAuth token without the oauth beta header", api_messages: &["OAuth authentication is currently not supported"], check: Some(auth::oauth_without_beta) }
        "auth-key-malformed" => { summary: "a key with whitespace, quotes, a newline, a prefix, or a placeholder", api_messages: &["invalid x-api-key", "Invalid bearer token"], check: Some(auth::key_malformed) }
        "auth-key-truncated" => { severity: Warn, summary: "an sk-ant-api03 key far shorter than real keys", api_messages: &["invalid x-api-key", "Invalid bearer token"], check: Some(auth::key_truncated) }
        "auth-admin-key" => { summary: "an Admin API key on a non-admin endpoint", check: Some(auth::admin_key) }
        "auth-both-headers" => { severity: Warn, summary: "x-api-key and Authorization together", check: Some(auth::both_headers) }
        "auth-cors-opt-in-missing" => { summary: "a browser Origin without anthropic-dangerous-direct-browser-access", holds: "since about 2024-09", api_messages: &["CORS requests must set"], check: Some(auth::cors_opt_in) }
    }
    "headers" {
        "header-version-missing" => { summary: "no anthropic-version header", api_messages: &["anthropic-version: header is required"], check: Some(headers::version_missing) }
        "header-version-unknown" => { summary: "an anthropic-version value that does not exist", api_messages: &["anthropic-version"], check: Some(headers::version_unknown) }
        "header-content-type" => { severity: Warn, summary: "a JSON body sent without content-type: application/json", check: Some(headers::content_type) }
        "header-beta-unknown" => { summary: "an unknown, expired or empty anthropic-beta name", api_messages: &["for the `anthropic-beta` header"], check: Some(headers::beta_unknown) }
        "header-beta-malformed" => { summary: "anthropic-beta not a comma-separated list", api_messages: &["for the `anthropic-beta` header"], check: Some(headers::beta_malformed) }
        "header-content-length-mismatch" => { summary: "content-length that disagrees with the body", check: Some(headers::content_length_mismatch) }
        "header-body-compressed-unlabelled" => { summary: "a compressed body without content-encoding", api_messages: &["not valid JSON"], check: Some(headers::compressed_body_unlabelled) }
    }
    "json" {
        "json-empty-body" => { summary: "an empty body where JSON is required", check: Some(json::empty_body) }
        "json-bom" => { summary: "a byte order mark before the JSON", api_messages: &["not valid JSON"], check: Some(json::bom) }
        "json-form-encoded" => { summary: "form data instead of JSON", api_messages: &["not valid JSON"], check: Some(json::form_encoded) }
        "json-invalid" => { summary: "a body that is not valid JSON (line, column, snippet)", api_messages: &["not valid JSON", "error parsing the body"], check: Some(json::invalid_json) }
        "json-lone-surrogate" => { summary: "a lone UTF-16 surrogate escape", api_messages: &["not valid JSON", "surrogate"], check: Some(json::lone_surrogate) }
    }
    "schema" {
        "schema-missing-field" => { summary: "model, max_tokens or messages missing", api_messages: &["Field required"], check: Some(schema::missing_field) }
        "schema-wrong-type" => { summary: "a field of the wrong JSON type", api_messages: &["Input should be"], check: Some(schema::wrong_type) }
        "schema-unknown-field" => { summary: "a top-level field the API does not know", api_messages: &["Extra inputs are not permitted"], check: Some(schema::unknown_field) }
        "schema-openai-field" => { summary: "an OpenAI Chat Completions field", api_messages: &["Extra inputs are not permitted"], check: Some(schema::openai_field) }
        "schema-beta-field-without-header" => { summary: "a beta-only field without its anthropic-beta header", api_messages: &["Extra inputs are not permitted"], check: Some(schema::beta_field_without_header) }
        "schema-cloud-provider-field" => { summary: "Bedrock/Vertex body fields sent to api.anthropic.com", api_messages: &["Extra inputs are not permitted"], check: Some(schema::cloud_provider_field) }
        "schema-value-out-of-range" => { summary: "temperature/top_p outside 0–1, negative top_k or max_tokens", api_messages: &["Input should be"], check: Some(schema::value_out_of_range) }
        "schema-stop-sequence-whitespace" => { summary: "a stop sequence made only of whitespace", api_messages: &["each stop sequence must contain non-whitespace"], check: Some(schema::stop_sequence_whitespace) }
    }
    "sampling" {
        "sampling-params-under-2026-10-21" => { summary: "temperature, top_p or top_k under anthropic-version 2026-10-21", holds: "anthropic-version 2026-10-21 only", check: Some(sampling::sampling_rejected_by_version) }
        "sampling-removed-for-model" => { summary: "sampling parameters sent to a model that removed them", holds: "models marked sampling = \"removed\" in knowledge.toml (Opus 4.7, 4.8, Fable 5)", check: Some(sampling::sampling_removed_for_model) }
        "sampling-temperature-and-top-p" => { summary: "temperature and top_p together where the model takes one", holds: "models marked sampling = \"exclusive\" (Sonnet 4.5, Sonnet 4.6)", api_messages: &["cannot both be specified"], check: Some(sampling::temperature_and_top_p) }
    }
    "models" {
        "model-retired" => { summary: "a model past its retirement date", holds: "from each model's retirement date in knowledge.toml", api_messages: &["model: "], check: Some(models::retired) }
        "model-deprecated" => { severity: Warn, summary: "a model with a retirement date ahead", holds: "until each model's retirement date", check: Some(models::deprecated) }
        "model-unknown" => { summary: "a model id the API does not know (typos, dots, made-up names)", api_messages: &["model: "], check: Some(models::unknown) }
        "model-cloud-provider-id" => { summary: "a Bedrock or Vertex AI model id sent to api.anthropic.com", api_messages: &["model: "], check: Some(models::cloud_provider_id_rule) }
        "model-max-tokens-exceeded" => { summary: "max_tokens above the model's output limit", api_messages: &["maximum allowed number of output tokens"], check: Some(models::max_tokens_exceeded) }
    }
    "messages" {
        "messages-empty" => { summary: "an empty messages array", check: Some(messages::empty) }
        "messages-unknown-role" => { summary: "a role other than user, assistant or system", api_messages: &["Unexpected role", "Input should be 'user'"], check: Some(messages::unknown_role) }
        "messages-system-role" => { summary: "a system message inside messages, before the API accepted it", holds: "rejected before 2026-05-28; accepted since (silent for today's traffic)", api_messages: &["Unexpected role \"system\""], check: Some(messages::system_role), before: Some("2026-05-27") }
        "messages-consecutive-same-role" => { summary: "two user or two assistant messages in a row, before the API merged them", holds: "rejected before 2024-10-22; merged since (silent for today's traffic)", api_messages: &["roles must alternate"], check: Some(messages::consecutive_same_role), before: Some("2024-10-21") }
        "messages-first-not-user" => { severity: Warn, summary: "a conversation that starts with an assistant message", holds: "rejected in 2024; today's behaviour unconfirmed", api_messages: &["first message must use the \"user\" role"], check: Some(messages::first_not_user) }
        "messages-empty-content" => { summary: "a user (or non-final) message with empty content", api_messages: &["must have non-empty content"], check: Some(messages::empty_content) }
        "messages-empty-text-block" => { summary: "a text block with empty text", api_messages: &["text content blocks must be non-empty"], check: Some(messages::empty_text_block) }
        "messages-whitespace-text" => { summary: "user or system text made only of whitespace", api_messages: &["must contain non-whitespace text"], check: Some(messages::whitespace_text) }
        "messages-prefill-trailing-whitespace" => { summary: "an assistant prefill ending in whitespace", api_messages: &["final assistant content cannot end with trailing whitespace"], check: Some(messages::prefill_trailing_whitespace) }
        "messages-prefill-unsupported" => { summary: "an assistant prefill sent to a model that refuses prefill", holds: "models marked prefill = false (Sonnet 4.6, Opus 4.6–4.8, Opus 5, Fable 5)", api_messages: &["does not support assistant message prefill"], check: Some(messages::prefill_unsupported) }
        "messages-extra-field" => { summary: "a message field other than role and content (tool_calls, name, ...)", api_messages: &["Extra inputs are not permitted"], check: Some(content::extra_message_field) }
        "messages-unknown-block-type" => { summary: "a content block type the API does not have", holds: "non-beta requests", check: Some(content::unknown_block_type) }
        "messages-openai-image-url" => { summary: "OpenAI's image_url block", check: Some(content::openai_image_url) }
        "messages-assistant-document" => { summary: "a document block in an assistant message under 2026-10-21", holds: "anthropic-version 2026-10-21 only", check: Some(content::assistant_document_2026) }
        "messages-user-text-citations" => { summary: "citations on a user text block under 2026-10-21", holds: "anthropic-version 2026-10-21 only", check: Some(content::user_text_citations_2026) }
    }
    "images" {
        "image-media-type-mismatch" => { summary: "a declared media_type that the bytes contradict", api_messages: &["does not match the provided media type", "but the image appears to be"], check: Some(media::media_type_mismatch) }
        "image-unsupported-media-type" => { summary: "a media_type other than jpeg, png, gif or webp", api_messages: &["Input should be 'image/jpeg'"], check: Some(media::unsupported_media_type) }
        "image-data-url-prefix" => { summary: "a data: URL prefix inside base64 data", check: Some(media::data_url_prefix) }
        "image-bad-base64" => { summary: "image data that is not valid base64", check: Some(media::bad_base64) }
        "image-too-large" => { summary: "an image over 5 MB of base64", api_messages: &["image exceeds 5 MB maximum"], check: Some(media::too_large) }
        "image-too-many" => { summary: "more than 100 images in one request", check: Some(media::too_many) }
    }
    "tools" {
        "tools-invalid-name" => { summary: "a tool name outside ^[a-zA-Z0-9_-]{1,64}$", api_messages: &["String should match pattern"], check: Some(tools::invalid_name) }
        "tools-duplicate-name" => { summary: "two tools with the same name", api_messages: &["Tool names must be unique"], check: Some(tools::duplicate_name) }
        "tools-input-schema-invalid" => { summary: "a custom tool without input_schema or its type: object", api_messages: &["input_schema"], check: Some(tools::input_schema_invalid) }
        "tools-openai-function-shape" => { summary: "an OpenAI function tool definition", check: Some(tools::openai_function_shape) }
        "tool-result-orphan" => { summary: "a tool_result whose tool_use is not in the previous message", api_messages: &["found in `tool_result` blocks", "found in tool_result blocks"], check: Some(tools::result_orphan) }
        "tool-use-without-result" => { summary: "a tool_use not answered in the next message", api_messages: &["ids were found without `tool_result` blocks", "ids were found without tool_result blocks"], check: Some(tools::use_without_result) }
        "tool-result-not-first" => { summary: "a tool_result after text in its message", check: Some(tools::result_not_first) }
        "tool-use-duplicate-id" => { summary: "the same tool_use id twice", check: Some(tools::duplicate_use_id) }
        "tool-choice-unknown-tool" => { summary: "tool_choice naming a tool not in tools", check: Some(tools::choice_unknown_tool) }
        "tool-use-input-not-object" => { summary: "a tool_use input that is not an object", api_messages: &["Input should be a valid dictionary"], check: Some(tools::use_input_not_object) }
    }
    "thinking" {
        "thinking-budget-not-below-max-tokens" => { summary: "budget_tokens ≥ max_tokens", holds: "without the interleaved-thinking beta", api_messages: &["budget_tokens"], check: Some(thinking::budget_not_below_max_tokens) }
        "thinking-budget-below-minimum" => { summary: "budget_tokens below 1024", api_messages: &["greater than or equal to 1024"], check: Some(thinking::budget_below_minimum) }
        "thinking-with-sampling" => { summary: "temperature ≠ 1 or top_k with thinking on", api_messages: &["may only be set to 1 when thinking is enabled"], check: Some(thinking::with_sampling) }
        "thinking-budget-removed-for-model" => { summary: "thinking.budget_tokens sent to a model with adaptive thinking only", holds: "models marked sampling = \"removed\"", check: Some(thinking::budget_removed_for_model) }
        "thinking-missing-in-tool-turn" => { summary: "a tool-loop assistant turn without its thinking block", api_messages: &["Expected `thinking` or `redacted_thinking`"], check: Some(thinking::missing_in_tool_turn) }
        "thinking-in-final-assistant-when-disabled" => { summary: "thinking blocks in the final assistant message with thinking off", api_messages: &["When thinking is disabled"], check: Some(thinking::in_final_assistant_when_disabled) }
        "thinking-final-block" => { summary: "a final assistant message that ends with a thinking block", api_messages: &["The final block in an assistant message cannot be `thinking`"], check: Some(thinking::final_block) }
    }
    "caching" {
        "cache-too-many-breakpoints" => { summary: "more than 4 cache_control breakpoints", api_messages: &["A maximum of 4 blocks with cache_control"], check: Some(cache::too_many_breakpoints) }
        "cache-control-empty-block" => { summary: "cache_control on an empty text block", api_messages: &["cache_control cannot be set for empty text blocks"], check: Some(cache::control_on_empty_block) }
        "cache-control-on-thinking" => { summary: "cache_control on a thinking block", api_messages: &["thinking.cache_control"], check: Some(cache::control_on_thinking) }
    }
    "legacy" {
        "complete-prompt-format" => { summary: "a /v1/complete prompt without \\n\\nHuman: / \\n\\nAssistant: turns", api_messages: &["prompt must start with"], check: Some(legacy::prompt_format) }
        "complete-model-unsupported" => { summary: "a Claude 3+ model sent to /v1/complete", api_messages: &["is not supported on this API"], check: Some(legacy::model_not_on_complete) }
        "complete-max-tokens-to-sample" => { summary: "max_tokens_to_sample sent to /v1/messages", api_messages: &["max_tokens_to_sample", "max_tokens: Field required"], check: Some(legacy::max_tokens_to_sample_on_messages) }
        "complete-prompt-on-messages" => { summary: "a prompt body sent to /v1/messages", api_messages: &["prompt: Extra inputs", "messages: Field required"], check: Some(legacy::prompt_on_messages) }
        "complete-messages-on-complete" => { summary: "a messages body sent to /v1/complete", api_messages: &["prompt: Field required"], check: Some(legacy::messages_on_complete) }
    }
    "size" {
        "size-request-too-large" => { summary: "a body over the endpoint's size limit", api_messages: &["request_too_large", "Request exceeds the maximum size"], check: Some(json::request_too_large) }
    }
    "response" {
        "api-invalid-api-key" => { summary: "401: the key in x-api-key is wrong, revoked or of another workspace", api_messages: &["invalid x-api-key"] }
        "api-invalid-bearer-token" => { summary: "401: the Bearer token is invalid or expired", api_messages: &["Invalid bearer token"] }
        "api-oauth-not-supported" => { summary: "401: OAuth used where it is not enabled", api_messages: &["OAuth authentication is currently not supported"] }
        "api-permission-denied" => { summary: "403: the key may not use this resource or region" }
        "api-credit-balance" => { summary: "400: the organisation has no credit left", api_messages: &["credit balance is too low"] }
        "api-not-found" => { summary: "404: unknown model or path" }
        "api-request-too-large" => { summary: "413: the body is over the size limit" }
        "api-rate-limited" => { severity: Warn, summary: "429: a rate limit was hit; retry after the time the headers give" }
        "api-overloaded" => { severity: Warn, summary: "529 or overloaded_error: the API is busy; retry with backoff" }
        "api-server-error" => { severity: Warn, summary: "500 or another 5xx from the API" }
        "api-stream-error" => { summary: "an `event: error` inside a 200 SSE stream" }
        "api-prompt-too-long" => { summary: "the prompt is longer than the model's context window", api_messages: &["prompt is too long"] }
        "api-thinking-signature-invalid" => { summary: "a thinking block whose signature was altered or comes from another model", api_messages: &["Invalid `signature`"] }
        "api-pdf-too-many-pages" => { summary: "a PDF over 100 pages", api_messages: &["PDF pages may be provided"] }
        "api-unexplained" => { summary: "an API rejection no rule explains" }
    }
};

/// The rule with `id`.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
