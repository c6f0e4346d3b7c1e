//! Search across the library against the simulator: meaning finds what words cannot, the
//! rerank model reorders, the index resumes after a restart, offline search says why it
//! has only words, and the moderation pre-check stops a flagged prompt until the user
//! sends it anyway.

use std::sync::{Arc, Mutex};

use nexhina_core::library::generations::NewGeneration;
use nexhina_core::secrets::KeyStore;
use nexhina_core::types::{
    GenerationKind, ImageRequest, IndexStatus, MessageStatus, SearchKind, SearchMode, SearchQuery, SearchResults, SearchSettings,
    SendRequest,
};
use nexhina_core::{DemoPlatform, Error, IndexSink, Studio, StudioOptions, TurnSink};
use nexhina_simulator::Simulator;

use crate::{hits, quick_retry, simulator, KEY};

fn open(dir: &std::path::Path, base_url: String) -> Arc<Studio> {
    let options = StudioOptions {
        data_dir: dir.to_path_buf(),
        demo: Some(DemoPlatform { base_url, api_key: KEY.into() }),
        retry: Some(quick_retry()),
        ..StudioOptions::default()
    };
    Arc::new(Studio::open(options, KeyStore::new("nexhina-studio-it-search", None)).unwrap())
}

/// A finished generation, stored as an image job leaves it.
fn stored(studio: &Studio, kind: GenerationKind, prompt: &str, result_text: Option<&str>) -> i64 {
    let library = studio.library();
    let id = library
        .insert_generation(&NewGeneration {
            profile_id: None,
            kind,
            model: "gpt-image-1",
            prompt,
            params: &serde_json::json!({}),
            parent_generation_id: None,
            inputs: &[],
        })
        .unwrap();
    library.complete_generation(id, &[], None, result_text).unwrap();
    id
}

fn quiet() -> IndexSink {
    Arc::new(|_| {})
}

fn query(text: &str, mode: SearchMode) -> SearchQuery {
    SearchQuery { query: text.into(), mode, kinds: vec![], limit: None }
}

fn first_id(r: &SearchResults) -> Option<i64> {
    r.results.first().and_then(|r| r.item.as_ref().map(|i| i.id).or(r.message_id))
}

async fn library_with_images(sim: &Simulator, dir: &std::path::Path) -> (Arc<Studio>, i64, i64) {
    let studio = open(dir, sim.base_url());
    stored(&studio, GenerationKind::Image, "a kitten asleep in a pine forest", None);
    let harbour = stored(&studio, GenerationKind::Image, "golden hour over a sailing harbour", None);
    stored(&studio, GenerationKind::Image, "neon city street at midnight in the rain", None);
    let lake = stored(&studio, GenerationKind::Image, "a boat on a quiet lake", None);
    stored(&studio, GenerationKind::Video, "an astronaut floating past a nebula", None);
    (studio, harbour, lake)
}

#[tokio::test]
async fn a_meaning_query_puts_the_right_item_first_where_words_find_nothing() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let (studio, harbour, _) = library_with_images(&sim, dir.path()).await;
    let (sink, _) = turn_recorder();
    let (_, task) = studio
        .send_message(
            SendRequest { conversation_id: None, text: "any tips for baking sourdough bread at home?".into(), attachments: vec![], model: Some("gpt-4o-mini".into()) },
            sink,
        )
        .unwrap();
    assert_eq!(task.await.status, MessageStatus::Complete);

    let status = studio.build_index(&quiet()).await.unwrap();
    assert_eq!(status.pending, 0);
    assert_eq!(status.indexed, 7, "five prompts, the question and the reply");
    assert_eq!(status.dims, Some(1536));

    let by_meaning = studio.search(&query("the sunset one with the boat", SearchMode::Meaning)).await.unwrap();
    assert_eq!(first_id(&by_meaning), Some(harbour), "{by_meaning:#?}");
    assert!(by_meaning.meaning_unavailable.is_none());
    let first = &by_meaning.results[0];
    assert_eq!(first.kind, SearchKind::Image);
    assert!(first.by_meaning && !first.by_words);

    let by_words = studio.search(&query("the sunset one with the boat", SearchMode::Words)).await.unwrap();
    assert!(by_words.results.is_empty(), "no item has all those words");

    // A vague memory of a conversation finds it, and the result points at the message.
    let recipe = studio.search(&query("that recipe for a loaf in the kitchen", SearchMode::Both)).await.unwrap();
    let hit = &recipe.results[0];
    assert_eq!(hit.kind, SearchKind::Message, "{recipe:#?}");
    assert!(hit.conversation_id.is_some() && hit.message_id.is_some());

    // Kinds filter: videos only.
    let videos = studio
        .search(&SearchQuery { kinds: vec![SearchKind::Video], ..query("space travel", SearchMode::Both) })
        .await
        .unwrap();
    assert!(!videos.results.is_empty() && videos.results.iter().all(|r| r.kind == SearchKind::Video));
}

#[tokio::test]
async fn a_rerank_model_reorders_the_results() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let (studio, harbour, lake) = library_with_images(&sim, dir.path()).await;
    studio.build_index(&quiet()).await.unwrap();
    let q = query("the sunset one with the boat", SearchMode::Meaning);
    let plain = studio.search(&q).await.unwrap();
    assert_eq!(first_id(&plain), Some(harbour));
    assert!(!plain.reranked);
    assert_eq!(hits(&sim, "/v1/rerank"), 0);

    let settings = studio.search_settings().unwrap();
    studio.save_search_settings(SearchSettings { rerank_model: Some("jina-reranker-v2".into()), ..settings }).unwrap();
    let reranked = studio.search(&q).await.unwrap();
    assert!(reranked.reranked, "{:?}", reranked.rerank_error);
    assert_eq!(hits(&sim, "/v1/rerank"), 1);
    // The simulator's reranker scores shared words: "boat" is only in the lake's prompt.
    assert_eq!(first_id(&reranked), Some(lake), "{reranked:#?}");
    assert_eq!(reranked.results.len(), plain.results.len());
}

#[tokio::test]
async fn the_index_resumes_after_a_restart_and_keeps_up_with_new_items() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), sim.base_url());
    for i in 0..32 {
        stored(&studio, GenerationKind::Image, &format!("study number {i} of a lighthouse"), None);
    }
    studio.build_index(&quiet()).await.unwrap();
    for i in 32..40 {
        stored(&studio, GenerationKind::Image, &format!("study number {i} of a lighthouse"), None);
    }
    // The next build fails past every retry; what was stored stays stored.
    crate::fault(&sim, "/v1/embeddings", "500", 10);
    let progress: Arc<Mutex<Vec<IndexStatus>>> = Arc::default();
    let seen = progress.clone();
    let sink: IndexSink = Arc::new(move |s| seen.lock().unwrap().push(s.clone()));
    assert!(studio.build_index(&sink).await.is_err());
    let status = studio.index_status().unwrap();
    assert_eq!((status.indexed, status.pending), (32, 8));
    assert!(status.error.is_some());
    assert!(progress.lock().unwrap().last().is_some_and(|s| !s.building && s.error.is_some()), "the end is reported");
    drop(studio);

    let sim_requests_before = hits(&sim, "/v1/embeddings");
    sim.clear();
    let reopened = open(dir.path(), sim.base_url());
    let status = reopened.index_status().unwrap();
    assert_eq!((status.indexed, status.pending), (32, 8), "the stored vectors outlive the restart");
    assert!(status.error.is_none());
    let status = reopened.build_index(&quiet()).await.unwrap();
    assert_eq!((status.indexed, status.pending), (40, 0));
    let inputs: usize = sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1/embeddings"))
        .map(|r| r.json().unwrap()["input"].as_array().unwrap().len())
        .sum();
    assert_eq!(inputs, 8, "only what was missing is embedded again (earlier: {sim_requests_before} requests)");

    // A new transcript is indexed too, by what was said.
    let transcript = stored(
        &reopened,
        GenerationKind::Transcription,
        "memo.m4a",
        Some(r#"{"generation_id":0,"text":"remember to book the ferry to the island","language":"en","duration":3.0,"segments":[],"raw":null}"#),
    );
    assert_eq!(reopened.index_status().unwrap().pending, 1);
    reopened.build_index(&quiet()).await.unwrap();
    let found = reopened.search(&query("boat trip", SearchMode::Meaning)).await.unwrap();
    assert_eq!(first_id(&found), Some(transcript), "{found:#?}");
    assert_eq!(found.results[0].kind, SearchKind::Transcript);
    assert!(found.results[0].snippet.contains("ferry"));

    // Switching models drops the old vectors and rebuilds with the new one.
    let settings = reopened.search_settings().unwrap();
    reopened
        .save_search_settings(SearchSettings { embedding_model: Some("text-embedding-3-large".into()), ..settings })
        .unwrap();
    let status = reopened.index_status().unwrap();
    assert_eq!((status.indexed, status.pending), (0, 41));
    let status = reopened.build_index(&quiet()).await.unwrap();
    assert_eq!((status.indexed, status.dims), (41, Some(3072)));
}

#[tokio::test]
async fn offline_words_still_work_and_meaning_says_why_it_cannot() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let (studio, harbour, _) = library_with_images(&sim, dir.path()).await;
    studio.build_index(&quiet()).await.unwrap();
    drop(studio);
    sim.shutdown().await;

    // Nothing listens on port 1.
    let offline = open(dir.path(), "http://127.0.0.1:1".into());
    let found = offline.search(&query("harbour", SearchMode::Both)).await.unwrap();
    assert_eq!(first_id(&found), Some(harbour));
    assert!(found.results[0].by_words);
    let why = found.meaning_unavailable.expect("the answer says meaning was not used");
    assert!(why.contains("cannot be reached"), "{why}");

    let meaning_only = offline.search(&query("the sunset one with the boat", SearchMode::Meaning)).await.unwrap();
    assert!(meaning_only.results.is_empty());
    assert!(meaning_only.meaning_unavailable.is_some());
}

#[tokio::test]
async fn a_flagged_prompt_is_stopped_and_can_be_sent_anyway() {
    let sim = simulator().await;
    let dir = tempfile::tempdir().unwrap();
    let studio = open(dir.path(), sim.base_url());
    let prompt = "a knight about to stab the dragon, blood on the snow";
    let image = |prompt: &str| ImageRequest {
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
    let generate = |prompt: &str| {
        let (_, task) = studio.generate_images(image(prompt), Arc::new(|_| {})).unwrap();
        task
    };

    // Off by default: nothing is checked.
    assert!(studio.check_prompt(prompt).await.unwrap().is_none());
    generate(prompt).await.unwrap();
    assert_eq!(hits(&sim, "/v1/moderations"), 0);

    let settings = studio.search_settings().unwrap();
    studio.save_search_settings(SearchSettings { moderation: true, ..settings }).unwrap();
    let verdict = studio.check_prompt(prompt).await.unwrap().expect("checked");
    assert!(verdict.flagged);
    assert_eq!(verdict.categories.len(), 13, "every category with its score");
    assert!(verdict.categories[0].flagged && verdict.categories[0].score > 0.5);
    let flagged: Vec<&str> = verdict.categories.iter().filter(|c| c.flagged).map(|c| c.name.as_str()).collect();
    assert!(flagged.contains(&"violence") && flagged.contains(&"violence/graphic"), "{flagged:?}");

    sim.clear();
    let err = generate(prompt).await.unwrap_err();
    assert!(matches!(err, Error::Flagged(_)), "{err:?}");
    assert_eq!(err.code(), "flagged");
    assert!(err.to_string().contains("violence"), "{err}");
    assert_eq!(hits(&sim, "/v1/images"), 0, "the flagged prompt never left");

    studio.send_anyway(prompt);
    generate(prompt).await.expect("sent anyway");
    assert_eq!(hits(&sim, "/v1/images"), 1);
    // Once only: the next send is checked again.
    assert!(matches!(generate(prompt).await, Err(Error::Flagged(_))));

    // A clean prompt passes after one check, and is not checked twice.
    sim.clear();
    let clean = "a lighthouse at dawn";
    assert!(!studio.check_prompt(clean).await.unwrap().unwrap().flagged);
    generate(clean).await.unwrap();
    assert_eq!(hits(&sim, "/v1/moderations"), 1);

    // Chat turns are checked too; the reply ends failed with the code the UI branches on.
    let (sink, events) = turn_recorder();
    let (_, task) = studio
        .send_message(
            SendRequest { conversation_id: None, text: "I will kill you".into(), attachments: vec![], model: Some("gpt-4o-mini".into()) },
            sink,
        )
        .unwrap();
    let outcome = task.await;
    assert_eq!(outcome.status, MessageStatus::Failed);
    assert_eq!(outcome.error.map(|e| e.code()), Some("flagged"));
    assert!(events.lock().unwrap().iter().any(|e| format!("{e:?}").contains("flagged")));
    assert_eq!(hits(&sim, "/v1/chat"), 0);
}

fn turn_recorder() -> (TurnSink, Arc<Mutex<Vec<nexhina_core::types::TurnEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let inner = events.clone();
    (Arc::new(move |e| inner.lock().unwrap().push(e)), events)
}
