use nexhina_core::types::{AppInfo, ConnectionReport, ModelInfo, ModelKind, ProfileInput, ProfileView, Settings};
use tauri::State;

use super::CommandResult;
use crate::AppState;

/// The UI's first call: from here on the window answers a person, so the time since the
/// process started is logged once (the start-up figure `scripts/bench-release.sh` reads).
#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> CommandResult<AppInfo> {
    static FIRST: std::sync::Once = std::sync::Once::new();
    FIRST.call_once(|| log::info!("window interactive {} ms after start", crate::STARTED.get().map_or(0, |t| t.elapsed().as_millis())));
    Ok(state.studio.app_info()?)
}

#[tauri::command]
pub fn save_settings(state: State<'_, AppState>, settings: Settings) -> CommandResult<Settings> {
    Ok(state.studio.save_settings(settings)?)
}

#[tauri::command]
pub async fn test_connection(state: State<'_, AppState>, profile: ProfileInput) -> CommandResult<ConnectionReport> {
    Ok(state.studio.test_connection(profile).await?)
}

#[tauri::command]
pub fn save_profile(state: State<'_, AppState>, profile: ProfileInput) -> CommandResult<ProfileView> {
    Ok(state.studio.save_profile(profile)?)
}

#[tauri::command]
pub fn use_demo(state: State<'_, AppState>) -> CommandResult<ProfileView> {
    Ok(state.studio.use_demo()?)
}

#[tauri::command]
pub async fn list_models(state: State<'_, AppState>) -> CommandResult<Vec<ModelInfo>> {
    Ok(state.studio.list_models().await?)
}

#[tauri::command]
pub fn set_model_kind(
    state: State<'_, AppState>,
    id: String,
    kind: ModelKind,
    base_url: Option<String>,
) -> CommandResult<Vec<ModelInfo>> {
    Ok(state.studio.set_model_kind(base_url.as_deref(), &id, kind)?)
}
