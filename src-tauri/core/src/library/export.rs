//! Export and import of the library (docs/EXPORT_FORMAT.md): JSON Lines for the rows, the
//! media files by hash (generated images with their AI label), a manifest with counts and
//! checksums.
//!
//! Export reads one snapshot on a read-only connection of its own, so the app keeps working
//! while it runs. Import checks every checksum first, then adds all rows in one
//! transaction; files it copied are removed again if anything fails.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::archive::{cancelled_import, damaged, ArchiveReader, ArchiveWriter, Manifest, FORMAT, FORMAT_VERSION};
use super::{now_ms, Library};
use crate::error::{Error, Result};
use crate::media::labels::{label_image_reversibly, remove_label, AiLabel};
use crate::media::{file_name, sha256_hex, thumbnail_name, Origin, MAX_IMAGE_BYTES, MEDIA_DIR};
use crate::types::{ArchiveCounts, DataProgress, ExportReport, ExportSelection, ImportReport};

const GENERATION_KINDS: [&str; 5] = ["image", "video", "speech", "transcription", "translation"];

#[derive(Debug, Serialize, Deserialize)]
struct ConversationLine {
    id: i64,
    title: String,
    model: Option<String>,
    system_prompt: Option<String>,
    params: Value,
    pinned: bool,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct MessageLine {
    id: i64,
    conversation_id: i64,
    parent_id: Option<i64>,
    role: String,
    content: String,
    reasoning: Option<String>,
    tool_calls: Option<Value>,
    tool_call_id: Option<String>,
    model: Option<String>,
    status: String,
    error: Option<String>,
    finish_reason: Option<String>,
    request_id: Option<String>,
    created_at: i64,
    updated_at: i64,
    /// The attached files' sha256, in order.
    attachments: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct GenerationAssetLine {
    role: String,
    position: i64,
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct GenerationLine {
    id: i64,
    kind: String,
    model: String,
    prompt: String,
    revised_prompt: Option<String>,
    params: Value,
    status: String,
    remote_task_id: Option<String>,
    progress: i64,
    error: Option<String>,
    result_text: Option<String>,
    rating: Option<i64>,
    favourite: bool,
    source_message_id: Option<i64>,
    parent_generation_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
    completed_at: Option<i64>,
    assets: Vec<GenerationAssetLine>,
}

#[derive(Debug, Serialize, Deserialize)]
struct JobLine {
    generation_id: i64,
    api: String,
    remote_task_id: Option<String>,
    state: String,
    next_poll_at: Option<i64>,
    polls: i64,
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct UsageLine {
    endpoint: String,
    model: String,
    message_id: Option<i64>,
    generation_id: Option<i64>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    total_tokens: Option<i64>,
    request_id: Option<String>,
    created_at: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct AssetLine {
    sha256: String,
    mime: String,
    size_bytes: i64,
    width: Option<i64>,
    height: Option<i64>,
    duration_ms: Option<i64>,
    origin: String,
    original_name: Option<String>,
    /// Whether `media/thumbs/<aa>/<sha256>.jpg` is in the archive.
    thumbnail: bool,
    created_at: i64,
}

/// JSON stored as text is exported as JSON; text that is not JSON stays a string.
fn json_column(text: Option<String>) -> Option<Value> {
    text.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

fn json_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The selection as SQL: sub-selects of the conversation and generation ids it covers.
struct Scope {
    conversations: String,
    generations: String,
    /// Usage rows tied to no item belong to a whole-library export only.
    whole: bool,
}

fn scope(sel: &ExportSelection) -> Result<Scope> {
    for kind in &sel.kinds {
        if kind != "chat" && !GENERATION_KINDS.contains(&kind.as_str()) {
            return Err(Error::InvalidInput(format!(
                "unknown kind {kind:?}: use chat, image, video, speech, transcription or translation"
            )));
        }
    }
    let wants = |k: &str| sel.kinds.is_empty() || sel.kinds.iter().any(|x| x == k);
    let chats = wants("chat") || sel.conversation_id.is_some();
    let conversations = if chats {
        "SELECT id FROM conversations WHERE (:conv IS NULL OR id = :conv) AND (:since IS NULL OR updated_at >= :since)".to_string()
    } else {
        "SELECT id FROM conversations WHERE 0".to_string()
    };
    // The kinds are checked against a fixed list above, so they can be inlined.
    let kinds: Vec<String> = GENERATION_KINDS.iter().filter(|k| wants(k)).map(|k| format!("'{k}'")).collect();
    let generations = if sel.conversation_id.is_some() || kinds.is_empty() {
        "SELECT id FROM generations WHERE 0".to_string()
    } else {
        format!("SELECT id FROM generations WHERE kind IN ({}) AND (:since IS NULL OR created_at >= :since)", kinds.join(", "))
    };
    Ok(Scope { conversations, generations, whole: sel.kinds.is_empty() && sel.conversation_id.is_none() })
}

impl Scope {
    fn sql(&self) -> Sql {
        let (c, g) = (&self.conversations, &self.generations);
        let messages = format!("SELECT id FROM messages WHERE conversation_id IN ({c})");
        let loose = if self.whole {
            " OR (message_id IS NULL AND generation_id IS NULL AND (:since IS NULL OR created_at >= :since))"
        } else {
            ""
        };
        Sql {
            conversations: format!(
                "SELECT id, title, model, system_prompt, params, pinned, created_at, updated_at FROM conversations
                 WHERE id IN ({c}) ORDER BY id"
            ),
            messages: format!(
                "SELECT m.id, m.conversation_id, m.parent_id, m.role, m.content, m.reasoning, m.tool_calls, m.tool_call_id,
                        m.model, m.status, m.error, m.finish_reason, m.request_id, m.created_at, m.updated_at,
                        (SELECT json_group_array(s.sha256 ORDER BY a.position) FROM attachments a
                             JOIN assets s ON s.id = a.asset_id WHERE a.message_id = m.id)
                 FROM messages m WHERE m.conversation_id IN ({c}) ORDER BY m.id"
            ),
            generations: format!(
                "SELECT g.id, g.kind, g.model, g.prompt, g.revised_prompt, g.params, g.status, g.remote_task_id, g.progress,
                        g.error, g.result_text, g.rating, g.favourite, g.source_message_id, g.parent_generation_id,
                        g.created_at, g.updated_at, g.completed_at,
                        (SELECT json_group_array(json_object('role', ga.role, 'position', ga.position, 'sha256', s.sha256)
                                 ORDER BY ga.role, ga.position)
                             FROM generation_assets ga JOIN assets s ON s.id = ga.asset_id WHERE ga.generation_id = g.id)
                 FROM generations g WHERE g.id IN ({g}) ORDER BY g.id"
            ),
            jobs: format!(
                "SELECT generation_id, api, remote_task_id, state, next_poll_at, polls, last_error, created_at, updated_at
                 FROM jobs WHERE generation_id IN ({g}) ORDER BY id"
            ),
            usage: format!(
                "SELECT endpoint, model, message_id, generation_id, input_tokens, output_tokens, total_tokens, request_id, created_at
                 FROM usage_records WHERE message_id IN ({messages}) OR generation_id IN ({g}){loose} ORDER BY id"
            ),
            // The last column is what a generated image's label names: the model and time
            // of the first generation that made it.
            assets: format!(
                "SELECT sha256, mime, size_bytes, width, height, duration_ms, origin, original_name, thumbnail_sha256, created_at,
                        (SELECT json_array(g.model, g.created_at) FROM generation_assets ga JOIN generations g ON g.id = ga.generation_id
                         WHERE ga.asset_id = assets.id AND ga.role = 'output' ORDER BY g.id LIMIT 1)
                 FROM assets WHERE id IN (SELECT asset_id FROM attachments WHERE message_id IN ({messages}))
                    OR id IN (SELECT asset_id FROM generation_assets WHERE generation_id IN ({g}))
                 ORDER BY sha256"
            ),
        }
    }
}

/// A file `assets.jsonl` lists, written after it.
struct MediaFile {
    sha: String,
    mime: String,
    thumbnail: bool,
    /// For a generated image, what its label names: the model and the time.
    label: Option<(String, i64)>,
}

struct Sql {
    conversations: String,
    messages: String,
    generations: String,
    jobs: String,
    usage: String,
    assets: String,
}

fn count(conn: &Connection, select: &str, sel: &ExportSelection) -> Result<u64> {
    let mut stmt = conn.prepare(&format!("SELECT count(*) FROM ({select})"))?;
    let params = params_for(&stmt, sel);
    let n: i64 = stmt.query_row(&*params, |r| r.get(0))?;
    Ok(n as u64)
}

/// The named parameters a statement uses (SQLite refuses names it does not have).
fn params_for<'a>(stmt: &rusqlite::Statement<'_>, sel: &'a ExportSelection) -> Vec<(&'static str, &'a dyn rusqlite::ToSql)> {
    let all: [(&'static str, &'a dyn rusqlite::ToSql); 2] = [(":conv", &sel.conversation_id), (":since", &sel.since)];
    all.into_iter().filter(|(name, _)| stmt.parameter_index(name).ok().flatten().is_some()).collect()
}

/// Reports progress now and then, and stops when the user cancels.
struct Steps<'a> {
    done: u64,
    total: u64,
    progress: &'a mut dyn FnMut(DataProgress),
    cancelled: &'a dyn Fn() -> bool,
}

impl Steps<'_> {
    fn step(&mut self) -> Result<()> {
        self.done += 1;
        if self.done % 256 == 0 {
            if (self.cancelled)() {
                return Err(cancelled_export());
            }
            (self.progress)(DataProgress { done: self.done, total: self.total });
        }
        Ok(())
    }
}

fn cancelled_export() -> Error {
    Error::Cancelled("The export was cancelled; no archive was left behind.".into())
}

impl Library {
    /// Writes the selection to `out` (a folder, or a .zip when the name ends in .zip).
    pub fn export_archive(
        &self,
        out: &Path,
        sel: &ExportSelection,
        progress: &mut dyn FnMut(DataProgress),
        cancelled: &dyn Fn() -> bool,
    ) -> Result<ExportReport> {
        let scope = scope(sel)?;
        let conn = Connection::open_with_flags(self.path(), OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // One read transaction: every file of the archive comes from the same moment.
        let snapshot = conn.unchecked_transaction()?;
        let sql = scope.sql();
        let counts = ArchiveCounts {
            conversations: count(&snapshot, &sql.conversations, sel)?,
            messages: count(&snapshot, &sql.messages, sel)?,
            generations: count(&snapshot, &sql.generations, sel)?,
            jobs: count(&snapshot, &sql.jobs, sel)?,
            usage: count(&snapshot, &sql.usage, sel)?,
            assets: count(&snapshot, &sql.assets, sel)?,
        };
        let rows = counts.conversations + counts.messages + counts.generations + counts.jobs + counts.usage + counts.assets;
        let mut steps = Steps { done: 0, total: rows + counts.assets, progress, cancelled };
        (steps.progress)(DataProgress { done: 0, total: steps.total });

        let mut writer = ArchiveWriter::create(out)?;
        let written = self.write_archive(&snapshot, &sql, sel, &mut writer, &mut steps);
        if let Err(e) = written {
            writer.abandon();
            return Err(e);
        }
        if cancelled() {
            writer.abandon();
            return Err(cancelled_export());
        }
        let manifest = Manifest {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            app_version: env!("CARGO_PKG_VERSION").into(),
            created_at: now_ms(),
            selection: sel.clone(),
            counts: counts.clone(),
            files: writer.files.clone(),
        };
        let bytes = writer.finish(&manifest)?;
        (steps.progress)(DataProgress { done: steps.total, total: steps.total });
        Ok(ExportReport { path: out.display().to_string(), counts, bytes })
    }

    fn write_archive(
        &self,
        conn: &Connection,
        sql: &Sql,
        sel: &ExportSelection,
        w: &mut ArchiveWriter,
        steps: &mut Steps<'_>,
    ) -> Result<()> {
        write_lines(conn, w, steps, sel, "conversations.jsonl", &sql.conversations, |r| {
            Ok(ConversationLine {
                id: r.get(0)?,
                title: r.get(1)?,
                model: r.get(2)?,
                system_prompt: r.get(3)?,
                params: json_column(r.get(4)?).unwrap_or(Value::Null),
                pinned: r.get(5)?,
                created_at: r.get(6)?,
                updated_at: r.get(7)?,
            })
        })?;
        write_lines(conn, w, steps, sel, "messages.jsonl", &sql.messages, |r| {
            let attachments: Option<String> = r.get(15)?;
            Ok(MessageLine {
                id: r.get(0)?,
                conversation_id: r.get(1)?,
                parent_id: r.get(2)?,
                role: r.get(3)?,
                content: r.get(4)?,
                reasoning: r.get(5)?,
                tool_calls: json_column(r.get(6)?),
                tool_call_id: r.get(7)?,
                model: r.get(8)?,
                status: r.get(9)?,
                error: r.get(10)?,
                finish_reason: r.get(11)?,
                request_id: r.get(12)?,
                created_at: r.get(13)?,
                updated_at: r.get(14)?,
                attachments: attachments.and_then(|a| serde_json::from_str(&a).ok()).unwrap_or_default(),
            })
        })?;
        write_lines(conn, w, steps, sel, "generations.jsonl", &sql.generations, |r| {
            let assets: Option<String> = r.get(18)?;
            Ok(GenerationLine {
                id: r.get(0)?,
                kind: r.get(1)?,
                model: r.get(2)?,
                prompt: r.get(3)?,
                revised_prompt: r.get(4)?,
                params: json_column(r.get(5)?).unwrap_or(Value::Null),
                status: r.get(6)?,
                remote_task_id: r.get(7)?,
                progress: r.get(8)?,
                error: r.get(9)?,
                result_text: r.get(10)?,
                rating: r.get(11)?,
                favourite: r.get(12)?,
                source_message_id: r.get(13)?,
                parent_generation_id: r.get(14)?,
                created_at: r.get(15)?,
                updated_at: r.get(16)?,
                completed_at: r.get(17)?,
                assets: assets.and_then(|a| serde_json::from_str(&a).ok()).unwrap_or_default(),
            })
        })?;
        write_lines(conn, w, steps, sel, "jobs.jsonl", &sql.jobs, |r| {
            Ok(JobLine {
                generation_id: r.get(0)?,
                api: r.get(1)?,
                remote_task_id: r.get(2)?,
                state: r.get(3)?,
                next_poll_at: r.get(4)?,
                polls: r.get(5)?,
                last_error: r.get(6)?,
                created_at: r.get(7)?,
                updated_at: r.get(8)?,
            })
        })?;
        write_lines(conn, w, steps, sel, "usage.jsonl", &sql.usage, |r| {
            Ok(UsageLine {
                endpoint: r.get(0)?,
                model: r.get(1)?,
                message_id: r.get(2)?,
                generation_id: r.get(3)?,
                input_tokens: r.get(4)?,
                output_tokens: r.get(5)?,
                total_tokens: r.get(6)?,
                request_id: r.get(7)?,
                created_at: r.get(8)?,
            })
        })?;
        let mut files: Vec<MediaFile> = Vec::new();
        write_lines(conn, w, steps, sel, "assets.jsonl", &sql.assets, |r| {
            let line = AssetLine {
                sha256: r.get(0)?,
                mime: r.get(1)?,
                size_bytes: r.get(2)?,
                width: r.get(3)?,
                height: r.get(4)?,
                duration_ms: r.get(5)?,
                origin: r.get(6)?,
                original_name: r.get(7)?,
                thumbnail: r.get::<_, Option<String>>(8)?.is_some(),
                created_at: r.get(9)?,
            };
            let made_by: Option<String> = r.get(10)?;
            let label = (line.origin == Origin::Generated.as_str() && line.mime.starts_with("image/")).then(|| {
                made_by.and_then(|m| serde_json::from_str(&m).ok()).unwrap_or_else(|| ("unknown".to_string(), line.created_at))
            });
            files.push(MediaFile { sha: line.sha256.clone(), mime: line.mime.clone(), thumbnail: line.thumbnail, label });
            Ok(line)
        })?;
        let media = self.media_root();
        for MediaFile { sha, mime, thumbnail, label } in files {
            let name = file_name(&sha, &mime);
            match label {
                Some((model, created_at)) => {
                    let bytes = std::fs::read(media.join(&name))
                        .map_err(|e| Error::Storage(format!("the stored file {sha} cannot be read: {e}")))?;
                    // The prompt stays in generations.jsonl: an image passed on from the
                    // archive should not tell it.
                    let label = AiLabel { model: &model, prompt: None, created_at };
                    match label_image_reversibly(&bytes, &mime, &label) {
                        Some(labelled) => w.add_labelled(&archive_name(&name), &labelled)?,
                        None => w.add_file(&archive_name(&name), &media.join(&name))?,
                    }
                }
                None => w.add_file(&archive_name(&name), &media.join(&name))?,
            }
            if thumbnail {
                let thumb = thumbnail_name(&sha);
                // A thumbnail can be made again; a missing one is not worth failing for.
                if media.join(&thumb).is_file() {
                    w.add_file(&archive_name(&thumb), &media.join(&thumb))?;
                }
            }
            steps.step()?;
        }
        Ok(())
    }

    /// Adds an archive's contents to the library: nothing twice, nothing at all if any
    /// part of it is damaged.
    pub fn import_archive(&self, path: &Path, progress: &mut dyn FnMut(DataProgress), cancelled: &dyn Fn() -> bool) -> Result<ImportReport> {
        let mut archive = ArchiveReader::open(path)?;
        let manifest = archive.manifest()?;
        archive.verify(&manifest, cancelled)?;
        let c = &manifest.counts;
        let total = c.conversations + c.messages + c.generations + c.jobs + c.usage + c.assets;
        let mut copied: Vec<PathBuf> = Vec::new();
        let result = self
            .copy_media(&mut archive, &manifest, &mut copied)
            .and_then(|()| self.import_rows(&mut archive, &manifest, &mut Steps { done: 0, total, progress, cancelled }));
        if result.is_err() {
            for file in copied {
                let _ = std::fs::remove_file(file);
            }
        }
        result
    }

    fn copy_media(&self, archive: &mut ArchiveReader, manifest: &Manifest, copied: &mut Vec<PathBuf>) -> Result<()> {
        let root = self.media_root();
        for (name, sum) in &manifest.files {
            let Some(inside) = name.strip_prefix(&format!("{MEDIA_DIR}/")) else { continue };
            let dest = root.join(inside);
            if dest.exists() {
                continue;
            }
            let dir = dest.parent().ok_or_else(|| Error::Storage("media path has no folder".into()))?;
            std::fs::create_dir_all(dir)?;
            let tmp = dir.join(format!(".import-{}.tmp", std::process::id()));
            let written = archive.with_entry(name, |r| {
                let mut file = std::fs::File::create(&tmp)?;
                if sum.labelled {
                    // The store keeps the original, so hashes and deduplication stay as they were.
                    file.write_all(&without_label(r, name, inside)?)?;
                } else {
                    std::io::copy(r, &mut file)?;
                }
                file.sync_all()?;
                Ok(())
            });
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            std::fs::rename(&tmp, &dest)?;
            copied.push(dest);
        }
        Ok(())
    }

    fn import_rows(&self, archive: &mut ArchiveReader, manifest: &Manifest, steps: &mut Steps<'_>) -> Result<ImportReport> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let mut report = ImportReport::default();
        let mut ids = IdMaps::default();
        let in_archive = |name: &str| manifest.files.contains_key(name);

        read_lines(archive, "assets.jsonl", steps, |a: AssetLine| {
            let file = archive_name(&file_name(&a.sha256, &a.mime));
            let existing: Option<i64> = tx.query_row("SELECT id FROM assets WHERE sha256 = ?1", [&a.sha256], |r| r.get(0)).optional()?;
            let id = match existing {
                Some(id) => {
                    report.skipped.assets += 1;
                    id
                }
                None => {
                    if !in_archive(&file) {
                        return Err(damaged(format!("{file} is missing")));
                    }
                    let thumb = a.thumbnail && in_archive(&archive_name(&thumbnail_name(&a.sha256)));
                    report.added.assets += 1;
                    tx.query_row(
                        "INSERT INTO assets (sha256, mime, size_bytes, width, height, duration_ms, origin, original_name,
                                             thumbnail_sha256, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
                        rusqlite::params![
                            a.sha256, a.mime, a.size_bytes, a.width, a.height, a.duration_ms, a.origin, a.original_name,
                            thumb.then_some(&a.sha256), a.created_at
                        ],
                        |r| r.get(0),
                    )?
                }
            };
            ids.assets.insert(a.sha256, id);
            Ok(())
        })?;

        let mut known: HashMap<(i64, String), i64> = HashMap::new();
        for row in tx.prepare("SELECT id, created_at, title FROM conversations")?.query_map([], |r| Ok(((r.get(1)?, r.get(2)?), r.get(0)?)))? {
            let (key, id) = row?;
            known.entry(key).or_insert(id);
        }
        let mut keep = KeepIds::new(&tx, "conversations")?;
        read_lines(archive, "conversations.jsonl", steps, |c: ConversationLine| {
            if let Some(&id) = known.get(&(c.created_at, c.title.clone())) {
                report.skipped.conversations += 1;
                ids.conversations.insert(c.id, id);
                ids.existing_conversations.insert(id);
                return Ok(());
            }
            let id: i64 = tx.query_row(
                "INSERT INTO conversations (id, title, model, system_prompt, params, pinned, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
                rusqlite::params![keep.id(c.id)?, c.title, c.model, c.system_prompt, json_text(&c.params), c.pinned, c.created_at, c.updated_at],
                |r| r.get(0),
            )?;
            report.added.conversations += 1;
            ids.conversations.insert(c.id, id);
            Ok(())
        })?;

        let mut keep = KeepIds::new(&tx, "messages")?;
        read_lines(archive, "messages.jsonl", steps, |m: MessageLine| {
            let conversation = *ids
                .conversations
                .get(&m.conversation_id)
                .ok_or_else(|| damaged(format!("message {} belongs to no conversation in the archive", m.id)))?;
            if ids.existing_conversations.contains(&conversation) {
                let same: Option<i64> = tx
                    .query_row(
                        "SELECT id FROM messages WHERE conversation_id = ?1 AND created_at = ?2 AND role = ?3 AND content = ?4",
                        (conversation, m.created_at, &m.role, &m.content),
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(id) = same {
                    report.skipped.messages += 1;
                    ids.messages.insert(m.id, id);
                    return Ok(());
                }
            }
            let parent = m.parent_id.and_then(|p| ids.messages.get(&p).copied());
            let id: i64 = tx.query_row(
                "INSERT INTO messages (id, conversation_id, parent_id, role, content, reasoning, tool_calls, tool_call_id, model,
                                       status, error, finish_reason, request_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id",
                rusqlite::params![
                    keep.id(m.id)?, conversation, parent, m.role, m.content, m.reasoning, m.tool_calls.as_ref().map(json_text),
                    m.tool_call_id, m.model, m.status, m.error, m.finish_reason, m.request_id, m.created_at, m.updated_at
                ],
                |r| r.get(0),
            )?;
            for (position, sha) in m.attachments.iter().enumerate() {
                let asset = ids.asset(sha)?;
                tx.execute("INSERT INTO attachments (message_id, position, asset_id) VALUES (?1, ?2, ?3)", (id, position as i64, asset))?;
            }
            report.added.messages += 1;
            ids.messages.insert(m.id, id);
            Ok(())
        })?;

        let mut keep = KeepIds::new(&tx, "generations")?;
        let mut added_generations = HashSet::new();
        read_lines(archive, "generations.jsonl", steps, |g: GenerationLine| {
            let same: Option<i64> = tx
                .query_row(
                    "SELECT id FROM generations WHERE kind = ?1 AND created_at = ?2 AND model = ?3 AND prompt = ?4",
                    (&g.kind, g.created_at, &g.model, &g.prompt),
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = same {
                report.skipped.generations += 1;
                ids.generations.insert(g.id, id);
                return Ok(());
            }
            let id: i64 = tx.query_row(
                "INSERT INTO generations (id, kind, model, prompt, revised_prompt, params, status, remote_task_id, progress, error,
                                          result_text, rating, favourite, source_message_id, parent_generation_id,
                                          created_at, updated_at, completed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) RETURNING id",
                rusqlite::params![
                    keep.id(g.id)?, g.kind, g.model, g.prompt, g.revised_prompt, json_text(&g.params), g.status, g.remote_task_id,
                    g.progress, g.error, g.result_text, g.rating, g.favourite,
                    g.source_message_id.and_then(|m| ids.messages.get(&m).copied()),
                    g.parent_generation_id.and_then(|p| ids.generations.get(&p).copied()),
                    g.created_at, g.updated_at, g.completed_at
                ],
                |r| r.get(0),
            )?;
            for a in &g.assets {
                let asset = ids.asset(&a.sha256)?;
                tx.execute(
                    "INSERT INTO generation_assets (generation_id, role, position, asset_id) VALUES (?1, ?2, ?3, ?4)",
                    (id, &a.role, a.position, asset),
                )?;
            }
            report.added.generations += 1;
            added_generations.insert(id);
            ids.generations.insert(g.id, id);
            Ok(())
        })?;

        read_lines(archive, "jobs.jsonl", steps, |j: JobLine| {
            let generation = *ids
                .generations
                .get(&j.generation_id)
                .ok_or_else(|| damaged(format!("a job refers to generation {}, which the archive lacks", j.generation_id)))?;
            if !added_generations.contains(&generation) {
                report.skipped.jobs += 1;
                return Ok(());
            }
            tx.execute(
                "INSERT INTO jobs (generation_id, api, remote_task_id, state, next_poll_at, polls, last_error, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                rusqlite::params![generation, j.api, j.remote_task_id, j.state, j.next_poll_at, j.polls, j.last_error, j.created_at, j.updated_at],
            )?;
            report.added.jobs += 1;
            Ok(())
        })?;

        read_lines(archive, "usage.jsonl", steps, |u: UsageLine| {
            let message = u.message_id.and_then(|m| ids.messages.get(&m).copied());
            let generation = u.generation_id.and_then(|g| ids.generations.get(&g).copied());
            let same: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM usage_records WHERE created_at = ?1 AND endpoint = ?2 AND model = ?3
                     AND request_id IS ?4 AND total_tokens IS ?5 AND message_id IS ?6 AND generation_id IS ?7)",
                rusqlite::params![u.created_at, u.endpoint, u.model, u.request_id, u.total_tokens, message, generation],
                |r| r.get(0),
            )?;
            if same {
                report.skipped.usage += 1;
                return Ok(());
            }
            tx.execute(
                "INSERT INTO usage_records (endpoint, model, message_id, generation_id, input_tokens, output_tokens, total_tokens,
                                            request_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                rusqlite::params![u.endpoint, u.model, message, generation, u.input_tokens, u.output_tokens, u.total_tokens, u.request_id, u.created_at],
            )?;
            report.added.usage += 1;
            Ok(())
        })?;

        if (steps.cancelled)() {
            return Err(cancelled_import());
        }
        tx.commit()?;
        Ok(report)
    }
}

#[derive(Default)]
struct IdMaps {
    assets: HashMap<String, i64>,
    conversations: HashMap<i64, i64>,
    existing_conversations: HashSet<i64>,
    messages: HashMap<i64, i64>,
    generations: HashMap<i64, i64>,
}

impl IdMaps {
    fn asset(&self, sha: &str) -> Result<i64> {
        self.assets.get(sha).copied().ok_or_else(|| damaged(format!("file {sha} is not listed in assets.jsonl")))
    }
}

/// An archive's ids are kept when they are all above every id the table ever used (an
/// empty library: export → import → export is then identical); otherwise new ones are
/// taken. Ids already used are never reused, as AUTOINCREMENT promises.
struct KeepIds {
    floor: i64,
    keep: Option<bool>,
    last: i64,
}

impl KeepIds {
    fn new(conn: &Connection, table: &str) -> Result<KeepIds> {
        let seq: i64 = conn
            .query_row("SELECT seq FROM sqlite_sequence WHERE name = ?1", [table], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        let max: i64 = conn.query_row(&format!("SELECT coalesce(max(id), 0) FROM {table}"), [], |r| r.get(0))?;
        Ok(KeepIds { floor: seq.max(max), keep: None, last: 0 })
    }

    fn id(&mut self, archive_id: i64) -> Result<Option<i64>> {
        if archive_id <= self.last {
            return Err(damaged(format!("ids are out of order at {archive_id}")));
        }
        self.last = archive_id;
        let keep = *self.keep.get_or_insert(archive_id > self.floor);
        Ok(keep.then_some(archive_id))
    }
}

/// A labelled image's original bytes, checked against the hash its name gives.
fn without_label(r: &mut dyn Read, name: &str, inside: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    // The label adds a few hundred bytes to a file the store took (20 MB at most).
    r.take(MAX_IMAGE_BYTES as u64 + (1 << 20)).read_to_end(&mut bytes)?;
    let path = Path::new(inside);
    let mime = match path.extension().and_then(|e| e.to_str()) {
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        _ => return Err(damaged(format!("{name} is marked labelled but is no PNG or JPEG"))),
    };
    remove_label(&bytes, mime)
        .filter(|original| path.file_stem().and_then(|s| s.to_str()) == Some(sha256_hex(original).as_str()))
        .ok_or_else(|| damaged(format!("{name} does not match its hash without its label")))
}

/// `ab/abc….png` in the store is `media/ab/abc….png` in the archive.
fn archive_name(store_name: &Path) -> String {
    let parts: Vec<String> = store_name.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    format!("{MEDIA_DIR}/{}", parts.join("/"))
}

fn write_lines<T: Serialize>(
    conn: &Connection,
    w: &mut ArchiveWriter,
    steps: &mut Steps<'_>,
    sel: &ExportSelection,
    name: &str,
    sql: &str,
    mut line: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<()> {
    w.begin(name, true)?;
    let mut stmt = conn.prepare(sql)?;
    let params = params_for(&stmt, sel);
    let mut rows = stmt.query(&*params)?;
    while let Some(row) = rows.next()? {
        let value = line(row)?;
        serde_json::to_writer(&mut *w, &value)?;
        w.write_all(b"\n")?;
        steps.step()?;
    }
    w.end()
}

fn read_lines<T: serde::de::DeserializeOwned>(
    archive: &mut ArchiveReader,
    name: &str,
    steps: &mut Steps<'_>,
    mut each: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let found = archive.with_entry(name, |r: &mut dyn Read| {
        for (n, line) in BufReader::new(r).lines().enumerate() {
            let line = line.map_err(|e| damaged(format!("{name}: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            let value: T = serde_json::from_str(&line).map_err(|e| damaged(format!("{name} line {}: {e}", n + 1)))?;
            each(value)?;
            steps.done += 1;
            if steps.done % 256 == 0 {
                if (steps.cancelled)() {
                    return Err(cancelled_import());
                }
                (steps.progress)(DataProgress { done: steps.done, total: steps.total });
            }
        }
        Ok(())
    })?;
    found.ok_or_else(|| damaged(format!("{name} is missing")))
}
