//! Search by meaning in the real window: images made in the app are indexed once an
//! embedding model is chosen, a vague description finds the right one first, a rerank
//! model reorders, and with the moderation check on a flagged prompt is stopped, kept for
//! editing, and can be sent anyway.

use std::time::{Duration, Instant};

use nexhina_e2e::serde_json::{json, Value};
use nexhina_e2e::{screenshot_dir, App, TIMEOUT};
use nexhina_simulator::{SimConfig, Simulator};

use crate::{connect_to, open_settings, set_theme, wait_js};

const HARBOUR: &str = "golden hour over a sailing harbour";
const RACE: &str = "a boat race on the grey river";
const RAMEN: &str = "a steaming bowl of ramen with chopsticks";
const FLAGGED: &str = "a knight about to stab the dragon, blood on the snow";

/// Completed image cards in the gallery.
async fn complete_cards(app: &App) -> u64 {
    let script = "return document.querySelectorAll('[data-testid=\"gallery-card\"][data-status=\"complete\"]').length;";
    app.execute(script, vec![]).await.as_u64().unwrap_or(0)
}

async fn generate(app: &App, prompt: &str, done_before: u64) {
    app.type_into("image-prompt", prompt).await;
    app.click("generate-image").await;
    wait_js(
        app,
        &format!("the image of {prompt:?}"),
        "return document.querySelectorAll('[data-testid=\"gallery-card\"][data-status=\"complete\"]').length > arguments[0];",
        vec![json!(done_before)],
    )
    .await;
}

/// The snippets of the Library's results, in order, once a search for `query` settled.
async fn results_for(app: &App, query: &str) -> Vec<String> {
    let script = "const box = document.querySelector('[data-testid=\"library-search\"]');\
        const list = document.querySelector('[data-testid=\"library-results\"]');\
        if (!box || box.value !== arguments[0] || !list || list.dataset.searching !== 'false') return null;\
        const rows = Array.from(list.querySelectorAll('[data-testid=\"library-snippet\"]'), (s) => s.textContent);\
        return rows.length ? rows : null;";
    match wait_js(app, &format!("results for {query:?}"), script, vec![json!(query)]).await {
        Value::Array(rows) => rows.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect(),
        other => panic!("no results: {other}"),
    }
}

async fn search(app: &App, query: &str) -> Vec<String> {
    app.click("nav-library").await;
    app.wait_for("library-view").await;
    app.click("library-mode-meaning").await;
    app.type_into("library-search", query).await;
    results_for(app, query).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meaning_finds_the_right_image_rerank_reorders_and_flagged_prompts_wait() {
    let sim = Simulator::start(SimConfig::default()).await.expect("start the simulator");
    let app = App::start("library").await;
    connect_to(&app, &sim).await;

    app.click("nav-images").await;
    app.wait_for("view-images").await;
    for (i, prompt) in [HARBOUR, RACE, RAMEN].into_iter().enumerate() {
        generate(&app, prompt, i as u64).await;
    }

    // Choosing an embedding model starts the index in the background.
    open_settings(&app).await;
    app.select("embedding-model", "text-embedding-3-small").await;
    app.click("nav-library").await;
    app.wait_for("library-view").await;
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let status = app.invoke("index_status", json!({})).await.expect("index status");
        if status["indexed"].as_u64() >= Some(3) && status["pending"].as_u64() == Some(0) {
            break;
        }
        assert!(Instant::now() < deadline, "the index did not finish: {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.wait_for_text("index-status", "the index's line", |t| t.contains("items indexed")).await;

    let query = "the sunset one with the boat";
    let found = search(&app, query).await;
    assert!(found[0].contains(HARBOUR), "meaning puts the harbour at golden hour first: {found:?}");
    assert!(found.iter().any(|s| s.contains(RACE)), "the other boat is found too: {found:?}");
    let kinds = app.attr_of("library-result", "data-kind").await;
    assert_eq!(kinds.as_deref(), Some("image"));
    wait_js(
        &app,
        "the results' pictures",
        "const imgs = Array.from(document.querySelectorAll('[data-testid=\"library-result\"] img'));\
         return imgs.length === 3 && imgs.every((i) => i.complete && i.naturalWidth > 0);",
        vec![],
    )
    .await;
    let embedded = sim.requests().iter().filter(|r| r.path.starts_with("/v1/embeddings")).count();
    assert!(embedded >= 2, "the library and the query were embedded ({embedded} requests)");
    set_theme(&app, "light").await;
    app.screenshot(screenshot_dir().join("library-light.png")).await;
    set_theme(&app, "dark").await;
    app.screenshot(screenshot_dir().join("library-dark.png")).await;
    set_theme(&app, "light").await;

    // A rerank model reads the words: the race, which says "boat", moves up.
    open_settings(&app).await;
    app.select("rerank-model", "jina-reranker-v2").await;
    let reranked = search(&app, query).await;
    assert!(reranked[0].contains(RACE), "the reranker reorders: {reranked:?}");
    assert_ne!(reranked, found);
    assert!(sim.requests().iter().any(|r| r.path.starts_with("/v1/rerank")));
    app.wait_for_text("library-results", "the reranked note", |t| t.contains("rerank model")).await;

    // Moderation on: a violent prompt is stopped before it leaves.
    open_settings(&app).await;
    app.click("moderation-toggle").await;
    wait_js(&app, "the moderation setting to be saved", "return document.querySelector('[data-testid=\"moderation-toggle\"]').checked;", vec![]).await;
    app.click("nav-images").await;
    app.wait_for("view-images").await;
    let images_before = sim.requests().iter().filter(|r| r.path.starts_with("/v1/images")).count();
    app.type_into("image-prompt", FLAGGED).await;
    app.click("generate-image").await;
    app.wait_for("moderation-dialog").await;
    let categories = app.text_of("moderation-categories").await;
    assert!(categories.contains("Violence"), "the flagged category is named: {categories}");
    assert!(categories.contains("0.91"), "with its score: {categories}");
    app.screenshot(screenshot_dir().join("moderation-flagged.png")).await;
    app.click("moderation-edit").await;
    app.wait_gone("moderation-dialog").await;
    assert_eq!(app.value_of("image-prompt").await, FLAGGED, "the prompt stays for editing");
    assert_eq!(sim.requests().iter().filter(|r| r.path.starts_with("/v1/images")).count(), images_before, "nothing was sent");

    app.click("generate-image").await;
    app.wait_for("moderation-dialog").await;
    app.click("moderation-send").await;
    app.wait_gone("moderation-dialog").await;
    wait_js(
        &app,
        "the image sent anyway",
        "return document.querySelectorAll('[data-testid=\"gallery-card\"][data-status=\"complete\"]').length >= 4;",
        vec![],
    )
    .await;
    assert_eq!(complete_cards(&app).await, 4);
    assert_eq!(sim.requests().iter().filter(|r| r.path.starts_with("/v1/images")).count(), images_before + 1);
    app.close().await;
    sim.shutdown().await;
}
