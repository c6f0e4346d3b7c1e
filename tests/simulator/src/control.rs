//! `/__sim/*`: the control surface for tests and scripts (no key, not recorded).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::faults::{Fault, FaultRule};
use crate::state::SimState;

pub(crate) fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/__sim/requests", get(requests).delete(clear_requests))
        .route(
            "/__sim/faults",
            get(faults).post(push_fault).delete(clear_faults),
        )
        .route(
            "/__sim/replies",
            get(replies).post(push_reply).delete(clear_replies),
        )
        .route(
            "/__sim/tool-calls",
            axum::routing::post(push_tool_calls),
        )
}

async fn requests(State(state): State<Arc<SimState>>) -> Response {
    Json(state.requests()).into_response()
}

async fn clear_requests(State(state): State<Arc<SimState>>) -> Response {
    state.clear_requests();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct FaultRequest {
    #[serde(default)]
    path_prefix: String,
    fault: String,
    #[serde(default = "one")]
    times: u32,
}

fn one() -> u32 {
    1
}

/// `{"path_prefix":"/v1/chat","fault":"429:empty","times":1}`.
async fn push_fault(State(state): State<Arc<SimState>>, body: Bytes) -> Response {
    let request: FaultRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return bad_request(&format!(
                "expected {{\"path_prefix\",\"fault\",\"times\"}}: {e}"
            ))
        }
    };
    let fault: Fault = match request.fault.parse() {
        Ok(f) => f,
        Err(e) => return bad_request(&e.to_string()),
    };
    state.push_fault(FaultRule {
        path_prefix: request.path_prefix,
        fault: fault.clone(),
        times: request.times,
    });
    Json(json!({"ok": true, "fault": fault.to_string()})).into_response()
}

async fn faults(State(state): State<Arc<SimState>>) -> Response {
    let queued: Vec<_> = state
        .queued_faults()
        .into_iter()
        .map(|r| json!({"path_prefix": r.path_prefix, "fault": r.fault.to_string(), "times": r.times}))
        .collect();
    Json(queued).into_response()
}

async fn clear_faults(State(state): State<Arc<SimState>>) -> Response {
    state.clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct ReplyRequest {
    content: String,
}

/// `{"content":"..."}`: the next chat reply says exactly this.
async fn push_reply(State(state): State<Arc<SimState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<ReplyRequest>(&body) {
        Ok(request) => {
            state.push_reply(request.content);
            Json(json!({"ok": true, "queued": state.queued_replies().len()})).into_response()
        }
        Err(e) => bad_request(&format!("expected {{\"content\"}}: {e}")),
    }
}

#[derive(Deserialize)]
struct ToolCallRequest {
    name: String,
    #[serde(default)]
    arguments: Option<serde_json::Value>,
}

/// `{"calls":[{"name","arguments"}]}`: the next turn offering tools makes these calls
/// (`arguments` as an object, or a string sent verbatim).
async fn push_tool_calls(State(state): State<Arc<SimState>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    struct Calls {
        calls: Vec<ToolCallRequest>,
    }
    match serde_json::from_slice::<Calls>(&body) {
        Ok(request) => {
            let calls = request
                .calls
                .into_iter()
                .map(|c| {
                    let arguments = match c.arguments {
                        Some(serde_json::Value::String(s)) => s,
                        Some(other) => other.to_string(),
                        None => "{}".to_owned(),
                    };
                    (c.name, arguments)
                })
                .collect();
            state.push_tool_calls(calls);
            Json(json!({"ok": true})).into_response()
        }
        Err(e) => bad_request(&format!("expected {{\"calls\":[{{\"name\",\"arguments\"}}]}}: {e}")),
    }
}

async fn replies(State(state): State<Arc<SimState>>) -> Response {
    Json(state.queued_replies()).into_response()
}

async fn clear_replies(State(state): State<Arc<SimState>>) -> Response {
    state.clear_replies();
    StatusCode::NO_CONTENT.into_response()
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"ok": false, "message": message})),
    )
        .into_response()
}
