//! Search across the library, the meaning index, and the moderation pre-check.

use std::sync::Arc;

use nexhina_core::types::{IndexStatus, ModerationVerdict, SearchQuery, SearchResults, SearchSettings};
use nexhina_core::IndexSink;
use tauri::{AppHandle, Emitter, State};

use super::CommandResult;
use crate::AppState;

/// Progress of the background indexer, for the Library view.
pub const INDEX_EVENT: &str = "index-progress";

pub fn index_sink(app: AppHandle) -> IndexSink {
    Arc::new(move |status: &IndexStatus| {
        let _ = app.emit(INDEX_EVENT, status);
    })
}

#[tauri::command]
pub async fn search(state: State<'_, AppState>, query: SearchQuery) -> CommandResult<SearchResults> {
    Ok(state.studio.search(&query).await?)
}

#[tauri::command]
pub fn index_status(state: State<'_, AppState>) -> CommandResult<IndexStatus> {
    Ok(state.studio.index_status()?)
}

#[tauri::command]
pub fn rebuild_index(state: State<'_, AppState>) -> CommandResult<IndexStatus> {
    Ok(state.studio.rebuild_index()?)
}

#[tauri::command]
pub fn search_settings(state: State<'_, AppState>) -> CommandResult<SearchSettings> {
    Ok(state.studio.search_settings()?)
}

#[tauri::command]
pub fn save_search_settings(state: State<'_, AppState>, settings: SearchSettings) -> CommandResult<SearchSettings> {
    Ok(state.studio.save_search_settings(settings)?)
}

/// `None` when the moderation check is off.
#[tauri::command]
pub async fn check_prompt(state: State<'_, AppState>, text: String) -> CommandResult<Option<ModerationVerdict>> {
    Ok(state.studio.check_prompt(&text).await?)
}

/// The user chose to send a flagged prompt: its next send skips the check.
#[tauri::command]
pub fn send_anyway(state: State<'_, AppState>, text: String) -> CommandResult<()> {
    state.studio.send_anyway(&text);
    Ok(())
}
