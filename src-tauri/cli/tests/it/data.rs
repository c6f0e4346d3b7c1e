//! `nexhina export | import | usage | backup | erase | purge` on real data made through
//! the simulator.

use nexhina_simulator::{SimConfig, Simulator};

use super::{stderr, stdout, Run};

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", stderr(out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn export_import_usage_backup_and_erase_from_the_command_line() {
    let sim = Simulator::start(SimConfig { chunk_delay: std::time::Duration::from_millis(1), ..SimConfig::default() }).await.unwrap();
    let run = Run::new();
    let base = sim.base_url();
    let key = ["--base-url", base.as_str(), "--api-key", "sk-demo"];
    let chat = run.run(&[&key[..], &["chat", "--model", "gpt-4o-mini", "What is a harbour?"]].concat());
    assert!(chat.status.success(), "{}", stderr(&chat));
    let image = run.run(&[&key[..], &["image", "--size", "256x256", "a", "lighthouse"]].concat());
    assert!(image.status.success(), "{}", stderr(&image));

    let archive = run.data.path().join("out/all.zip");
    let report = json(&run.run(&["export", "--out", archive.to_str().unwrap(), "--json"]));
    assert_eq!(report["counts"]["conversations"], 1);
    assert_eq!(report["counts"]["generations"], 1);
    let only_chat = run.data.path().join("out/chat");
    let report = json(&run.run(&["export", "--out", only_chat.to_str().unwrap(), "--kind", "chat", "--since", "2020-01-01", "--json"]));
    assert_eq!(report["counts"]["generations"], 0);
    assert!(only_chat.join("manifest.json").is_file());

    let other = Run::new();
    let added = json(&other.run(&["import", archive.to_str().unwrap(), "--json"]));
    assert_eq!(added["added"]["messages"], 2);
    let again = json(&other.run(&["import", archive.to_str().unwrap(), "--json"]));
    assert_eq!(again["added"]["messages"], 0, "nothing doubled");
    let history = json(&other.run(&["history", "list", "--json"]));
    assert_eq!(history[0]["title"], "What is a harbour?");
    let bad = other.run(&["import", "/etc/hostname"]);
    assert!(!bad.status.success() && stderr(&bad).starts_with("error: "), "{}", stderr(&bad));

    let usage = json(&run.run(&["usage", "--json"]));
    assert!(usage["totals"]["total_tokens"].as_u64().unwrap() > 0, "{usage}");
    assert_eq!(usage["totals"]["images"], 1);
    assert!(stdout(&run.run(&["usage"])).contains("gpt-4o-mini"));

    let made = json(&run.run(&["backup", "create", "--json"]));
    let list = json(&run.run(&["backup", "list", "--json"]));
    assert_eq!(list[0]["id"], made["id"]);
    let restored = run.run(&["backup", "restore", made["id"].as_str().unwrap()]);
    assert!(restored.status.success(), "{}", stderr(&restored));

    let purge = run.run(&["purge"]);
    assert!(purge.status.success() && stdout(&purge).contains("removed 0 conversations"), "{}", stdout(&purge));

    // A selection: images older than a day long past go nowhere; every image goes.
    let none = run.run(&["erase", "--kind", "image", "--before", "2020-01-01", "--yes"]);
    assert!(none.status.success() && stdout(&none).contains("0 conversations and 0 generations"), "{}", stdout(&none));
    let ask = run.run(&["erase", "--kind", "image"]);
    assert!(!ask.status.success() && stderr(&ask).contains("0 conversations and 1 generations"), "{}", stderr(&ask));
    let images = run.run(&["erase", "--kind", "image", "--yes"]);
    assert!(images.status.success() && stdout(&images).contains("1 generations were erased"), "{}", stderr(&images));
    assert_eq!(json(&run.run(&["gallery", "list", "--json"])), serde_json::json!([]));
    assert_eq!(json(&run.run(&["history", "list", "--json"])).as_array().unwrap().len(), 1, "the chat stays");

    let unsure = run.run(&["erase", "--all"]);
    assert!(!unsure.status.success());
    assert!(stderr(&unsure).contains("1 conversations") && stderr(&unsure).contains("--yes"), "{}", stderr(&unsure));
    let erased = run.run(&["erase", "--all", "--yes"]);
    assert!(erased.status.success(), "{}", stderr(&erased));
    assert_eq!(json(&run.run(&["history", "list", "--json"])), serde_json::json!([]));
    assert!(!run.data.path().join("media").exists());
}
