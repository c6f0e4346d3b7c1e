//! Search by meaning over 100,000 stored 1,536-dimension vectors (what text-embedding-3-small
//! gives; 614 MB of f32): exact cosine top-k as the app runs it (rows held at half
//! precision in memory, split over the cores, the few that could be in the top k scored
//! again against their f32 originals read from SQLite) beside a straightforward one-sum
//! scalar loop over every f32 row in the same run, plus loading the index from SQLite;
//! then building the index of 3,000 messages against the simulator beside the same
//! embedding requests sent bare, to show how much of a build is the client's own work.
//!
//! Prints figures only; nothing here asserts on time.
//!
//!     cargo bench -p nexhina-core --bench vector_search

mod common;

use std::cell::Cell;
use std::time::{Duration, Instant};

use common::{machine, median_ms, pct_ms, Rng};
use nexhina_core::library::Library;
use nexhina_core::search::vectors::{to_blob, top_k_scalar};
use nexhina_core::search::{Source, VectorIndex, VectorKey};

const ROWS: usize = 100_000;
const DIMS: usize = 1536;
/// What a meaning query asks for in the app (three rows per candidate item).
const K: usize = 150;
const QUERIES: usize = 30;
const SEED: u64 = 0x5645_4354_4f52_5321;
const MODEL: &str = "text-embedding-3-small";

fn vector(rng: &mut Rng) -> Vec<f32> {
    (0..DIMS).map(|_| (rng.unit() * 2.0 - 1.0) as f32).collect()
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn main() {
    println!("vector_search: {ROWS} vectors x {DIMS} dims, top {K}, {QUERIES} queries; {}", machine());
    let mut rng = Rng::new(SEED);
    let flat: Vec<f32> = (0..ROWS).flat_map(|_| vector(&mut rng)).collect();

    let dir = tempfile::tempdir().unwrap();
    let library = Library::open(dir.path()).unwrap();
    let (_, stored) = time(|| {
        let conn = rusqlite::Connection::open(library.path()).unwrap();
        conn.execute_batch("BEGIN").unwrap();
        let mut stmt = conn
            .prepare("INSERT INTO embeddings (source, item_id, chunk, model, dims, vector, created_at) VALUES ('message', ?1, 0, ?2, ?3, ?4, 0)")
            .unwrap();
        for (i, row) in flat.chunks_exact(DIMS).enumerate() {
            stmt.execute((i as i64, MODEL, DIMS as i64, to_blob(row))).unwrap();
        }
        drop(stmt);
        conn.execute_batch("COMMIT").unwrap();
    });
    println!("  stored in SQLite: {:.1} s", stored.as_secs_f64());

    // What the app does on the first meaning query after start-up.
    let (index, loaded) = time(|| {
        let mut index = VectorIndex::with_capacity(DIMS, ROWS);
        library.each_embedding(MODEL, 0, |_, key, v| {
            index.push(key, &v);
        })
        .unwrap();
        index
    });
    println!(
        "  index loaded from SQLite: {:.1} s; {} MB in memory (the f32 rows are {} MB)",
        loaded.as_secs_f64(),
        index.memory_bytes() / 1_000_000,
        ROWS * DIMS * 4 / 1_000_000
    );

    let fetched = Cell::new(0usize);
    let app_query = |q: &[f32]| {
        index.top_k(q, K, |rows| {
            fetched.set(fetched.get() + rows.len());
            let keys: Vec<VectorKey> = rows.iter().map(|r| index.keys()[*r]).collect();
            library.embedding_vectors(MODEL, &keys).unwrap()
        })
    };
    let queries: Vec<Vec<f32>> = (0..QUERIES).map(|_| vector(&mut rng)).collect();
    // One warm-up each, so both read buffers already touched the same way.
    let _ = app_query(&queries[0]);
    let _ = top_k_scalar(&flat, DIMS, &queries[0], K);
    fetched.set(0);
    let (mut fast, mut scalar) = (Vec::new(), Vec::new());
    let mut same = 0;
    for q in &queries {
        let (a, t) = time(|| app_query(q));
        fast.push(t);
        let (b, t) = time(|| top_k_scalar(&flat, DIMS, q, K));
        scalar.push(t);
        let key = |row: usize| index.keys()[row].item_id as usize;
        if a.iter().map(|r| key(r.0)).eq(b.iter().map(|r| r.0)) {
            same += 1;
        }
        assert_eq!(key(a[0].0), b[0].0, "both find the same best row");
        assert_eq!(index.keys()[a[0].0].source, Source::Message);
    }
    let (fm, sm) = (median_ms(&fast), median_ms(&scalar));
    println!("  query, as the app runs it: median {fm:.1} ms, p95 {:.1} ms", pct_ms(&fast, 95.0));
    println!("  query, scalar f32 loop:    median {sm:.1} ms, p95 {:.1} ms  ({:.1}x slower)", pct_ms(&scalar, 95.0), sm / fm);
    println!(
        "  rows scored again in f32 per query: {:.0} (of {ROWS}); same {K} rows in the same order as the scalar loop: {same}/{QUERIES} queries",
        fetched.get() as f64 / QUERIES as f64
    );

    tokio::runtime::Runtime::new().unwrap().block_on(index_build());
}

const MESSAGES: usize = 3_000;

/// The app's index build over `MESSAGES` messages against the simulator (answering at
/// once, so every millisecond not spent in bare HTTP is the client's), beside the same
/// number of embedding requests with the same inputs sent with a plain HTTP client.
async fn index_build() {
    use std::sync::Arc;

    use nexhina_core::secrets::KeyStore;
    use nexhina_core::types::SearchSettings;
    use nexhina_core::{DemoPlatform, IndexSink, Studio, StudioOptions};
    use nexhina_simulator::{SimConfig, Simulator};

    let sim = Simulator::start(SimConfig { chunk_delay: Duration::ZERO, ..SimConfig::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(SEED ^ 2);
    const WORDS: [&str; 16] = [
        "harbour", "lighthouse", "recipe", "ramen", "contract", "invoice", "mountain", "river", "sunset", "poem",
        "kernel", "lifetime", "garden", "violin", "station", "winter",
    ];
    let texts: Vec<String> = (0..MESSAGES)
        .map(|_| (0..40).map(|_| WORDS[(rng.next_u64() % WORDS.len() as u64) as usize]).collect::<Vec<_>>().join(" "))
        .collect();
    {
        let library = Library::open(dir.path()).unwrap();
        let conn = rusqlite::Connection::open(library.path()).unwrap();
        conn.execute_batch("BEGIN; INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'bench', 0, 0);").unwrap();
        let mut stmt = conn
            .prepare("INSERT INTO messages (conversation_id, role, content, status, created_at, updated_at) VALUES (1, 'user', ?1, 'complete', ?2, ?2)")
            .unwrap();
        for (i, text) in texts.iter().enumerate() {
            stmt.execute((text, i as i64)).unwrap();
        }
        drop(stmt);
        conn.execute_batch("COMMIT").unwrap();
    }
    let studio = Studio::open(
        StudioOptions {
            data_dir: dir.path().to_path_buf(),
            demo: Some(DemoPlatform { base_url: sim.base_url(), api_key: "sk-demo".into() }),
            ..StudioOptions::default()
        },
        KeyStore::new("nexhina-studio-bench", None),
    )
    .unwrap();
    let mut settings = studio.search_settings().unwrap();
    settings.embedding_model = Some(MODEL.into());
    studio.save_search_settings(SearchSettings { ..settings }).unwrap();
    let quiet: IndexSink = Arc::new(|_| {});
    let before = sim.requests().len();
    let start = Instant::now();
    let status = studio.build_index(&quiet).await.unwrap();
    let built = start.elapsed();
    let requests = sim.requests().len() - before;
    assert_eq!(status.indexed as usize, MESSAGES);

    // The same requests, bare: same batch sizes, same inputs, body read to the end.
    let http = reqwest::Client::new();
    let url = format!("{}/v1/embeddings", sim.base_url());
    let per = MESSAGES.div_ceil(requests);
    let start = Instant::now();
    for batch in texts.chunks(per) {
        let body = serde_json::json!({ "model": MODEL, "input": batch, "encoding_format": "base64" });
        let answer = http.post(&url).bearer_auth("sk-demo").json(&body).send().await.unwrap();
        assert!(answer.status().is_success());
        answer.bytes().await.unwrap();
    }
    let bare = start.elapsed();
    println!(
        "  index build, {MESSAGES} messages in {requests} requests: {:.2} s ({:.0} messages/s); the same requests bare: {:.2} s; the client's own work {:.1} ms per request ({:.0}% of a build against a platform that answers at once)",
        built.as_secs_f64(),
        MESSAGES as f64 / built.as_secs_f64(),
        bare.as_secs_f64(),
        (built - bare.min(built)).as_secs_f64() * 1000.0 / requests as f64,
        (built - bare.min(built)).as_secs_f64() / built.as_secs_f64() * 100.0
    );
    sim.shutdown().await;
}
