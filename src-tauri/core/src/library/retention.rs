//! Retention and erasure: expired history really goes (rows, files, thumbnails, search
//! index entries through the tables' triggers), and files no row points at are removed.

use std::collections::HashSet;
use std::path::Path;

use super::{Library, DATABASE_FILE};
use crate::error::Result;
use crate::media::{file_name, thumbnail_name};
use crate::types::{EraseSelection, LibrarySummary, PurgeReport, RetentionPolicy};

const RETENTION: &str = "retention";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// A file younger than this may belong to a row still being written (by this app or the
/// CLI at the same moment), so the orphan sweep leaves it.
const FILE_GRACE_MS: i64 = 60 * 60 * 1000;
/// A file attached in the composer has a row before the message that uses it is sent.
const ASSET_GRACE_MS: i64 = DAY_MS;

impl Library {
    pub fn retention(&self) -> Result<RetentionPolicy> {
        Ok(self.setting(RETENTION)?.unwrap_or_default())
    }

    pub fn set_retention(&self, policy: &RetentionPolicy) -> Result<()> {
        self.set_setting(RETENTION, policy)
    }

    /// Deletes what the retention policy says has expired at `now` (Unix ms), then the
    /// files no row refers to.
    pub fn purge(&self, now: i64) -> Result<PurgeReport> {
        let policy = self.retention()?;
        let cutoff = |days: Option<u32>| days.map(|d| now - d as i64 * DAY_MS);
        let mut report = PurgeReport::default();
        {
            let conn = self.conn();
            let tx = conn.unchecked_transaction()?;
            if let Some(before) = cutoff(policy.chats) {
                // A conversation expires when it was last active before the cutoff.
                report.conversations = tx.execute("DELETE FROM conversations WHERE updated_at < ?1", [before])? as u64;
            }
            let kinds: [(&str, Option<u32>); 3] = [
                ("'image'", policy.images),
                ("'video'", policy.videos),
                ("'speech', 'transcription', 'translation'", policy.speech),
            ];
            for (kinds, days) in kinds {
                if let Some(before) = cutoff(days) {
                    // Work still under way is never purged.
                    report.generations += tx.execute(
                        &format!(
                            "DELETE FROM generations WHERE kind IN ({kinds}) AND created_at < ?1
                                 AND status NOT IN ('pending', 'running')"
                        ),
                        [before],
                    )? as u64;
                }
            }
            tx.commit()?;
        }
        let (files, bytes) = self.sweep_orphans(now)?;
        report.files = files;
        report.bytes = bytes;
        Ok(report)
    }

    /// Removes asset rows nothing refers to, then every file in the store without a row.
    pub fn sweep_orphans(&self, now: i64) -> Result<(u64, u64)> {
        let known: HashSet<String> = {
            let conn = self.conn();
            conn.execute(
                "DELETE FROM assets WHERE created_at < ?1
                     AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.asset_id = assets.id)
                     AND NOT EXISTS (SELECT 1 FROM generation_assets g WHERE g.asset_id = assets.id)",
                [now - ASSET_GRACE_MS],
            )?;
            let mut stmt = conn.prepare("SELECT sha256, mime, thumbnail_sha256 FROM assets")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?)))?;
            let mut known = HashSet::new();
            for row in rows {
                let (sha, mime, thumb) = row?;
                known.insert(file_name(&sha, &mime).to_string_lossy().into_owned());
                if thumb.is_some() {
                    known.insert(thumbnail_name(&sha).to_string_lossy().into_owned());
                }
            }
            known
        };
        let root = self.media_root();
        let mut removed = (0, 0);
        sweep(&root, &root, &known, now, &mut removed);
        Ok(removed)
    }

    /// What "erase everything" will remove, for its confirmation.
    pub fn summary(&self) -> Result<LibrarySummary> {
        let conn = self.conn();
        let n = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|v| v as u64);
        let platforms = conn
            .prepare("SELECT base_url FROM profiles WHERE kind = 'remote' ORDER BY id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        let mut files = (0, 0);
        count_files(&self.media_root(), &mut files);
        let backups = self.backups()?.len() as u64;
        Ok(LibrarySummary {
            conversations: n("SELECT count(*) FROM conversations")?,
            messages: n("SELECT count(*) FROM messages")?,
            generations: n("SELECT count(*) FROM generations")?,
            files: files.0,
            file_bytes: files.1,
            backups,
            platforms,
        })
    }

    /// Empties every table, rewrites the file so deleted text does not linger in free
    /// pages or the WAL, and removes everything else in the data folder (media, backups).
    /// Returns the base URLs whose keychain entries the caller should forget.
    pub fn erase_everything(&self) -> Result<Vec<String>> {
        let platforms = self.summary()?.platforms;
        {
            let conn = self.conn();
            let tables: Vec<(String, String)> = conn
                .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let virtual_tables: Vec<&str> =
                tables.iter().filter(|(_, sql)| sql.starts_with("CREATE VIRTUAL TABLE")).map(|(n, _)| n.as_str()).collect();
            // FTS5 keeps its own shadow tables; those are emptied through the index itself.
            let shadow = |name: &str| virtual_tables.iter().any(|v| name.starts_with(&format!("{v}_")));
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
            for (name, sql) in &tables {
                if sql.starts_with("CREATE VIRTUAL TABLE") {
                    tx.execute(&format!("INSERT INTO \"{name}\" (\"{name}\") VALUES ('delete-all')"), [])?;
                } else if !shadow(name) {
                    tx.execute(&format!("DELETE FROM \"{name}\""), [])?;
                }
            }
            let has_sequence: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence')", [], |r| r.get(0))?;
            if has_sequence {
                tx.execute("DELETE FROM sqlite_sequence", [])?;
            }
            tx.commit()?;
            conn.execute_batch("PRAGMA secure_delete = ON; VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
        }
        let root = self.path().parent().map(Path::to_path_buf).unwrap_or_default();
        for entry in std::fs::read_dir(&root)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(DATABASE_FILE) {
                continue;
            }
            let path = entry.path();
            let _ = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        }
        Ok(platforms)
    }
}

fn sweep(root: &Path, dir: &Path, known: &HashSet<String>, now: i64, removed: &mut (u64, u64)) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            sweep(root, &path, known, now, removed);
            let _ = std::fs::remove_dir(&path); // only when empty
            continue;
        }
        let relative = path.strip_prefix(root).map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        if known.contains(&relative) {
            continue;
        }
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64)
            .unwrap_or(now);
        if now - modified < FILE_GRACE_MS {
            continue;
        }
        if std::fs::remove_file(&path).is_ok() {
            removed.0 += 1;
            removed.1 += meta.len();
        }
    }
}

fn count_files(dir: &Path, acc: &mut (u64, u64)) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        match entry.metadata() {
            Ok(m) if m.is_dir() => count_files(&entry.path(), acc),
            Ok(m) => {
                acc.0 += 1;
                acc.1 += m.len();
            }
            Err(_) => {}
        }
    }
}

impl Library {
    /// Deletes a conversation with its messages and the files only it used; returns those
    /// files for the caller to remove from disk.
    pub fn erase_conversation(&self, id: i64) -> Result<Vec<crate::types::AssetView>> {
        use super::assets::{asset_row, ASSET_COLUMNS};
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let assets: Vec<i64> = tx
            .prepare("SELECT DISTINCT a.asset_id FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.conversation_id = ?1")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if tx.execute("DELETE FROM conversations WHERE id = ?1", [id])? == 0 {
            return Err(crate::Error::NotFound(format!("conversation {id}")));
        }
        let mut orphans = Vec::new();
        for asset in assets {
            let used: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM generation_assets WHERE asset_id = ?1)
                     OR EXISTS (SELECT 1 FROM attachments WHERE asset_id = ?1)",
                [asset],
                |r| r.get(0),
            )?;
            if !used {
                orphans.push(tx.query_row(&format!("SELECT {ASSET_COLUMNS} FROM assets s WHERE s.id = ?1"), [asset], |r| asset_row(r, 0))?);
                tx.execute("DELETE FROM assets WHERE id = ?1", [asset])?;
            }
        }
        tx.commit()?;
        drop(conn);
        Ok(orphans.into_iter().map(|row| self.asset_view(row)).collect())
    }

    /// The conversations and generations a selection covers (work under way excluded).
    pub fn selection_ids(&self, selection: &EraseSelection) -> Result<(Vec<i64>, Vec<i64>)> {
        let wanted = |k: &str| selection.kinds.is_empty() || selection.kinds.iter().any(|s| s == k);
        let before = selection.before.unwrap_or(i64::MAX);
        let conn = self.conn();
        let conversations = if wanted("chat") {
            conn.prepare("SELECT id FROM conversations WHERE updated_at < ?1")?
                .query_map([before], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?
        } else {
            Vec::new()
        };
        let mut kinds = Vec::new();
        for (name, stored) in [("image", &["image"][..]), ("video", &["video"]), ("speech", &["speech", "transcription", "translation"])] {
            if wanted(name) {
                kinds.extend(stored.iter().map(|k| format!("'{k}'")));
            }
        }
        let generations = if kinds.is_empty() {
            Vec::new()
        } else {
            conn.prepare(&format!(
                "SELECT id FROM generations WHERE kind IN ({}) AND created_at < ?1 AND status NOT IN ('pending', 'running')",
                kinds.join(", ")
            ))?
            .query_map([before], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?
        };
        Ok((conversations, generations))
    }
}
