// The app's own commands are permission-checked only when declared here and granted in
// capabilities/main.json.
const COMMANDS: &[&str] = &[
    "app_info",
    "save_settings",
    "test_connection",
    "save_profile",
    "use_demo",
    "list_models",
    "set_model_kind",
    "list_conversations",
    "get_conversation",
    "create_conversation",
    "update_conversation",
    "delete_conversation",
    "list_messages",
    "send_message",
    "stop_reply",
    "regenerate_reply",
    "edit_and_resend",
    "continue_reply",
    "attach_file",
    "attach_bytes",
    "search_messages",
    "export_conversation",
    "generate_images",
    "rerun_generation",
    "list_gallery",
    "gallery_models",
    "get_generation",
    "set_favourite",
    "set_rating",
    "delete_generation",
    "export_image",
    "generate_video",
    "cancel_video",
    "video_file",
    "export_video",
];

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)))
        .expect("failed to run the Tauri build script");
}
