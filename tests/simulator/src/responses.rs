//! `POST /v1/responses`: JSON, or SSE with `event:` lines and no `[DONE]`.

use axum::body::Bytes;
use serde_json::{json, Value};

use crate::body::{named_event, sse_response};
use crate::chat::{choose_tool_calls, compose_answer, content_text, ToolCall};
use crate::text::excerpt;
use crate::gateway::{ok_json, Answer, Ctx};
use crate::state::{unix_now, Charge};
use crate::text::{chunk_chars, estimate_tokens, take_chars};

/// The output of a function call that came after the last user message, if any.
fn tool_result(input: &Value) -> Option<String> {
    let items = input.as_array()?;
    let mut result = None;
    let mut after_output = false;
    for item in items {
        // Images a client shows right after tool outputs belong to those outputs.
        if item.get("role").and_then(Value::as_str) == Some("user") && !after_output {
            result = None;
        }
        after_output = item.get("type").and_then(Value::as_str) == Some("function_call_output");
        if after_output {
            result = Some(item.get("output").and_then(Value::as_str).unwrap_or("").to_owned());
        }
    }
    result
}

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

    let tools: Vec<(String, Option<Value>)> = request
        .get("tools")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(|t| Some((t.get("name")?.as_str()?.to_owned(), t.get("parameters").cloned())))
                .collect()
        })
        .unwrap_or_default();
    let answered = tool_result(input);
    let calls = choose_tool_calls(&ctx, &prompt, &tools, request.get("tool_choice"), answered.is_some());
    let mut text = if !calls.is_empty() {
        String::new()
    } else {
        ctx.state.take_reply().unwrap_or_else(|| match &answered {
            Some(result) => format!(
                "The tool returned: {}\n\nBased on that, here is the answer ✅ — café au lait for everyone!",
                excerpt(result, 200)
            ),
            None => compose_answer(&ctx.config().system_name, &model, &prompt, images),
        })
    };
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
    let output_tokens = estimate_tokens(&text)
        + calls.iter().map(|c| estimate_tokens(&c.arguments) + 3).sum::<u64>();
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
    let call_items: Vec<Value> = calls.iter().map(|c| skeleton.call_item(c, "completed")).collect();
    let finished = if calls.is_empty() {
        skeleton.response(status, Some(&text), usage)
    } else {
        let mut r = skeleton.response(status, None, usage);
        r["output"] = json!(call_items);
        r
    };
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
    if !calls.is_empty() {
        // Function calls: each an output item, arguments in pieces, then the whole item.
        for (index, call) in calls.iter().enumerate() {
            let mut added = skeleton.call_item(call, "in_progress");
            added["arguments"] = json!("");
            push("response.output_item.added", json!({"output_index": index, "item": added}));
            let item_id = format!("fc_{}", call.id);
            for piece in chunk_chars(&call.arguments, ctx.config().chunk_size.max(1) * 2) {
                push(
                    "response.function_call_arguments.delta",
                    json!({"item_id": item_id, "output_index": index, "delta": piece}),
                );
            }
            push(
                "response.function_call_arguments.done",
                json!({"item_id": item_id, "output_index": index, "arguments": call.arguments}),
            );
            push("response.output_item.done", json!({"output_index": index, "item": skeleton.call_item(call, "completed")}));
        }
        push("response.completed", json!({"response": finished}));
        return Ok(sse_response(events, ctx.config().chunk_delay));
    }
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
    fn call_item(&self, call: &ToolCall, status: &str) -> Value {
        json!({"id": format!("fc_{}", call.id), "type": "function_call", "status": status, "call_id": call.id, "name": call.name, "arguments": call.arguments})
    }

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
