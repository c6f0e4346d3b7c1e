//! Fault injection: the failures the real gateway produces, on demand.
//!
//! A request gets at most one fault, looked for in this order:
//! 1. the `X-Sim-Fault: <spec>` header;
//! 2. the model name, `<model>+fault=<spec>` (JSON `model` or multipart `model` field);
//! 3. the first queued [`FaultRule`] whose `path_prefix` starts the request path.
//!
//! Spec grammar (case-insensitive keywords):
//! ```text
//! spec    := status | "html" [":" STATUS] | "reset" [":" N] | "stall" [":" MS]
//!          | "malformed" | "stream_error" | "ok_error" | "crlf" | "oversize"
//! status  := STATUS (":" option)*           STATUS in 200..=599
//! option  := "retry=" SECONDS               adds Retry-After
//!          | "empty"                        no body at all
//!          | "msg=" TEXT                    message (takes the rest of the spec)
//!          | CODE                           error code, e.g. insufficient_user_quota
//! ```
//! Defaults: `html` → 502, `reset` → 3 events, `stall` → 2000 ms.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::body::{spawn_body, BodyTx};
use crate::gateway::{
    error_body, error_response, no_channel_message, status_code, BufferedBody, RequestId,
};
use crate::state::SimState;

/// One injected failure. See the module docs for the textual form ([`FromStr`], [`fmt::Display`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// An error status with the gateway's JSON envelope (or no body when `empty_body`).
    Status {
        status: u16,
        code: Option<String>,
        message: Option<String>,
        retry_after: Option<u64>,
        empty_body: bool,
    },
    /// An HTML error page, as a proxy in front of the gateway sends.
    Html { status: u16 },
    /// The connection drops after this many SSE events (no `[DONE]`); a non-stream body
    /// is cut in half instead.
    ResetAfter { chunks: usize },
    /// A pause of this many ms after two SSE events (before the answer when not streaming).
    Stall { ms: u64 },
    /// A garbage, non-JSON `data:` line after three events (a non-stream body is cut and
    /// garbage appended); the stream then goes on normally.
    Malformed,
    /// After three events, a bare `{"error":{...}}` line, then the stream ends without
    /// `[DONE]` (a non-stream request gets `OkWithError`).
    ErrorInStream,
    /// HTTP 200 whose JSON body is an `{"error":{...}}` object.
    OkWithError,
    /// A non-stream body announced as 2 GiB: the real bytes, then zeros for as long as the
    /// client keeps reading (a runaway download from a broken CDN).
    Oversize,
    /// A valid but unusual stream: CRLF line ends, `data:` without the space, and 1-3 byte
    /// writes that split UTF-8 characters. Non-stream bodies are also written in tiny pieces.
    CrlfNoSpace,
}

/// A fault queued for the next requests whose path starts with `path_prefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    pub path_prefix: String,
    pub fault: Fault,
    /// How many requests get it; 0 means every matching request until cleared.
    pub times: u32,
}

impl FaultRule {
    /// A rule for the next single matching request.
    pub fn once(path_prefix: impl Into<String>, fault: Fault) -> FaultRule {
        FaultRule {
            path_prefix: path_prefix.into(),
            fault,
            times: 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseFaultError(String);

impl fmt::Display for ParseFaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid fault spec: {}", self.0)
    }
}

impl std::error::Error for ParseFaultError {}

impl FromStr for Fault {
    type Err = ParseFaultError;

    fn from_str(spec: &str) -> Result<Fault, ParseFaultError> {
        let spec = spec.trim();
        let error = |why: &str| ParseFaultError(format!("{spec:?}: {why}"));
        let (head, rest) = match spec.split_once(':') {
            Some((head, rest)) => (head.trim(), Some(rest.trim())),
            None => (spec, None),
        };
        let number = |default: u64| -> Result<u64, ParseFaultError> {
            match rest {
                None | Some("") => Ok(default),
                Some(n) => n.parse().map_err(|_| error("expected a number after ':'")),
            }
        };
        let plain = |fault: Fault| match rest {
            None => Ok(fault),
            Some(_) => Err(error("takes no argument")),
        };
        match head.to_ascii_lowercase().as_str() {
            "html" => {
                let status = number(502)?;
                Ok(Fault::Html {
                    status: valid_status(status).ok_or_else(|| error("status must be 200-599"))?,
                })
            }
            "reset" | "reset_after" => Ok(Fault::ResetAfter {
                chunks: number(3)? as usize,
            }),
            "stall" => Ok(Fault::Stall { ms: number(2000)? }),
            "malformed" => plain(Fault::Malformed),
            "stream_error" | "error_in_stream" => plain(Fault::ErrorInStream),
            "ok_error" | "ok_with_error" => plain(Fault::OkWithError),
            "crlf" | "crlf_no_space" => plain(Fault::CrlfNoSpace),
            "oversize" => plain(Fault::Oversize),
            "" => Err(error("empty")),
            status => {
                let status = status
                    .parse::<u64>()
                    .ok()
                    .and_then(valid_status)
                    .ok_or_else(|| {
                        error("unknown fault (expected a status 200-599 or a keyword)")
                    })?;
                parse_status_options(status, rest).map_err(|why| error(&why))
            }
        }
    }
}

fn valid_status(status: u64) -> Option<u16> {
    (200..=599).contains(&status).then_some(status as u16)
}

fn parse_status_options(status: u16, rest: Option<&str>) -> Result<Fault, String> {
    let mut code = None;
    let mut message = None;
    let mut retry_after = None;
    let mut empty_body = false;
    let mut rest = rest.unwrap_or("");
    while !rest.is_empty() {
        if let Some(text) = rest.strip_prefix("msg=") {
            message = Some(text.to_owned());
            break;
        }
        let (option, tail) = rest.split_once(':').unwrap_or((rest, ""));
        rest = tail;
        let option = option.trim();
        if let Some(seconds) = option.strip_prefix("retry=") {
            retry_after = Some(
                seconds
                    .parse()
                    .map_err(|_| format!("bad retry seconds {seconds:?}"))?,
            );
        } else if option.eq_ignore_ascii_case("empty") {
            empty_body = true;
        } else if !option.is_empty() {
            code = Some(option.to_owned());
        }
    }
    Ok(Fault::Status {
        status,
        code,
        message,
        retry_after,
        empty_body,
    })
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Status {
                status,
                code,
                message,
                retry_after,
                empty_body,
            } => {
                write!(f, "{status}")?;
                if let Some(code) = code {
                    write!(f, ":{code}")?;
                }
                if let Some(seconds) = retry_after {
                    write!(f, ":retry={seconds}")?;
                }
                if *empty_body {
                    write!(f, ":empty")?;
                }
                if let Some(message) = message {
                    write!(f, ":msg={message}")?;
                }
                Ok(())
            }
            Fault::Html { status } => write!(f, "html:{status}"),
            Fault::ResetAfter { chunks } => write!(f, "reset:{chunks}"),
            Fault::Stall { ms } => write!(f, "stall:{ms}"),
            Fault::Malformed => f.write_str("malformed"),
            Fault::ErrorInStream => f.write_str("stream_error"),
            Fault::OkWithError => f.write_str("ok_error"),
            Fault::CrlfNoSpace => f.write_str("crlf"),
            Fault::Oversize => f.write_str("oversize"),
        }
    }
}

const MODEL_FAULT_MARK: &str = "+fault=";

/// `gpt-4o-mini+fault=429` → `gpt-4o-mini`.
pub(crate) fn strip_fault_suffix(model: &str) -> &str {
    model
        .split_once(MODEL_FAULT_MARK)
        .map_or(model, |(name, _)| name)
}

/// The model named by a JSON body or a multipart `model` field, fault suffix included.
fn model_in_body(content_type: &str, body: &[u8]) -> Option<String> {
    if content_type.starts_with("multipart/") {
        return multipart_model(body);
    }
    let value: Value = serde_json::from_slice(body).ok()?;
    value.get("model")?.as_str().map(str::to_owned)
}

/// Reads the `model` field without a full multipart parse (the handler parses it later).
fn multipart_model(body: &[u8]) -> Option<String> {
    let marker = b"name=\"model\"";
    let start = body.windows(marker.len()).position(|w| w == marker)? + marker.len();
    let after = &body[start..];
    let value_start = after.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let value = &after[value_start..];
    let end = value
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(value.len());
    std::str::from_utf8(&value[..end])
        .ok()
        .map(|s| s.trim().to_owned())
}

/// The middleware: chooses this request's fault and applies it.
pub(crate) async fn inject(
    State(state): State<Arc<SimState>>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let model = request
        .extensions()
        .get::<BufferedBody>()
        .and_then(|b| model_in_body(&content_type, &b.0));

    let from_header = request
        .headers()
        .get("x-sim-fault")
        .and_then(|v| v.to_str().ok())
        .map(str::parse::<Fault>);
    let from_model = model
        .as_deref()
        .and_then(|m| m.split_once(MODEL_FAULT_MARK))
        .map(|(_, spec)| spec.parse::<Fault>());
    let fault = match from_header.or(from_model) {
        Some(Ok(fault)) => Some(fault),
        // A typo in a test's spec should be loud, not silently ignored.
        Some(Err(error)) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "simulator_error",
                json!("invalid_fault_spec"),
                &error.to_string(),
                Some(&request_id),
            )
        }
        None => state.take_fault(request.uri().path()),
    };
    let Some(fault) = fault else {
        return next.run(request).await;
    };
    let model = model
        .as_deref()
        .map(strip_fault_suffix)
        .unwrap_or("gpt-4o-mini")
        .to_owned();

    match fault {
        Fault::Status {
            status,
            code,
            message,
            retry_after,
            empty_body,
        } => status_fault(
            status,
            code,
            message,
            retry_after,
            empty_body,
            &model,
            &request_id,
        ),
        Fault::Html { status } => html_page(status),
        Fault::OkWithError => ok_with_error(&request_id),
        Fault::Stall { ms } => {
            let response = next.run(request).await;
            if is_event_stream(&response) {
                transform_stream(response, Fault::Stall { ms }, request_id)
            } else {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                response
            }
        }
        fault => {
            let response = next.run(request).await;
            if is_event_stream(&response) {
                transform_stream(response, fault, request_id)
            } else {
                transform_plain(response, fault, request_id).await
            }
        }
    }
}

fn status_fault(
    status: u16,
    code: Option<String>,
    message: Option<String>,
    retry_after: Option<u64>,
    empty_body: bool,
    model: &str,
    request_id: &str,
) -> Response {
    let status_code = status_code(status);
    let mut response = if empty_body {
        status_code.into_response()
    } else {
        let code = code.unwrap_or_else(|| default_code(status).to_owned());
        let message = message.unwrap_or_else(|| default_message(status, &code, model));
        error_response(
            status_code,
            "new_api_error",
            json!(code),
            &message,
            Some(request_id),
        )
    };
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn default_code(status: u16) -> &'static str {
    match status {
        400 => "invalid_request",
        401 => "",
        403 => "insufficient_user_quota",
        404 => "not_found",
        408 | 504 => "upstream_timeout",
        413 => "read_request_body_failed",
        429 => "rate_limit_exceeded",
        500 => "internal_error",
        501 => "api_not_implemented",
        502 | 503 => "bad_response_status_code",
        _ => "simulated_error",
    }
}

fn default_message(status: u16, code: &str, model: &str) -> String {
    match (status, code) {
        (401, _) => "Invalid token".into(),
        (_, "insufficient_user_quota") => "user quota is not enough".into(),
        (_, "pre_consume_token_quota_failed") => "token quota is not enough".into(),
        (_, "model_not_found") => no_channel_message(model),
        (_, "invalid_request") => {
            "invalid request: the request failed validation (simulated)".into()
        }
        (_, "sensitive_words_detected") => "sensitive words detected: simulated".into(),
        (_, "api_not_implemented") => "API not implemented".into(),
        (429, _) => "Rate limit reached for requests, please try again later".into(),
        (502..=504, _) => format!("upstream error: bad response status code {status}"),
        _ => format!("simulated error {status}"),
    }
}

fn html_page(status: u16) -> Response {
    let code = status_code(status);
    let reason = code.canonical_reason().unwrap_or("Error");
    let page = format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    (code, [(CONTENT_TYPE, "text/html")], page).into_response()
}

fn stream_error_body(request_id: &str) -> Value {
    error_body(
        "new_api_error",
        json!("bad_response"),
        "upstream stream interrupted: the channel closed the connection",
        Some(request_id),
    )
}

fn ok_with_error(request_id: &str) -> Response {
    let body = error_body(
        "new_api_error",
        json!("query_data_error"),
        "database error while settling the bill (simulated)",
        Some(request_id),
    );
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn is_event_stream(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"))
}

/// Rewrites an SSE body event by event (the handlers send one event per piece).
fn transform_stream(response: Response, fault: Fault, request_id: String) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    let body = spawn_body(move |tx| async move {
        let mut source = body.into_data_stream();
        let mut events = 0usize;
        while let Some(piece) = source.next().await {
            let Ok(piece) = piece else {
                tx.reset().await;
                return;
            };
            // Comments (keep-alives) are not events.
            let is_event = !piece.starts_with(b":");
            if is_event {
                match &fault {
                    Fault::ResetAfter { chunks } if events == *chunks => {
                        tx.reset().await;
                        return;
                    }
                    Fault::Stall { ms } if events == 2 => {
                        tokio::time::sleep(Duration::from_millis(*ms)).await;
                    }
                    Fault::Malformed if events == 3 => {
                        let garbage = "data: {\"id\":\"chatcmpl-sim\",\"choices\":[{\"delta\":<html>upstream hiccup</html>\n\n";
                        if !tx.send(garbage).await {
                            return;
                        }
                    }
                    Fault::ErrorInStream if events == 3 => {
                        // A bare JSON line, not an SSE field: what new-api writes when the
                        // upstream fails after the stream began.
                        let _ = tx
                            .send(format!("{}\n", stream_error_body(&request_id)))
                            .await;
                        return;
                    }
                    _ => {}
                }
                events += 1;
            }
            let delivered = match fault {
                Fault::CrlfNoSpace => send_tiny(&tx, &crlf_no_space(&piece)).await,
                _ => tx.send(piece).await,
            };
            if !delivered {
                return;
            }
        }
    });
    Response::from_parts(parts, body)
}

/// `data: x\n` → `data:x\r\n` (and the same for `event:`).
fn crlf_no_space(piece: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(piece);
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split_inclusive('\n') {
        let (line, newline) = match line.strip_suffix('\n') {
            Some(l) => (l, "\r\n"),
            None => (line, ""),
        };
        let line = if let Some(rest) = line.strip_prefix("data: ") {
            format!("data:{rest}")
        } else if let Some(rest) = line.strip_prefix("event: ") {
            format!("event:{rest}")
        } else {
            line.to_owned()
        };
        out.push_str(&line);
        out.push_str(newline);
    }
    out.into_bytes()
}

/// Writes in 1-3 byte pieces (past 64 KiB in larger ones, so a big binary body still
/// arrives in reasonable time).
async fn send_tiny(tx: &BodyTx, bytes: &[u8]) -> bool {
    const TINY_LIMIT: usize = 64 * 1024;
    let bytes = Bytes::copy_from_slice(bytes);
    let mut offset = 0;
    let mut step = 0;
    while offset < bytes.len() {
        let size = if offset < TINY_LIMIT {
            1 + step % 3
        } else {
            16 * 1024
        };
        step += 1;
        let end = (offset + size).min(bytes.len());
        if !tx.send(bytes.slice(offset..end)).await {
            return false;
        }
        offset = end;
        // Gives hyper the chance to put each piece in its own write.
        tokio::task::yield_now().await;
    }
    true
}

/// What an `oversize` body announces: 2 GiB.
const OVERSIZE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

async fn transform_plain(response: Response, fault: Fault, request_id: String) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    let bytes = match axum::body::to_bytes(body, crate::gateway::MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let half = bytes.slice(..bytes.len() / 2);
    let body = match fault {
        Fault::ResetAfter { .. } => spawn_body(move |tx| async move {
            if tx.send(half).await {
                tx.reset().await;
            }
        }),
        Fault::Malformed => {
            let mut garbled = half.to_vec();
            garbled.extend_from_slice(b"<html>upstream hiccup");
            Body::from(garbled)
        }
        Fault::ErrorInStream => return ok_with_error(&request_id),
        Fault::CrlfNoSpace => spawn_body(move |tx| async move {
            send_tiny(&tx, &bytes).await;
        }),
        Fault::Oversize => {
            parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(OVERSIZE_BYTES));
            spawn_body(move |tx| async move {
                let zeros = Bytes::from(vec![0u8; 64 * 1024]);
                let mut sent = bytes.len() as u64;
                if !tx.send(bytes).await {
                    return;
                }
                while sent < OVERSIZE_BYTES {
                    let piece = zeros.slice(..(OVERSIZE_BYTES - sent).min(zeros.len() as u64) as usize);
                    sent += piece.len() as u64;
                    if !tx.send(piece).await {
                        return;
                    }
                }
            })
        }
        _ => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_specs() {
        let status = |status, code: Option<&str>, retry_after, empty_body| Fault::Status {
            status,
            code: code.map(str::to_owned),
            message: None,
            retry_after,
            empty_body,
        };
        assert_eq!("429".parse(), Ok(status(429, None, None, false)));
        assert_eq!("429:retry=2".parse(), Ok(status(429, None, Some(2), false)));
        assert_eq!("429:empty".parse(), Ok(status(429, None, None, true)));
        assert_eq!(
            "403:insufficient_user_quota".parse(),
            Ok(status(403, Some("insufficient_user_quota"), None, false))
        );
        assert_eq!(
            "503:model_not_found".parse(),
            Ok(status(503, Some("model_not_found"), None, false))
        );
        assert_eq!("html:502".parse(), Ok(Fault::Html { status: 502 }));
        assert_eq!("reset:3".parse(), Ok(Fault::ResetAfter { chunks: 3 }));
        assert_eq!("stall:2000".parse(), Ok(Fault::Stall { ms: 2000 }));
        assert_eq!("malformed".parse(), Ok(Fault::Malformed));
        assert_eq!("stream_error".parse(), Ok(Fault::ErrorInStream));
        assert_eq!("ok_error".parse(), Ok(Fault::OkWithError));
        assert_eq!("crlf".parse(), Ok(Fault::CrlfNoSpace));
        assert_eq!("oversize".parse(), Ok(Fault::Oversize));
        assert!("teapot".parse::<Fault>().is_err());
        assert!("700".parse::<Fault>().is_err());
        assert!("crlf:1".parse::<Fault>().is_err());
    }

    #[test]
    fn message_takes_the_rest_of_the_spec() {
        let fault: Fault = "500:internal:msg=boom: really".parse().unwrap();
        assert_eq!(
            fault,
            Fault::Status {
                status: 500,
                code: Some("internal".into()),
                message: Some("boom: really".into()),
                retry_after: None,
                empty_body: false,
            }
        );
        assert_eq!(fault.to_string().parse::<Fault>(), Ok(fault));
    }

    #[test]
    fn model_suffix_names_a_fault() {
        assert_eq!(strip_fault_suffix("gpt-4o-mini+fault=429"), "gpt-4o-mini");
        assert_eq!(strip_fault_suffix("gpt-4o-mini"), "gpt-4o-mini");
        let form = b"--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1+fault=502\r\n--b--\r\n";
        assert_eq!(
            multipart_model(form).as_deref(),
            Some("whisper-1+fault=502")
        );
    }

    #[test]
    fn crlf_variant_drops_the_space() {
        assert_eq!(
            crlf_no_space(b"event: x\ndata: {}\n\n"),
            b"event:x\r\ndata:{}\r\n\r\n"
        );
    }
}
