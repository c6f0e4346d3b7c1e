//! Function tools offered to a chat model: their JSON Schema definitions in both wire
//! shapes (Chat Completions and Responses), the streamed call pieces joined by index, and a
//! check of the arguments a model sent against the schema it was given.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// A call the model made, as it sent it (`arguments` is JSON text, not yet trusted).
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// A piece of a call from a stream. Chat Completions sends the id and name once, then the
/// arguments in pieces, all under one `index`; the Responses API may also send the whole
/// arguments at the end (`whole`), which then replace the pieces.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCallDelta {
    pub index: usize,
    pub id: Option<String>,
    pub name: Option<String>,
    pub arguments: String,
    pub whole: bool,
}

/// Joins streamed pieces into calls, ordered by index.
#[derive(Debug, Default)]
pub struct ToolCallAssembler {
    calls: BTreeMap<usize, ToolCall>,
}

impl ToolCallAssembler {
    pub fn push(&mut self, delta: ToolCallDelta) {
        let call = self.calls.entry(delta.index).or_insert_with(|| ToolCall { id: String::new(), name: String::new(), arguments: String::new() });
        if let Some(id) = delta.id.filter(|s| !s.is_empty()) {
            call.id = id;
        }
        if let Some(name) = delta.name.filter(|s| !s.is_empty()) {
            call.name = name;
        }
        if delta.whole {
            call.arguments = delta.arguments;
        } else {
            call.arguments.push_str(&delta.arguments);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The calls in index order; one without an id gets a stable one of ours, since the
    /// tool result must name it.
    pub fn finish(self) -> Vec<ToolCall> {
        self.calls
            .into_iter()
            .filter(|(_, c)| !c.name.is_empty())
            .map(|(index, mut c)| {
                if c.id.is_empty() {
                    c.id = format!("call_{index}");
                }
                c
            })
            .collect()
    }
}

/// Reads the `tool_calls` array of a Chat Completions delta or message.
pub fn read_chat_deltas(tool_calls: &Value) -> Vec<ToolCallDelta> {
    let Some(list) = tool_calls.as_array() else { return Vec::new() };
    list.iter()
        .enumerate()
        .map(|(position, c)| {
            let text = |p: &str| c.pointer(p).and_then(Value::as_str).map(str::to_string);
            ToolCallDelta {
                // A non-streamed message has no index: its position is one.
                index: c.get("index").and_then(Value::as_u64).map_or(position, |i| i as usize),
                id: text("/id"),
                name: text("/function/name"),
                // Some gateways send the arguments as an object rather than JSON text.
                arguments: match c.pointer("/function/arguments") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                },
                whole: false,
            }
        })
        .collect()
}

/// One tool as offered to the model.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub parameters: Value,
}

pub const GENERATE_IMAGE: &str = "generate_image";
pub const EDIT_IMAGE: &str = "edit_image";
pub const GENERATE_VIDEO: &str = "generate_video";
pub const SPEAK: &str = "speak";
pub const TRANSCRIBE: &str = "transcribe";
pub const SEARCH_LIBRARY: &str = "search_library";

pub const VOICES: [&str; 9] = ["alloy", "ash", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer"];

fn object(properties: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
}

/// Every tool the app knows. Which of them a conversation offers depends on the models the
/// platform has (no image model: no image tools).
pub fn all_tools() -> Vec<ToolSpec> {
    let prompt = json!({ "type": "string", "minLength": 1, "maxLength": 4000, "description": "What to create, in detail." });
    let aspect = json!({ "type": "string", "enum": ["square", "landscape", "portrait"] });
    vec![
        ToolSpec {
            name: GENERATE_IMAGE,
            description: "Create an image from a description. The image is shown to the user in the chat and kept in their gallery.",
            parameters: object(json!({ "prompt": prompt, "aspect": aspect }), &["prompt"]),
        },
        ToolSpec {
            name: EDIT_IMAGE,
            description: "Change an existing image of this conversation (attached by the user or generated earlier) as described.",
            parameters: object(
                json!({
                    "prompt": prompt,
                    "image_id": { "type": "integer", "minimum": 1, "description": "The image's id as given in an earlier tool result; the latest image of the conversation when left out." },
                }),
                &["prompt"],
            ),
        },
        ToolSpec {
            name: GENERATE_VIDEO,
            description: "Create a short video clip from a description, optionally starting from an image of this conversation. Takes a few minutes.",
            parameters: object(
                json!({
                    "prompt": prompt,
                    "seconds": { "type": "integer", "minimum": 1, "maximum": 20 },
                    "aspect": { "type": "string", "enum": ["landscape", "portrait", "square"] },
                    "image_id": { "type": "integer", "minimum": 1, "description": "An image id to use as the first frame." },
                }),
                &["prompt"],
            ),
        },
        ToolSpec {
            name: SPEAK,
            description: "Read a text aloud: creates a speech clip the user can play in the chat.",
            parameters: object(
                json!({
                    "text": { "type": "string", "minLength": 1, "maxLength": 4096 },
                    "voice": { "type": "string", "enum": VOICES },
                }),
                &["text"],
            ),
        },
        ToolSpec {
            name: TRANSCRIBE,
            description: "Write down what is said in an audio file the user attached to this conversation.",
            parameters: object(
                json!({ "audio_id": { "type": "integer", "minimum": 1, "description": "The audio's id; the latest attached audio when left out." } }),
                &[],
            ),
        },
        ToolSpec {
            name: SEARCH_LIBRARY,
            description: "Search the user's own library on this computer (past conversations, images, videos, speech clips and transcripts) by meaning and by words. \
                          Use it to find something the user made or said before, e.g. \"the lighthouse picture from last week\".",
            parameters: object(
                json!({
                    "query": { "type": "string", "minLength": 1, "maxLength": 500, "description": "What to look for, in the user's words." },
                    "kind": { "type": "string", "enum": ["message", "image", "video", "speech", "transcript"], "description": "Only this kind of item." },
                    "limit": { "type": "integer", "minimum": 1, "maximum": 10 },
                }),
                &["query"],
            ),
        },
    ]
}

pub fn spec(name: &str) -> Option<ToolSpec> {
    all_tools().into_iter().find(|t| t.name == name)
}

/// How far the model may go with the tools: `auto`, `none`, `required` or one tool by name.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolChoice {
    Auto,
    None,
    Required,
    Named(String),
}

/// Adds the tools to a Chat Completions request body.
pub fn add_to_chat_body(body: &mut Value, tools: &[ToolSpec], choice: &ToolChoice) {
    if tools.is_empty() {
        return;
    }
    body["tools"] = tools
        .iter()
        .map(|t| json!({ "type": "function", "function": { "name": t.name, "description": t.description, "parameters": t.parameters } }))
        .collect();
    body["tool_choice"] = match choice {
        ToolChoice::Auto => json!("auto"),
        ToolChoice::None => json!("none"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Named(name) => json!({ "type": "function", "function": { "name": name } }),
    };
    body["parallel_tool_calls"] = json!(true);
}

/// Adds the tools to a Responses API request body (flat function definitions).
pub fn add_to_responses_body(body: &mut Value, tools: &[ToolSpec], choice: &ToolChoice) {
    if tools.is_empty() {
        return;
    }
    body["tools"] = tools
        .iter()
        .map(|t| json!({ "type": "function", "name": t.name, "description": t.description, "parameters": t.parameters }))
        .collect();
    body["tool_choice"] = match choice {
        ToolChoice::Auto => json!("auto"),
        ToolChoice::None => json!("none"),
        ToolChoice::Required => json!("required"),
        ToolChoice::Named(name) => json!({ "type": "function", "name": name }),
    };
    body["parallel_tool_calls"] = json!(true);
}

/// Parses a call's arguments and checks them against the tool's schema. The error text goes
/// back to the model, so it says what to fix.
pub fn validate(call: &ToolCall) -> Result<Value, String> {
    let Some(spec) = spec(&call.name) else {
        return Err(format!("There is no tool named \"{}\".", call.name));
    };
    let text = if call.arguments.trim().is_empty() { "{}" } else { call.arguments.as_str() };
    let args: Value = serde_json::from_str(text).map_err(|e| format!("The arguments are not valid JSON: {e}."))?;
    check(&spec.parameters, &args, "arguments")?;
    Ok(args)
}

/// The subset of JSON Schema the definitions above use.
fn check(schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            return Err(format!("{at} must be one of {}.", list.join(", ")));
        }
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let Some(map) = value.as_object() else { return Err(format!("{at} must be an object.")) };
            let properties = schema.get("properties").and_then(Value::as_object);
            for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
                if map.get(name).is_none_or(Value::is_null) {
                    return Err(format!("{at}.{name} is required."));
                }
            }
            for (name, item) in map {
                match properties.and_then(|p| p.get(name)) {
                    // A null optional field is the same as a missing one.
                    Some(_) if item.is_null() => {}
                    Some(sub) => check(sub, item, &format!("{at}.{name}"))?,
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        return Err(format!("{at}.{name} is not a parameter of this tool."));
                    }
                    None => {}
                }
            }
        }
        Some("string") => {
            let Some(s) = value.as_str() else { return Err(format!("{at} must be a string.")) };
            let len = s.trim().chars().count() as u64;
            if let Some(min) = schema.get("minLength").and_then(Value::as_u64).filter(|m| len < *m) {
                return Err(format!("{at} must have at least {min} character(s)."));
            }
            if let Some(max) = schema.get("maxLength").and_then(Value::as_u64).filter(|m| len > *m) {
                return Err(format!("{at} must have at most {max} characters."));
            }
        }
        Some("integer") | Some("number") => {
            let integer = schema.get("type").and_then(Value::as_str) == Some("integer");
            let Some(n) = value.as_f64() else { return Err(format!("{at} must be a number.")) };
            if integer && n.fract() != 0.0 {
                return Err(format!("{at} must be a whole number."));
            }
            if let Some(min) = schema.get("minimum").and_then(Value::as_f64).filter(|m| n < *m) {
                return Err(format!("{at} must be at least {min}."));
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_f64).filter(|m| n > *m) {
                return Err(format!("{at} must be at most {max}."));
            }
        }
        Some("boolean") if !value.is_boolean() => return Err(format!("{at} must be true or false.")),
        _ => {}
    }
    Ok(())
}

/// Whether a chat model is known to call functions. Conservative: a model not on this list
/// gets no tools unless the user turns them on for the conversation.
pub fn model_supports_tools(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    let m = m.rsplit('/').next().unwrap_or(&m);
    const NO: [&str; 6] = ["o1-mini", "o1-preview", "-instruct", "gpt-3.5-turbo-0301", "deepseek-reasoner", "-search"];
    if NO.iter().any(|n| m.contains(n)) {
        return false;
    }
    const YES: [&str; 14] = [
        "gpt-4o", "gpt-4.1", "gpt-4-turbo", "gpt-5", "o1", "o3", "o4-mini", "claude-3", "claude-sonnet-4", "claude-opus-4",
        "gemini-1.5", "gemini-2", "qwen", "deepseek-chat",
    ];
    YES.iter().any(|y| m.starts_with(y))
}

/// Whether a chat model reads images (a generated image is then shown to it, not only
/// described).
pub fn model_reads_images(model: &str) -> bool {
    let m = model.to_ascii_lowercase();
    ["gpt-4o", "gpt-4.1", "gpt-5", "claude-3", "claude-sonnet-4", "claude-opus-4", "gemini"].iter().any(|y| m.starts_with(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, arguments: &str) -> ToolCall {
        ToolCall { id: "c1".into(), name: name.into(), arguments: arguments.into() }
    }

    #[test]
    fn streamed_pieces_join_by_index_even_interleaved() {
        let mut a = ToolCallAssembler::default();
        let first = json!([{"index":0,"id":"call_a","type":"function","function":{"name":"generate_image","arguments":""}}]);
        let second = json!([{"index":1,"id":"call_b","type":"function","function":{"name":"speak","arguments":"{\"te"}}]);
        for d in read_chat_deltas(&first).into_iter().chain(read_chat_deltas(&second)) {
            a.push(d);
        }
        for piece in [json!([{"index":0,"function":{"arguments":"{\"prompt\":"}}]), json!([{"index":1,"function":{"arguments":"xt\":\"hi\"}"}}]), json!([{"index":0,"function":{"arguments":"\"a cat\"}"}}])] {
            for d in read_chat_deltas(&piece) {
                a.push(d);
            }
        }
        let calls = a.finish();
        assert_eq!(calls, vec![call_with("call_a", "generate_image", "{\"prompt\":\"a cat\"}"), call_with("call_b", "speak", "{\"text\":\"hi\"}")]);
    }

    fn call_with(id: &str, name: &str, arguments: &str) -> ToolCall {
        ToolCall { id: id.into(), name: name.into(), arguments: arguments.into() }
    }

    #[test]
    fn whole_arguments_replace_the_pieces() {
        let mut a = ToolCallAssembler::default();
        a.push(ToolCallDelta { index: 2, id: Some("fc".into()), name: Some("speak".into()), arguments: "{\"te".into(), whole: false });
        a.push(ToolCallDelta { index: 2, id: None, name: None, arguments: "{\"text\":\"x\"}".into(), whole: true });
        assert_eq!(a.finish()[0].arguments, "{\"text\":\"x\"}");
    }

    #[test]
    fn arguments_are_checked_against_the_schema() {
        assert!(validate(&call("generate_image", r#"{"prompt":"a lighthouse at night","aspect":"portrait"}"#)).is_ok());
        assert!(validate(&call("transcribe", "")).is_ok(), "no arguments is an empty object");
        let e = validate(&call("generate_image", r#"{"aspect":"square"}"#)).unwrap_err();
        assert!(e.contains("prompt is required"), "{e}");
        let e = validate(&call("generate_image", r#"{"prompt":"x","aspect":"wide"}"#)).unwrap_err();
        assert!(e.contains("one of"), "{e}");
        let e = validate(&call("generate_video", r#"{"prompt":"x","seconds":90}"#)).unwrap_err();
        assert!(e.contains("at most 20"), "{e}");
        let e = validate(&call("speak", r#"{"text":"hi","volume":11}"#)).unwrap_err();
        assert!(e.contains("not a parameter"), "{e}");
        assert!(validate(&call("speak", "{not json")).unwrap_err().contains("not valid JSON"));
        assert!(validate(&call("launch_rockets", "{}")).unwrap_err().contains("no tool named"));
    }

    #[test]
    fn both_wire_shapes_carry_the_definitions_and_the_choice() {
        let tools = all_tools();
        let mut chat = json!({});
        add_to_chat_body(&mut chat, &tools, &ToolChoice::Named("speak".into()));
        assert_eq!(chat["tools"][0]["function"]["name"], "generate_image");
        assert_eq!(chat["tool_choice"]["function"]["name"], "speak");
        let mut responses = json!({});
        add_to_responses_body(&mut responses, &tools, &ToolChoice::Auto);
        assert_eq!(responses["tools"][3]["name"], "speak");
        assert_eq!(responses["tool_choice"], "auto");
        let mut none = json!({});
        add_to_chat_body(&mut none, &[], &ToolChoice::Auto);
        assert!(none.get("tools").is_none());
    }

    #[test]
    fn tool_support_is_decided_conservatively() {
        assert!(model_supports_tools("gpt-4o-mini"));
        assert!(model_supports_tools("claude-sonnet-4-20250514"));
        assert!(!model_supports_tools("o1-mini"));
        assert!(!model_supports_tools("some-local-llama"));
        assert!(model_reads_images("gpt-4o"));
        assert!(!model_reads_images("o3"));
    }
}
