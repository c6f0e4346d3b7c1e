//! The Privacy & data page's types: retention, export and import, erasure, backups, usage.

use serde::{Deserialize, Serialize};

ipc_type! {
    /// How long history is kept, per kind, in days; `None` keeps it forever.
    #[derive(Default, Eq)]
    pub struct RetentionPolicy {
        #[serde(default)]
        pub chats: Option<u32>,
        #[serde(default)]
        pub images: Option<u32>,
        #[serde(default)]
        pub videos: Option<u32>,
        /// Speech clips, transcripts and translations.
        #[serde(default)]
        pub speech: Option<u32>,
    }
}

ipc_type! {
    /// What a purge removed.
    #[derive(Default, Eq)]
    pub struct PurgeReport {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub conversations: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub generations: u64,
        /// Files removed from the media store (originals and thumbnails).
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub files: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub bytes: u64,
    }
}

ipc_type! {
    /// Which part of the library to erase. Empty `kinds` means every kind.
    #[derive(Default, Eq)]
    pub struct EraseSelection {
        /// `chat`, `image`, `video`, `speech` (speech clips and transcripts).
        #[serde(default)]
        pub kinds: Vec<String>,
        /// Only items created (conversations: last active) before this Unix time in ms.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub before: Option<i64>,
    }
}

ipc_type! {
    /// Which part of the library an export holds. Empty `kinds` means every kind.
    #[derive(Default, Eq)]
    pub struct ExportSelection {
        /// `chat`, `image`, `video`, `speech`, `transcription`, `translation`.
        #[serde(default)]
        pub kinds: Vec<String>,
        /// Only items created (conversations: active) at or after this Unix time in ms.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub since: Option<i64>,
        /// One conversation only.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub conversation_id: Option<i64>,
    }
}

ipc_type! {
    /// Counts of what an archive holds (also `manifest.json`'s `counts`).
    #[derive(Default, Eq)]
    pub struct ArchiveCounts {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub conversations: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub messages: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub generations: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub jobs: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub usage: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub assets: u64,
    }
}

ipc_type! {
    pub struct ExportReport {
        pub path: String,
        pub counts: ArchiveCounts,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub bytes: u64,
    }
}

ipc_type! {
    /// What an import added; rows already in the library are counted as skipped.
    #[derive(Default, Eq)]
    pub struct ImportReport {
        pub added: ArchiveCounts,
        pub skipped: ArchiveCounts,
    }
}

ipc_type! {
    /// Export progress: `done` of `total` steps (rows and files).
    #[derive(Eq)]
    pub struct DataProgress {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub done: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub total: u64,
    }
}

ipc_type! {
    /// What "erase everything" removes, so the confirmation can name it.
    #[derive(Default, Eq)]
    pub struct LibrarySummary {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub conversations: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub messages: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub generations: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub files: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub file_bytes: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub backups: u64,
        /// Base URLs whose keys are in the keychain.
        pub platforms: Vec<String>,
    }
}

ipc_type! {
    pub struct BackupInfo {
        /// The file's name in the backups folder; `restore` takes it.
        pub id: String,
        /// `daily`, `migration` or `before_restore`.
        pub reason: String,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub created_at: i64,
        /// The database file, and for daily, manual and before-restore copies the media
        /// its rows refer to (kept once however many copies share them).
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub size_bytes: u64,
    }
}

ipc_type! {
    /// What a restore did with the files the restored rows refer to.
    #[derive(Default, Eq)]
    pub struct RestoreReport {
        /// Files the library had lost since the backup, put back from it.
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub files_restored: u64,
        /// Files neither the library nor the backup has; the items that use them stay without them.
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub files_missing: u64,
    }
}

ipc_type! {
    /// One model on one day.
    #[derive(Default)]
    pub struct UsageRow {
        /// `YYYY-MM-DD`, local time.
        pub day: String,
        pub model: String,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub requests: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub input_tokens: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub output_tokens: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub total_tokens: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub images: u64,
        pub video_seconds: f64,
        pub audio_seconds: f64,
    }
}

ipc_type! {
    pub struct UsageReport {
        /// Newest day first, then by model.
        pub rows: Vec<UsageRow>,
        /// Sums over all rows (`day` and `model` empty).
        pub totals: UsageRow,
    }
}
