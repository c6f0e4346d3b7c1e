use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use nexhina_core::types::{
    AssetView, GalleryItem, GenerationEvent, IpcError, PlaybackState, SpeechRequest, Transcript, TranscriptFormat, TranscriptionRequest,
};
use nexhina_core::PartSink;
use serde::Serialize;
use tauri::ipc::{Channel, Response};
use tauri::{AppHandle, Emitter, Manager, State};

use super::images::{sink, spawn_generation};
use super::CommandResult;
use crate::AppState;

/// The player's state, about five times a second while a clip plays.
pub const PLAYBACK_EVENT: &str = "playback-state";
/// A clip that could not be played as it arrived (no sound output, say); it is still kept.
pub const PLAYBACK_ERROR_EVENT: &str = "playback-error";
/// The microphone's level while recording.
pub const RECORDING_EVENT: &str = "recording-level";

#[derive(Clone, Serialize)]
struct RecordingLevel {
    level: f32,
    seconds: f64,
}

/// Player events go to every window.
pub fn playback_sink(app: AppHandle) -> Arc<dyn Fn(PlaybackState) + Send + Sync> {
    Arc::new(move |state| {
        let _ = app.emit(PLAYBACK_EVENT, state);
    })
}

/// Starts each part of a clip as soon as it is stored: the first plays, the rest queue.
fn play_as_it_arrives(app: AppHandle) -> PartSink {
    Arc::new(move |clip, index, path| {
        let player = &app.state::<AppState>().player;
        let played = if index == 0 { player.play(clip, vec![path]) } else { player.append(clip, path) };
        if let Err(e) = played {
            let _ = app.emit(PLAYBACK_ERROR_EVENT, IpcError::from(&e));
        }
    })
}

/// Synthesizes text; with `play`, playback starts with the first part.
#[tauri::command]
pub fn speak(app: AppHandle, state: State<'_, AppState>, request: SpeechRequest, play: bool, on_event: Channel<GenerationEvent>) -> CommandResult<GalleryItem> {
    let on_part = play.then(|| play_as_it_arrives(app));
    Ok(spawn_generation(state.studio.speak(request, sink(on_event), on_part)?))
}

/// Reads a chat reply aloud (its prose only).
#[tauri::command]
pub fn read_aloud(app: AppHandle, state: State<'_, AppState>, message_id: i64, model: String, voice: String, on_event: Channel<GenerationEvent>) -> CommandResult<GalleryItem> {
    Ok(spawn_generation(state.studio.speak_message(message_id, &model, &voice, sink(on_event), Some(play_as_it_arrives(app)))?))
}

#[tauri::command]
pub async fn play_clip(state: State<'_, AppState>, id: i64) -> CommandResult<PlaybackState> {
    let files = state.studio.clip_files(id)?;
    state.player.play(id, files)?;
    Ok(state.player.state())
}

/// One part of a clip as raw bytes, in a format the webview can decode (Opus comes as the
/// player's WAV copy), for the waveform. The CSP keeps `fetch` to IPC.
#[tauri::command]
pub async fn audio_file(state: State<'_, AppState>, id: i64, part: usize) -> CommandResult<Response> {
    let studio = state.studio.clone();
    let bytes = tauri::async_runtime::spawn_blocking(move || -> nexhina_core::Result<Vec<u8>> {
        let files = studio.clip_files(id)?;
        let path = files.get(part).ok_or_else(|| nexhina_core::Error::NotFound(format!("part {part} of clip {id}")))?;
        std::fs::read(path).map_err(|e| nexhina_core::Error::Storage(format!("the clip's file cannot be read: {e}")))
    })
    .await
    .map_err(|e| nexhina_core::Error::Internal(e.to_string()))??;
    Ok(Response::new(bytes))
}

#[tauri::command]
pub fn pause_playback(state: State<'_, AppState>) -> CommandResult<()> {
    Ok(state.player.pause()?)
}

#[tauri::command]
pub fn resume_playback(state: State<'_, AppState>) -> CommandResult<()> {
    Ok(state.player.resume()?)
}

#[tauri::command]
pub fn stop_playback(state: State<'_, AppState>) -> CommandResult<()> {
    Ok(state.player.stop()?)
}

#[tauri::command]
pub fn seek_playback(state: State<'_, AppState>, position_ms: u64) -> CommandResult<()> {
    Ok(state.player.seek(Duration::from_millis(position_ms))?)
}

#[tauri::command]
pub fn playback_state(state: State<'_, AppState>) -> PlaybackState {
    state.player.state()
}

#[tauri::command]
pub async fn attach_audio_file(state: State<'_, AppState>, path: PathBuf) -> CommandResult<AssetView> {
    Ok(state.studio.attach_audio_file(&path)?)
}

#[tauri::command]
pub async fn attach_audio_bytes(state: State<'_, AppState>, name: Option<String>, data_base64: String) -> CommandResult<AssetView> {
    Ok(state.studio.attach_audio_bytes(name.as_deref(), &data_base64)?)
}

/// Starts the microphone; its level arrives as `recording-level` events.
#[tauri::command]
pub async fn start_recording(app: AppHandle, state: State<'_, AppState>) -> CommandResult<()> {
    let levels = Arc::new(move |level: f32, seconds: f64| {
        let _ = app.emit(RECORDING_EVENT, RecordingLevel { level, seconds });
    });
    Ok(state.recorder.start(levels)?)
}

/// Stops the microphone and keeps the recording on the device.
#[tauri::command]
pub async fn stop_recording(state: State<'_, AppState>) -> CommandResult<AssetView> {
    let wav = state.recorder.stop()?;
    Ok(state.studio.attach_audio(&wav, Some("recording.wav"))?)
}

#[tauri::command]
pub fn cancel_recording(state: State<'_, AppState>) {
    state.recorder.cancel();
}

#[tauri::command]
pub async fn transcribe(state: State<'_, AppState>, request: TranscriptionRequest) -> CommandResult<Transcript> {
    Ok(state.studio.transcribe(request).await?)
}

#[tauri::command]
pub fn get_transcript(state: State<'_, AppState>, id: i64) -> CommandResult<Transcript> {
    Ok(state.studio.transcript(id)?)
}

/// Saves a clip into Downloads as one file; returns its path.
#[tauri::command]
pub async fn export_speech(state: State<'_, AppState>, id: i64) -> CommandResult<String> {
    Ok(state.studio.export_speech(id, None)?.display().to_string())
}

/// Saves a transcript as text, JSON or subtitles into Downloads; returns its path.
#[tauri::command]
pub async fn export_transcript(state: State<'_, AppState>, id: i64, format: TranscriptFormat) -> CommandResult<String> {
    Ok(state.studio.export_transcript(id, format, None)?.display().to_string())
}
