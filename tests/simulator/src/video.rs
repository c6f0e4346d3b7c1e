//! Asynchronous video tasks, both flavours: `POST /v1/video/generations` + a wrapped,
//! upper-case poll; `POST /v1/videos` + a flat OpenAI-style poll + `/content`.
//!
//! Progress follows the clock (10 % per `video_step`), so a client that restarts can
//! resume polling a task it submitted earlier. A prompt containing "fail" fails at 30 %
//! and is refunded, as new-api refunds its pre-charge.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::form::Form;
use crate::gateway::{ok_json, Answer, BufferedBody, Ctx};
use crate::media::{image_kind, CLIP_MP4};
use crate::state::{unix_now, Charge, SimState};

const VIDEO_QUOTA: i64 = 250_000;
/// How long a finished video stays downloadable, as vendors' URLs expire.
const EXPIRES_AFTER: u64 = 24 * 3600;
const FAIL_AT: u32 = 30;

pub(crate) struct VideoTask {
    pub id: String,
    pub model: String,
    pub prompt: String,
    pub created_at: u64,
    started: Instant,
    pub seconds: String,
    pub size: String,
    fails: bool,
    refunded: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Queued,
    InProgress,
    Completed,
    Failed,
}

/// A task as one poll sees it.
struct Snapshot {
    phase: Phase,
    progress: u32,
    /// Unix time the task reached its end state, when it has.
    finished_at: Option<u64>,
}

impl VideoTask {
    fn snapshot(&self, step: Duration) -> Snapshot {
        let elapsed = self.started.elapsed();
        let steps = if step.is_zero() {
            10
        } else {
            (elapsed.as_nanos() / step.as_nanos()).min(10) as u32
        };
        let mut progress = steps * 10;
        let phase = if self.fails && progress >= FAIL_AT {
            progress = FAIL_AT;
            Phase::Failed
        } else if progress >= 100 {
            Phase::Completed
        } else if progress == 0 {
            Phase::Queued
        } else {
            Phase::InProgress
        };
        let steps_to_end = if phase == Phase::Failed {
            FAIL_AT / 10
        } else {
            10
        };
        // Saturating: a huge --video-step-ms must not overflow.
        let run_time = step
            .checked_mul(steps_to_end)
            .unwrap_or(Duration::MAX)
            .as_secs();
        let finished_at = matches!(phase, Phase::Completed | Phase::Failed)
            .then(|| self.created_at.saturating_add(run_time));
        Snapshot {
            phase,
            progress,
            finished_at,
        }
    }

    /// The pre-charge to give back, once, when the task is seen failed.
    fn take_refund(&mut self, snapshot: &Snapshot) -> i64 {
        if snapshot.phase == Phase::Failed && !self.refunded {
            self.refunded = true;
            VIDEO_QUOTA
        } else {
            0
        }
    }
}

const FAIL_REASON: &str = "The prompt was rejected by the content policy (simulated failure)";

fn observe(ctx: &Ctx, id: &str) -> Option<(Snapshot, TaskInfo)> {
    let step = ctx.config().video_step;
    let (snapshot, info, refund) = ctx.state.with_video(id, |task| {
        let info = TaskInfo {
            model: task.model.clone(),
            prompt: task.prompt.clone(),
            created_at: task.created_at,
            seconds: task.seconds.clone(),
            size: task.size.clone(),
        };
        let snapshot = task.snapshot(step);
        let refund = task.take_refund(&snapshot);
        (snapshot, info, refund)
    })?;
    // Outside the state lock: refund takes it again.
    if refund > 0 {
        ctx.state.refund(refund);
    }
    Some((snapshot, info))
}

struct TaskInfo {
    model: String,
    prompt: String,
    created_at: u64,
    seconds: String,
    size: String,
}

/// True when `id` names a finished video (for the `/files` host).
pub(crate) fn finished_video(state: &SimState, id: &str) -> bool {
    let step = state.config.video_step;
    state
        .with_video(id, |task| task.snapshot(step).phase == Phase::Completed)
        .unwrap_or(false)
}

fn valid_size(size: &str) -> bool {
    size.split_once('x').is_some_and(|(w, h)| {
        w.parse::<u32>().is_ok_and(|w| w > 0) && h.parse::<u32>().is_ok_and(|h| h > 0)
    })
}

fn submit(ctx: &Ctx, model: String, prompt: String, seconds: String, size: String) -> Answer {
    let task = VideoTask {
        id: ctx.state.new_id("task_"),
        fails: prompt.to_lowercase().contains("fail"),
        model,
        prompt,
        created_at: unix_now(),
        started: Instant::now(),
        seconds,
        size,
        refunded: false,
    };
    ctx.state.charge(Charge {
        model: &task.model,
        prompt_tokens: 0,
        completion_tokens: 0,
        quota: VIDEO_QUOTA,
        stream: false,
    });
    let answer = json!({
        "id": task.id,
        "task_id": task.id,
        "object": "video",
        "model": task.model,
        "status": "queued",
        "progress": 0,
        "created_at": task.created_at,
    });
    ctx.state.add_video(task);
    ok_json(&answer)
}

fn require_model(ctx: &Ctx, model: Option<String>) -> Result<String, Response> {
    match model.filter(|m| !m.trim().is_empty()) {
        Some(m) => ctx.check_model(crate::faults::strip_fault_suffix(m.trim()).to_owned()),
        None => Err(ctx.task_error(400, "missing_model", "model is required")),
    }
}

fn require_prompt(ctx: &Ctx, prompt: Option<String>) -> Result<String, Response> {
    prompt
        .filter(|p| !p.trim().is_empty())
        .ok_or_else(|| ctx.task_error(400, "invalid_request", "prompt is required"))
}

fn check_size(ctx: &Ctx, size: Option<String>, default: &str) -> Result<String, Response> {
    match size {
        None => Ok(default.to_owned()),
        Some(s) if valid_size(&s) => Ok(s),
        Some(s) => Err(ctx.task_error(
            400,
            "invalid_size",
            &format!("invalid size '{s}': use WIDTHxHEIGHT"),
        )),
    }
}

/// `POST /v1/video/generations` (JSON; `duration` in whole seconds).
pub(crate) async fn submit_generation(ctx: Ctx, body: Bytes) -> Answer {
    let request: Value = serde_json::from_slice(&body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| {
            ctx.task_error(400, "invalid_request", "request body must be a JSON object")
        })?;
    let text = |k: &str| request.get(k).and_then(Value::as_str).map(str::to_owned);
    let model = require_model(&ctx, text("model"))?;
    let prompt = require_prompt(&ctx, text("prompt"))?;
    let seconds = match request.get("duration") {
        None | Some(Value::Null) => "5".to_owned(),
        Some(d) => match d.as_u64() {
            Some(d) if (1..=60).contains(&d) => d.to_string(),
            _ => {
                return Err(ctx.task_error(
                    400,
                    "invalid_request",
                    "duration must be a whole number of seconds",
                ))
            }
        },
    };
    let size = check_size(&ctx, text("size"), "1280x720")?;
    submit(&ctx, model, prompt, seconds, size)
}

/// `POST /v1/videos`: JSON or multipart (the first frame as the `input_reference` part);
/// `seconds` is a string, "4", "8" or "12".
pub(crate) async fn submit_video(ctx: Ctx, request: Request) -> Answer {
    let multipart = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/"));
    let (model, prompt, seconds, size) = if multipart {
        let form = Form::read(request).await.map_err(|why| {
            ctx.task_error(
                400,
                "invalid_request",
                &format!("invalid multipart form: {why}"),
            )
        })?;
        if let Some(reference) = form.part("input_reference") {
            if image_kind(&reference.data).is_none() {
                return Err(ctx.task_error(
                    400,
                    "invalid_request",
                    "input_reference must be a PNG, JPEG or WebP image",
                ));
            }
        }
        (
            form.text("model"),
            form.text("prompt"),
            form.text("seconds").map(Value::String),
            form.text("size"),
        )
    } else {
        let body = request
            .extensions()
            .get::<BufferedBody>()
            .map(|b| b.0.clone())
            .unwrap_or_default();
        let request: Value = serde_json::from_slice(&body)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| {
                ctx.task_error(
                    400,
                    "invalid_request",
                    "request body must be a JSON object or a multipart form",
                )
            })?;
        let text = |k: &str| request.get(k).and_then(Value::as_str).map(str::to_owned);
        (
            text("model"),
            text("prompt"),
            request.get("seconds").cloned(),
            text("size"),
        )
    };
    let model = require_model(&ctx, model)?;
    let prompt = require_prompt(&ctx, prompt)?;
    let seconds = match seconds {
        None | Some(Value::Null) => "4".to_owned(),
        Some(Value::String(s)) if ["4", "8", "12"].contains(&s.as_str()) => s,
        Some(other) => {
            return Err(ctx.task_error(
                400,
                "invalid_seconds",
                &format!("invalid seconds {other}: must be the string \"4\", \"8\" or \"12\""),
            ))
        }
    };
    let size = check_size(&ctx, size, "720x1280")?;
    submit(&ctx, model, prompt, seconds, size)
}

fn not_found(ctx: &Ctx) -> Response {
    ctx.task_error(400, "task_not_exist", "task_not_exist")
}

fn file_url(ctx: &Ctx, id: &str) -> String {
    format!("{}/files/{id}.mp4", ctx.base_url)
}

/// `GET /v1/video/generations/{id}`: new-api's wrapped answer, upper-case status.
pub(crate) async fn poll_generation(ctx: Ctx, Path(id): Path<String>) -> Answer {
    let Some((snap, info)) = observe(&ctx, &id) else {
        return Err(not_found(&ctx));
    };
    let status = match snap.phase {
        Phase::Queued => "QUEUED",
        Phase::InProgress => "IN_PROGRESS",
        Phase::Completed => "SUCCESS",
        Phase::Failed => "FAILURE",
    };
    let result_url = if snap.phase == Phase::Completed {
        file_url(&ctx, &id)
    } else {
        String::new()
    };
    let fail_reason = if snap.phase == Phase::Failed {
        FAIL_REASON
    } else {
        ""
    };
    ok_json(&json!({
        "code": "success",
        "message": "",
        "data": {
            "task_id": id,
            "action": "generate",
            "model": info.model,
            "status": status,
            "progress": format!("{}%", snap.progress),
            "fail_reason": fail_reason,
            "result_url": result_url,
            "submit_time": info.created_at,
            "start_time": if snap.phase == Phase::Queued { 0 } else { info.created_at },
            "finish_time": snap.finished_at.unwrap_or(0),
            "data": null,
        }
    }))
}

/// `GET /v1/videos/{id}`: OpenAI's flat video object.
pub(crate) async fn poll_video(ctx: Ctx, Path(id): Path<String>) -> Answer {
    let Some((snap, info)) = observe(&ctx, &id) else {
        return Err(not_found(&ctx));
    };
    let status = match snap.phase {
        Phase::Queued => "queued",
        Phase::InProgress => "in_progress",
        Phase::Completed => "completed",
        Phase::Failed => "failed",
    };
    let error = (snap.phase == Phase::Failed)
        .then(|| json!({"message": FAIL_REASON, "code": "video_generation_failed"}));
    // Some channels hand out the vendor's URL; sora-style ones only serve /content.
    let metadata = (snap.phase == Phase::Completed && !info.model.starts_with("sora"))
        .then(|| json!({"url": file_url(&ctx, &id)}));
    let mut answer = json!({
        "id": id,
        "object": "video",
        "model": info.model,
        "prompt": info.prompt,
        "status": status,
        "progress": snap.progress,
        "created_at": info.created_at,
        "completed_at": if snap.phase == Phase::Completed { snap.finished_at } else { None },
        "expires_at": snap.finished_at.filter(|_| snap.phase == Phase::Completed).map(|t| t.saturating_add(EXPIRES_AFTER)),
        "seconds": info.seconds,
        "size": info.size,
        "error": error,
    });
    if let Some(metadata) = metadata {
        answer["metadata"] = metadata;
    }
    ok_json(&answer)
}

/// `GET /v1/videos/{id}/content`: the MP4 once completed; 400 before, 404 unknown.
pub(crate) async fn content(ctx: Ctx, Path(id): Path<String>) -> Answer {
    let Some((snap, _)) = observe(&ctx, &id) else {
        return Err(ctx.upstream_error(404, Some("task_not_exist"), "", "Task not found"));
    };
    if snap.phase != Phase::Completed {
        let status = format!("{:?}", snap.phase).to_lowercase();
        return Err(ctx.upstream_error(
            400,
            Some("task_not_completed"),
            "",
            &format!("Task is not completed yet, current status: {status}"),
        ));
    }
    Ok((
        StatusCode::OK,
        [(CONTENT_TYPE, "video/mp4")],
        Bytes::from_static(CLIP_MP4),
    )
        .into_response())
}
