//! End-to-end tests: the real app window, driven through tauri-driver.
//! Run with `cargo test -p nexhina-e2e` (build the app first: `cargo build -p nexhina-studio`).

mod a11y;
mod account;
mod chat;
mod connection;
mod demo;
mod images;
mod library;
mod offline;
mod privacy;
mod profile;
mod speech;
mod tools;
mod video;

use std::time::{Duration, Instant};

use nexhina_e2e::serde_json::{json, Value};
use nexhina_e2e::{App, TIMEOUT};
use nexhina_simulator::Simulator;

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

/// Polls a script until it returns something other than null/false; returns that.
pub async fn wait_js(app: &App, what: &str, script: &str, args: Vec<Value>) -> Value {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let last = app.execute(script, args.clone()).await;
        if !matches!(last, Value::Null | Value::Bool(false)) {
            return last;
        }
        if Instant::now() >= deadline {
            panic!(
                "timed out after {TIMEOUT:?} waiting for {what} (last: {last})\n--- page ---\n{:.1500}",
                app.page_text().await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Settings → base URL and key of the test's simulator → Save, as a person connects.
pub async fn connect_to(app: &App, sim: &Simulator) {
    app.wait_for("demo-badge").await;
    open_settings(app).await;
    app.type_into("base-url", &format!("{}/v1", sim.base_url()))
        .await;
    app.type_into("api-key", "sk-demo").await;
    app.click("save-profile").await;
    app.wait_gone("demo-badge").await;
}

/// Switches the theme for a screenshot, as the Settings choice would.
pub async fn set_theme(app: &App, theme: &str) {
    app.execute("document.documentElement.dataset.theme = arguments[0];", vec![json!(theme)]).await;
}
