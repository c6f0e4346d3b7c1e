//! `GET /v1/models`: the catalogue, in new-api's shape.

use axum::extract::Path;
use serde_json::{json, Value};

use crate::gateway::{ok_json, Answer, Ctx};

pub(crate) struct ModelInfo {
    pub id: &'static str,
    pub owned_by: &'static str,
    /// new-api's hint; like the real platform, most models only say `openai`, so clients
    /// must also sort models by name.
    pub endpoint_types: &'static [&'static str],
}

const CREATED: u64 = 1_626_777_600;

pub(crate) const MODELS: &[ModelInfo] = &[
    model("gpt-4o-mini", "openai", &["openai"]),
    model("gpt-4o", "openai", &["openai"]),
    model("gpt-4.1-mini", "openai", &["openai", "openai-response"]),
    model("o4-mini", "openai", &["openai", "openai-response"]),
    model(
        "claude-sonnet-4-20250514",
        "anthropic",
        &["anthropic", "openai"],
    ),
    model("text-embedding-3-small", "openai", &["embeddings"]),
    model("text-embedding-3-large", "openai", &["openai"]),
    model("gpt-image-1", "openai", &["image-generation"]),
    model("dall-e-3", "openai", &["image-generation"]),
    model("dall-e-2", "openai", &["openai"]),
    model("tts-1", "openai", &["openai"]),
    model("gpt-4o-mini-tts", "openai", &["openai"]),
    model("whisper-1", "openai", &["openai"]),
    model("veo-2", "vertex-ai", &["openai-video"]),
    model("sora", "openai", &["openai-video"]),
    model("omni-moderation-latest", "openai", &["openai"]),
    model("jina-reranker-v2", "jina", &["jina-rerank"]),
];

const fn model(
    id: &'static str,
    owned_by: &'static str,
    endpoint_types: &'static [&'static str],
) -> ModelInfo {
    ModelInfo {
        id,
        owned_by,
        endpoint_types,
    }
}

pub(crate) fn find(id: &str) -> Option<&'static ModelInfo> {
    MODELS.iter().find(|m| m.id == id)
}

/// Models that stream `reasoning_content` before their answer.
pub(crate) fn is_reasoning(id: &str) -> bool {
    ["o1", "o3", "o4"].iter().any(|p| id.starts_with(p))
        || id.contains("reason")
        || id.contains("thinking")
}

fn entry(m: &ModelInfo) -> Value {
    json!({
        "id": m.id,
        "object": "model",
        "created": CREATED,
        "owned_by": m.owned_by,
        "supported_endpoint_types": m.endpoint_types,
    })
}

pub(crate) async fn list(_ctx: Ctx) -> Answer {
    let data: Vec<Value> = MODELS.iter().map(entry).collect();
    ok_json(&json!({"success": true, "object": "list", "data": data}))
}

pub(crate) async fn retrieve(ctx: Ctx, Path(id): Path<String>) -> Answer {
    match find(&id) {
        Some(m) => ok_json(&entry(m)),
        None => Err(ctx.upstream_error(
            404,
            Some("model_not_found"),
            "model",
            &format!("The model '{id}' does not exist"),
        )),
    }
}
