//! The export archive's container: a folder or a .zip, written and read entry by entry so
//! a large library never sits in memory. Every entry is hashed as it goes through.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::types::{ArchiveCounts, ExportSelection};

pub const FORMAT: &str = "nexhina-studio-export";
pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST: &str = "manifest.json";

/// `manifest.json`: what the archive is, what it holds, and each file's checksum.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub app_version: String,
    pub created_at: i64,
    pub selection: ExportSelection,
    pub counts: ArchiveCounts,
    /// Every other file in the archive, by its path inside it.
    pub files: BTreeMap<String, FileSum>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSum {
    pub sha256: String,
    pub bytes: u64,
    /// A generated image written with its AI label; without the label it is the file
    /// its name's hash is of.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub labelled: bool,
}

/// Writes entries one at a time into `<out>.partial`; `finish` renames it to `out`, so a
/// cancelled or crashed export never looks like a finished one.
pub struct ArchiveWriter {
    target: Target,
    partial: PathBuf,
    out: PathBuf,
    current: Option<(String, Sha256, u64)>,
    pub files: BTreeMap<String, FileSum>,
}

enum Target {
    Folder { file: Option<BufWriter<File>> },
    Zip(Box<zip::ZipWriter<BufWriter<File>>>),
}

pub fn is_zip_path(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

pub fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

impl ArchiveWriter {
    pub fn create(out: &Path) -> Result<ArchiveWriter> {
        if out.exists() {
            return Err(Error::InvalidInput(format!("{} already exists; choose another name", out.display())));
        }
        if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::InvalidInput(format!("cannot create {}: {e}", parent.display())))?;
        }
        let partial = partial_path(out);
        remove_any(&partial);
        let target = if is_zip_path(out) {
            let file = File::create(&partial).map_err(|e| Error::InvalidInput(format!("cannot write {}: {e}", partial.display())))?;
            Target::Zip(Box::new(zip::ZipWriter::new(BufWriter::new(file))))
        } else {
            std::fs::create_dir_all(&partial)
                .map_err(|e| Error::InvalidInput(format!("cannot write {}: {e}", partial.display())))?;
            Target::Folder { file: None }
        };
        Ok(ArchiveWriter { target, partial, out: out.to_path_buf(), current: None, files: BTreeMap::new() })
    }

    /// Starts an entry; media are stored as they are (already compressed), text deflated.
    pub fn begin(&mut self, name: &str, compress: bool) -> Result<()> {
        self.end()?;
        match &mut self.target {
            Target::Folder { file } => {
                let path = self.partial.join(name);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                *file = Some(BufWriter::new(File::create(&path)?));
            }
            Target::Zip(zip) => {
                let method = if compress { zip::CompressionMethod::Deflated } else { zip::CompressionMethod::Stored };
                let options = zip::write::SimpleFileOptions::default().compression_method(method).large_file(true);
                zip.start_file(name, options).map_err(zip_error)?;
            }
        }
        self.current = Some((name.to_string(), Sha256::new(), 0));
        Ok(())
    }

    /// Ends the entry being written and records its checksum.
    pub fn end(&mut self) -> Result<()> {
        if let Some((name, hasher, bytes)) = self.current.take() {
            if let Target::Folder { file } = &mut self.target {
                if let Some(mut f) = file.take() {
                    f.flush()?;
                }
            }
            self.files.insert(name, FileSum { sha256: hex::encode(hasher.finalize()), bytes, labelled: false });
        }
        Ok(())
    }

    /// Copies a whole file in as one entry.
    pub fn add_file(&mut self, name: &str, source: &Path) -> Result<()> {
        let mut input = File::open(source)
            .map_err(|e| Error::Storage(format!("the stored file {} cannot be read: {e}", source.display())))?;
        self.begin(name, false)?;
        std::io::copy(&mut input, self)?;
        self.end()
    }

    /// Writes a labelled image as one entry.
    pub fn add_labelled(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.begin(name, false)?;
        self.write_all(bytes)?;
        self.end()?;
        if let Some(sum) = self.files.get_mut(name) {
            sum.labelled = true;
        }
        Ok(())
    }

    /// Writes the manifest and renames the archive into place.
    pub fn finish(mut self, manifest: &Manifest) -> Result<u64> {
        self.end()?;
        let text = serde_json::to_vec_pretty(manifest)?;
        match &mut self.target {
            Target::Folder { .. } => std::fs::write(self.partial.join(MANIFEST), &text)?,
            Target::Zip(zip) => {
                let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
                zip.start_file(MANIFEST, options).map_err(zip_error)?;
                zip.write_all(&text)?;
            }
        }
        let target = std::mem::replace(&mut self.target, Target::Folder { file: None });
        if let Target::Zip(zip) = target {
            let file = zip.finish().map_err(zip_error)?;
            let file = file.into_inner().map_err(|e| Error::Storage(e.to_string()))?;
            file.sync_all()?;
        }
        std::fs::rename(&self.partial, &self.out)?;
        Ok(size_of(&self.out))
    }

    /// Removes the partial archive (cancel or failure).
    pub fn abandon(self) {
        let partial = self.partial.clone();
        drop(self);
        remove_any(&partial);
    }
}

impl Write for ArchiveWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = match &mut self.target {
            Target::Folder { file: Some(f) } => f.write(buf)?,
            Target::Folder { file: None } => return Err(std::io::Error::other("no entry started")),
            Target::Zip(zip) => zip.write(buf)?,
        };
        if let Some((_, hasher, bytes)) = &mut self.current {
            hasher.update(&buf[..n]);
            *bytes += n as u64;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.target {
            Target::Folder { file: Some(f) } => f.flush(),
            Target::Folder { file: None } => Ok(()),
            Target::Zip(zip) => zip.flush(),
        }
    }
}

/// Reads entries of an archive, folder or zip.
pub enum ArchiveReader {
    Folder(PathBuf),
    Zip(Box<zip::ZipArchive<BufReader<File>>>),
}

impl ArchiveReader {
    pub fn open(path: &Path) -> Result<ArchiveReader> {
        let not_export = || Error::InvalidInput(format!("{} is not a Nexhina Studio export", path.display()));
        if path.is_dir() {
            return Ok(ArchiveReader::Folder(path.to_path_buf()));
        }
        let file = File::open(path).map_err(|e| Error::InvalidInput(format!("cannot read {}: {e}", path.display())))?;
        let zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|_| not_export())?;
        Ok(ArchiveReader::Zip(Box::new(zip)))
    }

    /// Calls `read` with the entry's contents; `None` if the archive has no such entry.
    pub fn with_entry<T>(&mut self, name: &str, read: impl FnOnce(&mut dyn Read) -> Result<T>) -> Result<Option<T>> {
        match self {
            ArchiveReader::Folder(root) => match File::open(root.join(name)) {
                Ok(f) => read(&mut BufReader::new(f)).map(Some),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
            ArchiveReader::Zip(zip) => match zip.by_name(name) {
                Ok(mut entry) => read(&mut entry).map(Some),
                Err(zip::result::ZipError::FileNotFound) => Ok(None),
                Err(e) => Err(damaged(format!("{name}: {e}"))),
            },
        }
    }

    /// The manifest, checked to be this app's format in a version this build reads.
    pub fn manifest(&mut self) -> Result<Manifest> {
        let value: serde_json::Value = self
            .with_entry(MANIFEST, |r| {
                let mut text = Vec::new();
                // A manifest lists every file; 256 MB is far beyond any real one.
                r.take(256 << 20).read_to_end(&mut text)?;
                serde_json::from_slice(&text).map_err(|e| damaged(format!("{MANIFEST}: {e}")))
            })?
            .ok_or_else(|| Error::InvalidInput("this is not a Nexhina Studio export: it has no manifest.json".into()))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(Error::InvalidInput("this is not a Nexhina Studio export: its manifest names another format".into()));
        }
        let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version > FORMAT_VERSION as u64 {
            return Err(Error::InvalidInput(format!(
                "this export was written by a newer Nexhina Studio (format {version}); update the app to import it"
            )));
        }
        serde_json::from_value(value).map_err(|e| damaged(format!("{MANIFEST}: {e}")))
    }

    /// Hashes every listed file and compares it with the manifest.
    pub fn verify(&mut self, manifest: &Manifest, cancelled: &dyn Fn() -> bool) -> Result<()> {
        for (name, sum) in &manifest.files {
            if cancelled() {
                return Err(cancelled_import());
            }
            if !allowed_entry(name) {
                return Err(damaged(format!("it lists an unexpected file {name:?}")));
            }
            let (sha256, bytes) = self
                .with_entry(name, |r| {
                    let mut hasher = Sha256::new();
                    let bytes = std::io::copy(r, &mut HashSink(&mut hasher))?;
                    Ok((hex::encode(hasher.finalize()), bytes))
                })?
                .ok_or_else(|| damaged(format!("{name} is missing")))?;
            if sha256 != sum.sha256 || bytes != sum.bytes {
                return Err(damaged(format!("{name} does not match its checksum")));
            }
        }
        Ok(())
    }
}

struct HashSink<'a>(&'a mut Sha256);

impl Write for HashSink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Only the names this format writes: nothing can point outside the archive or the store.
pub fn allowed_entry(name: &str) -> bool {
    const TABLES: [&str; 6] =
        ["conversations.jsonl", "messages.jsonl", "generations.jsonl", "jobs.jsonl", "usage.jsonl", "assets.jsonl"];
    if TABLES.contains(&name) {
        return true;
    }
    let parts: Vec<&str> = name.split('/').collect();
    let hashed = |dir: &str, file: &str| {
        let (stem, ext) = file.split_once('.').unwrap_or((file, ""));
        dir.len() == 2
            && stem.len() == 64
            && stem.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            && stem.starts_with(dir)
            && !ext.is_empty()
            && ext.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    match parts.as_slice() {
        ["media", "thumbs", dir, file] => hashed(dir, file) && file.ends_with(".jpg"),
        ["media", dir, file] => *dir != "thumbs" && hashed(dir, file),
        _ => false,
    }
}

pub fn damaged(why: String) -> Error {
    Error::InvalidInput(format!("The archive is damaged and was not imported ({why}). Nothing was changed."))
}

pub fn cancelled_import() -> Error {
    Error::Cancelled("The import was cancelled; nothing was changed.".into())
}

fn zip_error(e: zip::result::ZipError) -> Error {
    Error::Storage(format!("could not write the zip archive: {e}"))
}

fn remove_any(path: &Path) {
    if path.is_dir() {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}

fn size_of(path: &Path) -> u64 {
    if path.is_dir() {
        std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| size_of(&e.path())).sum())
            .unwrap_or(0)
    } else {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_formats_own_names_are_accepted() {
        let sha = "ab".to_string() + &"0".repeat(62);
        assert!(allowed_entry("messages.jsonl"));
        assert!(allowed_entry(&format!("media/ab/{sha}.png")));
        assert!(allowed_entry(&format!("media/thumbs/ab/{sha}.jpg")));
        assert!(!allowed_entry(&format!("media/cd/{sha}.png")), "the folder is the hash's first two letters");
        assert!(!allowed_entry("../library.sqlite3"));
        assert!(!allowed_entry(&format!("media/ab/../../{sha}.png")));
        assert!(!allowed_entry("/etc/passwd"));
        assert!(!allowed_entry("media/ab/x.png"));
    }
}
