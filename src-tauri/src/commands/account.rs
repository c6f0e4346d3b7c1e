use nexhina_core::types::{
    AccountCredentialsInput, AccountCredentialsView, AccountSummary, ApiKey, ApiKeyInput, ApiKeyList, KeyOverview,
    LogPage, LogQuery, ProfileView, Redeemed, Spending, SpendingQuery,
};
use tauri::State;

use super::CommandResult;
use crate::AppState;

#[tauri::command]
pub async fn key_overview(state: State<'_, AppState>) -> CommandResult<KeyOverview> {
    Ok(state.studio.key_overview().await?)
}

#[tauri::command]
pub fn account_credentials(state: State<'_, AppState>) -> CommandResult<AccountCredentialsView> {
    Ok(state.studio.account_credentials()?)
}

#[tauri::command]
pub async fn save_account_credentials(
    state: State<'_, AppState>,
    credentials: AccountCredentialsInput,
) -> CommandResult<AccountSummary> {
    Ok(state.studio.save_account_credentials(credentials).await?)
}

#[tauri::command]
pub fn forget_account_credentials(state: State<'_, AppState>) -> CommandResult<()> {
    Ok(state.studio.forget_account_credentials()?)
}

#[tauri::command]
pub async fn account_summary(state: State<'_, AppState>) -> CommandResult<Option<AccountSummary>> {
    Ok(state.studio.account_summary().await?)
}

#[tauri::command]
pub async fn usage_logs(state: State<'_, AppState>, query: LogQuery) -> CommandResult<Option<LogPage>> {
    Ok(state.studio.usage_logs(query).await?)
}

#[tauri::command]
pub async fn spending(state: State<'_, AppState>, query: SpendingQuery) -> CommandResult<Option<Spending>> {
    Ok(state.studio.spending(query).await?)
}

#[tauri::command]
pub async fn api_keys(state: State<'_, AppState>) -> CommandResult<Option<ApiKeyList>> {
    Ok(state.studio.api_keys().await?)
}

#[tauri::command]
pub async fn create_api_key(state: State<'_, AppState>, key: ApiKeyInput) -> CommandResult<ApiKey> {
    Ok(state.studio.create_api_key(key).await?)
}

#[tauri::command]
pub async fn update_api_key(state: State<'_, AppState>, id: i64, key: ApiKeyInput) -> CommandResult<ApiKey> {
    Ok(state.studio.update_api_key(id, key).await?)
}

#[tauri::command]
pub async fn set_api_key_enabled(state: State<'_, AppState>, id: i64, enabled: bool) -> CommandResult<ApiKey> {
    Ok(state.studio.set_api_key_enabled(id, enabled).await?)
}

#[tauri::command]
pub async fn delete_api_key(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    Ok(state.studio.delete_api_key(id).await?)
}

/// The whole key goes to the webview only here, when the person asks to see or copy it.
#[tauri::command]
pub async fn reveal_api_key(state: State<'_, AppState>, id: i64) -> CommandResult<String> {
    Ok(state.studio.reveal_api_key(id).await?)
}

#[tauri::command]
pub async fn use_api_key(state: State<'_, AppState>, id: i64) -> CommandResult<ProfileView> {
    Ok(state.studio.use_api_key(id).await?)
}

#[tauri::command]
pub async fn redeem_code(state: State<'_, AppState>, code: String) -> CommandResult<Redeemed> {
    Ok(state.studio.redeem_code(&code).await?)
}
