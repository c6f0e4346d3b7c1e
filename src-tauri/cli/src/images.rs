//! `nexhina image` and `nexhina gallery`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use nexhina_core::types::{GalleryFilter, GenerationKind, ImageRequest};
use nexhina_core::{Error, Studio};

#[derive(Args)]
pub struct ImageArgs {
    /// Image model
    #[arg(long, default_value = "gpt-image-1")]
    model: String,
    /// Size as WxH, e.g. 1024x1024
    #[arg(long)]
    size: Option<String>,
    /// How many images
    #[arg(long)]
    n: Option<u32>,
    /// An image to edit (image-to-image); repeatable
    #[arg(long = "input", value_name = "FILE")]
    inputs: Vec<PathBuf>,
    /// A mask for the edit (transparent where to paint)
    #[arg(long, value_name = "FILE")]
    mask: Option<PathBuf>,
    /// What to draw
    #[arg(required = true, num_args = 1.., value_name = "PROMPT")]
    pub(crate) prompt: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    Image,
    Video,
    Speech,
}

#[derive(Subcommand)]
pub enum GalleryCommand {
    /// List generations, newest first
    List {
        #[arg(long)]
        kind: Option<KindArg>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Write a labelled copy of a generated image
    Export {
        id: i64,
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Which image of the generation (1-based)
        #[arg(long, default_value_t = 1)]
        index: usize,
        /// Leave the prompt out of the label
        #[arg(long)]
        no_prompt: bool,
    },
}

pub async fn image(studio: &Arc<Studio>, args: ImageArgs, as_json: bool) -> Result<(), Error> {
    let input_asset_ids = args.inputs.iter().map(|p| studio.attach_file(p).map(|a| a.id)).collect::<Result<Vec<_>, _>>()?;
    let mask_asset_id = args.mask.as_deref().map(|p| studio.attach_file(p).map(|a| a.id)).transpose()?;
    let request = ImageRequest {
        model: args.model,
        prompt: args.prompt.join(" "),
        size: args.size,
        n: args.n,
        quality: None,
        style: None,
        extra: None,
        input_asset_ids,
        mask_asset_id,
        parent_generation_id: None,
    };
    let (_, task) = studio.generate_images(request, Arc::new(|_| {}))?;
    let view = task.await?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        for output in &view.outputs {
            println!("{}", output.path);
        }
    }
    Ok(())
}

pub fn gallery(studio: &Studio, command: GalleryCommand, as_json: bool) -> Result<(), Error> {
    match command {
        GalleryCommand::List { kind, limit } => {
            let filter = GalleryFilter {
                kind: kind.map(|k| match k {
                    KindArg::Image => GenerationKind::Image,
                    KindArg::Video => GenerationKind::Video,
                    KindArg::Speech => GenerationKind::Speech,
                }),
                ..GalleryFilter::default()
            };
            let page = studio.gallery(&filter, None, limit)?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&page.items)?);
            } else {
                for item in page.items {
                    let status = serde_json::to_value(item.status)?;
                    println!("{:>6}  {:<10} {:<16} {}  {}", item.id, status.as_str().unwrap_or_default(), item.model, item.prompt, item.file_path.unwrap_or_default());
                }
            }
        }
        GalleryCommand::Export { id, out, index, no_prompt } => {
            let path = studio.export_image(id, index.saturating_sub(1), Some(&out), !no_prompt)?;
            println!("{}", path.display());
        }
    }
    Ok(())
}
