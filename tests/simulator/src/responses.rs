//! `POST /v1/responses`: JSON, or SSE with `event:` lines and no `[DONE]`.

use axum::body::Bytes;
use serde_json::{json, Value};

use crate::body::{named_event, sse_response};
use crate::chat::{compose_answer, content_text};
use crate::gateway::{ok_json, Answer, Ctx};
use crate::state::{unix_now, Charge};
use crate::text::{chunk_chars, estimate_tokens, take_chars};

/// The last user text and its images, from a string `input` or a list of items.
fn read_input(input: &Value) -> (String, usize, u64) {
    match input {
        Value::String(s) => (s.clone(), 0, estimate_tokens(s)),
        Value::Array(items) => {
            let mut prompt = (String::new(), 0);
            let mut tokens = 0;
            for item in items {
                let (text, images) = match item.get("content") {
                    Some(content) => content_text(content),
                    // function_call_output and friends carry `output`.
                    None => (
                        item.get("output")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned(),
                        0,
                    ),
                };
                tokens += estimate_tokens(&text) + 3 + 85 * images as u64;
                if item.get("role").and_then(Value::as_str) == Some("user") {
                    prompt = (text, images);
                }
            }
            (prompt.0, prompt.1, tokens)
        }
        _ => (String::new(), 0, 0),
    }
}

pub(crate) async fn create(ctx: Ctx, body: Bytes) -> Answer {
    let request = ctx.json_body(&body)?;
    let model = ctx.known_model(request.get("model"))?;
    let Some(input) = request
        .get("input")
        .filter(|i| i.is_string() || i.is_array())
    else {
        return Err(ctx.invalid_request("field input is required"));
    };
    let (prompt, images, mut input_tokens) = read_input(input);
    let instructions = request.get("instructions").and_then(Value::as_str);
    input_tokens += instructions.map_or(0, estimate_tokens);

    let mut text = ctx
        .state
        .take_reply()
        .unwrap_or_else(|| compose_answer(&ctx.config().system_name, &model, &prompt, images));
    let mut status = "completed";
    let limit = request
        .get("max_output_tokens")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0);
    if let Some(limit) = limit {
        if estimate_tokens(&text) > limit {
            text = take_chars(&text, (limit * 4) as usize);
            status = "incomplete";
        }
    }
    let output_tokens = estimate_tokens(&text);
    let stream = request
        .get("stream")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    ctx.state.charge(Charge {
        model: &model,
        prompt_tokens: input_tokens,
        completion_tokens: output_tokens,
        quota: ((input_tokens + 4 * output_tokens) * 5) as i64,
        stream,
    });

    let skeleton = Skeleton {
        id: ctx.state.new_id("resp_"),
        item_id: ctx.state.new_id("msg_"),
        created_at: unix_now(),
        model: model.clone(),
        request: request.clone(),
    };
    let usage = json!({
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    });
    let finished = skeleton.response(status, Some(&text), usage);
    if !stream {
        return ok_json(&finished);
    }

    let mut events = Vec::new();
    let mut seq = 0u64;
    let mut push = |kind: &str, mut value: Value| {
        value["type"] = json!(kind);
        value["sequence_number"] = json!(seq);
        seq += 1;
        events.push(named_event(kind, &value));
    };
    let in_progress = skeleton.response("in_progress", None, Value::Null);
    push("response.created", json!({"response": in_progress}));
    push("response.in_progress", json!({"response": in_progress}));
    let item = |status: &str, content: Value| json!({"id": skeleton.item_id, "type": "message", "status": status, "role": "assistant", "content": content});
    push(
        "response.output_item.added",
        json!({"output_index": 0, "item": item("in_progress", json!([]))}),
    );
    let part = |t: &str| json!({"type": "output_text", "text": t, "annotations": []});
    let at = json!({"item_id": skeleton.item_id, "output_index": 0, "content_index": 0});
    let with = |extra: Value| {
        let mut v = at.clone();
        if let (Some(target), Value::Object(extra)) = (v.as_object_mut(), extra) {
            target.extend(extra);
        }
        v
    };
    push(
        "response.content_part.added",
        with(json!({"part": part("")})),
    );
    for piece in chunk_chars(&text, ctx.config().chunk_size.max(1)) {
        push(
            "response.output_text.delta",
            with(json!({"delta": piece, "logprobs": []})),
        );
    }
    push(
        "response.output_text.done",
        with(json!({"text": text, "logprobs": []})),
    );
    push(
        "response.content_part.done",
        with(json!({"part": part(&text)})),
    );
    push(
        "response.output_item.done",
        json!({"output_index": 0, "item": item(status, json!([part(&text)]))}),
    );
    let last = if status == "completed" {
        "response.completed"
    } else {
        "response.incomplete"
    };
    push(last, json!({"response": finished}));
    Ok(sse_response(events, ctx.config().chunk_delay))
}

struct Skeleton {
    id: String,
    item_id: String,
    created_at: u64,
    model: String,
    request: Value,
}

impl Skeleton {
    fn response(&self, status: &str, text: Option<&str>, usage: Value) -> Value {
        let output = match text {
            Some(text) => json!([{
                "id": self.item_id,
                "type": "message",
                "status": status,
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }]),
            None => json!([]),
        };
        let field = |k: &str| self.request.get(k).cloned().unwrap_or(Value::Null);
        let incomplete = (status == "incomplete").then(|| json!({"reason": "max_output_tokens"}));
        json!({
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "error": null,
            "incomplete_details": incomplete,
            "instructions": field("instructions"),
            "max_output_tokens": field("max_output_tokens"),
            "model": self.model,
            "output": output,
            "parallel_tool_calls": true,
            "previous_response_id": field("previous_response_id"),
            "reasoning": {"effort": field("reasoning").get("effort").cloned(), "summary": null},
            "store": true,
            "temperature": field("temperature"),
            "text": {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": [],
            "top_p": field("top_p"),
            "truncation": "disabled",
            "usage": usage,
            "user": null,
            "metadata": {},
        })
    }
}
