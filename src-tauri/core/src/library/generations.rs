//! Generations (images, videos, speech, transcripts) and the gallery's queries.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, OptionalExtension, Row};

use super::assets::{asset_row, ASSET_COLUMNS};
use super::{now_ms, Library};
use crate::error::{Error, Result};
use crate::types::{
    AssetView, GalleryFilter, GalleryItem, GalleryPage, GenerationKind, GenerationStatus, GenerationView, TokenUsage,
};

pub fn kind_str(kind: GenerationKind) -> &'static str {
    match kind {
        GenerationKind::Image => "image",
        GenerationKind::Video => "video",
        GenerationKind::Speech => "speech",
        GenerationKind::Transcription => "transcription",
        GenerationKind::Translation => "translation",
    }
}

fn parse_kind(text: &str) -> GenerationKind {
    match text {
        "video" => GenerationKind::Video,
        "speech" => GenerationKind::Speech,
        "transcription" => GenerationKind::Transcription,
        "translation" => GenerationKind::Translation,
        _ => GenerationKind::Image,
    }
}

pub fn status_str(status: GenerationStatus) -> &'static str {
    match status {
        GenerationStatus::Pending => "pending",
        GenerationStatus::Running => "running",
        GenerationStatus::Complete => "complete",
        GenerationStatus::Failed => "failed",
        GenerationStatus::Cancelled => "cancelled",
    }
}

fn parse_status(text: &str) -> GenerationStatus {
    match text {
        "pending" => GenerationStatus::Pending,
        "running" => GenerationStatus::Running,
        "failed" => GenerationStatus::Failed,
        "cancelled" => GenerationStatus::Cancelled,
        _ => GenerationStatus::Complete,
    }
}

/// A generation about to be sent.
pub struct NewGeneration<'a> {
    pub profile_id: Option<i64>,
    pub kind: GenerationKind,
    pub model: &'a str,
    pub prompt: &'a str,
    pub params: &'a serde_json::Value,
    pub parent_generation_id: Option<i64>,
    /// (role, asset id): `input`, `mask`, `first_frame`.
    pub inputs: &'a [(&'a str, i64)],
}

const ITEM_COLUMNS: &str = "g.id, g.kind, g.model, substr(g.prompt, 1, 200), g.status, g.progress, g.error, g.favourite, g.rating,
    (SELECT count(*) FROM generation_assets o WHERE o.generation_id = g.id AND o.role = 'output'),
    s.sha256, s.mime, s.thumbnail_sha256, s.width, s.height, g.created_at,
    (SELECT sum(a.duration_ms) FROM generation_assets o JOIN assets a ON a.id = o.asset_id
      WHERE o.generation_id = g.id AND o.role = 'output')";
/// The first output of each generation, by primary key: no scan.
const ITEM_JOIN: &str = "generations g
    LEFT JOIN generation_assets fo ON fo.generation_id = g.id AND fo.role = 'output' AND fo.position = 0
    LEFT JOIN assets s ON s.id = fo.asset_id";

impl Library {
    pub fn insert_generation(&self, g: &NewGeneration<'_>) -> Result<i64> {
        let now = now_ms();
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let id: i64 = tx.query_row(
            "INSERT INTO generations (profile_id, kind, model, prompt, params, status, parent_generation_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7, ?7) RETURNING id",
            (g.profile_id, kind_str(g.kind), g.model, g.prompt, g.params.to_string(), g.parent_generation_id, now),
            |r| r.get(0),
        )?;
        for (position, (role, asset)) in g.inputs.iter().enumerate() {
            tx.execute(
                "INSERT INTO generation_assets (generation_id, role, position, asset_id) VALUES (?1, ?2, ?3, ?4)",
                (id, role, position as i64, asset),
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    pub fn set_generation_progress(&self, id: i64, status: GenerationStatus, progress: u8, remote_task_id: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE generations SET status = ?2, progress = ?3, remote_task_id = COALESCE(?4, remote_task_id), updated_at = ?5 WHERE id = ?1",
            (id, status_str(status), progress.min(100), remote_task_id, now_ms()),
        )?;
        Ok(())
    }

    /// Records the outputs and marks the generation complete, in one transaction.
    pub fn complete_generation(&self, id: i64, outputs: &[i64], revised_prompt: Option<&str>, result_text: Option<&str>) -> Result<()> {
        let now = now_ms();
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        for (position, asset) in outputs.iter().enumerate() {
            tx.execute(
                "INSERT OR REPLACE INTO generation_assets (generation_id, role, position, asset_id) VALUES (?1, 'output', ?2, ?3)",
                (id, position as i64, asset),
            )?;
        }
        tx.execute(
            "UPDATE generations SET status = 'complete', progress = 100, error = NULL, revised_prompt = COALESCE(?2, revised_prompt),
                 result_text = COALESCE(?3, result_text), completed_at = ?4, updated_at = ?4 WHERE id = ?1",
            (id, revised_prompt, result_text, now),
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn fail_generation(&self, id: i64, status: GenerationStatus, error: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE generations SET status = ?2, error = ?3, updated_at = ?4 WHERE id = ?1",
            (id, status_str(status), error, now_ms()),
        )?;
        Ok(())
    }

    pub fn record_generation_usage(&self, profile_id: Option<i64>, endpoint: &str, model: &str, generation_id: i64, usage: &TokenUsage) -> Result<()> {
        self.conn().execute(
            "INSERT INTO usage_records (profile_id, endpoint, model, generation_id, input_tokens, output_tokens, total_tokens, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            (profile_id, endpoint, model, generation_id, usage.input_tokens, usage.output_tokens, usage.total_tokens, now_ms()),
        )?;
        Ok(())
    }

    /// Generations left `running` by a closed app that have no remote task to resume.
    pub fn fail_stale_generations(&self) -> Result<usize> {
        Ok(self.conn().execute(
            "UPDATE generations SET status = 'failed', error = 'The app closed before this finished.', updated_at = ?1
             WHERE status IN ('pending', 'running') AND remote_task_id IS NULL",
            [now_ms()],
        )?)
    }

    /// A gallery page, newest first, with filters; paged by (created_at, id).
    pub fn gallery(&self, filter: &GalleryFilter, cursor: Option<&str>, limit: u32) -> Result<GalleryPage> {
        let limit = limit.clamp(1, 500);
        let mut clauses: Vec<&str> = Vec::new();
        let mut args: Vec<SqlValue> = Vec::new();
        if let Some(kind) = filter.kind {
            clauses.push("g.kind = ?");
            args.push(SqlValue::Text(kind_str(kind).into()));
        }
        if let Some(model) = filter.model.as_deref().filter(|m| !m.is_empty()) {
            clauses.push("g.model = ?");
            args.push(SqlValue::Text(model.into()));
        }
        if filter.favourites {
            clauses.push("g.favourite = 1");
        }
        if let Some(min) = filter.min_rating {
            clauses.push("g.rating >= ?");
            args.push(SqlValue::Integer(min.into()));
        }
        if let Some(since) = filter.since {
            clauses.push("g.created_at >= ?");
            args.push(SqlValue::Integer(since));
        }
        if let Some(until) = filter.until {
            clauses.push("g.created_at < ?");
            args.push(SqlValue::Integer(until));
        }
        if let Some(query) = filter.query.as_deref().and_then(super::messages::fts_query) {
            clauses.push("g.id IN (SELECT rowid FROM generations_fts WHERE generations_fts MATCH ?)");
            args.push(SqlValue::Text(query));
        }
        if let Some(cursor) = cursor {
            let (created, id) = cursor
                .split_once(':')
                .and_then(|(c, i)| Some((c.parse::<i64>().ok()?, i.parse::<i64>().ok()?)))
                .ok_or_else(|| Error::Internal(format!("not a gallery cursor: {cursor}")))?;
            clauses.push("(g.created_at, g.id) < (?, ?)");
            args.push(SqlValue::Integer(created));
            args.push(SqlValue::Integer(id));
        }
        let where_clause = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        args.push(SqlValue::Integer(i64::from(limit) + 1));
        let sql = format!("SELECT {ITEM_COLUMNS} FROM {ITEM_JOIN} {where_clause} ORDER BY g.created_at DESC, g.id DESC LIMIT ?");
        let media = self.media_root();
        let mut items: Vec<GalleryItem> = {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(args), |r| gallery_item(r, &media))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = if more { items.last().map(|i| format!("{}:{}", i.created_at, i.id)) } else { None };
        Ok(GalleryPage { items, next_cursor })
    }

    pub fn gallery_item(&self, id: i64) -> Result<GalleryItem> {
        let media = self.media_root();
        self.conn()
            .query_row(&format!("SELECT {ITEM_COLUMNS} FROM {ITEM_JOIN} WHERE g.id = ?1"), [id], |r| gallery_item(r, &media))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("generation {id}")))
    }

    pub fn generation(&self, id: i64) -> Result<GenerationView> {
        let conn = self.conn();
        let mut view = conn
            .query_row(
                "SELECT g.id, g.kind, g.model, g.prompt, g.revised_prompt, g.params, g.status, g.progress, g.error, g.favourite,
                        g.rating, g.parent_generation_id, g.created_at, g.completed_at,
                        u.input_tokens, u.output_tokens, u.total_tokens
                 FROM generations g LEFT JOIN usage_records u ON u.generation_id = g.id WHERE g.id = ?1",
                [id],
                |r| {
                    let usage = (r.get::<_, Option<u32>>(16)?.is_some()).then(|| TokenUsage {
                        input_tokens: r.get(14).ok().flatten(),
                        output_tokens: r.get(15).ok().flatten(),
                        total_tokens: r.get(16).ok().flatten(),
                    });
                    Ok(GenerationView {
                        id: r.get(0)?,
                        kind: parse_kind(&r.get::<_, String>(1)?),
                        model: r.get(2)?,
                        prompt: r.get(3)?,
                        revised_prompt: r.get(4)?,
                        params: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
                        status: parse_status(&r.get::<_, String>(6)?),
                        progress: r.get(7)?,
                        error: r.get(8)?,
                        favourite: r.get(9)?,
                        rating: r.get(10)?,
                        outputs: Vec::new(),
                        inputs: Vec::new(),
                        parent_generation_id: r.get(11)?,
                        usage,
                        created_at: r.get(12)?,
                        completed_at: r.get(13)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("generation {id}")))?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT ga.role, {ASSET_COLUMNS} FROM generation_assets ga JOIN assets s ON s.id = ga.asset_id
             WHERE ga.generation_id = ?1 ORDER BY ga.role, ga.position"
        ))?;
        let rows: Vec<(String, super::assets::AssetRow)> =
            stmt.query_map([id], |r| Ok((r.get(0)?, asset_row(r, 1)?)))?.collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        drop(conn);
        for (role, row) in rows {
            let asset: AssetView = self.asset_view(row);
            if role == "output" { view.outputs.push(asset) } else { view.inputs.push(asset) }
        }
        Ok(view)
    }

    /// Adds one output as soon as it exists (speech parts arrive one by one).
    pub fn add_generation_output(&self, id: i64, position: usize, asset_id: i64) -> Result<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO generation_assets (generation_id, role, position, asset_id) VALUES (?1, 'output', ?2, ?3)",
            (id, position as i64, asset_id),
        )?;
        Ok(())
    }

    /// What a text-producing generation (a transcript) returned.
    pub fn generation_result(&self, id: i64) -> Result<Option<String>> {
        self.conn()
            .query_row("SELECT result_text FROM generations WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("generation {id}")))
    }

    pub fn set_favourite(&self, id: i64, favourite: bool) -> Result<()> {
        self.conn().execute("UPDATE generations SET favourite = ?2, updated_at = ?3 WHERE id = ?1", (id, favourite, now_ms()))?;
        Ok(())
    }

    pub fn set_rating(&self, id: i64, rating: Option<u8>) -> Result<()> {
        if rating.is_some_and(|r| !(1..=5).contains(&r)) {
            return Err(Error::InvalidInput("A rating is 1 to 5 stars.".into()));
        }
        self.conn().execute("UPDATE generations SET rating = ?2, updated_at = ?3 WHERE id = ?1", (id, rating, now_ms()))?;
        Ok(())
    }

    /// Deletes a generation's row; returns the files no row refers to any more, for the
    /// caller to remove from disk.
    pub fn delete_generation(&self, id: i64) -> Result<Vec<AssetView>> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let asset_ids: Vec<i64> = tx
            .prepare("SELECT asset_id FROM generation_assets WHERE generation_id = ?1")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if tx.execute("DELETE FROM generations WHERE id = ?1", [id])? == 0 {
            return Err(Error::NotFound(format!("generation {id}")));
        }
        let mut orphans = Vec::new();
        for asset in asset_ids {
            let used: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM generation_assets WHERE asset_id = ?1)
                     OR EXISTS (SELECT 1 FROM attachments WHERE asset_id = ?1)",
                [asset],
                |r| r.get(0),
            )?;
            if !used {
                let row = tx.query_row(&format!("SELECT {ASSET_COLUMNS} FROM assets s WHERE s.id = ?1"), [asset], |r| asset_row(r, 0))?;
                tx.execute("DELETE FROM assets WHERE id = ?1", [asset])?;
                orphans.push(row);
            }
        }
        tx.commit()?;
        drop(conn);
        Ok(orphans.into_iter().map(|row| self.asset_view(row)).collect())
    }

    /// Distinct models in the gallery, for the filter's picker.
    pub fn gallery_models(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT DISTINCT model FROM generations ORDER BY model")?;
        let models = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(models)
    }
}

fn gallery_item(r: &Row<'_>, media: &std::path::Path) -> rusqlite::Result<GalleryItem> {
    let sha: Option<String> = r.get(10)?;
    let mime: Option<String> = r.get(11)?;
    let thumb: Option<String> = r.get(12)?;
    let file_path = match (&sha, &mime) {
        (Some(sha), Some(mime)) => Some(media.join(crate::media::file_name(sha, mime)).display().to_string()),
        _ => None,
    };
    let thumbnail_path = thumb.map(|t| media.join(crate::media::thumbnail_name(&t)).display().to_string());
    Ok(GalleryItem {
        id: r.get(0)?,
        kind: parse_kind(&r.get::<_, String>(1)?),
        model: r.get(2)?,
        prompt: r.get(3)?,
        status: parse_status(&r.get::<_, String>(4)?),
        progress: r.get(5)?,
        error: r.get(6)?,
        favourite: r.get(7)?,
        rating: r.get(8)?,
        outputs: r.get(9)?,
        thumbnail_path,
        file_path,
        width: r.get(13)?,
        height: r.get(14)?,
        created_at: r.get(15)?,
        duration_ms: r.get(16)?,
    })
}
