use nexhina_e2e::App;
use nexhina_simulator::{SimConfig, Simulator};

use crate::open_settings;

/// A saved platform is remembered across a restart; a key kept "only for this session"
/// is not, and the app says so plainly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_profile_survives_a_restart() {
    let sim = Simulator::start(SimConfig::default())
        .await
        .expect("start the simulator");
    let mut app = App::start("saved_profile_survives_a_restart").await;
    app.wait_for("demo-badge").await;
    open_settings(&app).await;

    app.type_into("base-url", &format!("{}/v1", sim.base_url()))
        .await;
    app.type_into("api-key", "sk-demo").await;
    app.click("storage-memory").await;
    assert_eq!(
        app.attr_of("storage-memory", "value").await.as_deref(),
        Some("memory")
    );
    app.click("save-profile").await;

    let notice = app.text_of("profile-notice").await;
    eprintln!("after save: notice {notice:?}");
    app.wait_gone("demo-badge").await;
    let active = app.text_of("active-profile").await;
    assert!(
        active.contains(&sim.base_url()),
        "active profile line: {active:?}"
    );
    let source = app.text_of("key-source").await;
    assert!(
        source.contains("memory"),
        "key source after saving: {source:?}"
    );

    app.restart().await;

    open_settings(&app).await;
    let active = app.text_of("active-profile").await;
    assert!(
        active.contains(&sim.base_url()),
        "after restart the active profile line is {active:?}"
    );
    let deadline = std::time::Instant::now() + nexhina_e2e::TIMEOUT;
    let mut url = app.value_of("base-url").await;
    while !url.starts_with(&sim.base_url()) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        url = app.value_of("base-url").await;
    }
    assert!(
        url.starts_with(&sim.base_url()),
        "base URL after restart: {url:?}"
    );
    assert!(
        !app.is_visible("demo-badge").await,
        "the demo badge is back after a restart"
    );

    // The key was for that session only: the app says no key is stored.
    let source = app.text_of("key-source").await;
    assert!(
        source.contains("No key"),
        "key source after restart: {source:?}"
    );
    eprintln!("after restart: active {active:?}, base URL {url:?}, key source {source:?}");
    // Whatever the models section shows without a key, it is not the demo's list.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let models = app.page_text().await;
    eprintln!(
        "models section after restart: {}",
        models
            .lines()
            .skip_while(|l| !l.contains("Models"))
            .take(6)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    drop(app);
    sim.shutdown().await;
}
