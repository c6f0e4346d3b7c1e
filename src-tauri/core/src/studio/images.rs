//! An image job: a generation row from the first moment, the platform's answer stored by
//! hash (URLs fetched at once), lineage to its inputs, and a clear failure otherwise.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{json, Value};

use super::Studio;
use crate::error::{Error, Result};
use crate::library::generations::NewGeneration;
use crate::media::labels::{label_image, AiLabel};
use crate::platform::images::{self, EditInputs, ImageCall};
use crate::types::{
    AssetView, GalleryFilter, GalleryItem, GalleryPage, GenerationEvent, GenerationKind, GenerationStatus, GenerationView,
    ImageRequest,
};

/// Where a generation's progress goes: a Channel in the app, stdout in the CLI.
pub type GenerationSink = Arc<dyn Fn(GenerationEvent) + Send + Sync>;

/// The part of a generation that waits on the platform, to be spawned or awaited.
pub type GenerationTask = Pin<Box<dyn Future<Output = Result<GenerationView>> + Send>>;

impl Studio {
    /// Records the generation (its card shows at once) and returns the task that runs it.
    pub fn generate_images(self: &Arc<Self>, request: ImageRequest, sink: GenerationSink) -> Result<(GalleryItem, GenerationTask)> {
        if request.prompt.trim().is_empty() {
            return Err(Error::InvalidInput("Describe the image first.".into()));
        }
        if request.model.trim().is_empty() {
            return Err(Error::InvalidInput("Choose an image model first.".into()));
        }
        if let Some(extra) = &request.extra {
            if !extra.is_object() {
                return Err(Error::InvalidInput("Advanced parameters must be a JSON object, like {\"background\": \"transparent\"}.".into()));
            }
        }
        let inputs: Vec<AssetView> = request.input_asset_ids.iter().map(|id| self.library.asset(*id)).collect::<Result<_>>()?;
        let mask = request.mask_asset_id.map(|id| self.library.asset(id)).transpose()?;
        let mut roles: Vec<(&str, i64)> = inputs.iter().map(|a| ("input", a.id)).collect();
        if let Some(m) = &mask {
            roles.push(("mask", m.id));
        }
        let params = image_params(&request);
        let id = self.library.insert_generation(&NewGeneration {
            profile_id: self.profile_id().ok(),
            kind: GenerationKind::Image,
            model: request.model.trim(),
            prompt: request.prompt.trim(),
            params: &params,
            parent_generation_id: request.parent_generation_id,
            inputs: &roles,
        })?;
        let card = self.library.gallery_item(id)?;
        let studio = self.clone();
        let task = Box::pin(async move {
            sink(GenerationEvent::Progress { id, status: GenerationStatus::Running, progress: 0 });
            let result = studio.run_image_job(id, &request, &inputs, mask.as_ref()).await;
            match &result {
                Ok(_) => sink(GenerationEvent::Finished { id, status: GenerationStatus::Complete, error: None, code: None }),
                Err(e) => {
                    let message = e.to_string();
                    let _ = studio.library.fail_generation(id, GenerationStatus::Failed, Some(&message));
                    sink(GenerationEvent::Finished { id, status: GenerationStatus::Failed, error: Some(message), code: Some(e.code().into()) });
                }
            }
            result
        });
        Ok((card, task))
    }

    async fn run_image_job(&self, id: i64, request: &ImageRequest, inputs: &[AssetView], mask: Option<&AssetView>) -> Result<GenerationView> {
        let (client, profile_id) = self.connect()?;
        self.screen(request.prompt.trim()).await?;
        let call = ImageCall {
            model: request.model.trim(),
            prompt: request.prompt.trim(),
            size: request.size.as_deref(),
            n: request.n,
            quality: request.quality.as_deref(),
            style: request.style.as_deref(),
            extra: request.extra.as_ref().and_then(Value::as_object),
        };
        let answer = if inputs.is_empty() {
            images::generate(&client, &call).await?
        } else {
            let read = |a: &AssetView| -> Result<(String, String, Vec<u8>)> {
                let name = format!("{}.{}", &a.sha256[..12], crate::media::extension(&a.mime));
                Ok((name, a.mime.clone(), self.library.read_asset(a)?))
            };
            let files: Vec<(String, String, Vec<u8>)> = inputs.iter().map(read).collect::<Result<_>>()?;
            let mask_file = mask.map(read).transpose()?;
            let edit_inputs = EditInputs {
                images: files.iter().map(|(n, m, b)| (n.clone(), m.clone(), b.as_slice())).collect(),
                mask: mask_file.as_ref().map(|(n, m, b)| (n.clone(), m.clone(), b.as_slice())),
            };
            images::edit(&client, &call, &edit_inputs).await?
        };
        let mut outputs = Vec::with_capacity(answer.images.len());
        for bytes in &answer.images {
            let stored = self.library.store_generated_image(bytes).map_err(|e| match e {
                Error::InvalidInput(why) => Error::InvalidResponse(format!("the platform sent a file that is not a usable image ({why})")),
                other => other,
            })?;
            outputs.push(stored.id);
        }
        self.library.complete_generation(id, &outputs, answer.revised_prompt.as_deref(), None)?;
        self.index_soon();
        if let Some(usage) = &answer.usage {
            let endpoint = if inputs.is_empty() { "images/generations" } else { "images/edits" };
            self.library.record_generation_usage(Some(profile_id), endpoint, request.model.trim(), id, usage)?;
        }
        self.library.generation(id)
    }

    /// Runs a stored image generation again with the same settings and inputs.
    pub fn rerun_generation(self: &Arc<Self>, id: i64, sink: GenerationSink) -> Result<(GalleryItem, GenerationTask)> {
        let old = self.library.generation(id)?;
        if old.kind == GenerationKind::Video {
            return self.rerun_video(&old, sink);
        }
        if old.kind != GenerationKind::Image {
            return Err(Error::InvalidInput("Only images can be re-run here.".into()));
        }
        let mut request: ImageRequest = serde_json::from_value(old.params.clone())
            .map_err(|e| Error::Internal(format!("the stored settings cannot be read: {e}")))?;
        request.parent_generation_id = Some(id);
        self.generate_images(request, sink)
    }

    pub fn gallery(&self, filter: &GalleryFilter, cursor: Option<&str>, limit: u32) -> Result<GalleryPage> {
        self.library.gallery(filter, cursor, limit)
    }

    pub fn gallery_models(&self) -> Result<Vec<String>> {
        self.library.gallery_models()
    }

    pub fn generation(&self, id: i64) -> Result<GenerationView> {
        self.library.generation(id)
    }

    pub fn set_favourite(&self, id: i64, favourite: bool) -> Result<GalleryItem> {
        self.library.set_favourite(id, favourite)?;
        self.library.gallery_item(id)
    }

    pub fn set_rating(&self, id: i64, rating: Option<u8>) -> Result<GalleryItem> {
        self.library.set_rating(id, rating)?;
        self.library.gallery_item(id)
    }

    /// Deletes the generation, and its files and thumbnails when nothing else uses them.
    pub fn delete_generation(&self, id: i64) -> Result<()> {
        let orphans = self.library.delete_generation(id)?;
        self.library.remove_files(&orphans);
        Ok(())
    }

    /// Writes a labelled copy of a generated image: to `out` if given (a file path), else
    /// into the Downloads folder. The stored original is not changed.
    pub fn export_image(&self, id: i64, output: usize, out: Option<&Path>, include_prompt: bool) -> Result<PathBuf> {
        let generation = self.library.generation(id)?;
        let asset = generation
            .outputs
            .get(output)
            .ok_or_else(|| Error::NotFound(format!("image {} of generation {id}", output + 1)))?;
        let bytes = self.library.read_asset(asset)?;
        let label = AiLabel {
            model: &generation.model,
            prompt: include_prompt.then_some(generation.prompt.as_str()),
            created_at: generation.created_at,
        };
        let (labelled, mime) = label_image(&bytes, &asset.mime, &label)?;
        let path = super::conversations::export_path(out, &generation.prompt, crate::media::extension(mime))?;
        std::fs::write(&path, labelled)?;
        Ok(path)
    }
}

/// The settings stored with a generation: enough to run it again.
fn image_params(request: &ImageRequest) -> Value {
    json!({
        "model": request.model.trim(),
        "prompt": request.prompt.trim(),
        "size": request.size,
        "n": request.n,
        "quality": request.quality,
        "style": request.style,
        "extra": request.extra,
        "input_asset_ids": request.input_asset_ids,
        "mask_asset_id": request.mask_asset_id,
    })
}
