//! `GET /v1/models`, and a kind for each model.

use serde::Deserialize;

use super::client::PlatformClient;
use crate::error::Result;
use crate::types::{KindSource, ModelKind};

/// A model as the gateway lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteModel {
    pub id: String,
    pub owned_by: Option<String>,
    pub kind: ModelKind,
    pub kind_source: KindSource,
}

#[derive(Deserialize)]
struct ModelList {
    data: Vec<ModelEntry>,
}

#[derive(Deserialize)]
struct ModelEntry {
    id: String,
    #[serde(default)]
    owned_by: Option<String>,
    #[serde(default)]
    supported_endpoint_types: Option<Vec<String>>,
}

pub async fn list_models(client: &PlatformClient) -> Result<Vec<RemoteModel>> {
    let list: ModelList = client.get_json(client.base().relay("models"), "a model list").await?;
    let mut models: Vec<RemoteModel> = list
        .data
        .into_iter()
        .map(|m| {
            let (kind, kind_source) = model_kind(&m.id, m.supported_endpoint_types.as_deref().unwrap_or_default());
            RemoteModel { id: m.id, owned_by: m.owned_by.filter(|o| !o.is_empty()), kind, kind_source }
        })
        .collect();
    models.sort_by(|a, b| a.id.cmp(&b.id));
    models.dedup_by(|a, b| a.id == b.id);
    Ok(models)
}

/// The gateway's endpoint types where they say more than "openai"; otherwise the name.
pub fn model_kind(id: &str, endpoint_types: &[String]) -> (ModelKind, KindSource) {
    let from_gateway = endpoint_types.iter().find_map(|t| match t.as_str() {
        "image-generation" => Some(ModelKind::Image),
        "embeddings" => Some(ModelKind::Embedding),
        "openai-video" => Some(ModelKind::Video),
        "jina-rerank" => Some(ModelKind::Rerank),
        _ => None,
    });
    match from_gateway {
        Some(kind) => (kind, KindSource::Gateway),
        None => (kind_from_name(id), KindSource::Name),
    }
}

fn kind_from_name(id: &str) -> ModelKind {
    let name = id.to_ascii_lowercase();
    let name = name.rsplit('/').next().unwrap_or(&name);
    let has = |part: &str| name.contains(part);
    let starts = |prefix: &str| name.starts_with(prefix);
    if has("moderation") {
        ModelKind::Moderation
    } else if has("rerank") {
        ModelKind::Rerank
    } else if has("embedding") || starts("bge-") || starts("m3e") || has("-embed") {
        ModelKind::Embedding
    } else if starts("whisper") || has("transcribe") || has("-stt") || starts("sensevoice") || has("asr") {
        ModelKind::Stt
    } else if starts("tts-") || has("-tts") || starts("tts") {
        ModelKind::Tts
    } else if starts("dall-e") || starts("gpt-image") || has("imagen") || has("flux") || has("midjourney")
        || starts("mj_") || has("stable-diffusion") || starts("sd3") || starts("sdxl") || has("seedream") || has("kolors")
    {
        ModelKind::Image
    } else if starts("sora") || starts("veo") || starts("kling") || has("runway") || starts("hailuo") || has("seedance")
        || starts("vidu") || starts("wan") || has("video") || starts("cogvideo") || starts("luma")
    {
        ModelKind::Video
    } else {
        ModelKind::Chat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(id: &str) -> ModelKind {
        model_kind(id, &["openai".to_string()]).0
    }

    #[test]
    fn names_sort_models_into_kinds() {
        assert_eq!(kind("gpt-4o-mini"), ModelKind::Chat);
        assert_eq!(kind("claude-sonnet-4-20250514"), ModelKind::Chat);
        assert_eq!(kind("text-embedding-3-small"), ModelKind::Embedding);
        assert_eq!(kind("gpt-image-1"), ModelKind::Image);
        assert_eq!(kind("dall-e-3"), ModelKind::Image);
        assert_eq!(kind("tts-1-hd"), ModelKind::Tts);
        assert_eq!(kind("gpt-4o-mini-tts"), ModelKind::Tts);
        assert_eq!(kind("whisper-1"), ModelKind::Stt);
        assert_eq!(kind("gpt-4o-transcribe"), ModelKind::Stt);
        assert_eq!(kind("veo-2"), ModelKind::Video);
        assert_eq!(kind("sora"), ModelKind::Video);
        assert_eq!(kind("kling-v1"), ModelKind::Video);
        assert_eq!(kind("omni-moderation-latest"), ModelKind::Moderation);
        assert_eq!(kind("jina-reranker-v2-base-multilingual"), ModelKind::Rerank);
    }

    #[test]
    fn gateway_endpoint_types_win_over_the_name() {
        let (k, source) = model_kind("my-custom-painter", &["image-generation".into()]);
        assert_eq!((k, source), (ModelKind::Image, KindSource::Gateway));
        let (k, source) = model_kind("gpt-4o", &["openai".into(), "openai-response".into()]);
        assert_eq!((k, source), (ModelKind::Chat, KindSource::Name));
    }
}
