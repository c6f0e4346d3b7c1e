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
