//! A chat turn: the user's message is stored before the request leaves, the reply row exists
//! from the first moment and is written as it streams, and it always ends `complete`,
//! `interrupted` or `failed` with its partial text kept.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use super::Studio;
use crate::error::{Error, Result};
use crate::library::messages::{HistoryMessage, NewTurn};
use crate::platform::chat::{self, ChatChunk, ChatMessage};
use crate::platform::responses;
use crate::types::{
    AssetView, ChatParams, ChatTransport, Conversation, MessageStatus, Role, SendRequest, TokenUsage,
    TurnEvent, TurnStarted,
};

/// Where a turn's events go: a Tauri Channel in the app, stdout in the CLI.
pub type TurnSink = Arc<dyn Fn(TurnEvent) + Send + Sync>;

/// The streaming part of a turn, to be spawned (app) or awaited (CLI).
pub type TurnTask = Pin<Box<dyn Future<Output = TurnOutcome> + Send>>;

#[derive(Debug)]
pub struct TurnOutcome {
    pub status: MessageStatus,
    pub error: Option<Error>,
    /// The tool rows of the calls the last reply made.
    pub pending_tools: Vec<i64>,
}

/// How often the UI gets a batch, and how often the reply row is written.
const UI_BATCH: Duration = Duration::from_millis(40);
const DB_BATCH: Duration = Duration::from_millis(250);
const CONTINUE_PROMPT: &str = "Continue exactly where your previous answer stopped. Do not repeat anything.";

/// The running turns (by reply id) and video jobs (by generation id) of this process,
/// so Stop and Cancel can reach them.
#[derive(Default)]
pub(crate) struct RunningTurns(
    Mutex<HashMap<i64, CancellationToken>>,
    Mutex<HashMap<i64, CancellationToken>>,
    pub(super) super::tools::ToolSinks,
);

impl RunningTurns {
    pub(crate) fn start_job(&self, generation_id: i64) -> CancellationToken {
        let token = CancellationToken::new();
        self.1.lock().unwrap_or_else(|p| p.into_inner()).insert(generation_id, token.clone());
        token
    }

    pub(crate) fn end_job(&self, generation_id: i64) {
        self.1.lock().unwrap_or_else(|p| p.into_inner()).remove(&generation_id);
    }

    pub(crate) fn cancel_job(&self, generation_id: i64) -> bool {
        match self.1.lock().unwrap_or_else(|p| p.into_inner()).get(&generation_id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    pub(super) fn start(&self, reply_id: i64) -> CancellationToken {
        let token = CancellationToken::new();
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(reply_id, token.clone());
        token
    }

    pub(super) fn end(&self, reply_id: i64) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&reply_id);
    }

    pub(super) fn cancel(&self, reply_id: i64) -> bool {
        match self.0.lock().unwrap_or_else(|p| p.into_inner()).get(&reply_id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }
}

/// Everything the streaming part needs, gathered before the request leaves.
pub(super) struct TurnPlan {
    pub(super) conversation: Conversation,
    pub(super) reply_id: i64,
    pub(super) model: String,
    history: Vec<HistoryMessage>,
    /// Text already in the reply (continue appends to it).
    prefix: String,
    continuing: bool,
}

impl Studio {
    /// Stores the user's message and an empty reply, then returns the task that streams it.
    pub fn send_message(self: &Arc<Self>, request: SendRequest, sink: TurnSink) -> Result<(TurnStarted, TurnTask)> {
        let text = request.text.trim().to_string();
        if text.is_empty() && request.attachments.is_empty() {
            return Err(Error::InvalidInput("Type a message or attach an image first.".into()));
        }
        let attachments: Vec<AssetView> =
            request.attachments.iter().map(|id| self.library.asset(*id)).collect::<Result<_>>()?;
        let existing = request.conversation_id.map(|id| self.library.conversation(id)).transpose()?;
        let model = request
            .model
            .clone()
            .filter(|m| !m.trim().is_empty())
            .or_else(|| existing.as_ref().and_then(|c| c.model.clone()))
            .ok_or_else(|| Error::InvalidInput("Choose a model first.".into()))?;
        let asset_ids: Vec<i64> = attachments.iter().map(|a| a.id).collect();
        let stored = self.library.insert_turn(&NewTurn {
            conversation_id: existing.as_ref().map(|c| c.id),
            title: &title_from(&text),
            profile_id: self.profile_id().ok(),
            model: &model,
            text: &text,
            attachments: &asset_ids,
        })?;
        let conversation = self.library.conversation(stored.conversation_id)?;
        let (user_id, reply_id) = (stored.user_message_id, stored.reply_id);
        let history = self.library.history(conversation.id, reply_id)?;
        let started = TurnStarted { conversation_id: conversation.id, user_message_id: Some(user_id), reply_id };
        let plan = TurnPlan { conversation, reply_id, model, history, prefix: String::new(), continuing: false };
        Ok((started, self.turn_task(plan, sink)))
    }

    /// Replaces a reply with a new one generated from the same history.
    pub fn regenerate_reply(self: &Arc<Self>, reply_id: i64, sink: TurnSink) -> Result<(TurnStarted, TurnTask)> {
        let old = self.library.message(reply_id)?;
        if old.role != Role::Assistant {
            return Err(Error::InvalidInput("Only a reply can be regenerated.".into()));
        }
        self.running.cancel(reply_id);
        let conversation = self.library.conversation(old.conversation_id)?;
        let model = conversation.model.clone().or(old.model).ok_or_else(|| Error::InvalidInput("Choose a model first.".into()))?;
        self.library.delete_messages_after(conversation.id, reply_id - 1)?;
        self.new_reply(conversation, model, sink)
    }

    /// Changes a sent message, drops everything after it, and asks again.
    pub fn edit_and_resend(self: &Arc<Self>, message_id: i64, text: &str, sink: TurnSink) -> Result<(TurnStarted, TurnTask)> {
        let message = self.library.message(message_id)?;
        if message.role != Role::User {
            return Err(Error::InvalidInput("Only your own messages can be edited.".into()));
        }
        let text = text.trim();
        if text.is_empty() && message.attachments.is_empty() {
            return Err(Error::InvalidInput("The message cannot be empty.".into()));
        }
        let conversation = self.library.conversation(message.conversation_id)?;
        let model = conversation.model.clone().ok_or_else(|| Error::InvalidInput("Choose a model first.".into()))?;
        for later in self.library.messages(conversation.id, None, Some(message_id), 1000)?.items {
            self.running.cancel(later.id);
        }
        self.library.delete_messages_after(conversation.id, message_id)?;
        self.library.set_message_content(message_id, text)?;
        let (mut started, task) = self.new_reply(conversation, model, sink)?;
        started.user_message_id = Some(message_id);
        Ok((started, task))
    }

    /// Asks the model to go on with a reply that was cut off; new text is appended.
    pub fn continue_reply(self: &Arc<Self>, reply_id: i64, sink: TurnSink) -> Result<(TurnStarted, TurnTask)> {
        let reply = self.library.message(reply_id)?;
        if reply.role != Role::Assistant || reply.status == MessageStatus::Streaming {
            return Err(Error::InvalidInput("Only a finished reply can be continued.".into()));
        }
        let conversation = self.library.conversation(reply.conversation_id)?;
        let model = conversation.model.clone().or(reply.model).ok_or_else(|| Error::InvalidInput("Choose a model first.".into()))?;
        self.library.resume_reply(reply_id)?;
        let mut history = self.library.history(conversation.id, reply_id)?;
        history.push(HistoryMessage {
            id: reply_id,
            role: Role::Assistant,
            content: reply.content.clone(),
            status: MessageStatus::Complete,
            attachments: Vec::new(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        });
        let started = TurnStarted { conversation_id: conversation.id, user_message_id: None, reply_id };
        let plan = TurnPlan { conversation, reply_id, model, history, prefix: reply.content, continuing: true };
        Ok((started, self.turn_task(plan, sink)))
    }

    /// Stops a streaming reply; it ends `interrupted` with what it had.
    pub fn stop_reply(&self, reply_id: i64) -> Result<()> {
        if !self.running.cancel(reply_id) {
            // Not running here (another process, or a leftover): settle its state anyway.
            let reply = self.library.message(reply_id)?;
            if reply.status == MessageStatus::Streaming {
                self.library.finish_reply(reply_id, MessageStatus::Interrupted, None, None, None)?;
            }
        }
        Ok(())
    }

    pub(super) fn running_cancel(&self, reply_id: i64) {
        self.running.cancel(reply_id);
    }

    fn new_reply(self: &Arc<Self>, conversation: Conversation, model: String, sink: TurnSink) -> Result<(TurnStarted, TurnTask)> {
        let plan = self.reply_plan(conversation, model)?;
        let started = TurnStarted { conversation_id: plan.conversation.id, user_message_id: None, reply_id: plan.reply_id };
        Ok((started, self.turn_task(plan, sink)))
    }

    /// An empty reply row at the end of the conversation, and what streaming it needs.
    pub(super) fn reply_plan(&self, conversation: Conversation, model: String) -> Result<TurnPlan> {
        let reply_id = self.library.insert_message(conversation.id, Role::Assistant, "", MessageStatus::Streaming, Some(&model))?;
        self.library.touch_conversation(conversation.id)?;
        let history = self.library.history(conversation.id, reply_id)?;
        Ok(TurnPlan { conversation, reply_id, model, history, prefix: String::new(), continuing: false })
    }

    /// Streams the reply; when it calls tools that may run without asking, runs them and
    /// streams the model's next reply, until a reply needs no tool or a call waits for the
    /// person.
    pub(super) fn turn_task(self: &Arc<Self>, plan: TurnPlan, sink: TurnSink) -> TurnTask {
        let studio = self.clone();
        let mut cancel = self.running.start(plan.reply_id);
        Box::pin(async move {
            let mut plan = plan;
            loop {
                let reply_id = plan.reply_id;
                let outcome = studio.stream_reply(plan, &sink, cancel).await;
                studio.running.end(reply_id);
                studio.index_soon();
                if outcome.pending_tools.is_empty() {
                    return outcome;
                }
                sink(TurnEvent::Tools { reply_id });
                match studio.settle_tool_calls(reply_id, &sink).await {
                    Some(next) => {
                        cancel = studio.running.start(next.reply_id);
                        sink(TurnEvent::NextReply { reply_id: next.reply_id });
                        plan = next;
                    }
                    None => return outcome,
                }
            }
        })
    }

    async fn stream_reply(&self, plan: TurnPlan, sink: &TurnSink, cancel: CancellationToken) -> TurnOutcome {
        let mut reply = ReplyWriter::new(self, plan.reply_id, plan.prefix.clone(), sink.clone());
        let started = tokio::select! {
            _ = cancel.cancelled() => Err(None),
            started = self.open_stream(&plan) => started.map_err(Some),
        };
        let (mut stream, request_id, endpoint) = match started {
            Ok(opened) => opened,
            Err(error) => return reply.finish(None, None, Err(error)),
        };
        let mut finish_reason = None;
        let mut calls = crate::platform::tools::ToolCallAssembler::default();
        let mut ticker = tokio::time::interval(UI_BATCH);
        let end = loop {
            tokio::select! {
                _ = cancel.cancelled() => break Err(None),
                _ = ticker.tick() => reply.flush_due(),
                item = stream.next() => match item {
                    Some(Ok(ChatChunk::Content(text))) => reply.push(&text, ""),
                    Some(Ok(ChatChunk::Reasoning(text))) => reply.push("", &text),
                    Some(Ok(ChatChunk::Usage(usage))) => reply.usage = Some(usage),
                    Some(Ok(ChatChunk::Finish(reason))) => finish_reason = Some(reason),
                    Some(Ok(ChatChunk::ToolCall(delta))) => calls.push(delta),
                    Some(Err(e)) => break Err(Some(e)),
                    None => break Ok(()),
                },
            }
        };
        if let Some(usage) = reply.usage {
            let profile = self.profile_id().ok();
            let _ = self.library.record_usage(profile, endpoint, &plan.model, Some(plan.reply_id), &usage);
        }
        // Calls are kept only from a reply that arrived whole: a cut stream may hold half
        // the arguments.
        let mut pending_tools = Vec::new();
        if end.is_ok() && !calls.is_empty() {
            match self.record_tool_calls(&plan.conversation, plan.reply_id, calls.finish()) {
                Ok(ids) => pending_tools = ids,
                Err(e) => return reply.finish(finish_reason.as_deref(), request_id.as_deref(), Err(Some(e))),
            }
        }
        let mut outcome = reply.finish(finish_reason.as_deref(), request_id.as_deref(), end);
        outcome.pending_tools = pending_tools;
        outcome
    }

    async fn open_stream(
        &self,
        plan: &TurnPlan,
    ) -> Result<(Pin<Box<dyn Stream<Item = Result<ChatChunk>> + Send>>, Option<String>, &'static str)> {
        let (client, _) = self.connect()?;
        // The moderation pre-check (when on) sees a user's prompt before it leaves; tool
        // results and continuations carry no new prompt.
        if !plan.continuing {
            if let Some(prompt) = plan.history.iter().rev().find(|m| m.id != plan.reply_id).filter(|m| m.role == Role::User) {
                self.screen(&prompt.content).await?;
            }
        }
        let messages = self.request_messages(plan)?;
        let params: &ChatParams = &plan.conversation.params;
        let tools = if plan.continuing { Vec::new() } else { self.offered_tools(&plan.conversation, &plan.model).await };
        let after_person = plan.history.iter().rev().find(|m| m.id != plan.reply_id).is_some_and(|m| m.role == Role::User);
        let choice = if after_person { self.tool_choice(&plan.conversation, &tools) } else { crate::platform::tools::ToolChoice::Auto };
        match params.transport {
            ChatTransport::ChatCompletions => {
                let mut body = chat::request_body(&plan.model, &messages, params);
                crate::platform::tools::add_to_chat_body(&mut body, &tools, &choice);
                let (stream, id) = chat::stream_chat(&client, body).await?;
                Ok((Box::pin(stream), id, "chat/completions"))
            }
            ChatTransport::Responses => {
                let mut body = responses::request_body(&plan.model, &messages, params);
                crate::platform::tools::add_to_responses_body(&mut body, &tools, &choice);
                let (stream, id) = responses::stream_response(&client, body).await?;
                Ok((Box::pin(stream), id, "responses"))
            }
        }
    }

    /// The conversation as the platform should see it: the system prompt, then every message
    /// with content; failed empty replies are left out; images from their stored copies.
    fn request_messages(&self, plan: &TurnPlan) -> Result<Vec<ChatMessage>> {
        let mut messages = Vec::new();
        if let Some(prompt) = plan.conversation.system_prompt.as_deref().filter(|p| !p.trim().is_empty()) {
            messages.push(ChatMessage::text(Role::System, prompt.to_string()));
        }
        for (position, m) in plan.history.iter().enumerate() {
            if m.role == Role::Assistant && m.content.trim().is_empty() && m.tool_calls.is_empty() {
                continue;
            }
            if m.role == Role::Tool {
                messages.push(ChatMessage { tool_call_id: m.tool_call_id.clone(), ..ChatMessage::text(Role::Tool, m.content.clone()) });
                // After the last answer of a batch, a model that reads images sees them.
                let batch_ends = plan.history.get(position + 1).is_none_or(|next| next.role != Role::Tool);
                if batch_ends {
                    if let Some(shown) = self.tool_images_for(&plan.history[..=position], &plan.model)? {
                        messages.push(shown);
                    }
                }
                continue;
            }
            let images = m
                .attachments
                .iter()
                .filter(|a| a.mime.starts_with("image/"))
                .map(|a| Ok((a.mime.clone(), self.library.read_asset(a)?)))
                .collect::<Result<Vec<_>>>()?;
            messages.push(ChatMessage { role: m.role, text: m.content.clone(), images, tool_calls: m.tool_calls.clone(), tool_call_id: None });
        }
        if plan.continuing {
            messages.push(ChatMessage::text(Role::User, CONTINUE_PROMPT));
        }
        Ok(messages)
    }
}

/// Accumulates a reply and writes it out in batches: to the UI every 40 ms, to SQLite every
/// 250 ms, so a long stream costs a few writes a second.
struct ReplyWriter<'a> {
    studio: &'a Studio,
    reply_id: i64,
    content: String,
    reasoning: String,
    pending_content: String,
    pending_reasoning: String,
    last_db_write: Instant,
    db_dirty: bool,
    usage: Option<TokenUsage>,
    sink: TurnSink,
    sent_any: bool,
}

impl<'a> ReplyWriter<'a> {
    fn new(studio: &'a Studio, reply_id: i64, prefix: String, sink: TurnSink) -> Self {
        ReplyWriter {
            studio,
            reply_id,
            content: prefix,
            reasoning: String::new(),
            pending_content: String::new(),
            pending_reasoning: String::new(),
            last_db_write: Instant::now(),
            db_dirty: false,
            usage: None,
            sink,
            sent_any: false,
        }
    }

    fn push(&mut self, content: &str, reasoning: &str) {
        self.content.push_str(content);
        self.reasoning.push_str(reasoning);
        self.pending_content.push_str(content);
        self.pending_reasoning.push_str(reasoning);
        self.db_dirty = true;
        // The first words go out at once (time to first token); then in batches, each
        // Channel message kept small, since large ones cost an extra round trip.
        if !self.sent_any || self.pending_content.len() + self.pending_reasoning.len() > 2048 {
            self.sent_any = true;
            self.flush_ui();
        }
    }

    fn flush_due(&mut self) {
        self.flush_ui();
        if self.db_dirty && self.last_db_write.elapsed() >= DB_BATCH {
            self.write_db();
        }
    }

    fn flush_ui(&mut self) {
        if self.pending_content.is_empty() && self.pending_reasoning.is_empty() {
            return;
        }
        (self.sink)(TurnEvent::Delta {
            content: std::mem::take(&mut self.pending_content),
            reasoning: std::mem::take(&mut self.pending_reasoning),
        });
    }

    fn write_db(&mut self) {
        let reasoning = (!self.reasoning.is_empty()).then_some(self.reasoning.as_str());
        // A failed write is retried at the next batch and at the end; the stream goes on.
        if self.studio.library.update_reply_text(self.reply_id, &self.content, reasoning).is_ok() {
            self.db_dirty = false;
            self.last_db_write = Instant::now();
        }
    }

    /// Final write and final event. `end`: Ok = complete; Err(None) = stopped;
    /// Err(Some(e)) = failed with `e`.
    fn finish(mut self, finish_reason: Option<&str>, request_id: Option<&str>, end: std::result::Result<(), Option<Error>>) -> TurnOutcome {
        self.flush_ui();
        self.write_db();
        let (status, error) = match end {
            Ok(()) => (MessageStatus::Complete, None),
            Err(None) => (MessageStatus::Interrupted, None),
            Err(Some(e)) => (MessageStatus::Failed, Some(e)),
        };
        // A reply cut at the token limit is complete, with a note that it can be continued.
        let cut_off = (status == MessageStatus::Complete && finish_reason == Some("length"))
            .then_some("The reply reached its maximum length.".to_string());
        let message = error.as_ref().map(|e| e.to_string()).or(cut_off);
        let request_id = request_id.or(error.as_ref().and_then(|e| e.request_id()));
        let _ = self.studio.library.finish_reply(self.reply_id, status, message.as_deref(), finish_reason, request_id);
        if let Some(usage) = self.usage {
            (self.sink)(TurnEvent::Usage { usage });
        }
        (self.sink)(TurnEvent::Finished { status, error: message, code: error.as_ref().map(|e| e.code().to_string()) });
        TurnOutcome { status, error, pending_tools: Vec::new() }
    }
}

/// A conversation's first title: the first line of the first message, shortened.
pub fn title_from(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("New chat");
    let mut title: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        title.push('…');
    }
    title
}
