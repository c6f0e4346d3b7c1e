//! `POST /v1/responses` with `stream: true`: typed `event:` lines and no `[DONE]`; the
//! stream ends at `response.completed`, `response.incomplete`, `response.failed` or `error`.

use futures_util::{Stream, StreamExt};
use serde_json::{json, Value};

use super::chat::{data_url, usage_of, ChatChunk, ChatMessage};
use super::client::{PlatformClient, Safety};
use super::sse;
use super::tools::ToolCallDelta;
use crate::error::{Error, Result};
use crate::types::{ChatParams, Role};

pub fn request_body(model: &str, messages: &[ChatMessage], params: &ChatParams) -> Value {
    let instructions: Vec<&str> =
        messages.iter().filter(|m| matches!(m.role, Role::System | Role::Developer)).map(|m| m.text.as_str()).collect();
    let mut input: Vec<Value> = Vec::new();
    for m in messages.iter().filter(|m| matches!(m.role, Role::User | Role::Assistant | Role::Tool)) {
        // Function calls and their outputs are items of their own in this API.
        if m.role == Role::Tool {
            input.push(json!({ "type": "function_call_output", "call_id": m.tool_call_id, "output": m.text }));
            continue;
        }
        if !m.tool_calls.is_empty() {
            if !m.text.is_empty() {
                input.push(json!({ "role": "assistant", "content": [{ "type": "output_text", "text": m.text }] }));
            }
            input.extend(
                m.tool_calls.iter().map(|c| json!({ "type": "function_call", "call_id": c.id, "name": c.name, "arguments": c.arguments })),
            );
            continue;
        }
        input.push({
            let mut content = vec![if m.role == Role::Assistant {
                json!({ "type": "output_text", "text": m.text })
            } else {
                json!({ "type": "input_text", "text": m.text })
            }];
            content.extend(m.images.iter().map(|(mime, bytes)| json!({ "type": "input_image", "image_url": data_url(mime, bytes) })));
            json!({ "role": if m.role == Role::Assistant { "assistant" } else { "user" }, "content": content })
        });
    }
    let mut body = json!({ "model": model, "input": input, "stream": true });
    if !instructions.is_empty() {
        body["instructions"] = json!(instructions.join("\n\n"));
    }
    if let Some(t) = params.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(p) = params.top_p {
        body["top_p"] = json!(p);
    }
    if let Some(max) = params.max_tokens {
        body["max_output_tokens"] = json!(max);
    }
    body
}

pub async fn stream_response(
    client: &PlatformClient,
    body: Value,
) -> Result<(impl Stream<Item = Result<ChatChunk>> + Send, Option<String>)> {
    let url = client.base().relay("responses");
    let response = client.send(|| Ok(client.post(url.clone())?.json(&body)), Safety::Generation, "the Responses API").await?;
    let request_id = super::failure::request_id_of(response.headers());
    let (events, bare_error) = sse::events(response);
    let stream = futures_util::stream::unfold((events, bare_error, false), |(mut events, bare_error, done)| async move {
        if done {
            return None;
        }
        loop {
            match events.next().await {
                None => return Some((Err(sse::ended_early(&bare_error)), (events, bare_error, true))),
                Some(Err(e)) => return Some((Err(e), (events, bare_error, true))),
                Some(Ok(event)) => {
                    let Ok(data) = serde_json::from_str::<Value>(&event.data) else { continue };
                    let kind = data.get("type").and_then(Value::as_str).unwrap_or(event.event.as_str()).to_string();
                    match read_event(&kind, &data) {
                        Step::Skip => continue,
                        Step::Yield(chunks) => return Some((Ok(chunks), (events, bare_error, false))),
                        Step::End(chunks) => return Some((Ok(chunks), (events, bare_error, true))),
                        Step::Fail(e) => return Some((Err(e), (events, bare_error, true))),
                    }
                }
            }
        }
    })
    .flat_map(sse::one_by_one);
    Ok((stream, request_id))
}

enum Step {
    Skip,
    Yield(Vec<ChatChunk>),
    End(Vec<ChatChunk>),
    Fail(Error),
}

fn read_event(kind: &str, data: &Value) -> Step {
    let text = |key: &str| data.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
    match kind {
        "response.output_text.delta" => Step::Yield(vec![ChatChunk::Content(text("delta"))]),
        "response.reasoning_summary_text.delta" | "response.reasoning_text.delta" => {
            Step::Yield(vec![ChatChunk::Reasoning(text("delta"))])
        }
        "response.output_item.added" | "response.output_item.done" => match function_call(data, kind.ends_with("done")) {
            Some(delta) => Step::Yield(vec![ChatChunk::ToolCall(delta)]),
            None => Step::Skip,
        },
        "response.function_call_arguments.delta" | "response.function_call_arguments.done" => {
            let done = kind.ends_with("done");
            let Some(index) = data.get("output_index").and_then(Value::as_u64) else { return Step::Skip };
            let arguments = if done { text("arguments") } else { text("delta") };
            Step::Yield(vec![ChatChunk::ToolCall(ToolCallDelta { index: index as usize, id: None, name: None, arguments, whole: done })])
        }
        "response.completed" | "response.incomplete" => {
            let response = data.get("response").unwrap_or(data);
            let called = response
                .get("output")
                .and_then(Value::as_array)
                .is_some_and(|items| items.iter().any(|i| i.get("type").and_then(Value::as_str) == Some("function_call")));
            let mut chunks = Vec::new();
            if let Some(usage) = response.get("usage").filter(|u| u.is_object()) {
                chunks.push(ChatChunk::Usage(usage_of(usage)));
            }
            let reason = if kind == "response.completed" {
                if called { "tool_calls" } else { "stop" }.to_string()
            } else {
                match response.pointer("/incomplete_details/reason").and_then(Value::as_str) {
                    Some("max_output_tokens") | None => "length".to_string(),
                    Some(other) => other.to_string(),
                }
            };
            chunks.push(ChatChunk::Finish(reason));
            Step::End(chunks)
        }
        "response.failed" | "error" => {
            let message = data
                .pointer("/response/error/message")
                .or_else(|| data.pointer("/error/message"))
                .or_else(|| data.get("message"))
                .and_then(Value::as_str)
                .unwrap_or("the platform reported that the response failed");
            let (message, request_id) = super::failure::split_request_id(message);
            Step::Fail(Error::ServerError { message, request_id })
        }
        _ => Step::Skip,
    }
}

/// A `function_call` output item as a call piece; `whole` when the item is complete.
fn function_call(data: &Value, whole: bool) -> Option<ToolCallDelta> {
    let item = data.get("item")?;
    if item.get("type").and_then(Value::as_str) != Some("function_call") {
        return None;
    }
    let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
    let arguments = text("arguments").unwrap_or_default();
    Some(ToolCallDelta {
        index: data.get("output_index").and_then(Value::as_u64).unwrap_or(0) as usize,
        id: text("call_id").or_else(|| text("id")),
        name: text("name"),
        // An added item usually has empty arguments; a done one has them all.
        whole: whole && !arguments.is_empty(),
        arguments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_messages_become_instructions_and_images_input_images() {
        let messages = vec![
            ChatMessage::text(Role::System, "be brief"),
            ChatMessage { images: vec![("image/png".into(), vec![0])], ..ChatMessage::text(Role::User, "look") },
            ChatMessage::text(Role::Assistant, "a dot"),
        ];
        let body = request_body("gpt-4o", &messages, &ChatParams { max_tokens: Some(10), ..Default::default() });
        assert_eq!(body["instructions"], "be brief");
        assert_eq!(body["input"][0]["content"][1]["type"], "input_image");
        assert_eq!(body["input"][1]["content"][0]["type"], "output_text");
        assert_eq!(body["max_output_tokens"], 10);
    }

    #[test]
    fn completion_carries_usage_and_failure_its_message() {
        let done = serde_json::json!({"type":"response.completed","response":{"usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}});
        let Step::End(chunks) = read_event("response.completed", &done) else { panic!("completed ends the stream") };
        assert!(matches!(chunks[0], ChatChunk::Usage(u) if u.total_tokens == Some(7)));
        let failed = serde_json::json!({"type":"response.failed","response":{"error":{"message":"model overloaded (request id: r1)"}}});
        let Step::Fail(e) = read_event("response.failed", &failed) else { panic!("failed is an error") };
        assert_eq!(e.request_id(), Some("r1"));
    }

    #[test]
    fn function_call_items_become_call_pieces_and_calls_go_back_as_items() {
        let added = serde_json::json!({"output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"speak","arguments":""}});
        let Step::Yield(chunks) = read_event("response.output_item.added", &added) else { panic!("a call item yields") };
        assert!(matches!(&chunks[0], ChatChunk::ToolCall(d) if d.index == 1 && d.id.as_deref() == Some("call_1") && !d.whole));
        let delta = serde_json::json!({"output_index":1,"item_id":"fc_1","delta":"{\"text\""});
        assert!(matches!(read_event("response.function_call_arguments.delta", &delta), Step::Yield(_)));
        let done = serde_json::json!({"type":"response.completed","response":{"output":[{"type":"function_call"}]}});
        let Step::End(chunks) = read_event("response.completed", &done) else { panic!("completed ends") };
        assert_eq!(chunks.last(), Some(&ChatChunk::Finish("tool_calls".into())));

        let call = crate::platform::tools::ToolCall { id: "call_1".into(), name: "speak".into(), arguments: "{}".into() };
        let messages = vec![
            ChatMessage { tool_calls: vec![call], ..ChatMessage::text(Role::Assistant, "") },
            ChatMessage { tool_call_id: Some("call_1".into()), ..ChatMessage::text(Role::Tool, "ok") },
        ];
        let body = request_body("gpt-4o", &messages, &ChatParams::default());
        assert_eq!(body["input"][0]["type"], "function_call");
        assert_eq!(body["input"][1]["type"], "function_call_output");
        assert_eq!(body["input"][1]["call_id"], "call_1");
    }
}
