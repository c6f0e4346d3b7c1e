//! `POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart). Answers
//! come as `b64_json` or as `url` whatever was asked; URLs expire, so they are fetched at
//! once, without the API key (they point at a storage host, not the gateway).

use base64::Engine;
use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::chat::usage_of;
use super::client::{read_json, transport_error, PlatformClient, Safety};
use crate::error::{Error, Result};
use crate::types::TokenUsage;

/// What to generate, in the gateway's terms.
pub struct ImageCall<'a> {
    pub model: &'a str,
    pub prompt: &'a str,
    pub size: Option<&'a str>,
    pub n: Option<u32>,
    pub quality: Option<&'a str>,
    pub style: Option<&'a str>,
    pub extra: Option<&'a Map<String, Value>>,
}

/// An edit's inputs: (file name, mime, bytes).
pub struct EditInputs<'a> {
    pub images: Vec<(String, String, &'a [u8])>,
    pub mask: Option<(String, String, &'a [u8])>,
}

pub struct GeneratedImages {
    pub images: Vec<Vec<u8>>,
    pub revised_prompt: Option<String>,
    pub usage: Option<TokenUsage>,
    pub request_id: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    data: Vec<Item>,
    #[serde(default)]
    usage: Option<Value>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    b64_json: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    revised_prompt: Option<String>,
}

fn body(call: &ImageCall<'_>) -> Value {
    let mut body = json!({ "model": call.model, "prompt": call.prompt });
    if let Some(size) = call.size.filter(|s| !s.is_empty()) {
        body["size"] = json!(size);
    }
    if let Some(n) = call.n {
        body["n"] = json!(n);
    }
    if let Some(q) = call.quality.filter(|s| !s.is_empty()) {
        body["quality"] = json!(q);
    }
    if let Some(s) = call.style.filter(|s| !s.is_empty()) {
        body["style"] = json!(s);
    }
    // dall-e answers URLs by default; b64 saves a second download where it is honoured.
    if call.model.starts_with("dall-e") {
        body["response_format"] = json!("b64_json");
    }
    if let Some(extra) = call.extra {
        for (k, v) in extra {
            body[k] = v.clone();
        }
    }
    body
}

pub async fn generate(client: &PlatformClient, call: &ImageCall<'_>) -> Result<GeneratedImages> {
    let url = client.base().relay("images/generations");
    let body = body(call);
    let response = client.send(|| Ok(client.post(url.clone())?.json(&body)), Safety::Generation, "image generation").await?;
    let request_id = super::failure::request_id_of(response.headers());
    collect(client, read_json(response).await?, request_id).await
}

pub async fn edit(client: &PlatformClient, call: &ImageCall<'_>, inputs: &EditInputs<'_>) -> Result<GeneratedImages> {
    let url = client.base().relay("images/edits");
    let fields = body(call);
    let make_form = || -> Result<Form> {
        let mut form = Form::new();
        for (k, v) in fields.as_object().into_iter().flatten() {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            form = form.text(k.clone(), text);
        }
        let field = if inputs.images.len() > 1 { "image[]" } else { "image" };
        for (name, mime, bytes) in &inputs.images {
            form = form.part(field, file_part(name, mime, bytes)?);
        }
        if let Some((name, mime, bytes)) = &inputs.mask {
            form = form.part("mask", file_part(name, mime, bytes)?);
        }
        Ok(form)
    };
    let response = client.send(|| Ok(client.post(url.clone())?.multipart(make_form()?)), Safety::Generation, "image editing").await?;
    let request_id = super::failure::request_id_of(response.headers());
    collect(client, read_json(response).await?, request_id).await
}

fn file_part(name: &str, mime: &str, bytes: &[u8]) -> Result<Part> {
    Part::bytes(bytes.to_vec()).file_name(name.to_string()).mime_str(mime).map_err(|e| Error::Internal(e.to_string()))
}

async fn collect(client: &PlatformClient, answer: Answer, request_id: Option<String>) -> Result<GeneratedImages> {
    if answer.data.is_empty() {
        return Err(Error::InvalidResponse("the platform answered without any image".into()));
    }
    let mut images = Vec::with_capacity(answer.data.len());
    let mut revised_prompt = None;
    for item in answer.data {
        revised_prompt = revised_prompt.or(item.revised_prompt);
        let bytes = match (item.b64_json, item.url) {
            (Some(b64), _) => base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| Error::InvalidResponse("an image in the answer was not valid base64".into()))?,
            (None, Some(url)) => download(client, &url).await?,
            (None, None) => return Err(Error::InvalidResponse("an image in the answer had neither data nor a URL".into())),
        };
        images.push(bytes);
    }
    Ok(GeneratedImages { images, revised_prompt, usage: answer.usage.as_ref().map(usage_of), request_id })
}

/// Fetches an image URL from the answer. Only http(s); no key is sent.
async fn download(client: &PlatformClient, url: &str) -> Result<Vec<u8>> {
    let parsed = url::Url::parse(url).map_err(|_| Error::InvalidResponse(format!("the image URL is not valid: {url}")))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(Error::InvalidResponse(format!("the image URL is not http(s): {url}")));
    }
    let response = client.http().get(parsed).send().await.map_err(transport_error)?;
    if !response.status().is_success() {
        return Err(Error::InvalidResponse(format!(
            "the image could not be downloaded ({}); its link may have expired",
            response.status()
        )));
    }
    Ok(response.bytes().await.map_err(transport_error)?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_parameters_merge_and_dall_e_asks_for_base64() {
        let mut extra = Map::new();
        extra.insert("background".into(), json!("transparent"));
        let call = ImageCall { model: "dall-e-3", prompt: "a lighthouse", size: Some("1024x1024"), n: Some(1), quality: Some("hd"), style: Some("vivid"), extra: Some(&extra) };
        let b = body(&call);
        assert_eq!(b["response_format"], "b64_json");
        assert_eq!(b["background"], "transparent");
        assert_eq!(b["style"], "vivid");
    }
}
