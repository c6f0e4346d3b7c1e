//! Chat turns end to end through the studio, against the simulator: streaming, stop,
//! every fault mid-stream, regenerate, edit, continue, the Responses API, and vision.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use nexhina_core::secrets::KeyStore;
use nexhina_core::types::{
    ChatParams, ChatTransport, ConversationPatch, MessageStatus, Role, SendRequest, TurnEvent,
};
use nexhina_core::{DemoPlatform, Studio, StudioOptions, TurnSink};
use nexhina_simulator::{SimConfig, Simulator};

use crate::{fault, hits, quick_retry, KEY};

struct Chat {
    studio: Arc<Studio>,
    sim: Simulator,
    _dir: tempfile::TempDir,
}

async fn chat_with(config: SimConfig) -> Chat {
    let sim = Simulator::start(config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = StudioOptions {
        data_dir: dir.path().to_path_buf(),
        demo: Some(DemoPlatform { base_url: sim.base_url(), api_key: KEY.into() }),
        retry: Some(quick_retry()),
        ..StudioOptions::default()
    };
    let studio = Arc::new(Studio::open(options, KeyStore::new("nexhina-studio-it-chat", None)).unwrap());
    Chat { studio, sim, _dir: dir }
}

async fn chat() -> Chat {
    chat_with(SimConfig { chunk_delay: Duration::from_millis(1), ..SimConfig::default() }).await
}

fn recorder() -> (TurnSink, Arc<Mutex<Vec<TurnEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink_events = events.clone();
    (Arc::new(move |e| sink_events.lock().unwrap().push(e)), events)
}

fn streamed_text(events: &[TurnEvent]) -> String {
    events.iter().filter_map(|e| if let TurnEvent::Delta { content, .. } = e { Some(content.as_str()) } else { None }).collect()
}

fn ask(text: &str, model: &str) -> SendRequest {
    SendRequest { conversation_id: None, text: text.into(), attachments: vec![], model: Some(model.into()) }
}

#[tokio::test]
async fn a_turn_streams_into_the_library_and_ends_complete() {
    let c = chat().await;
    let (sink, events) = recorder();
    let (started, task) = c.studio.send_message(ask("Tell me about harbours", "gpt-4o-mini"), sink).unwrap();
    let user = c.studio.library().message(started.user_message_id.unwrap()).unwrap();
    assert_eq!(user.content, "Tell me about harbours", "the user's message is stored before the request leaves");
    assert_eq!(c.studio.library().message(started.reply_id).unwrap().status, MessageStatus::Streaming);

    let outcome = task.await;
    assert_eq!(outcome.status, MessageStatus::Complete);
    let reply = c.studio.library().message(started.reply_id).unwrap();
    let events = events.lock().unwrap();
    assert_eq!(reply.content, streamed_text(&events), "the UI saw exactly what was stored");
    assert!(reply.content.contains("harbours") && reply.content.contains("café"));
    assert!(reply.usage.and_then(|u| u.total_tokens).is_some(), "usage from the stream's last chunk");
    assert!(matches!(events.last(), Some(TurnEvent::Finished { status: MessageStatus::Complete, error: None, .. })));
    let conversation = c.studio.conversation(started.conversation_id).unwrap();
    assert_eq!(conversation.title, "Tell me about harbours");
    assert_eq!(conversation.model.as_deref(), Some("gpt-4o-mini"));

    let sent = c.sim.requests().into_iter().find(|r| r.path == "/v1/chat/completions").unwrap().json().unwrap();
    assert_eq!(sent["stream"], true);
    assert_eq!(sent["stream_options"]["include_usage"], true);
    assert_eq!(sent["messages"].as_array().unwrap().len(), 1, "the empty reply row is not sent");
}

#[tokio::test]
async fn reasoning_is_kept_apart_from_the_answer() {
    let c = chat().await;
    let (sink, _) = recorder();
    let (started, task) = c.studio.send_message(ask("why is the sky blue", "o4-mini"), sink).unwrap();
    task.await;
    let reply = c.studio.library().message(started.reply_id).unwrap();
    assert!(reply.reasoning.as_deref().is_some_and(|r| r.contains("step by step")));
    assert!(!reply.content.contains("step by step"));
}

#[tokio::test]
async fn stop_cancels_the_request_and_keeps_the_partial_reply() {
    let c = chat_with(SimConfig { chunk_delay: Duration::from_millis(30), ..SimConfig::default() }).await;
    let (sink, events) = recorder();
    let (started, task) = c.studio.send_message(ask("a long story please", "gpt-4o-mini"), sink).unwrap();
    let handle = tokio::spawn(task);
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.studio.stop_reply(started.reply_id).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(2), handle).await.expect("stop ends the turn at once").unwrap();
    assert_eq!(outcome.status, MessageStatus::Interrupted);
    let reply = c.studio.library().message(started.reply_id).unwrap();
    assert_eq!(reply.status, MessageStatus::Interrupted);
    assert!(!reply.content.is_empty(), "what streamed before Stop is kept");
    assert_eq!(reply.content, streamed_text(&events.lock().unwrap()));
}

#[tokio::test]
async fn every_fault_mid_stream_ends_with_a_message_and_the_partial_reply() {
    let c = chat().await;
    for (spec, expected_status, code) in [
        ("reset:3", MessageStatus::Failed, Some("network")),
        ("stream_error", MessageStatus::Failed, Some("server_error")),
        ("malformed", MessageStatus::Complete, None),
        ("crlf", MessageStatus::Complete, None),
    ] {
        c.sim.clear();
        fault(&c.sim, "/v1/chat", spec, 1);
        let (sink, events) = recorder();
        let (started, task) = c.studio.send_message(ask("Tell me about harbours", "gpt-4o-mini"), sink).unwrap();
        let outcome = task.await;
        let reply = c.studio.library().message(started.reply_id).unwrap();
        assert_eq!(outcome.status, expected_status, "{spec}: {:?}", outcome.error);
        assert_eq!(reply.status, expected_status, "{spec}");
        assert_eq!(outcome.error.as_ref().map(|e| e.code()), code, "{spec}");
        assert_eq!(reply.error.is_some(), code.is_some(), "{spec}: the message is stored with the reply");
        assert_eq!(reply.content, streamed_text(&events.lock().unwrap()), "{spec}");
        if expected_status == MessageStatus::Failed {
            assert!(!reply.content.is_empty(), "{spec}: the partial reply is kept");
        } else {
            assert!(reply.content.ends_with("Anything else? 🚀"), "{spec}: whole reply, UTF-8 intact: {}", reply.content);
        }
        assert_eq!(hits(&c.sim, "/v1/chat/completions"), 1, "{spec}: a begun generation is never re-sent");
    }
}

#[tokio::test]
async fn failures_before_the_stream_began() {
    let c = chat().await;
    fault(&c.sim, "/v1/chat", "429:empty", 1);
    let (sink, _) = recorder();
    let (_, task) = c.studio.send_message(ask("hello", "gpt-4o-mini"), sink).unwrap();
    assert_eq!(task.await.status, MessageStatus::Complete, "a 429 before any output is retried");
    assert_eq!(hits(&c.sim, "/v1/chat/completions"), 2);

    for (spec, code) in [("401", "unauthorized"), ("403:insufficient_user_quota", "quota_exhausted"), ("html:502", "gateway_down")] {
        c.sim.clear();
        fault(&c.sim, "/v1/chat", spec, 0);
        let (sink, events) = recorder();
        let (started, task) = c.studio.send_message(ask("hello", "gpt-4o-mini"), sink).unwrap();
        let outcome = task.await;
        assert_eq!(outcome.error.as_ref().map(|e| e.code()), Some(code), "{spec}");
        let reply = c.studio.library().message(started.reply_id).unwrap();
        assert_eq!(reply.status, MessageStatus::Failed);
        assert!(reply.error.as_deref().is_some_and(|e| !e.is_empty()));
        assert!(matches!(events.lock().unwrap().last(), Some(TurnEvent::Finished { code: Some(c), .. }) if c == code));
        assert!(c.studio.library().message(started.user_message_id.unwrap()).is_ok(), "the user's message stays");
    }
}

#[tokio::test]
async fn regenerate_edit_and_continue() {
    let c = chat().await;
    let (sink, _) = recorder();
    let (first, task) = c.studio.send_message(ask("first question", "gpt-4o-mini"), sink.clone()).unwrap();
    task.await;

    let (again, task) = c.studio.regenerate_reply(first.reply_id, sink.clone()).unwrap();
    assert_eq!(task.await.status, MessageStatus::Complete);
    assert!(c.studio.library().message(first.reply_id).is_err(), "the old reply is replaced");
    let page = c.studio.list_messages(first.conversation_id, None, None, 50).unwrap();
    assert_eq!(page.items.iter().map(|m| m.id).collect::<Vec<_>>(), vec![first.user_message_id.unwrap(), again.reply_id]);

    let (edited, task) = c.studio.edit_and_resend(first.user_message_id.unwrap(), "second question", sink.clone()).unwrap();
    task.await;
    let page = c.studio.list_messages(first.conversation_id, None, None, 50).unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].content, "second question");
    assert!(page.items[1].content.contains("second question"));
    assert_eq!(page.items[1].id, edited.reply_id);

    c.studio
        .update_conversation(first.conversation_id, ConversationPatch { params: Some(ChatParams { max_tokens: Some(5), ..Default::default() }), ..Default::default() })
        .unwrap();
    let (cut, task) = c.studio.send_message(SendRequest { conversation_id: Some(first.conversation_id), ..ask("third", "gpt-4o-mini") }, sink.clone()).unwrap();
    task.await;
    let before = c.studio.library().message(cut.reply_id).unwrap().content;
    let (_, task) = c.studio.continue_reply(cut.reply_id, sink).unwrap();
    task.await;
    let after = c.studio.library().message(cut.reply_id).unwrap();
    assert!(after.content.starts_with(&before) && after.content.len() > before.len(), "continued text is appended");
    let sent = c.sim.requests().into_iter().rev().find(|r| r.path == "/v1/chat/completions").unwrap().json().unwrap();
    let msgs = sent["messages"].as_array().unwrap();
    assert_eq!(msgs[msgs.len() - 2]["role"], "assistant", "the partial reply is sent back to be continued");
}

#[tokio::test]
async fn the_responses_api_streams_as_well() {
    let c = chat().await;
    let (sink, events) = recorder();
    let conversation = c.studio.create_conversation(Some("gpt-4o")).unwrap();
    c.studio
        .update_conversation(
            conversation.id,
            ConversationPatch {
                system_prompt: Some("Answer kindly.".into()),
                params: Some(ChatParams { transport: ChatTransport::Responses, temperature: Some(0.3), ..Default::default() }),
                ..Default::default()
            },
        )
        .unwrap();
    let (started, task) = c.studio.send_message(SendRequest { conversation_id: Some(conversation.id), ..ask("hello there", "gpt-4o") }, sink).unwrap();
    assert_eq!(task.await.status, MessageStatus::Complete);
    let reply = c.studio.library().message(started.reply_id).unwrap();
    assert_eq!(reply.content, streamed_text(&events.lock().unwrap()));
    assert!(reply.content.contains("hello there"));
    assert!(reply.usage.is_some());
    let sent = c.sim.requests().into_iter().find(|r| r.path == "/v1/responses").unwrap().json().unwrap();
    assert_eq!(sent["instructions"], "Answer kindly.");
    assert_eq!(sent["temperature"], 0.3);
}

fn png_bytes() -> Vec<u8> {
    // A real 2x2 PNG, written by hand-checked bytes is brittle; decode-and-encode instead.
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(300, 200, image::Rgb([200, 80, 40])).write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn an_attached_image_is_stored_by_hash_and_sent_from_the_local_copy() {
    let c = chat().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sunset.png");
    std::fs::write(&path, png_bytes()).unwrap();
    let asset = c.studio.attach_file(&path).unwrap();
    assert!(std::path::Path::new(&asset.path).exists());
    assert!(asset.thumbnail_path.as_deref().is_some_and(|t| std::path::Path::new(t).exists()));
    std::fs::remove_file(&path).unwrap();

    let (sink, _) = recorder();
    let request = SendRequest { attachments: vec![asset.id], ..ask("what is in this picture?", "gpt-4o") };
    let (started, task) = c.studio.send_message(request, sink).unwrap();
    task.await;
    let reply = c.studio.library().message(started.reply_id).unwrap();
    assert!(reply.content.contains("I see 1 image"), "{}", reply.content);
    let user = c.studio.library().message(started.user_message_id.unwrap()).unwrap();
    assert_eq!(user.attachments.len(), 1);
    assert_eq!(user.attachments[0].original_name.as_deref(), Some("sunset.png"));
    let sent = c.sim.requests().into_iter().find(|r| r.path == "/v1/chat/completions").unwrap().json().unwrap();
    let url = sent["messages"][0]["content"][1]["image_url"]["url"].as_str().unwrap();
    assert!(url.starts_with("data:image/png;base64,"));
}

#[tokio::test]
async fn bad_attachments_get_clear_messages() {
    let c = chat().await;
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.png");
    std::fs::write(&text, "not really a png").unwrap();
    assert!(c.studio.attach_file(&text).unwrap_err().to_string().contains("not an image"));
    let huge = dir.path().join("huge.png");
    std::fs::File::create(&huge).unwrap().set_len(2 * 1024 * 1024 * 1024).unwrap();
    let err = c.studio.attach_file(&huge).unwrap_err();
    assert!(err.to_string().contains("2048.0 MB"), "{err}");
    assert!(c.studio.attach_bytes(Some("x.png"), "!!!").unwrap_err().to_string().contains("not an image"));
}

#[tokio::test]
async fn search_finds_words_and_export_writes_markdown() {
    let c = chat().await;
    let (sink, _) = recorder();
    let (started, task) = c.studio.send_message(ask("golden hour over a sailing harbour", "gpt-4o-mini"), sink).unwrap();
    task.await;
    let hits = c.studio.search_messages("sailing harb", 10).unwrap();
    assert!(hits.iter().any(|h| h.message_id == started.user_message_id.unwrap() && h.role == Role::User));
    let out = tempfile::tempdir().unwrap();
    let path = c.studio.export_conversation(started.conversation_id, Some(out.path())).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.starts_with("# golden hour over a sailing harbour"));
    assert!(text.contains("## You") && text.contains("## Assistant (gpt-4o-mini)"));
}

#[tokio::test]
async fn a_crash_mid_stream_leaves_an_interrupted_reply_after_restart() {
    let c = chat().await;
    let conversation = c.studio.create_conversation(Some("gpt-4o-mini")).unwrap();
    let library = c.studio.library();
    library.insert_message(conversation.id, Role::User, "hi", MessageStatus::Complete, None).unwrap();
    let reply = library.insert_message(conversation.id, Role::Assistant, "half of it", MessageStatus::Streaming, None).unwrap();
    let data_dir = library.path().parent().unwrap().to_path_buf();
    let reopened = Studio::open(
        StudioOptions { data_dir, ..StudioOptions::default() },
        KeyStore::new("nexhina-studio-it-chat", None),
    )
    .unwrap();
    let m = reopened.library().message(reply).unwrap();
    assert_eq!((m.status, m.content.as_str()), (MessageStatus::Interrupted, "half of it"));
}

#[tokio::test]
async fn a_reply_cut_at_the_length_limit_says_so_and_stays_complete() {
    let c = chat().await;
    let conversation = c.studio.create_conversation(Some("gpt-4o-mini")).unwrap();
    c.studio
        .update_conversation(conversation.id, ConversationPatch { params: Some(ChatParams { max_tokens: Some(5), ..Default::default() }), ..Default::default() })
        .unwrap();
    let (sink, events) = recorder();
    let (started, task) = c.studio.send_message(SendRequest { conversation_id: Some(conversation.id), ..ask("tell me everything", "gpt-4o-mini") }, sink).unwrap();
    let outcome = task.await;
    assert_eq!(outcome.status, MessageStatus::Complete);
    assert!(outcome.error.is_none());
    let reply = c.studio.library().message(started.reply_id).unwrap();
    assert!(reply.error.as_deref().is_some_and(|e| e.contains("maximum length")));
    assert!(matches!(events.lock().unwrap().last(), Some(TurnEvent::Finished { status: MessageStatus::Complete, error: Some(_), code: None })));
}
