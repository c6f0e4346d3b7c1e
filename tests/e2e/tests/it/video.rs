use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use nexhina_e2e::serde_json::{json, Value};
use nexhina_e2e::{screenshot_dir, App};
use nexhina_simulator::{FaultRule, SimConfig, Simulator};

use crate::set_theme;

/// Long enough for any wait below on a loaded 2-core machine; never a measure of speed.
const JOB_TIMEOUT: Duration = Duration::from_secs(90);
const POLL: Duration = Duration::from_millis(100);

/// Runs `script` until it returns something other than null/false; returns that.
async fn wait_js(app: &App, what: &str, script: &str, args: Vec<Value>) -> Value {
    let deadline = Instant::now() + JOB_TIMEOUT;
    loop {
        let value = app.execute(script, args.clone()).await;
        if !matches!(value, Value::Null | Value::Bool(false)) {
            return value;
        }
        if Instant::now() >= deadline {
            panic!(
                "timed out waiting for {what}\n--- page text ---\n{:.2000}",
                app.page_text().await
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The job card's phase and progress, or null while it is not in the page.
const JOB_STATE: &str = "const el = document.querySelector(\
    `[data-testid=\"video-job\"][data-id=\"${arguments[0]}\"]`);\
    return el ? { phase: el.dataset.phase, progress: Number(el.dataset.progress) } : null;";

async fn job_state(app: &App, id: i64) -> Option<(String, i64)> {
    match app.execute(JOB_STATE, vec![json!(id)]).await {
        Value::Object(map) => Some((
            map["phase"].as_str().unwrap_or_default().to_owned(),
            map["progress"].as_i64().unwrap_or(-1),
        )),
        _ => None,
    }
}

async fn wait_job_phase(app: &App, id: i64, phases: &[&str]) -> (String, i64) {
    let deadline = Instant::now() + JOB_TIMEOUT;
    let mut last = None;
    loop {
        let state = job_state(app, id).await;
        if let Some((phase, progress)) = &state {
            if phases.contains(&phase.as_str()) {
                return (phase.clone(), *progress);
            }
        }
        last = state.or(last);
        if Instant::now() >= deadline {
            panic!(
                "job {id} never reached {phases:?}; last seen {last:?}\n--- page text ---\n{:.2000}",
                app.page_text().await
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Chooses an option of a `<select>` as a person would (value, then `change`).
async fn choose(app: &App, testid: &str, value: &str) {
    app.wait_for(testid).await;
    let script = "const el = document.querySelector(`[data-testid=\"${arguments[0]}\"]`);\
        if (![...el.options].some((o) => o.value === arguments[1])) return false;\
        el.value = arguments[1]; el.dispatchEvent(new Event('change', { bubbles: true }));\
        return el.value === arguments[1];";
    wait_js(
        app,
        &format!("option {value:?} in {testid}"),
        script,
        vec![json!(testid), json!(value)],
    )
    .await;
}

/// Types a prompt, submits, and returns the id of the job card that appeared first.
async fn submit(app: &App, prompt: &str) -> i64 {
    let before = app
        .execute(
            "return [...document.querySelectorAll('[data-testid=\"video-job\"]')].map((el) => Number(el.dataset.id));",
            vec![],
        )
        .await;
    app.type_into("video-prompt", prompt).await;
    app.click("generate-video").await;
    let script = "const known = arguments[0];\
        const el = [...document.querySelectorAll('[data-testid=\"video-job\"]')]\
          .find((el) => !known.includes(Number(el.dataset.id)));\
        return el ? Number(el.dataset.id) : null;";
    let id = wait_js(app, "a new job card", script, vec![before]).await;
    id.as_i64().expect("job id")
}

async fn open_video_view(app: &App) {
    app.click("nav-video").await;
    app.wait_for("view-video").await;
}

/// The fixture's real duration, read by ffprobe (the simulator serves this very file).
fn fixture_duration() -> f64 {
    let clip = Path::new(env!("CARGO_MANIFEST_DIR")).join("../simulator/fixtures/clip.mp4");
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(&clip)
        .output()
        .expect("run ffprobe (apt-get install ffmpeg)");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("ffprobe gave no duration for {}", clip.display()))
}

/// Text-to-video jobs against the simulator: the progress bar moves, the app restarts
/// mid-job and the jobs resume by themselves, a failed job shows its reason, the posters
/// fill the gallery, and the lightbox really plays the video in WebKitGTK.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn video_jobs_resume_after_a_restart_and_play() {
    // 1.5 s per 10 %: two polls (2.5 s, then 5 s later) see different progress.
    let sim = Simulator::start(SimConfig {
        video_step: Duration::from_millis(1500),
        ..SimConfig::default()
    })
    .await
    .expect("start the simulator");
    let mut app = App::start("video_jobs_resume_after_a_restart_and_play").await;
    // In the keychain, so the key is still there after the restart.
    app.invoke(
        "save_profile",
        json!({ "profile": {
            "base_url": format!("{}/v1", sim.base_url()),
            "api_key": "sk-demo",
            "key_storage": "keychain",
        }}),
    )
    .await
    .expect("save the simulator's profile");

    open_video_view(&app).await;
    app.wait_for("gallery-empty").await;
    choose(&app, "video-model", "veo-2").await;
    choose(&app, "video-duration-select", "5").await;
    choose(&app, "video-size", "1280x720").await;
    choose(&app, "video-fps", "24").await;
    app.type_into("video-seed", "42").await;
    let main = submit(&app, "A paper boat drifting down a rainy street").await;
    let failing = submit(&app, "This clip should fail the content check").await;
    let second = submit(&app, "Lanterns rising over a quiet lake at dusk").await;
    let third = submit(&app, "A hummingbird hovering beside a red flower").await;

    // What the platform received carries the form's settings.
    let submitted: Vec<Value> = sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/video/generations")
        .map(|r| nexhina_e2e::serde_json::from_slice(&r.body).expect("JSON submission"))
        .collect();
    let first = submitted
        .iter()
        .find(|b| b["prompt"] == "A paper boat drifting down a rainy street")
        .unwrap_or_else(|| panic!("the first job was not submitted: {submitted:?}"));
    assert_eq!(first["model"], "veo-2", "{first}");
    assert_eq!(first["duration"], 5, "{first}");
    assert_eq!(first["size"], "1280x720", "{first}");
    assert_eq!(first["metadata"]["fps"], 24, "{first}");
    assert_eq!(first["metadata"]["seed"], 42, "{first}");

    // The progress bar moves: two different values below 100 %.
    let deadline = Instant::now() + JOB_TIMEOUT;
    let mut seen: Vec<i64> = Vec::new();
    while seen.iter().filter(|p| **p > 0 && **p < 100).count() < 2 {
        if let Some((phase, progress)) = job_state(&app, main).await {
            assert!(
                phase == "queued" || phase == "running",
                "job {main} is {phase} before the restart"
            );
            if !seen.contains(&progress) {
                seen.push(progress);
            }
        }
        assert!(
            Instant::now() < deadline,
            "the progress never moved: {seen:?}"
        );
        tokio::time::sleep(POLL).await;
    }
    let before_restart = *seen.last().expect("a progress value");
    let width = app
        .execute(
            "const el = document.querySelector(`[data-testid=\"video-job\"][data-id=\"${arguments[0]}\"] .fill`);\
             return el ? el.style.width : null;",
            vec![json!(main)],
        )
        .await;
    eprintln!("progress seen before the restart: {seen:?}; bar width {width}");

    // A failed job says why.
    wait_job_phase(&app, failing, &["failed"]).await;
    let reason = app
        .execute(
            "const el = document.querySelector(`[data-testid=\"video-job\"][data-id=\"${arguments[0]}\"] [data-testid=\"video-job-error\"]`);\
             return el ? el.textContent : null;",
            vec![json!(failing)],
        )
        .await;
    assert!(
        reason
            .as_str()
            .is_some_and(|r| r.contains("content policy")),
        "the failed job's reason: {reason}"
    );

    // Quit mid-job. While the app is away the platform answers polls with a 502, so the
    // jobs are surely still running when the window comes back (nothing depends on speed).
    assert!(
        job_state(&app, main)
            .await
            .is_some_and(|(phase, _)| phase == "running"),
        "the main job is not running any more before the restart"
    );
    sim.push_fault(FaultRule {
        path_prefix: "/v1/video/generations/".into(),
        fault: "html:502".parse().expect("fault spec"),
        times: 0,
    });
    app.restart().await;
    open_video_view(&app).await;

    // The jobs are back as cards, read from the library, without anyone submitting again.
    for id in [main, second, third] {
        let (_, progress) = wait_job_phase(&app, id, &["queued", "running"]).await;
        if id == main {
            assert!(
                progress >= before_restart,
                "job {main} came back at {progress} % after {before_restart} %"
            );
        }
    }
    let submissions = |sim: &Simulator| {
        sim.requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.starts_with("/v1/video"))
            .count()
    };
    assert_eq!(submissions(&sim), 4, "a job was submitted twice");

    // The platform answers again: the app's own polling finishes them.
    sim.clear();
    for id in [main, second, third] {
        wait_job_phase(&app, id, &["done"]).await;
    }
    assert_eq!(submissions(&sim), 0, "a resumed job was submitted again");

    // Posters in the gallery (first frames from ffmpeg), and the failure's card with its reason.
    let posters = wait_js(
        &app,
        "three poster thumbnails",
        "const imgs = [...document.querySelectorAll('[data-testid=\"gallery-card\"][data-status=\"complete\"] img')];\
         return imgs.length >= 3 && imgs.every((img) => img.complete && img.naturalWidth > 0) ? imgs.length : null;",
        vec![],
    )
    .await;
    eprintln!("posters shown: {posters}");
    let card_error = app
        .execute(
            "const el = document.querySelector(`[data-testid=\"gallery-card\"][data-id=\"${arguments[0]}\"] [data-testid=\"card-error\"]`);\
             return el ? el.textContent : null;",
            vec![json!(failing)],
        )
        .await;
    assert!(
        card_error
            .as_str()
            .is_some_and(|r| r.contains("content policy")),
        "the failed card: {card_error}"
    );

    // The view with several posters, in both themes.
    let shots = screenshot_dir();
    set_theme(&app, "light").await;
    app.screenshot(shots.join("video-light.png")).await;
    set_theme(&app, "dark").await;
    app.screenshot(shots.join("video-dark.png")).await;
    set_theme(&app, "light").await;

    // Leaving the view and coming back keeps the job cards.
    app.click("nav-images").await;
    app.wait_gone("view-video").await;
    open_video_view(&app).await;
    wait_job_phase(&app, main, &["done"]).await;

    // The lightbox plays the video from a Blob URL.
    app.execute(
        "document.querySelector(`[data-testid=\"video-job\"][data-id=\"${arguments[0]}\"] [data-testid=\"video-job-open\"]`).click();",
        vec![json!(main)],
    )
    .await;
    app.wait_for("lightbox").await;
    app.wait_present("lightbox-video").await;
    let media = wait_js(
        &app,
        "the video to load",
        "const v = document.querySelector('[data-testid=\"lightbox-video\"]');\
         if (!v) return null;\
         if (v.error) return { error: v.error.code, src: v.currentSrc };\
         return v.readyState >= 2 && Number.isFinite(v.duration)\
           ? { readyState: v.readyState, duration: v.duration, width: v.videoWidth, height: v.videoHeight, src: v.currentSrc }\
           : null;",
        vec![],
    )
    .await;
    eprintln!("video element: {media}");
    assert!(
        media.get("error").is_none(),
        "the video failed to load: {media}"
    );
    assert!(
        media["src"]
            .as_str()
            .is_some_and(|s| s.starts_with("blob:")),
        "{media}"
    );
    let expected = fixture_duration();
    let duration = media["duration"].as_f64().expect("duration");
    assert!(
        (duration - expected).abs() < 0.15,
        "the video lasts {duration} s; the fixture {expected} s"
    );
    assert_eq!(
        (media["width"].as_u64(), media["height"].as_u64()),
        (Some(320), Some(240))
    );
    let shown = app.text_of("video-duration").await;
    assert_eq!(shown, "0:02", "the duration shown");
    let model = app.text_of("lightbox-model").await;
    assert_eq!(model, "veo-2");
    let prompt = app.text_of("lightbox-prompt").await;
    assert_eq!(prompt, "A paper boat drifting down a rainy street");

    // Mute and loop are the element's own state.
    app.click("video-mute").await;
    app.click("video-loop").await;
    let flags = app
        .execute(
            "const v = document.querySelector('[data-testid=\"lightbox-video\"]');\
             return { muted: v.muted, loop: v.loop };",
            vec![],
        )
        .await;
    assert_eq!(
        flags,
        json!({ "muted": true, "loop": false }),
        "after mute and loop"
    );
    app.click("video-loop").await;

    // Play: time advances. Pause: it stops.
    app.click("video-play").await;
    let playing = wait_js(
        &app,
        "playback to advance",
        "const v = document.querySelector('[data-testid=\"lightbox-video\"]');\
         return !v.paused && v.currentTime > 0.3 ? v.currentTime : null;",
        vec![],
    )
    .await;
    eprintln!("playing at {playing} s");
    app.screenshot(shots.join("video-lightbox-playing.png"))
        .await;
    app.click("video-play").await;
    let paused_at = wait_js(
        &app,
        "the pause",
        "const v = document.querySelector('[data-testid=\"lightbox-video\"]');\
         return v.paused ? v.currentTime : null;",
        vec![],
    )
    .await
    .as_f64()
    .expect("time");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let still = app
        .execute(
            "return document.querySelector('[data-testid=\"lightbox-video\"]').currentTime;",
            vec![],
        )
        .await
        .as_f64()
        .expect("time");
    assert_eq!(still, paused_at, "time moved while paused");

    // Seek with the slider.
    app.execute(
        "const s = document.querySelector('[data-testid=\"video-seek\"]');\
         s.value = '1.5'; s.dispatchEvent(new Event('input', { bubbles: true }));\
         s.dispatchEvent(new Event('change', { bubbles: true }));",
        vec![],
    )
    .await;
    let sought = wait_js(
        &app,
        "the seek",
        "const v = document.querySelector('[data-testid=\"lightbox-video\"]');\
         return !v.seeking && Math.abs(v.currentTime - 1.5) < 0.1 ? v.currentTime : null;",
        vec![],
    )
    .await;
    eprintln!("sought to {sought} s");
    let shown = app.text_of("video-time").await;
    assert_eq!(shown, "0:01", "the time shown after seeking");

    // Save a copy: the file in Downloads is the video.
    app.click("lightbox-save").await;
    let saved = app.text_of("export-path").await;
    let path = saved
        .split_once(" to ")
        .map(|(_, p)| p.trim().to_owned())
        .unwrap_or_else(|| panic!("export message: {saved:?}"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let fixture =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../simulator/fixtures/clip.mp4"))
            .expect("fixture");
    assert!(bytes == fixture, "the saved copy differs from the video");
    assert!(path.ends_with(".mp4"), "{path}");

    app.click("lightbox-close").await;
    app.wait_gone("lightbox").await;
    app.close().await;
    sim.shutdown().await;
}
