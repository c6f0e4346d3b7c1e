//! `POST /v1/chat/completions` with `stream: true`, tolerant of every valid variant:
//! `data:` with or without a space, CRLF, comments, a role-only first chunk, a usage chunk
//! with empty `choices`, `null` fields, `[DONE]`, and `reasoning_content`.

use base64::Engine;
use futures_util::{Stream, StreamExt};
use serde_json::{json, Value};

use super::client::{PlatformClient, Safety};
use super::sse;
use super::tools::{read_chat_deltas, ToolCall, ToolCallDelta};
use crate::error::{Error, Result};
use crate::types::{ChatParams, Role, TokenUsage};

/// One message of a request, in domain terms.
#[derive(Debug, Clone)]
pub struct ChatMessage {
    pub role: Role,
    pub text: String,
    /// (mime, bytes) of images sent with the message, as data URLs.
    pub images: Vec<(String, Vec<u8>)>,
    /// Calls an assistant message made; empty otherwise.
    pub tool_calls: Vec<ToolCall>,
    /// The call a `tool` message answers.
    pub tool_call_id: Option<String>,
}

impl ChatMessage {
    pub fn text(role: Role, text: impl Into<String>) -> ChatMessage {
        ChatMessage { role, text: text.into(), images: Vec::new(), tool_calls: Vec::new(), tool_call_id: None }
    }
}

/// What a reply stream yields.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatChunk {
    Content(String),
    Reasoning(String),
    Usage(TokenUsage),
    Finish(String),
    /// A piece of a function call, to be joined with the others of its index.
    ToolCall(ToolCallDelta),
}

pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn role_name(role: Role) -> &'static str {
    crate::library::messages::role_str(role)
}

fn wire_message(m: &ChatMessage) -> Value {
    if m.role == Role::Tool {
        return json!({ "role": "tool", "tool_call_id": m.tool_call_id, "content": m.text });
    }
    if !m.tool_calls.is_empty() {
        let calls: Vec<Value> = m
            .tool_calls
            .iter()
            .map(|c| json!({ "id": c.id, "type": "function", "function": { "name": c.name, "arguments": c.arguments } }))
            .collect();
        // `content` may be null beside tool calls; an empty string is refused by some upstreams.
        let content = if m.text.is_empty() { Value::Null } else { json!(m.text) };
        return json!({ "role": "assistant", "content": content, "tool_calls": calls });
    }
    if m.images.is_empty() {
        return json!({ "role": role_name(m.role), "content": m.text });
    }
    let mut parts = vec![json!({ "type": "text", "text": m.text })];
    parts.extend(
        m.images.iter().map(|(mime, bytes)| json!({ "type": "image_url", "image_url": { "url": data_url(mime, bytes), "detail": "auto" } })),
    );
    json!({ "role": role_name(m.role), "content": parts })
}

pub fn request_body(model: &str, messages: &[ChatMessage], params: &ChatParams) -> Value {
    let mut body = json!({
        "model": model,
        "messages": messages.iter().map(wire_message).collect::<Vec<_>>(),
        "stream": true,
        "stream_options": { "include_usage": true },
    });
    if let Some(t) = params.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(p) = params.top_p {
        body["top_p"] = json!(p);
    }
    if let Some(max) = params.max_tokens {
        body["max_tokens"] = json!(max);
    }
    body
}

/// Starts the stream. Retries happen only before the platform began answering.
pub async fn stream_chat(
    client: &PlatformClient,
    body: Value,
) -> Result<(impl Stream<Item = Result<ChatChunk>> + Send, Option<String>)> {
    let url = client.base().relay("chat/completions");
    let response = client.send(|| Ok(client.post(url.clone())?.json(&body)), Safety::Generation, "chat").await?;
    let request_id = super::failure::request_id_of(response.headers());
    let (events, bare_error) = sse::events(response);
    let stream = futures_util::stream::unfold(
        (events, bare_error, false, false),
        |(mut events, bare_error, finished, done)| async move {
            if done {
                return None;
            }
            let mut finished = finished;
            loop {
                match events.next().await {
                    None if finished => return None,
                    None => return Some((Err(sse::ended_early(&bare_error)), (events, bare_error, finished, true))),
                    Some(Err(e)) => return Some((Err(e), (events, bare_error, finished, true))),
                    Some(Ok(event)) => {
                        let data = event.data.trim();
                        if data == "[DONE]" {
                            return None;
                        }
                        if data.is_empty() {
                            continue;
                        }
                        match parse_chunk(data) {
                            Ok(chunks) if chunks.is_empty() => continue,
                            Ok(chunks) => {
                                finished |= chunks.iter().any(|c| matches!(c, ChatChunk::Finish(_)));
                                return Some((Ok(chunks), (events, bare_error, finished, false)));
                            }
                            // A garbled event is skipped; the rest of the reply still counts.
                            Err(Error::InvalidResponse(_)) => continue,
                            Err(e) => return Some((Err(e), (events, bare_error, finished, true))),
                        }
                    }
                }
            }
        },
    )
    .flat_map(sse::one_by_one);
    Ok((stream, request_id))
}

/// Reads one `data:` payload into what it carries.
pub fn parse_chunk(data: &str) -> Result<Vec<ChatChunk>> {
    let json: Value = serde_json::from_str(data).map_err(|e| Error::InvalidResponse(format!("a stream event was not JSON: {e}")))?;
    if let Some(said) = super::failure::error_in_success(&json) {
        return Err(super::failure::classify_in_success(said));
    }
    let mut out = Vec::new();
    if let Some(choice) = json.get("choices").and_then(Value::as_array).and_then(|c| c.first()) {
        let delta = choice.get("delta").or_else(|| choice.get("message"));
        if let Some(delta) = delta {
            let reasoning = delta.get("reasoning_content").or_else(|| delta.get("reasoning")).and_then(Value::as_str);
            if let Some(text) = reasoning.filter(|t| !t.is_empty()) {
                out.push(ChatChunk::Reasoning(text.to_string()));
            }
            if let Some(text) = delta.get("content").and_then(Value::as_str).filter(|t| !t.is_empty()) {
                out.push(ChatChunk::Content(text.to_string()));
            }
            if let Some(calls) = delta.get("tool_calls") {
                out.extend(read_chat_deltas(calls).into_iter().map(ChatChunk::ToolCall));
            }
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            out.push(ChatChunk::Finish(reason.to_string()));
        }
    }
    if let Some(usage) = json.get("usage").filter(|u| u.is_object()) {
        out.push(ChatChunk::Usage(usage_of(usage)));
    }
    Ok(out)
}

pub(crate) fn usage_of(usage: &Value) -> TokenUsage {
    let n = |keys: &[&str]| keys.iter().find_map(|k| usage.get(*k).and_then(Value::as_u64)).map(|v| v as u32);
    TokenUsage {
        input_tokens: n(&["prompt_tokens", "input_tokens"]),
        output_tokens: n(&["completion_tokens", "output_tokens"]),
        total_tokens: n(&["total_tokens"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_only_first_chunk_and_usage_chunk_with_empty_choices() {
        assert!(parse_chunk(r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#).unwrap().is_empty());
        let usage = parse_chunk(r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}"#).unwrap();
        assert_eq!(usage, vec![ChatChunk::Usage(TokenUsage { input_tokens: Some(5), output_tokens: Some(7), total_tokens: Some(12) })]);
        let nulls = parse_chunk(r#"{"choices":[{"delta":{"content":null,"reasoning_content":null},"finish_reason":null}],"usage":null}"#).unwrap();
        assert!(nulls.is_empty());
    }

    #[test]
    fn reasoning_content_and_finish_reason() {
        let chunks = parse_chunk(r#"{"choices":[{"delta":{"reasoning_content":"hmm"}}]}"#).unwrap();
        assert_eq!(chunks, vec![ChatChunk::Reasoning("hmm".into())]);
        let chunks = parse_chunk(r#"{"choices":[{"delta":{"content":"end"},"finish_reason":"length"}]}"#).unwrap();
        assert_eq!(chunks, vec![ChatChunk::Content("end".into()), ChatChunk::Finish("length".into())]);
    }

    #[test]
    fn an_error_event_is_an_error() {
        let err = parse_chunk(r#"{"error":{"message":"upstream died","code":"bad_response"}}"#).unwrap_err();
        assert!(err.to_string().contains("upstream died"));
    }

    #[test]
    fn images_become_data_url_parts() {
        let m = ChatMessage { images: vec![("image/png".into(), vec![1, 2, 3])], ..ChatMessage::text(Role::User, "what is this") };
        let body = request_body("gpt-4o", &[m], &ChatParams { max_tokens: Some(50), ..Default::default() });
        assert_eq!(body["messages"][0]["content"][1]["image_url"]["url"], "data:image/png;base64,AQID");
        assert_eq!(body["max_tokens"], 50);
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert!(body.get("temperature").is_none());
    }

    #[test]
    fn tool_call_deltas_and_tool_messages() {
        let chunks = parse_chunk(r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_x","type":"function","function":{"name":"speak","arguments":""}}]}}]}"#).unwrap();
        assert!(matches!(&chunks[0], ChatChunk::ToolCall(d) if d.index == 1 && d.id.as_deref() == Some("call_x")));
        let call = ToolCall { id: "call_x".into(), name: "speak".into(), arguments: "{}".into() };
        let asked = ChatMessage { tool_calls: vec![call], ..ChatMessage::text(Role::Assistant, "") };
        let answer = ChatMessage { tool_call_id: Some("call_x".into()), ..ChatMessage::text(Role::Tool, "done") };
        let body = request_body("gpt-4o", &[asked, answer], &ChatParams::default());
        assert_eq!(body["messages"][0]["tool_calls"][0]["function"]["name"], "speak");
        assert!(body["messages"][0]["content"].is_null());
        assert_eq!(body["messages"][1]["tool_call_id"], "call_x");
    }
}
