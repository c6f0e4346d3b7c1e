//! The Privacy & data use cases: export and import, retention and purge, erasure,
//! backups and usage. Long work takes a progress callback and a cancel check, so the
//! app can show a bar and the CLI can stop on Ctrl+C.

use std::path::{Path, PathBuf};

use super::conversations::{downloads_folder, free_path};
use super::Studio;
use crate::error::Result;
use crate::library::now_ms;
use crate::types::{EraseSelection, 
    BackupInfo, DataProgress, ExportReport, ExportSelection, ImportReport, LibrarySummary, PurgeReport, RestoreReport,
    RetentionPolicy, UsageReport,
};

impl Studio {
    pub fn export_library(
        &self,
        out: &Path,
        selection: &ExportSelection,
        progress: &mut dyn FnMut(DataProgress),
        cancelled: &dyn Fn() -> bool,
    ) -> Result<ExportReport> {
        self.library.export_archive(out, selection, progress, cancelled)
    }

    /// Where an export goes unless the person says otherwise: a dated name in Downloads
    /// that does not exist yet (a `.zip`, or a folder).
    pub fn default_export_path(&self, zip: bool) -> Result<PathBuf> {
        let today = time::OffsetDateTime::now_utc().date();
        let stem = format!("nexhina-export-{}-{:02}-{:02}", today.year(), u8::from(today.month()), today.day());
        let folder = downloads_folder()?;
        if zip {
            return Ok(free_path(&folder, &stem, "zip"));
        }
        let first = folder.join(&stem);
        if !first.exists() {
            return Ok(first);
        }
        Ok((2..).map(|n| folder.join(format!("{stem} ({n})"))).find(|p| !p.exists()).unwrap_or(first))
    }

    pub fn import_library(&self, path: &Path, progress: &mut dyn FnMut(DataProgress), cancelled: &dyn Fn() -> bool) -> Result<ImportReport> {
        self.library.import_archive(path, progress, cancelled)
    }

    pub fn retention(&self) -> Result<RetentionPolicy> {
        self.library.retention()
    }

    /// Saves the policy and applies it at once.
    pub fn set_retention(&self, policy: RetentionPolicy) -> Result<PurgeReport> {
        let policy = RetentionPolicy {
            chats: policy.chats.filter(|d| *d > 0),
            images: policy.images.filter(|d| *d > 0),
            videos: policy.videos.filter(|d| *d > 0),
            speech: policy.speech.filter(|d| *d > 0),
        };
        self.library.set_retention(&policy)?;
        self.purge()
    }

    pub fn purge(&self) -> Result<PurgeReport> {
        self.library.purge(now_ms())
    }

    /// Start-up and daily upkeep: the retention purge, then today's backup.
    pub fn maintain(&self) -> Result<PurgeReport> {
        let report = self.purge()?;
        self.library.daily_backup(now_ms())?;
        Ok(report)
    }

    /// Erases one generation (image, video, speech clip, transcript) and its files.
    pub fn erase_item(&self, generation_id: i64) -> Result<()> {
        self.delete_generation(generation_id)
    }

    /// Erases a conversation with its messages and the files only it used.
    pub fn erase_conversation(&self, id: i64) -> Result<()> {
        self.erase_conversation_counted(id, &mut PurgeReport::default())
    }

    fn erase_conversation_counted(&self, id: i64, report: &mut PurgeReport) -> Result<()> {
        for m in self.library.messages(id, None, None, 1000)?.items {
            self.running_cancel(m.id);
        }
        let orphans = self.library.erase_conversation(id)?;
        self.remove_counted(&orphans, report);
        report.conversations += 1;
        Ok(())
    }

    /// Removes files nothing refers to any more, counting originals and thumbnails as a
    /// purge does.
    fn remove_counted(&self, assets: &[crate::types::AssetView], report: &mut PurgeReport) {
        for path in assets.iter().flat_map(|a| std::iter::once(&a.path).chain(a.thumbnail_path.as_ref())) {
            if let Ok(meta) = std::fs::metadata(path) {
                report.files += 1;
                report.bytes += meta.len();
            }
        }
        self.library.remove_files(assets);
    }

    /// What erasing a selection would remove (files not counted yet).
    pub fn erase_selection_preview(&self, selection: &EraseSelection) -> Result<PurgeReport> {
        let (conversations, generations) = self.library.selection_ids(selection)?;
        Ok(PurgeReport { conversations: conversations.len() as u64, generations: generations.len() as u64, ..Default::default() })
    }

    /// Erases a selection (kinds, older than a date) item by item, each with the files
    /// only it used, the way one item or one conversation is erased.
    pub fn erase_selection(&self, selection: &EraseSelection) -> Result<PurgeReport> {
        let (conversations, generations) = self.library.selection_ids(selection)?;
        let mut report = PurgeReport::default();
        for id in conversations {
            self.erase_conversation_counted(id, &mut report)?;
        }
        for id in generations {
            let orphans = self.library.delete_generation(id)?;
            self.remove_counted(&orphans, &mut report);
            report.generations += 1;
        }
        Ok(report)
    }

    pub fn library_summary(&self) -> Result<LibrarySummary> {
        self.library.summary()
    }

    /// Erases every row, file and backup, the settings, and the keychain entries of every
    /// platform the library knew.
    pub fn erase_everything(&self) -> Result<()> {
        let platforms = self.library.erase_everything()?;
        for base_url in platforms {
            // A keychain that is not running holds nothing to forget.
            let _ = self.keys.forget(&base_url);
        }
        Ok(())
    }

    pub fn backups(&self) -> Result<Vec<BackupInfo>> {
        self.library.backups()
    }

    pub fn create_backup(&self) -> Result<BackupInfo> {
        self.library.create_backup(now_ms())
    }

    pub fn restore_backup(&self, id: &str) -> Result<RestoreReport> {
        self.library.restore_backup(id, now_ms())
    }

    pub fn usage(&self, since: Option<i64>) -> Result<UsageReport> {
        self.library.usage_report(since)
    }
}
