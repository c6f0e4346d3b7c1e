//! What the chat shows of the tools a model calls, and the per-conversation tool settings.

use serde::{Deserialize, Serialize};

use super::{AssetView, GenerationKind, GenerationStatus};

ipc_type! {
    /// Where a tool call stands. `pending` waits for the person; `invalid` never ran (its
    /// arguments did not fit the schema, or the conversation's limit was reached).
    #[serde(rename_all = "snake_case")]
    #[derive(Copy, Eq)]
    pub enum ToolCallState { Pending, Running, Done, Declined, Failed, Invalid }
}

ipc_type! {
    pub struct ToolParam {
        pub name: String,
        pub value: String,
    }
}

ipc_type! {
    /// One tool call as its card shows it.
    pub struct ToolCallView {
        /// The `tool` message that holds the call's result.
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub message_id: i64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        pub conversation_id: i64,
        pub call_id: String,
        /// generate_image, edit_image, generate_video, speak, transcribe.
        pub name: String,
        pub kind: Option<GenerationKind>,
        /// What will be made: the prompt or the text to speak.
        pub prompt: Option<String>,
        /// The model that runs it.
        pub model: Option<String>,
        pub params: Vec<ToolParam>,
        pub state: ToolCallState,
        pub error: Option<String>,
        #[cfg_attr(feature = "ts", ts(type = "number | null"))]
        pub generation_id: Option<i64>,
        pub generation_status: Option<GenerationStatus>,
        pub progress: u8,
        pub outputs: Vec<AssetView>,
        /// Inputs it works from (the image to edit, the audio to transcribe).
        pub inputs: Vec<AssetView>,
        /// What the platform reported the run cost, in its units; `None` when unknown.
        pub cost: Option<String>,
        /// What the model was told (a transcript, for transcribe).
        pub result: Option<String>,
    }
}

ipc_type! {
    /// Per conversation, in its params.
    pub struct ToolSettings {
        /// Offer the tools: `None` decides by the model (known tool-calling models only).
        #[serde(default)]
        pub enabled: Option<bool>,
        /// Run calls at once instead of asking first.
        #[serde(default)]
        pub auto_run: bool,
        /// At most this many generations through tools in the conversation.
        #[serde(default = "default_limit")]
        pub max_generations: u32,
        /// `tool_choice` for a reply to the person: `None` lets the model decide,
        /// `"required"` makes it call a tool, a tool's name makes it call that one.
        /// Replies to tool results always let the model decide, or it would never stop.
        #[serde(default)]
        pub choice: Option<String>,
    }
}

fn default_limit() -> u32 {
    10
}

impl Default for ToolSettings {
    fn default() -> Self {
        ToolSettings { enabled: None, auto_run: false, max_generations: default_limit(), choice: None }
    }
}

ipc_type! {
    /// Whether the open conversation offers tools, and why not.
    pub struct ToolAvailability {
        pub offered: bool,
        /// The model is not known to call tools (the note says so; the user may turn them on).
        pub model_unsupported: bool,
        pub tools: Vec<String>,
        pub used: u32,
        pub settings: ToolSettings,
    }
}
