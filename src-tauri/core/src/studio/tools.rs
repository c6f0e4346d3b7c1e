//! Tool calls in a chat: which tools a conversation offers, storing and checking the calls a
//! model makes, running them (after the person confirms, or at once when the conversation
//! allows it) through the same code as the Images, Video and Speech views, and sending the
//! results back to the model. A video call is a job: it reports back when it ends, also
//! after a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::chat::{TurnPlan, TurnSink, TurnTask};
use super::Studio;
use crate::error::{Error, Result};
use crate::library::messages::HistoryMessage;
use crate::library::tool_calls::{view_of, StoredToolCall, ToolRecord};
use crate::platform::chat::ChatMessage;
use crate::platform::tools::{self, ToolCall, ToolSpec};
use crate::types::{
    Conversation, GenerationEvent, GenerationKind, GenerationStatus, ImageRequest, MessageStatus, ModelKind, Role,
    SearchKind, SearchMode, SearchQuery, SpeechRequest, ToolAvailability, ToolCallState, ToolCallView, ToolSettings, TranscriptionRequest, TurnEvent,
    VideoRequest,
};

/// Where a reply's later events go when its tools end (a video job ends minutes later): the
/// sink of the turn that made the calls while this process runs, else the app's listener.
#[derive(Default)]
pub(crate) struct ToolSinks {
    by_reply: Mutex<HashMap<i64, TurnSink>>,
    listener: Mutex<Option<TurnSink>>,
}

impl ToolSinks {
    fn keep(&self, reply_id: i64, sink: &TurnSink) {
        self.by_reply.lock().unwrap_or_else(|p| p.into_inner()).insert(reply_id, sink.clone());
    }

    fn take(&self, reply_id: i64) -> TurnSink {
        let kept = self.by_reply.lock().unwrap_or_else(|p| p.into_inner()).remove(&reply_id);
        kept.or_else(|| self.listener.lock().unwrap_or_else(|p| p.into_inner()).clone()).unwrap_or_else(|| Arc::new(|_| {}))
    }
}

fn settings_of(conversation: &Conversation) -> ToolSettings {
    conversation.params.tools.clone().unwrap_or_default()
}

fn kind_of_tool(name: &str) -> Option<ModelKind> {
    match name {
        tools::GENERATE_IMAGE | tools::EDIT_IMAGE => Some(ModelKind::Image),
        tools::GENERATE_VIDEO => Some(ModelKind::Video),
        tools::SPEAK => Some(ModelKind::Tts),
        tools::TRANSCRIBE => Some(ModelKind::Stt),
        _ => None,
    }
}

/// Models a tool prefers, best first, when the platform offers several of a kind.
fn preferred(kind: ModelKind) -> &'static [&'static str] {
    match kind {
        ModelKind::Image => &["gpt-image-1", "dall-e-3"],
        ModelKind::Tts => &["gpt-4o-mini-tts", "tts-1"],
        ModelKind::Stt => &["whisper-1", "gpt-4o-transcribe"],
        _ => &[],
    }
}

/// Sizes as each image model family takes them.
fn image_size(model: &str, aspect: Option<&str>) -> &'static str {
    let dalle3 = model.starts_with("dall-e-3");
    match aspect {
        Some("landscape") if dalle3 => "1792x1024",
        Some("portrait") if dalle3 => "1024x1792",
        Some("landscape") => "1536x1024",
        Some("portrait") => "1024x1536",
        _ => "1024x1024",
    }
}

fn video_size(aspect: Option<&str>) -> &'static str {
    match aspect {
        Some("portrait") => "720x1280",
        Some("square") => "1024x1024",
        _ => "1280x720",
    }
}

fn kind_name(kind: SearchKind) -> &'static str {
    match kind {
        SearchKind::Message => "message",
        SearchKind::Image => "image",
        SearchKind::Video => "video",
        SearchKind::Speech => "speech clip",
        SearchKind::Transcript => "transcript",
    }
}

fn finished(state: ToolCallState) -> bool {
    !matches!(state, ToolCallState::Pending | ToolCallState::Running)
}

impl Studio {
    /// Lets the app hear of replies that follow tool results when no window asked for them
    /// (a video job resumed after a restart).
    pub fn set_tool_listener(&self, sink: TurnSink) {
        *self.running.2.listener.lock().unwrap_or_else(|p| p.into_inner()) = Some(sink);
    }

    /// The model of each kind the tools use: the cached model list, preferred names first.
    fn tool_models(&self) -> HashMap<ModelKind, String> {
        let models = self.profile_id().and_then(|id| self.library.models(id)).unwrap_or_default();
        let mut chosen = HashMap::new();
        for kind in [ModelKind::Image, ModelKind::Video, ModelKind::Tts, ModelKind::Stt] {
            let of_kind: Vec<&str> = models.iter().filter(|m| m.kind == kind).map(|m| m.id.as_str()).collect();
            let pick = preferred(kind).iter().find(|p| of_kind.contains(p)).copied().or(of_kind.first().copied());
            if let Some(model) = pick {
                chosen.insert(kind, model.to_string());
            }
        }
        chosen
    }

    /// What the conversation offers the model, and why not when it offers nothing.
    pub fn tool_availability(&self, conversation_id: Option<i64>, model: Option<&str>) -> Result<ToolAvailability> {
        let conversation = conversation_id.map(|id| self.library.conversation(id)).transpose()?;
        let model = model.map(str::to_string).or_else(|| conversation.as_ref().and_then(|c| c.model.clone())).unwrap_or_default();
        let settings = conversation.as_ref().map(settings_of).unwrap_or_default();
        let supported = tools::model_supports_tools(&model);
        let offered = settings.enabled.unwrap_or(supported);
        let names = if offered { self.tool_specs().iter().map(|t| t.name.to_string()).collect() } else { Vec::new() };
        let used = match conversation_id {
            Some(id) => self.library.tool_generation_count(id)?,
            None => 0,
        };
        Ok(ToolAvailability { offered: offered && !names.is_empty(), model_unsupported: !supported, tools: names, used, settings })
    }

    /// Changes the conversation's tool settings (run without asking, the limit, on/off).
    pub fn set_tool_settings(&self, conversation_id: i64, settings: ToolSettings) -> Result<ToolAvailability> {
        let conversation = self.library.conversation(conversation_id)?;
        let mut params = conversation.params.clone();
        params.tools = Some(settings);
        let patch = crate::types::ConversationPatch { params: Some(params), ..Default::default() };
        self.library.update_conversation(conversation_id, &patch)?;
        self.tool_availability(Some(conversation_id), None)
    }

    /// Tools whose kind of model the platform has, and the library search (local; by
    /// words always, by meaning when an embedding model is set).
    fn tool_specs(&self) -> Vec<ToolSpec> {
        let models = self.tool_models();
        tools::all_tools()
            .into_iter()
            .filter(|t| t.name == tools::SEARCH_LIBRARY || kind_of_tool(t.name).is_some_and(|k| models.contains_key(&k)))
            .collect()
    }

    /// The conversation's `tool_choice` for a reply to the person; a named tool that is
    /// not offered (its kind of model is gone) falls back to letting the model decide.
    pub(super) fn tool_choice(&self, conversation: &Conversation, offered: &[ToolSpec]) -> tools::ToolChoice {
        match settings_of(conversation).choice.as_deref() {
            Some("required") if !offered.is_empty() => tools::ToolChoice::Required,
            Some("none") => tools::ToolChoice::None,
            Some(name) if offered.iter().any(|t| t.name == name) => tools::ToolChoice::Named(name.to_string()),
            _ => tools::ToolChoice::Auto,
        }
    }

    pub(super) async fn offered_tools(&self, conversation: &Conversation, model: &str) -> Vec<ToolSpec> {
        if !settings_of(conversation).enabled.unwrap_or_else(|| tools::model_supports_tools(model)) {
            return Vec::new();
        }
        // The model list may not have been read yet in this data folder.
        if self.tool_models().is_empty() {
            let _ = self.list_models().await;
        }
        self.tool_specs()
    }

    /// Stores the calls of a reply with their checks: arguments that do not fit the schema,
    /// a file that is not in the conversation, or a call past the limit become `invalid`
    /// with the reason, which goes back to the model.
    pub(super) fn record_tool_calls(&self, conversation: &Conversation, reply_id: i64, calls: Vec<ToolCall>) -> Result<Vec<i64>> {
        let settings = settings_of(conversation);
        let models = self.tool_models();
        let mut used = self.library.tool_generation_count(conversation.id)?;
        let mut rows = Vec::with_capacity(calls.len());
        for call in calls {
            let mut record = ToolRecord {
                name: call.name.clone(),
                arguments: Value::String(call.arguments.clone()),
                state: ToolCallState::Pending,
                model: None,
                generation_id: None,
                input_ids: Vec::new(),
                error: None,
            };
            let checked = tools::validate(&call).and_then(|args| {
                // A search makes nothing and costs nothing: no model, not counted.
                if call.name == tools::SEARCH_LIBRARY {
                    return Ok((args, None, Vec::new()));
                }
                let kind = kind_of_tool(&call.name).ok_or_else(|| format!("There is no tool named \"{}\".", call.name))?;
                let model = models.get(&kind).cloned().ok_or_else(|| "The platform offers no model for this tool.".to_string())?;
                let inputs = self.resolve_inputs(conversation.id, &call.name, &args)?;
                if used >= settings.max_generations {
                    return Err(format!(
                        "Not run: this conversation reached its limit of {} generations through tools. The user can raise it in the chat.",
                        settings.max_generations
                    ));
                }
                used += 1;
                Ok((args, Some(model), inputs))
            });
            let content = match checked {
                Ok((args, model, inputs)) => {
                    record.arguments = args;
                    record.model = model;
                    record.input_ids = inputs;
                    String::new()
                }
                Err(why) => {
                    record.state = ToolCallState::Invalid;
                    record.error = Some(why.clone());
                    format!("Error: {why}")
                }
            };
            rows.push((call, record, content));
        }
        self.library.insert_tool_calls(reply_id, &rows)
    }

    /// The stored files a call works on, checked to belong to the conversation.
    fn resolve_inputs(&self, conversation_id: i64, name: &str, args: &Value) -> std::result::Result<Vec<i64>, String> {
        let (key, prefix, required) = match name {
            tools::EDIT_IMAGE => ("image_id", "image/", true),
            tools::GENERATE_VIDEO => ("image_id", "image/", false),
            tools::TRANSCRIBE => ("audio_id", "audio/", true),
            _ => return Ok(Vec::new()),
        };
        let storage = |e: Error| e.to_string();
        let id = match args.get(key).and_then(Value::as_i64) {
            Some(id) => {
                let asset = self.library.asset(id).map_err(|_| format!("There is no file with {key} {id}."))?;
                if !asset.mime.starts_with(prefix) || !self.library.asset_in_conversation(conversation_id, id).map_err(storage)? {
                    return Err(format!("{key} {id} is not an {} of this conversation.", &prefix[..prefix.len() - 1]));
                }
                Some(id)
            }
            None if required => Some(self.library.latest_conversation_asset(conversation_id, prefix).map_err(storage)?.ok_or_else(|| {
                format!("There is no {} in this conversation yet; ask the user to attach one.", &prefix[..prefix.len() - 1])
            })?),
            None => None,
        };
        Ok(id.into_iter().collect())
    }

    /// The card of one call.
    pub fn tool_call_view(&self, message_id: i64) -> Result<ToolCallView> {
        let stored = self.library.tool_call(message_id)?;
        let mut view = view_of(stored.message_id, stored.conversation_id, &stored.call_id, &stored.record, &stored.content);
        self.library.fill_generation(&mut view, &stored.record)?;
        Ok(view)
    }

    /// Runs the reply's calls that may run without asking (all of them when the
    /// conversation allows it), and returns the next reply's plan once no call waits.
    pub(super) async fn settle_tool_calls(self: &Arc<Self>, reply_id: i64, sink: &TurnSink) -> Option<TurnPlan> {
        let calls = self.library.tool_calls_of(reply_id).ok()?;
        let conversation = self.library.conversation(calls.first()?.conversation_id).ok()?;
        // Searching the person's own library only reads it: it runs without asking.
        let auto_run = settings_of(&conversation).auto_run;
        let runs: Vec<_> = calls
            .into_iter()
            .filter(|c| c.record.state == ToolCallState::Pending && (auto_run || c.record.name == tools::SEARCH_LIBRARY))
            .map(|c| self.run_tool(c, sink.clone()))
            .collect();
        if !runs.is_empty() {
            futures_util::future::join_all(runs).await;
            sink(TurnEvent::Tools { reply_id });
        }
        self.next_reply_plan(reply_id, sink)
    }

    /// When every call of a reply has its answer: the plan of the model's next reply.
    /// Otherwise (one waits for the person or a job) the sink is kept for later.
    fn next_reply_plan(&self, reply_id: i64, sink: &TurnSink) -> Option<TurnPlan> {
        let calls = self.library.tool_calls_of(reply_id).ok()?;
        if !calls.iter().all(|c| finished(c.record.state)) {
            self.running.2.keep(reply_id, sink);
            return None;
        }
        let conversation = self.library.conversation(calls.first()?.conversation_id).ok()?;
        let model = conversation.model.clone().or_else(|| self.library.message(reply_id).ok()?.model)?;
        self.reply_plan(conversation, model).ok()
    }

    /// Stops a running call: the image or speech request is dropped, a video job is
    /// cancelled (its end then answers the call, and the model goes on).
    pub fn stop_tool_call(&self, message_id: i64) -> Result<ToolCallView> {
        let stored = self.library.tool_call(message_id)?;
        if stored.record.state == ToolCallState::Running && !self.running.cancel(message_id) {
            match stored.record.generation_id {
                Some(generation_id) if stored.record.name == tools::GENERATE_VIDEO => self.cancel_video(generation_id)?,
                _ => {
                    // Not running in this process (it was cut off by a crash): settle it.
                    let mut record = stored.record.clone();
                    record.state = ToolCallState::Failed;
                    record.error = Some("Stopped by you.".into());
                    self.library.update_tool_call(message_id, &record, Some("Error: the user stopped this call before it finished."))?;
                }
            }
        }
        self.tool_call_view(message_id)
    }

    /// Confirms (runs) or declines a call. Resolves at once; the task runs the tool and,
    /// when it was the last call waiting, streams the model's next reply to `sink`.
    pub fn answer_tool_call(self: &Arc<Self>, message_id: i64, run: bool, sink: TurnSink) -> Result<(ToolCallView, TurnTask)> {
        let mut stored = self.library.tool_call(message_id)?;
        if stored.record.state != ToolCallState::Pending {
            return Err(Error::InvalidInput("This tool call was already answered.".into()));
        }
        let reply_id = stored.reply_id;
        if !run {
            stored.record.state = ToolCallState::Declined;
            self.library.update_tool_call(message_id, &stored.record, Some("The user declined this call; it was not run. Do not retry unless asked."))?;
        } else {
            stored.record.state = ToolCallState::Running;
            self.library.update_tool_call(message_id, &stored.record, None)?;
        }
        let view = self.tool_call_view(message_id)?;
        let studio = self.clone();
        let task: TurnTask = Box::pin(async move {
            if run {
                studio.run_tool(stored, sink.clone()).await;
            }
            sink(TurnEvent::Tools { reply_id });
            match studio.next_reply_plan(reply_id, &sink) {
                Some(plan) => studio.follow_with_reply(plan, sink).await,
                None => super::chat::TurnOutcome { status: MessageStatus::Complete, error: None, pending_tools: Vec::new() },
            }
        });
        Ok((view, task))
    }

    async fn follow_with_reply(self: &Arc<Self>, plan: TurnPlan, sink: TurnSink) -> super::chat::TurnOutcome {
        sink(TurnEvent::NextReply { reply_id: plan.reply_id });
        self.turn_task(plan, sink).await
    }

    /// Runs one call to its end (a video call: until its job is submitted; the job reports
    /// back through `video_job_ended`). Never fails: a failure is the call's result.
    async fn run_tool(self: &Arc<Self>, mut call: StoredToolCall, sink: TurnSink) {
        let reply_id = call.reply_id;
        call.record.state = ToolCallState::Running;
        let _ = self.library.update_tool_call(call.message_id, &call.record, None);
        // The card's Stop cancels this token (message ids never collide with a reply's).
        let stop = self.running.start(call.message_id);
        let ran = tokio::select! {
            ran = self.run_tool_inner(&mut call, &sink, reply_id) => Some(ran),
            _ = stop.cancelled() => None,
        };
        self.running.end(call.message_id);
        let Some(ran) = ran else {
            // Dropping the run aborted its request; the generation says it was cancelled.
            if let Some(generation_id) = call.record.generation_id {
                let _ = self.library.fail_generation(generation_id, GenerationStatus::Cancelled, None);
            }
            call.record.state = ToolCallState::Failed;
            call.record.error = Some("Stopped by you.".into());
            let _ = self.library.update_tool_call(call.message_id, &call.record, Some("Error: the user stopped this call before it finished."));
            return;
        };
        match ran {
            Ok(Some(result)) => {
                call.record.state = ToolCallState::Done;
                let _ = self.library.update_tool_call(call.message_id, &call.record, Some(&result));
            }
            // A job that goes on: its end answers the call.
            Ok(None) => {}
            Err(e) => {
                call.record.state = ToolCallState::Failed;
                call.record.error = Some(e.to_string());
                let _ = self.library.update_tool_call(call.message_id, &call.record, Some(&format!("Error: the tool failed: {e}")));
            }
        }
    }

    async fn run_tool_inner(self: &Arc<Self>, call: &mut StoredToolCall, sink: &TurnSink, reply_id: i64) -> Result<Option<String>> {
        let args = call.record.arguments.clone();
        let text = |k: &str| args.get(k).and_then(Value::as_str).unwrap_or_default().trim().to_string();
        if call.record.name == tools::SEARCH_LIBRARY {
            return self.search_for_model(&args, call.conversation_id).await.map(Some);
        }
        let model = call.record.model.clone().ok_or_else(|| Error::InvalidInput("The platform offers no model for this tool.".into()))?;
        let progress_sink = {
            let sink = sink.clone();
            Arc::new(move |event: GenerationEvent| {
                if matches!(event, GenerationEvent::Finished { .. }) {
                    sink(TurnEvent::Tools { reply_id });
                }
            })
        };
        match call.record.name.as_str() {
            tools::GENERATE_IMAGE | tools::EDIT_IMAGE => {
                let aspect = args.get("aspect").and_then(Value::as_str);
                let request = ImageRequest {
                    model: model.clone(),
                    prompt: text("prompt"),
                    size: Some(image_size(&model, aspect).to_string()),
                    n: Some(1),
                    quality: None,
                    style: None,
                    extra: None,
                    input_asset_ids: call.record.input_ids.clone(),
                    mask_asset_id: None,
                    parent_generation_id: None,
                };
                let (card, task) = self.generate_images(request, progress_sink)?;
                self.start_generation(call, card.id, sink, reply_id)?;
                let done = task.await?;
                let ids: Vec<String> = done.outputs.iter().map(|a| a.id.to_string()).collect();
                let size = done.outputs.first().and_then(|a| Some(format!("{}x{}", a.width?, a.height?))).unwrap_or_default();
                let mut result = format!(
                    "Created an image with {model} ({size}), image id {}. It is shown to the user in the chat and saved in their gallery. \
                     Pass the image id to edit_image or generate_video to build on it.",
                    ids.join(", ")
                );
                if let Some(revised) = done.revised_prompt.filter(|r| !r.is_empty()) {
                    result += &format!(" The platform drew it from this prompt: {revised}");
                }
                Ok(Some(result))
            }
            tools::GENERATE_VIDEO => {
                let request = VideoRequest {
                    model,
                    prompt: text("prompt"),
                    image_asset_id: call.record.input_ids.first().copied(),
                    size: Some(video_size(args.get("aspect").and_then(Value::as_str)).to_string()),
                    seconds: args.get("seconds").and_then(Value::as_u64).map(|s| s as u32),
                    fps: None,
                    seed: None,
                    api: Default::default(),
                    parent_generation_id: None,
                };
                let (card, task) = self.generate_video(request, progress_sink)?;
                self.start_generation(call, card.id, sink, reply_id)?;
                self.running.2.keep(reply_id, sink);
                // The job's end (here or after a restart) answers the call.
                tokio::spawn(task);
                Ok(None)
            }
            tools::SPEAK => {
                let voice = args.get("voice").and_then(Value::as_str).unwrap_or("alloy").to_string();
                let request = SpeechRequest { model: model.clone(), text: text("text"), voice: voice.clone(), format: Some("mp3".into()), speed: None, instructions: None };
                let (card, task) = self.speak(request, progress_sink, None)?;
                self.start_generation(call, card.id, sink, reply_id)?;
                let done = task.await?;
                let parts = done.outputs.len();
                Ok(Some(format!("Created a speech clip with {model}, voice {voice} ({parts} part(s)). The user can play it in the chat.")))
            }
            tools::TRANSCRIBE => {
                let asset_id = *call.record.input_ids.first().ok_or_else(|| Error::InvalidInput("No audio to transcribe.".into()))?;
                let request = TranscriptionRequest { asset_id, model: Some(model), language: None, prompt: None, format: Default::default(), translate: false };
                // The transcript's generation exists only once the call returns.
                let transcript = self.transcribe(request).await?;
                self.start_generation(call, transcript.generation_id, sink, reply_id)?;
                Ok(Some(format!("Transcript of audio {asset_id}: {}", transcript.text)))
            }
            other => Err(Error::InvalidInput(format!("There is no tool named \"{other}\"."))),
        }
    }

    /// Links the generation to the call (lineage, the gallery's way back to the message).
    fn start_generation(&self, call: &mut StoredToolCall, generation_id: i64, sink: &TurnSink, reply_id: i64) -> Result<()> {
        self.library.link_generation_to_message(generation_id, call.message_id)?;
        call.record.generation_id = Some(generation_id);
        self.library.update_tool_call(call.message_id, &call.record, None)?;
        sink(TurnEvent::Tools { reply_id });
        Ok(())
    }

    /// Called when a video job ends (in this run or one resumed after a restart): answers
    /// the tool call that started it and, when no other call waits, the model goes on.
    pub(super) fn video_job_ended(self: &Arc<Self>, generation_id: i64) {
        let Ok(Some(mut call)) = self.library.tool_call_for_generation(generation_id) else { return };
        if call.record.state != ToolCallState::Running {
            return;
        }
        let Ok(generation) = self.library.generation(generation_id) else { return };
        let content = if generation.status == GenerationStatus::Complete {
            call.record.state = ToolCallState::Done;
            format!("The video is ready (made with {}). It is shown to the user in the chat and saved in their gallery.", generation.model)
        } else {
            call.record.state = ToolCallState::Failed;
            let why = generation.error.clone().unwrap_or_else(|| "the job was cancelled".into());
            call.record.error = Some(why.clone());
            format!("Error: the video was not made: {why}")
        };
        if self.library.update_tool_call(call.message_id, &call.record, Some(&content)).is_err() {
            return;
        }
        let reply_id = call.reply_id;
        let sink = self.running.2.take(reply_id);
        sink(TurnEvent::Tools { reply_id });
        if let Some(plan) = self.next_reply_plan(reply_id, &sink) {
            let studio = self.clone();
            tokio::spawn(async move { studio.follow_with_reply(plan, sink).await });
        }
    }

    /// After the last answer of a batch, for a model that reads images: the images the
    /// batch made, as a user message (tool messages cannot carry images).
    pub(super) fn tool_images_for(&self, history: &[HistoryMessage], model: &str) -> Result<Option<ChatMessage>> {
        if !tools::model_reads_images(model) {
            return Ok(None);
        }
        let mut images = Vec::new();
        for m in history.iter().rev().take_while(|m| m.role == Role::Tool) {
            let Ok(call) = self.library.tool_call(m.id) else { continue };
            let Some(generation_id) = call.record.generation_id else { continue };
            let Ok(generation) = self.library.generation(generation_id) else { continue };
            if generation.kind != GenerationKind::Image || call.record.state != ToolCallState::Done {
                continue;
            }
            for asset in generation.outputs.iter().filter(|a| a.mime.starts_with("image/")) {
                images.push((asset.mime.clone(), self.library.read_asset(asset)?));
            }
        }
        if images.is_empty() {
            return Ok(None);
        }
        Ok(Some(ChatMessage { images, ..ChatMessage::text(Role::User, "The images the tools made, for you to see.") }))
    }

    /// The search_library tool: the Library's search (both ways), written for the model.
    /// The asking conversation is left out: the model has it already, and its newest
    /// message (the question) would match itself.
    async fn search_for_model(&self, args: &Value, conversation_id: i64) -> Result<String> {
        let query = args.get("query").and_then(Value::as_str).unwrap_or_default().trim().to_string();
        let kinds = args
            .get("kind")
            .and_then(|k| serde_json::from_value::<SearchKind>(k.clone()).ok())
            .into_iter()
            .collect();
        let limit = args.get("limit").and_then(Value::as_u64).unwrap_or(5).clamp(1, 10) as u32;
        let mut answer = self.search(&SearchQuery { query: query.clone(), mode: SearchMode::Both, kinds, limit: Some(limit + 20) }).await?;
        answer.results.retain(|r| r.conversation_id != Some(conversation_id));
        answer.results.truncate(limit as usize);
        let mut out = if answer.results.is_empty() {
            format!("Nothing in the user's library matches \"{query}\".")
        } else {
            format!("{} result(s) from the user's library for \"{query}\", best first:", answer.results.len())
        };
        for (i, r) in answer.results.iter().enumerate() {
            let snippet: String = r.snippet.chars().filter(|c| !matches!(c, '\u{2}' | '\u{3}')).collect();
            let day = crate::library::backups::day_of(r.created_at);
            let what = match (r.kind, &r.item) {
                (SearchKind::Message, _) => format!("message in the conversation \"{}\"", r.title),
                (kind, Some(item)) => format!("{} {} made with {}", kind_name(kind), item.id, item.model),
                (kind, None) => kind_name(kind).to_string(),
            };
            out += &format!("\n{}. [{what}, {day}] {snippet}", i + 1);
        }
        if let Some(why) = answer.meaning_unavailable {
            out += &format!("\n(Matched by words only: {why})");
        }
        Ok(out)
    }
}
