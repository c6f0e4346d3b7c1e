//! The main window, with a navigation guard: the webview shows only the app itself;
//! any other address opens in the system browser.

use tauri::{AppHandle, Manager, Url, WebviewUrl, WebviewWindowBuilder};
use tauri_plugin_opener::OpenerExt;

pub fn open_main(app: &AppHandle) -> tauri::Result<()> {
    let opener = app.clone();
    WebviewWindowBuilder::new(app, "main", WebviewUrl::default())
        .title("Nexhina Studio")
        .inner_size(1200.0, 780.0)
        .min_inner_size(820.0, 560.0)
        .on_navigation(move |url| {
            if is_app_url(url) {
                return true;
            }
            if matches!(url.scheme(), "https" | "http" | "mailto") {
                let _ = opener.opener().open_url(url.as_str(), None::<&str>);
            }
            false
        })
        .build()?;
    Ok(())
}

/// Brings the main window forward (a second launch of the app ends up here).
pub fn focus_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

fn is_app_url(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => true,
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}
