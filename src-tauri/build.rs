// The app's own commands are permission-checked only when declared here and granted in
// capabilities/main.json.
const COMMANDS: &[&str] =
    &["app_info", "save_settings", "test_connection", "save_profile", "use_demo", "list_models", "set_model_kind"];

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)))
        .expect("failed to run the Tauri build script");
}
