//! The desktop shell: window, state, commands, security. All logic lives in nexhina-core.

mod commands;
mod demo;
mod window;

use std::sync::Arc;

use nexhina_core::media::audio::AudioPlayer;
use nexhina_core::media::recorder::Recorder;
use nexhina_core::secrets::KeyStore;
use nexhina_core::{paths, Studio, StudioOptions};
use tauri::Manager;

pub struct AppState {
    pub studio: Arc<Studio>,
    /// The one native audio player (rodio), shared by every view.
    pub player: AudioPlayer,
    pub recorder: Recorder,
    /// Keeps the demo platform's server running as long as the app.
    _demo: Option<demo::DemoServer>,
}

/// When the process started, for the start-up figure in the log.
pub(crate) static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    tauri::Builder::default()
        // First, so a second launch hands over to the running app before anything opens.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| window::focus_main(app)))
        .plugin(logging())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let data_dir = paths::data_dir(None)?;
            log::info!("Nexhina Studio {} starting; library at {}", env!("CARGO_PKG_VERSION"), data_dir.display());
            let demo = demo::DemoServer::start();
            let options = StudioOptions {
                data_dir: data_dir.clone(),
                demo: demo.as_ref().map(|d| d.platform()),
                ..StudioOptions::default()
            };
            let studio = Studio::open(options, KeyStore::from_env())?;
            // The webview may load files from the media store, and nothing else on disk.
            app.asset_protocol_scope().allow_directory(data_dir.join("media"), true)?;
            let studio = Arc::new(studio);
            studio.set_tool_listener(commands::tool_listener(app.handle().clone()));
            // Video jobs a previous run left going are followed again, with no window needed.
            for task in studio.resume_video_jobs(commands::video_sink(app.handle().clone(), None))? {
                tauri::async_runtime::spawn(async move {
                    let _ = task.await;
                });
            }
            // Retention purge and the daily backup, off the start-up path.
            commands::spawn_upkeep(studio.clone());
            // The meaning index catches up in the background and then follows new items.
            tauri::async_runtime::spawn(studio.clone().run_indexer(commands::index_sink(app.handle().clone())));
            let player = AudioPlayer::new(commands::playback_sink(app.handle().clone()));
            app.manage(AppState { studio, player, recorder: Recorder::default(), _demo: demo });
            window::open_main(app.handle())?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::key_overview,
            commands::account_credentials,
            commands::save_account_credentials,
            commands::forget_account_credentials,
            commands::account_summary,
            commands::usage_logs,
            commands::spending,
            commands::api_keys,
            commands::create_api_key,
            commands::update_api_key,
            commands::set_api_key_enabled,
            commands::delete_api_key,
            commands::reveal_api_key,
            commands::use_api_key,
            commands::redeem_code,
            commands::app_info,
            commands::search,
            commands::index_status,
            commands::rebuild_index,
            commands::search_settings,
            commands::save_search_settings,
            commands::check_prompt,
            commands::send_anyway,
            commands::save_settings,
            commands::test_connection,
            commands::save_profile,
            commands::use_demo,
            commands::list_models,
            commands::set_model_kind,
            commands::list_conversations,
            commands::get_conversation,
            commands::create_conversation,
            commands::update_conversation,
            commands::delete_conversation,
            commands::list_messages,
            commands::send_message,
            commands::stop_reply,
            commands::regenerate_reply,
            commands::edit_and_resend,
            commands::continue_reply,
            commands::tool_call,
            commands::answer_tool_call,
            commands::stop_tool_call,
            commands::tool_availability,
            commands::set_tool_settings,
            commands::attach_file,
            commands::attach_bytes,
            commands::search_messages,
            commands::export_conversation,
            commands::generate_images,
            commands::rerun_generation,
            commands::list_gallery,
            commands::gallery_models,
            commands::get_generation,
            commands::set_favourite,
            commands::set_rating,
            commands::delete_generation,
            commands::export_image,
            commands::generate_video,
            commands::cancel_video,
            commands::video_file,
            commands::export_video,
            commands::speak,
            commands::read_aloud,
            commands::play_clip,
            commands::audio_file,
            commands::pause_playback,
            commands::resume_playback,
            commands::stop_playback,
            commands::seek_playback,
            commands::playback_state,
            commands::attach_audio_file,
            commands::attach_audio_bytes,
            commands::start_recording,
            commands::stop_recording,
            commands::cancel_recording,
            commands::transcribe,
            commands::get_transcript,
            commands::export_speech,
            commands::export_transcript,
            commands::default_export_path,
            commands::export_library,
            commands::import_library,
            commands::cancel_data_job,
            commands::erase_item,
            commands::erase_conversation,
            commands::erase_selection_preview,
            commands::erase_selection,
            commands::library_summary,
            commands::erase_everything,
            commands::get_retention,
            commands::set_retention,
            commands::purge_library,
            commands::list_backups,
            commands::create_backup,
            commands::restore_backup,
            commands::local_usage,
        ])
        .run(tauri::generate_context!())
        .expect("Nexhina Studio could not start");
}

/// Logs go to `$XDG_STATE_HOME/nexhina-studio/logs` (a few rotated files), every line passed
/// through the key redactor; debug builds also print them.
fn logging() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    use tauri_plugin_log::{RotationStrategy, Target, TargetKind};
    let mut targets = Vec::new();
    if let Ok(dir) = paths::log_dir() {
        targets.push(Target::new(TargetKind::Folder { path: dir, file_name: Some("nexhina-studio".into()) }));
    }
    if cfg!(debug_assertions) {
        targets.push(Target::new(TargetKind::Stdout));
    }
    tauri_plugin_log::Builder::new()
        .clear_targets()
        .targets(targets)
        .level(log::LevelFilter::Info)
        .rotation_strategy(RotationStrategy::KeepSome(3))
        .max_file_size(2 * 1024 * 1024)
        .format(|out, message, record| {
            let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
            let line = nexhina_core::secrets::redact(&message.to_string());
            out.finish(format_args!("{now} {} {}: {line}", record.level(), record.target()))
        })
        .build()
}
