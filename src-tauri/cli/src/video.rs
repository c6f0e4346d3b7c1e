//! `nexhina video`: submit, follow to the end (resumable by the app), print the file path.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use nexhina_core::types::{GenerationEvent, VideoApi, VideoRequest};
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
    /// What to film
    #[arg(required = true, num_args = 1.., value_name = "PROMPT")]
    prompt: Vec<String>,
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
