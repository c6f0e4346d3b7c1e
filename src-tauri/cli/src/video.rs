//! `nexhina video`: submit, follow to the end (resumable by the app), print the file path.

use std::path::PathBuf;
use std::sync::Arc;

use std::time::Duration;

use clap::{Args, Subcommand};
use nexhina_core::types::{GalleryFilter, GenerationEvent, GenerationKind, VideoApi, VideoRequest};
use nexhina_core::{Error, Studio};

#[derive(Args)]
pub struct VideoArgs {
    /// Video model
    #[arg(long, default_value = "veo-2")]
    model: String,
    /// First frame (image-to-video)
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
    /// Size as WxH
    #[arg(long)]
    size: Option<String>,
    /// Length in seconds
    #[arg(long)]
    seconds: Option<u32>,
    #[arg(long)]
    fps: Option<u32>,
    #[arg(long)]
    seed: Option<i64>,
    /// Follow the job to the end and print the file (the default)
    #[arg(long, conflicts_with = "detach")]
    wait: bool,
    /// Return once the platform has accepted the job; `nexhina jobs resume` or the app finishes it
    #[arg(long)]
    detach: bool,
    /// What to film
    #[arg(required = true, num_args = 1.., value_name = "PROMPT")]
    pub(crate) prompt: Vec<String>,
}

pub async fn video(studio: &Arc<Studio>, args: VideoArgs, as_json: bool) -> Result<(), Error> {
    let image_asset_id = args.image.as_deref().map(|p| studio.attach_file(p).map(|a| a.id)).transpose()?;
    let request = VideoRequest {
        model: args.model,
        prompt: args.prompt.join(" "),
        image_asset_id,
        size: args.size,
        seconds: args.seconds,
        fps: args.fps,
        seed: args.seed,
        api: VideoApi::Auto,
        parent_generation_id: None,
    };
    let quiet = as_json;
    let (card, task) = studio.generate_video(
        request,
        Arc::new(move |event| {
            if let (false, GenerationEvent::Progress { progress, .. }) = (quiet, event) {
                eprint!("\rprogress {progress:>3}%");
            }
        }),
    )?;
    let handle = tokio::spawn(task);
    tokio::pin!(handle);
    if args.detach {
        return detach(studio, card.id, &mut handle, as_json).await;
    }
    // Ctrl+C leaves the job to the app, which resumes polling at its next start.
    let view = tokio::select! {
        done = &mut handle => done.map_err(|e| Error::Internal(e.to_string()))??,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\nstopped following video {}; the app resumes it when it starts", card.id);
            return Ok(());
        }
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        eprintln!();
        for output in &view.outputs {
            println!("{}", output.path);
        }
    }
    Ok(())
}

/// Waits until the platform has given the job its task id (so it can be resumed), then leaves.
async fn detach(
    studio: &Arc<Studio>,
    id: i64,
    handle: &mut std::pin::Pin<&mut tokio::task::JoinHandle<Result<nexhina_core::types::GenerationView, Error>>>,
    as_json: bool,
) -> Result<(), Error> {
    loop {
        if handle.is_finished() {
            handle.await.map_err(|e| Error::Internal(e.to_string()))??;
            break;
        }
        if studio.library().job_for_generation(id)?.is_some_and(|job| job.remote_task_id.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&studio.generation(id)?)?);
    } else {
        eprintln!("video {id} submitted; `nexhina jobs resume` or the app follows it to the end");
        println!("{id}");
    }
    Ok(())
}

#[derive(Args)]
pub struct JobsArgs {
    #[command(subcommand)]
    command: Option<JobsCommand>,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Poll every unfinished job to its end; prints the saved files' paths
    Resume,
}

pub async fn jobs(studio: &Arc<Studio>, args: JobsArgs, as_json: bool) -> Result<(), Error> {
    match args.command {
        None => {
            let filter = GalleryFilter { kind: Some(GenerationKind::Video), ..GalleryFilter::default() };
            let mut items = Vec::new();
            let mut cursor = None;
            loop {
                let page = studio.gallery(&filter, cursor.as_deref(), 500)?;
                items.extend(page.items);
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            if as_json {
                println!("{}", serde_json::to_string_pretty(&items)?);
            } else if items.is_empty() {
                eprintln!("no video jobs yet");
            } else {
                for item in items {
                    let status = serde_json::to_value(item.status)?.as_str().unwrap_or("").to_string();
                    let detail = item.error.or(item.file_path).unwrap_or_default();
                    println!("{:>6}  {:<9} {:>3}%  {:<16} {}  {}", item.id, status, item.progress, item.model, item.prompt.replace('\n', " "), detail);
                }
            }
            Ok(())
        }
        Some(JobsCommand::Resume) => {
            let quiet = as_json;
            let tasks = studio.resume_video_jobs(Arc::new(move |event| {
                if let (false, GenerationEvent::Progress { id, progress, .. }) = (quiet, event) {
                    eprintln!("video {id}: {progress}%");
                }
            }))?;
            if tasks.is_empty() {
                eprintln!("no unfinished video jobs");
                return Ok(());
            }
            let mut failed = None;
            for task in tasks {
                match task.await {
                    Ok(view) if as_json => println!("{}", serde_json::to_string(&view)?),
                    Ok(view) => view.outputs.iter().for_each(|o| println!("{}", o.path)),
                    Err(e) => {
                        eprintln!("error: {e}");
                        failed = Some(e);
                    }
                }
            }
            failed.map_or(Ok(()), Err)
        }
    }
}
