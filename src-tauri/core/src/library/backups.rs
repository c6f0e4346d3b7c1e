//! Copies of the library file: rolling daily ones made with SQLite's online backup API
//! (consistent while the app and the CLI write), listed with dates and sizes, and restored
//! by checking a copy first and then copying it into the open database in one step.
//!
//! A database alone cannot bring back an image erased after it was taken, so daily, manual
//! and before-restore copies also keep the media their rows refer to, in `backups/media`:
//! one content-addressed folder shared by every copy, hard links where the file system
//! allows (no extra space while the library still has the file). A file goes from there
//! when no such copy refers to it any more.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};

use super::{migrations, Library, BACKUP_DIR};
use crate::error::{Error, Result};
use crate::media::{file_name, temp_name, thumbnail_name, MEDIA_DIR};
use crate::types::{BackupInfo, RestoreReport};

/// Daily copies kept; older ones are removed when a new one is made.
pub const DAILY_KEPT: usize = 5;
const DAILY: &str = "library-daily-";
const BEFORE_RESTORE: &str = "library-before-restore-";
/// Inside the backups folder, laid out like the media store.
const KEPT_MEDIA: &str = MEDIA_DIR;
/// A copy still unfinished after this long was left by a process that died.
const STALE_PARTIAL: Duration = Duration::from_secs(24 * 60 * 60);

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
        prune_kept_media(&self.backup_dir());
        Ok(Some(info))
    }

    /// A copy now, whatever the day (`nexhina backup create`).
    pub fn create_backup(&self, now: i64) -> Result<BackupInfo> {
        let name = format!("{DAILY}{}-{now}.sqlite3", day_of(now));
        self.backup_to(&name)
    }

    /// A copy of the database and of the media its rows refer to.
    fn backup_to(&self, name: &str) -> Result<BackupInfo> {
        let dir = self.backup_dir();
        let path = copy_database(&self.conn(), &dir, name, Some((&self.media_root(), &dir.join(KEPT_MEDIA))))?;
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
    /// state is itself backed up first, so a restore can be undone. Files the restored
    /// rows need are put back from the kept media; those neither has are counted.
    pub fn restore_backup(&self, id: &str, now: i64) -> Result<RestoreReport> {
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

    fn restore_from(&self, source: &Path, staging: &Path, now: i64) -> Result<RestoreReport> {
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
        // Files first, so no restored row points at a file that is not back yet.
        let report = self.restore_media(&copy)?;
        let mut conn = self.conn();
        // One step copies every page under one write lock: readers see the old library or
        // the restored one, never a mix.
        let backup = Backup::new(&copy, &mut conn)?;
        backup
            .run_to_completion(i32::MAX, Duration::from_millis(0), None)
            .map_err(|e| Error::Storage(format!("the backup could not be restored: {e}")))?;
        Ok(report)
    }

    /// Puts back, from the kept media, every file the rows of `copy` refer to that the
    /// store no longer has.
    fn restore_media(&self, copy: &Connection) -> Result<RestoreReport> {
        let (store, kept) = (self.media_root(), self.backup_dir().join(KEPT_MEDIA));
        let mut report = RestoreReport::default();
        for (file, thumbnail) in referenced_files(copy)? {
            for (name, counted) in [(Some(file), true), (thumbnail, false)] {
                let Some(name) = name else { continue };
                if store.join(&name).exists() {
                    continue;
                }
                if kept.join(&name).is_file() {
                    link_or_copy(&kept.join(&name), &store.join(&name))?;
                    report.files_restored += u64::from(counted);
                } else {
                    // A thumbnail is only a preview; the file itself is what is missing.
                    report.files_missing += u64::from(counted);
                }
            }
        }
        Ok(report)
    }
}

/// Copies a database into `dir/name` with SQLite's online backup API, which reads one
/// consistent snapshot while the app and the CLI keep writing, and with `media` (the
/// store, the kept folder) keeps the files its rows refer to. It is written under a hidden
/// name and renamed, so a file listed as a backup is always whole.
pub(super) fn copy_database(conn: &Connection, dir: &Path, name: &str, media: Option<(&Path, &Path)>) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let partial = dir.join(format!(".{name}.partial"));
    let _ = std::fs::remove_file(&partial);
    let copied = (|| -> Result<()> {
        let mut target = Connection::open(&partial)?;
        {
            let backup = Backup::new(conn, &mut target)?;
            // Small steps let the other process write between them.
            backup
                .run_to_completion(256, Duration::from_millis(5), None)
                .map_err(|e| Error::Storage(format!("the backup could not be written: {e}")))?;
        }
        // The page copy carries the library's WAL mode; a plain journal lets a copy be
        // read without leaving -wal and -shm files beside it.
        target.pragma_update(None, "journal_mode", "DELETE")?;
        if let Some((store, kept)) = media {
            for (file, thumbnail) in referenced_files(&target)? {
                for name in std::iter::once(file).chain(thumbnail) {
                    // A file the store has lost already cannot be kept; restore counts it.
                    if !kept.join(&name).exists() && store.join(&name).is_file() {
                        link_or_copy(&store.join(&name), &kept.join(&name))?;
                    }
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    let path = dir.join(name);
    std::fs::rename(&partial, &path)?;
    Ok(path)
}

/// The store's names of the files a library's rows refer to: each file and its thumbnail.
fn referenced_files(conn: &Connection) -> Result<Vec<(PathBuf, Option<PathBuf>)>> {
    let mut stmt = conn.prepare("SELECT sha256, mime, thumbnail_sha256 IS NOT NULL FROM assets")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))?;
    let mut files = Vec::new();
    for row in rows {
        let (sha, mime, has_thumbnail) = row?;
        // A name from a copy is never trusted to stay inside the folder.
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            continue;
        }
        files.push((file_name(&sha, &mime), has_thumbnail.then(|| thumbnail_name(&sha))));
    }
    Ok(files)
}

/// A hard link where the file system allows one (stored files are never changed in place,
/// only replaced or removed, so sharing them is safe), else a copy moved into place whole.
fn link_or_copy(source: &Path, target: &Path) -> Result<()> {
    let dir = target.parent().ok_or_else(|| Error::Storage("media path has no folder".into()))?;
    std::fs::create_dir_all(dir)?;
    match std::fs::hard_link(source, target) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        // Another file system, or one without hard links.
        Err(_) => {}
    }
    let tmp = temp_name(dir);
    let copied = std::fs::copy(source, &tmp).and_then(|_| std::fs::File::open(&tmp)?.sync_all());
    if let Err(e) = copied.and_then(|()| std::fs::rename(&tmp, target)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    Ok(())
}

/// Removes kept files no daily, manual or before-restore copy refers to any more
/// (migration copies hold the database only). While another process is still writing a
/// copy, nothing is removed: its files may not be readable in it yet.
fn prune_kept_media(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut wanted = HashSet::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(writing) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".partial")) {
            if !keeps_media(writing) {
                continue;
            }
            let age = entry.metadata().and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
            if age.is_some_and(|a| a > STALE_PARTIAL) {
                let _ = std::fs::remove_file(entry.path()); // left by a crash
                continue;
            }
            return;
        }
        if !name.ends_with(".sqlite3") || !keeps_media(&name) {
            continue;
        }
        // A copy that cannot be read cannot be restored either.
        if let Ok(files) = open_copy(&entry.path()).and_then(|c| referenced_files(&c)) {
            wanted.extend(files.into_iter().flat_map(|(f, t)| std::iter::once(f).chain(t)));
        }
    }
    let kept = dir.join(KEPT_MEDIA);
    sweep_kept(&kept, &kept, &wanted);
}

fn keeps_media(name: &str) -> bool {
    name.starts_with(DAILY) || name.starts_with(BEFORE_RESTORE)
}

/// Opens a finished copy to read it. `immutable` tells SQLite nothing changes the file, so
/// it takes no locks and leaves no -wal or -shm beside it (copies made before they were
/// switched to a plain journal are in WAL mode).
fn open_copy(path: &Path) -> Result<Connection> {
    let absolute = std::path::absolute(path)?;
    let url = url::Url::from_file_path(&absolute)
        .map_err(|()| Error::Storage(format!("{} cannot be opened as a backup", path.display())))?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Ok(Connection::open_with_flags(format!("{url}?immutable=1"), flags)?)
}

fn sweep_kept(root: &Path, dir: &Path, wanted: &HashSet<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            sweep_kept(root, &path, wanted);
            let _ = std::fs::remove_dir(&path); // only when empty
        } else if !entry.file_name().to_string_lossy().starts_with('.')
            && path.strip_prefix(root).is_ok_and(|p| !wanted.contains(p))
        {
            let _ = std::fs::remove_file(&path);
        }
    }
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
    // What restoring it brings back: the database, and the media its rows refer to.
    let media_bytes = if keeps_media(&name) {
        open_copy(path)
            .and_then(|c| Ok(c.query_row("SELECT coalesce(sum(size_bytes), 0) FROM assets", [], |r| r.get::<_, i64>(0))?))
            .unwrap_or(0)
    } else {
        0
    };
    Some(BackupInfo { id: name, reason: reason.into(), created_at, size_bytes: meta.len() + media_bytes.max(0) as u64 })
}

/// `YYYY-MM-DD` (UTC) of a Unix time in ms.
pub fn day_of(ms: i64) -> String {
    let date = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)).map(|t| t.date()).unwrap_or(time::Date::MIN);
    format!("{:04}-{:02}-{:02}", date.year(), date.month() as u8, date.day())
}
