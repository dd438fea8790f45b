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

pub static RULES: &[Rule] = &[
    // url
    Rule {
        id: "url-wrong-host",
        family: "url",
        summary: "a host that does not serve the API",
        check: Some(url::wrong_host),
        ..BASE
    },
    Rule {
        id: "url-plain-http",
        family: "url",
        summary: "http:// instead of https:// to api.anthropic.com",
        check: Some(url::plain_http),
        ..BASE
    },
    Rule {
        id: "url-missing-v1",
        family: "url",
        summary: "an API path without the /v1 prefix",
        api_messages: &["Not Found"],
        check: Some(url::missing_v1),
        ..BASE
    },
    Rule {
        id: "url-double-v1",
        family: "url",
        summary: "/v1/v1/ from a base URL that already ends in /v1",
        api_messages: &["Not Found"],
        check: Some(url::double_v1),
        ..BASE
    },
    Rule {
        id: "url-trailing-slash",
        family: "url",
        summary: "an endpoint path with a trailing slash",
        api_messages: &["Not Found"],
        check: Some(url::trailing_slash),
        ..BASE
    },
    Rule {
        id: "url-unknown-endpoint",
        family: "url",
        summary: "a /v1 path that is no endpoint",
        api_messages: &["Not Found"],
        check: Some(url::unknown_endpoint),
        ..BASE
    },
    Rule {
        id: "url-wrong-method",
        family: "url",
        summary: "an HTTP method the endpoint does not take",
        check: Some(url::wrong_method),
        ..BASE
    },
    Rule {
        id: "url-cloud-provider-path",
        family: "url",
        summary: "a Bedrock or Vertex AI path sent to api.anthropic.com",
        api_messages: &["Not Found"],
        check: Some(url::cloud_provider_path),
        ..BASE
    },
    // auth
    Rule {
        id: "auth-missing",
        family: "auth",
        summary: "no x-api-key and no Authorization",
        api_messages: &["x-api-key header is required"],
        check: Some(auth::missing),
        ..BASE
    },
    Rule {
        id: "auth-bearer-api-key-old-version",
        family: "auth",
        summary: "an API key as Bearer under an anthropic-version before 2026-10-21",
        holds: "anthropic-version 2023-06-01 and 2023-01-01; silent under 2026-10-21",
        api_messages: &["Invalid bearer token"],
        check: Some(auth::bearer_api_key_old_version),
        ..BASE
    },
    Rule {
        id: "auth-oauth-in-x-api-key",
        family: "auth",
        summary: "an OAuth token (sk-ant-oat…) in x-api-key",
        api_messages: &["invalid x-api-key"],
        check: Some(auth::oauth_in_x_api_key),
        ..BASE
    },
    Rule {
        id: "auth-oauth-without-beta",
        family: "auth",
        severity: Warn,
        summary: "an OAuth token without the oauth beta header",
        api_messages: &["OAuth authentication is currently not supported"],
        check: Some(auth::oauth_without_beta),
        ..BASE
    },
    Rule {
        id: "auth-key-malformed",
        family: "auth",
        summary: "a key with whitespace, quotes, a newline, a prefix, or a placeholder",
        api_messages: &["invalid x-api-key", "Invalid bearer token"],
        check: Some(auth::key_malformed),
        ..BASE
    },
    Rule {
        id: "auth-key-truncated",
        family: "auth",
        severity: Warn,
        summary: "an sk-ant-api03 key far shorter than real keys",
        api_messages: &["invalid x-api-key", "Invalid bearer token"],
        check: Some(auth::key_truncated),
        ..BASE
    },
    Rule {
        id: "auth-admin-key",
        family: "auth",
        summary: "an Admin API key on a non-admin endpoint",
        check: Some(auth::admin_key),
        ..BASE
    },
    Rule {
        id: "auth-both-headers",
        family: "auth",
        severity: Warn,
        summary: "x-api-key and Authorization together",
        check: Some(auth::both_headers),
        ..BASE
    },
    Rule {
        id: "auth-cors-opt-in-missing",
        family: "auth",
        summary: "a browser Origin without anthropic-dangerous-direct-browser-access",
        holds: "since about 2024-09",
        api_messages: &["CORS requests must set"],
        check: Some(auth::cors_opt_in),
        ..BASE
    },
    // headers
    Rule {
        id: "header-version-missing",
        family: "headers",
        summary: "no anthropic-version header",
        api_messages: &["anthropic-version: header is required"],
        check: Some(headers::version_missing),
        ..BASE
    },
    Rule {
        id: "header-version-unknown",
        family: "headers",
        summary: "an anthropic-version value that does not exist",
        api_messages: &["anthropic-version"],
        check: Some(headers::version_unknown),
        ..BASE
    },
    Rule {
        id: "header-content-type",
        family: "headers",
        severity: Warn,
        summary: "a JSON body sent without content-type: application/json",
        check: Some(headers::content_type),
        ..BASE
    },
    Rule {
        id: "header-beta-unknown",
        family: "headers",
        summary: "an unknown, expired or empty anthropic-beta name",
        api_messages: &["for the `anthropic-beta` header"],
        check: Some(headers::beta_unknown),
        ..BASE
    },
    Rule {
        id: "header-beta-malformed",
        family: "headers",
        summary: "anthropic-beta not a comma-separated list",
        api_messages: &["for the `anthropic-beta` header"],
        check: Some(headers::beta_malformed),
        ..BASE
    },
    Rule {
        id: "header-content-length-mismatch",
        family: "headers",
        summary: "content-length that disagrees with the body",
        check: Some(headers::content_length_mismatch),
        ..BASE
    },
    Rule {
        id: "header-body-compressed-unlabelled",
        family: "headers",
        summary: "a compressed body without content-encoding",
        api_messages: &["not valid JSON"],
        check: Some(headers::compressed_body_unlabelled),
        ..BASE
    },
    // json
    Rule {
        id: "json-empty-body",
        family: "json",
        summary: "an empty body where JSON is required",
        check: Some(json::empty_body),
        ..BASE
    },
    Rule {
        id: "json-bom",
        family: "json",
        summary: "a byte order mark before the JSON",
        api_messages: &["not valid JSON"],
        check: Some(json::bom),
        ..BASE
    },
    Rule {
        id: "json-form-encoded",
        family: "json",
        summary: "form data instead of JSON",
        api_messages: &["not valid JSON"],
        check: Some(json::form_encoded),
        ..BASE
    },
    Rule {
        id: "json-invalid",
        family: "json",
        summary: "a body that is not valid JSON (line, column, snippet)",
        api_messages: &["not valid JSON", "error parsing the body"],
        check: Some(json::invalid_json),
        ..BASE
    },
    Rule {
        id: "json-lone-surrogate",
        family: "json",
        summary: "a lone UTF-16 surrogate escape",
        api_messages: &["not valid JSON", "surrogate"],
        check: Some(json::lone_surrogate),
        ..BASE
    },
    // schema
    Rule {
        id: "schema-missing-field",
        family: "schema",
        summary: "model, max_tokens or messages missing",
        api_messages: &["Field required"],
        check: Some(schema::missing_field),
        ..BASE
    },
    Rule {
        id: "schema-wrong-type",
        family: "schema",
        summary: "a field of the wrong JSON type",
        api_messages: &["Input should be"],
        check: Some(schema::wrong_type),
        ..BASE
    },
    Rule {
        id: "schema-unknown-field",
        family: "schema",
        summary: "a top-level field the API does not know",
        api_messages: &["Extra inputs are not permitted"],
        check: Some(schema::unknown_field),
        ..BASE
    },
    Rule {
        id: "schema-openai-field",
        family: "schema",
        summary: "an OpenAI Chat Completions field",
        api_messages: &["Extra inputs are not permitted"],
        check: Some(schema::openai_field),
        ..BASE
    },
    Rule {
        id: "schema-beta-field-without-header",
        family: "schema",
        summary: "a beta-only field without its anthropic-beta header",
        api_messages: &["Extra inputs are not permitted"],
        check: Some(schema::beta_field_without_header),
        ..BASE
    },
    Rule {
        id: "schema-cloud-provider-field",
        family: "schema",
        summary: "Bedrock/Vertex body fields sent to api.anthropic.com",
        api_messages: &["Extra inputs are not permitted"],
        check: Some(schema::cloud_provider_field),
        ..BASE
    },
    Rule {
        id: "schema-value-out-of-range",
        family: "schema",
        summary: "temperature/top_p outside 0–1, negative top_k or max_tokens",
        api_messages: &["Input should be"],
        check: Some(schema::value_out_of_range),
        ..BASE
    },
    Rule {
        id: "schema-stop-sequence-whitespace",
        family: "schema",
        summary: "a stop sequence made only of whitespace",
        api_messages: &["each stop sequence must contain non-whitespace"],
        check: Some(schema::stop_sequence_whitespace),
        ..BASE
    },
    // sampling
    Rule {
        id: "sampling-params-under-2026-10-21",
        family: "sampling",
        summary: "temperature, top_p or top_k under anthropic-version 2026-10-21",
        holds: "anthropic-version 2026-10-21 only",
        check: Some(sampling::sampling_rejected_by_version),
        ..BASE
    },
    Rule {
        id: "sampling-removed-for-model",
        family: "sampling",
        summary: "sampling parameters sent to a model that removed them",
        holds: "models marked sampling = \"removed\" in knowledge.toml (Opus 4.7, 4.8, Fable 5)",
        check: Some(sampling::sampling_removed_for_model),
        ..BASE
    },
    Rule {
        id: "sampling-temperature-and-top-p",
        family: "sampling",
        summary: "temperature and top_p together where the model takes one",
        holds: "models marked sampling = \"exclusive\" (Sonnet 4.5, Sonnet 4.6)",
        api_messages: &["cannot both be specified"],
        check: Some(sampling::temperature_and_top_p),
        ..BASE
    },
    // models
    Rule {
        id: "model-retired",
        family: "models",
        summary: "a model past its retirement date",
        holds: "from each model's retirement date in knowledge.toml",
        api_messages: &["model: "],
        check: Some(models::retired),
        ..BASE
    },
    Rule {
        id: "model-deprecated",
        family: "models",
        severity: Warn,
        summary: "a model with a retirement date ahead",
        holds: "until each model's retirement date",
        check: Some(models::deprecated),
        ..BASE
    },
    Rule {
        id: "model-unknown",
        family: "models",
        summary: "a model id the API does not know (typos, dots, made-up names)",
        api_messages: &["model: "],
        check: Some(models::unknown),
        ..BASE
    },
    Rule {
        id: "model-cloud-provider-id",
        family: "models",
        summary: "a Bedrock or Vertex AI model id sent to api.anthropic.com",
        api_messages: &["model: "],
        check: Some(models::cloud_provider_id_rule),
        ..BASE
    },
    Rule {
        id: "model-max-tokens-exceeded",
        family: "models",
        summary: "max_tokens above the model's output limit",
        api_messages: &["maximum allowed number of output tokens"],
        check: Some(models::max_tokens_exceeded),
        ..BASE
    },
    // messages
    Rule {
        id: "messages-empty",
        family: "messages",
        summary: "an empty messages array",
        check: Some(messages::empty),
        ..BASE
    },
    Rule {
        id: "messages-unknown-role",
        family: "messages",
        summary: "a role other than user, assistant or system",
        api_messages: &["Unexpected role", "Input should be 'user'"],
        check: Some(messages::unknown_role),
        ..BASE
    },
    Rule {
        id: "messages-system-role",
        family: "messages",
        summary: "a system message inside messages, before the API accepted it",
        holds: "rejected before 2026-05-28; accepted since (silent for today's traffic)",
        api_messages: &["Unexpected role \"system\""],
        check: Some(messages::system_role),
        before: Some("2026-05-27"),
        ..BASE
    },
    Rule {
        id: "messages-consecutive-same-role",
        family: "messages",
        summary: "two user or two assistant messages in a row, before the API merged them",
        holds: "rejected before 2024-10-22; merged since (silent for today's traffic)",
        api_messages: &["roles must alternate"],
        check: Some(messages::consecutive_same_role),
        before: Some("2024-10-21"),
        ..BASE
    },
    Rule {
        id: "messages-first-not-user",
        family: "messages",
        severity: Warn,
        summary: "a conversation that starts with an assistant message",
        holds: "rejected in 2024; today's behaviour unconfirmed",
        api_messages: &["first message must use the \"user\" role"],
        check: Some(messages::first_not_user),
        ..BASE
    },
    Rule {
        id: "messages-empty-content",
        family: "messages",
        summary: "a user (or non-final) message with empty content",
        api_messages: &["must have non-empty content"],
        check: Some(messages::empty_content),
        ..BASE
    },
    Rule {
        id: "messages-empty-text-block",
        family: "messages",
        summary: "a text block with empty text",
        api_messages: &["text content blocks must be non-empty"],
        check: Some(messages::empty_text_block),
        ..BASE
    },
    Rule {
        id: "messages-whitespace-text",
        family: "messages",
        summary: "user or system text made only of whitespace",
        api_messages: &["must contain non-whitespace text"],
        check: Some(messages::whitespace_text),
        ..BASE
    },
    Rule {
        id: "messages-prefill-trailing-whitespace",
        family: "messages",
        summary: "an assistant prefill ending in whitespace",
        api_messages: &["final assistant content cannot end with trailing whitespace"],
        check: Some(messages::prefill_trailing_whitespace),
        ..BASE
    },
    Rule {
        id: "messages-prefill-unsupported",
        family: "messages",
        summary: "an assistant prefill sent to a model that refuses prefill",
        holds: "models marked prefill = false (Sonnet 4.6, Opus 4.6–4.8, Opus 5, Fable 5)",
        api_messages: &["does not support assistant message prefill"],
        check: Some(messages::prefill_unsupported),
        ..BASE
    },
    Rule {
        id: "messages-extra-field",
        family: "messages",
        summary: "a message field other than role and content (tool_calls, name, ...)",
        api_messages: &["Extra inputs are not permitted"],
        check: Some(content::extra_message_field),
        ..BASE
    },
    Rule {
        id: "messages-unknown-block-type",
        family: "messages",
        summary: "a content block type the API does not have",
        holds: "non-beta requests",
        check: Some(content::unknown_block_type),
        ..BASE
    },
    Rule {
        id: "messages-openai-image-url",
        family: "messages",
        summary: "OpenAI's image_url block",
        check: Some(content::openai_image_url),
        ..BASE
    },
    Rule {
        id: "messages-assistant-document",
        family: "messages",
        summary: "a document block in an assistant message under 2026-10-21",
        holds: "anthropic-version 2026-10-21 only",
        check: Some(content::assistant_document_2026),
        ..BASE
    },
    Rule {
        id: "messages-user-text-citations",
        family: "messages",
        summary: "citations on a user text block under 2026-10-21",
        holds: "anthropic-version 2026-10-21 only",
        check: Some(content::user_text_citations_2026),
        ..BASE
    },
    // images
    Rule {
        id: "image-media-type-mismatch",
        family: "images",
        summary: "a declared media_type that the bytes contradict",
        api_messages: &[
            "does not match the provided media type",
            "but the image appears to be",
        ],
        check: Some(media::media_type_mismatch),
        ..BASE
    },
    Rule {
        id: "image-unsupported-media-type",
        family: "images",
        summary: "a media_type other than jpeg, png, gif or webp",
        api_messages: &["Input should be 'image/jpeg'"],
        check: Some(media::unsupported_media_type),
        ..BASE
    },
    Rule {
        id: "image-data-url-prefix",
        family: "images",
        summary: "a data: URL prefix inside base64 data",
        check: Some(media::data_url_prefix),
        ..BASE
    },
    Rule {
        id: "image-bad-base64",
        family: "images",
        summary: "image data that is not valid base64",
        check: Some(media::bad_base64),
        ..BASE
    },
    Rule {
        id: "image-too-large",
        family: "images",
        summary: "an image over 5 MB of base64",
        api_messages: &["image exceeds 5 MB maximum"],
        check: Some(media::too_large),
        ..BASE
    },
    Rule {
        id: "image-too-many",
        family: "images",
        summary: "more than 100 images in one request",
        check: Some(media::too_many),
        ..BASE
    },
    // tools
    Rule {
        id: "tools-invalid-name",
        family: "tools",
        summary: "a tool name outside ^[a-zA-Z0-9_-]{1,64}$",
        api_messages: &["String should match pattern"],
        check: Some(tools::invalid_name),
        ..BASE
    },
    Rule {
        id: "tools-duplicate-name",
        family: "tools",
        summary: "two tools with the same name",
        api_messages: &["Tool names must be unique"],
        check: Some(tools::duplicate_name),
        ..BASE
    },
    Rule {
        id: "tools-input-schema-invalid",
        family: "tools",
        summary: "a custom tool without input_schema or its type: object",
        api_messages: &["input_schema"],
        check: Some(tools::input_schema_invalid),
        ..BASE
    },
    Rule {
        id: "tools-openai-function-shape",
        family: "tools",
        summary: "an OpenAI function tool definition",
        check: Some(tools::openai_function_shape),
        ..BASE
    },
    Rule {
        id: "tool-result-orphan",
        family: "tools",
        summary: "a tool_result whose tool_use is not in the previous message",
        api_messages: &[
            "found in `tool_result` blocks",
            "found in tool_result blocks",
        ],
        check: Some(tools::result_orphan),
        ..BASE
    },
    Rule {
        id: "tool-use-without-result",
        family: "tools",
        summary: "a tool_use not answered in the next message",
        api_messages: &[
            "ids were found without `tool_result` blocks",
            "ids were found without tool_result blocks",
        ],
        check: Some(tools::use_without_result),
        ..BASE
    },
    Rule {
        id: "tool-result-not-first",
        family: "tools",
        summary: "a tool_result after text in its message",
        check: Some(tools::result_not_first),
        ..BASE
    },
    Rule {
        id: "tool-use-duplicate-id",
        family: "tools",
        summary: "the same tool_use id twice",
        check: Some(tools::duplicate_use_id),
        ..BASE
    },
    Rule {
        id: "tool-choice-unknown-tool",
        family: "tools",
        summary: "tool_choice naming a tool not in tools",
        check: Some(tools::choice_unknown_tool),
        ..BASE
    },
    Rule {
        id: "tool-use-input-not-object",
        family: "tools",
        summary: "a tool_use input that is not an object",
        api_messages: &["Input should be a valid dictionary"],
        check: Some(tools::use_input_not_object),
        ..BASE
    },
    // thinking
    Rule {
        id: "thinking-budget-not-below-max-tokens",
        family: "thinking",
        summary: "budget_tokens ≥ max_tokens",
        holds: "without the interleaved-thinking beta",
        api_messages: &["budget_tokens"],
        check: Some(thinking::budget_not_below_max_tokens),
        ..BASE
    },
    Rule {
        id: "thinking-budget-below-minimum",
        family: "thinking",
        summary: "budget_tokens below 1024",
        api_messages: &["greater than or equal to 1024"],
        check: Some(thinking::budget_below_minimum),
        ..BASE
    },
    Rule {
        id: "thinking-with-sampling",
        family: "thinking",
        summary: "temperature ≠ 1 or top_k with thinking on",
        api_messages: &["may only be set to 1 when thinking is enabled"],
        check: Some(thinking::with_sampling),
        ..BASE
    },
    Rule {
        id: "thinking-budget-removed-for-model",
        family: "thinking",
        summary: "thinking.budget_tokens sent to a model with adaptive thinking only",
        holds: "models marked sampling = \"removed\"",
        check: Some(thinking::budget_removed_for_model),
        ..BASE
    },
    Rule {
        id: "thinking-missing-in-tool-turn",
        family: "thinking",
        summary: "a tool-loop assistant turn without its thinking block",
        api_messages: &["Expected `thinking` or `redacted_thinking`"],
        check: Some(thinking::missing_in_tool_turn),
        ..BASE
    },
    Rule {
        id: "thinking-in-final-assistant-when-disabled",
        family: "thinking",
        summary: "thinking blocks in the final assistant message with thinking off",
        api_messages: &["When thinking is disabled"],
        check: Some(thinking::in_final_assistant_when_disabled),
        ..BASE
    },
    Rule {
        id: "thinking-final-block",
        family: "thinking",
        summary: "a final assistant message that ends with a thinking block",
        api_messages: &["The final block in an assistant message cannot be `thinking`"],
        check: Some(thinking::final_block),
        ..BASE
    },
    // caching
    Rule {
        id: "cache-too-many-breakpoints",
        family: "caching",
        summary: "more than 4 cache_control breakpoints",
        api_messages: &["A maximum of 4 blocks with cache_control"],
        check: Some(cache::too_many_breakpoints),
        ..BASE
    },
    Rule {
        id: "cache-control-empty-block",
        family: "caching",
        summary: "cache_control on an empty text block",
        api_messages: &["cache_control cannot be set for empty text blocks"],
        check: Some(cache::control_on_empty_block),
        ..BASE
    },
    Rule {
        id: "cache-control-on-thinking",
        family: "caching",
        summary: "cache_control on a thinking block",
        api_messages: &["thinking.cache_control"],
        check: Some(cache::control_on_thinking),
        ..BASE
    },
    // legacy
    Rule {
        id: "complete-prompt-format",
        family: "legacy",
        summary: "a /v1/complete prompt without \\n\\nHuman: / \\n\\nAssistant: turns",
        api_messages: &["prompt must start with"],
        check: Some(legacy::prompt_format),
        ..BASE
    },
    Rule {
        id: "complete-model-unsupported",
        family: "legacy",
        summary: "a Claude 3+ model sent to /v1/complete",
        api_messages: &["is not supported on this API"],
        check: Some(legacy::model_not_on_complete),
        ..BASE
    },
    Rule {
        id: "complete-max-tokens-to-sample",
        family: "legacy",
        summary: "max_tokens_to_sample sent to /v1/messages",
        api_messages: &["max_tokens_to_sample", "max_tokens: Field required"],
        check: Some(legacy::max_tokens_to_sample_on_messages),
        ..BASE
    },
    Rule {
        id: "complete-prompt-on-messages",
        family: "legacy",
        summary: "a prompt body sent to /v1/messages",
        api_messages: &["prompt: Extra inputs", "messages: Field required"],
        check: Some(legacy::prompt_on_messages),
        ..BASE
    },
    Rule {
        id: "complete-messages-on-complete",
        family: "legacy",
        summary: "a messages body sent to /v1/complete",
        api_messages: &["prompt: Field required"],
        check: Some(legacy::messages_on_complete),
        ..BASE
    },
    // size
    Rule {
        id: "size-request-too-large",
        family: "size",
        summary: "a body over the endpoint's size limit",
        api_messages: &["request_too_large", "Request exceeds the maximum size"],
        check: Some(json::request_too_large),
        ..BASE
    },
    // response-only rules (response.rs)
    Rule {
        id: "api-invalid-api-key",
        family: "response",
        summary: "401: the key in x-api-key is wrong, revoked or of another workspace",
        api_messages: &["invalid x-api-key"],
        ..BASE
    },
    Rule {
        id: "api-invalid-bearer-token",
        family: "response",
        summary: "401: the Bearer token is invalid or expired",
        api_messages: &["Invalid bearer token"],
        ..BASE
    },
    Rule {
        id: "api-oauth-not-supported",
        family: "response",
        summary: "401: OAuth used where it is not enabled",
        api_messages: &["OAuth authentication is currently not supported"],
        ..BASE
    },
    Rule {
        id: "api-permission-denied",
        family: "response",
        summary: "403: the key may not use this resource or region",
        ..BASE
    },
    Rule {
        id: "api-credit-balance",
        family: "response",
        summary: "400: the organisation has no credit left",
        api_messages: &["credit balance is too low"],
        ..BASE
    },
    Rule {
        id: "api-not-found",
        family: "response",
        summary: "404: unknown model or path",
        ..BASE
    },
    Rule {
        id: "api-request-too-large",
        family: "response",
        summary: "413: the body is over the size limit",
        ..BASE
    },
    Rule {
        id: "api-rate-limited",
        family: "response",
        severity: Warn,
        summary: "429: a rate limit was hit; retry after the time the headers give",
        ..BASE
    },
    Rule {
        id: "api-overloaded",
        family: "response",
        severity: Warn,
        summary: "529 or overloaded_error: the API is busy; retry with backoff",
        ..BASE
    },
    Rule {
        id: "api-server-error",
        family: "response",
        severity: Warn,
        summary: "500 or another 5xx from the API",
        ..BASE
    },
    Rule {
        id: "api-stream-error",
        family: "response",
        summary: "an `event: error` inside a 200 SSE stream",
        ..BASE
    },
    Rule {
        id: "api-prompt-too-long",
        family: "response",
        summary: "the prompt is longer than the model's context window",
        api_messages: &["prompt is too long"],
        ..BASE
    },
    Rule {
        id: "api-thinking-signature-invalid",
        family: "response",
        summary: "a thinking block whose signature was altered or comes from another model",
        api_messages: &["Invalid `signature`"],
        ..BASE
    },
    Rule {
        id: "api-pdf-too-many-pages",
        family: "response",
        summary: "a PDF over 100 pages",
        api_messages: &["PDF pages may be provided"],
        ..BASE
    },
    Rule {
        id: "api-unexplained",
        family: "response",
        summary: "an API rejection no rule explains",
        ..BASE
    },
];

/// The rule with `id`.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
