//! Privacy & data in the real window: a chat with the demo platform, exported to a zip,
//! everything erased (the history is gone), the zip imported (the conversation is back).
//! Screenshots of the section in the light theme.

use std::time::{Duration, Instant};

use nexhina_e2e::serde_json::{json, Value};
use nexhina_e2e::{screenshot_dir, App, TIMEOUT};

use crate::open_settings;

const ENTER: &str = "\u{E007}";
const QUESTION: &str = "Which lighthouse guards the Raz de Sein";

/// Polls a script until it returns `true`.
async fn wait_until(app: &App, what: &str, script: &str, args: Vec<Value>) {
    let deadline = Instant::now() + TIMEOUT;
    while app.execute(script, args.clone()).await != Value::Bool(true) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting until {what}\n{}",
            app.page_text().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether the conversation list shows a conversation whose title starts like `QUESTION`.
const HAS_CONVERSATION: &str =
    "return Array.from(document.querySelectorAll('[data-testid=\"conversation-item\"]'))\
    .some((c) => c.innerText.includes(arguments[0]));";

async fn open_privacy(app: &App) {
    open_settings(app).await;
    app.wait_for("privacy-settings").await;
    app.scroll_to("settings-privacy").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_erase_everything_and_import_back() {
    let app = App::start("export_erase_everything_and_import_back").await;
    let archive = app.home().join("exports").join("library.zip");

    // A conversation with the demo platform.
    app.wait_for("view-chat").await;
    app.type_into("composer-input", QUESTION).await;
    app.wait_for("composer-input")
        .await
        .send_keys(ENTER)
        .await
        .expect("press Enter");
    wait_until(
        &app,
        "the reply is complete",
        "return !!document.querySelector('[data-testid=\"message\"][data-role=\"assistant\"][data-status=\"complete\"]');",
        vec![],
    )
    .await;
    wait_until(
        &app,
        "the conversation is listed",
        HAS_CONVERSATION,
        vec![json!("Raz de Sein")],
    )
    .await;

    // Export the whole library to a zip in the test's own folder.
    open_privacy(&app).await;
    let suggested = app.value_of("export-path").await;
    assert!(
        suggested.ends_with(".zip"),
        "the suggested export path is {suggested:?}"
    );
    app.type_into("export-path", &archive.display().to_string())
        .await;
    app.click("export-start").await;
    let done = app
        .wait_for_text("export-done", "report the export", |t| {
            t.contains("library.zip")
        })
        .await;
    assert!(done.contains("conversations: 1"), "export report: {done:?}");
    assert!(archive.is_file(), "{} was not written", archive.display());

    // How the section looks, with a backup (made at start-up) and the chat's usage.
    app.click("theme-light").await;
    wait_until(
        &app,
        "the light theme applies",
        "return document.documentElement.dataset.theme === 'light';",
        vec![],
    )
    .await;
    app.wait_for("backup-row").await;
    app.wait_for("usage-row").await;
    let dir = screenshot_dir();
    for (name, anchor) in [
        ("privacy-light.png", "settings-privacy"),
        ("privacy-light-lower.png", "privacy-backups"),
    ] {
        app.scroll_to(anchor).await;
        let path = dir.join(name);
        app.screenshot(&path).await;
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 20_000, "{} is only {size} bytes", path.display());
        eprintln!("screenshot: {} ({size} bytes)", path.display());
    }

    // Erase everything: the confirmation names what goes and needs the word.
    app.scroll_to("erase-all").await;
    app.click("erase-all").await;
    let summary = app.text_of("erase-summary").await;
    assert!(
        summary.contains("Conversations: 1 (2 messages)"),
        "erase summary: {summary:?}"
    );
    assert!(summary.contains("keychain"), "erase summary: {summary:?}");
    let confirm = app.wait_for("erase-confirm-button").await;
    assert!(
        !confirm.is_enabled().await.unwrap_or(true),
        "erase is possible before the word is typed"
    );
    app.type_into("erase-word", "ERASE").await;
    app.click("erase-confirm-button").await;

    // The window starts over on the demo platform with no history.
    app.wait_for("conversation-list-empty").await;
    app.wait_for("demo-badge").await;
    assert!(
        archive.is_file(),
        "the export outside the data folder must stay"
    );

    // Import the zip: the conversation is back.
    open_privacy(&app).await;
    app.type_into("import-path", &archive.display().to_string())
        .await;
    app.click("import-start").await;
    let imported = app
        .wait_for_text("import-done", "report the import", |t| {
            t.contains("Imported")
        })
        .await;
    assert!(
        imported.contains("conversations: 1, messages: 2"),
        "import report: {imported:?}"
    );

    app.click("nav-chat").await;
    app.wait_for("view-chat").await;
    wait_until(
        &app,
        "the imported conversation is listed",
        HAS_CONVERSATION,
        vec![json!("Raz de Sein")],
    )
    .await;
    let open =
        "const c = Array.from(document.querySelectorAll('[data-testid=\"conversation-item\"]'))\
        .find((c) => c.innerText.includes(arguments[0]));\
        if (!c) return false; (c.querySelector('.open') || c).click(); return true;";
    assert_eq!(
        app.execute(open, vec![json!("Raz de Sein")]).await,
        Value::Bool(true)
    );
    wait_until(
        &app,
        "the imported question shows",
        "return Array.from(document.querySelectorAll('[data-testid=\"message\"][data-role=\"user\"]'))\
           .some((m) => m.innerText.includes(arguments[0]));",
        vec![json!(QUESTION)],
    )
    .await;
    wait_until(
        &app,
        "the imported reply shows",
        "return !!document.querySelector('[data-testid=\"message\"][data-role=\"assistant\"][data-status=\"complete\"]');",
        vec![],
    )
    .await;
}
