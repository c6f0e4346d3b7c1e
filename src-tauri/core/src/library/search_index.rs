//! The meaning index's rows (`embeddings`) and the lean reads search needs: what still
//! waits for a vector, the vectors of one model, word hits over generations, and the few
//! columns a result shows.

use rusqlite::{params_from_iter, OptionalExtension};

use super::{now_ms, Library};
use crate::error::Result;
use crate::search::vectors::{from_blob, to_blob};
use crate::search::{Source, VectorKey};
use crate::types::{GenerationKind, Role};

/// A piece of text waiting for its vectors.
#[derive(Debug, Clone)]
pub struct PendingText {
    pub source: Source,
    pub item_id: i64,
    pub text: String,
}

/// What a message result shows.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: i64,
    pub conversation_id: i64,
    pub conversation_title: String,
    pub role: Role,
    pub content: String,
    pub created_at: i64,
}

/// What a generation result needs beyond its gallery card: the texts to show or rerank.
#[derive(Debug, Clone)]
pub struct GenerationTexts {
    pub id: i64,
    pub kind: GenerationKind,
    pub prompt: String,
    pub revised_prompt: Option<String>,
    pub transcript: Option<String>,
}

/// Each source's "not indexed yet" query. Only finished items are indexed: a reply still
/// streaming or an image still running changes before it is worth a vector.
const PENDING: [(Source, &str); 4] = [
    (
        Source::Message,
        "FROM messages m WHERE m.status = 'complete' AND m.role IN ('user', 'assistant') AND m.content <> ''
           AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.source = 'message' AND e.item_id = m.id)",
    ),
    (
        Source::Prompt,
        "FROM generations m WHERE m.status = 'complete' AND m.kind IN ('image', 'video', 'speech') AND m.prompt <> ''
           AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.source = 'prompt' AND e.item_id = m.id)",
    ),
    (
        Source::RevisedPrompt,
        "FROM generations m WHERE m.status = 'complete' AND m.revised_prompt IS NOT NULL AND m.revised_prompt <> ''
           AND m.revised_prompt <> m.prompt
           AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.source = 'revised_prompt' AND e.item_id = m.id)",
    ),
    (
        Source::Transcript,
        "FROM generations m WHERE m.status = 'complete' AND m.kind IN ('transcription', 'translation')
           AND m.result_text IS NOT NULL AND m.result_text <> ''
           AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.source = 'transcript' AND e.item_id = m.id)",
    ),
];

impl Library {
    /// Up to `limit` pieces of text without vectors, oldest first per source.
    pub fn pending_texts(&self, limit: usize) -> Result<Vec<PendingText>> {
        let mut out = Vec::new();
        let conn = self.conn();
        for (source, from) in PENDING {
            if out.len() >= limit {
                break;
            }
            let column = match source {
                Source::Message => "m.content",
                Source::Prompt => "m.prompt",
                Source::RevisedPrompt => "m.revised_prompt",
                Source::Transcript => "m.result_text",
            };
            let mut stmt = conn.prepare_cached(&format!("SELECT m.id, {column} {from} ORDER BY m.id LIMIT ?1"))?;
            let rows = stmt.query_map([(limit - out.len()) as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (item_id, text) = row?;
                let text = if source == Source::Transcript { transcript_text(&text) } else { text };
                out.push(PendingText { source, item_id, text });
            }
        }
        Ok(out)
    }

    /// How many pieces still wait for vectors.
    pub fn pending_count(&self) -> Result<u64> {
        let conn = self.conn();
        let mut total = 0u64;
        for (_, from) in PENDING {
            total += conn.prepare_cached(&format!("SELECT count(*) {from}"))?.query_row([], |r| r.get::<_, i64>(0))? as u64;
        }
        Ok(total)
    }

    /// Pieces with vectors (a message cut into chunks counts once), and their dimension.
    pub fn indexed_count(&self, model: &str) -> Result<(u64, Option<u32>)> {
        let conn = self.conn();
        let count: i64 =
            conn.query_row("SELECT count(*) FROM embeddings WHERE model = ?1 AND chunk = 0", [model], |r| r.get(0))?;
        let dims: Option<u32> = conn
            .query_row("SELECT dims FROM embeddings WHERE model = ?1 LIMIT 1", [model], |r| r.get(0))
            .optional()?;
        Ok((count as u64, dims))
    }

    /// Row count and highest row id of one model's vectors: tells a memory copy whether it
    /// is current, grew (append the new rows) or shrank (reload).
    pub fn embeddings_mark(&self, model: &str) -> Result<(u64, i64)> {
        Ok(self.conn().query_row(
            "SELECT count(*), coalesce(max(id), 0) FROM embeddings WHERE model = ?1",
            [model],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
        )?)
    }

    /// Stores the vectors of a batch of pieces (every chunk of each) in one transaction,
    /// so a piece is indexed whole or not at all.
    pub fn store_embeddings(&self, model: &str, pieces: &[(Source, i64, Vec<Vec<f32>>)]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut clear = tx.prepare_cached("DELETE FROM embeddings WHERE source = ?1 AND item_id = ?2")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO embeddings (source, item_id, chunk, model, dims, vector, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let now = now_ms();
            for (source, item_id, vectors) in pieces {
                clear.execute((source.as_str(), item_id))?;
                for (chunk, v) in vectors.iter().enumerate() {
                    insert.execute((source.as_str(), item_id, chunk as i64, model, v.len() as i64, to_blob(v), now))?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Calls `each` for every vector of `model` with a row id above `after`, in row order.
    pub fn each_embedding(&self, model: &str, after: i64, mut each: impl FnMut(i64, VectorKey, Vec<f32>)) -> Result<()> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT id, source, item_id, chunk, vector FROM embeddings WHERE model = ?1 AND id > ?2 ORDER BY id")?;
        let mut rows = stmt.query((model, after))?;
        while let Some(r) = rows.next()? {
            let Some(source) = Source::parse(r.get_ref(1)?.as_str().unwrap_or_default()) else { continue };
            let Some(vector) = from_blob(r.get_ref(4)?.as_blob().unwrap_or_default()) else { continue };
            let key = VectorKey { source, item_id: r.get(2)?, chunk: r.get::<_, i64>(3)? as u32 };
            each(r.get(0)?, key, vector);
        }
        Ok(())
    }

    /// The stored vectors of `model` for these pieces, in the same order (`None` for a
    /// piece no longer indexed with it).
    pub fn embedding_vectors(&self, model: &str, keys: &[VectorKey]) -> Result<Vec<Option<Vec<f32>>>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT vector FROM embeddings WHERE source = ?1 AND item_id = ?2 AND chunk = ?3 AND model = ?4",
        )?;
        keys.iter()
            .map(|k| {
                let blob: Option<Vec<u8>> =
                    stmt.query_row((k.source.as_str(), k.item_id, k.chunk as i64, model), |r| r.get(0)).optional()?;
                Ok(blob.and_then(|b| from_blob(&b)))
            })
            .collect()
    }

    /// Drops vectors of every model but `keep` (`None`: all of them).
    pub fn drop_embeddings_except(&self, keep: Option<&str>) -> Result<usize> {
        Ok(match keep {
            Some(model) => self.conn().execute("DELETE FROM embeddings WHERE model <> ?1", [model])?,
            None => self.conn().execute("DELETE FROM embeddings", [])?,
        })
    }

    /// Completed generations whose prompt, revised prompt or transcript has all the words,
    /// newest first, with a snippet (matched words between \u{2}…\u{3}).
    pub fn search_generations(&self, fts_query: &str, limit: u32) -> Result<Vec<(i64, String)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT g.id, snippet(generations_fts, -1, char(2), char(3), '…', 16)
             FROM generations_fts JOIN generations g ON g.id = generations_fts.rowid
             WHERE generations_fts MATCH ?1 AND g.status = 'complete'
             ORDER BY generations_fts.rowid DESC LIMIT ?2",
        )?;
        let hits = stmt
            .query_map((fts_query, limit.clamp(1, 500)), |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(hits)
    }

    pub fn message_rows(&self, ids: &[i64]) -> Result<Vec<MessageRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT m.id, m.conversation_id, c.title, m.role, m.content, m.created_at
             FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id IN ({})",
            vec!["?"; ids.len()].join(",")
        ))?;
        let rows = stmt
            .query_map(params_from_iter(ids), |r| {
                Ok(MessageRow {
                    id: r.get(0)?,
                    conversation_id: r.get(1)?,
                    conversation_title: r.get(2)?,
                    role: role_of(&r.get::<_, String>(3)?),
                    content: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn generation_texts(&self, ids: &[i64]) -> Result<Vec<GenerationTexts>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT id, kind, prompt, revised_prompt, result_text FROM generations WHERE status = 'complete' AND id IN ({})",
            vec!["?"; ids.len()].join(",")
        ))?;
        let rows = stmt
            .query_map(params_from_iter(ids), |r| {
                let kind: String = r.get(1)?;
                let kind = match kind.as_str() {
                    "video" => GenerationKind::Video,
                    "speech" => GenerationKind::Speech,
                    "transcription" => GenerationKind::Transcription,
                    "translation" => GenerationKind::Translation,
                    _ => GenerationKind::Image,
                };
                let result: Option<String> = r.get(4)?;
                Ok(GenerationTexts {
                    id: r.get(0)?,
                    kind,
                    prompt: r.get(2)?,
                    revised_prompt: r.get(3)?,
                    transcript: result.filter(|_| matches!(kind, GenerationKind::Transcription | GenerationKind::Translation)).map(|t| transcript_text(&t)),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

/// A stored transcript is the JSON the app returned; its `text` is what was said.
fn transcript_text(stored: &str) -> String {
    serde_json::from_str::<serde_json::Value>(stored)
        .ok()
        .and_then(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_else(|| stored.to_string())
}

fn role_of(text: &str) -> Role {
    match text {
        "system" => Role::System,
        "developer" => Role::Developer,
        "assistant" => Role::Assistant,
        "tool" => Role::Tool,
        _ => Role::User,
    }
}
