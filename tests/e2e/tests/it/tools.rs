//! Tools in the chat, in the real window on the demo platform: ask for an image, see the
//! call's card, confirm it, see the image in the chat and in the gallery.

use std::time::{Duration, Instant};

use nexhina_e2e::serde_json::Value;
use nexhina_e2e::{screenshot_dir, App, TIMEOUT};

/// Waits until the first tool card's `data-state` is `state`.
async fn wait_for_state(app: &App, state: &str) {
    let script = "const c = document.querySelector('[data-testid=\"tool-card\"]'); return c ? c.dataset.state : null;";
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if app.execute(script, vec![]).await == Value::String(state.to_owned()) {
            return;
        }
        assert!(Instant::now() < deadline, "the tool card never reached {state}:\n{}", app.log_tail(40));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn ask_for_an_image_confirm_it_and_find_it_in_the_chat_and_the_gallery() {
    let app = App::start("tools").await;
    app.wait_for("demo-badge").await;
    app.click("nav-chat").await;
    app.wait_for("view-chat").await;
    app.type_into("composer-input", "Please draw a lighthouse on a cliff at night, its beam sweeping over the sea").await;
    app.click("send-button").await;

    app.wait_for("tool-card").await;
    wait_for_state(&app, "pending").await;
    assert_eq!(app.attr_of("tool-card", "data-tool").await.as_deref(), Some("generate_image"));
    assert!(app.text_of("tool-prompt").await.contains("lighthouse"));
    let model = app.execute("return document.querySelector('[data-testid=\"tool-model\"]')?.textContent ?? '';", vec![]).await;
    assert_eq!(model, Value::String("gpt-image-1".into()), "the card names the model that will run it");
    app.wait_for("tool-decline").await;
    app.click("tool-confirm").await;

    wait_for_state(&app, "done").await;
    app.wait_for("tool-image").await;
    // The model's answer to the result follows the card.
    app.wait_for_text("message-list", "the model's answer", |t| t.contains("The tool returned")).await;
    let loaded = "const img = document.querySelector('[data-testid=\"tool-image\"] img');\
                  return !!img && img.complete && img.naturalWidth > 0;";
    let deadline = Instant::now() + TIMEOUT;
    while app.execute(loaded, vec![]).await != Value::Bool(true) {
        assert!(Instant::now() < deadline, "the generated image did not load in the chat");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let finished = "const all = document.querySelectorAll('[data-testid=\"message\"]');\
                    return all.length > 0 && all[all.length - 1].dataset.status === 'complete';";
    while app.execute(finished, vec![]).await != Value::Bool(true) {
        assert!(Instant::now() < deadline + TIMEOUT, "the model's next reply did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.screenshot(screenshot_dir().join("tools-light.png")).await;

    // The chat's tool settings: what is offered, what the model must do, the limit so far.
    app.click("chat-settings").await;
    app.wait_for("tool-settings").await;
    app.wait_for_text("tools-used", "the generations used", |t| t.contains("1 so far")).await;
    let choices = app
        .execute("return Array.from(document.querySelectorAll('[data-testid=\"tools-choice\"] option'), (o) => o.value);", vec![])
        .await;
    assert!(choices.to_string().contains("search_library"), "the library search is offered: {choices}");
    app.screenshot(screenshot_dir().join("tools-settings.png")).await;
    app.click("chat-settings").await;

    app.click("nav-images").await;
    app.wait_for("view-images").await;
    app.wait_for("gallery-card").await;
    let label = app
        .execute("return document.querySelector('[data-testid=\"gallery-card\"] .open')?.getAttribute('aria-label') ?? '';", vec![])
        .await;
    assert!(label.as_str().is_some_and(|l| l.contains("lighthouse")), "the gallery shows the tool's image: {label}");
    app.close().await;
}
