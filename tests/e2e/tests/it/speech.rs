//! The Speech view and chat's speech actions in the real window, with real sound: the app
//! plays into a private PulseAudio null sink whose monitor is recorded (and is also the
//! "microphone"), so what is checked is sound that really left the app or reached it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nexhina_e2e::serde_json::{json, Value};
use nexhina_e2e::{screenshot_dir, workspace_root, App, Options, Sound};

const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(80);
/// What the demo platform answers to every transcription.
const SENTENCE: &str = "Hello from the Nexhina demo platform.";
/// A sample this loud is sound, not noise.
const LOUD: u16 = 300;

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("tests/simulator/fixtures").join(name)
}

async fn start(name: &str, sound: Sound) -> App {
    App::start_with_options(name, Options { sound }, |_| {}).await
}

/// Runs `script` until it returns something other than null/false; returns that.
async fn wait_js(app: &App, what: &str, script: &str, args: Vec<Value>) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let value = app.execute(script, args.clone()).await;
        if !matches!(value, Value::Null | Value::Bool(false)) {
            return value;
        }
        if Instant::now() >= deadline {
            panic!("timed out waiting for {what}\n--- page text ---\n{:.2500}", app.page_text().await);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The player bar as the page shows it.
#[derive(Debug, Clone, PartialEq)]
struct Bar {
    clip: i64,
    playing: bool,
    paused: bool,
    position: i64,
    duration: i64,
    time: String,
}

const BAR: &str = "const el = document.querySelector('[data-testid=\"speech-player\"]');\
    if (!el) return null;\
    const time = document.querySelector('[data-testid=\"speech-time\"]');\
    return { clip: Number(el.dataset.clip || 0), playing: el.dataset.playing === 'true',\
             paused: el.dataset.paused === 'true', position: Number(el.dataset.positionMs),\
             duration: Number(el.dataset.durationMs), time: time ? time.innerText : '' };";

async fn bar(app: &App) -> Bar {
    let v = app.execute(BAR, vec![]).await;
    Bar {
        clip: v["clip"].as_i64().unwrap_or(0),
        playing: v["playing"].as_bool().unwrap_or(false),
        paused: v["paused"].as_bool().unwrap_or(false),
        position: v["position"].as_i64().unwrap_or(0),
        duration: v["duration"].as_i64().unwrap_or(0),
        time: v["time"].as_str().unwrap_or_default().to_owned(),
    }
}

/// Polls the bar until `check` holds; returns every distinct state seen on the way.
async fn watch_bar(app: &App, what: &str, check: impl Fn(&Bar) -> bool) -> Vec<Bar> {
    let deadline = Instant::now() + WAIT;
    let mut seen: Vec<Bar> = Vec::new();
    loop {
        let now = bar(app).await;
        if seen.last() != Some(&now) {
            seen.push(now.clone());
        }
        if check(&now) {
            return seen;
        }
        if Instant::now() >= deadline {
            panic!("timed out waiting for the player to {what}; seen {seen:?}\n--- page text ---\n{:.2000}", app.page_text().await);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The duration half of the bar's "position / duration" text.
fn last_time_of(bar: &Bar) -> String {
    bar.time.rsplit(" / ").next().unwrap_or_default().to_owned()
}

/// Samples of a 16-bit PCM WAV (first channel) and its rate.
fn wav_samples(path: &Path) -> (Vec<i16>, f64) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert!(bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WAVE", "{} is not a WAV", path.display());
    let (mut at, mut channels, mut rate, mut bits) = (12, 1usize, 0u32, 16u16);
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let body = &bytes[at + 8..(at + 8 + size).min(bytes.len())];
        if id == b"fmt " {
            channels = u16::from_le_bytes([body[2], body[3]]) as usize;
            rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
            bits = u16::from_le_bytes([body[14], body[15]]);
        } else if id == b"data" {
            assert_eq!(bits, 16, "{} is not 16-bit", path.display());
            let samples = body.chunks_exact(2 * channels).map(|f| i16::from_le_bytes([f[0], f[1]])).collect();
            return (samples, rate as f64);
        }
        at += 8 + size + (size & 1);
    }
    panic!("{} has no data chunk", path.display());
}

/// Seconds from the first to the last loud sample.
fn loud_span(samples: &[i16], rate: f64) -> f64 {
    let first = samples.iter().position(|s| s.unsigned_abs() > LOUD);
    let last = samples.iter().rposition(|s| s.unsigned_abs() > LOUD);
    match (first, last) {
        (Some(first), Some(last)) => (last - first) as f64 / rate,
        _ => 0.0,
    }
}

/// Seconds of sound: 20 ms windows whose loudest sample is loud. Unlike the span, gaps a
/// busy machine may leave between buffers do not count.
fn active(samples: &[i16], rate: f64) -> f64 {
    let window = (rate / 50.0) as usize;
    samples.chunks(window).filter(|w| w.iter().any(|s| s.unsigned_abs() > LOUD)).count() as f64 / 50.0
}

/// Keeps what the sink heard as a WAV in the test's folder (kept when the test fails).
fn keep_wav(path: &Path, samples: &[i16], rate: u32) {
    let mut bytes = Vec::with_capacity(44 + samples.len() * 2);
    let data = (samples.len() * 2) as u32;
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&rate.to_le_bytes());
    bytes.extend_from_slice(&(rate * 2).to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        bytes.extend_from_slice(&s.to_le_bytes());
    }
    let _ = std::fs::write(path, bytes);
}

fn rms(samples: &[i16]) -> f64 {
    (samples.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / samples.len().max(1) as f64).sqrt()
}

async fn invoke(app: &App, command: &str, args: Value) -> Value {
    app.invoke(command, args).await.unwrap_or_else(|e| panic!("{command} failed: {e}"))
}

/// The first output (or input) file of a generation.
async fn generation_file(app: &App, id: i64, which: &str) -> PathBuf {
    let view = invoke(app, "get_generation", json!({ "id": id })).await;
    PathBuf::from(view[which][0]["path"].as_str().unwrap_or_else(|| panic!("generation {id} has no {which}: {view}")))
}

async fn newest(app: &App, kind: &str) -> i64 {
    let filter = json!({ "kind": kind, "model": null, "favourites": false, "min_rating": null, "since": null, "until": null, "query": null });
    let page = invoke(app, "list_gallery", json!({ "filter": filter, "cursor": null, "limit": 1 })).await;
    page["items"][0]["id"].as_i64().unwrap_or_else(|| panic!("no {kind} in the library: {page}"))
}

async fn open_speech(app: &App) {
    app.click("nav-speech").await;
    app.wait_for("view-speech").await;
    // The form settles on the platform's first TTS model once the list is read.
    wait_js(app, "a TTS model in the form", "return document.querySelector('[data-testid=\"speech-model\"]').value !== '';", vec![]).await;
}

async fn clip_ids(app: &App) -> Vec<(i64, String)> {
    let script = "return Array.from(document.querySelectorAll('[data-testid=\"speech-clip\"]'),\
        (el) => [Number(el.dataset.id), el.dataset.status]);";
    match app.execute(script, vec![]).await {
        Value::Array(rows) => rows.iter().map(|r| (r[0].as_i64().unwrap_or(0), r[1].as_str().unwrap_or_default().to_owned())).collect(),
        other => panic!("no clip list: {other}"),
    }
}

/// Sets the seek bar as a drag would end (the value, then `change`).
async fn seek_to(app: &App, ms: i64) {
    let script = "const el = document.querySelector('[data-testid=\"speech-seek\"]');\
        el.value = String(arguments[0]); el.dispatchEvent(new Event('input', { bubbles: true }));\
        el.dispatchEvent(new Event('change', { bubbles: true })); return true;";
    app.execute(script, vec![json!(ms)]).await;
}

/// Clicks the element `css` finds, as a person would.
async fn click_css(app: &App, css: &str) {
    let element = app
        .client()
        .find(nexhina_e2e::fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css} in the page: {e}"));
    element.click().await.unwrap_or_else(|e| panic!("could not click {css}: {e}"));
}

async fn apply_theme(app: &App, theme: &str) {
    app.click("nav-settings").await;
    app.click(&format!("theme-{theme}")).await;
    wait_js(app, "the theme", "return document.documentElement.dataset.theme === arguments[0];", vec![json!(theme)]).await;
    app.click("nav-speech").await;
    app.wait_for("view-speech").await;
}

#[tokio::test]
async fn speak_plays_real_sound_pauses_seeks_and_the_library_keeps_it() {
    let mut app = start("speech-speak", Sound::NullSink).await;
    open_speech(&app).await;

    // 1. A short WAV clip: the progress moves on screen and the sink hears the clip.
    app.select("speech-format", "wav").await;
    app.type_into("speech-text", "Hello.").await;
    let heard = app.sound().record();
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.click("speech-speak-button").await;
    let seen = watch_bar(&app, "play and finish", |b| b.clip > 0 && !b.playing && b.duration > 0 && b.position >= b.duration).await;
    let moving: Vec<i64> = seen.iter().filter(|b| b.playing && b.position > 0).map(|b| b.position).collect();
    assert!(moving.len() >= 2 && moving.windows(2).all(|w| w[0] <= w[1]), "the progress did not move forward on screen: {seen:?}");
    let last = seen.last().unwrap();
    assert!(last.time.ends_with("0:02 / 0:02"), "the time shown at the end: {:?}", last.time);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let recorded = heard.stop();
    let clip = last.clip;
    let (samples, rate) = wav_samples(&generation_file(&app, clip, "outputs").await);
    keep_wav(&app.home().join("heard.wav"), &recorded, 16_000);
    let (heard_s, spoken_s) = (loud_span(&recorded, 16_000.0), loud_span(&samples, rate));
    let (heard_active, spoken_active) = (active(&recorded, 16_000.0), active(&samples, rate));
    eprintln!(
        "heard {heard_s:.2} s of sound ({heard_active:.2} s active) for {spoken_s:.2} s ({spoken_active:.2} s) in the clip, rms {:.0}",
        rms(&recorded)
    );
    assert!(rms(&recorded) > 50.0, "the sink heard (almost) nothing: rms {}", rms(&recorded));
    // All of the clip was heard, once: as much sound as the clip holds, over at least its span.
    assert!((heard_active - spoken_active).abs() < 0.25, "heard {heard_active:.2} s of sound for {spoken_active:.2} s in the clip");
    assert!(heard_s > spoken_s - 0.25, "heard {heard_s:.2} s from first to last sound for {spoken_s:.2} s in the clip");
    wait_js(&app, "the clip's waveform", "return document.querySelector('[data-testid=\"speech-player\"]').dataset.waveform === 'drawn';", vec![]).await;

    // 2. A long text is spoken in parts; pause holds the position, seek moves it.
    app.select("speech-format", "mp3").await;
    let long = "The harbour lights come on one by one as the evening settles over the water. \
        Fishing boats return with their nets folded and gulls following close behind them. \
        On the pier an old man counts the boats, as he has done every evening for forty years. \
        When the last one is in, he walks home along the sea wall, humming a song about the tide.";
    app.type_into("speech-text", long).await;
    app.click("speech-speak-button").await;
    watch_bar(&app, "play the long clip", |b| b.clip > clip && b.playing && !b.paused && b.position > 0).await;
    app.click("speech-play").await; // pause
    let paused = watch_bar(&app, "pause", |b| b.paused).await.pop().unwrap();
    let long_clip = paused.clip;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let still = bar(&app).await;
    assert!(still.paused && still.position == paused.position, "the position moved while paused: {paused:?} → {still:?}");
    // Both parts are in (the duration covers two clips' worth) before seeking into the second.
    let whole = watch_bar(&app, "know both parts", |b| b.duration > 4_000).await.pop().unwrap();
    let target = whole.duration - 1_500;
    seek_to(&app, target).await;
    watch_bar(&app, "seek", |b| b.position >= target && b.position < target + 400).await;
    app.click("speech-play").await; // resume
    watch_bar(&app, "resume and finish", |b| b.clip == long_clip && !b.playing && b.position >= b.duration).await;
    let clips = clip_ids(&app).await;
    assert_eq!(clips.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![long_clip, clip], "library: {clips:?}");
    assert!(clips.iter().all(|(_, status)| status == "ready"), "library: {clips:?}");
    let parts = invoke(&app, "get_generation", json!({ "id": long_clip })).await["outputs"].as_array().map_or(0, Vec::len);
    assert!(parts >= 2, "the long text was spoken in {parts} part(s)");
    // The library gives the whole clip's length, every part counted.
    let listed = app.text_of("speech-clip-duration").await;
    assert_eq!(listed, last_time_of(&whole), "the long clip's length in the library");

    // 3. Listen: a real file through the file picker, transcribed as SRT with segments.
    let wav = app.home().join("harbour-note.wav");
    std::fs::copy(fixture("speech.wav"), &wav).unwrap();
    app.select("listen-format", "srt").await;
    app.wait_present("speech-file-input").await.send_keys(&wav.display().to_string()).await.expect("choose the file");
    wait_js(&app, "the chosen file's name", "const el = document.querySelector('[data-testid=\"speech-input\"]');\
        return el !== null && el.textContent.includes('harbour-note.wav');", vec![]).await;
    app.click("speech-transcribe").await;
    app.wait_for_text("speech-transcript-text", "show the transcript", |t| t == SENTENCE).await;
    let segments = app.execute("return document.querySelectorAll('[data-testid=\"speech-segment\"]').length;", vec![]).await;
    assert_eq!(segments, json!(2), "SRT segments on screen");
    app.click("speech-export-srt").await;
    let saved = app.text_of("speech-transcript-exported").await;
    let path = saved.split_once(' ').map(|(_, rest)| rest.trim_start_matches("to ").trim().to_owned()).unwrap_or_default();
    let srt = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("the exported SRT {path:?}: {e} ({saved})"));
    assert!(srt.starts_with("1\n00:00:00,000 --> ") && srt.contains("Hello from the"), "{srt}");
    app.wait_for("speech-transcript-item").await;

    // 4. Both themes, as a person sees the view with a clip in the bar and a transcript.
    for theme in ["light", "dark"] {
        apply_theme(&app, theme).await;
        app.wait_for("speech-waveform").await;
        app.wait_for("speech-transcript-item").await;
        app.screenshot(screenshot_dir().join(format!("speech-{theme}.png"))).await;
    }

    // 5. After a restart the clips and the transcript are still there and the clip plays.
    app.restart().await;
    open_speech(&app).await;
    wait_js(&app, "two clips", "return document.querySelectorAll('[data-testid=\"speech-clip\"]').length === 2;", vec![]).await;
    assert_eq!(clip_ids(&app).await.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![long_clip, clip]);
    let heard = app.sound().record();
    tokio::time::sleep(Duration::from_millis(300)).await;
    click_css(&app, &format!("[data-testid=\"speech-clip\"][data-id=\"{clip}\"] [data-testid=\"speech-clip-play\"]")).await;
    watch_bar(&app, "replay after the restart", |b| b.clip == clip && b.playing && b.position > 0).await;
    watch_bar(&app, "finish the replay", |b| b.clip == clip && !b.playing && b.position >= b.duration).await;
    let recorded = heard.stop();
    keep_wav(&app.home().join("heard-replay.wav"), &recorded, 16_000);
    assert!((active(&recorded, 16_000.0) - spoken_active).abs() < 0.25, "the replay made {:.2} s of sound", active(&recorded, 16_000.0));
    app.click("speech-transcript-item").await;
    app.wait_for_text("speech-transcript-text", "reopen the transcript", |t| t == SENTENCE).await;
    app.close().await;
}

#[tokio::test]
async fn dictation_fills_the_composer_and_replies_are_read_aloud() {
    let app = start("speech-dictate", Sound::NullSink).await;
    app.wait_for("composer-input").await;

    // 1. Dictate: while the app records, a real speech file plays into the sink, whose
    // monitor is the default source, so the microphone hears it.
    app.type_into("composer-input", "Note:").await;
    app.click("dictate-button").await;
    wait_js(&app, "recording", "return document.querySelector('[data-testid=\"dictate-button\"]').dataset.phase === 'recording';", vec![]).await;
    app.sound().play(&fixture("speech.wav"));
    wait_js(&app, "a level from the microphone", "const el = document.querySelector('[data-testid=\"dictation-status\"]');\
        return el !== null && Number(el.dataset.peak) > 0.05;", vec![]).await;
    app.click("dictate-button").await;
    let text = wait_js(&app, "the dictated text in the composer", "const v = document.querySelector('[data-testid=\"composer-input\"]').value;\
        return v.includes(arguments[0]) ? v : null;", vec![json!(SENTENCE)]).await;
    assert_eq!(text, json!(format!("Note: {SENTENCE}")));
    // What was sent for transcription is the speech that was played, not silence.
    let recording = generation_file(&app, newest(&app, "transcription").await, "inputs").await;
    let (samples, rate) = wav_samples(&recording);
    let (spoken, _) = wav_samples(&fixture("speech.wav"));
    let (got, want) = (active(&samples, rate), active(&spoken, 24_000.0));
    eprintln!("the recording holds {got:.2} s of sound; the file played {want:.2} s");
    assert!((got - want).abs() < 0.3, "the recording holds {got:.2} s of sound; the file played {want:.2} s");

    // 2. The hotkey starts it; the text goes where the cursor is (here: the start).
    let composer = app.wait_for("composer-input").await;
    composer.send_keys("\u{E009}\u{E008}d\u{E000}").await.expect("press Ctrl+Shift+D");
    // Stopped once the timer runs (sound has arrived), as a person would see it.
    wait_js(&app, "recording by hotkey", "const el = document.querySelector('[data-testid=\"dictation-status\"]');\
        return el !== null && Number(el.dataset.seconds) > 0.3;", vec![]).await;
    // (WebDriver's typing puts the caret at the end, so the caret is moved by script.)
    app.execute("document.querySelector('[data-testid=\"composer-input\"]').setSelectionRange(0, 0); return true;", vec![]).await;
    app.click("dictate-button").await;
    let text = wait_js(&app, "the second dictation", "const v = document.querySelector('[data-testid=\"composer-input\"]').value;\
        return v.startsWith(arguments[0]) ? v : null;", vec![json!(SENTENCE)]).await;
    assert_eq!(text, json!(format!("{SENTENCE} Note: {SENTENCE}")));

    // 3. Read aloud: the reply's prose is spoken through the sink and kept as a clip.
    app.type_into("composer-input", "Say something short.").await;
    app.click("send-button").await;
    let read = "[data-testid=\"message\"][data-role=\"assistant\"][data-status=\"complete\"] [data-testid=\"read-aloud\"]";
    wait_js(&app, "a finished reply", "return document.querySelector(arguments[0]) !== null;", vec![json!(read)]).await;
    let heard = app.sound().record();
    click_css(&app, read).await;
    wait_js(&app, "reading aloud", "return document.querySelector(arguments[0]).dataset.state === 'playing';", vec![json!(read)]).await;
    wait_js(&app, "the end of reading", "return document.querySelector(arguments[0]).dataset.state === 'idle';", vec![json!(read)]).await;
    let recorded = heard.stop();
    assert!(rms(&recorded) > 50.0 && loud_span(&recorded, 16_000.0) > 1.0, "reading aloud made no sound: rms {:.0}", rms(&recorded));
    open_speech(&app).await;
    wait_js(&app, "the read-aloud clip in the library", "return document.querySelectorAll('[data-testid=\"speech-clip\"][data-status=\"ready\"]').length === 1;", vec![]).await;
    app.close().await;
}

#[tokio::test]
async fn without_sound_the_app_says_so_and_keeps_the_clip() {
    let app = start("speech-silent", Sound::Nothing).await;
    open_speech(&app).await;
    app.type_into("speech-text", "Hello.").await;
    app.click("speech-speak-button").await;
    let shown = app.text_of("speech-playback-error").await;
    assert!(shown.contains("No sound output"), "{shown}");
    wait_js(&app, "the clip kept", "return document.querySelector('[data-testid=\"speech-clip\"][data-status=\"ready\"]') !== null;", vec![]).await;
    // Playing it again says the same; exporting it works.
    app.click("speech-clip-play").await;
    app.wait_for_text("speech-playback-error", "say there is no sound", |t| t.contains("No sound output")).await;
    app.click("speech-clip-export").await;
    let saved = app.text_of("speech-exported").await;
    assert!(saved.contains(".mp3"), "{saved}");

    // No microphone either: Listen and chat's dictation say so.
    app.click("speech-record").await;
    app.wait_for_text("speech-input-error", "say there is no microphone", |t| t.contains("No microphone")).await;
    app.click("nav-chat").await;
    app.click("dictate-button").await;
    app.wait_for_text("dictation-error", "say there is no microphone", |t| t.contains("No microphone")).await;
    app.close().await;
}
