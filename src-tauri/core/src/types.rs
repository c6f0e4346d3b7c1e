//! Domain types that cross the IPC boundary. Declared once here; the TypeScript side is
//! generated from them by ts-rs (`cargo test -p nexhina-core --features ts`).

use serde::{Deserialize, Serialize};

macro_rules! ipc_type {
    ($item:item) => {
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
        $item
    };
}

ipc_type! {
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq, Hash)]
    pub enum ModelKind { Chat, Image, Video, Tts, Stt, Embedding, Rerank, Moderation }
}

impl ModelKind {
    pub const ALL: [ModelKind; 8] = [
        ModelKind::Chat,
        ModelKind::Image,
        ModelKind::Video,
        ModelKind::Tts,
        ModelKind::Stt,
        ModelKind::Embedding,
        ModelKind::Rerank,
        ModelKind::Moderation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Chat => "chat",
            ModelKind::Image => "image",
            ModelKind::Video => "video",
            ModelKind::Tts => "tts",
            ModelKind::Stt => "stt",
            ModelKind::Embedding => "embedding",
            ModelKind::Rerank => "rerank",
            ModelKind::Moderation => "moderation",
        }
    }

    pub fn parse(text: &str) -> Option<ModelKind> {
        ModelKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

ipc_type! {
    /// Where a model's kind came from: the gateway's metadata, its name, or the user.
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq)]
    pub enum KindSource { Gateway, Name, User }
}

ipc_type! {
    pub struct ModelInfo {
        pub id: String,
        pub kind: ModelKind,
        pub kind_source: KindSource,
        pub owned_by: Option<String>,
    }
}

ipc_type! {
    /// Where the API key in use comes from.
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq)]
    pub enum KeySource { Keychain, Environment, Memory, Demo, None }
}

ipc_type! {
    pub struct ProfileView {
        pub base_url: String,
        pub demo: bool,
        pub key_source: KeySource,
        /// The key's last characters (`sk-…abcd`), never the key.
        pub key_hint: Option<String>,
    }
}

ipc_type! {
    pub struct KeychainStatus {
        pub available: bool,
        pub message: Option<String>,
    }
}

ipc_type! {
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq, Default)]
    pub enum Theme { #[default] System, Light, Dark }
}

ipc_type! {
    #[derive(Copy, Eq, Default)]
    pub enum Language {
        #[default]
        #[serde(rename = "en")]
        En,
        #[serde(rename = "zh-CN")]
        ZhCn,
    }
}

ipc_type! {
    #[derive(Default)]
    pub struct Settings {
        pub theme: Theme,
        pub language: Language,
        /// A proxy for platform calls (`http://`, `https://` or `socks5://`); without it
        /// `HTTPS_PROXY`/`ALL_PROXY` apply.
        #[serde(default)]
        pub proxy: Option<String>,
    }
}

ipc_type! {
    pub struct AppInfo {
        pub version: String,
        pub data_dir: String,
        pub profile: ProfileView,
        pub keychain: KeychainStatus,
        pub settings: Settings,
    }
}

ipc_type! {
    /// Where a newly entered key is kept.
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq)]
    pub enum KeyStorage { Keychain, Memory }
}

ipc_type! {
    pub struct ProfileInput {
        pub base_url: String,
        /// `None` keeps the key already stored for this base URL.
        pub api_key: Option<String>,
        pub key_storage: KeyStorage,
    }
}

ipc_type! {
    /// Money in the platform's display currency (or tokens when it counts in tokens).
    pub struct Balance {
        pub total: Option<f64>,
        pub used: Option<f64>,
        pub available: Option<f64>,
        pub unlimited: bool,
        pub currency: String,
    }
}

ipc_type! {
    pub struct ConnectionReport {
        pub base_url: String,
        pub models: Vec<ModelInfo>,
        pub balance: Option<Balance>,
    }
}

ipc_type! {
    /// An error as the UI sees it: branch on `code`, show `message`.
    pub struct IpcError {
        pub code: String,
        pub message: String,
        pub request_id: Option<String>,
    }
}

impl From<&crate::Error> for IpcError {
    fn from(e: &crate::Error) -> Self {
        IpcError { code: e.code().into(), message: e.to_string(), request_id: e.request_id().map(str::to_string) }
    }
}

// The account page's types (balance, logs, spending, API keys) live in their own file.
mod account;
pub use account::*;

// ---- Chat -------------------------------------------------------------------------------

// Tool calls in a chat: their cards and per-conversation settings.
mod tools;
pub use tools::*;

ipc_type! {
    /// How chat requests reach the platform.
    #[serde(rename_all = "snake_case")]
    #[derive(Copy, Eq, Default)]
    pub enum ChatTransport { #[default] ChatCompletions, Responses }
}

ipc_type! {
    /// Per-conversation generation settings; `None` leaves the platform's default.
    #[derive(Default)]
    pub struct ChatParams {
        #[serde(default)]
        pub temperature: Option<f64>,
        #[serde(default)]
        pub top_p: Option<f64>,
        #[serde(default)]
        pub max_tokens: Option<u32>,
        #[serde(default)]
        pub transport: ChatTransport,
        /// Tool calls (image, video, speech); absent: the defaults.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub tools: Option<ToolSettings>,
    }
}

ipc_type! {
    /// One row of the conversation list: no message bodies.
    pub struct ConversationSummary {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub id: i64,
        pub title: String,
        pub model: Option<String>,
        pub pinned: bool,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub updated_at: i64,
    }
}

ipc_type! {
    pub struct ConversationPage {
        pub items: Vec<ConversationSummary>,
        /// Pass back to get the next page; `None` at the end.
        pub next_cursor: Option<String>,
    }
}

ipc_type! {
    pub struct Conversation {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub id: i64,
        pub title: String,
        pub model: Option<String>,
        pub system_prompt: Option<String>,
        pub params: ChatParams,
        pub pinned: bool,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub created_at: i64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub updated_at: i64,
    }
}

ipc_type! {
    /// Fields to change; absent ones stay. `system_prompt: ""` clears it.
    #[derive(Default)]
    pub struct ConversationPatch {
        #[serde(default)]
        pub title: Option<String>,
        #[serde(default)]
        pub model: Option<String>,
        #[serde(default)]
        pub system_prompt: Option<String>,
        #[serde(default)]
        pub params: Option<ChatParams>,
        #[serde(default)]
        pub pinned: Option<bool>,
    }
}

ipc_type! {
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq)]
    pub enum Role { System, Developer, User, Assistant, Tool }
}

ipc_type! {
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq)]
    pub enum MessageStatus { Complete, Streaming, Interrupted, Failed }
}

ipc_type! {
    #[derive(Default, Copy)]
    pub struct TokenUsage {
        pub input_tokens: Option<u32>,
        pub output_tokens: Option<u32>,
        pub total_tokens: Option<u32>,
    }
}

ipc_type! {
    /// A file in the media store, as a message or a gallery shows it.
    pub struct AssetView {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub id: i64,
        pub sha256: String,
        pub mime: String,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub size_bytes: i64,
        pub width: Option<u32>,
        pub height: Option<u32>,
        /// Absolute path of the file, for the asset protocol (`convertFileSrc`).
        pub path: String,
        /// Absolute path of a small thumbnail when one exists.
        pub thumbnail_path: Option<String>,
        pub original_name: Option<String>,
    }
}

ipc_type! {
    pub struct MessageView {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub id: i64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub conversation_id: i64,
        pub role: Role,
        pub content: String,
        pub reasoning: Option<String>,
        pub status: MessageStatus,
        pub error: Option<String>,
        pub model: Option<String>,
        pub usage: Option<TokenUsage>,
        pub attachments: Vec<AssetView>,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub created_at: i64,
        /// For a `tool` message: the call it answers and how it went.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub tool: Option<ToolCallView>,
        /// For an assistant message: how many tools it called.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(optional))]
        pub tool_calls: Option<u32>,
    }
}

ipc_type! {
    /// Messages oldest first. `before_cursor` (pass as `before`) loads the older page
    /// above them, `after_cursor` (pass as `after`) the newer page below; `None` at an end.
    pub struct MessagePage {
        pub items: Vec<MessageView>,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub before_cursor: Option<i64>,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub after_cursor: Option<i64>,
    }
}

ipc_type! {
    pub struct SendRequest {
        /// `None` starts a new conversation.
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub conversation_id: Option<i64>,
        pub text: String,
        /// Asset ids from `attach_image`.
        #[cfg_attr(feature = "ts", ts(type = "Array<number>"))]
        pub attachments: Vec<i64>,
        /// Overrides the conversation's model for this turn and becomes its model.
        pub model: Option<String>,
    }
}

ipc_type! {
    pub struct TurnStarted {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub conversation_id: i64,
        /// The user's message (absent for regenerate and continue).
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub user_message_id: Option<i64>,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub reply_id: i64,
    }
}

ipc_type! {
    /// What a streaming reply sends to the UI, in small batches.
    #[serde(tag = "kind", rename_all = "snake_case")]
    pub enum TurnEvent {
        /// Text to append (content and/or reasoning).
        Delta { content: String, reasoning: String },
        Usage { usage: TokenUsage },
        /// The reply's final state; `error` is set when it failed or was cut off.
        Finished { status: MessageStatus, error: Option<String>, code: Option<String> },
        /// Tool calls of this reply were stored or changed: their rows follow it.
        Tools {
            #[cfg_attr(feature = "ts", ts(type = "number"))]
            reply_id: i64,
        },
        /// The tool results went back to the model; its next reply streams on this channel.
        NextReply {
            #[cfg_attr(feature = "ts", ts(type = "number"))]
            reply_id: i64,
        },
    }
}

ipc_type! {
    pub struct SearchHit {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub message_id: i64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub conversation_id: i64,
        pub conversation_title: String,
        pub role: Role,
        /// Plain text around the match; the matched words are between \u{2}…\u{3} markers.
        pub snippet: String,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub created_at: i64,
    }
}

// ---- Generations and the gallery ----------------------------------------------------------

ipc_type! {
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq, Hash)]
    pub enum GenerationKind { Image, Video, Speech, Transcription, Translation }
}

ipc_type! {
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq)]
    pub enum GenerationStatus { Pending, Running, Complete, Failed, Cancelled }
}

ipc_type! {
    /// One card of the gallery: what the grid draws, nothing more.
    pub struct GalleryItem {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub id: i64,
        pub kind: GenerationKind,
        pub model: String,
        /// The prompt's first 200 characters.
        pub prompt: String,
        pub status: GenerationStatus,
        pub progress: u8,
        pub error: Option<String>,
        pub favourite: bool,
        pub rating: Option<u8>,
        pub outputs: u32,
        pub thumbnail_path: Option<String>,
        pub file_path: Option<String>,
        pub width: Option<u32>,
        pub height: Option<u32>,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub created_at: i64,
        /// Length of a video or speech clip.
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub duration_ms: Option<i64>,
    }
}

ipc_type! {
    pub struct GalleryPage {
        pub items: Vec<GalleryItem>,
        pub next_cursor: Option<String>,
    }
}

ipc_type! {
    #[derive(Default)]
    pub struct GalleryFilter {
        #[serde(default)]
        pub kind: Option<GenerationKind>,
        #[serde(default)]
        pub model: Option<String>,
        #[serde(default)]
        pub favourites: bool,
        #[serde(default)]
        pub min_rating: Option<u8>,
        /// Unix ms, inclusive.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub since: Option<i64>,
        /// Unix ms, exclusive.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub until: Option<i64>,
        /// Words of the prompt or revised prompt.
        #[serde(default)]
        pub query: Option<String>,
    }
}

ipc_type! {
    /// Everything the lightbox shows about one generation.
    pub struct GenerationView {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub id: i64,
        pub kind: GenerationKind,
        pub model: String,
        pub prompt: String,
        pub revised_prompt: Option<String>,
        #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
        pub params: serde_json::Value,
        pub status: GenerationStatus,
        pub progress: u8,
        pub error: Option<String>,
        pub favourite: bool,
        pub rating: Option<u8>,
        pub outputs: Vec<AssetView>,
        /// Edit sources, masks and first frames this was made from.
        pub inputs: Vec<AssetView>,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub parent_generation_id: Option<i64>,
        pub usage: Option<TokenUsage>,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub created_at: i64,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub completed_at: Option<i64>,
    }
}

ipc_type! {
    pub struct ImageRequest {
        pub model: String,
        pub prompt: String,
        #[serde(default)]
        pub size: Option<String>,
        #[serde(default)]
        pub n: Option<u32>,
        #[serde(default)]
        pub quality: Option<String>,
        #[serde(default)]
        pub style: Option<String>,
        /// Extra parameters the gateway accepts, merged into the request as given.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
        pub extra: Option<serde_json::Value>,
        /// Stored images to edit (image-to-image); empty for a new image.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "Array<number>"))]
        pub input_asset_ids: Vec<i64>,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub mask_asset_id: Option<i64>,
        /// The gallery item this was made from (re-run, edit), for lineage.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub parent_generation_id: Option<i64>,
    }
}

ipc_type! {
    /// A generation's progress, sent while it runs.
    #[serde(tag = "kind", rename_all = "snake_case")]
    pub enum GenerationEvent {
        Progress {
            #[cfg_attr(feature = "ts", ts(type = "number"))]
            id: i64,
            status: GenerationStatus,
            progress: u8,
        },
        Finished {
            #[cfg_attr(feature = "ts", ts(type = "number"))]
            id: i64,
            status: GenerationStatus,
            error: Option<String>,
            code: Option<String>,
        },
    }
}

// ---- Video ----------------------------------------------------------------------------------

ipc_type! {
    /// Which of the gateway's two video APIs to use.
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq, Default)]
    pub enum VideoApi {
        /// `/v1/videos` for sora-style models, `/v1/video/generations` for the rest.
        #[default]
        Auto,
        /// `/v1/video/generations` (the generic task API).
        Tasks,
        /// `/v1/videos` (the OpenAI-style API).
        Videos,
    }
}

ipc_type! {
    pub struct VideoRequest {
        pub model: String,
        pub prompt: String,
        /// A stored image to use as the first frame (image-to-video).
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub image_asset_id: Option<i64>,
        #[serde(default)]
        pub size: Option<String>,
        #[serde(default)]
        pub seconds: Option<u32>,
        #[serde(default)]
        pub fps: Option<u32>,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub seed: Option<i64>,
        #[serde(default)]
        pub api: VideoApi,
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub parent_generation_id: Option<i64>,
    }
}

// ---- Speech -------------------------------------------------------------------------------

ipc_type! {
    pub struct SpeechRequest {
        pub model: String,
        pub text: String,
        pub voice: String,
        /// mp3 (default), wav, flac, aac, opus, pcm.
        #[serde(default)]
        pub format: Option<String>,
        #[serde(default)]
        pub speed: Option<f32>,
        /// Style instructions (gpt-4o-mini-tts).
        #[serde(default)]
        pub instructions: Option<String>,
    }
}

ipc_type! {
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq, Default)]
    pub enum TranscriptFormat { #[default] Json, Text, Srt, Vtt, Verbose }
}

ipc_type! {
    pub struct TranscriptionRequest {
        /// A stored audio file (from `attach_audio`).
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub asset_id: i64,
        #[serde(default)]
        pub model: Option<String>,
        /// ISO-639-1 hint; ignored for translation.
        #[serde(default)]
        pub language: Option<String>,
        #[serde(default)]
        pub prompt: Option<String>,
        #[serde(default)]
        pub format: TranscriptFormat,
        /// Translate into English instead of transcribing.
        #[serde(default)]
        pub translate: bool,
    }
}

ipc_type! {
    pub struct TranscriptSegment {
        pub start: f64,
        pub end: f64,
        pub text: String,
    }
}

ipc_type! {
    pub struct Transcript {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub generation_id: i64,
        pub text: String,
        pub language: Option<String>,
        pub duration: Option<f64>,
        pub segments: Vec<TranscriptSegment>,
        /// The answer as the platform gave it for srt/vtt/text formats.
        pub raw: Option<String>,
    }
}

ipc_type! {
    /// What the native audio player is doing.
    #[derive(Default)]
    pub struct PlaybackState {
        /// The speech clip (its generation) loaded in the player.
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub clip_id: Option<i64>,
        pub playing: bool,
        pub paused: bool,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub position_ms: u64,
        /// Grows while later parts of a long text are still being synthesized.
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub duration_ms: Option<u64>,
    }
}

// The Privacy & data page's types (retention, export, erasure, backups, usage).
mod data;
pub use data::*;

// ---- Search and moderation -----------------------------------------------------------------

ipc_type! {
    /// By words (full text), by meaning (embeddings), or both merged.
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq, Default)]
    pub enum SearchMode { Words, Meaning, #[default] Both }
}

ipc_type! {
    /// What a search result is.
    #[serde(rename_all = "lowercase")]
    #[derive(Copy, Eq, Hash)]
    pub enum SearchKind { Message, Image, Video, Speech, Transcript }
}

ipc_type! {
    pub struct SearchQuery {
        pub query: String,
        #[serde(default)]
        pub mode: SearchMode,
        /// Empty means every kind.
        #[serde(default)]
        pub kinds: Vec<SearchKind>,
        #[serde(default)]
        pub limit: Option<u32>,
    }
}

ipc_type! {
    pub struct SearchResult {
        pub kind: SearchKind,
        /// A message result: the message to jump to, in its conversation.
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub message_id: Option<i64>,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub conversation_id: Option<i64>,
        pub role: Option<Role>,
        /// The conversation's title, or the start of a generation's prompt.
        pub title: String,
        /// Plain text around the match; matched words (word search) are between \u{2}…\u{3}.
        pub snippet: String,
        /// A generation result (image, video, speech clip, transcript) as the gallery shows it.
        pub item: Option<GalleryItem>,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub created_at: i64,
        /// Higher is better; comparable only within one answer.
        pub score: f32,
        pub by_words: bool,
        pub by_meaning: bool,
    }
}

ipc_type! {
    pub struct SearchResults {
        pub results: Vec<SearchResult>,
        /// Why meaning search could not be used for this query (offline, no model, ...).
        pub meaning_unavailable: Option<String>,
        pub reranked: bool,
        /// Why a configured rerank model was not applied.
        pub rerank_error: Option<String>,
    }
}

ipc_type! {
    /// Search and moderation settings.
    pub struct SearchSettings {
        /// `None` turns search by meaning off.
        pub embedding_model: Option<String>,
        /// `None`: results are not reranked.
        pub rerank_model: Option<String>,
        /// Check prompts with the platform's moderation endpoint before sending them.
        pub moderation: bool,
        pub moderation_model: Option<String>,
    }
}

impl Default for SearchSettings {
    fn default() -> Self {
        SearchSettings {
            embedding_model: Some("text-embedding-3-small".into()),
            rerank_model: None,
            moderation: false,
            moderation_model: None,
        }
    }
}

ipc_type! {
    /// The meaning index: how much is indexed, how much waits, and whether it is building.
    #[derive(Default)]
    pub struct IndexStatus {
        pub model: Option<String>,
        pub dims: Option<u32>,
        /// Pieces of text with a vector (a long message counts once).
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub indexed: u64,
        /// Pieces still to embed.
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub pending: u64,
        pub building: bool,
        /// Why the last build stopped (offline, refused model, ...).
        pub error: Option<String>,
        pub error_code: Option<String>,
    }
}

ipc_type! {
    pub struct ModerationCategory {
        pub name: String,
        pub score: f64,
        pub flagged: bool,
    }
}

ipc_type! {
    /// The platform's moderation answer for one prompt; categories by score, highest first.
    pub struct ModerationVerdict {
        pub flagged: bool,
        pub categories: Vec<ModerationCategory>,
        pub model: Option<String>,
    }
}
