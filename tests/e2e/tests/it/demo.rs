use nexhina_e2e::App;

use crate::{group_heading, models_in_group, open_settings};

/// A first start with no platform: the demo platform is active and Settings lists its
/// models, grouped by kind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_lists_models_grouped_by_kind() {
    let app = App::start("demo_mode_lists_models_grouped_by_kind").await;

    let badge = app.text_of("demo-badge").await;
    assert!(badge.contains("Demo"), "demo badge says {badge:?}");

    open_settings(&app).await;
    let active = app.text_of("active-profile").await;
    assert!(
        active.contains("demo platform"),
        "active profile line: {active:?}"
    );
    assert_eq!(
        app.value_of("base-url").await,
        "",
        "the demo fills no base URL"
    );

    app.wait_for("model-groups").await;
    for group in [
        "chat",
        "image",
        "video",
        "tts",
        "stt",
        "embedding",
        "rerank",
        "moderation",
    ] {
        app.wait_for(&format!("model-group-{group}")).await;
    }
    let chat = models_in_group(&app, "chat").await;
    let image = models_in_group(&app, "image").await;
    let tts = models_in_group(&app, "tts").await;
    let stt = models_in_group(&app, "stt").await;
    let video = models_in_group(&app, "video").await;
    for (kind, ids, expected) in [
        ("chat", &chat, "gpt-4o-mini"),
        ("image", &image, "gpt-image-1"),
        ("tts", &tts, "tts-1"),
        ("stt", &stt, "whisper-1"),
        ("video", &video, "sora"),
    ] {
        assert!(
            ids.iter().any(|id| id == expected),
            "{expected} is not under {kind}: {ids:?}"
        );
    }
    assert!(
        !chat.iter().any(|id| id == "whisper-1"),
        "whisper-1 listed as chat: {chat:?}"
    );
    // Each group's heading names the kind and counts its models.
    for (kind, ids) in [("image", &image), ("stt", &stt)] {
        let heading = group_heading(&app, kind).await;
        assert!(
            heading.ends_with(&format!("({})", ids.len())),
            "{kind} heading {heading:?} does not count its {} models",
            ids.len()
        );
    }
}
