//! Turns a gateway's failure answer into a typed [`Error`]: the relay's
//! `{"error":{...}}`, the task envelope `{"code","message","data":null}`, the account API's
//! `{"success":false,"message"}`, plain text, or an HTML error page.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;

use crate::error::Error;

pub const REQUEST_ID_HEADER: &str = "x-oneapi-request-id";

/// What the body of a failure said, before it is classified by status.
#[derive(Debug, Default, PartialEq)]
pub struct GatewayMessage {
    pub message: String,
    pub code: Option<String>,
    pub request_id: Option<String>,
}

/// The gateway's id for a request, to quote to its support.
pub fn request_id_of(headers: &HeaderMap) -> Option<String> {
    headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// Reads the message out of any of the failure shapes gateways send.
pub fn read_failure_body(body: &str, content_type: Option<&str>) -> GatewayMessage {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return GatewayMessage::default();
    }
    if let Ok(json) = serde_json::from_str::<Value>(trimmed) {
        if let Some(found) = message_from_json(&json) {
            return found;
        }
    }
    let looks_html = content_type.is_some_and(|c| c.contains("html")) || trimmed.starts_with('<');
    let text = if looks_html { html_summary(trimmed) } else { first_line(trimmed) };
    let (message, request_id) = split_request_id(&text);
    GatewayMessage { message, code: None, request_id }
}

/// An `error` object inside a 200 answer (some gateways bill that way), or `success: false`.
pub fn error_in_success(json: &Value) -> Option<GatewayMessage> {
    if json.get("error").is_some_and(|e| !e.is_null()) || json.get("success") == Some(&Value::Bool(false)) {
        message_from_json(json)
    } else {
        None
    }
}

fn message_from_json(json: &Value) -> Option<GatewayMessage> {
    let (raw_message, code) = if let Some(err) = json.get("error").filter(|e| !e.is_null()) {
        match err {
            Value::String(s) => (s.clone(), None),
            obj => (
                obj.get("message").and_then(Value::as_str).unwrap_or_default().to_string(),
                code_text(obj.get("code")).or_else(|| code_text(obj.get("type"))),
            ),
        }
    } else if let Some(message) = json.get("message").and_then(Value::as_str) {
        (message.to_string(), code_text(json.get("code")))
    } else {
        return None;
    };
    let (message, request_id) = split_request_id(&raw_message);
    Some(GatewayMessage { message, code, request_id })
}

fn code_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// new-api appends ` (request id: XXX)` to messages; keep the id apart from the text shown.
pub fn split_request_id(message: &str) -> (String, Option<String>) {
    for marker in [" (request id: ", "（request id: ", "(request id: "] {
        if let Some(start) = message.rfind(marker) {
            let rest = &message[start + marker.len()..];
            let id = rest.trim_end_matches([')', '）']).trim().to_string();
            let text = message[..start].trim_end().to_string();
            return (text, (!id.is_empty()).then_some(id));
        }
    }
    (message.trim().to_string(), None)
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    truncate(line, 300)
}

fn html_summary(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let title = lower
        .find("<title>")
        .and_then(|start| lower[start + 7..].find("</title>").map(|end| &html[start + 7..start + 7 + end]))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    match title {
        Some(t) => format!("the gateway answered with an error page ({})", truncate(&t, 120)),
        None => "the gateway answered with an error page".into(),
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max_chars).collect::<String>())
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or_default())
}

/// Classifies a failure by HTTP status first (API.md: decide on the status, not the body),
/// then by the gateway's code where the status is shared by several meanings.
pub fn classify(status: u16, headers: &HeaderMap, said: GatewayMessage, what: &str) -> Error {
    let request_id = said.request_id.clone().or_else(|| request_id_of(headers));
    let code = said.code.as_deref().unwrap_or_default();
    let message = if said.message.is_empty() { default_message(status) } else { said.message.clone() };
    match status {
        401 => Error::Unauthorized { request_id },
        403 if is_quota_code(code) || message.contains("quota") || message.contains("额度") => {
            Error::QuotaExhausted { message, request_id }
        }
        403 => Error::Forbidden { message, request_id },
        404 if code == "task_not_exist" => Error::BadRequest { message, request_id },
        404 => Error::NotOffered { what: what.to_string(), request_id },
        413 => Error::PayloadTooLarge { request_id },
        429 => Error::RateLimited { retry_after: retry_after(headers), request_id },
        501 => Error::NotSupported { message, request_id },
        503 if code == "model_not_found" => Error::ModelUnavailable { message, request_id },
        502..=504 => Error::GatewayDown { status, message, request_id },
        500 if code.is_empty() || code == "internal_error" || code == "new_api_error" => {
            Error::ServerError { message, request_id }
        }
        400..=499 | 500 => Error::BadRequest { message, request_id },
        _ => Error::ServerError { message, request_id },
    }
}

/// An error object inside an HTTP 200 answer: classify by its code alone.
pub fn classify_in_success(said: GatewayMessage) -> Error {
    let code = said.code.as_deref().unwrap_or_default();
    let request_id = said.request_id.clone();
    let message = if said.message.is_empty() { "the platform reported an error".into() } else { said.message };
    if is_quota_code(code) {
        Error::QuotaExhausted { message, request_id }
    } else if code == "model_not_found" {
        Error::ModelUnavailable { message, request_id }
    } else {
        Error::ServerError { message, request_id }
    }
}

fn is_quota_code(code: &str) -> bool {
    matches!(code, "insufficient_user_quota" | "pre_consume_token_quota_failed" | "insufficient_quota")
}

fn default_message(status: u16) -> String {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map(|r| format!("{status} {r}"))
        .unwrap_or_else(|| format!("HTTP {status}"))
}

/// Whether the request can be sent again. Only failures that prove nothing was generated:
/// rate limiting, an absent upstream, and the platform's internal errors before output.
pub fn is_retryable(error: &Error) -> bool {
    matches!(error, Error::RateLimited { .. } | Error::GatewayDown { .. } | Error::ModelUnavailable { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> HeaderMap {
        HeaderMap::new()
    }

    #[test]
    fn relay_envelope_keeps_request_id_apart() {
        let body = r#"{"error":{"message":"Invalid token (request id: 2025abc)","type":"new_api_error","param":"","code":""}}"#;
        let said = read_failure_body(body, Some("application/json"));
        assert_eq!(said.message, "Invalid token");
        assert_eq!(said.request_id.as_deref(), Some("2025abc"));
        let err = classify(401, &headers(), said, "models");
        assert_eq!(err.code(), "unauthorized");
        assert_eq!(err.request_id(), Some("2025abc"));
    }

    #[test]
    fn quota_and_model_codes_pick_the_right_kind() {
        let said = read_failure_body(r#"{"error":{"message":"user quota is not enough","type":"new_api_error","code":"insufficient_user_quota"}}"#, None);
        assert_eq!(classify(403, &headers(), said, "chat").code(), "quota_exhausted");
        let said = read_failure_body(r#"{"error":{"message":"no channel","code":"model_not_found"}}"#, None);
        assert_eq!(classify(503, &headers(), said, "chat").code(), "model_unavailable");
        let said = read_failure_body(r#"{"error":{"message":"bad field","code":"invalid_request"}}"#, None);
        assert_eq!(classify(500, &headers(), said, "chat").code(), "bad_request");
    }

    #[test]
    fn empty_429_uses_retry_after() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        let err = classify(429, &h, read_failure_body("", None), "chat");
        assert!(matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 7));
        assert!(err.to_string().contains("7 s"));
    }

    #[test]
    fn html_page_becomes_a_short_sentence() {
        let page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>";
        let said = read_failure_body(page, Some("text/html"));
        assert_eq!(said.message, "the gateway answered with an error page (502 Bad Gateway)");
        assert_eq!(classify(502, &headers(), said, "chat").code(), "gateway_down");
    }

    #[test]
    fn task_envelope_and_success_false_are_read() {
        let said = read_failure_body(r#"{"code":"task_not_exist","message":"task_not_exist","data":null}"#, None);
        assert_eq!(said.code.as_deref(), Some("task_not_exist"));
        let json: Value = serde_json::from_str(r#"{"success":false,"message":"无权进行此操作"}"#).unwrap();
        assert_eq!(error_in_success(&json).unwrap().message, "无权进行此操作");
        let ok: Value = serde_json::from_str(r#"{"success":true,"data":[]}"#).unwrap();
        assert!(error_in_success(&ok).is_none());
    }

    #[test]
    fn chinese_request_id_suffix_is_split() {
        let (text, id) = split_request_id("无效的令牌 (request id: 20250101xyz)");
        assert_eq!(text, "无效的令牌");
        assert_eq!(id.as_deref(), Some("20250101xyz"));
    }
}
