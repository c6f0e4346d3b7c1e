//! `POST /v1/chat/completions`, JSON and SSE.
//!
//! Replies are deterministic: they depend on the last user message only, echo it, and
//! always contain multi-byte UTF-8 (emoji, "café") so clients' UTF-8 handling is tested.

use axum::body::Bytes;
use serde_json::{json, Map, Value};

use crate::body::{data_event, sse_response, DONE, KEEP_ALIVE};
use crate::gateway::{ok_json, Answer, Ctx};
use crate::models::is_reasoning;
use crate::state::{unix_now, Charge};
use crate::text::{chunk_chars, estimate_tokens, excerpt, hash64, take_chars};

/// The conversation as the simulated model sees it.
pub(crate) struct Turn {
    /// Text of the last user message.
    pub prompt: String,
    /// Images attached to the last user message.
    pub images: usize,
    /// Set when the conversation ends with a tool's answer.
    pub tool_result: Option<String>,
    pub prompt_tokens: u64,
    pub image_tokens: u64,
}

/// Text and image count of a `content` that is a string or a list of parts.
pub(crate) fn content_text(content: &Value) -> (String, usize) {
    match content {
        Value::String(s) => (s.clone(), 0),
        Value::Array(parts) => {
            let mut text = Vec::new();
            let mut images = 0;
            for part in parts {
                match part.get("type").and_then(Value::as_str).unwrap_or("") {
                    "text" | "input_text" | "output_text" => {
                        if let Some(t) = part.get("text").and_then(Value::as_str) {
                            text.push(t);
                        }
                    }
                    "image_url" | "input_image" => images += 1,
                    _ => {}
                }
            }
            (text.join("\n"), images)
        }
        _ => (String::new(), 0),
    }
}

impl Turn {
    fn from_messages(messages: &[Value]) -> Turn {
        let mut turn = Turn {
            prompt: String::new(),
            images: 0,
            tool_result: None,
            prompt_tokens: 0,
            image_tokens: 0,
        };
        let mut after_tool = false;
        for message in messages {
            let (text, images) = content_text(message.get("content").unwrap_or(&Value::Null));
            // 3 tokens of framing per message, 85 per image (OpenAI's "low detail" price).
            turn.prompt_tokens += estimate_tokens(&text) + 3;
            turn.image_tokens += 85 * images as u64;
            let role = message.get("role").and_then(Value::as_str);
            match role {
                // Images a client shows right after tool results belong to those results.
                Some("user") if after_tool => turn.images += images,
                Some("user") => {
                    turn.prompt = text;
                    turn.images = images;
                    turn.tool_result = None;
                }
                Some("tool") => turn.tool_result = Some(text),
                _ => {}
            }
            after_tool = role == Some("tool");
        }
        turn.prompt_tokens += turn.image_tokens;
        turn
    }
}

/// The answer text for a prompt; shared with the Responses API.
pub(crate) fn compose_answer(
    system_name: &str,
    model: &str,
    prompt: &str,
    images: usize,
) -> String {
    let prompt = prompt.trim();
    if prompt.is_empty() && images == 0 {
        return format!(
            "Hello! 👋 I'm the {system_name} assistant. Ask me anything — even about café culture."
        );
    }
    let seed = hash64(prompt.as_bytes());
    let opener = ["Sure! ✨", "Good question! 🙂", "Here you go ☕"][(seed % 3) as usize];
    let mut out = format!("{opener} You asked: “{}”\n\n", excerpt(prompt, 120));
    if images > 0 {
        let plural = if images == 1 { "" } else { "s" };
        out += &format!("I see {images} image{plural} in your message.\n\n");
    }
    let words = prompt.split_whitespace().count();
    out += "**Summary** — a few points:\n\n";
    out += &format!(
        "- Your message has {words} word(s) and {} characters.\n",
        prompt.chars().count()
    );
    out += &format!(
        "- This answer comes from `{model}` on {system_name}, served fresh like a café crème.\n"
    );
    out += "- Everything here is simulated and deterministic: same question, same answer.\n";
    let lower = prompt.to_lowercase();
    let wants_code = ["code", "rust", "function", "program"]
        .iter()
        .any(|w| lower.contains(w));
    if wants_code || seed.is_multiple_of(4) {
        let quoted = excerpt(prompt, 40)
            .replace('\\', "\\\\")
            .replace('"', "\\\"");
        out += &format!("\n```rust\nfn main() {{\n    println!(\"{quoted}\");\n}}\n```\n");
    }
    out += "\nAnything else? 🚀";
    out
}

pub(crate) fn compose_reasoning(prompt: &str) -> String {
    format!(
        "The user wrote “{}”. Let me think step by step: understand the question, answer briefly, add an example. Ready ✅",
        excerpt(prompt, 60)
    )
}

pub(crate) struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

struct Reply {
    reasoning: Option<String>,
    content: Option<String>,
    tool_calls: Vec<ToolCall>,
    finish_reason: &'static str,
}

impl Reply {
    fn completion_tokens(&self) -> (u64, u64) {
        let reasoning = self.reasoning.as_deref().map_or(0, estimate_tokens);
        let content = self.content.as_deref().map_or(0, estimate_tokens);
        let tools: u64 = self
            .tool_calls
            .iter()
            .map(|c| estimate_tokens(&c.name) + estimate_tokens(&c.arguments) + 3)
            .sum();
        (reasoning + content + tools, reasoning)
    }
}

fn plan_reply(ctx: &Ctx, model: &str, turn: &Turn, request: &Value) -> Reply {
    let reasoning = is_reasoning(model).then(|| compose_reasoning(&turn.prompt));
    let tool_calls = plan_tool_calls(ctx, turn, request);
    if !tool_calls.is_empty() {
        return Reply {
            reasoning,
            content: None,
            tool_calls,
            finish_reason: "tool_calls",
        };
    }
    let scripted = ctx.state.take_reply();
    let mut content = match (scripted, &turn.tool_result) {
        (Some(scripted), _) => scripted,
        (None, Some(result)) => format!(
            "The tool returned: {}\n\nBased on that, here is the answer ✅ — café au lait for everyone!",
            excerpt(result, 200)
        ),
        (None, None) => compose_answer(&ctx.config().system_name, model, &turn.prompt, turn.images),
    };
    let mut finish_reason = "stop";
    if let Some(cut) = stop_position(&content, request.get("stop")) {
        content.truncate(cut);
    }
    let limit = ["max_completion_tokens", "max_tokens"]
        .iter()
        .find_map(|k| request.get(*k).and_then(Value::as_u64))
        .filter(|n| *n > 0);
    if let Some(limit) = limit {
        if estimate_tokens(&content) > limit {
            content = take_chars(&content, (limit * 4) as usize);
            finish_reason = "length";
        }
    }
    Reply {
        reasoning,
        content: Some(content),
        tool_calls: Vec::new(),
        finish_reason,
    }
}

fn stop_position(content: &str, stop: Option<&Value>) -> Option<usize> {
    let stops: Vec<&str> = match stop {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    stops
        .into_iter()
        .filter(|s| !s.is_empty())
        .filter_map(|s| content.find(s))
        .min()
}

/// Calls the offered tools: the calls a test queued, else what `tool_choice` demands,
/// else tools whose purpose the user's words name ("draw", "clip", "read aloud",
/// "transcribe"; several at once are parallel calls), else the first two tools when the user
/// says "use tool" (so clients must join arguments by index).
fn plan_tool_calls(ctx: &Ctx, turn: &Turn, request: &Value) -> Vec<ToolCall> {
    let tools: Vec<(String, Option<Value>)> = request
        .get("tools")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(|t| {
                    let name = t.pointer("/function/name")?.as_str()?.to_owned();
                    Some((name, t.pointer("/function/parameters").cloned()))
                })
                .collect()
        })
        .unwrap_or_default();
    choose_tool_calls(ctx, &turn.prompt, &tools, request.get("tool_choice"), turn.tool_result.is_some())
}

/// Words that name what a tool makes.
const INTENTS: [(&str, &[&str]); 6] = [
    ("search_library", &["search my", "in my library", "find my"]),
    ("generate_image", &["draw", "picture of", "image of", "paint", "illustrat"]),
    ("edit_image", &["edit the image", "change the image", "edit it"]),
    ("generate_video", &["clip", "video", "animate"]),
    ("speak", &["read aloud", "read it aloud", "say it", "speak"]),
    ("transcribe", &["transcribe", "what is said"]),
];

/// Shared with the Responses API: `tools` as (name, JSON schema).
pub(crate) fn choose_tool_calls(
    ctx: &Ctx,
    prompt: &str,
    tools: &[(String, Option<Value>)],
    choice: Option<&Value>,
    answered: bool,
) -> Vec<ToolCall> {
    if tools.is_empty() || answered {
        return Vec::new();
    }
    if let Some(queued) = ctx.state.take_tool_calls() {
        return queued
            .into_iter()
            .map(|(name, arguments)| ToolCall { id: ctx.state.new_id("call_"), name, arguments })
            .collect();
    }
    let forced = choice
        .and_then(|c| c.pointer("/function/name").or_else(|| c.get("name")))
        .and_then(Value::as_str);
    let lower = prompt.to_lowercase();
    let chosen: Vec<&(String, Option<Value>)> = match (choice.and_then(Value::as_str), forced) {
        (Some("none"), _) => Vec::new(),
        (_, Some(name)) => tools.iter().filter(|(n, _)| n == name).take(1).collect(),
        (Some("required"), _) => tools.iter().take(2).collect(),
        _ => {
            let by_intent: Vec<&(String, Option<Value>)> = INTENTS
                .iter()
                .filter(|(_, words)| words.iter().any(|w| lower.contains(w)))
                .filter_map(|(name, _)| tools.iter().find(|(n, _)| n == name))
                .take(3)
                .collect();
            if !by_intent.is_empty() {
                by_intent
            } else if lower.contains("use tool") {
                tools.iter().take(2).collect()
            } else {
                Vec::new()
            }
        }
    };
    chosen
        .into_iter()
        .map(|(name, schema)| ToolCall {
            id: ctx.state.new_id("call_"),
            name: name.clone(),
            arguments: tool_arguments(schema.as_ref(), prompt),
        })
        .collect()
}

/// Arguments that fit the tool's JSON schema, filled from the prompt.
/// With a `required` list only those are filled, as a careful model would.
pub(crate) fn tool_arguments(schema: Option<&Value>, prompt: &str) -> String {
    let mut args = Map::new();
    let required: Option<Vec<&str>> = schema
        .and_then(|s| s.get("required"))
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect());
    if let Some(properties) = schema
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
    {
        let wanted = properties
            .iter()
            .filter(|(name, _)| required.as_ref().is_none_or(|r| r.contains(&name.as_str())));
        for (name, property) in wanted.take(4) {
            let value = if let Some(first) = property
                .get("enum")
                .and_then(Value::as_array)
                .and_then(|e| e.first())
            {
                first.clone()
            } else {
                match property.get("type").and_then(Value::as_str) {
                    Some("integer") | Some("number") => json!(3),
                    Some("boolean") => json!(true),
                    Some("array") => json!([]),
                    Some("object") => json!({}),
                    _ if name.contains("location") || name.contains("city") => json!("Paris"),
                    _ => json!(excerpt(prompt, 200)),
                }
            };
            args.insert(name.clone(), value);
        }
    }
    Value::Object(args).to_string()
}

pub(crate) async fn completions(ctx: Ctx, body: Bytes) -> Answer {
    let request = ctx.json_body(&body)?;
    let model = ctx.known_model(request.get("model"))?;
    let messages = match request.get("messages").and_then(Value::as_array) {
        Some(m) if !m.is_empty() => m,
        _ => return Err(ctx.invalid_request("field messages is required")),
    };
    let turn = Turn::from_messages(messages);
    let mut prompt_tokens = turn.prompt_tokens;
    if let Some(tools) = request.get("tools") {
        prompt_tokens += estimate_tokens(&tools.to_string());
    }
    let reply = plan_reply(&ctx, &model, &turn, &request);
    let (completion_tokens, reasoning_tokens) = reply.completion_tokens();
    let usage = json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "text_tokens": prompt_tokens - turn.image_tokens, "audio_tokens": 0, "image_tokens": turn.image_tokens},
        "completion_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "reasoning_tokens": reasoning_tokens},
    });
    let stream = request
        .get("stream")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    ctx.state.charge(Charge {
        model: &model,
        prompt_tokens,
        completion_tokens,
        quota: ((prompt_tokens + 4 * completion_tokens) * 5) as i64,
        stream,
    });
    let id = ctx.state.new_id("chatcmpl-");
    if stream {
        let events = stream_events(&ctx, &id, &model, &reply, usage);
        Ok(sse_response(events, ctx.config().chunk_delay))
    } else {
        let mut message = json!({"role": "assistant", "content": reply.content, "refusal": null});
        if let Some(reasoning) = &reply.reasoning {
            message["reasoning_content"] = json!(reasoning);
        }
        if !reply.tool_calls.is_empty() {
            let calls: Vec<Value> = reply
                .tool_calls
                .iter()
                .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
                .collect();
            message["tool_calls"] = json!(calls);
        }
        ok_json(&json!({
            "id": id,
            "object": "chat.completion",
            "created": unix_now(),
            "model": model,
            "system_fingerprint": null,
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": reply.finish_reason}],
            "usage": usage,
        }))
    }
}

fn stream_events(ctx: &Ctx, id: &str, model: &str, reply: &Reply, usage: Value) -> Vec<String> {
    let created = unix_now();
    let chunk = |delta: Value, finish: Option<&str>| {
        data_event(&json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": null,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}],
            "usage": null,
        }))
    };
    let size = ctx.config().chunk_size.max(1);
    let mut events = vec![
        chunk(json!({"role": "assistant", "content": ""}), None),
        KEEP_ALIVE.to_owned(),
    ];
    if let Some(reasoning) = &reply.reasoning {
        for piece in chunk_chars(reasoning, size) {
            events.push(chunk(
                json!({"content": null, "reasoning_content": piece}),
                None,
            ));
        }
    }
    if let Some(content) = &reply.content {
        for (i, piece) in chunk_chars(content, size).into_iter().enumerate() {
            events.push(chunk(json!({"content": piece}), None));
            // Keep-alive comments show up mid-stream on the real gateway too.
            if i % 10 == 9 {
                events.push(KEEP_ALIVE.to_owned());
            }
        }
    }
    for (index, call) in reply.tool_calls.iter().enumerate() {
        events.push(chunk(
            json!({"tool_calls": [{"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}]}),
            None,
        ));
        for piece in chunk_chars(&call.arguments, size * 2) {
            events.push(chunk(
                json!({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}),
                None,
            ));
        }
    }
    events.push(chunk(json!({}), Some(reply.finish_reason)));
    // new-api sends the usage chunk whether or not stream_options asked for it.
    events.push(data_event(&json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": null,
        "choices": [],
        "usage": usage,
    })));
    events.push(DONE.to_owned());
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_deterministic_and_multibyte() {
        let a = compose_answer("Demo", "gpt-4o-mini", "hello there", 0);
        assert_eq!(a, compose_answer("Demo", "gpt-4o-mini", "hello there", 0));
        assert!(a.contains("hello there"));
        assert!(a.contains("café"));
        assert!(compose_answer("Demo", "m", "look", 2).contains("I see 2 images"));
        assert!(compose_answer("Demo", "m", "write code", 0).contains("```rust"));
    }

    #[test]
    fn tool_arguments_follow_the_schema() {
        let schema = json!({"type": "object", "properties": {"location": {"type": "string"}, "days": {"type": "integer"}}});
        let args: Value = serde_json::from_str(&tool_arguments(Some(&schema), "weather?")).unwrap();
        assert_eq!(args, json!({"location": "Paris", "days": 3}));
    }

    #[test]
    fn only_required_arguments_are_filled_when_the_schema_lists_them() {
        let schema = json!({"type": "object", "properties": {"prompt": {"type": "string"}, "image_id": {"type": "integer"}}, "required": ["prompt"]});
        let args: Value = serde_json::from_str(&tool_arguments(Some(&schema), "draw a cat")).unwrap();
        assert_eq!(args, json!({"prompt": "draw a cat"}));
    }

    #[test]
    fn the_earliest_stop_sequence_cuts() {
        assert_eq!(
            stop_position("abc STOP def END", Some(&json!(["END", "STOP"]))),
            Some(4)
        );
        assert_eq!(stop_position("abc", Some(&json!("zz"))), None);
    }
}
