//! `nexhina chat` and `nexhina history`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use nexhina_core::types::{ConversationPatch, MessageStatus, Role, SendRequest, TurnEvent};
use nexhina_core::{Error, Studio, TurnSink};
use serde_json::json;

#[derive(Args)]
pub struct ChatArgs {
    /// Model to use (default: the conversation's model)
    #[arg(long)]
    model: Option<String>,
    /// System prompt for a new conversation (or to replace the conversation's)
    #[arg(long)]
    system: Option<String>,
    /// Continue this conversation instead of starting a new one
    #[arg(long)]
    conversation: Option<i64>,
    /// Attach an image (repeatable)
    #[arg(long = "image", value_name = "FILE")]
    images: Vec<PathBuf>,
    /// The message
    #[arg(required = true, num_args = 1.., value_name = "PROMPT")]
    pub(crate) prompt: Vec<String>,
}

#[derive(Subcommand)]
pub enum HistoryCommand {
    /// List conversations, newest first
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Print one conversation
    Show { id: i64 },
    /// Find messages by words
    Search {
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

pub async fn chat(studio: &Arc<Studio>, args: ChatArgs, as_json: bool) -> Result<(), Error> {
    let text = args.prompt.join(" ");
    let attachments = args.images.iter().map(|p| studio.attach_file(p).map(|a| a.id)).collect::<Result<Vec<_>, _>>()?;
    let conversation_id = match (args.conversation, &args.system) {
        (Some(id), system) => {
            if let Some(system) = system {
                studio.update_conversation(id, ConversationPatch { system_prompt: Some(system.clone()), ..Default::default() })?;
            }
            Some(id)
        }
        (None, Some(system)) => {
            let created = studio.create_conversation(args.model.as_deref())?;
            let patch = ConversationPatch {
                title: Some(nexhina_core::studio::title_from(&text)),
                system_prompt: Some(system.clone()),
                ..Default::default()
            };
            Some(studio.update_conversation(created.id, patch)?.id)
        }
        (None, None) => None,
    };
    let sink: TurnSink = Arc::new(move |event| {
        if let TurnEvent::Delta { content, .. } = event {
            if !as_json && !content.is_empty() {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(content.as_bytes());
                let _ = out.flush();
            }
        }
    });
    let request = SendRequest { conversation_id, text, attachments, model: args.model };
    let (started, task) = studio.send_message(request, sink)?;
    let handle = tokio::spawn(task);
    tokio::pin!(handle);
    // Ctrl+C stops the reply the way the app's Stop button does: kept, marked interrupted.
    let outcome = tokio::select! {
        done = &mut handle => done,
        _ = tokio::signal::ctrl_c() => {
            studio.stop_reply(started.reply_id)?;
            handle.await
        }
    }
    .map_err(|e| Error::Internal(format!("the reply task failed: {e}")))?;
    let reply = studio.library().message(started.reply_id)?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&json!({ "conversation_id": started.conversation_id, "reply": reply }))?);
    } else {
        println!();
        eprintln!("[conversation {} · {}]", started.conversation_id, status_word(outcome.status));
    }
    match outcome.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn status_word(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Complete => "complete",
        MessageStatus::Streaming => "streaming",
        MessageStatus::Interrupted => "interrupted",
        MessageStatus::Failed => "failed",
    }
}

pub fn history(studio: &Studio, command: HistoryCommand, as_json: bool) -> Result<(), Error> {
    match command {
        HistoryCommand::List { limit } => {
            let page = studio.list_conversations(None, limit)?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&page.items)?);
            } else {
                for c in page.items {
                    let pin = if c.pinned { "📌 " } else { "" };
                    println!("{:>6}  {pin}{}  ({})", c.id, c.title, c.model.unwrap_or_default());
                }
            }
        }
        HistoryCommand::Show { id } => {
            let conversation = studio.conversation(id)?;
            let mut messages = Vec::new();
            let mut before = None;
            loop {
                let page = studio.list_messages(id, before, None, 500)?;
                messages.splice(0..0, page.items);
                before = page.before_cursor;
                if before.is_none() {
                    break;
                }
            }
            if as_json {
                println!("{}", serde_json::to_string_pretty(&json!({ "conversation": conversation, "messages": messages }))?);
            } else {
                println!("# {}\n", conversation.title);
                for m in messages {
                    let who = match m.role {
                        Role::User => "you",
                        Role::Assistant => "assistant",
                        _ => "system",
                    };
                    let note = match m.status {
                        MessageStatus::Complete => String::new(),
                        other => format!(" [{}]", status_word(other)),
                    };
                    println!("## {who}{note}\n\n{}\n", m.content.trim_end());
                }
            }
        }
        HistoryCommand::Search { query, limit } => {
            let hits = studio.search_messages(&query.join(" "), limit)?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            } else {
                for h in hits {
                    let snippet = h.snippet.replace(['\u{2}', '\u{3}'], "*").replace('\n', " ");
                    println!("{:>6}  {}: {snippet}", h.conversation_id, h.conversation_title);
                }
            }
        }
    }
    Ok(())
}
