//! Image jobs against the simulator: generation (base64 and URL answers), edits with
//! lineage, the gallery's filters and paging, delete, and labelled export read by exiftool.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use nexhina_core::secrets::KeyStore;
use nexhina_core::types::{GalleryFilter, GenerationEvent, GenerationKind, GenerationStatus, ImageRequest};
use nexhina_core::{DemoPlatform, GenerationSink, Studio, StudioOptions};
use nexhina_simulator::Simulator;

use crate::{fault, quick_retry, simulator, KEY};

struct Images {
    studio: Arc<Studio>,
    sim: Simulator,
    dir: tempfile::TempDir,
}

async fn images() -> Images {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let options = StudioOptions {
        data_dir: dir.path().to_path_buf(),
        demo: Some(DemoPlatform { base_url: sim.base_url(), api_key: KEY.into() }),
        retry: Some(quick_retry()),
        ..StudioOptions::default()
    };
    let studio = Arc::new(Studio::open(options, KeyStore::new("nexhina-studio-it-images", None)).unwrap());
    Images { studio, sim, dir }
}

fn request(model: &str, prompt: &str) -> ImageRequest {
    ImageRequest {
        model: model.into(),
        prompt: prompt.into(),
        size: Some("512x512".into()),
        n: Some(1),
        quality: None,
        style: None,
        extra: None,
        input_asset_ids: vec![],
        mask_asset_id: None,
        parent_generation_id: None,
    }
}

fn recorder() -> (GenerationSink, Arc<Mutex<Vec<GenerationEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let inner = events.clone();
    (Arc::new(move |e| inner.lock().unwrap().push(e)), events)
}

#[tokio::test]
async fn generated_images_land_in_the_store_with_thumbnails() {
    let t = images().await;
    let (sink, events) = recorder();
    let (card, task) = t.studio.generate_images(ImageRequest { n: Some(2), ..request("gpt-image-1", "a lighthouse at dusk") }, sink).unwrap();
    assert_eq!(card.status, GenerationStatus::Running, "the card exists before the platform answers");
    let view = task.await.unwrap();
    assert_eq!(view.status, GenerationStatus::Complete);
    assert_eq!(view.outputs.len(), 2);
    for out in &view.outputs {
        assert!(Path::new(&out.path).exists());
        assert!(out.thumbnail_path.as_deref().is_some_and(|p| Path::new(p).exists()));
        assert_eq!((out.width, out.height), (Some(512), Some(512)));
    }
    assert!(view.usage.is_some(), "gpt-image reports usage");
    assert!(matches!(events.lock().unwrap().last(), Some(GenerationEvent::Finished { status: GenerationStatus::Complete, .. })));
    let item = t.studio.gallery(&GalleryFilter::default(), None, 10).unwrap().items.remove(0);
    assert_eq!((item.id, item.outputs), (view.id, 2));
    assert!(item.thumbnail_path.is_some());
}

#[tokio::test]
async fn url_answers_are_downloaded_at_once() {
    let t = images().await;
    let (sink, _) = recorder();
    let mut req = request("dall-e-2", "a red kite");
    req.extra = Some(serde_json::json!({ "response_format": "url" }));
    let (_, task) = t.studio.generate_images(req, sink).unwrap();
    let view = task.await.unwrap();
    assert_eq!(view.outputs.len(), 1);
    assert!(t.sim.requests().iter().any(|r| r.path.starts_with("/files/")), "the URL was fetched");
    let file_request = t.sim.requests().into_iter().find(|r| r.path.starts_with("/files/")).unwrap();
    assert!(file_request.header("authorization").is_none(), "the key is never sent to a file host");
}

#[tokio::test]
async fn failures_are_clear_and_leave_a_failed_card() {
    let t = images().await;
    for (spec, code) in [("malformed", "invalid_response"), ("403:insufficient_user_quota", "quota_exhausted"), ("500:invalid_request", "bad_request")] {
        t.sim.clear();
        fault(&t.sim, "/v1/images", spec, 1);
        let (sink, events) = recorder();
        let (card, task) = t.studio.generate_images(request("gpt-image-1", "a boat"), sink).unwrap();
        let err = task.await.unwrap_err();
        assert_eq!(err.code(), code, "{spec}");
        let item = t.studio.gallery(&GalleryFilter::default(), None, 50).unwrap().items.into_iter().find(|i| i.id == card.id).unwrap();
        assert_eq!(item.status, GenerationStatus::Failed);
        assert!(item.error.as_deref().is_some_and(|e| !e.is_empty()), "{spec}: the card says why");
        assert!(matches!(events.lock().unwrap().last(), Some(GenerationEvent::Finished { code: Some(c), .. }) if c == code));
    }
    let err = t.studio.generate_images(request("gpt-image-1", "  "), recorder().0).err().unwrap();
    assert_eq!(err.code(), "invalid_input");
    let mut bad = request("gpt-image-1", "x");
    bad.extra = Some(serde_json::json!([1, 2]));
    assert!(t.studio.generate_images(bad, recorder().0).err().unwrap().to_string().contains("JSON object"));
}

#[tokio::test]
async fn edits_keep_their_source_and_rerun_repeats_the_settings() {
    let t = images().await;
    let (first, task) = t.studio.generate_images(request("gpt-image-1", "a cat"), recorder().0).unwrap();
    let original = task.await.unwrap();
    let mut edit = request("gpt-image-1", "the same cat wearing a hat");
    edit.input_asset_ids = vec![original.outputs[0].id];
    edit.parent_generation_id = Some(first.id);
    let (_, task) = t.studio.generate_images(edit, recorder().0).unwrap();
    let edited = task.await.unwrap();
    assert_eq!(edited.inputs.iter().map(|a| a.id).collect::<Vec<_>>(), vec![original.outputs[0].id]);
    assert_eq!(edited.parent_generation_id, Some(first.id));
    let sent = t.sim.requests().into_iter().find(|r| r.path == "/v1/images/edits").unwrap();
    assert!(sent.header("content-type").unwrap().starts_with("multipart/form-data"));

    let (_, task) = t.studio.rerun_generation(edited.id, recorder().0).unwrap();
    let rerun = task.await.unwrap();
    assert_eq!(rerun.prompt, "the same cat wearing a hat");
    assert_eq!(rerun.inputs.len(), 1);
    assert_eq!(rerun.parent_generation_id, Some(edited.id));
}

#[tokio::test]
async fn the_gallery_filters_pages_and_deletes() {
    let t = images().await;
    let mut ids = Vec::new();
    for (i, prompt) in ["sunset over a sailing harbour", "a mountain cabin", "harbour lights at night", "a desert road"].iter().enumerate() {
        let model = if i % 2 == 0 { "gpt-image-1" } else { "dall-e-3" };
        let (card, task) = t.studio.generate_images(request(model, prompt), recorder().0).unwrap();
        task.await.unwrap();
        ids.push(card.id);
    }
    t.studio.set_favourite(ids[1], true).unwrap();
    t.studio.set_rating(ids[2], Some(5)).unwrap();
    let page = |f: GalleryFilter| t.studio.gallery(&f, None, 50).unwrap().items.into_iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(page(GalleryFilter::default()), vec![ids[3], ids[2], ids[1], ids[0]], "newest first");
    assert_eq!(page(GalleryFilter { favourites: true, ..Default::default() }), vec![ids[1]]);
    assert_eq!(page(GalleryFilter { min_rating: Some(4), ..Default::default() }), vec![ids[2]]);
    assert_eq!(page(GalleryFilter { model: Some("dall-e-3".into()), ..Default::default() }), vec![ids[3], ids[1]]);
    assert_eq!(page(GalleryFilter { query: Some("harbour".into()), ..Default::default() }), vec![ids[2], ids[0]]);
    assert!(page(GalleryFilter { kind: Some(GenerationKind::Video), ..Default::default() }).is_empty());
    assert!(t.studio.set_rating(ids[0], Some(9)).is_err());

    let first = t.studio.gallery(&GalleryFilter::default(), None, 3).unwrap();
    let rest = t.studio.gallery(&GalleryFilter::default(), first.next_cursor.as_deref(), 3).unwrap();
    assert_eq!(rest.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![ids[0]]);
    assert!(rest.next_cursor.is_none());

    let gone = t.studio.generation(ids[0]).unwrap();
    t.studio.delete_generation(ids[0]).unwrap();
    assert!(!Path::new(&gone.outputs[0].path).exists(), "the file goes with the row");
    assert!(gone.outputs[0].thumbnail_path.as_deref().is_none_or(|p| !Path::new(p).exists()));
    assert!(t.studio.generation(ids[0]).is_err());
}

#[tokio::test]
async fn an_exported_image_carries_the_ai_label_for_exiftool() {
    let t = images().await;
    let (card, task) = t.studio.generate_images(request("gpt-image-1", "a lighthouse & the sea"), recorder().0).unwrap();
    let view = task.await.unwrap();
    let out = t.dir.path().join("exports/lighthouse.png");
    let written = t.studio.export_image(card.id, 0, Some(&out), true).unwrap();
    let original = std::fs::read(&view.outputs[0].path).unwrap();
    assert_eq!(nexhina_core::media::sha256_hex(&original), view.outputs[0].sha256, "the stored original is unchanged");
    let exif = Command::new("exiftool").args(["-j", "-XMP:all"]).arg(&written).output().expect("exiftool is installed");
    let text = String::from_utf8_lossy(&exif.stdout);
    assert!(text.contains("trainedAlgorithmicMedia"), "{text}");
    assert!(text.contains("gpt-image-1"), "{text}");
    assert!(text.contains("a lighthouse & the sea"), "{text}");

    let quiet = t.studio.export_image(card.id, 0, Some(&t.dir.path().join("exports/no-prompt.png")), false).unwrap();
    let exif = Command::new("exiftool").args(["-j", "-XMP:all"]).arg(&quiet).output().unwrap();
    let text = String::from_utf8_lossy(&exif.stdout);
    assert!(text.contains("trainedAlgorithmicMedia") && !text.contains("lighthouse"), "{text}");
}
