//! What every request goes through on new-api: a request id, recording, the key check,
//! and the gateway's error envelopes.

use std::sync::Arc;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::account::KeyCheck;
use crate::state::SimState;
use crate::RecordedRequest;

/// The gateway's default body limit.
pub(crate) const MAX_BODY: usize = 128 * 1024 * 1024;
pub(crate) const REQUEST_ID_HEADER: &str = "x-oneapi-request-id";

/// Which of the user's keys made the request.
#[derive(Clone, Copy)]
pub(crate) struct KeyOwner(pub u64);

/// The id new-api gives each request; it ends every error message.
#[derive(Clone)]
pub(crate) struct RequestId(pub String);

/// The whole request body, read once by `intake` so later layers can look inside it.
#[derive(Clone)]
pub(crate) struct BufferedBody(pub Bytes);

/// A handler's outcome: both sides are complete responses.
pub(crate) type Answer = Result<Response, Response>;

pub(crate) async fn intake(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = state.request_id();
    let (mut parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let bytes = match declared {
        Some(n) if n > MAX_BODY => None,
        _ => to_bytes(body, MAX_BODY).await.ok(),
    };

    if !path.starts_with("/__sim") {
        state.record(RecordedRequest {
            method: parts.method.to_string(),
            path,
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: bytes.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
        });
    }

    let mut response = match bytes {
        Some(bytes) => {
            parts.extensions.insert(RequestId(request_id.clone()));
            parts.extensions.insert(BufferedBody(bytes.clone()));
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        None => error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "new_api_error",
            json!("read_request_body_failed"),
            "request body too large",
            Some(&request_id),
        ),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

pub(crate) async fn require_key(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(bearer_token)
        .unwrap_or_default()
        .to_owned();
    // A key that is expired, disabled or used up may still read its own balance and logs.
    let reads_own_usage = matches!(request.uri().path(), "/api/usage/token/" | "/api/log/token");
    let (zh, en) = match state.check_key(&presented) {
        KeyCheck::Usable(id) | KeyCheck::Refused(id, ..) if reads_own_usage => {
            let mut request = request;
            request.extensions_mut().insert(KeyOwner(id));
            return next.run(request).await;
        }
        KeyCheck::Usable(id) => {
            let mut request = request;
            request.extensions_mut().insert(KeyOwner(id));
            return next.run(request).await;
        }
        KeyCheck::Refused(_, zh, en) => (zh, en),
        KeyCheck::Unknown => ("无效的令牌", "Invalid token"),
    };
    let request_id = request.extensions().get::<RequestId>().map(|r| r.0.clone());
    let message = if prefers_chinese(request.headers()) { zh } else { en };
    error_response(
        StatusCode::UNAUTHORIZED,
        "new_api_error",
        json!(""),
        message,
        request_id.as_deref(),
    )
}

fn bearer_token(header: &str) -> &str {
    let header = header.trim();
    match header.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("bearer ") => header[7..].trim(),
        _ => header,
    }
}


pub(crate) fn prefers_chinese(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get("accept-language")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("zh"))
}

/// gin's NoRoute on new-api: no key needed, no request id in the message.
pub(crate) async fn not_found(request: Request) -> Response {
    let message = format!(
        "Invalid URL ({} {})",
        request.method(),
        request.uri().path()
    );
    error_response(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        json!(""),
        &message,
        None,
    )
}

/// `{"error":{"message":"... (request id: X)","type":..,"param":"","code":..}}`.
pub(crate) fn error_response(
    status: StatusCode,
    kind: &str,
    code: Value,
    message: &str,
    request_id: Option<&str>,
) -> Response {
    (
        status,
        axum::Json(error_body(kind, code, message, request_id)),
    )
        .into_response()
}

pub(crate) fn error_body(
    kind: &str,
    code: Value,
    message: &str,
    request_id: Option<&str>,
) -> Value {
    let message = match request_id {
        Some(id) => format!("{message} (request id: {id})"),
        None => message.to_owned(),
    };
    json!({"error": {"message": message, "type": kind, "param": "", "code": code}})
}

/// What handlers need to know about the request they serve.
pub(crate) struct Ctx {
    pub state: Arc<SimState>,
    pub request_id: String,
    /// `http://host:port` as the client addressed us, for URLs in answers.
    pub base_url: String,
}

impl FromRequestParts<Arc<SimState>> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<SimState>,
    ) -> Result<Self, Self::Rejection> {
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_else(|| state.request_id());
        let base_url = parts
            .headers
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()))
            .map(|h| format!("http://{h}"))
            .unwrap_or_else(|| state.base_url.clone());
        Ok(Ctx {
            state: state.clone(),
            request_id,
            base_url,
        })
    }
}

impl Ctx {
    pub fn config(&self) -> &crate::SimConfig {
        &self.state.config
    }

    /// An error the gateway itself raises (`type: new_api_error`).
    pub fn gateway_error(&self, status: u16, code: &str, message: &str) -> Response {
        error_response(
            status_code(status),
            "new_api_error",
            json!(code),
            message,
            Some(&self.request_id),
        )
    }

    /// An error relayed from the upstream vendor (OpenAI-style validation).
    pub fn upstream_error(
        &self,
        status: u16,
        code: Option<&str>,
        param: &str,
        message: &str,
    ) -> Response {
        let mut body = error_body(
            "invalid_request_error",
            json!(code),
            message,
            Some(&self.request_id),
        );
        body["error"]["param"] = json!(param);
        (status_code(status), axum::Json(body)).into_response()
    }

    /// The gateway's validation failure: HTTP 500 `invalid_request` in current new-api.
    pub fn invalid_request(&self, message: &str) -> Response {
        self.gateway_error(500, "invalid_request", message)
    }

    /// The task endpoints' own envelope.
    pub fn task_error(&self, status: u16, code: &str, message: &str) -> Response {
        (
            status_code(status),
            axum::Json(json!({"code": code, "message": message, "data": null})),
        )
            .into_response()
    }

    /// Parses a JSON object body the way the relay does.
    pub fn json_body(&self, body: &[u8]) -> Result<Value, Response> {
        match serde_json::from_slice::<Value>(body) {
            Ok(value @ Value::Object(_)) => Ok(value),
            Ok(_) => Err(self.invalid_request("request body must be a JSON object")),
            Err(error) => Err(self.invalid_request(&format!("invalid request body: {error}"))),
        }
    }

    /// The `model` field, fault suffix removed; a model the platform has no channel for
    /// answers 503 `model_not_found`, as new-api's distributor does.
    pub fn known_model(&self, value: Option<&Value>) -> Result<String, Response> {
        let model = match value
            .and_then(Value::as_str)
            .map(crate::faults::strip_fault_suffix)
        {
            Some(m) if !m.trim().is_empty() => m.trim().to_owned(),
            _ => return Err(self.model_required()),
        };
        self.check_model(model)
    }

    pub fn check_model(&self, model: String) -> Result<String, Response> {
        if crate::models::find(&model).is_some() {
            Ok(model)
        } else {
            Err(self.gateway_error(503, "model_not_found", &no_channel_message(&model)))
        }
    }

    pub fn model_required(&self) -> Response {
        self.gateway_error(400, "", "model name is required")
    }
}

pub(crate) fn no_channel_message(model: &str) -> String {
    format!("No available channel for model {model} under group default (distributor)")
}

pub(crate) fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A JSON answer with a given status.
pub(crate) fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => (status, [(CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

pub(crate) fn ok_json(value: &impl serde::Serialize) -> Answer {
    Ok(json_response(StatusCode::OK, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_optional_and_case_blind() {
        assert_eq!(bearer_token("Bearer sk-demo"), "sk-demo");
        assert_eq!(bearer_token("bearer  sk-demo "), "sk-demo");
    }
}
