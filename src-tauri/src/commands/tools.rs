//! Tool calls in a chat: their cards, Confirm / Decline, and per-conversation settings.

use std::sync::Arc;

use nexhina_core::types::{ToolAvailability, ToolCallView, ToolSettings, TurnEvent};
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, State};

use super::CommandResult;
use crate::AppState;

#[tauri::command]
pub fn tool_call(state: State<'_, AppState>, message_id: i64) -> CommandResult<ToolCallView> {
    Ok(state.studio.tool_call_view(message_id)?)
}

/// Resolves at once; the tool runs, then the model's next reply streams to `on_event`.
#[tauri::command]
pub fn answer_tool_call(state: State<'_, AppState>, message_id: i64, run: bool, on_event: Channel<TurnEvent>) -> CommandResult<ToolCallView> {
    let sink = Arc::new(move |event| {
        let _ = on_event.send(event);
    });
    let (view, task) = state.studio.answer_tool_call(message_id, run, sink)?;
    tauri::async_runtime::spawn(task);
    Ok(view)
}

/// Stops a running call; the model is told, and goes on.
#[tauri::command]
pub fn stop_tool_call(state: State<'_, AppState>, message_id: i64) -> CommandResult<ToolCallView> {
    Ok(state.studio.stop_tool_call(message_id)?)
}

#[tauri::command]
pub fn tool_availability(state: State<'_, AppState>, conversation_id: Option<i64>, model: Option<String>) -> CommandResult<ToolAvailability> {
    Ok(state.studio.tool_availability(conversation_id, model.as_deref())?)
}

#[tauri::command]
pub fn set_tool_settings(state: State<'_, AppState>, conversation_id: i64, settings: ToolSettings) -> CommandResult<ToolAvailability> {
    Ok(state.studio.set_tool_settings(conversation_id, settings)?)
}

/// Replies that follow a tool's result with no window waiting (a video job resumed after a
/// restart) are announced as a global `tool-turn-event`.
pub fn tool_listener(app: AppHandle) -> nexhina_core::TurnSink {
    Arc::new(move |event: TurnEvent| {
        let _ = app.emit("tool-turn-event", &event);
    })
}
