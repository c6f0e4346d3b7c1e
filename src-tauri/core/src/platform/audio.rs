//! `POST /v1/audio/speech` (JSON in, audio bytes out, often chunked) and
//! `POST /v1/audio/transcriptions|translations` (multipart).

use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use super::client::{transport_error, PlatformClient, Safety};
use crate::error::{Error, Result};

pub const MAX_SPEECH_CHARS: usize = 4096;

pub struct SpeechCall<'a> {
    pub model: &'a str,
    pub input: &'a str,
    pub voice: &'a str,
    pub format: &'a str,
    pub speed: Option<f32>,
    pub instructions: Option<&'a str>,
}

/// The audio bytes, read as they arrive.
pub async fn speech(client: &PlatformClient, call: &SpeechCall<'_>) -> Result<Vec<u8>> {
    let mut body = json!({ "model": call.model, "input": call.input, "voice": call.voice, "response_format": call.format });
    if let Some(speed) = call.speed {
        body["speed"] = json!(speed);
    }
    if let Some(instructions) = call.instructions.filter(|i| !i.trim().is_empty()) {
        body["instructions"] = json!(instructions);
    }
    let url = client.base().relay("audio/speech");
    let response = client.send(|| Ok(client.post(url.clone())?.json(&body)), Safety::Generation, "text-to-speech").await?;
    let is_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.contains("json"));
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.map_err(transport_error)?);
    }
    // An error object with HTTP 200 is still an error, not audio.
    if is_json {
        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
            if let Some(said) = super::failure::error_in_success(&value) {
                return Err(super::failure::classify_in_success(said));
            }
        }
        return Err(Error::InvalidResponse("the platform answered with text instead of audio".into()));
    }
    if bytes.is_empty() {
        return Err(Error::InvalidResponse("the platform answered with no audio".into()));
    }
    Ok(bytes)
}

pub struct TranscribeCall<'a> {
    pub translate: bool,
    pub model: &'a str,
    pub file_name: &'a str,
    pub mime: &'a str,
    pub bytes: &'a [u8],
    pub language: Option<&'a str>,
    pub prompt: Option<&'a str>,
    /// json, text, srt, vtt, verbose_json
    pub response_format: &'a str,
}

/// The raw answer: JSON for json/verbose_json, plain text otherwise.
pub async fn transcribe(client: &PlatformClient, call: &TranscribeCall<'_>) -> Result<String> {
    let path = if call.translate { "audio/translations" } else { "audio/transcriptions" };
    let url = client.base().relay(path);
    let make = || -> Result<Form> {
        let part = Part::bytes(call.bytes.to_vec()).file_name(call.file_name.to_string()).mime_str(call.mime).map_err(|e| Error::Internal(e.to_string()))?;
        let mut form = Form::new().part("file", part).text("model", call.model.to_string()).text("response_format", call.response_format.to_string());
        if let Some(language) = call.language.filter(|l| !l.is_empty() && !call.translate) {
            form = form.text("language", language.to_string());
        }
        if let Some(prompt) = call.prompt.filter(|p| !p.is_empty()) {
            form = form.text("prompt", prompt.to_string());
        }
        Ok(form)
    };
    let what = if call.translate { "speech translation" } else { "speech-to-text" };
    let response = client.send(|| Ok(client.post(url.clone())?.multipart(make()?)), Safety::Generation, what).await?;
    let text = response.text().await.map_err(transport_error)?;
    if let Ok(value) = serde_json::from_str::<Value>(&text) {
        if let Some(said) = super::failure::error_in_success(&value) {
            return Err(super::failure::classify_in_success(said));
        }
    }
    Ok(text)
}
