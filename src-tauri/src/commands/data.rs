//! Privacy & data: export and import (with progress and Cancel), erasure, retention,
//! backups and local usage.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use nexhina_core::types::{EraseSelection, 
    BackupInfo, DataProgress, ExportReport, ExportSelection, ImportReport, LibrarySummary, PurgeReport, RestoreReport,
    RetentionPolicy, UsageReport,
};
use nexhina_core::{Error, Studio};
use tauri::ipc::Channel;
use tauri::State;

use super::CommandResult;
use crate::AppState;

/// Cancel flags of the exports and imports running now, by the job number the UI chose.
static JOBS: LazyLock<Mutex<HashMap<u32, Arc<AtomicBool>>>> = LazyLock::new(Default::default);

/// Runs long library work off the async runtime, cancellable through `cancel_data_job`,
/// with progress sent at most every half percent (one IPC message per row would flood
/// the window on a big library).
async fn run_job<T: Send + 'static>(
    job: u32,
    channel: Channel<DataProgress>,
    work: impl FnOnce(&mut dyn FnMut(DataProgress), &dyn Fn() -> bool) -> nexhina_core::Result<T> + Send + 'static,
) -> CommandResult<T> {
    let cancel = Arc::new(AtomicBool::new(false));
    JOBS.lock().unwrap_or_else(|p| p.into_inner()).insert(job, cancel.clone());
    let result = tauri::async_runtime::spawn_blocking(move || {
        let mut last = None;
        let mut progress = |p: DataProgress| {
            let step = if p.total == 0 { 0 } else { p.done * 200 / p.total };
            if last != Some(step) {
                last = Some(step);
                let _ = channel.send(p);
            }
        };
        work(&mut progress, &|| cancel.load(Ordering::SeqCst))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()));
    JOBS.lock().unwrap_or_else(|p| p.into_inner()).remove(&job);
    Ok(result??)
}

/// A dated name in Downloads that is free, for the export path field.
#[tauri::command]
pub fn default_export_path(state: State<'_, AppState>, zip: bool) -> CommandResult<String> {
    Ok(state.studio.default_export_path(zip)?.display().to_string())
}

#[tauri::command]
pub async fn export_library(
    state: State<'_, AppState>,
    out: String,
    selection: ExportSelection,
    job: u32,
    on_progress: Channel<DataProgress>,
) -> CommandResult<ExportReport> {
    let studio = state.studio.clone();
    let out = PathBuf::from(out.trim());
    run_job(job, on_progress, move |progress, cancelled| studio.export_library(&out, &selection, progress, cancelled)).await
}

#[tauri::command]
pub async fn import_library(
    state: State<'_, AppState>,
    path: String,
    job: u32,
    on_progress: Channel<DataProgress>,
) -> CommandResult<ImportReport> {
    let studio = state.studio.clone();
    let path = PathBuf::from(path.trim());
    run_job(job, on_progress, move |progress, cancelled| studio.import_library(&path, progress, cancelled)).await
}

/// Asks a running export or import to stop; it cleans up after itself and fails with a
/// message saying so. Unknown (already finished) jobs are ignored.
#[tauri::command]
pub fn cancel_data_job(job: u32) {
    if let Some(flag) = JOBS.lock().unwrap_or_else(|p| p.into_inner()).get(&job) {
        flag.store(true, Ordering::SeqCst);
    }
}

#[tauri::command]
pub fn erase_item(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    Ok(state.studio.erase_item(id)?)
}

#[tauri::command]
pub fn erase_conversation(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    Ok(state.studio.erase_conversation(id)?)
}

/// What erasing a selection would remove, for its confirmation.
#[tauri::command]
pub fn erase_selection_preview(state: State<'_, AppState>, selection: EraseSelection) -> CommandResult<PurgeReport> {
    Ok(state.studio.erase_selection_preview(&selection)?)
}

#[tauri::command]
pub async fn erase_selection(state: State<'_, AppState>, selection: EraseSelection) -> CommandResult<PurgeReport> {
    let studio = state.studio.clone();
    blocking(move || studio.erase_selection(&selection)).await
}

/// What "erase everything" would remove, for its confirmation.
#[tauri::command]
pub fn library_summary(state: State<'_, AppState>) -> CommandResult<LibrarySummary> {
    Ok(state.studio.library_summary()?)
}

/// Afterwards the studio is back on the demo platform (no active profile is left); the
/// window reloads itself.
#[tauri::command]
pub async fn erase_everything(state: State<'_, AppState>) -> CommandResult<()> {
    let studio = state.studio.clone();
    blocking(move || studio.erase_everything()).await
}

#[tauri::command]
pub fn get_retention(state: State<'_, AppState>) -> CommandResult<RetentionPolicy> {
    Ok(state.studio.retention()?)
}

/// Saves the policy and purges what it no longer keeps.
#[tauri::command]
pub async fn set_retention(state: State<'_, AppState>, policy: RetentionPolicy) -> CommandResult<PurgeReport> {
    let studio = state.studio.clone();
    blocking(move || studio.set_retention(policy)).await
}

#[tauri::command]
pub async fn purge_library(state: State<'_, AppState>) -> CommandResult<PurgeReport> {
    let studio = state.studio.clone();
    blocking(move || studio.purge()).await
}

#[tauri::command]
pub fn list_backups(state: State<'_, AppState>) -> CommandResult<Vec<BackupInfo>> {
    Ok(state.studio.backups()?)
}

#[tauri::command]
pub async fn create_backup(state: State<'_, AppState>) -> CommandResult<BackupInfo> {
    let studio = state.studio.clone();
    blocking(move || studio.create_backup()).await
}

#[tauri::command]
pub async fn restore_backup(state: State<'_, AppState>, id: String) -> CommandResult<RestoreReport> {
    let studio = state.studio.clone();
    blocking(move || studio.restore_backup(&id)).await
}

/// Tokens, images and seconds per model and day, from the local records.
#[tauri::command]
pub fn local_usage(state: State<'_, AppState>, since: Option<i64>) -> CommandResult<UsageReport> {
    Ok(state.studio.usage(since)?)
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> nexhina_core::Result<T> + Send + 'static) -> CommandResult<T> {
    let result = tauri::async_runtime::spawn_blocking(work).await.map_err(|e| Error::Internal(e.to_string()))?;
    Ok(result?)
}

/// The retention purge and the daily backup: once at start-up, then again whenever a day
/// has passed. Wall-clock time is checked hourly, so a suspended laptop catches up on wake.
pub fn spawn_upkeep(studio: Arc<Studio>) {
    const DAY: Duration = Duration::from_secs(24 * 60 * 60);
    tauri::async_runtime::spawn(async move {
        let mut last: Option<SystemTime> = None;
        loop {
            let due = last.is_none_or(|t| SystemTime::now().duration_since(t).is_ok_and(|d| d >= DAY));
            if due {
                let studio = studio.clone();
                match tauri::async_runtime::spawn_blocking(move || studio.maintain()).await {
                    Ok(Ok(report)) if report.conversations + report.generations + report.files > 0 => log::info!(
                        "retention removed {} conversations, {} generations, {} files",
                        report.conversations,
                        report.generations,
                        report.files
                    ),
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => log::warn!("upkeep failed ({}): {e}", e.code()),
                    Err(e) => log::warn!("upkeep stopped: {e}"),
                }
                last = Some(SystemTime::now());
            }
            tokio::time::sleep(Duration::from_secs(60 * 60)).await;
        }
    });
}
