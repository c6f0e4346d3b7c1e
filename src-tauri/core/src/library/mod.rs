//! The local library: one SQLite file shared safely by the app and the CLI.

pub mod archive;
pub mod assets;
pub mod backups;
pub mod conversations;
pub mod export;
pub mod generations;
pub mod jobs;
pub mod messages;
mod migrations;
pub mod profiles;
pub mod search_index;
pub mod retention;
pub mod settings;
pub mod tool_calls;
pub mod usage;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{Error, Result};

pub const DATABASE_FILE: &str = "library.sqlite3";
pub const BACKUP_DIR: &str = "backups";

/// The open library. Short queries run under one connection's lock; the app and the CLI
/// each open their own connection and SQLite's WAL keeps them apart.
pub struct Library {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Library {
    /// Opens (or creates) the library in `data_dir`, copying the file aside before any
    /// migration changes it.
    pub fn open(data_dir: &Path) -> Result<Library> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| Error::Storage(format!("cannot create the data folder {}: {e}", data_dir.display())))?;
        let path = data_dir.join(DATABASE_FILE);
        let mut conn = Connection::open(&path)
            .map_err(|e| Error::Storage(format!("cannot open {}: {e}", path.display())))?;
        configure(&conn)?;
        migrations::migrate(&mut conn, &data_dir.join(BACKUP_DIR))?;
        Ok(Library { conn: Mutex::new(conn), path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for one short unit of work.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (statements are
        // atomic), so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn configure(conn: &Connection) -> Result<()> {
    // WAL lets the app and the CLI read and write the same file at once; the busy timeout
    // makes a writer wait for the other instead of failing.
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Unix time in milliseconds, the library's one time format.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
