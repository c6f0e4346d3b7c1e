//! Asynchronous video: submit, poll, download. Both gateway flavours (API.md): the generic
//! task API (`/v1/video/generations`, wrapped upper-case answers, `result_url`) and the
//! OpenAI-style one (`/v1/videos`, `/v1/videos/{id}/content`), and the shapes between.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use super::chat::data_url;
use super::client::{read_json, transport_error, PlatformClient, Safety};
use super::failure::{classify_in_success, error_in_success};
use crate::error::{Error, Result};

/// The two APIs, resolved (no "auto" here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Tasks,
    Videos,
}

impl Flavour {
    pub fn as_str(self) -> &'static str {
        match self {
            Flavour::Tasks => "tasks",
            Flavour::Videos => "videos",
        }
    }

    pub fn parse(text: &str) -> Flavour {
        if text == "videos" { Flavour::Videos } else { Flavour::Tasks }
    }
}

pub struct VideoCall<'a> {
    pub model: &'a str,
    pub prompt: &'a str,
    /// (mime, bytes) of the first frame.
    pub image: Option<(&'a str, &'a [u8])>,
    pub size: Option<&'a str>,
    pub seconds: Option<u32>,
    pub fps: Option<u32>,
    pub seed: Option<i64>,
}

/// What a poll says.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskState {
    Waiting { progress: u8 },
    Done { url: Option<String> },
    Failed { reason: String },
}

/// Vendor extras go in `metadata`: the gateway ignores top-level `fps` and `seed`.
fn metadata(call: &VideoCall<'_>) -> Option<Value> {
    let mut meta = serde_json::Map::new();
    if let Some(fps) = call.fps {
        meta.insert("fps".into(), json!(fps));
    }
    if let Some(seed) = call.seed {
        meta.insert("seed".into(), json!(seed));
    }
    (!meta.is_empty()).then(|| Value::Object(meta))
}

/// Submits the job; the answer's `id`, or `task_id` from older gateways.
pub async fn submit(client: &PlatformClient, flavour: Flavour, call: &VideoCall<'_>) -> Result<String> {
    let answer: Value = match flavour {
        Flavour::Tasks => {
            let mut body = json!({ "model": call.model, "prompt": call.prompt });
            if let Some((mime, bytes)) = call.image {
                body["image"] = json!(data_url(mime, bytes));
            }
            if let Some(size) = call.size {
                body["size"] = json!(size);
            }
            if let Some(seconds) = call.seconds {
                body["duration"] = json!(seconds);
            }
            if let Some(meta) = metadata(call) {
                body["metadata"] = meta;
            }
            let url = client.base().relay("video/generations");
            let response = client.send(|| Ok(client.post(url.clone())?.json(&body)), Safety::Generation, "video generation").await?;
            read_json(response).await?
        }
        Flavour::Videos => {
            let url = client.base().relay("videos");
            let make = || -> Result<Form> {
                let mut form = Form::new().text("model", call.model.to_string()).text("prompt", call.prompt.to_string());
                if let Some(size) = call.size {
                    form = form.text("size", size.to_string());
                }
                if let Some(seconds) = call.seconds {
                    form = form.text("seconds", seconds.to_string());
                }
                if let Some(meta) = metadata(call) {
                    form = form.text("metadata", meta.to_string());
                }
                if let Some((mime, bytes)) = call.image {
                    let ext = crate::media::extension(mime);
                    let part = Part::bytes(bytes.to_vec()).file_name(format!("first-frame.{ext}")).mime_str(mime).map_err(|e| Error::Internal(e.to_string()))?;
                    form = form.part("input_reference", part);
                }
                Ok(form)
            };
            let response = client.send(|| Ok(client.post(url.clone())?.multipart(make()?)), Safety::Generation, "video generation").await?;
            read_json(response).await?
        }
    };
    let id = answer
        .get("id")
        .or_else(|| answer.get("task_id"))
        .or_else(|| answer.pointer("/data/task_id"))
        .or_else(|| answer.pointer("/data/id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::InvalidResponse("the platform accepted the video but gave no task id".into()))?;
    Ok(id.to_string())
}

pub async fn poll(client: &PlatformClient, flavour: Flavour, task_id: &str) -> Result<TaskState> {
    let path = match flavour {
        Flavour::Tasks => format!("video/generations/{task_id}"),
        Flavour::Videos => format!("videos/{task_id}"),
    };
    let answer: Value = client.get_json(client.base().relay(&path), "video generation").await.map_err(not_found)?;
    read_state(&answer)
}

/// `task_not_exist` (400 on the gateway, 404 in its docs) means the task is gone.
fn not_found(error: Error) -> Error {
    match &error {
        Error::BadRequest { message, .. } if message.contains("task_not_exist") || message.contains("not exist") => {
            Error::NotFound("the platform no longer knows this video task".into())
        }
        Error::NotOffered { .. } => Error::NotFound("the platform no longer knows this video task".into()),
        _ => error,
    }
}

/// Reads every poll shape: `/v1/videos/{id}`; the wrapped `{code, data:{...}}` with upper-
/// or lower-case status and `"30%"` progress; and the flat documented form.
pub fn read_state(answer: &Value) -> Result<TaskState> {
    // An error envelope has no task in it; a failed task carries its own `error` object.
    let has_task = answer.get("status").is_some() || answer.get("data").is_some_and(|d| !d.is_null());
    if let Some(said) = error_in_success(answer).filter(|_| !has_task) {
        return Err(classify_in_success(said));
    }
    let task = answer.get("data").filter(|d| d.is_object()).unwrap_or(answer);
    let status = task.get("status").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    let progress = match task.get("progress") {
        Some(Value::Number(n)) => n.as_f64().unwrap_or_default(),
        Some(Value::String(s)) => s.trim_end_matches('%').trim().parse().unwrap_or_default(),
        _ => 0.0,
    }
    .clamp(0.0, 100.0) as u8;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let url = text(task.get("result_url"))
        .or_else(|| text(task.get("url")))
        .or_else(|| text(task.pointer("/metadata/url")))
        .or_else(|| text(task.get("video_url")));
    match status.as_str() {
        "completed" | "success" | "succeeded" | "done" => {
            // Old gateways put the file's URL in fail_reason on success.
            let url = url.or_else(|| text(task.get("fail_reason")).filter(|r| r.starts_with("http")));
            Ok(TaskState::Done { url })
        }
        "failed" | "failure" | "error" | "cancelled" => {
            let reason = text(task.pointer("/error/message"))
                .or_else(|| text(task.get("fail_reason")))
                .or_else(|| text(task.get("error")))
                .unwrap_or_else(|| "the platform reported that the video failed".into());
            Ok(TaskState::Failed { reason })
        }
        "unknown" => Ok(TaskState::Failed { reason: "the platform lost track of this video task".into() }),
        _ => Ok(TaskState::Waiting { progress }),
    }
}

/// The largest video the app keeps; a larger answer is refused before it fills the disk.
pub const MAX_VIDEO_BYTES: u64 = 1024 * 1024 * 1024;

fn too_large(bytes: u64) -> Error {
    Error::InvalidResponse(format!(
        "the platform's video is {:.1} GB, more than the {} GB the app keeps; nothing was saved",
        bytes as f64 / 1_073_741_824.0,
        MAX_VIDEO_BYTES / 1_073_741_824
    ))
}

/// Streams the finished video into `dest` (never whole in memory): from its URL (no key
/// unless it is the gateway's own) or from `/v1/videos/{id}/content`. Returns the size. On
/// an error `dest` may hold part of the file; the caller removes it.
pub async fn download_to(client: &PlatformClient, task_id: &str, url: Option<&str>, dest: &std::path::Path) -> Result<u64> {
    let response = match url {
        Some(url) => {
            let parsed = url::Url::parse(url).map_err(|_| Error::InvalidResponse(format!("the video URL is not valid: {url}")))?;
            let own_host = parsed.origin() == url::Url::parse(&client.base().root("")).map(|u| u.origin()).map_err(|e| Error::Internal(e.to_string()))?;
            let request = if own_host { client.get(url.to_string())? } else { client.http().get(parsed) };
            request.send().await.map_err(transport_error)?
        }
        None => client.send(|| client.get(client.base().relay(&format!("videos/{task_id}/content"))), Safety::Idempotent, "video download").await?,
    };
    if !response.status().is_success() {
        return Err(Error::InvalidResponse(format!("the video could not be downloaded ({}); its link may have expired", response.status())));
    }
    if let Some(length) = response.content_length().filter(|l| *l > MAX_VIDEO_BYTES) {
        return Err(too_large(length));
    }
    let mut file = tokio::fs::File::create(dest).await.map_err(|e| Error::Storage(format!("cannot write {}: {e}", dest.display())))?;
    let mut written = 0u64;
    let mut stream = response.bytes_stream();
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        let chunk = chunk.map_err(transport_error)?;
        written += chunk.len() as u64;
        // A body without a length, or longer than it said.
        if written > MAX_VIDEO_BYTES {
            return Err(too_large(written));
        }
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await.map_err(|e| Error::Storage(format!("cannot write {}: {e}", dest.display())))?;
    }
    file.sync_all().await.map_err(|e| Error::Storage(format!("cannot write {}: {e}", dest.display())))?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_poll_shape_is_read() {
        let wrapped = json!({"code":"success","message":"","data":{"task_id":"t","status":"IN_PROGRESS","progress":"30%"}});
        assert_eq!(read_state(&wrapped).unwrap(), TaskState::Waiting { progress: 30 });
        let done = json!({"code":"success","data":{"status":"SUCCESS","result_url":"https://cdn/x.mp4"}});
        assert_eq!(read_state(&done).unwrap(), TaskState::Done { url: Some("https://cdn/x.mp4".into()) });
        let old = json!({"code":"success","data":{"status":"SUCCESS","fail_reason":"https://cdn/y.mp4"}});
        assert_eq!(read_state(&old).unwrap(), TaskState::Done { url: Some("https://cdn/y.mp4".into()) });
        let lower = json!({"data":{"status":"processing","progress":55}});
        assert_eq!(read_state(&lower).unwrap(), TaskState::Waiting { progress: 55 });
        let flat = json!({"task_id":"t","status":"succeeded","url":"https://cdn/z.mp4"});
        assert_eq!(read_state(&flat).unwrap(), TaskState::Done { url: Some("https://cdn/z.mp4".into()) });
        let openai = json!({"id":"v","object":"video","status":"failed","progress":40,"error":{"message":"content policy","code":"x"}});
        assert_eq!(read_state(&openai).unwrap(), TaskState::Failed { reason: "content policy".into() });
        let fail = json!({"code":"success","data":{"status":"FAILURE","fail_reason":"upstream timeout"}});
        assert_eq!(read_state(&fail).unwrap(), TaskState::Failed { reason: "upstream timeout".into() });
        let queued = json!({"id":"v","status":"queued","progress":0});
        assert_eq!(read_state(&queued).unwrap(), TaskState::Waiting { progress: 0 });
    }
}
