//! Offline: a chat, an image and a speech clip made against the simulator, then the
//! platform goes away. The app starts, every view browses its history, the Library finds
//! things by words, and what needs the platform says "offline" and keeps what was asked.

use std::time::{Duration, Instant};

use nexhina_e2e::serde_json::{json, Value};
use nexhina_e2e::App;
use nexhina_simulator::{SimConfig, Simulator};

use crate::{connect_to, wait_js};

const QUESTION: &str = "What is a good name for a lighthouse keeper's cat?";
const PICTURE: &str = "a lighthouse keeper's cat asleep on a windowsill";
const SPOKEN: &str = "The lamp is lit and the cat is asleep.";

/// Waits for `count` elements matching `css` whose `data-status` is `status`.
async fn finished(app: &App, what: &str, css: &str, status: &str, count: u64) {
    wait_js(
        app,
        what,
        "return Array.from(document.querySelectorAll(arguments[0])).filter((e) => e.dataset.status === arguments[2]).length >= arguments[1];",
        vec![json!(css), json!(count), json!(status)],
    )
    .await;
}

/// A restart, until the chat view lists its conversations.
async fn restart_to_history(app: &mut App) -> f64 {
    let start = Instant::now();
    app.restart().await;
    app.wait_for("conversation-item").await;
    start.elapsed().as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_platform_gone_every_view_browses_and_actions_say_offline() {
    let sim = Simulator::start(SimConfig::default()).await.expect("start the simulator");
    let mut app = App::start("offline").await;
    connect_to(&app, &sim).await;

    app.click("nav-chat").await;
    app.type_into("composer-input", QUESTION).await;
    app.click("send-button").await;
    finished(&app, "the reply", "[data-testid=\"message\"]", "complete", 2).await;

    app.click("nav-images").await;
    app.wait_for("view-images").await;
    app.type_into("image-prompt", PICTURE).await;
    app.click("generate-image").await;
    finished(&app, "the image", "[data-testid=\"gallery-card\"]", "complete", 1).await;

    app.click("nav-speech").await;
    app.wait_for("view-speech").await;
    app.type_into("speech-text", SPOKEN).await;
    app.click("speech-speak-button").await;
    finished(&app, "the speech clip", "[data-testid=\"speech-clip\"]", "ready", 1).await;

    app.click("nav-chat").await;
    let online = restart_to_history(&mut app).await;
    sim.shutdown().await;
    let offline = restart_to_history(&mut app).await;
    eprintln!("restart to the conversation list: platform up {online:.2} s, platform gone {offline:.2} s");

    // Chat: the conversation reads as before; a new message says offline and stays typed.
    app.click("conversation-item").await;
    app.wait_for_text("message-list", "the conversation", |t| t.contains(QUESTION)).await;
    app.type_into("composer-input", "And a name for its dog?").await;
    app.click("send-button").await;
    let said = app.wait_for_text("reply-error", "the offline message", |t| t.contains("Offline")).await;
    assert!(said.contains("cannot be reached"), "{said}");
    let kept = app.text_of("message-list").await;
    assert!(kept.contains("And a name for its dog?"), "the question is kept, to retry: {kept}");

    // Images: the picture is there, from the disk.
    app.click("nav-images").await;
    app.wait_for("view-images").await;
    wait_js(
        &app,
        "the image from the disk",
        "const img = document.querySelector('[data-testid=\"gallery-card\"] img'); return !!img && img.complete && img.naturalWidth > 0;",
        vec![],
    )
    .await;
    app.type_into("image-prompt", "the same cat, awake").await;
    app.click("generate-image").await;
    // The refused connection is retried a few times first (nothing was generated).
    let deadline = Instant::now() + Duration::from_secs(60);
    let failed = "const c = Array.from(document.querySelectorAll('[data-testid=\"gallery-card\"][data-status=\"failed\"]'));\
                  return c.length ? c[0].innerText : null;";
    let shown = loop {
        if let Value::String(text) = app.execute(failed, vec![]).await {
            break text;
        }
        if Instant::now() > deadline {
            app.screenshot(nexhina_e2e::screenshot_dir().join("offline-images-debug.png")).await;
            panic!("the offline generation never failed:\n{}", app.log_tail(30));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(shown.contains("Offline"), "the card says offline: {shown}");

    // Speech: the clip is listed with its text.
    app.click("nav-speech").await;
    app.wait_for("view-speech").await;
    wait_js(
        &app,
        "the clip with its text",
        "const t = document.querySelector('[data-testid=\"speech-clip-text\"]'); return !!t && t.textContent.includes(arguments[0]);",
        vec![json!(SPOKEN)],
    )
    .await;

    // Library: words still find things; meaning says why it cannot.
    app.click("nav-library").await;
    app.wait_for("library-view").await;
    app.type_into("library-search", "windowsill").await;
    app.wait_for_text("library-results", "a word match", |t| t.contains(PICTURE)).await;
    app.close().await;
}
