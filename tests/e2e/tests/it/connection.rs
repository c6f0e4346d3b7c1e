use nexhina_e2e::serde_json::Value;
use nexhina_e2e::{screenshot_dir, App};
use nexhina_simulator::{SimConfig, Simulator};

use crate::{models_in_group, open_settings};

async fn simulator() -> Simulator {
    Simulator::start(SimConfig::default())
        .await
        .expect("start the simulator")
}

/// A wrong key is refused with the core's own words, next to the form, and nothing the
/// person typed is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_shows_a_clear_error_and_keeps_the_base_url() {
    let sim = simulator().await;
    let app = App::start("wrong_key_shows_a_clear_error_and_keeps_the_base_url").await;
    open_settings(&app).await;

    let url = format!("{}/v1", sim.base_url());
    app.type_into("base-url", &url).await;
    app.type_into("api-key", "sk-wrong").await;
    app.click("test-connection").await;

    let error = app.wait_for("connection-error").await;
    let text = app.text_of("connection-error").await;
    assert!(
        text.contains("The platform refused the API key. Check it in Settings"),
        "connection error says {text:?}"
    );
    assert!(
        text.contains("API key"),
        "connection error does not mention the API key: {text:?}"
    );
    assert_eq!(
        error.attr("data-code").await.ok().flatten().as_deref(),
        Some("unauthorized")
    );
    assert_eq!(
        app.value_of("base-url").await,
        url,
        "the typed base URL was lost"
    );
    assert_eq!(
        app.attr_of("api-key", "aria-invalid").await.as_deref(),
        Some("true")
    );
    assert!(
        !app.is_visible("connection-status").await,
        "a refused key must not read as connected"
    );

    // The app really asked the platform, with the key as typed.
    let asked = sim.requests();
    assert!(
        asked.iter().any(|r| r.path.starts_with("/v1/models")
            && r.header("authorization") == Some("Bearer sk-wrong")),
        "no /v1/models call with the wrong key reached the simulator: {:?}",
        asked
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect::<Vec<_>>()
    );
    drop(app);
    sim.shutdown().await;
}

/// The right key connects and lists the platform's models by kind; Settings is captured
/// in the light and the dark theme.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_with_a_real_key_shows_grouped_models() {
    let sim = simulator().await;
    let app = App::start("test_connection_with_a_real_key_shows_grouped_models").await;
    open_settings(&app).await;

    app.type_into("base-url", &format!("{}/v1", sim.base_url()))
        .await;
    app.type_into("api-key", "sk-demo").await;
    app.click("test-connection").await;

    let status = app
        .wait_for_text("connection-status", "say connected", |t| {
            t.contains("Connected")
        })
        .await;
    assert!(
        !app.is_visible("connection-error").await,
        "connected, yet an error shows"
    );
    app.wait_for("model-groups").await;
    for group in ["chat", "image", "tts", "stt"] {
        app.wait_for(&format!("model-group-{group}")).await;
    }
    assert!(models_in_group(&app, "chat")
        .await
        .contains(&"gpt-4o-mini".to_owned()));
    assert!(models_in_group(&app, "image")
        .await
        .contains(&"gpt-image-1".to_owned()));
    assert!(models_in_group(&app, "stt")
        .await
        .contains(&"whisper-1".to_owned()));
    let rows = app
        .client()
        .find_all(nexhina_e2e::fantoccini::Locator::Css(
            "[data-testid=\"model-row\"]",
        ))
        .await
        .expect("model rows");
    assert!(
        status.contains(&rows.len().to_string()),
        "status {status:?} vs {} rows",
        rows.len()
    );

    let dir = screenshot_dir();
    let mut backgrounds = Vec::new();
    for theme in ["light", "dark"] {
        app.click(&format!("theme-{theme}")).await;
        let script = "return document.documentElement.dataset.theme || '';";
        let deadline = std::time::Instant::now() + nexhina_e2e::TIMEOUT;
        while app.execute(script, vec![]).await != Value::String(theme.to_owned()) {
            assert!(
                std::time::Instant::now() < deadline,
                "the {theme} theme was not applied"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        backgrounds.push(
            app.execute(
                "return getComputedStyle(document.querySelector('.content')).backgroundColor;",
                vec![],
            )
            .await,
        );
        // Show the connection result and the model groups together.
        app.scroll_to("connection-status").await;
        let path = dir.join(format!("settings-{theme}.png"));
        app.screenshot(&path).await;
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{} is only {size} bytes", path.display());
        eprintln!("screenshot: {} ({size} bytes)", path.display());
    }
    assert_ne!(
        backgrounds[0], backgrounds[1],
        "light and dark look the same: {backgrounds:?}"
    );
    drop(app);
    sim.shutdown().await;
}
