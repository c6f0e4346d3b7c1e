//! Search across everything by words and by meaning, the meaning index that feeds it
//! (built in the background, resumable, kept current as items arrive), reranking, and
//! the optional moderation pre-check before prompts leave.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::Studio;
use crate::error::{Error, Result};
use crate::library::messages::fts_query;
use crate::library::search_index::PendingText;
use crate::platform::{embeddings, moderation, rerank};
use crate::search::{chunks, fuse, Source, VectorIndex, VectorKey};
use crate::types::{
    GenerationKind, IndexStatus, ModerationVerdict, SearchKind, SearchMode, SearchQuery, SearchResult, SearchResults,
    SearchSettings,
};

const SETTINGS_KEY: &str = "search";
/// Pieces of text per embeddings request (their chunks go in the same request).
const BATCH_PIECES: usize = 32;
/// Candidates each list gives the merge, and how many results an answer has by default.
const CANDIDATES: usize = 60;
const DEFAULT_LIMIT: u32 = 30;
/// Results sent to the rerank model (the rest keep their merged order below them).
const RERANK_TOP: usize = 40;
/// Texts cleared to be sent once without another check (a passed check, or "send anyway").
const CLEARED_KEEP: usize = 32;

/// Where index progress goes: an event in the app, stderr in the CLI.
pub type IndexSink = Arc<dyn Fn(&IndexStatus) + Send + Sync>;

/// The search side of the studio: the memory copy of the vectors and the indexer's state.
#[derive(Default)]
pub(crate) struct SearchState {
    wake: tokio::sync::Notify,
    build_lock: tokio::sync::Mutex<()>,
    building: AtomicBool,
    last_error: Mutex<Option<(String, String)>>,
    memory: RwLock<Option<Memory>>,
    cleared: Mutex<VecDeque<u64>>,
}

/// One model's vectors, loaded once and then only topped up with new rows.
struct Memory {
    model: String,
    rows: u64,
    last_id: i64,
    index: VectorIndex<VectorKey>,
}

/// A result before it is shown: a message or a generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Hit {
    Message(i64),
    Generation(i64),
}

impl Studio {
    pub fn search_settings(&self) -> Result<SearchSettings> {
        Ok(self.library.setting(SETTINGS_KEY)?.unwrap_or_default())
    }

    /// Saves the settings; a new embedding model drops the old vectors and rebuilds.
    pub fn save_search_settings(&self, settings: SearchSettings) -> Result<SearchSettings> {
        let clean = |m: Option<String>| m.map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
        let settings = SearchSettings {
            embedding_model: clean(settings.embedding_model),
            rerank_model: clean(settings.rerank_model),
            moderation: settings.moderation,
            moderation_model: clean(settings.moderation_model),
        };
        let before = self.search_settings()?;
        self.library.set_setting(SETTINGS_KEY, &settings)?;
        if before.embedding_model != settings.embedding_model {
            self.library.drop_embeddings_except(settings.embedding_model.as_deref())?;
            *self.search.memory.write().unwrap_or_else(|p| p.into_inner()) = None;
            *self.search.last_error.lock().unwrap_or_else(|p| p.into_inner()) = None;
            self.index_soon();
        }
        Ok(settings)
    }

    /// Tells the background indexer that new text may be waiting.
    pub fn index_soon(&self) {
        self.search.wake.notify_one();
    }

    pub fn index_status(&self) -> Result<IndexStatus> {
        let model = self.search_settings()?.embedding_model;
        let (indexed, dims) = match &model {
            Some(m) => self.library.indexed_count(m)?,
            None => (0, None),
        };
        let error = self.search.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone();
        Ok(IndexStatus {
            model,
            dims,
            indexed,
            pending: self.library.pending_count()?,
            building: self.search.building.load(Ordering::Relaxed),
            error_code: error.as_ref().map(|e| e.0.clone()),
            error: error.map(|e| e.1),
        })
    }

    /// Drops every vector and indexes everything again (in the background in the app).
    pub fn rebuild_index(&self) -> Result<IndexStatus> {
        self.library.drop_embeddings_except(None)?;
        *self.search.memory.write().unwrap_or_else(|p| p.into_inner()) = None;
        self.index_soon();
        self.index_status()
    }

    /// Embeds everything that has no vector yet, batch by batch; each batch is stored as
    /// it arrives, so a build stopped at any point resumes where it was.
    pub async fn build_index(&self, progress: &IndexSink) -> Result<IndexStatus> {
        let _one_at_a_time = self.search.build_lock.lock().await;
        self.search.building.store(true, Ordering::Relaxed);
        let result = self.build_pending(progress).await;
        self.search.building.store(false, Ordering::Relaxed);
        let mut last_error = self.search.last_error.lock().unwrap_or_else(|p| p.into_inner());
        *last_error = result.as_ref().err().map(|e| (e.code().to_string(), e.to_string()));
        drop(last_error);
        let status = self.index_status()?;
        progress(&status);
        result.map(|_| status)
    }

    async fn build_pending(&self, progress: &IndexSink) -> Result<()> {
        let Some(model) = self.search_settings()?.embedding_model else {
            return Err(Error::InvalidInput("Choose an embedding model in Settings to search by meaning.".into()));
        };
        self.library.drop_embeddings_except(Some(&model))?;
        let mut pending = self.library.pending_count()?;
        if pending == 0 {
            return Ok(());
        }
        let (client, _) = self.connect()?;
        let (mut indexed, mut dims) = self.library.indexed_count(&model)?;
        loop {
            let batch = self.library.pending_texts(BATCH_PIECES)?;
            if batch.is_empty() {
                return Ok(());
            }
            let pieces: Vec<(PendingText, Vec<String>)> = batch
                .into_iter()
                .map(|p| {
                    let mut parts = chunks(&p.text);
                    if parts.is_empty() {
                        // Blank text still gets a vector, or it would wait forever.
                        parts.push("(empty)".into());
                    }
                    (p, parts)
                })
                .collect();
            let inputs: Vec<String> = pieces.iter().flat_map(|(_, parts)| parts.iter().cloned()).collect();
            let vectors = embeddings::embed(&client, &model, &inputs).await?;
            let mut next = vectors.into_iter();
            let stored: Vec<(Source, i64, Vec<Vec<f32>>)> = pieces
                .iter()
                .map(|(piece, parts)| (piece.source, piece.item_id, next.by_ref().take(parts.len()).collect()))
                .collect();
            dims = stored.last().and_then(|(_, _, v)| v.first()).map(|v| v.len() as u32).or(dims);
            self.library.store_embeddings(&model, &stored)?;
            indexed += pieces.len() as u64;
            pending = pending.saturating_sub(pieces.len() as u64);
            progress(&IndexStatus { model: Some(model.clone()), dims, indexed, pending, building: true, ..Default::default() });
        }
    }

    /// The app's background indexer: builds at start, then whenever something new is
    /// stored or the model changes; offline, it tries again every minute.
    pub async fn run_indexer(self: Arc<Self>, progress: IndexSink) {
        loop {
            let wait = match self.build_index(&progress).await {
                Ok(_) => None,
                Err(Error::Network(_) | Error::Timeout | Error::RateLimited { .. } | Error::GatewayDown { .. } | Error::ServerError { .. }) => {
                    Some(Duration::from_secs(60))
                }
                Err(_) => Some(Duration::from_secs(600)),
            };
            match wait {
                None => self.search.wake.notified().await,
                Some(wait) => {
                    let _ = tokio::time::timeout(wait, self.search.wake.notified()).await;
                }
            }
        }
    }

    /// One search box: words (full text), meaning (embeddings), or both merged by rank;
    /// then reranked when a rerank model is set. Offline, word results still come, with
    /// the reason meaning search could not run.
    pub async fn search(&self, query: &SearchQuery) -> Result<SearchResults> {
        let text = query.query.trim();
        let mut answer = SearchResults { results: Vec::new(), meaning_unavailable: None, reranked: false, rerank_error: None };
        if text.is_empty() {
            return Ok(answer);
        }
        let settings = self.search_settings()?;
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, 200) as usize;

        let mut snippets: HashMap<Hit, String> = HashMap::new();
        let mut by_words: Vec<Hit> = Vec::new();
        if query.mode != SearchMode::Meaning {
            by_words = self.word_hits(text, &mut snippets)?;
        }
        let mut by_meaning: Vec<Hit> = Vec::new();
        let mut best_chunk: HashMap<Hit, (Source, u32)> = HashMap::new();
        if query.mode != SearchMode::Words {
            match self.meaning_hits(text, &settings, &mut best_chunk).await {
                Ok(hits) => by_meaning = hits,
                Err(why) => answer.meaning_unavailable = Some(why),
            }
        }
        let words_set: HashSet<Hit> = by_words.iter().copied().collect();
        let meaning_set: HashSet<Hit> = by_meaning.iter().copied().collect();
        let fused = fuse(&[&by_words, &by_meaning]);

        let mut results = self.hydrate(&fused, &snippets, &best_chunk, &query.kinds)?;
        for r in &mut results {
            let hit = r.message_id.map(Hit::Message).or(r.item.as_ref().map(|i| Hit::Generation(i.id)));
            if let Some(hit) = hit {
                r.by_words = words_set.contains(&hit);
                r.by_meaning = meaning_set.contains(&hit);
            }
        }
        if let Some(model) = settings.rerank_model.as_deref().filter(|_| results.len() > 1) {
            match self.rerank_results(model, text, &mut results).await {
                Ok(()) => answer.reranked = true,
                Err(e) => answer.rerank_error = Some(e.to_string()),
            }
        }
        results.truncate(limit);
        answer.results = results;
        Ok(answer)
    }

    fn word_hits(&self, text: &str, snippets: &mut HashMap<Hit, String>) -> Result<Vec<Hit>> {
        let Some(fts) = fts_query(text) else { return Ok(Vec::new()) };
        let messages = self.library.search_messages(text, CANDIDATES as u32)?;
        let generations = self.library.search_generations(&fts, CANDIDATES as u32)?;
        // Both lists are newest first; merged by date they stay so.
        let mut dated: Vec<(i64, Hit)> = messages
            .into_iter()
            .map(|m| {
                snippets.insert(Hit::Message(m.message_id), m.snippet);
                (m.created_at, Hit::Message(m.message_id))
            })
            .collect();
        let ids: Vec<i64> = generations.iter().map(|g| g.0).collect();
        let created: HashMap<i64, i64> = ids
            .iter()
            .filter_map(|id| self.library.gallery_item(*id).ok().map(|i| (*id, i.created_at)))
            .collect();
        for (id, snippet) in generations {
            snippets.insert(Hit::Generation(id), snippet);
            dated.push((created.get(&id).copied().unwrap_or(0), Hit::Generation(id)));
        }
        dated.sort_by(|a, b| b.0.cmp(&a.0));
        Ok(dated.into_iter().map(|(_, h)| h).take(CANDIDATES).collect())
    }

    /// Items nearest the query's meaning, best first; `Err` says why there are none.
    async fn meaning_hits(
        &self,
        text: &str,
        settings: &SearchSettings,
        best_chunk: &mut HashMap<Hit, (Source, u32)>,
    ) -> std::result::Result<Vec<Hit>, String> {
        let Some(model) = settings.embedding_model.as_deref() else {
            return Err("Search by meaning is off: choose an embedding model in Settings.".into());
        };
        let indexed = self.sync_memory(model).map_err(|e| e.to_string())?;
        if indexed == 0 {
            let pending = self.library.pending_count().unwrap_or(0);
            return Err(if pending > 0 {
                format!("The library is not indexed for meaning yet ({pending} items waiting); showing matches by words.")
            } else {
                "Nothing is indexed for meaning yet.".into()
            });
        }
        let query_vector = async {
            let (client, _) = self.connect()?;
            let mut v = embeddings::embed(&client, model, &[text.to_string()]).await?;
            v.pop().ok_or_else(|| Error::InvalidResponse("no embedding for the query".into()))
        }
        .await
        .map_err(|e| match e {
            Error::Network(_) | Error::Timeout => {
                format!("Search by meaning needs the platform to read the query, and it cannot be reached ({e}); showing matches by words.")
            }
            other => format!("Search by meaning is unavailable: {other}"),
        })?;

        let memory = self.search.memory.read().unwrap_or_else(|p| p.into_inner());
        let Some(memory) = memory.as_ref().filter(|m| m.model == model) else {
            return Err("The meaning index changed; try again.".into());
        };
        if query_vector.len() != memory.index.dims() {
            return Err("The index was built with other dimensions; rebuild it (Library → Rebuild index).".into());
        }
        let rows = memory.index.top_k(&query_vector, CANDIDATES * 3, |rows| {
            let keys: Vec<VectorKey> = rows.iter().map(|r| memory.index.keys()[*r]).collect();
            // Unreadable now: the rows keep their half-precision scores.
            self.library.embedding_vectors(model, &keys).unwrap_or_default()
        });
        let mut hits = Vec::new();
        for (row, _) in rows {
            let key = memory.index.keys()[row];
            let hit = match key.source {
                Source::Message => Hit::Message(key.item_id),
                _ => Hit::Generation(key.item_id),
            };
            // Rows come best first, so an item's first row is its best chunk.
            if !best_chunk.contains_key(&hit) {
                best_chunk.insert(hit, (key.source, key.chunk));
                hits.push(hit);
            }
            if hits.len() >= CANDIDATES {
                break;
            }
        }
        Ok(hits)
    }

    /// Brings the memory copy of `model`'s vectors up to date with the library: loaded
    /// whole the first time (or after rows were removed), then only new rows.
    fn sync_memory(&self, model: &str) -> Result<u64> {
        let (rows, last_id) = self.library.embeddings_mark(model)?;
        {
            let memory = self.search.memory.read().unwrap_or_else(|p| p.into_inner());
            if let Some(m) = memory.as_ref().filter(|m| m.model == model && m.rows == rows && m.last_id == last_id) {
                return Ok(m.index.len() as u64);
            }
        }
        let mut memory = self.search.memory.write().unwrap_or_else(|p| p.into_inner());
        let reusable = memory.as_ref().is_some_and(|m| m.model == model && m.rows <= rows && m.last_id <= last_id);
        if !reusable {
            *memory = None;
        }
        let (mut after, mut index) = match memory.take() {
            Some(m) => (m.last_id, m.index),
            None => (0, VectorIndex::with_capacity(0, 0)),
        };
        let mut count = index.len() as u64;
        self.library.each_embedding(model, after, |id, key, vector| {
            if index.is_empty() && index.dims() != vector.len() {
                index = VectorIndex::with_capacity(vector.len(), rows as usize);
            }
            if index.push(key, &vector) {
                count += 1;
            }
            after = id;
        })?;
        let len = index.len() as u64;
        *memory = Some(Memory { model: model.to_string(), rows: count.max(rows), last_id: after.max(last_id), index });
        Ok(len)
    }

    fn hydrate(
        &self,
        fused: &[(Hit, f32)],
        snippets: &HashMap<Hit, String>,
        best_chunk: &HashMap<Hit, (Source, u32)>,
        kinds: &[SearchKind],
    ) -> Result<Vec<SearchResult>> {
        let message_ids: Vec<i64> = fused.iter().filter_map(|(h, _)| if let Hit::Message(id) = h { Some(*id) } else { None }).collect();
        let generation_ids: Vec<i64> =
            fused.iter().filter_map(|(h, _)| if let Hit::Generation(id) = h { Some(*id) } else { None }).collect();
        let messages: HashMap<i64, _> = self.library.message_rows(&message_ids)?.into_iter().map(|m| (m.id, m)).collect();
        let texts: HashMap<i64, _> = self.library.generation_texts(&generation_ids)?.into_iter().map(|g| (g.id, g)).collect();
        let wanted = |k: SearchKind| kinds.is_empty() || kinds.contains(&k);
        let mut out = Vec::new();
        for (hit, score) in fused {
            let result = match hit {
                Hit::Message(id) => {
                    let Some(m) = messages.get(id) else { continue };
                    if !wanted(SearchKind::Message) {
                        continue;
                    }
                    let snippet = snippets.get(hit).cloned().unwrap_or_else(|| {
                        let chunk = best_chunk.get(hit).map_or(0, |c| c.1 as usize);
                        excerpt(chunks(&m.content).get(chunk).map_or(m.content.as_str(), String::as_str), 240)
                    });
                    SearchResult {
                        kind: SearchKind::Message,
                        message_id: Some(m.id),
                        conversation_id: Some(m.conversation_id),
                        role: Some(m.role),
                        title: m.conversation_title.clone(),
                        snippet,
                        item: None,
                        created_at: m.created_at,
                        score: *score,
                        by_words: false,
                        by_meaning: false,
                    }
                }
                Hit::Generation(id) => {
                    let Some(g) = texts.get(id) else { continue };
                    let kind = match g.kind {
                        GenerationKind::Image => SearchKind::Image,
                        GenerationKind::Video => SearchKind::Video,
                        GenerationKind::Speech => SearchKind::Speech,
                        GenerationKind::Transcription | GenerationKind::Translation => SearchKind::Transcript,
                    };
                    if !wanted(kind) {
                        continue;
                    }
                    let Ok(item) = self.library.gallery_item(*id) else { continue };
                    let shown = match best_chunk.get(hit).map(|c| c.0) {
                        Some(Source::RevisedPrompt) => g.revised_prompt.clone().unwrap_or_else(|| g.prompt.clone()),
                        Some(Source::Transcript) => g.transcript.clone().unwrap_or_default(),
                        _ if kind == SearchKind::Transcript => g.transcript.clone().unwrap_or_else(|| g.prompt.clone()),
                        _ => g.prompt.clone(),
                    };
                    SearchResult {
                        kind,
                        message_id: None,
                        conversation_id: None,
                        role: None,
                        title: excerpt(&g.prompt, 80),
                        snippet: snippets.get(hit).cloned().unwrap_or_else(|| excerpt(&shown, 240)),
                        created_at: item.created_at,
                        item: Some(item),
                        score: *score,
                        by_words: false,
                        by_meaning: false,
                    }
                }
            };
            out.push(result);
        }
        Ok(out)
    }

    /// Reorders the top results by the rerank model's relevance; the rest stay below.
    async fn rerank_results(&self, model: &str, query: &str, results: &mut Vec<SearchResult>) -> Result<()> {
        let top = results.len().min(RERANK_TOP);
        let documents: Vec<String> = results[..top].iter().map(|r| r.snippet.replace(['\u{2}', '\u{3}'], "")).collect();
        let (client, _) = self.connect()?;
        let ranked = rerank::rerank(&client, model, query, &documents).await?;
        let mut head: Vec<Option<SearchResult>> = results.drain(..top).map(Some).collect();
        let mut reordered = Vec::with_capacity(results.len() + top);
        for (index, relevance) in ranked {
            if let Some(mut r) = head.get_mut(index).and_then(Option::take) {
                r.score = relevance as f32;
                reordered.push(r);
            }
        }
        // Documents the model left out keep their order after the ranked ones.
        reordered.extend(head.into_iter().flatten());
        reordered.append(results);
        *results = reordered;
        Ok(())
    }

    // ---- Moderation ------------------------------------------------------------------------

    /// Checks a prompt with the platform's moderation endpoint. `None` when the check is
    /// off. A prompt that passes is cleared for its next send, so it is not checked twice.
    pub async fn check_prompt(&self, text: &str) -> Result<Option<ModerationVerdict>> {
        let settings = self.search_settings()?;
        if !settings.moderation || text.trim().is_empty() {
            return Ok(None);
        }
        let (client, _) = self.connect()?;
        let verdict = moderation::moderate(&client, settings.moderation_model.as_deref(), text.trim()).await?;
        if !verdict.flagged {
            self.send_anyway(text);
        }
        Ok(Some(verdict))
    }

    /// The user chose to send a flagged prompt: its next send skips the check, once.
    pub fn send_anyway(&self, text: &str) {
        let mut cleared = self.search.cleared.lock().unwrap_or_else(|p| p.into_inner());
        cleared.push_back(prompt_key(text));
        while cleared.len() > CLEARED_KEEP {
            cleared.pop_front();
        }
    }

    /// Before a prompt leaves: with moderation on, a flagged prompt is stopped with the
    /// categories it was flagged for, unless the user cleared it for this send.
    pub(crate) async fn screen(&self, text: &str) -> Result<()> {
        let settings = self.search_settings()?;
        if !settings.moderation || text.trim().is_empty() {
            return Ok(());
        }
        {
            let mut cleared = self.search.cleared.lock().unwrap_or_else(|p| p.into_inner());
            let key = prompt_key(text);
            if let Some(at) = cleared.iter().position(|k| *k == key) {
                cleared.remove(at);
                return Ok(());
            }
        }
        let (client, _) = self.connect()?;
        let verdict = moderation::moderate(&client, settings.moderation_model.as_deref(), text.trim()).await?;
        if verdict.flagged {
            let named: Vec<String> =
                verdict.categories.iter().filter(|c| c.flagged).map(|c| format!("{} {:.2}", c.name, c.score)).collect();
            return Err(Error::Flagged(if named.is_empty() { "flagged".into() } else { named.join(", ") }));
        }
        Ok(())
    }
}

fn prompt_key(text: &str) -> u64 {
    let mut h = DefaultHasher::new();
    text.trim().hash(&mut h);
    h.finish()
}

/// The first `max` characters on one line, with an ellipsis when cut.
fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let mut cut: String = flat.chars().take(max).collect();
        cut.push('…');
        cut
    }
}
