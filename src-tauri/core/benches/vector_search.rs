//! Search by meaning over 100,000 stored 1,536-dimension vectors (what text-embedding-3-small
//! gives; 614 MB of f32): exact cosine top-k as the app runs it (normalized rows in one
//! contiguous buffer, sixteen running sums, split over the cores) beside a straightforward
//! one-sum scalar loop in the same run, plus loading the vectors from SQLite once.
//!
//! Prints figures only; nothing here asserts on time.
//!
//!     cargo bench -p nexhina-core --bench vector_search

mod common;

use std::time::{Duration, Instant};

use common::{machine, median_ms, pct_ms, Rng};
use nexhina_core::search::vectors::{dot, dot_scalar};
use nexhina_core::search::VectorIndex;

const ROWS: usize = 100_000;
const DIMS: usize = 1536;
const K: usize = 50;
const QUERIES: usize = 30;
const SEED: u64 = 0x5645_4354_4f52_5321;

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
    let (index, built) = time(|| {
        let mut index = VectorIndex::with_capacity(DIMS, ROWS);
        for row in 0..ROWS {
            index.push(row as u32, &vector(&mut rng));
        }
        index
    });
    println!("  built in memory: {:.1} s ({} MB of f32)", built.as_secs_f64(), ROWS * DIMS * 4 / 1_000_000);

    let queries: Vec<Vec<f32>> = (0..QUERIES).map(|_| vector(&mut rng)).collect();
    // One warm-up each, so both read a buffer already in the caches the same way.
    let _ = index.top_k(&queries[0], K);
    let _ = index.top_k_scalar(&queries[0], K);
    let mut fast = Vec::new();
    let mut scalar = Vec::new();
    for q in &queries {
        let (a, t) = time(|| index.top_k(q, K));
        fast.push(t);
        let (b, t) = time(|| index.top_k_scalar(q, K));
        scalar.push(t);
        assert_eq!(a.first().map(|r| r.0), b.first().map(|r| r.0), "both loops find the same best row");
    }
    let (fm, sm) = (median_ms(&fast), median_ms(&scalar));
    println!("  query, app's loop:      median {fm:.1} ms, p95 {:.1} ms", pct_ms(&fast, 95.0));
    println!("  query, scalar loop:     median {sm:.1} ms, p95 {:.1} ms  ({:.1}x slower)", pct_ms(&scalar, 95.0), sm / fm);

    // The kernels alone on one thread, over a slice that fits in cache, to separate
    // arithmetic from memory bandwidth.
    let rows: Vec<Vec<f32>> = (0..256).map(|_| vector(&mut rng)).collect();
    let reps = 400;
    let (s1, t_fast) = time(|| (0..reps).map(|_| rows.iter().map(|r| dot(r, &queries[0])).sum::<f32>()).sum::<f32>());
    let (s2, t_scalar) = time(|| (0..reps).map(|_| rows.iter().map(|r| dot_scalar(r, &queries[0])).sum::<f32>()).sum::<f32>());
    let per = |t: Duration| t.as_secs_f64() * 1e9 / (reps * rows.len()) as f64;
    println!(
        "  one dot product, in cache, one thread: {:.0} ns vs {:.0} ns scalar ({:.1}x)  [checksums {s1:.1} / {s2:.1}]",
        per(t_fast),
        per(t_scalar),
        per(t_scalar) / per(t_fast)
    );

    load_from_sqlite();
}

/// Loading 20,000 stored vectors from SQLite the way the app does on its first meaning
/// query, scaled to the full set.
fn load_from_sqlite() {
    use nexhina_core::library::Library;
    use nexhina_core::search::vectors::to_blob;
    const STORED: usize = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let library = Library::open(dir.path()).unwrap();
    let mut rng = Rng::new(SEED ^ 1);
    {
        let conn = rusqlite::Connection::open(library.path()).unwrap();
        conn.execute_batch("BEGIN").unwrap();
        let mut stmt = conn
            .prepare("INSERT INTO embeddings (source, item_id, chunk, model, dims, vector, created_at) VALUES ('message', ?1, 0, 'm', ?2, ?3, 0)")
            .unwrap();
        for i in 0..STORED {
            stmt.execute((i as i64, DIMS as i64, to_blob(&vector(&mut rng)))).unwrap();
        }
        drop(stmt);
        conn.execute_batch("COMMIT").unwrap();
    }
    let (rows, t) = time(|| {
        let mut index = VectorIndex::with_capacity(DIMS, STORED);
        library.each_embedding("m", 0, |_, key, v| {
            index.push(key, &v);
        })
        .unwrap();
        index.len()
    });
    println!(
        "  first-query load from SQLite: {rows} vectors in {:.2} s (~{:.1} s for {ROWS})",
        t.as_secs_f64(),
        t.as_secs_f64() * ROWS as f64 / STORED as f64
    );
}
