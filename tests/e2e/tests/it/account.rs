//! The Account page in the real window: the key's balance, the console's access token and
//! user id, a key created and switched to, a redeem code applied (and one refused), and
//! the page in both themes.

use std::time::{Duration, Instant};

use nexhina_e2e::serde_json::{json, Value};
use nexhina_e2e::{screenshot_dir, App};
use nexhina_simulator::{SimConfig, Simulator};

use crate::set_theme;

/// The id of the key row named `name`, once the list shows it.
async fn key_row(app: &App, name: &str) -> i64 {
    let script = "const row = document.querySelector(`[data-name=\"${arguments[0]}\"]`);\
        return row ? row.dataset.testid : null;";
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Value::String(testid) = app.execute(script, vec![json!(name)]).await {
            return testid.trim_start_matches("key-row-").parse().expect("a numeric key id");
        }
        assert!(Instant::now() < deadline, "no key row named {name:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_page_with_both_credentials_switches_keys_and_redeems() {
    let sim = Simulator::start(SimConfig::default()).await.expect("start the simulator");
    sim.add_redemption_code("E2E-GIFT-5", 2_500_000);
    let app = App::start("account_page_with_both_credentials_switches_keys_and_redeems").await;
    app.invoke(
        "save_profile",
        json!({ "profile": { "base_url": format!("{}/v1", sim.base_url()), "api_key": "sk-demo", "key_storage": "keychain" }}),
    )
    .await
    .expect("save the simulator's profile");

    app.click("nav-account").await;
    app.wait_for("view-account").await;
    // The API key alone: its balance in the platform's currency and its recent calls.
    app.wait_for_text("key-balance", "show an amount in dollars", |t| t.starts_with('$')).await;
    app.wait_for("key-calls").await;

    // The console's access token and user id open the rest.
    app.type_into("access-token-input", "demo-access-token").await;
    app.type_into("user-id-input", "1").await;
    app.click("account-sign-in").await;
    app.wait_for_text("account-balance", "show an amount in dollars", |t| t.starts_with('$')).await;
    app.wait_for("spending-chart").await;
    app.wait_for_text("logs-page", "be page 1", |t| t.starts_with("Page 1 of")).await;
    app.click("logs-next").await;
    app.wait_for_text("logs-page", "be page 2", |t| t.starts_with("Page 2 of")).await;
    let asked = sim.requests();
    let logs = asked.iter().rev().find(|r| r.path.starts_with("/api/log/self?")).expect("a log request");
    assert_eq!(logs.header("new-api-user"), Some("1"));
    assert!(logs.path.contains("p=2"), "{}", logs.path);

    // A key created with a 5 USD quota, then made the app's key.
    app.type_into("create-name", "e2e laptop").await;
    app.type_into("create-quota", "5").await;
    app.click("key-create-submit").await;
    let id = key_row(&app, "e2e laptop").await;
    app.click(&format!("key-use-{id}")).await;
    let in_use = "return !!document.querySelector(`[data-testid=\"key-row-${arguments[0]}\"] [data-testid=\"key-in-use\"]`);";
    let deadline = Instant::now() + Duration::from_secs(15);
    while app.execute(in_use, vec![json!(id)]).await != Value::Bool(true) {
        assert!(Instant::now() < deadline, "key {id} never became the one in use");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The key's own balance now shows, and relay calls go out with it.
    app.wait_for_text("key-balance", "be the new key's $5.00", |t| t == "$5.00").await;
    let profile = app.invoke("app_info", json!({})).await.expect("app info")["profile"].clone();
    let hint = profile["key_hint"].as_str().unwrap_or_default().to_owned();
    let usage = sim.requests().into_iter().rev().find(|r| r.path == "/api/usage/token/").expect("a usage call");
    let sent = usage.header("authorization").unwrap_or_default().to_owned();
    assert!(sent != "Bearer sk-demo" && sent.ends_with(hint.trim_start_matches("sk-…")), "{sent} vs {hint}");

    // A code applied, then the same code refused with a kind explanation.
    app.type_into("redeem-input", "E2E-GIFT-5").await;
    app.click("redeem-submit").await;
    app.wait_for_text("redeem-result", "say $5.00 was added", |t| t.contains("$5.00 added")).await;
    app.type_into("redeem-input", "E2E-GIFT-5").await;
    app.click("redeem-submit").await;
    app.wait_for_text("redeem-error", "explain the refusal", |t| t.contains("does not say why")).await;

    app.execute("document.querySelector('[data-testid=\"view-account\"]').parentElement.scrollTop = 0;", vec![]).await;
    let dir = screenshot_dir();
    set_theme(&app, "light").await;
    app.screenshot(dir.join("account-light.png")).await;
    set_theme(&app, "dark").await;
    app.screenshot(dir.join("account-dark.png")).await;
    // The lower half: spending, keys and logs.
    app.scroll_to("spending-chart").await;
    app.screenshot(dir.join("account-spending-dark.png")).await;
    app.scroll_to("api-keys").await;
    app.screenshot(dir.join("account-keys-dark.png")).await;
    set_theme(&app, "light").await;
    app.screenshot(dir.join("account-keys-light.png")).await;

    drop(app);
    sim.shutdown().await;
}
