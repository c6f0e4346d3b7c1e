//! An automated accessibility pass in the real window: axe-core (the npm package the UI
//! tests install) runs inside the webview on every view, with real layout and colours, and
//! nothing serious or critical may be found. Everything it reports is printed.

use std::path::Path;

use nexhina_e2e::serde_json::Value;
use nexhina_e2e::App;

fn axe_source() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} (run npm ci in ui/): {e}", path.display()))
}

/// Runs axe on the page as it is; returns the violations as (impact, rule id, help, targets).
async fn audit(app: &App, axe: &str, label: &str) -> Vec<(String, String, String, Vec<String>)> {
    // WebDriver scripts run as the browser's own code, outside the page's CSP.
    app.execute(&format!("{axe}\n;window.__axe = axe; return true;"), vec![]).await;
    let script = "const done = arguments[arguments.length - 1];\
        window.__axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })\
          .then((r) => done(r.violations.map((v) => ({ impact: v.impact, id: v.id, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }))),\
                (e) => done({ error: String(e) }));";
    let answer = app.client().execute_async(script, vec![]).await.expect("axe ran");
    let Value::Array(found) = answer else { panic!("axe failed on {label}: {answer}") };
    let found: Vec<_> = found
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
            let targets: Vec<String> = v["targets"].as_array().map(|t| t.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect()).unwrap_or_default();
            (s("impact"), s("id"), s("help"), targets)
        })
        .collect();
    for (impact, id, help, targets) in &found {
        eprintln!("axe {label}: {impact} {id}: {help} — {}", targets.join(", "));
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_passes_an_automated_accessibility_check() {
    let axe = axe_source();
    let app = App::start("every_view_passes_an_automated_accessibility_check").await;
    app.wait_for("view-chat").await;
    let mut serious = Vec::new();
    let views = ["chat", "images", "video", "speech", "library", "settings"];
    for view in views {
        app.click(&format!("nav-{view}")).await;
        app.wait_for(&format!("nav-{view}")).await;
        app.execute("return new Promise((r) => setTimeout(() => r(true), 400));", vec![]).await;
        for (impact, id, help, targets) in audit(&app, &axe, view).await {
            if impact == "serious" || impact == "critical" {
                serious.push(format!("{view}: {impact} {id}: {help} — {}", targets.join(", ")));
            }
        }
    }
    // The shortcut sheet, a dialog over the app.
    app.click("show-shortcuts").await;
    app.wait_for("shortcut-sheet").await;
    for (impact, id, help, targets) in audit(&app, &axe, "shortcut sheet").await {
        if impact == "serious" || impact == "critical" {
            serious.push(format!("shortcut sheet: {impact} {id}: {help} — {}", targets.join(", ")));
        }
    }
    assert!(serious.is_empty(), "accessibility problems:\n{}", serious.join("\n"));
}
