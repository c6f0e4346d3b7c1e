//! The `nexhina` binary as a person runs it, against the simulator on loopback.

use std::process::{Command, Output, Stdio};
use std::io::Write;

use nexhina_simulator::{SimConfig, Simulator};

mod account;

mod data;
mod telemetry;

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

#[tokio::test(flavor = "multi_thread")]
async fn chat_streams_to_stdout_and_history_shows_the_same_turn() {
    let sim = Simulator::start(SimConfig { chunk_delay: std::time::Duration::from_millis(1), ..SimConfig::default() }).await.unwrap();
    let run = Run::new();
    let base = sim.base_url();
    let out = run.run(&["--base-url", &base, "--api-key", "sk-demo", "chat", "--model", "gpt-4o-mini", "--system", "Be brief.", "What", "is", "a", "harbour?"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let reply = stdout(&out);
    assert!(reply.contains("What is a harbour?") && reply.contains("café"), "{reply}");
    assert!(stderr(&out).contains("complete"));
    let sent = sim.requests().into_iter().find(|r| r.path == "/v1/chat/completions").unwrap().json().unwrap();
    assert_eq!(sent["messages"][0]["role"], "system");

    let list = run.run(&["history", "list", "--json"]);
    let conversations: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let id = conversations[0]["id"].as_i64().unwrap();
    assert_eq!(conversations[0]["title"], "What is a harbour?");

    let follow = run.run(&["--base-url", &base, "--api-key", "sk-demo", "chat", "--conversation", &id.to_string(), "and a marina?"]);
    assert!(follow.status.success(), "{}", stderr(&follow));
    let shown = run.run(&["history", "show", &id.to_string(), "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    let messages = shown["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 4);
    assert!(messages.iter().all(|m| m["status"] == "complete"));
    assert_eq!(messages[1]["content"].as_str().unwrap().trim(), reply.trim());

    let found = run.run(&["history", "search", "marina"]);
    assert!(stdout(&found).contains("*marina*"), "{}", stdout(&found));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_reply_exits_non_zero_and_is_kept() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let out = run.run(&["--base-url", &sim.base_url(), "--api-key", "sk-demo", "chat", "--model", "gpt-4o-mini+fault=reset:3", "tell me a story"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("error: Could not reach the platform: the connection"), "{}", stderr(&out));
    let shown = run.run(&["history", "show", "1", "--json"]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["messages"][1]["status"], "failed");
    assert!(!shown["messages"][1]["content"].as_str().unwrap().is_empty(), "the partial reply is kept");
}

/// SIGKILL at random moments of a stream: the file stays sound, every question is kept,
/// and every cut reply reads as interrupted once the library is opened again.
#[tokio::test(flavor = "multi_thread")]
async fn killing_the_cli_mid_stream_loses_nothing() {
    let sim = Simulator::start(SimConfig { chunk_delay: std::time::Duration::from_millis(5), ..SimConfig::default() }).await.unwrap();
    let run = Run::new();
    let base = sim.base_url();
    let rounds = 12;
    for round in 0..rounds {
        let question = format!("question number {round} about harbours and boats");
        let mut child = run
            .command(&["--base-url", &base, "--api-key", "sk-demo", "chat", "--model", "gpt-4o-mini", &question])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(40 + (round as u64 * 37) % 200));
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let out = run.run(&["history", "list", "--json", "--limit", "100"]);
    let conversations: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let conversations = conversations.as_array().unwrap();
    let db = rusqlite_check(run.data.path());
    assert_eq!(db, "ok");
    let mut questions = 0;
    for c in conversations {
        let shown = run.run(&["history", "show", &c["id"].to_string(), "--json"]);
        let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
        for m in shown["messages"].as_array().unwrap() {
            if m["role"] == "user" {
                questions += 1;
            } else {
                assert!(m["status"] == "interrupted" || m["status"] == "complete", "{m}");
            }
        }
    }
    assert_eq!(questions, conversations.len(), "every question that got a conversation is there");
    assert!(conversations.len() >= rounds / 2, "most runs got far enough to store the question");
}

fn rusqlite_check(dir: &std::path::Path) -> String {
    let out = Command::new("python3")
        .args(["-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])"])
        .arg(dir.join("library.sqlite3"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn image_prints_saved_paths_and_gallery_exports_a_labelled_copy() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let base = sim.base_url();
    let out = run.run(&["--base-url", &base, "--api-key", "sk-demo", "image", "--size", "256x256", "--n", "2", "a", "lighthouse"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let paths: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(paths.len(), 2);
    assert!(paths.iter().all(|p| std::path::Path::new(p).exists() && p.starts_with(&run.data.path().display().to_string())));

    let edit = run.run(&["--base-url", &base, "--api-key", "sk-demo", "image", "--input", &paths[0], "add", "a", "moon"]);
    assert!(edit.status.success(), "{}", stderr(&edit));

    let list = run.run(&["gallery", "list", "--kind", "image", "--json"]);
    let items: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 2);
    let first_id = items[1]["id"].as_i64().unwrap();
    let target = run.data.path().join("out/lighthouse.png");
    let exported = run.run(&["gallery", "export", &first_id.to_string(), "--out", target.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let exif = Command::new("exiftool").args(["-s3", "-XMP-iptcExt:DigitalSourceType"]).arg(&target).output().unwrap();
    assert!(String::from_utf8_lossy(&exif.stdout).contains("trainedAlgorithmicMedia"));

    let bad = run.run(&["--base-url", &base, "--api-key", "sk-demo", "image", "--input", "/etc/hostname", "x"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("not an image"), "{}", stderr(&bad));
}

#[tokio::test(flavor = "multi_thread")]
async fn video_follows_the_job_and_prints_the_file() {
    let sim = Simulator::start(SimConfig { video_step: std::time::Duration::from_millis(100), ..SimConfig::default() }).await.unwrap();
    let run = Run::new();
    let out = run.run(&["--base-url", &sim.base_url(), "--api-key", "sk-demo", "video", "--seconds", "4", "waves", "at", "dawn"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let path = stdout(&out).trim().to_string();
    assert!(path.ends_with(".mp4") && std::path::Path::new(&path).exists(), "{path}");
    let list = run.run(&["gallery", "list", "--kind", "video", "--json"]);
    let items: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(items[0]["status"], "complete");
}

#[tokio::test(flavor = "multi_thread")]
async fn video_detach_returns_at_once_and_jobs_resume_finishes_it() {
    let sim = Simulator::start(SimConfig { video_step: std::time::Duration::from_millis(100), ..SimConfig::default() }).await.unwrap();
    let run = Run::new();
    let auth = ["--base-url", &sim.base_url(), "--api-key", "sk-demo"];
    let out = run.run(&[&auth[..], &["video", "--detach", "a", "kite"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out).trim().to_string();
    let list = run.run(&["jobs", "--json"]);
    let jobs: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(jobs[0]["id"].to_string(), id);
    assert_eq!(jobs[0]["status"], "running", "detached before the platform finished");

    let out = run.run(&[&auth[..], &["jobs", "resume"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let path = stdout(&out).trim().to_string();
    assert!(path.ends_with(".mp4") && std::path::Path::new(&path).exists(), "{path}");
    let text = stdout(&run.run(&["jobs"]));
    assert!(text.contains("complete") && text.contains("a kite"), "{text}");
    let submissions = sim.requests().iter().filter(|r| r.method == "POST" && r.path.contains("video")).count();
    assert_eq!(submissions, 1, "resuming never submits the job again");
}

#[tokio::test(flavor = "multi_thread")]
async fn speak_saves_real_audio_in_each_format_and_joins_long_text() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let auth = ["--base-url", &sim.base_url(), "--api-key", "sk-demo"];
    for (format, ext) in [("mp3", "mp3"), ("wav", "wav"), ("flac", "flac"), ("opus", "ogg"), ("pcm", "wav")] {
        let out = run.run(&[&auth[..], &["speak", "--format", format, "Hello", "there."]].concat());
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        let path = stdout(&out).trim().to_string();
        assert!(path.ends_with(ext) && std::fs::metadata(&path).unwrap().len() > 1000, "{format}: {path}");
    }
    // Long text is spoken in parts (the first one short) and saved as one file.
    let long = "This sentence is part of a long text. ".repeat(20);
    let out_file = run.data.path().join("long.mp3");
    let out = run.run(&[&auth[..], &["speak", "--out", out_file.to_str().unwrap(), long.trim()]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let parts = sim.requests().iter().filter(|r| r.path.ends_with("/audio/speech")).count();
    assert!(parts >= 7, "{parts} requests for 6 short texts and a long one");
    let single = std::fs::metadata(stdout(&run.run(&[&auth[..], &["speak", "One."]].concat())).trim()).unwrap().len();
    assert!(std::fs::metadata(&out_file).unwrap().len() > single, "the parts are joined");

    let out = run.run(&[&auth[..], &["speak", "--speed", "9", "Hi"]].concat());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("speed must be between 0.25 and 4"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn transcribe_prints_each_format_and_refuses_what_is_not_audio() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let auth = ["--base-url", &sim.base_url(), "--api-key", "sk-demo"];
    let wav = run.data.path().join("hello.wav");
    std::fs::write(&wav, include_bytes!("../../../../tests/simulator/fixtures/speech.wav")).unwrap();
    let wav = wav.to_str().unwrap();

    let text = run.run(&[&auth[..], &["transcribe", wav]].concat());
    assert!(text.status.success(), "{}", stderr(&text));
    assert_eq!(stdout(&text).trim(), "Hello from the Nexhina demo platform.");
    let srt = stdout(&run.run(&[&auth[..], &["transcribe", "--format", "srt", wav]].concat()));
    assert!(srt.starts_with("1\n00:00:00,000 --> "), "{srt}");
    let vtt = stdout(&run.run(&[&auth[..], &["transcribe", "--format", "vtt", wav]].concat()));
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    let verbose = run.run(&[&auth[..], &["transcribe", "--format", "verbose_json", "--language", "en", wav]].concat());
    let value: serde_json::Value = serde_json::from_slice(&verbose.stdout).unwrap();
    assert!(value["segments"].as_array().unwrap().len() >= 1 && value["duration"].as_f64().unwrap() > 1.0, "{value}");
    let translated = run.run(&[&auth[..], &["transcribe", "--translate", "--json", wav]].concat());
    let value: serde_json::Value = serde_json::from_slice(&translated.stdout).unwrap();
    assert_eq!(value["text"], "Hello from the Nexhina demo platform.");
    assert!(sim.requests().iter().any(|r| r.path.ends_with("/audio/translations")));

    let sent_before = sim.requests().len();
    let fake = run.data.path().join("notes.mp3");
    std::fs::write(&fake, b"<html>this is not audio</html>").unwrap();
    let out = run.run(&[&auth[..], &["transcribe", fake.to_str().unwrap()]].concat());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not audio the platform can read"), "{}", stderr(&out));
    assert_eq!(sim.requests().len(), sent_before, "nothing was sent");
}

/// A private PulseAudio server with only a null sink, whose monitor records what is played.
struct NullSink {
    dir: tempfile::TempDir,
    server: std::process::Child,
}

impl NullSink {
    fn start() -> NullSink {
        let dir = tempfile::tempdir().unwrap();
        let mut server = Command::new("pulseaudio");
        server
            .args(["-n", "--daemonize=no", "--exit-idle-time=-1", "--system=false", "--disallow-exit"])
            .args(["--load=module-null-sink sink_name=nullsink", "--load=module-native-protocol-unix"]);
        let sink = NullSink { server: Self::env(&mut server, dir.path()).stderr(Stdio::null()).spawn().expect("pulseaudio is installed by scripts/setup.sh"), dir };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !sink.dir.path().join("pulse/native").exists() {
            assert!(std::time::Instant::now() < deadline, "pulseaudio did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let status = sink.command("pactl").args(["set-default-sink", "nullsink"]).status().unwrap();
        assert!(status.success());
        sink
    }

    fn env<'a>(command: &'a mut Command, dir: &std::path::Path) -> &'a mut Command {
        command.env("XDG_RUNTIME_DIR", dir).env("PULSE_RUNTIME_PATH", dir.join("pulse")).env("HOME", dir)
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        Self::env(&mut command, self.dir.path());
        command
    }

    /// Records the sink's monitor as 16 kHz mono samples until the returned closure is called.
    fn record(&self) -> impl FnOnce() -> Vec<i16> {
        let mut parec = self
            .command("parec")
            .args(["-d", "nullsink.monitor", "--raw", "--format=s16le", "--rate=16000", "--channels=1"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = parec.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = std::io::Read::read_to_end(&mut out, &mut bytes);
            bytes
        });
        move || {
            let _ = parec.kill();
            let _ = parec.wait();
            let bytes = reader.join().unwrap();
            bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
        }
    }
}

impl Drop for NullSink {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn speak_play_makes_real_sound_as_long_as_the_clip() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let sink = NullSink::start();
    let stop = sink.record();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut speak = run.command(&["--base-url", &sim.base_url(), "--api-key", "sk-demo", "speak", "--play", "--format", "wav", "Hello."]);
    let out = NullSink::env(&mut speak, sink.dir.path()).output().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let recorded = stop();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut clip = hound::WavReader::open(stdout(&out).trim()).unwrap();
    let rate = clip.spec().sample_rate as f64;
    let samples: Vec<i16> = clip.samples::<i16>().map(Result::unwrap).collect();
    assert!(recorded.iter().any(|s| s.unsigned_abs() > 300), "the sink heard nothing in {} samples", recorded.len());
    // The span from the first to the last loud sample, in the clip and in what was heard.
    let loud_span = |samples: &[i16], rate: f64| {
        let first = samples.iter().position(|s| s.unsigned_abs() > 300).unwrap_or(0);
        let last = samples.iter().rposition(|s| s.unsigned_abs() > 300).unwrap_or(0);
        (last - first) as f64 / rate
    };
    let (heard, spoken) = (loud_span(&recorded, 16_000.0), loud_span(&samples, rate));
    let rms = (recorded.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / recorded.len() as f64).sqrt();
    eprintln!("heard {heard:.2} s of sound for {spoken:.2} s in the clip, rms {rms:.0}");
    assert!(rms > 50.0, "rms {rms}");
    assert!((heard - spoken).abs() < 0.2, "heard {heard:.2} s of sound for {spoken:.2} s in the clip");
}

#[tokio::test(flavor = "multi_thread")]
async fn speak_play_without_a_sound_server_says_so_and_keeps_the_clip() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let empty = tempfile::tempdir().unwrap();
    let mut speak = run.command(&["--base-url", &sim.base_url(), "--api-key", "sk-demo", "speak", "--play", "Hello."]);
    let out = NullSink::env(&mut speak, empty.path()).env("ALSA_CONFIG_PATH", empty.path().join("none.conf")).output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("No sound output is available"), "{}", stderr(&out));
    let path = stdout(&out).trim().to_string();
    assert!(std::path::Path::new(&path).exists(), "the clip is saved: {path}");
}

// ---- search and the meaning index --------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn search_by_meaning_finds_the_image_words_cannot_and_index_reports_its_state() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let base = sim.base_url();
    let at = |args: &[&str]| {
        let mut all = vec!["--base-url", &base, "--api-key", "sk-demo"];
        all.extend_from_slice(args);
        run.run(&all)
    };
    for prompt in ["golden hour over a sailing harbour", "a kitten asleep in a pine forest"] {
        let out = at(&["image", "--size", "256x256", prompt]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let out = at(&["index", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((status["indexed"].as_u64(), status["pending"].as_u64()), (Some(0), Some(2)));

    // The search indexes what is new first, then answers.
    let out = at(&["search", "--meaning", "--json", "the sunset one with the boat"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let found: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &found["results"][0];
    assert_eq!(first["kind"], "image");
    assert_eq!(first["item"]["prompt"], "golden hour over a sailing harbour");

    let out = at(&["search", "--words", "sunset boat"]);
    assert!(out.status.success());
    assert!(stderr(&out).contains("no results"), "{}", stderr(&out));

    let out = at(&["search", "--kind", "image", "harbour"]);
    assert!(stdout(&out).starts_with("image"), "{}", stdout(&out));
    assert!(stdout(&out).contains("golden hour over a sailing harbour"));

    let out = at(&["index", "rebuild"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("indexed:  2"), "{}", stdout(&out));
    assert!(stdout(&out).contains("1536 dimensions"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_search_finds_words_and_says_why_meaning_is_missing() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let out = run.run(&["--base-url", &sim.base_url(), "--api-key", "sk-demo", "image", "--size", "256x256", "a lighthouse on a cliff"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run.run(&["--base-url", &sim.base_url(), "--api-key", "sk-demo", "index", "update"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = run.run(&["--base-url", "http://127.0.0.1:1", "--api-key", "sk-demo", "search", "lighthouse"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("a lighthouse on a cliff"), "{}", stdout(&out));
    assert!(stderr(&out).contains("note: Search by meaning needs the platform"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn with_moderation_on_a_flagged_prompt_is_not_sent() {
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let run = Run::new();
    let out = run.run(&["index", "config", "--moderation", "on", "--rerank-model", "jina-reranker-v2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("moderation check: on"));
    let out = run.run(&["--base-url", &sim.base_url(), "--api-key", "sk-demo", "image", "--size", "256x256", "a knight about to stab the dragon, blood on the snow"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("flagged") && err.contains("violence"), "{err}");
    assert!(!sim.requests().iter().any(|r| r.path.starts_with("/v1/images")), "the prompt never left");

    let out = run.run(&["--base-url", &sim.base_url(), "--api-key", "sk-demo", "--send-anyway", "image", "--size", "256x256", "a knight about to stab the dragon, blood on the snow"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("flagged this prompt (violence") && err.contains("sending it anyway"), "{err}");
    assert_eq!(stdout(&out).lines().count(), 1, "one saved image path");
    assert_eq!(sim.requests().iter().filter(|r| r.path.starts_with("/v1/moderations")).count(), 2, "checked once per run, not again at send");
    assert_eq!(sim.requests().iter().filter(|r| r.path.starts_with("/v1/images")).count(), 1);
}
