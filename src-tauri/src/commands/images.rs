use std::sync::Arc;

use nexhina_core::types::{GalleryFilter, GalleryItem, GalleryPage, GenerationEvent, GenerationView, ImageRequest};
use nexhina_core::{GenerationSink, GenerationTask};
use tauri::ipc::Channel;
use tauri::State;

use super::CommandResult;
use crate::AppState;

pub(super) fn spawn_generation(started: (GalleryItem, GenerationTask)) -> GalleryItem {
    let (card, task) = started;
    // The outcome is stored and reported through the channel.
    tauri::async_runtime::spawn(async move {
        let _ = task.await;
    });
    card
}

pub(super) fn sink(channel: Channel<GenerationEvent>) -> GenerationSink {
    Arc::new(move |event| {
        let _ = channel.send(event);
    })
}

#[tauri::command]
pub fn generate_images(state: State<'_, AppState>, request: ImageRequest, on_event: Channel<GenerationEvent>) -> CommandResult<GalleryItem> {
    Ok(spawn_generation(state.studio.generate_images(request, sink(on_event))?))
}

#[tauri::command]
pub fn rerun_generation(state: State<'_, AppState>, id: i64, on_event: Channel<GenerationEvent>) -> CommandResult<GalleryItem> {
    Ok(spawn_generation(state.studio.rerun_generation(id, sink(on_event))?))
}

#[tauri::command]
pub fn list_gallery(state: State<'_, AppState>, filter: GalleryFilter, cursor: Option<String>, limit: u32) -> CommandResult<GalleryPage> {
    Ok(state.studio.gallery(&filter, cursor.as_deref(), limit)?)
}

#[tauri::command]
pub fn gallery_models(state: State<'_, AppState>) -> CommandResult<Vec<String>> {
    Ok(state.studio.gallery_models()?)
}

#[tauri::command]
pub fn get_generation(state: State<'_, AppState>, id: i64) -> CommandResult<GenerationView> {
    Ok(state.studio.generation(id)?)
}

#[tauri::command]
pub fn set_favourite(state: State<'_, AppState>, id: i64, favourite: bool) -> CommandResult<GalleryItem> {
    Ok(state.studio.set_favourite(id, favourite)?)
}

#[tauri::command]
pub fn set_rating(state: State<'_, AppState>, id: i64, rating: Option<u8>) -> CommandResult<GalleryItem> {
    Ok(state.studio.set_rating(id, rating)?)
}

#[tauri::command]
pub fn delete_generation(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    Ok(state.studio.delete_generation(id)?)
}

#[tauri::command]
pub fn export_image(state: State<'_, AppState>, id: i64, output: usize, include_prompt: bool) -> CommandResult<String> {
    Ok(state.studio.export_image(id, output, None, include_prompt)?.display().to_string())
}
