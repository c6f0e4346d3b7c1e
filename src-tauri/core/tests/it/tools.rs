//! Tools in a chat, against the simulator: a full loop for each tool, parallel calls,
//! invalid arguments, a declined call, the Responses API, the spending limit, and a video
//! call that reports back after a restart.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nexhina_core::secrets::KeyStore;
use nexhina_core::studio::PollSchedule;
use nexhina_core::types::{
    ChatParams, ChatTransport, ConversationPatch, GenerationKind, GenerationStatus, ImageRequest, MessageStatus, Role, SendRequest,
    ToolCallState, ToolSettings, TurnEvent,
};
use nexhina_core::{DemoPlatform, Studio, StudioOptions, TurnSink};
use nexhina_simulator::{FaultRule, SimConfig, Simulator};

use crate::{quick_retry, KEY};

const MODEL: &str = "gpt-4o-mini";

fn polls() -> PollSchedule {
    PollSchedule {
        first: Duration::from_millis(20),
        fast: Duration::from_millis(30),
        fast_until: Duration::from_secs(1),
        medium: Duration::from_millis(60),
        medium_until: Duration::from_secs(2),
        slow: Duration::from_millis(100),
        give_up: Duration::from_secs(30),
    }
}

fn open(dir: &Path, sim_url: &str) -> Arc<Studio> {
    let options = StudioOptions {
        data_dir: dir.to_path_buf(),
        demo: Some(DemoPlatform { base_url: sim_url.to_string(), api_key: KEY.into() }),
        retry: Some(quick_retry()),
        video_polls: Some(polls()),
        ..StudioOptions::default()
    };
    Arc::new(Studio::open(options, KeyStore::new("nexhina-studio-it-tools", None)).unwrap())
}

async fn sim() -> Simulator {
    Simulator::start(SimConfig { chunk_delay: Duration::from_millis(1), video_step: Duration::from_millis(30), ..SimConfig::default() })
        .await
        .unwrap()
}

fn recorder() -> (TurnSink, Arc<Mutex<Vec<TurnEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let inner = events.clone();
    (Arc::new(move |e| inner.lock().unwrap().push(e)), events)
}

/// A conversation with its tool settings, before its first message.
fn conversation(studio: &Studio, transport: ChatTransport, settings: ToolSettings) -> i64 {
    let c = studio.create_conversation(Some(MODEL)).unwrap();
    let params = ChatParams { transport, ..ChatParams::default() };
    studio.update_conversation(c.id, ConversationPatch { params: Some(params), ..Default::default() }).unwrap();
    studio.set_tool_settings(c.id, settings).unwrap();
    c.id
}

fn ask(conversation_id: i64, text: &str) -> SendRequest {
    SendRequest { conversation_id: Some(conversation_id), text: text.into(), attachments: vec![], model: Some(MODEL.into()) }
}

fn auto() -> ToolSettings {
    ToolSettings { auto_run: true, ..ToolSettings::default() }
}

fn last_reply(studio: &Studio, conversation_id: i64) -> nexhina_core::types::MessageView {
    let page = studio.list_messages(conversation_id, None, None, 100).unwrap();
    page.items.into_iter().filter(|m| m.role == Role::Assistant).last().unwrap()
}

fn chat_requests(sim: &Simulator) -> Vec<serde_json::Value> {
    sim.requests().into_iter().filter(|r| r.path == "/v1/chat/completions").filter_map(|r| r.json()).collect()
}

#[tokio::test]
async fn an_image_call_waits_for_confirmation_runs_and_the_model_goes_on() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim.base_url());
    let cid = conversation(&studio, ChatTransport::ChatCompletions, ToolSettings::default());
    let (sink, events) = recorder();
    let (started, task) = studio.send_message(ask(cid, "Please draw the lighthouse we talked about, at night"), sink).unwrap();
    let outcome = task.await;
    assert_eq!(outcome.status, MessageStatus::Complete);
    assert_eq!(outcome.pending_tools.len(), 1, "one call, waiting for the person");
    assert!(events.lock().unwrap().iter().any(|e| matches!(e, TurnEvent::Tools { reply_id } if *reply_id == started.reply_id)));

    let sent = &chat_requests(&sim)[0];
    let names: Vec<&str> = sent["tools"].as_array().unwrap().iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"generate_image") && names.contains(&"speak"), "{names:?}");
    assert_eq!(sent["tool_choice"], "auto");

    let tool_id = outcome.pending_tools[0];
    let card = studio.tool_call_view(tool_id).unwrap();
    assert_eq!((card.name.as_str(), card.state), ("generate_image", ToolCallState::Pending));
    assert!(card.prompt.unwrap().contains("lighthouse"));
    assert!(card.model.is_some(), "the card names the model that will run it");
    let reply = studio.library().message(started.reply_id).unwrap();
    assert_eq!(reply.tool_calls, Some(1), "the assistant message keeps its calls");

    let (sink, events) = recorder();
    let (running, task) = studio.answer_tool_call(tool_id, true, sink).unwrap();
    assert_eq!(running.state, ToolCallState::Running);
    assert!(studio.answer_tool_call(tool_id, true, recorder().0).is_err(), "a call is answered once");
    let outcome = task.await;
    assert_eq!(outcome.status, MessageStatus::Complete);

    let card = studio.tool_call_view(tool_id).unwrap();
    assert_eq!(card.state, ToolCallState::Done);
    assert_eq!(card.outputs.len(), 1);
    let generation = studio.generation(card.generation_id.unwrap()).unwrap();
    assert_eq!((generation.kind, generation.status), (GenerationKind::Image, GenerationStatus::Complete));
    let linked = studio.library().tool_call_for_generation(generation.id).unwrap().unwrap();
    assert_eq!(linked.message_id, tool_id, "the gallery item leads back to the message");

    let events = events.lock().unwrap();
    let next = events.iter().find_map(|e| if let TurnEvent::NextReply { reply_id } = e { Some(*reply_id) } else { None }).unwrap();
    let next = studio.library().message(next).unwrap();
    assert!(next.content.contains("The tool returned"), "{}", next.content);
    assert_eq!(next.status, MessageStatus::Complete);

    let last = chat_requests(&sim).pop().unwrap();
    let messages = last["messages"].as_array().unwrap();
    let tool = messages.iter().find(|m| m["role"] == "tool").unwrap();
    assert_eq!(tool["tool_call_id"].as_str(), Some(card.call_id.as_str()));
    assert!(tool["content"].as_str().unwrap().contains("image id"));
    let asked = messages.iter().find(|m| m["tool_calls"].is_array()).unwrap();
    assert_eq!(asked["tool_calls"][0]["function"]["name"], "generate_image");
    let shown = messages.last().unwrap();
    assert_eq!(shown["content"][1]["type"], "image_url", "a model that reads images sees the result");

    let hits = studio.search_messages("created an image", 20).unwrap();
    assert!(hits.iter().any(|h| h.message_id == tool_id), "tool results are searchable like messages");
}

#[tokio::test]
async fn parallel_calls_run_without_asking_and_the_model_answers_once() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim.base_url());
    let cid = conversation(&studio, ChatTransport::ChatCompletions, auto());
    let (sink, events) = recorder();
    let (_, task) = studio.send_message(ask(cid, "Draw a red kite, then read aloud: the wind is up"), sink).unwrap();
    let outcome = task.await;
    assert_eq!(outcome.status, MessageStatus::Complete);
    assert!(outcome.pending_tools.is_empty(), "the last reply called nothing");
    let messages = studio.list_messages(cid, None, None, 100).unwrap().items;
    let cards: Vec<_> = messages.iter().filter_map(|m| m.tool.clone()).collect();
    assert_eq!(cards.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["generate_image", "speak"]);
    assert!(cards.iter().all(|c| c.state == ToolCallState::Done), "{cards:?}");
    assert_eq!(studio.generation(cards[1].generation_id.unwrap()).unwrap().kind, GenerationKind::Speech);
    assert_eq!(events.lock().unwrap().iter().filter(|e| matches!(e, TurnEvent::NextReply { .. })).count(), 1);
    assert!(last_reply(&studio, cid).content.contains("The tool returned"));
    assert_eq!(studio.tool_availability(Some(cid), None).unwrap().used, 2);
}

#[tokio::test]
async fn a_library_search_runs_without_asking_and_the_model_reads_what_it_found() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim.base_url());
    for prompt in ["golden hour over a sailing harbour", "a steaming bowl of ramen with chopsticks"] {
        let request = ImageRequest {
            model: "gpt-image-1".into(),
            prompt: prompt.into(),
            size: Some("256x256".into()),
            n: Some(1),
            quality: None,
            style: None,
            extra: None,
            input_asset_ids: vec![],
            mask_asset_id: None,
            parent_generation_id: None,
        };
        let (_, task) = studio.generate_images(request, Arc::new(|_| {})).unwrap();
        task.await.unwrap();
    }
    let mut settings = studio.search_settings().unwrap();
    settings.embedding_model = Some("text-embedding-3-small".into());
    studio.save_search_settings(settings).unwrap();
    studio.build_index(&(Arc::new(|_: &_| {}) as nexhina_core::IndexSink)).await.unwrap();

    // Asking first is the default, but a search only reads the library: it runs at once.
    let cid = conversation(&studio, ChatTransport::ChatCompletions, ToolSettings::default());
    let (_, task) = studio.send_message(ask(cid, "Search my library for the sunset one with the boat"), recorder().0).unwrap();
    let outcome = task.await;
    assert_eq!(outcome.status, MessageStatus::Complete);
    assert!(outcome.pending_tools.is_empty());
    let messages = studio.list_messages(cid, None, None, 100).unwrap().items;
    let card = messages.iter().find_map(|m| m.tool.clone()).expect("a tool card");
    assert_eq!((card.name.as_str(), card.state), ("search_library", ToolCallState::Done));
    assert!(card.model.is_none() && card.generation_id.is_none(), "a search makes nothing");
    let result = card.result.unwrap();
    let first = result.lines().nth(1).unwrap_or_default();
    assert!(first.starts_with("1. [image ") && first.contains("golden hour over a sailing harbour"), "{result}");
    assert!(last_reply(&studio, cid).content.contains("The tool returned"));
    let follow_up = chat_requests(&sim).into_iter().last().unwrap();
    let told = follow_up["messages"].as_array().unwrap().iter().any(|m| m["role"] == "tool" && m["content"].as_str().unwrap_or_default().contains("sailing harbour"));
    assert!(told, "the model reads what was found");
    assert_eq!(studio.tool_availability(Some(cid), None).unwrap().used, 0, "searches do not count against the limit");
}

#[tokio::test]
async fn invalid_arguments_go_back_to_the_model_and_the_turn_goes_on() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim.base_url());
    let cid = conversation(&studio, ChatTransport::ChatCompletions, ToolSettings::default());
    sim.push_tool_calls(vec![
        ("generate_image".into(), r#"{"prompt":"a cat","aspect":"wide"}"#.into()),
        ("generate_video".into(), r#"{"prompt":"#.into()),
    ]);
    let (_, task) = studio.send_message(ask(cid, "surprise me"), recorder().0).unwrap();
    let outcome = task.await;
    assert_eq!(outcome.status, MessageStatus::Complete);
    let cards: Vec<_> = studio.list_messages(cid, None, None, 100).unwrap().items.into_iter().filter_map(|m| m.tool).collect();
    assert_eq!(cards.len(), 2);
    assert!(cards.iter().all(|c| c.state == ToolCallState::Invalid));
    assert!(cards[0].error.as_deref().unwrap().contains("must be one of"));
    assert!(cards[1].error.as_deref().unwrap().contains("not valid JSON"));
    let reply = last_reply(&studio, cid);
    assert!(reply.content.contains("The tool returned: Error:"), "{}", reply.content);
    assert_eq!(studio.gallery(&Default::default(), None, 10).unwrap().items.len(), 0, "nothing was generated");
}

#[tokio::test]
async fn stopping_a_running_call_cancels_its_generation_and_the_model_is_told() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim.base_url());
    let cid = conversation(&studio, ChatTransport::ChatCompletions, ToolSettings::default());
    let (_, task) = studio.send_message(ask(cid, "Draw a lighthouse in a storm"), recorder().0).unwrap();
    let tool_id = task.await.pending_tools[0];
    sim.push_fault(FaultRule { path_prefix: "/v1/images/generations".into(), fault: "stall:20000".parse().unwrap(), times: 1 });
    let (_, task) = studio.answer_tool_call(tool_id, true, recorder().0).unwrap();
    let task = tokio::spawn(task);
    let started = std::time::Instant::now();
    while studio.tool_call_view(tool_id).unwrap().generation_id.is_none() {
        assert!(started.elapsed() < Duration::from_secs(10), "the image never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let card = studio.stop_tool_call(tool_id).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(10), task).await.expect("Stop ends the run at once").unwrap();
    assert_eq!(outcome.status, MessageStatus::Complete);
    let card = if card.state == ToolCallState::Running { studio.tool_call_view(tool_id).unwrap() } else { card };
    assert_eq!((card.state, card.error.as_deref()), (ToolCallState::Failed, Some("Stopped by you.")));
    let generation = studio.generation(card.generation_id.unwrap()).unwrap();
    assert_eq!(generation.status, GenerationStatus::Cancelled);
    let follow_up = chat_requests(&sim).into_iter().last().unwrap();
    let told = follow_up["messages"].as_array().unwrap().iter().any(|m| m["role"] == "tool" && m["content"].as_str().unwrap_or_default().contains("stopped"));
    assert!(told, "the model hears that the person stopped it");
    assert!(studio.stop_tool_call(tool_id).is_ok(), "stopping twice is harmless");
}

#[tokio::test]
async fn a_declined_call_is_not_run_and_the_model_is_told() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim.base_url());
    let cid = conversation(&studio, ChatTransport::ChatCompletions, ToolSettings::default());
    let (_, task) = studio.send_message(ask(cid, "Read aloud the first line of the poem"), recorder().0).unwrap();
    let tool_id = task.await.pending_tools[0];
    let (card, task) = studio.answer_tool_call(tool_id, false, recorder().0).unwrap();
    assert_eq!((card.name.as_str(), card.state), ("speak", ToolCallState::Declined));
    task.await;
    assert!(sim.requests().iter().all(|r| r.path != "/v1/audio/speech"));
    assert!(last_reply(&studio, cid).content.contains("declined"));
}

#[tokio::test]
async fn edit_and_transcribe_work_on_the_conversations_own_files_over_the_responses_api() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim.base_url());
    let cid = conversation(&studio, ChatTransport::Responses, auto());
    let (_, task) = studio.send_message(ask(cid, "Draw a small boat"), recorder().0).unwrap();
    task.await;
    let (_, task) = studio.send_message(ask(cid, "Now edit the image: make the sail orange"), recorder().0).unwrap();
    assert_eq!(task.await.status, MessageStatus::Complete);
    let cards: Vec<_> = studio.list_messages(cid, None, None, 100).unwrap().items.into_iter().filter_map(|m| m.tool).collect();
    assert_eq!(cards.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["generate_image", "edit_image"]);
    assert_eq!(cards[1].state, ToolCallState::Done, "{:?}", cards[1].error);
    assert_eq!(cards[1].inputs[0].id, cards[0].outputs[0].id, "the edit starts from the drawn image");
    let sent: Vec<serde_json::Value> = sim.requests().into_iter().filter(|r| r.path == "/v1/responses").filter_map(|r| r.json()).collect();
    assert!(sent[0]["tools"].as_array().unwrap().iter().any(|t| t["name"] == "edit_image"));
    let input = sent[1]["input"].as_array().unwrap();
    assert!(input.iter().any(|i| i["type"] == "function_call") && input.iter().any(|i| i["type"] == "function_call_output"));

    // Transcribe: the audio the person attached.
    let audio = studio.attach_audio(&wav(), Some("memo.wav")).unwrap();
    let request = SendRequest { attachments: vec![audio.id], ..ask(cid, "Please transcribe my memo") };
    let (_, task) = studio.send_message(request, recorder().0).unwrap();
    assert_eq!(task.await.status, MessageStatus::Complete);
    let card = studio.list_messages(cid, None, None, 100).unwrap().items.into_iter().filter_map(|m| m.tool).last().unwrap();
    assert_eq!((card.name.as_str(), card.state), ("transcribe", ToolCallState::Done), "{:?}", card.error);
    assert!(card.result.unwrap().starts_with("Transcript of audio"));
}

#[tokio::test]
async fn the_spending_limit_stops_calls_and_models_without_tools_get_none() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim.base_url());
    let cid = conversation(&studio, ChatTransport::ChatCompletions, ToolSettings { auto_run: true, max_generations: 1, ..ToolSettings::default() });
    let (_, task) = studio.send_message(ask(cid, "Draw a lighthouse and read aloud its name"), recorder().0).unwrap();
    task.await;
    let cards: Vec<_> = studio.list_messages(cid, None, None, 100).unwrap().items.into_iter().filter_map(|m| m.tool).collect();
    assert_eq!(cards[0].state, ToolCallState::Done);
    assert_eq!(cards[1].state, ToolCallState::Invalid);
    assert!(cards[1].error.as_deref().unwrap().contains("limit of 1"));

    let unknown = studio.tool_availability(None, Some("my-local-llama")).unwrap();
    assert!(!unknown.offered && unknown.model_unsupported);
    let c = studio.create_conversation(Some("my-local-llama")).unwrap();
    sim.clear();
    let request = SendRequest { model: Some("my-local-llama".into()), ..ask(c.id, "draw a cat") };
    if let Ok((_, task)) = studio.send_message(request, recorder().0) {
        task.await;
    }
    assert!(chat_requests(&sim).iter().all(|r| r.get("tools").is_none()), "an unknown model gets no tools");
}

#[tokio::test]
async fn the_conversations_tool_choice_applies_to_replies_to_the_person_only() {
    let sim = sim().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), &sim.base_url());
    let settings = ToolSettings { auto_run: true, choice: Some("speak".into()), ..ToolSettings::default() };
    let cid = conversation(&studio, ChatTransport::ChatCompletions, settings);
    let (_, task) = studio.send_message(ask(cid, "Good morning, how are you?"), recorder().0).unwrap();
    assert_eq!(task.await.status, MessageStatus::Complete);
    let sent = chat_requests(&sim);
    assert_eq!(sent[0]["tool_choice"], serde_json::json!({ "type": "function", "function": { "name": "speak" } }));
    assert_eq!(sent.last().unwrap()["tool_choice"], "auto", "the reply to the tool's result may stop calling tools");
    let cards: Vec<_> = studio.list_messages(cid, None, None, 100).unwrap().items.into_iter().filter_map(|m| m.tool).collect();
    assert_eq!(cards.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["speak"], "the model had to speak");

    // A tool whose model the platform no longer has falls back to letting the model decide.
    let other = conversation(&studio, ChatTransport::ChatCompletions, ToolSettings { choice: Some("paint_wall".into()), ..auto() });
    sim.clear();
    let (_, task) = studio.send_message(ask(other, "Hello"), recorder().0).unwrap();
    task.await;
    assert_eq!(chat_requests(&sim)[0]["tool_choice"], "auto");
    studio.set_tool_settings(other, ToolSettings { choice: Some("required".into()), ..auto() }).unwrap();
    sim.clear();
    let (_, task) = studio.send_message(ask(other, "Hello again"), recorder().0).unwrap();
    task.await;
    assert_eq!(chat_requests(&sim)[0]["tool_choice"], "required");
}

#[tokio::test]
async fn a_video_call_survives_a_restart_and_reports_back() {
    let sim = Simulator::start(SimConfig { chunk_delay: Duration::from_millis(1), video_step: Duration::from_millis(200), ..SimConfig::default() })
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = sim.base_url();
    let path = dir.path().to_path_buf();
    // The first run, on a runtime of its own that is dropped mid-job: the app quits.
    let (cid, tool_id) = tokio::task::spawn_blocking(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let ids = rt.block_on(async {
            let studio = open(&path, &url);
            let cid = conversation(&studio, ChatTransport::ChatCompletions, auto());
            let (_, task) = studio.send_message(ask(cid, "Make a 5-second clip of the harbour at dawn"), recorder().0).unwrap();
            let outcome = task.await;
            assert_eq!(outcome.status, MessageStatus::Complete);
            let card = studio.list_messages(cid, None, None, 100).unwrap().items.into_iter().filter_map(|m| m.tool).last().unwrap();
            assert_eq!((card.name.as_str(), card.state), ("generate_video", ToolCallState::Running));
            // The app quits once the platform has accepted the job.
            let generation_id = card.generation_id.unwrap();
            while studio.library().job_for_generation(generation_id).unwrap().and_then(|j| j.remote_task_id).is_none() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            (cid, card.message_id)
        });
        rt.shutdown_timeout(Duration::from_millis(0));
        ids
    })
    .await
    .unwrap();

    let studio = open(dir.path(), &sim.base_url());
    assert_eq!(studio.tool_call_view(tool_id).unwrap().state, ToolCallState::Running);
    let (listener, events) = recorder();
    studio.set_tool_listener(listener);
    for task in studio.resume_video_jobs(Arc::new(|_| {})).unwrap() {
        task.await.unwrap();
    }
    // The model's next reply streams on its own once the job has ended.
    for _ in 0..400 {
        if events.lock().unwrap().iter().any(|e| matches!(e, TurnEvent::Finished { .. })) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let card = studio.tool_call_view(tool_id).unwrap();
    assert_eq!(card.state, ToolCallState::Done);
    assert_eq!(card.generation_status, Some(GenerationStatus::Complete));
    assert_eq!(card.outputs.len(), 1);
    assert!(events.lock().unwrap().iter().any(|e| matches!(e, TurnEvent::NextReply { .. })));
    let reply = last_reply(&studio, cid);
    assert_eq!(reply.status, MessageStatus::Complete);
    assert!(reply.content.contains("video is ready"), "{}", reply.content);
}

/// A short silent WAV (16 kHz mono).
fn wav() -> Vec<u8> {
    let samples = vec![0u8; 3200];
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&32_000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    out.extend_from_slice(&samples);
    out
}
