//! Messages: one row each, written before a request leaves and while a reply streams.

use std::collections::HashMap;

use rusqlite::{params_from_iter, OptionalExtension, Row};

use super::{now_ms, Library};
use crate::error::{Error, Result};
use crate::types::{AssetView, MessagePage, MessageStatus, MessageView, Role, SearchHit, TokenUsage};

pub fn role_str(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::Developer => "developer",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
    }
}

fn parse_role(text: &str) -> Role {
    match text {
        "system" => Role::System,
        "developer" => Role::Developer,
        "assistant" => Role::Assistant,
        "tool" => Role::Tool,
        _ => Role::User,
    }
}

pub fn status_str(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Complete => "complete",
        MessageStatus::Streaming => "streaming",
        MessageStatus::Interrupted => "interrupted",
        MessageStatus::Failed => "failed",
    }
}

fn parse_status(text: &str) -> MessageStatus {
    match text {
        "streaming" => MessageStatus::Streaming,
        "interrupted" => MessageStatus::Interrupted,
        "failed" => MessageStatus::Failed,
        _ => MessageStatus::Complete,
    }
}

/// What a turn needs of an earlier message to build the request.
#[derive(Debug, Clone)]
pub struct HistoryMessage {
    pub id: i64,
    pub role: Role,
    pub content: String,
    pub status: MessageStatus,
    pub attachments: Vec<AssetView>,
    /// Calls an assistant message made.
    pub tool_calls: Vec<crate::platform::tools::ToolCall>,
    /// The call a tool message answers.
    pub tool_call_id: Option<String>,
}

const VIEW_COLUMNS: &str = "m.id, m.conversation_id, m.role, m.content, m.reasoning, m.status, m.error, m.model, m.created_at,
    u.input_tokens, u.output_tokens, u.total_tokens";
const VIEW_JOIN: &str = "messages m LEFT JOIN usage_records u ON u.message_id = m.id";

fn message_view(r: &Row<'_>) -> rusqlite::Result<MessageView> {
    let input: Option<u32> = r.get(9)?;
    let output: Option<u32> = r.get(10)?;
    let total: Option<u32> = r.get(11)?;
    let usage = (input.is_some() || output.is_some() || total.is_some())
        .then_some(TokenUsage { input_tokens: input, output_tokens: output, total_tokens: total });
    Ok(MessageView {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        role: parse_role(&r.get::<_, String>(2)?),
        content: r.get(3)?,
        reasoning: r.get(4)?,
        status: parse_status(&r.get::<_, String>(5)?),
        error: r.get(6)?,
        model: r.get(7)?,
        usage,
        attachments: Vec::new(),
        created_at: r.get(8)?,
        tool: None,
        tool_calls: None,
    })
}

/// A user's message and the empty reply that answers it, written together.
pub struct NewTurn<'a> {
    /// `None` creates the conversation, titled `title`.
    pub conversation_id: Option<i64>,
    pub title: &'a str,
    pub profile_id: Option<i64>,
    pub model: &'a str,
    pub text: &'a str,
    pub attachments: &'a [i64],
}

/// Ids of what `insert_turn` wrote.
pub struct StoredTurn {
    pub conversation_id: i64,
    pub user_message_id: i64,
    pub reply_id: i64,
}

impl Library {
    /// One transaction: a crash leaves either the whole turn (question and a reply that
    /// will read as interrupted) or nothing, never a conversation without its question.
    pub fn insert_turn(&self, turn: &NewTurn<'_>) -> Result<StoredTurn> {
        let now = now_ms();
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let conversation_id = match turn.conversation_id {
            Some(id) => {
                tx.execute("UPDATE conversations SET model = ?2, updated_at = ?3 WHERE id = ?1", (id, turn.model, now))?;
                id
            }
            None => tx.query_row(
                "INSERT INTO conversations (profile_id, title, model, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id",
                (turn.profile_id, turn.title, turn.model, now),
                |r| r.get(0),
            )?,
        };
        let insert = "INSERT INTO messages (conversation_id, role, content, status, model, created_at, updated_at)
                      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING id";
        let user_message_id: i64 =
            tx.query_row(insert, (conversation_id, "user", turn.text, "complete", None::<&str>, now), |r| r.get(0))?;
        for (position, asset_id) in turn.attachments.iter().enumerate() {
            tx.execute(
                "INSERT INTO attachments (message_id, position, asset_id) VALUES (?1, ?2, ?3)",
                (user_message_id, position as i64, asset_id),
            )?;
        }
        let reply_id: i64 =
            tx.query_row(insert, (conversation_id, "assistant", "", "streaming", Some(turn.model), now), |r| r.get(0))?;
        tx.commit()?;
        Ok(StoredTurn { conversation_id, user_message_id, reply_id })
    }

    pub fn insert_message(
        &self,
        conversation_id: i64,
        role: Role,
        content: &str,
        status: MessageStatus,
        model: Option<&str>,
    ) -> Result<i64> {
        let now = now_ms();
        let id = self.conn().query_row(
            "INSERT INTO messages (conversation_id, role, content, status, model, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING id",
            (conversation_id, role_str(role), content, status_str(status), model, now),
            |r| r.get(0),
        )?;
        Ok(id)
    }

    /// The text so far of a streaming reply; called a few times a second at most.
    pub fn update_reply_text(&self, id: i64, content: &str, reasoning: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE messages SET content = ?2, reasoning = ?3, updated_at = ?4 WHERE id = ?1",
            (id, content, reasoning, now_ms()),
        )?;
        Ok(())
    }

    pub fn finish_reply(
        &self,
        id: i64,
        status: MessageStatus,
        error: Option<&str>,
        finish_reason: Option<&str>,
        request_id: Option<&str>,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE messages SET status = ?2, error = ?3, finish_reason = ?4, request_id = ?5, updated_at = ?6 WHERE id = ?1",
            (id, status_str(status), error, finish_reason, request_id, now_ms()),
        )?;
        Ok(())
    }

    /// Puts a reply back into the streaming state to be continued.
    pub fn resume_reply(&self, id: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE messages SET status = 'streaming', error = NULL, finish_reason = NULL, updated_at = ?2 WHERE id = ?1",
            (id, now_ms()),
        )?;
        Ok(())
    }

    pub fn record_usage(
        &self,
        profile_id: Option<i64>,
        endpoint: &str,
        model: &str,
        message_id: Option<i64>,
        usage: &TokenUsage,
    ) -> Result<()> {
        let conn = self.conn();
        // One usage row per reply: a continued reply adds to its first figures.
        let existing: Option<i64> = match message_id {
            Some(id) => conn.query_row("SELECT id FROM usage_records WHERE message_id = ?1", [id], |r| r.get(0)).optional()?,
            None => None,
        };
        match existing {
            Some(row) => conn.execute(
                "UPDATE usage_records SET input_tokens = COALESCE(input_tokens, 0) + COALESCE(?2, 0),
                     output_tokens = COALESCE(output_tokens, 0) + COALESCE(?3, 0),
                     total_tokens = COALESCE(total_tokens, 0) + COALESCE(?4, 0) WHERE id = ?1",
                (row, usage.input_tokens, usage.output_tokens, usage.total_tokens),
            )?,
            None => conn.execute(
                "INSERT INTO usage_records (profile_id, endpoint, model, message_id, input_tokens, output_tokens, total_tokens, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                (profile_id, endpoint, model, message_id, usage.input_tokens, usage.output_tokens, usage.total_tokens, now_ms()),
            )?,
        };
        Ok(())
    }

    /// Replies a crash or a closed app left streaming. Run once at start-up.
    pub fn interrupt_stale_replies(&self) -> Result<usize> {
        Ok(self.conn().execute(
            "UPDATE messages SET status = 'interrupted', updated_at = ?1 WHERE status = 'streaming'",
            [now_ms()],
        )?)
    }

    pub fn message(&self, id: i64) -> Result<MessageView> {
        let view = self
            .conn()
            .query_row(&format!("SELECT {VIEW_COLUMNS} FROM {VIEW_JOIN} WHERE m.id = ?1"), [id], message_view)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("message {id}")))?;
        let mut views = vec![view];
        self.fill_attachments(&mut views)?;
        self.fill_tools(&mut views)?;
        Ok(views.remove(0))
    }

    /// A page of a conversation, oldest first. Neither cursor: the newest `limit`.
    pub fn messages(&self, conversation_id: i64, before: Option<i64>, after: Option<i64>, limit: u32) -> Result<MessagePage> {
        let limit = limit.clamp(1, 1000);
        let mut items: Vec<MessageView> = {
            let conn = self.conn();
            if let Some(after) = after {
                conn.prepare_cached(&format!(
                    "SELECT {VIEW_COLUMNS} FROM {VIEW_JOIN} WHERE m.conversation_id = ?1 AND m.id > ?2 ORDER BY m.id ASC LIMIT ?3"
                ))?
                .query_map((conversation_id, after, limit + 1), message_view)?
                .collect::<rusqlite::Result<_>>()?
            } else {
                let before = before.unwrap_or(i64::MAX);
                let mut newest_first: Vec<MessageView> = conn
                    .prepare_cached(&format!(
                        "SELECT {VIEW_COLUMNS} FROM {VIEW_JOIN} WHERE m.conversation_id = ?1 AND m.id < ?2 ORDER BY m.id DESC LIMIT ?3"
                    ))?
                    .query_map((conversation_id, before, limit + 1), message_view)?
                    .collect::<rusqlite::Result<_>>()?;
                newest_first.reverse();
                newest_first
            }
        };
        let more = items.len() > limit as usize;
        let (before_cursor, after_cursor) = if after.is_some() {
            items.truncate(limit as usize);
            let first = items.first().map(|m| m.id);
            (first, if more { items.last().map(|m| m.id) } else { None })
        } else {
            if more {
                items.remove(0);
            }
            let newer_exists = match (before, items.last()) {
                (Some(_), Some(last)) => self.has_message_after(conversation_id, last.id)?,
                _ => false,
            };
            (if more { items.first().map(|m| m.id) } else { None }, if newer_exists { items.last().map(|m| m.id) } else { None })
        };
        let before_cursor = match (after.is_some(), before_cursor) {
            (true, Some(first)) if self.has_message_before(conversation_id, first)? => Some(first),
            (true, _) => None,
            (false, cursor) => cursor,
        };
        self.fill_attachments(&mut items)?;
        self.fill_tools(&mut items)?;
        Ok(MessagePage { items, before_cursor, after_cursor })
    }

    fn has_message_after(&self, conversation_id: i64, id: i64) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?1 AND id > ?2)",
            (conversation_id, id),
            |r| r.get(0),
        )?)
    }

    fn has_message_before(&self, conversation_id: i64, id: i64) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = ?1 AND id < ?2)",
            (conversation_id, id),
            |r| r.get(0),
        )?)
    }

    /// Everything a request needs, in order, up to (not including) `until_id`.
    pub fn history(&self, conversation_id: i64, until_id: i64) -> Result<Vec<HistoryMessage>> {
        let views: Vec<MessageView> = {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {VIEW_COLUMNS} FROM {VIEW_JOIN} WHERE m.conversation_id = ?1 AND m.id < ?2 ORDER BY m.id"
            ))?;
            let rows = stmt.query_map((conversation_id, until_id), message_view)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut views = views;
        self.fill_attachments(&mut views)?;
        let mut tools: HashMap<i64, (Option<String>, Option<String>)> =
            self.tool_columns(conversation_id, until_id)?.into_iter().map(|(id, calls, call_id)| (id, (calls, call_id))).collect();
        Ok(views
            .into_iter()
            .map(|v| {
                let (calls, call_id) = tools.remove(&v.id).unwrap_or_default();
                // A tool row's own `tool_calls` is its record, not calls it made.
                let tool_calls = match (&call_id, calls) {
                    (None, Some(calls)) => super::tool_calls::parse_wire_calls(&calls),
                    _ => Vec::new(),
                };
                HistoryMessage {
                    id: v.id,
                    role: v.role,
                    content: v.content,
                    status: v.status,
                    attachments: v.attachments,
                    tool_calls,
                    tool_call_id: call_id,
                }
            })
            .collect())
    }

    pub fn set_message_content(&self, id: i64, content: &str) -> Result<()> {
        self.conn().execute("UPDATE messages SET content = ?2, updated_at = ?3 WHERE id = ?1", (id, content, now_ms()))?;
        Ok(())
    }

    pub fn delete_message(&self, id: i64) -> Result<()> {
        self.conn().execute("DELETE FROM messages WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Removes every message after `id` in its conversation (edit and resend).
    pub fn delete_messages_after(&self, conversation_id: i64, id: i64) -> Result<usize> {
        Ok(self.conn().execute("DELETE FROM messages WHERE conversation_id = ?1 AND id > ?2", (conversation_id, id))?)
    }

    /// Full-text search over every message, newest first: every hit has all the words, and
    /// walking the index backwards stops after `limit` hits, where ranking by relevance
    /// would score every match of a common word first.
    pub fn search_messages(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let Some(fts_query) = fts_query(query) else { return Ok(Vec::new()) };
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT m.id, m.conversation_id, c.title, m.role,
                    snippet(messages_fts, 0, char(2), char(3), '…', 16), m.created_at
             FROM messages_fts
             JOIN messages m ON m.id = messages_fts.rowid
             JOIN conversations c ON c.id = m.conversation_id
             WHERE messages_fts MATCH ?1
             ORDER BY messages_fts.rowid DESC LIMIT ?2",
        )?;
        let hits = stmt
            .query_map((fts_query, limit.clamp(1, 200)), |r| {
                Ok(SearchHit {
                    message_id: r.get(0)?,
                    conversation_id: r.get(1)?,
                    conversation_title: r.get(2)?,
                    role: parse_role(&r.get::<_, String>(3)?),
                    snippet: r.get(4)?,
                    created_at: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(hits)
    }

    fn fill_attachments(&self, views: &mut [MessageView]) -> Result<()> {
        if views.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = views.iter().map(|v| v.id).collect();
        let placeholders = vec!["?"; ids.len()].join(",");
        let mut by_message: HashMap<i64, Vec<AssetView>> = HashMap::new();
        {
            let conn = self.conn();
            let mut stmt = conn.prepare(&format!(
                "SELECT a.message_id, {} FROM attachments a JOIN assets s ON s.id = a.asset_id
                 WHERE a.message_id IN ({placeholders}) ORDER BY a.message_id, a.position",
                super::assets::ASSET_COLUMNS
            ))?;
            let rows = stmt.query_map(params_from_iter(ids.iter()), |r| {
                Ok((r.get::<_, i64>(0)?, super::assets::asset_row(r, 1)?))
            })?;
            for row in rows {
                let (message_id, asset) = row?;
                by_message.entry(message_id).or_default().push(self.asset_view(asset));
            }
        }
        for view in views {
            if let Some(list) = by_message.remove(&view.id) {
                view.attachments = list;
            }
        }
        Ok(())
    }
}

/// Turns what a person types into an FTS5 query: each word quoted (no operators can be
/// injected), the last one a prefix so results come while typing, from its second letter
/// (one-letter prefixes would match most of the history).
pub fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split_whitespace()
        .map(|w| w.replace('"', ""))
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect();
    if words.is_empty() {
        return None;
    }
    let last_len = words.last().map_or(0, |w| w.chars().count() - 2);
    let mut query = words.join(" ");
    if last_len >= 2 {
        query.push('*');
    }
    Some(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_cannot_inject_fts_syntax() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("golden hour").unwrap(), "\"golden\" \"hour\"*");
        assert_eq!(fts_query("a\" OR b NEAR(").unwrap(), "\"a\" \"OR\" \"b\" \"NEAR(\"*");
        assert_eq!(fts_query("golden h").unwrap(), "\"golden\" \"h\"", "one letter is a word, not a prefix");
    }

    #[test]
    fn pages_walk_a_conversation_both_ways_and_search_finds_words() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        let c = lib.create_conversation(None, "harbour talk", None).unwrap();
        let ids: Vec<i64> = (0..25)
            .map(|i| lib.insert_message(c.id, Role::User, &format!("message {i} about café boats"), MessageStatus::Complete, None).unwrap())
            .collect();
        let newest = lib.messages(c.id, None, None, 10).unwrap();
        assert_eq!(newest.items.iter().map(|m| m.id).collect::<Vec<_>>(), ids[15..].to_vec());
        assert_eq!(newest.before_cursor, Some(ids[15]));
        assert_eq!(newest.after_cursor, None);
        let older = lib.messages(c.id, newest.before_cursor, None, 10).unwrap();
        assert_eq!(older.items.first().unwrap().id, ids[5]);
        let around = lib.messages(c.id, Some(ids[7] + 1), None, 3).unwrap();
        assert_eq!(around.items.iter().map(|m| m.id).collect::<Vec<_>>(), ids[5..8].to_vec());
        assert_eq!(around.after_cursor, Some(ids[7]));
        let newer = lib.messages(c.id, None, around.after_cursor, 3).unwrap();
        assert_eq!(newer.items.iter().map(|m| m.id).collect::<Vec<_>>(), ids[8..11].to_vec());
        assert_eq!(newer.before_cursor, Some(ids[8]));

        let hits = lib.search_messages("CAFE boa", 5).unwrap();
        assert_eq!(hits.len(), 5);
        assert!(hits[0].snippet.contains('\u{2}'));
        assert_eq!(hits[0].conversation_title, "harbour talk");
    }

    #[test]
    fn stale_streaming_replies_become_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        let c = lib.create_conversation(None, "t", None).unwrap();
        let reply = lib.insert_message(c.id, Role::Assistant, "half a", MessageStatus::Streaming, None).unwrap();
        assert_eq!(lib.interrupt_stale_replies().unwrap(), 1);
        let m = lib.message(reply).unwrap();
        assert_eq!((m.status, m.content.as_str()), (MessageStatus::Interrupted, "half a"));
    }
}
