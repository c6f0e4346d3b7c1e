//! End-to-end tests: the real app window, driven through tauri-driver.
//! Run with `cargo test -p nexhina-e2e` (build the app first: `cargo build -p nexhina-studio`).

mod a11y;
mod account;
mod chat;
mod connection;
mod demo;
mod images;
mod privacy;
mod profile;
mod speech;
mod tools;
mod video;

use nexhina_e2e::serde_json::{json, Value};
use nexhina_e2e::App;

/// Opens Settings from the navigation rail and waits for the page.
pub async fn open_settings(app: &App) {
    app.click("nav-settings").await;
    app.wait_for("view-settings").await;
}

/// The model ids listed in one kind group (`model-group-<kind>`), in page order.
pub async fn models_in_group(app: &App, kind: &str) -> Vec<String> {
    let script = "const group = document.querySelector(arguments[0]);\
        return group ? Array.from(group.querySelectorAll('[data-testid=\"model-row\"] .id'),\
                                  (el) => el.textContent.trim()) : null;";
    let selector = format!("[data-testid=\"model-group-{kind}\"]");
    match app.execute(script, vec![json!(selector)]).await {
        Value::Array(ids) => ids
            .into_iter()
            .filter_map(|id| id.as_str().map(str::to_owned))
            .collect(),
        _ => panic!("no model group {selector} in the page"),
    }
}

/// The heading of one kind group, as shown (e.g. "IMAGE (3)").
pub async fn group_heading(app: &App, kind: &str) -> String {
    let script = "const h = document.querySelector(arguments[0]);\
        return h ? h.innerText : null;";
    let selector = format!("[data-testid=\"model-group-{kind}\"] h3");
    match app.execute(script, vec![json!(selector)]).await {
        Value::String(text) => text,
        _ => panic!("no heading {selector} in the page"),
    }
}
