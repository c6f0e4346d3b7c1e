//! Copies of the library file: rolling daily ones made with SQLite's online backup API
//! (consistent while the app and the CLI write), listed with dates and sizes, and restored
//! by checking a copy first and then copying it into the open database in one step.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use super::{migrations, Library, BACKUP_DIR};
use crate::error::{Error, Result};
use crate::types::BackupInfo;

/// Daily copies kept; older ones are removed when a new one is made.
pub const DAILY_KEPT: usize = 5;
const DAILY: &str = "library-daily-";
const BEFORE_RESTORE: &str = "library-before-restore-";

impl Library {
    pub fn backup_dir(&self) -> PathBuf {
        self.path().parent().map(|p| p.join(BACKUP_DIR)).unwrap_or_else(|| PathBuf::from(BACKUP_DIR))
    }

    /// Makes today's copy unless one exists (`now` in Unix ms), and keeps the newest few.
    pub fn daily_backup(&self, now: i64) -> Result<Option<BackupInfo>> {
        let day = day_of(now);
        let name = format!("{DAILY}{day}.sqlite3");
        if self.backup_dir().join(&name).exists() {
            return Ok(None);
        }
        let info = self.backup_to(&name)?;
        let mut daily: Vec<BackupInfo> = self.backups()?.into_iter().filter(|b| b.reason == "daily").collect();
        daily.sort_by(|a, b| b.id.cmp(&a.id));
        for old in daily.iter().skip(DAILY_KEPT) {
            let _ = std::fs::remove_file(self.backup_dir().join(&old.id));
        }
        Ok(Some(info))
    }

    /// A copy now, whatever the day (`nexhina backup create`).
    pub fn create_backup(&self, now: i64) -> Result<BackupInfo> {
        let name = format!("{DAILY}{}-{now}.sqlite3", day_of(now));
        self.backup_to(&name)
    }

    fn backup_to(&self, name: &str) -> Result<BackupInfo> {
        let path = copy_database(&self.conn(), &self.backup_dir(), name)?;
        info_of(&path).ok_or_else(|| Error::Storage("the backup vanished after it was written".into()))
    }

    /// Every copy in the backups folder, newest first.
    pub fn backups(&self) -> Result<Vec<BackupInfo>> {
        let mut list: Vec<BackupInfo> = match std::fs::read_dir(self.backup_dir()) {
            Ok(entries) => entries.flatten().filter_map(|e| info_of(&e.path())).collect(),
            Err(_) => Vec::new(),
        };
        list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(list)
    }

    /// Replaces the library's contents with a backup. The backup is first copied, brought
    /// to this version's schema and checked, so a bad file changes nothing; the current
    /// state is itself backed up first, so a restore can be undone.
    pub fn restore_backup(&self, id: &str, now: i64) -> Result<()> {
        if id.contains(['/', '\\']) || id.starts_with('.') {
            return Err(Error::InvalidInput(format!("no backup is called {id:?}")));
        }
        let source = self.backup_dir().join(id);
        if !source.is_file() {
            return Err(Error::NotFound(format!("backup {id}")));
        }
        let staging = self.backup_dir().join(format!(".restore-{now}.sqlite3"));
        let result = self.restore_from(&source, &staging, now);
        let _ = std::fs::remove_file(&staging);
        result
    }

    fn restore_from(&self, source: &Path, staging: &Path, now: i64) -> Result<()> {
        std::fs::copy(source, staging)?;
        {
            let mut copy = Connection::open(staging)?;
            let ok: String = copy
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .map_err(|e| Error::InvalidInput(format!("the backup cannot be read: {e}")))?;
            if ok != "ok" {
                return Err(Error::InvalidInput(format!("the backup is damaged: {ok}")));
            }
            // An older copy is upgraded here, on the copy, never on the live file.
            let scratch = tempdir_beside(staging);
            migrations::migrate(&mut copy, &scratch)?;
            let _ = std::fs::remove_dir_all(&scratch);
        }
        self.backup_to(&format!("{BEFORE_RESTORE}{now}.sqlite3"))?;
        let copy = Connection::open_with_flags(staging, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut conn = self.conn();
        // One step copies every page under one write lock: readers see the old library or
        // the restored one, never a mix.
        let backup = Backup::new(&copy, &mut conn)?;
        backup
            .run_to_completion(i32::MAX, Duration::from_millis(0), None)
            .map_err(|e| Error::Storage(format!("the backup could not be restored: {e}")))?;
        Ok(())
    }
}

/// Copies a database into `dir/name` with SQLite's online backup API, which reads one
/// consistent snapshot while the app and the CLI keep writing. It is written under a
/// hidden name and renamed, so a file listed as a backup is always whole.
pub(super) fn copy_database(conn: &Connection, dir: &Path, name: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let partial = dir.join(format!(".{name}.partial"));
    let _ = std::fs::remove_file(&partial);
    let copied = (|| -> Result<()> {
        let mut target = Connection::open(&partial)?;
        let backup = Backup::new(conn, &mut target)?;
        // Small steps let the other process write between them.
        backup
            .run_to_completion(256, Duration::from_millis(5), None)
            .map_err(|e| Error::Storage(format!("the backup could not be written: {e}")))
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let path = dir.join(name);
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

fn tempdir_beside(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".migration-copies");
    path.with_file_name(name)
}

fn info_of(path: &Path) -> Option<BackupInfo> {
    let name = path.file_name()?.to_str()?.to_string();
    if name.starts_with('.') || !name.ends_with(".sqlite3") {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    let reason = if name.starts_with(DAILY) {
        "daily"
    } else if name.starts_with(BEFORE_RESTORE) {
        "before_restore"
    } else {
        "migration"
    };
    let created_at = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Some(BackupInfo { id: name, reason: reason.into(), created_at, size_bytes: meta.len() })
}

/// `YYYY-MM-DD` (UTC) of a Unix time in ms.
pub fn day_of(ms: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).map(|t| t.date()).unwrap_or(time::Date::MIN);
    format!("{:04}-{:02}-{:02}", date.year(), date.month() as u8, date.day())
}
