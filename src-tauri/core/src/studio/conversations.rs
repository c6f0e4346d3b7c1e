//! The conversation list, messages, attachments, search and Markdown export.

use std::path::{Path, PathBuf};

use base64::Engine;

use super::Studio;
use crate::error::{Error, Result};
use crate::types::{AssetView, Conversation, ConversationPage, ConversationPatch, MessagePage, Role, SearchHit};

impl Studio {
    pub fn list_conversations(&self, cursor: Option<&str>, limit: u32) -> Result<ConversationPage> {
        self.library.conversations(cursor, limit)
    }

    pub fn conversation(&self, id: i64) -> Result<Conversation> {
        self.library.conversation(id)
    }

    pub fn create_conversation(&self, model: Option<&str>) -> Result<Conversation> {
        let profile = self.profile_id().ok();
        self.library.create_conversation(profile, "New chat", model)
    }

    pub fn update_conversation(&self, id: i64, patch: ConversationPatch) -> Result<Conversation> {
        if patch.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(Error::InvalidInput("A conversation needs a title.".into()));
        }
        let mut patch = patch;
        // Settings that do not know the tool settings (older fronts) leave them as they are.
        if let Some(params) = patch.params.as_mut().filter(|p| p.tools.is_none()) {
            params.tools = self.library.conversation(id)?.params.tools;
        }
        self.library.update_conversation(id, &patch)
    }

    /// Deletes a conversation and its messages, stopping a reply still streaming in it.
    pub fn delete_conversation(&self, id: i64) -> Result<()> {
        for m in self.library.messages(id, None, None, 1000)?.items {
            self.running_cancel(m.id);
        }
        self.library.delete_conversation(id)
    }

    pub fn list_messages(&self, conversation_id: i64, before: Option<i64>, after: Option<i64>, limit: u32) -> Result<MessagePage> {
        self.library.messages(conversation_id, before, after, limit)
    }

    pub fn search_messages(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        self.library.search_messages(query, limit)
    }

    /// Copies an image file into the media store for attaching to a message.
    pub fn attach_file(&self, path: &Path) -> Result<AssetView> {
        self.library.import_image_file(path)
    }

    /// Same, for pasted or picked images that arrive as base64.
    pub fn attach_bytes(&self, name: Option<&str>, data_base64: &str) -> Result<AssetView> {
        // Reject before decoding: base64 is 4/3 the size of the bytes.
        if data_base64.len() / 4 * 3 > crate::media::MAX_IMAGE_BYTES + 3 {
            return Err(Error::InvalidInput(format!(
                "the image is larger than {} MB and cannot be attached",
                crate::media::MAX_IMAGE_BYTES / 1_048_576
            )));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data_base64.trim())
            .map_err(|_| Error::InvalidInput("the pasted data is not an image".into()))?;
        self.library.import_image(&bytes, name)
    }

    /// Writes the conversation as Markdown into `folder` (the Downloads folder when `None`)
    /// and returns the file's path.
    pub fn export_conversation(&self, id: i64, folder: Option<&Path>) -> Result<PathBuf> {
        let conversation = self.library.conversation(id)?;
        let mut text = format!("# {}\n\n", conversation.title);
        if let Some(model) = &conversation.model {
            text.push_str(&format!("Model: `{model}`\n\n"));
        }
        let mut before = None;
        let mut pages = Vec::new();
        loop {
            let page = self.library.messages(id, before, None, 500)?;
            before = page.before_cursor;
            pages.push(page.items);
            if before.is_none() {
                break;
            }
        }
        for message in pages.into_iter().rev().flatten() {
            let who = match message.role {
                Role::User => "You".to_string(),
                Role::Assistant => format!("Assistant{}", message.model.map(|m| format!(" ({m})")).unwrap_or_default()),
                Role::System | Role::Developer => "System".to_string(),
                Role::Tool => "Tool".to_string(),
            };
            text.push_str(&format!("## {who}\n\n{}\n\n", message.content.trim_end()));
            for a in &message.attachments {
                text.push_str(&format!("- attached: {} ({}, sha256 {})\n", a.original_name.as_deref().unwrap_or("image"), a.mime, a.sha256));
            }
            if !message.attachments.is_empty() {
                text.push('\n');
            }
        }
        let folder = match folder {
            Some(f) => f.to_path_buf(),
            None => downloads_folder()?,
        };
        std::fs::create_dir_all(&folder)?;
        let path = free_path(&folder, &safe_file_stem(&conversation.title), "md");
        std::fs::write(&path, text)?;
        Ok(path)
    }
}

/// The user's Downloads folder (their home when none is set).
pub(super) fn downloads_folder() -> Result<PathBuf> {
    directories::UserDirs::new()
        .and_then(|d| d.download_dir().map(Path::to_path_buf).or_else(|| Some(d.home_dir().to_path_buf())))
        .ok_or_else(|| Error::Storage("no Downloads folder is known".into()))
}

/// A file name from a title: no path separators or control characters, never empty.
pub(super) fn safe_file_stem(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') { c } else { '-' })
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| c == '.' || c == ' ' || c == '-');
    let stem: String = trimmed.chars().take(80).collect();
    if stem.is_empty() { "conversation".into() } else { stem }
}

/// Where an export goes: the path asked for (its folder made), or a free name in Downloads.
pub(super) fn export_path(out: Option<&Path>, title: &str, ext: &str) -> Result<PathBuf> {
    let path = match out {
        Some(path) => path.to_path_buf(),
        None => free_path(&downloads_folder()?, &safe_file_stem(title), ext),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    Ok(path)
}

pub(super) fn free_path(folder: &Path, stem: &str, ext: &str) -> PathBuf {
    let first = folder.join(format!("{stem}.{ext}"));
    if !first.exists() {
        return first;
    }
    (2..).map(|n| folder.join(format!("{stem} ({n}).{ext}"))).find(|p| !p.exists()).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_cannot_escape_the_folder() {
        assert_eq!(safe_file_stem("../../etc/passwd"), "etc-passwd");
        assert_eq!(safe_file_stem("Café plans: v2"), "Café plans- v2");
        assert_eq!(safe_file_stem("///"), "conversation");
    }
}
