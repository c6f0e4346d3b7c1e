//! Chat completions and the Responses API.

use serde_json::{json, Value};

use crate::{data_lines, json, post, read_stream, start};

fn chat(content: Value, stream: bool) -> Value {
    json!({"model": "gpt-4o-mini", "stream": stream, "messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": content},
    ]})
}

/// The content deltas of a chat stream, joined.
fn joined(events: &[Value], field: &str) -> String {
    events
        .iter()
        .filter_map(|e| e["choices"][0]["delta"][field].as_str())
        .collect()
}

#[tokio::test]
async fn stream_ends_with_a_usage_chunk_then_done() {
    let sim = start().await;
    let response = post(
        &sim,
        "/v1/chat/completions",
        chat(json!("hello café"), true),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let (pieces, failed) = read_stream(response).await;
    assert!(!failed);
    let text = String::from_utf8(pieces.concat()).unwrap();
    assert!(text.contains("\n: keep-alive\n") || text.starts_with(": keep-alive"));

    let lines = data_lines(&text);
    assert_eq!(lines.last().unwrap(), "[DONE]");
    let events: Vec<Value> = lines[..lines.len() - 1]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["choices"][0]["delta"]["role"], "assistant");
    let usage = events.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["total_tokens"].as_u64().unwrap() > 0);
    let finish = &events[events.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");

    // Streamed and plain answers say the same thing.
    let content = joined(&events, "content");
    assert!(content.contains("hello café"));
    let plain = crate::json(
        post(
            &sim,
            "/v1/chat/completions",
            chat(json!("hello café"), false),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(plain["choices"][0]["message"]["content"], content);
    assert_eq!(plain["object"], "chat.completion");
    assert!(plain["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn small_max_tokens_truncates_with_length() {
    let sim = start().await;
    let mut request = chat(json!("tell me everything"), false);
    request["max_tokens"] = json!(5);
    let body = json(
        post(&sim, "/v1/chat/completions", request)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["choices"][0]["finish_reason"], "length");
    assert_eq!(
        body["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        20
    );
}

#[tokio::test]
async fn image_parts_are_seen() {
    let sim = start().await;
    let parts = json!([
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "auto"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    ]);
    let body = json(
        post(&sim, "/v1/chat/completions", chat(parts, false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(body["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("I see 2 images"));
}

#[tokio::test]
async fn tool_calls_stream_in_pieces_joined_by_index() {
    let sim = start().await;
    let tool = |name: &str| json!({"type": "function", "function": {"name": name, "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}}});
    let mut request = chat(json!("please use tool to check"), true);
    request["tools"] = json!([tool("weather"), tool("news")]);
    let (pieces, _) = read_stream(
        post(&sim, "/v1/chat/completions", request)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let text = String::from_utf8(pieces.concat()).unwrap();
    let events: Vec<Value> = data_lines(&text)
        .iter()
        .filter(|l| *l != "[DONE]")
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut arguments = [String::new(), String::new()];
    let mut names = [String::new(), String::new()];
    let mut argument_chunks = 0;
    for event in &events {
        for call in event["choices"][0]["delta"]["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let index = call["index"].as_u64().unwrap() as usize;
            if let Some(name) = call["function"]["name"].as_str() {
                names[index] = name.to_owned();
            }
            if let Some(piece) = call["function"]["arguments"]
                .as_str()
                .filter(|p| !p.is_empty())
            {
                arguments[index].push_str(piece);
                argument_chunks += 1;
            }
        }
    }
    assert_eq!(names, ["weather".to_owned(), "news".to_owned()]);
    assert!(argument_chunks > 2, "arguments are split across chunks");
    for args in &arguments {
        let parsed: Value = serde_json::from_str(args).unwrap();
        assert_eq!(parsed["city"], "Paris");
        assert_eq!(parsed["days"], 3);
    }
    let finish = events
        .iter()
        .find_map(|e| e["choices"][0]["finish_reason"].as_str())
        .unwrap();
    assert_eq!(finish, "tool_calls");
}

#[tokio::test]
async fn reasoning_models_think_first() {
    let sim = start().await;
    let mut request = chat(json!("why is the sky blue"), true);
    request["model"] = json!("o4-mini");
    let (pieces, _) = read_stream(
        post(&sim, "/v1/chat/completions", request)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let text = String::from_utf8(pieces.concat()).unwrap();
    let events: Vec<Value> = data_lines(&text)
        .iter()
        .filter(|l| *l != "[DONE]")
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first_reasoning = events
        .iter()
        .position(|e| e["choices"][0]["delta"]["reasoning_content"].is_string())
        .unwrap();
    let first_content = events
        .iter()
        .position(|e| {
            e["choices"][0]["delta"]["content"]
                .as_str()
                .is_some_and(|c| !c.is_empty())
        })
        .unwrap();
    assert!(first_reasoning < first_content);
    assert!(!joined(&events, "reasoning_content").is_empty());
}

#[tokio::test]
async fn unknown_model_is_503_and_missing_messages_500() {
    let sim = start().await;
    let mut request = chat(json!("hi"), false);
    request["model"] = json!("no-such-model");
    let response = post(&sim, "/v1/chat/completions", request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(json(response).await["error"]["code"], "model_not_found");
    let response = post(
        &sim,
        "/v1/chat/completions",
        json!({"model": "gpt-4o-mini"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(json(response).await["error"]["code"], "invalid_request");
}

#[tokio::test]
async fn responses_stream_uses_event_lines_and_no_done() {
    let sim = start().await;
    let request = json!({"model": "gpt-4.1-mini", "input": "hello responses", "stream": true});
    let (pieces, failed) =
        read_stream(post(&sim, "/v1/responses", request).send().await.unwrap()).await;
    assert!(!failed);
    let text = String::from_utf8(pieces.concat()).unwrap();
    assert!(!text.contains("[DONE]"));
    let kinds: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(kinds.first(), Some(&"response.created"));
    assert_eq!(kinds.last(), Some(&"response.completed"));
    let data = data_lines(&text);
    let deltas: String = data
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap().to_owned())
        .collect();
    let completed: Value = serde_json::from_str(data.last().unwrap()).unwrap();
    assert_eq!(
        completed["response"]["output"][0]["content"][0]["text"],
        deltas
    );
    assert!(
        completed["response"]["usage"]["total_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );

    let plain = json(
        post(
            &sim,
            "/v1/responses",
            json!({"model": "gpt-4.1-mini", "input": "hello responses"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(plain["status"], "completed");
    assert_eq!(plain["output"][0]["content"][0]["text"], deltas);
}

/// A queued reply is answered verbatim, once, on either API; the echo comes back after.
#[tokio::test]
async fn queued_replies_are_used_verbatim_then_the_echo_returns() {
    let sim = start().await;
    let scripted = "<script>window.x=1</script>\n\n[x](javascript:alert(1)) café ☕";
    sim.push_reply(scripted);
    let queued = crate::client()
        .post(format!("{}/__sim/replies", sim.base_url()))
        .json(&json!({"content": "second **reply**"}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 200);
    let listed = json(
        crate::client()
            .get(format!("{}/__sim/replies", sim.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed, json!([scripted, "second **reply**"]));

    let (pieces, failed) = read_stream(
        post(&sim, "/v1/chat/completions", chat(json!("anything"), true))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!failed);
    let text = String::from_utf8(pieces.concat()).unwrap();
    let lines = data_lines(&text);
    let events: Vec<Value> = lines[..lines.len() - 1]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(joined(&events, "content"), scripted);

    let plain = json(
        post(
            &sim,
            "/v1/responses",
            json!({"model": "gpt-4.1-mini", "input": "hello"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(plain["output"][0]["content"][0]["text"], "second **reply**");

    let echo = json(
        post(&sim, "/v1/chat/completions", chat(json!("echo me"), false))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(echo["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("echo me"));

    // DELETE forgets what is queued; a body without content is refused.
    sim.push_reply("never sent");
    let cleared = crate::client()
        .delete(format!("{}/__sim/replies", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    let bad = crate::client()
        .post(format!("{}/__sim/replies", sim.base_url()))
        .json(&json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let echo = json(
        post(
            &sim,
            "/v1/chat/completions",
            chat(json!("echo again"), false),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert!(echo["choices"][0]["message"]["content"]
        .as_str()
        .unwrap()
        .contains("echo again"));
}
