//! Rows of the media store's files. The files themselves are handled by `media`.

use rusqlite::{OptionalExtension, Row};

use super::{now_ms, Library};
use crate::error::{Error, Result};
use crate::media::{file_name, thumbnail_name};
use crate::types::AssetView;

pub(crate) const ASSET_COLUMNS: &str =
    "s.id, s.sha256, s.mime, s.size_bytes, s.width, s.height, s.original_name, s.thumbnail_sha256";

pub(crate) struct AssetRow {
    pub id: i64,
    pub sha256: String,
    pub mime: String,
    pub size_bytes: i64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub original_name: Option<String>,
    pub has_thumbnail: bool,
}

pub(crate) fn asset_row(r: &Row<'_>, at: usize) -> rusqlite::Result<AssetRow> {
    Ok(AssetRow {
        id: r.get(at)?,
        sha256: r.get(at + 1)?,
        mime: r.get(at + 2)?,
        size_bytes: r.get(at + 3)?,
        width: r.get(at + 4)?,
        height: r.get(at + 5)?,
        original_name: r.get(at + 6)?,
        has_thumbnail: r.get::<_, Option<String>>(at + 7)?.is_some(),
    })
}

/// A file to record in the store.
pub struct NewAsset<'a> {
    pub sha256: &'a str,
    pub mime: &'a str,
    pub size_bytes: i64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub origin: &'a str,
    pub original_name: Option<&'a str>,
    pub has_thumbnail: bool,
}

impl Library {
    /// Records a file; the same content stored twice is one row.
    pub fn insert_asset(&self, asset: &NewAsset<'_>) -> Result<AssetView> {
        let conn = self.conn();
        let existing: Option<i64> =
            conn.query_row("SELECT id FROM assets WHERE sha256 = ?1", [asset.sha256], |r| r.get(0)).optional()?;
        let id = match existing {
            Some(id) => id,
            None => conn.query_row(
                "INSERT INTO assets (sha256, mime, size_bytes, width, height, origin, original_name, thumbnail_sha256, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
                (
                    asset.sha256,
                    asset.mime,
                    asset.size_bytes,
                    asset.width,
                    asset.height,
                    asset.origin,
                    asset.original_name,
                    asset.has_thumbnail.then_some(asset.sha256),
                    now_ms(),
                ),
                |r| r.get(0),
            )?,
        };
        drop(conn);
        self.asset(id)
    }

    pub fn set_asset_duration(&self, id: i64, duration_ms: i64) -> Result<()> {
        self.conn().execute("UPDATE assets SET duration_ms = ?2 WHERE id = ?1", (id, duration_ms))?;
        Ok(())
    }

    pub fn asset(&self, id: i64) -> Result<AssetView> {
        let row = self
            .conn()
            .query_row(&format!("SELECT {ASSET_COLUMNS} FROM assets s WHERE s.id = ?1"), [id], |r| asset_row(r, 0))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("file {id}")))?;
        Ok(self.asset_view(row))
    }

    pub(crate) fn asset_view(&self, row: AssetRow) -> AssetView {
        let media = self.media_root();
        AssetView {
            path: media.join(file_name(&row.sha256, &row.mime)).display().to_string(),
            thumbnail_path: row.has_thumbnail.then(|| media.join(thumbnail_name(&row.sha256)).display().to_string()),
            id: row.id,
            sha256: row.sha256,
            mime: row.mime,
            size_bytes: row.size_bytes,
            width: row.width,
            height: row.height,
            original_name: row.original_name,
        }
    }
}
