//! The media store: files named by their sha256 under `<data dir>/media`, thumbnails beside
//! them. Metadata lives in the library's `assets` table.

pub mod audio;
mod images;
pub mod labels;
pub mod recorder;
pub mod video;

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use images::{inspect_image, thumbnail_jpeg, ImageInfo, MAX_IMAGE_BYTES};

use crate::error::{Error, Result};
use crate::library::assets::NewAsset;
use crate::library::Library;
use crate::types::AssetView;

pub const MEDIA_DIR: &str = "media";

/// Whether a file came from the user or from the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Uploaded,
    Generated,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Uploaded => "uploaded",
            Origin::Generated => "generated",
        }
    }
}

/// `ab/abcdef….png`: a two-letter fan-out keeps folders small with 100k files.
pub fn file_name(sha256: &str, mime: &str) -> PathBuf {
    PathBuf::from(&sha256[..2]).join(format!("{sha256}.{}", extension(mime)))
}

pub fn thumbnail_name(sha256: &str) -> PathBuf {
    PathBuf::from("thumbs").join(&sha256[..2]).join(format!("{sha256}.jpg"))
}

pub fn extension(mime: &str) -> &'static str {
    match mime {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "image/bmp" => "bmp",
        "audio/mpeg" => "mp3",
        "audio/wav" => "wav",
        "audio/flac" => "flac",
        "audio/ogg" => "ogg",
        "audio/aac" => "aac",
        "audio/mp4" => "m4a",
        "audio/webm" => "webm",
        "audio/opus" => "opus",
        "audio/pcm" => "pcm",
        "video/mp4" => "mp4",
        "video/webm" => "webm",
        _ => "bin",
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A temporary name no other writer in this process or another one uses at the same time.
pub(crate) fn temp_name(dir: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    dir.join(format!(".{}-{n}.tmp", std::process::id()))
}

/// Writes a file atomically (temp file + rename), so a crash never leaves half a file
/// under a content hash.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().ok_or_else(|| Error::Storage("media path has no folder".into()))?;
    std::fs::create_dir_all(dir)?;
    let tmp = temp_name(dir);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

impl Library {
    pub fn media_root(&self) -> PathBuf {
        self.path().parent().map(|p| p.join(MEDIA_DIR)).unwrap_or_else(|| PathBuf::from(MEDIA_DIR))
    }

    /// Copies an image the user attached into the store, after checking it is a whole,
    /// decodable image of a sane size. Returns the stored file.
    pub fn import_image(&self, bytes: &[u8], original_name: Option<&str>) -> Result<AssetView> {
        self.store_image(bytes, original_name, Origin::Uploaded)
    }

    /// Stores an image the platform generated, exactly as received.
    pub fn store_generated_image(&self, bytes: &[u8]) -> Result<AssetView> {
        self.store_image(bytes, None, Origin::Generated)
    }

    fn store_image(&self, bytes: &[u8], original_name: Option<&str>, origin: Origin) -> Result<AssetView> {
        let info = inspect_image(bytes)?;
        let sha = sha256_hex(bytes);
        let root = self.media_root();
        write_atomically(&root.join(file_name(&sha, info.mime)), bytes)?;
        let thumbnail = images::thumbnail_jpeg(bytes, Some(&info.image))?;
        let has_thumbnail = match thumbnail {
            Some(jpeg) => {
                write_atomically(&root.join(thumbnail_name(&sha)), &jpeg)?;
                true
            }
            None => false,
        };
        // A path in a file name is never trusted: keep only its last component.
        let name = original_name.map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n)).filter(|n| !n.is_empty());
        self.insert_asset(&NewAsset {
            sha256: &sha,
            mime: info.mime,
            size_bytes: bytes.len() as i64,
            width: Some(info.width),
            height: Some(info.height),
            origin: origin.as_str(),
            original_name: name,
            has_thumbnail,
        })
    }

    /// Reads an image file from disk into the store, refusing huge files before reading.
    pub fn import_image_file(&self, path: &Path) -> Result<AssetView> {
        let meta = std::fs::metadata(path)
            .map_err(|e| Error::InvalidInput(format!("cannot read {}: {e}", path.display())))?;
        if !meta.is_file() {
            return Err(Error::InvalidInput(format!("{} is not a file", path.display())));
        }
        if meta.len() > MAX_IMAGE_BYTES as u64 {
            return Err(images::too_large(meta.len()));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::InvalidInput(format!("cannot read {}: {e}", path.display())))?;
        let name = path.file_name().and_then(|n| n.to_str());
        self.import_image(&bytes, name)
    }

    /// Stores audio: a clip the platform spoke, or a recording or file the user brings for
    /// transcription (checked to be audio before anything is sent).
    pub fn store_audio(&self, bytes: &[u8], mime: &str, origin: Origin, original_name: Option<&str>) -> Result<AssetView> {
        let sha = sha256_hex(bytes);
        let path = self.media_root().join(file_name(&sha, mime));
        write_atomically(&path, bytes)?;
        let name = original_name.map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n)).filter(|n| !n.is_empty());
        let asset = self.insert_asset(&NewAsset {
            sha256: &sha,
            mime,
            size_bytes: bytes.len() as i64,
            width: None,
            height: None,
            origin: origin.as_str(),
            original_name: name,
            has_thumbnail: false,
        })?;
        if let Some(duration) = audio::duration_of(&path) {
            self.set_asset_duration(asset.id, duration.as_millis() as i64)?;
        }
        Ok(asset)
    }

    /// Brings an audio file from disk for transcription: size and format checked first.
    pub fn import_audio_file(&self, path: &Path) -> Result<AssetView> {
        let meta = std::fs::metadata(path).map_err(|e| Error::InvalidInput(format!("cannot read {}: {e}", path.display())))?;
        if !meta.is_file() {
            return Err(Error::InvalidInput(format!("{} is not a file", path.display())));
        }
        if meta.len() > audio::MAX_AUDIO_BYTES {
            return Err(Error::InvalidInput(format!(
                "the file is {:.1} MB; the platform takes audio up to {} MB",
                meta.len() as f64 / 1_048_576.0,
                audio::MAX_AUDIO_BYTES / 1_048_576
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::InvalidInput(format!("cannot read {}: {e}", path.display())))?;
        let mime = audio::sniff_audio(&bytes).ok_or_else(|| {
            Error::InvalidInput("this file is not audio the platform can read (flac, mp3, mp4, m4a, ogg, wav or webm)".into())
        })?;
        self.store_audio(&bytes, mime, Origin::Uploaded, path.file_name().and_then(|n| n.to_str()))
    }

    /// Stores a generated video with its poster (as the asset's thumbnail) and duration.
    pub fn store_generated_video(&self, bytes: &[u8]) -> Result<AssetView> {
        let dir = self.incoming_dir()?;
        let tmp = temp_name(&dir);
        std::fs::write(&tmp, bytes)?;
        self.store_generated_video_file(&tmp)
    }

    /// Where downloads are written before they are checked and moved into the store.
    pub fn incoming_dir(&self) -> Result<PathBuf> {
        let dir = self.media_root().join(".incoming");
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Moves a downloaded video file into the store (hashed as it is read, never whole in
    /// memory), with its poster and duration. The file is gone afterwards, stored or not.
    pub fn store_generated_video_file(&self, file: &Path) -> Result<AssetView> {
        let checked = (|| -> Result<(&'static str, String, u64)> {
            let mut reader = std::fs::File::open(file)?;
            let mut head = [0u8; 64];
            let n = std::io::Read::read(&mut reader, &mut head)?;
            let mime = video::sniff_video(&head[..n])?;
            let mut reader = std::fs::File::open(file)?;
            let mut hasher = Sha256::new();
            let length = std::io::copy(&mut reader, &mut hasher)?;
            Ok((mime, hex::encode(hasher.finalize()), length))
        })();
        let (mime, sha, length) = match checked {
            Ok(found) => found,
            Err(e) => {
                let _ = std::fs::remove_file(file);
                return Err(e);
            }
        };
        let root = self.media_root();
        let path = root.join(file_name(&sha, mime));
        if path.exists() {
            let _ = std::fs::remove_file(file);
        } else {
            std::fs::create_dir_all(path.parent().ok_or_else(|| Error::Storage("media path has no folder".into()))?)?;
            std::fs::rename(file, &path)?;
        }
        let (poster, duration_ms) = video::poster_and_duration(&path);
        let mut size = (None, None);
        let has_thumbnail = match poster {
            Some(jpeg) => {
                let frame = inspect_image(&jpeg).ok();
                size = (frame.as_ref().map(|f| f.width), frame.as_ref().map(|f| f.height));
                let thumb = images::thumbnail_jpeg(&jpeg, None)?.unwrap_or(jpeg);
                write_atomically(&root.join(thumbnail_name(&sha)), &thumb)?;
                true
            }
            None => false,
        };
        let asset = self.insert_asset(&NewAsset {
            sha256: &sha,
            mime,
            size_bytes: length as i64,
            width: size.0,
            height: size.1,
            origin: Origin::Generated.as_str(),
            original_name: None,
            has_thumbnail,
        })?;
        if let Some(ms) = duration_ms {
            self.set_asset_duration(asset.id, ms)?;
        }
        Ok(asset)
    }

    /// Removes files no row refers to any more (and their thumbnails).
    pub fn remove_files(&self, assets: &[AssetView]) {
        for asset in assets {
            let _ = std::fs::remove_file(&asset.path);
            if let Some(thumb) = &asset.thumbnail_path {
                let _ = std::fs::remove_file(thumb);
            }
        }
    }

    pub fn read_asset(&self, asset: &AssetView) -> Result<Vec<u8>> {
        std::fs::read(&asset.path).map_err(|e| Error::Storage(format!("the stored file {} is missing: {e}", asset.sha256)))
    }
}
