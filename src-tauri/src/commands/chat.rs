use std::path::PathBuf;
use std::sync::Arc;

use nexhina_core::types::{
    AssetView, Conversation, ConversationPage, ConversationPatch, MessagePage, SearchHit, SendRequest, TurnEvent, TurnStarted,
};
use nexhina_core::{TurnSink, TurnTask};
use tauri::ipc::Channel;
use tauri::State;

use super::CommandResult;
use crate::AppState;

/// The reply streams on in the background; its events go to the window's channel.
fn spawn_turn(started: (TurnStarted, TurnTask)) -> TurnStarted {
    let (turn, task) = started;
    tauri::async_runtime::spawn(task);
    turn
}

fn sink(channel: Channel<TurnEvent>) -> TurnSink {
    // A closed window drops the channel; the reply is still stored.
    Arc::new(move |event| {
        let _ = channel.send(event);
    })
}

#[tauri::command]
pub fn list_conversations(state: State<'_, AppState>, cursor: Option<String>, limit: u32) -> CommandResult<ConversationPage> {
    Ok(state.studio.list_conversations(cursor.as_deref(), limit)?)
}

#[tauri::command]
pub fn get_conversation(state: State<'_, AppState>, id: i64) -> CommandResult<Conversation> {
    Ok(state.studio.conversation(id)?)
}

#[tauri::command]
pub fn create_conversation(state: State<'_, AppState>, model: Option<String>) -> CommandResult<Conversation> {
    Ok(state.studio.create_conversation(model.as_deref())?)
}

#[tauri::command]
pub fn update_conversation(state: State<'_, AppState>, id: i64, patch: ConversationPatch) -> CommandResult<Conversation> {
    Ok(state.studio.update_conversation(id, patch)?)
}

#[tauri::command]
pub fn delete_conversation(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    Ok(state.studio.delete_conversation(id)?)
}

#[tauri::command]
pub fn list_messages(
    state: State<'_, AppState>,
    conversation_id: i64,
    before: Option<i64>,
    after: Option<i64>,
    limit: u32,
) -> CommandResult<MessagePage> {
    Ok(state.studio.list_messages(conversation_id, before, after, limit)?)
}

#[tauri::command]
pub fn send_message(state: State<'_, AppState>, request: SendRequest, on_event: Channel<TurnEvent>) -> CommandResult<TurnStarted> {
    Ok(spawn_turn(state.studio.send_message(request, sink(on_event))?))
}

#[tauri::command]
pub fn stop_reply(state: State<'_, AppState>, reply_id: i64) -> CommandResult<()> {
    Ok(state.studio.stop_reply(reply_id)?)
}

#[tauri::command]
pub fn regenerate_reply(state: State<'_, AppState>, reply_id: i64, on_event: Channel<TurnEvent>) -> CommandResult<TurnStarted> {
    Ok(spawn_turn(state.studio.regenerate_reply(reply_id, sink(on_event))?))
}

#[tauri::command]
pub fn edit_and_resend(
    state: State<'_, AppState>,
    message_id: i64,
    text: String,
    on_event: Channel<TurnEvent>,
) -> CommandResult<TurnStarted> {
    Ok(spawn_turn(state.studio.edit_and_resend(message_id, &text, sink(on_event))?))
}

#[tauri::command]
pub fn continue_reply(state: State<'_, AppState>, reply_id: i64, on_event: Channel<TurnEvent>) -> CommandResult<TurnStarted> {
    Ok(spawn_turn(state.studio.continue_reply(reply_id, sink(on_event))?))
}

#[tauri::command]
pub async fn attach_file(state: State<'_, AppState>, path: PathBuf) -> CommandResult<AssetView> {
    Ok(state.studio.attach_file(&path)?)
}

#[tauri::command]
pub async fn attach_bytes(state: State<'_, AppState>, name: Option<String>, data_base64: String) -> CommandResult<AssetView> {
    Ok(state.studio.attach_bytes(name.as_deref(), &data_base64)?)
}

#[tauri::command]
pub fn search_messages(state: State<'_, AppState>, query: String, limit: u32) -> CommandResult<Vec<SearchHit>> {
    Ok(state.studio.search_messages(&query, limit)?)
}

#[tauri::command]
pub fn export_conversation(state: State<'_, AppState>, id: i64) -> CommandResult<String> {
    Ok(state.studio.export_conversation(id, None)?.display().to_string())
}
