//! Video jobs against the simulator: both APIs, image-to-video, failures, cancel, the
//! give-up ceiling, and polling that resumes after a restart.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nexhina_core::secrets::KeyStore;
use nexhina_core::studio::PollSchedule;
use nexhina_core::types::{GalleryFilter, GenerationEvent, GenerationKind, GenerationStatus, VideoApi, VideoRequest};
use nexhina_core::{DemoPlatform, GenerationSink, Studio, StudioOptions};
use nexhina_simulator::{SimConfig, Simulator};

use crate::{quick_retry, KEY};

fn quick_polls() -> PollSchedule {
    PollSchedule {
        first: Duration::from_millis(20),
        fast: Duration::from_millis(30),
        fast_until: Duration::from_secs(1),
        medium: Duration::from_millis(60),
        medium_until: Duration::from_secs(2),
        slow: Duration::from_millis(100),
        give_up: Duration::from_secs(20),
    }
}

fn open(dir: &Path, sim: &Simulator, polls: PollSchedule) -> Arc<Studio> {
    let options = StudioOptions {
        data_dir: dir.to_path_buf(),
        demo: Some(DemoPlatform { base_url: sim.base_url(), api_key: KEY.into() }),
        retry: Some(quick_retry()),
        video_polls: Some(polls),
        ..StudioOptions::default()
    };
    Arc::new(Studio::open(options, KeyStore::new("nexhina-studio-it-video", None)).unwrap())
}

async fn sim() -> Simulator {
    Simulator::start(SimConfig { video_step: Duration::from_millis(30), ..SimConfig::default() }).await.unwrap()
}

fn recorder() -> (GenerationSink, Arc<Mutex<Vec<GenerationEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let inner = events.clone();
    (Arc::new(move |e| inner.lock().unwrap().push(e)), events)
}

fn request(model: &str, prompt: &str) -> VideoRequest {
    VideoRequest { model: model.into(), prompt: prompt.into(), image_asset_id: None, size: None, seconds: Some(4), fps: Some(24), seed: Some(7), api: VideoApi::Auto, parent_generation_id: None }
}

#[tokio::test]
async fn a_task_api_video_is_polled_downloaded_and_given_a_poster() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim, quick_polls());
    let (sink, events) = recorder();
    let (card, task) = studio.generate_video(request("veo-2", "waves on a beach"), sink).unwrap();
    assert_eq!((card.kind, card.status), (GenerationKind::Video, GenerationStatus::Running));
    let view = task.await.unwrap();
    assert_eq!(view.status, GenerationStatus::Complete);
    let video = &view.outputs[0];
    assert_eq!(video.mime, "video/mp4");
    assert!(Path::new(&video.path).exists());
    assert!(video.thumbnail_path.as_deref().is_some_and(|p| Path::new(p).exists()), "a poster frame for the grid");
    assert_eq!((video.width, video.height), (Some(320), Some(240)));
    let progress: Vec<u8> = events.lock().unwrap().iter().filter_map(|e| if let GenerationEvent::Progress { progress, .. } = e { Some(*progress) } else { None }).collect();
    assert!(progress.len() >= 3 && progress.windows(2).all(|w| w[0] <= w[1]), "progress climbs: {progress:?}");
    let submitted = sim.requests().into_iter().find(|r| r.path == "/v1/video/generations").unwrap().json().unwrap();
    assert_eq!(submitted["metadata"]["seed"], 7, "vendor extras go in metadata");
    assert_eq!(submitted["duration"], 4);
    let items = studio.gallery(&GalleryFilter { kind: Some(GenerationKind::Video), ..Default::default() }, None, 10).unwrap().items;
    assert_eq!(items[0].id, card.id);
}

#[tokio::test]
async fn a_sora_video_from_a_first_frame_uses_the_videos_api() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim, quick_polls());
    let frame = dir.path().join("frame.png");
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(64, 48, image::Rgb([1, 2, 3])).write_to(&mut png, image::ImageFormat::Png).unwrap();
    std::fs::write(&frame, png.into_inner()).unwrap();
    let asset = studio.attach_file(&frame).unwrap();
    let mut req = request("sora", "the frame comes alive");
    req.image_asset_id = Some(asset.id);
    let (_, task) = studio.generate_video(req, recorder().0).unwrap();
    let view = task.await.unwrap();
    assert_eq!(view.inputs.iter().map(|a| a.id).collect::<Vec<_>>(), vec![asset.id], "the first frame is kept by hash");
    let submit = sim.requests().into_iter().find(|r| r.path == "/v1/videos").unwrap();
    assert!(submit.header("content-type").unwrap().starts_with("multipart/form-data"));
    assert!(String::from_utf8_lossy(&submit.body).contains("name=\"input_reference\""));
}

#[tokio::test]
async fn a_failed_task_says_why() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim, quick_polls());
    let (sink, events) = recorder();
    let (card, task) = studio.generate_video(request("veo-2", "this one will fail"), sink).unwrap();
    let err = task.await.unwrap_err();
    assert_eq!(err.code(), "server_error");
    let item = studio.gallery(&GalleryFilter::default(), None, 10).unwrap().items.into_iter().find(|i| i.id == card.id).unwrap();
    assert_eq!(item.status, GenerationStatus::Failed);
    assert!(item.error.as_deref().is_some_and(|e| !e.is_empty()));
    assert!(matches!(events.lock().unwrap().last(), Some(GenerationEvent::Finished { status: GenerationStatus::Failed, .. })));
}

#[tokio::test]
async fn polling_resumes_after_a_restart() {
    let sim = Simulator::start(SimConfig { video_step: Duration::from_millis(150), ..SimConfig::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let card_id = {
        let studio = open(dir.path(), &sim, quick_polls());
        let (card, task) = studio.generate_video(request("veo-2", "a slow sunrise"), recorder().0).unwrap();
        // The app quits while the job is running: the task is dropped mid-poll.
        let _ = tokio::time::timeout(Duration::from_millis(400), task).await;
        assert_eq!(studio.generation(card.id).unwrap().status, GenerationStatus::Running);
        card.id
    };
    let studio = open(dir.path(), &sim, quick_polls());
    let tasks = studio.resume_video_jobs(recorder().0).unwrap();
    assert_eq!(tasks.len(), 1);
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(studio.generation(card_id).unwrap().status, GenerationStatus::Complete);
    let submits = sim.requests().iter().filter(|r| r.path == "/v1/video/generations").count();
    assert_eq!(submits, 1, "a resumed job is never submitted again");
}

#[tokio::test]
async fn cancel_and_the_give_up_ceiling() {
    let sim = Simulator::start(SimConfig { video_step: Duration::from_secs(5), ..SimConfig::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim, quick_polls());
    let (card, task) = studio.generate_video(request("veo-2", "very slow"), recorder().0).unwrap();
    let handle = tokio::spawn(task);
    tokio::time::sleep(Duration::from_millis(200)).await;
    studio.cancel_video(card.id).unwrap();
    assert!(handle.await.unwrap().is_err());
    assert_eq!(studio.generation(card.id).unwrap().status, GenerationStatus::Cancelled);

    let impatient = PollSchedule { give_up: Duration::from_millis(300), ..quick_polls() };
    let studio = open(dir.path(), &sim, impatient);
    let (card, task) = studio.generate_video(request("veo-2", "too slow"), recorder().0).unwrap();
    let err = task.await.unwrap_err();
    assert_eq!(err.code(), "timeout");
    assert!(studio.generation(card.id).unwrap().error.unwrap().contains("longer than"));
}

fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_in(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[tokio::test]
async fn a_broken_off_download_is_retried_and_a_runaway_or_expired_one_fails_leaving_nothing() {
    use nexhina_simulator::{Fault, FaultRule};
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim, quick_polls());
    let downloads = |sim: &Simulator| sim.requests().iter().filter(|r| r.path.starts_with("/files/")).count();

    sim.push_fault(FaultRule::once("/files/", "reset".parse::<Fault>().unwrap()));
    let view = studio.generate_video(request("veo-2", "a kite over dunes"), recorder().0).unwrap().1.await.unwrap();
    assert_eq!(view.status, GenerationStatus::Complete);
    assert_eq!(downloads(&sim), 2, "the cut-off download was tried again");
    let media = dir.path().join("media");
    let stored = files_in(&media);

    // A "video" announced as 2 GB is refused before it fills the disk.
    sim.push_fault(FaultRule { path_prefix: "/files/".into(), fault: Fault::Oversize, times: 0 });
    let (card, task) = studio.generate_video(request("veo-2", "a runaway file"), recorder().0).unwrap();
    let error = task.await.unwrap_err().to_string();
    assert!(error.contains("more than the 1 GB"), "{error}");
    assert_eq!(studio.generation(card.id).unwrap().status, GenerationStatus::Failed);
    assert_eq!(files_in(&media), stored, "nothing half-written is left in the store");
    sim.clear();

    // A link that expired is final, with a reason a person understands.
    sim.push_fault(FaultRule { path_prefix: "/files/".into(), fault: "404".parse().unwrap(), times: 0 });
    let (card, task) = studio.generate_video(request("veo-2", "a late download"), recorder().0).unwrap();
    let error = task.await.unwrap_err().to_string();
    assert!(error.contains("link may have expired"), "{error}");
    assert!(studio.generation(card.id).unwrap().error.unwrap().contains("expired"));
    assert_eq!(files_in(&media), stored);
}

#[tokio::test]
async fn a_platform_down_while_polling_is_waited_out_and_an_unknown_task_fails_clearly() {
    use nexhina_simulator::FaultRule;
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim, quick_polls());
    sim.push_fault(FaultRule { path_prefix: "/v1/video/generations/".into(), fault: "502".parse().unwrap(), times: 3 });
    let view = studio.generate_video(request("veo-2", "rain on a window"), recorder().0).unwrap().1.await.unwrap();
    assert_eq!(view.status, GenerationStatus::Complete, "three failed polls in a row are waited out");

    sim.push_fault(FaultRule { path_prefix: "/v1/video/generations/".into(), fault: "404:task_not_exist:msg=Task not found".parse().unwrap(), times: 0 });
    let (card, task) = studio.generate_video(request("veo-2", "a lost task"), recorder().0).unwrap();
    let error = task.await.unwrap_err();
    let stored = studio.generation(card.id).unwrap();
    assert_eq!(stored.status, GenerationStatus::Failed);
    assert!(stored.error.as_deref().is_some_and(|e| e.contains("Task not found")), "{error} / {:?}", stored.error);

    sim.clear();
    let (card, task) = studio.generate_video(request("veo-2", "please fail this one"), recorder().0).unwrap();
    assert!(task.await.is_err());
    let stored = studio.generation(card.id).unwrap();
    assert!(stored.error.as_deref().is_some_and(|e| e.contains("content policy")), "{:?}", stored.error);
}
