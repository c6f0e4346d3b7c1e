use std::sync::Arc;

use nexhina_core::types::{GalleryItem, GenerationEvent, GenerationStatus, VideoRequest};
use nexhina_core::GenerationSink;
use tauri::ipc::{Channel, Response};
use tauri::{AppHandle, Emitter, State};
use tauri_plugin_notification::NotificationExt;

use super::CommandResult;
use crate::AppState;

/// Global event for jobs that outlive the window that started them (resumed at start-up).
pub const GENERATION_EVENT: &str = "generation-event";

/// Sends a job's events to its channel (if any) and as a global event, and raises a
/// desktop notification when a video finishes.
pub fn video_sink(app: AppHandle, channel: Option<Channel<GenerationEvent>>) -> GenerationSink {
    Arc::new(move |event: GenerationEvent| {
        if let GenerationEvent::Finished { status, error, .. } = &event {
            let body = match status {
                GenerationStatus::Complete => "Your video is ready.".to_string(),
                GenerationStatus::Cancelled => "The video was cancelled.".to_string(),
                _ => format!("The video failed: {}", error.as_deref().unwrap_or("unknown reason")),
            };
            // No notification daemon (a headless session) is not an error.
            let _ = app.notification().builder().title("Nexhina Studio").body(body).show();
        }
        if let Some(channel) = &channel {
            let _ = channel.send(event.clone());
        }
        let _ = app.emit(GENERATION_EVENT, event);
    })
}

#[tauri::command]
pub fn generate_video(app: AppHandle, state: State<'_, AppState>, request: VideoRequest, on_event: Channel<GenerationEvent>) -> CommandResult<GalleryItem> {
    let (card, task) = state.studio.generate_video(request, video_sink(app, Some(on_event)))?;
    tauri::async_runtime::spawn(async move {
        let _ = task.await;
    });
    Ok(card)
}

#[tauri::command]
pub fn cancel_video(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    Ok(state.studio.cancel_video(id)?)
}

/// The video's bytes as raw binary. WebKitGTK's `<video>` cannot read `asset://` URLs and
/// the CSP keeps `fetch` to IPC, so the window plays a Blob made from these bytes.
#[tauri::command]
pub async fn video_file(state: State<'_, AppState>, id: i64) -> CommandResult<Response> {
    let studio = state.studio.clone();
    let bytes = tauri::async_runtime::spawn_blocking(move || studio.video_bytes(id))
        .await
        .map_err(|e| nexhina_core::Error::Internal(e.to_string()))??;
    Ok(Response::new(bytes))
}

/// Copies the video into Downloads; returns the new file's path.
#[tauri::command]
pub async fn export_video(state: State<'_, AppState>, id: i64) -> CommandResult<String> {
    Ok(state.studio.export_video(id, None)?.display().to_string())
}
