//! Tool calls as messages: the assistant row keeps the calls as the model sent them
//! (`messages.tool_calls`, wire JSON), and each call gets a `tool` row answering it
//! (`tool_call_id`), whose `content` is what the model is told. The tool row's own
//! `tool_calls` column holds how the call went (`ToolRecord`), so history, search, export
//! and erasure cover tool calls like any other message. A generation made by a call points
//! back at its tool row (`generations.source_message_id`).

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{now_ms, Library};
use crate::error::{Error, Result};
use crate::platform::tools::ToolCall;
use crate::types::{ToolCallState, ToolCallView, ToolParam};

/// How one call went, stored on its tool row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ToolRecord {
    pub name: String,
    /// The arguments as checked (an object), or the raw text when they were not valid.
    pub arguments: Value,
    pub state: ToolCallState,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub generation_id: Option<i64>,
    /// Stored files the call works from (the image to edit, the audio to transcribe).
    #[serde(default)]
    pub input_ids: Vec<i64>,
    #[serde(default)]
    pub error: Option<String>,
}

/// A tool row with what a run needs.
#[derive(Debug, Clone)]
pub struct StoredToolCall {
    pub message_id: i64,
    pub conversation_id: i64,
    /// The assistant message that made the call.
    pub reply_id: i64,
    pub call_id: String,
    pub record: ToolRecord,
    pub content: String,
}

pub fn wire_calls(calls: &[ToolCall]) -> Value {
    calls
        .iter()
        .map(|c| json!({ "id": c.id, "type": "function", "function": { "name": c.name, "arguments": c.arguments } }))
        .collect()
}

pub fn parse_wire_calls(text: &str) -> Vec<ToolCall> {
    let Ok(Value::Array(list)) = serde_json::from_str::<Value>(text) else { return Vec::new() };
    list.iter()
        .filter_map(|c| {
            Some(ToolCall {
                id: c.get("id")?.as_str()?.to_string(),
                name: c.pointer("/function/name")?.as_str()?.to_string(),
                arguments: c.pointer("/function/arguments").and_then(Value::as_str).unwrap_or("{}").to_string(),
            })
        })
        .collect()
}

/// The card's view of a record, before generation details are filled in.
pub(crate) fn view_of(message_id: i64, conversation_id: i64, call_id: &str, record: &ToolRecord, content: &str) -> ToolCallView {
    let text = |k: &str| record.arguments.get(k).and_then(Value::as_str).map(str::to_string);
    let params = record
        .arguments
        .as_object()
        .map(|map| {
            map.iter()
                .filter(|(k, v)| !matches!(k.as_str(), "prompt" | "text" | "query") && !v.is_null())
                .map(|(k, v)| ToolParam { name: k.clone(), value: v.as_str().map_or_else(|| v.to_string(), str::to_string) })
                .collect()
        })
        .unwrap_or_default();
    let done = matches!(record.state, ToolCallState::Done | ToolCallState::Failed | ToolCallState::Declined | ToolCallState::Invalid);
    ToolCallView {
        message_id,
        conversation_id,
        call_id: call_id.to_string(),
        name: record.name.clone(),
        kind: None,
        prompt: text("prompt").or_else(|| text("text")).or_else(|| text("query")),
        model: record.model.clone(),
        params,
        state: record.state,
        error: record.error.clone(),
        generation_id: record.generation_id,
        generation_status: None,
        progress: 0,
        outputs: Vec::new(),
        inputs: Vec::new(),
        cost: None,
        result: (done && !content.is_empty()).then(|| content.to_string()),
    }
}

impl Library {
    /// Stores the calls on the reply and one tool row per call, in one transaction.
    pub fn insert_tool_calls(&self, reply_id: i64, calls: &[(ToolCall, ToolRecord, String)]) -> Result<Vec<i64>> {
        let now = now_ms();
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let conversation_id: i64 = tx.query_row("SELECT conversation_id FROM messages WHERE id = ?1", [reply_id], |r| r.get(0))?;
        let plain: Vec<ToolCall> = calls.iter().map(|(c, _, _)| c.clone()).collect();
        tx.execute("UPDATE messages SET tool_calls = ?2, updated_at = ?3 WHERE id = ?1", (reply_id, wire_calls(&plain).to_string(), now))?;
        let mut ids = Vec::with_capacity(calls.len());
        for (call, record, content) in calls {
            let id: i64 = tx.query_row(
                "INSERT INTO messages (conversation_id, parent_id, role, content, tool_calls, tool_call_id, status, created_at, updated_at)
                 VALUES (?1, ?2, 'tool', ?3, ?4, ?5, 'complete', ?6, ?6) RETURNING id",
                (conversation_id, reply_id, content, record_json(record)?, &call.id, now),
                |r| r.get(0),
            )?;
            ids.push(id);
        }
        tx.commit()?;
        Ok(ids)
    }

    pub fn tool_call(&self, message_id: i64) -> Result<StoredToolCall> {
        self.conn()
            .query_row(
                "SELECT id, conversation_id, parent_id, tool_call_id, tool_calls, content FROM messages WHERE id = ?1 AND role = 'tool'",
                [message_id],
                stored_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("tool call {message_id}")))?
    }

    /// The tool rows answering one assistant message, in call order.
    pub fn tool_calls_of(&self, reply_id: i64) -> Result<Vec<StoredToolCall>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, conversation_id, parent_id, tool_call_id, tool_calls, content FROM messages
             WHERE parent_id = ?1 AND role = 'tool' ORDER BY id",
        )?;
        let rows: Vec<Result<StoredToolCall>> = stmt.query_map([reply_id], stored_row)?.collect::<rusqlite::Result<_>>()?;
        rows.into_iter().collect()
    }

    /// The tool row a generation was made for, if any.
    pub fn tool_call_for_generation(&self, generation_id: i64) -> Result<Option<StoredToolCall>> {
        let id: Option<i64> = self
            .conn()
            .query_row(
                "SELECT m.id FROM generations g JOIN messages m ON m.id = g.source_message_id WHERE g.id = ?1 AND m.role = 'tool'",
                [generation_id],
                |r| r.get(0),
            )
            .optional()?;
        id.map(|id| self.tool_call(id)).transpose()
    }

    /// Saves a call's new state and, when given, what the model is told.
    pub fn update_tool_call(&self, message_id: i64, record: &ToolRecord, content: Option<&str>) -> Result<()> {
        let conn = self.conn();
        match content {
            Some(text) => conn.execute(
                "UPDATE messages SET tool_calls = ?2, content = ?3, updated_at = ?4 WHERE id = ?1",
                (message_id, record_json(record)?, text, now_ms()),
            )?,
            None => conn.execute(
                "UPDATE messages SET tool_calls = ?2, updated_at = ?3 WHERE id = ?1",
                (message_id, record_json(record)?, now_ms()),
            )?,
        };
        Ok(())
    }

    pub fn link_generation_to_message(&self, generation_id: i64, message_id: i64) -> Result<()> {
        self.conn().execute("UPDATE generations SET source_message_id = ?2 WHERE id = ?1", (generation_id, message_id))?;
        Ok(())
    }

    /// Generations made by tool calls in a conversation (the spending limit counts them).
    pub fn tool_generation_count(&self, conversation_id: i64) -> Result<u32> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM messages m JOIN generations g ON g.source_message_id = m.id
             WHERE m.conversation_id = ?1 AND m.role = 'tool'",
            [conversation_id],
            |r| r.get(0),
        )?)
    }

    /// The newest stored file of a kind (`image/`, `audio/`) in a conversation: attached
    /// by the person or made by a tool.
    pub fn latest_conversation_asset(&self, conversation_id: i64, mime_prefix: &str) -> Result<Option<i64>> {
        let pattern = format!("{mime_prefix}%");
        Ok(self
            .conn()
            .query_row(
                "SELECT asset_id FROM (
                     SELECT a.asset_id, a.message_id AS at FROM attachments a JOIN messages m ON m.id = a.message_id
                     JOIN assets s ON s.id = a.asset_id WHERE m.conversation_id = ?1 AND s.mime LIKE ?2
                     UNION ALL
                     SELECT ga.asset_id, m.id AS at FROM messages m JOIN generations g ON g.source_message_id = m.id
                     JOIN generation_assets ga ON ga.generation_id = g.id AND ga.role = 'output'
                     JOIN assets s ON s.id = ga.asset_id WHERE m.conversation_id = ?1 AND s.mime LIKE ?2
                 ) ORDER BY at DESC LIMIT 1",
                (conversation_id, pattern),
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Whether a stored file belongs to a conversation (a model may only use those).
    pub fn asset_in_conversation(&self, conversation_id: i64, asset_id: i64) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM attachments a JOIN messages m ON m.id = a.message_id
                            WHERE m.conversation_id = ?1 AND a.asset_id = ?2)
                 OR EXISTS (SELECT 1 FROM messages m JOIN generations g ON g.source_message_id = m.id
                            JOIN generation_assets ga ON ga.generation_id = g.id
                            WHERE m.conversation_id = ?1 AND ga.asset_id = ?2)",
            (conversation_id, asset_id),
            |r| r.get(0),
        )?)
    }

    /// Calls made by a message in a conversation, and tool answers, for building a request.
    pub(crate) fn tool_columns(&self, conversation_id: i64, until_id: i64) -> Result<Vec<(i64, Option<String>, Option<String>)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, tool_calls, tool_call_id FROM messages
             WHERE conversation_id = ?1 AND id < ?2 AND (tool_calls IS NOT NULL OR tool_call_id IS NOT NULL)",
        )?;
        let rows = stmt.query_map((conversation_id, until_id), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Fills the card of each tool row, and the call count of each assistant row.
    pub(crate) fn fill_tools(&self, views: &mut [crate::types::MessageView]) -> Result<()> {
        let ids: Vec<i64> = views.iter().filter(|v| matches!(v.role, crate::types::Role::Tool | crate::types::Role::Assistant)).map(|v| v.id).collect();
        if ids.is_empty() {
            return Ok(());
        }
        let placeholders = vec!["?"; ids.len()].join(",");
        let rows: Vec<(i64, Option<String>, Option<String>)> = {
            let conn = self.conn();
            let mut stmt = conn.prepare(&format!(
                "SELECT id, tool_calls, tool_call_id FROM messages WHERE id IN ({placeholders}) AND tool_calls IS NOT NULL"
            ))?;
            let rows = stmt.query_map(rusqlite::params_from_iter(ids.iter()), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (id, calls, call_id) in rows {
            let Some(view) = views.iter_mut().find(|v| v.id == id) else { continue };
            let calls = calls.unwrap_or_default();
            match call_id {
                Some(call_id) => {
                    let Ok(record) = serde_json::from_str::<ToolRecord>(&calls) else { continue };
                    let mut card = view_of(id, view.conversation_id, &call_id, &record, &view.content);
                    self.fill_generation(&mut card, &record)?;
                    view.tool = Some(card);
                }
                None => view.tool_calls = Some(parse_wire_calls(&calls).len() as u32),
            }
        }
        Ok(())
    }

    pub(crate) fn fill_generation(&self, card: &mut ToolCallView, record: &ToolRecord) -> Result<()> {
        for id in &record.input_ids {
            if let Ok(asset) = self.asset(*id) {
                card.inputs.push(asset);
            }
        }
        let Some(generation_id) = record.generation_id else { return Ok(()) };
        let Ok(generation) = self.generation(generation_id) else { return Ok(()) };
        card.kind = Some(generation.kind);
        card.generation_status = Some(generation.status);
        card.progress = generation.progress;
        card.model = Some(generation.model.clone());
        card.outputs = generation.outputs;
        if card.inputs.is_empty() {
            card.inputs = generation.inputs;
        }
        card.cost = generation.usage.and_then(|u| u.total_tokens).map(|t| format!("{t} tokens"));
        Ok(())
    }
}

fn record_json(record: &ToolRecord) -> Result<String> {
    serde_json::to_string(record).map_err(|e| Error::Internal(e.to_string()))
}

fn stored_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<StoredToolCall>> {
    let text: Option<String> = r.get(4)?;
    let record = text
        .as_deref()
        .and_then(|t| serde_json::from_str::<ToolRecord>(t).ok())
        .ok_or_else(|| Error::Internal("a tool call's record cannot be read".into()));
    Ok(record.map(|record| StoredToolCall {
        message_id: r.get(0).unwrap_or_default(),
        conversation_id: r.get(1).unwrap_or_default(),
        reply_id: r.get::<_, Option<i64>>(2).ok().flatten().unwrap_or_default(),
        call_id: r.get::<_, Option<String>>(3).ok().flatten().unwrap_or_default(),
        record,
        content: r.get(5).unwrap_or_default(),
    }))
}
