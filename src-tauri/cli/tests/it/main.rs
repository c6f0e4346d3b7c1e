//! The `nexhina` binary as a person runs it, against the simulator on loopback.

use std::process::{Command, Output, Stdio};
use std::io::Write;

use nexhina_simulator::{SimConfig, Simulator};

struct Run {
    data: tempfile::TempDir,
}

impl Run {
    fn new() -> Run {
        Run { data: tempfile::tempdir().unwrap() }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nexhina"));
        cmd.args(args)
            .env("NEXHINA_DATA_DIR", self.data.path())
            .env_remove("NEXHINA_BASE_URL")
            .env_remove("NEXHINA_API_KEY");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn models_lists_every_kind_as_json_and_as_text() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let base = format!("{}/v1", sim.base_url());
    let out = run.run(&["--base-url", &base, "--api-key", "sk-demo", "models", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let models: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kind_of = |id: &str| models.as_array().unwrap().iter().find(|m| m["id"] == id).map(|m| m["kind"].clone());
    assert_eq!(kind_of("gpt-4o-mini"), Some("chat".into()));
    assert_eq!(kind_of("dall-e-3"), Some("image".into()));
    assert_eq!(kind_of("whisper-1"), Some("stt".into()));

    let out = run.run(&["--base-url", &base, "--api-key", "sk-demo", "models"]);
    let text = stdout(&out);
    assert!(text.lines().any(|l| l.starts_with("chat (")), "{text}");
    assert!(text.lines().any(|l| l.starts_with("image (")), "{text}");
    assert!(text.contains("  gpt-image-1"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_exits_non_zero_with_a_clear_message() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let out = run.command(&["models"]).env("NEXHINA_BASE_URL", sim.base_url()).env("NEXHINA_API_KEY", "sk-nope").output().unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.starts_with("error: The platform refused the API key"), "{err}");
    assert!(err.contains("request id: "), "{err}");
    assert!(!err.contains("sk-nope"), "the key is never printed");
}

#[test]
fn nothing_configured_says_what_to_do() {
    let out = Run::new().run(&["models"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nexhina config set-base-url"), "{}", stderr(&out));
}

#[test]
fn an_insecure_base_url_is_refused() {
    let out = Run::new().run(&["config", "set-base-url", "http://gateway.example.com/v1"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("use https://"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn config_keeps_the_base_url_and_a_run_key_is_never_stored() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let out = run.run(&["config", "set-base-url", &format!("{}/v1/", sim.base_url())]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = run.run(&["config", "show", "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["profile"]["base_url"], sim.base_url());
    assert_eq!(shown["data_dir"], run.data.path().display().to_string());

    let out = run.run(&["--api-key", "sk-demo", "models", "--json"]);
    assert!(out.status.success(), "the saved base URL is used: {}", stderr(&out));
    let out = run.run(&["config", "show", "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(shown["profile"]["key_source"], "keychain");
}

#[test]
fn set_key_without_input_is_refused() {
    let run = Run::new();
    assert!(run.run(&["config", "set-base-url", "https://gateway.example.com"]).status.success());
    let mut child = run.command(&["config", "set-key"]).stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("No API key"), "{}", stderr(&out));
}

/// Needs the Secret Service that scripts/test.sh starts (gnome-keyring under dbus-run-session).
#[tokio::test(flavor = "multi_thread")]
async fn set_key_stores_it_in_the_keychain_for_later_runs() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    assert!(run.run(&["config", "set-base-url", &sim.base_url()]).status.success());
    let mut child = run.command(&["config", "set-key"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"sk-demo\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("sk-…demo (from the OS keychain)"), "{}", stdout(&out));

    let out = run.run(&["models", "--json"]);
    assert!(out.status.success(), "the stored key is used: {}", stderr(&out));

    assert!(run.run(&["config", "forget-key"]).status.success());
    let out = run.run(&["models"]);
    assert!(stderr(&out).contains("No API key"), "{}", stderr(&out));
}
