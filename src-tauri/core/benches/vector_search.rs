//! Search by meaning over 100,000 stored 1,536-dimension vectors (what text-embedding-3-small
//! gives; 614 MB of f32): exact cosine top-k as the app runs it (rows held at half
//! precision in memory, split over the cores, the few that could be in the top k scored
//! again against their f32 originals read from SQLite) beside a straightforward one-sum
//! scalar loop over every f32 row in the same run, plus loading the index from SQLite.
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
}
