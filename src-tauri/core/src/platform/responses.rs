//! `POST /v1/responses` with `stream: true`: typed `event:` lines and no `[DONE]`; the
//! stream ends at `response.completed`, `response.incomplete`, `response.failed` or `error`.

use futures_util::{Stream, StreamExt};
use serde_json::{json, Value};

use super::chat::{data_url, usage_of, ChatChunk, ChatMessage};
use super::client::{PlatformClient, Safety};
use super::sse;
use crate::error::{Error, Result};
use crate::types::{ChatParams, Role};

pub fn request_body(model: &str, messages: &[ChatMessage], params: &ChatParams) -> Value {
    let instructions: Vec<&str> =
        messages.iter().filter(|m| matches!(m.role, Role::System | Role::Developer)).map(|m| m.text.as_str()).collect();
    let input: Vec<Value> = messages
        .iter()
        .filter(|m| matches!(m.role, Role::User | Role::Assistant))
        .map(|m| {
            let mut content = vec![if m.role == Role::Assistant {
                json!({ "type": "output_text", "text": m.text })
            } else {
                json!({ "type": "input_text", "text": m.text })
            }];
            content.extend(m.images.iter().map(|(mime, bytes)| json!({ "type": "input_image", "image_url": data_url(mime, bytes) })));
            json!({ "role": if m.role == Role::Assistant { "assistant" } else { "user" }, "content": content })
        })
        .collect();
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
        "response.completed" | "response.incomplete" => {
            let response = data.get("response").unwrap_or(data);
            let mut chunks = Vec::new();
            if let Some(usage) = response.get("usage").filter(|u| u.is_object()) {
                chunks.push(ChatChunk::Usage(usage_of(usage)));
            }
            let reason = if kind == "response.completed" {
                "stop".to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_messages_become_instructions_and_images_input_images() {
        let messages = vec![
            ChatMessage { role: Role::System, text: "be brief".into(), images: vec![] },
            ChatMessage { role: Role::User, text: "look".into(), images: vec![("image/png".into(), vec![0])] },
            ChatMessage { role: Role::Assistant, text: "a dot".into(), images: vec![] },
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
}
