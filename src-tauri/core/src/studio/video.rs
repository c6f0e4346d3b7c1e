//! Video as a job: the generation row and a job row exist before the request leaves; the
//! platform's task id is stored the moment it answers; polling follows the platform's
//! suggested pace, survives restarts (`resume_video_jobs` at start-up), gives up after a
//! ceiling, and the finished file is downloaded at once (its URL expires).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::images::{GenerationSink, GenerationTask};
use super::Studio;
use crate::error::{Error, Result};
use crate::library::generations::NewGeneration;
use crate::library::jobs::Job;
use crate::library::now_ms;
use crate::platform::video::{self, Flavour, TaskState, VideoCall};
use crate::types::{GalleryItem, GenerationEvent, GenerationKind, GenerationStatus, GenerationView, VideoApi, VideoRequest};

/// When to poll: first after `first`, every `fast` until `fast_until`, every `medium`
/// until `medium_until`, then every `slow`; give up `give_up` after submission.
#[derive(Debug, Clone, Copy)]
pub struct PollSchedule {
    pub first: Duration,
    pub fast: Duration,
    pub fast_until: Duration,
    pub medium: Duration,
    pub medium_until: Duration,
    pub slow: Duration,
    pub give_up: Duration,
}

impl Default for PollSchedule {
    /// The pace the platform suggests (API.md).
    fn default() -> Self {
        PollSchedule {
            first: Duration::from_millis(2500),
            fast: Duration::from_secs(5),
            fast_until: Duration::from_secs(30),
            medium: Duration::from_secs(10),
            medium_until: Duration::from_secs(120),
            slow: Duration::from_secs(30),
            give_up: Duration::from_secs(600),
        }
    }
}

impl PollSchedule {
    fn next_wait(&self, since_submit: Duration, first: bool) -> Duration {
        if first {
            self.first
        } else if since_submit < self.fast_until {
            self.fast
        } else if since_submit < self.medium_until {
            self.medium
        } else {
            self.slow
        }
    }
}

fn video_output(generation: &GenerationView) -> Result<&crate::types::AssetView> {
    if generation.kind != GenerationKind::Video {
        return Err(Error::InvalidInput(format!("generation {} is not a video", generation.id)));
    }
    generation.outputs.first().ok_or_else(|| Error::NotFound(format!("the video of generation {}", generation.id)))
}

fn flavour_for(api: VideoApi, model: &str) -> Flavour {
    match api {
        VideoApi::Tasks => Flavour::Tasks,
        VideoApi::Videos => Flavour::Videos,
        VideoApi::Auto if model.to_ascii_lowercase().starts_with("sora") => Flavour::Videos,
        VideoApi::Auto => Flavour::Tasks,
    }
}

/// A broken-off download is tried this many times in all.
const DOWNLOAD_ATTEMPTS: u32 = 3;

impl Studio {
    /// Records the job (its card shows at once) and returns the task that submits and
    /// follows it to the end.
    pub fn generate_video(self: &Arc<Self>, request: VideoRequest, sink: GenerationSink) -> Result<(GalleryItem, GenerationTask)> {
        if request.prompt.trim().is_empty() {
            return Err(Error::InvalidInput("Describe the video first.".into()));
        }
        if request.model.trim().is_empty() {
            return Err(Error::InvalidInput("Choose a video model first.".into()));
        }
        let first_frame = request.image_asset_id.map(|id| self.library.asset(id)).transpose()?;
        let flavour = flavour_for(request.api, &request.model);
        let params = json!({
            "model": request.model.trim(), "prompt": request.prompt.trim(), "image_asset_id": request.image_asset_id,
            "size": request.size, "seconds": request.seconds, "fps": request.fps, "seed": request.seed,
            "api": flavour.as_str(),
        });
        let inputs: Vec<(&str, i64)> = first_frame.iter().map(|a| ("first_frame", a.id)).collect();
        let id = self.library.insert_generation(&NewGeneration {
            profile_id: self.profile_id().ok(),
            kind: GenerationKind::Video,
            model: request.model.trim(),
            prompt: request.prompt.trim(),
            params: &params,
            parent_generation_id: request.parent_generation_id,
            inputs: &inputs,
        })?;
        let job_id = self.library.insert_job(id, flavour.as_str())?;
        let card = self.library.gallery_item(id)?;
        let studio = self.clone();
        let cancel = self.running.start_job(id);
        let task: GenerationTask = Box::pin(async move {
            let submitted = async {
                let (client, _) = studio.connect()?;
                studio.screen(request.prompt.trim()).await?;
                let image = first_frame.as_ref().map(|a| studio.library.read_asset(a).map(|b| (a.mime.clone(), b))).transpose()?;
                let call = VideoCall {
                    model: request.model.trim(),
                    prompt: request.prompt.trim(),
                    image: image.as_ref().map(|(m, b)| (m.as_str(), b.as_slice())),
                    size: request.size.as_deref().filter(|s| !s.is_empty()),
                    seconds: request.seconds,
                    fps: request.fps,
                    seed: request.seed,
                };
                let task_id = video::submit(&client, flavour, &call).await?;
                studio.library.set_job_task(job_id, id, &task_id)?;
                Ok::<String, Error>(task_id)
            };
            let outcome = tokio::select! {
                _ = cancel.cancelled() => Err(None),
                submitted = submitted => submitted.map_err(Some),
            };
            let result = match outcome {
                Ok(task_id) => {
                    let job = Job { id: job_id, generation_id: id, api: flavour.as_str().into(), remote_task_id: Some(task_id), state: "queued".into(), created_at: now_ms() };
                    studio.follow_job(job, sink, cancel).await
                }
                Err(error) => studio.end_job(job_id, id, &sink, error),
            };
            // A job a chat tool started reports back to its conversation.
            studio.video_job_ended(id);
            result
        });
        Ok((card, task))
    }

    /// The jobs a previous run left going, as tasks that follow them to the end.
    pub fn resume_video_jobs(self: &Arc<Self>, sink: GenerationSink) -> Result<Vec<GenerationTask>> {
        let mut tasks = Vec::new();
        for job in self.library.active_jobs()? {
            if job.remote_task_id.is_none() {
                // The submission never got an answer: nothing to follow on the platform.
                let message = "The app closed before the platform accepted this video; try again.";
                self.library.set_job_state(job.id, "failed", Some(message))?;
                self.library.fail_generation(job.generation_id, GenerationStatus::Failed, Some(message))?;
                continue;
            }
            let studio = self.clone();
            let cancel = self.running.start_job(job.generation_id);
            let sink = sink.clone();
            tasks.push(Box::pin(async move {
                let id = job.generation_id;
                let result = studio.follow_job(job, sink, cancel).await;
                studio.video_job_ended(id);
                result
            }) as GenerationTask);
        }
        Ok(tasks)
    }

    /// Stops following a job and marks it cancelled (the platform may still finish it).
    pub fn cancel_video(&self, generation_id: i64) -> Result<()> {
        if !self.running.cancel_job(generation_id) {
            if let Some(job) = self.library.job_for_generation(generation_id)? {
                self.library.set_job_state(job.id, "cancelled", None)?;
            }
            self.library.fail_generation(generation_id, GenerationStatus::Cancelled, None)?;
        }
        Ok(())
    }

    /// A new video job with the stored settings (and first frame) of an old one.
    pub(super) fn rerun_video(self: &Arc<Self>, old: &GenerationView, sink: GenerationSink) -> Result<(GalleryItem, GenerationTask)> {
        let mut request: VideoRequest = serde_json::from_value(old.params.clone())
            .map_err(|e| Error::Internal(format!("the stored settings cannot be read: {e}")))?;
        request.parent_generation_id = Some(old.id);
        self.generate_video(request, sink)
    }

    /// The stored video of a generation, whole (the window plays it from memory).
    pub fn video_bytes(&self, generation_id: i64) -> Result<Vec<u8>> {
        let generation = self.library.generation(generation_id)?;
        let asset = video_output(&generation)?;
        self.library.read_asset(asset)
    }

    /// Copies a generated video to `out` if given, else into the Downloads folder, named
    /// after the prompt. The stored original is not changed.
    pub fn export_video(&self, generation_id: i64, out: Option<&Path>) -> Result<PathBuf> {
        let generation = self.library.generation(generation_id)?;
        let asset = video_output(&generation)?;
        let bytes = self.library.read_asset(asset)?;
        let path = super::conversations::export_path(out, &generation.prompt, crate::media::extension(&asset.mime))?;
        std::fs::write(&path, bytes)?;
        Ok(path)
    }

    async fn follow_job(&self, job: Job, sink: GenerationSink, cancel: CancellationToken) -> Result<GenerationView> {
        let id = job.generation_id;
        let flavour = Flavour::parse(&job.api);
        let task_id = job.remote_task_id.clone().unwrap_or_default();
        let schedule = self.options.video_polls.unwrap_or_default();
        // Time since submission counts across restarts, from the job's creation.
        let age = Duration::from_millis((now_ms() - job.created_at).max(0) as u64);
        let started = Instant::now() - age;
        let mut first = true;
        let result: std::result::Result<GenerationView, Option<Error>> = loop {
            let wait = schedule.next_wait(started.elapsed(), first);
            first = false;
            tokio::select! {
                _ = cancel.cancelled() => break Err(None),
                _ = tokio::time::sleep(wait) => {}
            }
            if started.elapsed() > schedule.give_up {
                break Err(Some(Error::Timeout));
            }
            let (client, _) = match self.connect() {
                Ok(c) => c,
                Err(e) => break Err(Some(e)),
            };
            match video::poll(&client, flavour, &task_id).await {
                Ok(TaskState::Waiting { progress }) => {
                    let _ = self.library.set_job_state(job.id, "running", None);
                    let _ = self.library.set_generation_progress(id, GenerationStatus::Running, progress, None);
                    sink(GenerationEvent::Progress { id, status: GenerationStatus::Running, progress });
                }
                Ok(TaskState::Done { url }) => {
                    let _ = self.library.set_job_state(job.id, "downloading", None);
                    sink(GenerationEvent::Progress { id, status: GenerationStatus::Running, progress: 100 });
                    let stored = async {
                        let file = self.download_video(&client, &task_id, url.as_deref(), job.id).await?;
                        let asset = self.library.store_generated_video_file(&file)?;
                        self.library.complete_generation(id, &[asset.id], None, None)?;
                        self.index_soon();
                        self.library.set_job_state(job.id, "done", None)?;
                        self.library.generation(id)
                    };
                    break stored.await.map_err(Some);
                }
                Ok(TaskState::Failed { reason }) => {
                    break Err(Some(Error::ServerError { message: reason, request_id: None }));
                }
                // A poll that fails for a passing reason is tried again at the next beat.
                Err(Error::Network(_) | Error::Timeout | Error::RateLimited { .. } | Error::GatewayDown { .. }) => {}
                Err(e) => break Err(Some(e)),
            }
        };
        self.running.end_job(id);
        match result {
            Ok(view) => {
                sink(GenerationEvent::Finished { id, status: GenerationStatus::Complete, error: None, code: None });
                Ok(view)
            }
            Err(error) => self.end_job(job.id, id, &sink, error),
        }
    }

    /// Downloads the finished video into the store's incoming folder, trying again when the
    /// transfer breaks off (a link that expired or a refused size is final). Nothing partial
    /// is left behind on failure.
    async fn download_video(&self, client: &crate::platform::PlatformClient, task_id: &str, url: Option<&str>, job_id: i64) -> Result<std::path::PathBuf> {
        let part = self.library.incoming_dir()?.join(format!("job-{job_id}.part"));
        let mut attempt = 0;
        loop {
            attempt += 1;
            match video::download_to(client, task_id, url, &part).await {
                Ok(_) => return Ok(part),
                Err(Error::Network(_) | Error::Timeout | Error::GatewayDown { .. }) if attempt < DOWNLOAD_ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(500 * attempt as u64)).await;
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&part);
                    return Err(e);
                }
            }
        }
    }

    /// Settles a job that did not produce a video: cancelled (`None`) or failed.
    fn end_job(&self, job_id: i64, id: i64, sink: &GenerationSink, error: Option<Error>) -> Result<GenerationView> {
        self.running.end_job(id);
        let (status, state) = match &error {
            None => (GenerationStatus::Cancelled, "cancelled"),
            Some(_) => (GenerationStatus::Failed, "failed"),
        };
        let message = error.as_ref().map(|e| match e {
            Error::Timeout => "The video took longer than the platform's limit; it was given up.".to_string(),
            other => other.to_string(),
        });
        let _ = self.library.set_job_state(job_id, state, message.as_deref());
        let _ = self.library.fail_generation(id, status, message.as_deref());
        sink(GenerationEvent::Finished { id, status, error: message, code: error.as_ref().map(|e| e.code().into()) });
        match error {
            Some(e) => Err(e),
            None => Err(Error::InvalidInput("The video was cancelled.".into())),
        }
    }
}
