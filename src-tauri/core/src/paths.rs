//! Where the library lives. The folder depends on neither the install path nor the app's
//! bundle identity, so history survives reinstalls, upgrades and renames.

use std::path::PathBuf;

use crate::error::{Error, Result};

pub const DATA_DIR_ENV: &str = "NEXHINA_DATA_DIR";
const FOLDER: &str = "nexhina-studio";

/// `explicit`, else `NEXHINA_DATA_DIR`, else `$XDG_DATA_HOME/nexhina-studio`
/// (`~/.local/share/nexhina-studio`).
pub fn data_dir(explicit: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = explicit.filter(|d| !d.as_os_str().is_empty()) {
        return Ok(dir);
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::BaseDirs::new()
        .map(|dirs| dirs.data_dir().join(FOLDER))
        .ok_or_else(|| Error::Storage("no home folder is known; set NEXHINA_DATA_DIR".into()))
}

/// Where the app writes its logs: `$XDG_STATE_HOME/nexhina-studio/logs`
/// (`~/.local/state/nexhina-studio/logs`), apart from the user's data so that erasing or
/// exporting the library never involves them.
pub fn log_dir() -> Result<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|dirs| dirs.home_dir().join(".local/state")))
        .ok_or_else(|| Error::Storage("no home folder is known for the logs".into()))?;
    Ok(state.join(FOLDER).join("logs"))
}
