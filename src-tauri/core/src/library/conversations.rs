//! Conversations: the sidebar list (by cursor, no message bodies) and their settings.

use rusqlite::{OptionalExtension, Row};

use super::{now_ms, Library};
use crate::error::{Error, Result};
use crate::types::{ChatParams, Conversation, ConversationPage, ConversationPatch, ConversationSummary};

const COLUMNS: &str = "id, title, model, system_prompt, params, pinned, created_at, updated_at";

fn conversation(row: &Row<'_>) -> rusqlite::Result<Conversation> {
    let params: String = row.get(4)?;
    Ok(Conversation {
        id: row.get(0)?,
        title: row.get(1)?,
        model: row.get(2)?,
        system_prompt: row.get(3)?,
        // Parameters an older or newer version wrote in another shape read as defaults.
        params: serde_json::from_str(&params).unwrap_or_default(),
        pinned: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

/// The sidebar's order is (pinned, updated_at, id), all descending; the cursor is the
/// last row's triple.
fn encode_cursor(c: &ConversationSummary) -> String {
    format!("{}:{}:{}", c.pinned as u8, c.updated_at, c.id)
}

fn decode_cursor(cursor: &str) -> Result<(i64, i64, i64)> {
    let parts: Vec<i64> = cursor.split(':').filter_map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [pinned, updated, id] => Ok((*pinned, *updated, *id)),
        _ => Err(Error::Internal(format!("not a conversation cursor: {cursor}"))),
    }
}

impl Library {
    pub fn create_conversation(&self, profile_id: Option<i64>, title: &str, model: Option<&str>) -> Result<Conversation> {
        let now = now_ms();
        let conn = self.conn();
        let conversation = conn.query_row(
            &format!(
                "INSERT INTO conversations (profile_id, title, model, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
                 RETURNING {COLUMNS}"
            ),
            (profile_id, title, model, now),
            conversation,
        )?;
        Ok(conversation)
    }

    pub fn conversation(&self, id: i64) -> Result<Conversation> {
        self.conn()
            .query_row(&format!("SELECT {COLUMNS} FROM conversations WHERE id = ?1"), [id], conversation)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("conversation {id}")))
    }

    /// One page of the sidebar. Reads only the columns a row shows.
    pub fn conversations(&self, cursor: Option<&str>, limit: u32) -> Result<ConversationPage> {
        let limit = limit.clamp(1, 500);
        let conn = self.conn();
        let map = |r: &Row<'_>| {
            Ok(ConversationSummary {
                id: r.get(0)?,
                title: r.get(1)?,
                model: r.get(2)?,
                pinned: r.get(3)?,
                updated_at: r.get(4)?,
            })
        };
        let mut items: Vec<ConversationSummary> = match cursor {
            None => conn
                .prepare_cached(
                    "SELECT id, title, model, pinned, updated_at FROM conversations
                     ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT ?1",
                )?
                .query_map([limit + 1], map)?
                .collect::<rusqlite::Result<_>>()?,
            Some(cursor) => {
                let (pinned, updated, id) = decode_cursor(cursor)?;
                conn.prepare_cached(
                    "SELECT id, title, model, pinned, updated_at FROM conversations
                     WHERE (pinned, updated_at, id) < (?1, ?2, ?3)
                     ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT ?4",
                )?
                .query_map((pinned, updated, id, limit + 1), map)?
                .collect::<rusqlite::Result<_>>()?
            }
        };
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = if more { items.last().map(encode_cursor) } else { None };
        Ok(ConversationPage { items, next_cursor })
    }

    pub fn update_conversation(&self, id: i64, patch: &ConversationPatch) -> Result<Conversation> {
        {
            let conn = self.conn();
            let tx = conn.unchecked_transaction()?;
            if let Some(title) = &patch.title {
                tx.execute("UPDATE conversations SET title = ?2 WHERE id = ?1", (id, title.trim()))?;
            }
            if let Some(model) = &patch.model {
                tx.execute("UPDATE conversations SET model = ?2 WHERE id = ?1", (id, model))?;
            }
            if let Some(prompt) = &patch.system_prompt {
                let prompt = Some(prompt.trim()).filter(|p| !p.is_empty());
                tx.execute("UPDATE conversations SET system_prompt = ?2 WHERE id = ?1", (id, prompt))?;
            }
            if let Some(params) = &patch.params {
                tx.execute("UPDATE conversations SET params = ?2 WHERE id = ?1", (id, serde_json::to_string(params)?))?;
            }
            if let Some(pinned) = patch.pinned {
                tx.execute("UPDATE conversations SET pinned = ?2 WHERE id = ?1", (id, pinned))?;
            }
            tx.commit()?;
        }
        self.conversation(id)
    }

    /// Marks a conversation as active now, which moves it up the sidebar.
    pub fn touch_conversation(&self, id: i64) -> Result<()> {
        self.conn().execute("UPDATE conversations SET updated_at = ?2 WHERE id = ?1", (id, now_ms()))?;
        Ok(())
    }

    /// Deletes the conversation and its messages (cascade); attached files stay in the
    /// store for whatever else refers to them.
    pub fn delete_conversation(&self, id: i64) -> Result<()> {
        let deleted = self.conn().execute("DELETE FROM conversations WHERE id = ?1", [id])?;
        if deleted == 0 {
            return Err(Error::NotFound(format!("conversation {id}")));
        }
        Ok(())
    }

    pub fn conversation_params(&self, id: i64) -> Result<ChatParams> {
        Ok(self.conversation(id)?.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidebar_pages_pinned_first_then_newest_without_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let lib = Library::open(dir.path()).unwrap();
        let ids: Vec<i64> = (0..25).map(|i| lib.create_conversation(None, &format!("c{i}"), None).unwrap().id).collect();
        lib.update_conversation(ids[3], &ConversationPatch { pinned: Some(true), ..Default::default() }).unwrap();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = lib.conversations(cursor.as_deref(), 10).unwrap();
            seen.extend(page.items.iter().map(|c| c.id));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 25);
        assert_eq!(seen[0], ids[3], "pinned first");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 25, "no row twice");
    }
}
