//! Exact nearest-neighbour search over normalized f32 vectors held in one contiguous
//! buffer. With unit vectors cosine is a dot product; the dot product keeps sixteen
//! independent sums, which lets the compiler use SIMD registers (a single running sum
//! forces one add after another, since float addition is not associative).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Rows at which scoring is split across threads (below it, spawning costs more).
const PARALLEL_ROWS: usize = 16_384;
const LANES: usize = 16;

/// Vectors of one model, row after row, with a caller's key per row.
pub struct VectorIndex<K> {
    dims: usize,
    data: Vec<f32>,
    keys: Vec<K>,
}

impl<K: Copy> VectorIndex<K> {
    pub fn new(dims: usize) -> Self {
        VectorIndex { dims, data: Vec::new(), keys: Vec::new() }
    }

    pub fn with_capacity(dims: usize, rows: usize) -> Self {
        VectorIndex { dims, data: Vec::with_capacity(dims * rows), keys: Vec::with_capacity(rows) }
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn keys(&self) -> &[K] {
        &self.keys
    }

    /// Adds a row, normalized here so every score is a cosine. A vector of the wrong
    /// length is refused (`false`).
    pub fn push(&mut self, key: K, vector: &[f32]) -> bool {
        if vector.len() != self.dims {
            return false;
        }
        let start = self.data.len();
        self.data.extend_from_slice(vector);
        normalize(&mut self.data[start..]);
        self.keys.push(key);
        true
    }

    /// The `k` best rows for a query, best first, as (row, cosine).
    pub fn top_k(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        self.top_k_with(query, k, dot)
    }

    /// The same answer from a plain one-sum loop, kept to measure the fast path against.
    pub fn top_k_scalar(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        self.top_k_with(query, k, dot_scalar)
    }

    fn top_k_with(&self, query: &[f32], k: usize, score: fn(&[f32], &[f32]) -> f32) -> Vec<(usize, f32)> {
        if query.len() != self.dims || k == 0 || self.is_empty() {
            return Vec::new();
        }
        let mut q = query.to_vec();
        normalize(&mut q);
        let rows = self.len();
        let threads = if rows >= PARALLEL_ROWS { std::thread::available_parallelism().map_or(1, |n| n.get()).min(8) } else { 1 };
        let per = rows.div_ceil(threads);
        let mut best: Vec<Scored> = if threads == 1 {
            best_of(&self.data, 0, self.dims, &q, k, score)
        } else {
            let dims = self.dims;
            std::thread::scope(|s| {
                let handles: Vec<_> = self
                    .data
                    .chunks(per * dims)
                    .enumerate()
                    .map(|(i, part)| {
                        let q = &q;
                        s.spawn(move || best_of(part, i * per, dims, q, k, score))
                    })
                    .collect();
                handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
            })
        };
        best.sort_by(|a, b| b.cmp(a));
        best.truncate(k);
        best.into_iter().map(|s| (s.row, s.score)).collect()
    }
}

/// Rows of `part` (whose first row is `first`), scored, keeping the best `k` in a min-heap.
fn best_of(part: &[f32], first: usize, dims: usize, q: &[f32], k: usize, score: fn(&[f32], &[f32]) -> f32) -> Vec<Scored> {
    let mut heap: BinaryHeap<std::cmp::Reverse<Scored>> = BinaryHeap::with_capacity(k + 1);
    for (i, row) in part.chunks_exact(dims).enumerate() {
        let s = score(row, q);
        if heap.len() < k {
            heap.push(std::cmp::Reverse(Scored { score: s, row: first + i }));
        } else if heap.peek().is_some_and(|w| s > w.0.score) {
            heap.pop();
            heap.push(std::cmp::Reverse(Scored { score: s, row: first + i }));
        }
    }
    heap.into_iter().map(|r| r.0).collect()
}

#[derive(Clone, Copy, Debug)]
struct Scored {
    score: f32,
    row: usize,
}

impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    // Ties go to the older row, so answers are stable.
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then(other.row.cmp(&self.row))
    }
}

/// Dot product with sixteen running sums (vectorizes); the tail is added at the end.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut sum = 0.0;
    for half in [8, 4, 2, 1] {
        for i in 0..half {
            acc[i] += acc[i + half];
        }
    }
    sum += acc[0];
    for (x, y) in ra.iter().zip(rb) {
        sum += x * y;
    }
    sum
}

/// The straightforward loop: one sum, element after element.
#[inline]
pub fn dot_scalar(a: &[f32], b: &[f32]) -> f32 {
    let mut sum = 0.0f32;
    for i in 0..a.len().min(b.len()) {
        sum += a[i] * b[i];
    }
    sum
}

pub fn normalize(v: &mut [f32]) {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// A vector as stored: little-endian f32, four bytes each.
pub fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn from_blob(bytes: &[u8]) -> Option<Vec<f32>> {
    (bytes.len() % 4 == 0).then(|| bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo(seed: u64, dims: usize) -> Vec<f32> {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..dims)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect()
    }

    #[test]
    fn fast_and_scalar_dot_agree() {
        for dims in [1, 15, 16, 17, 100, 1536] {
            let (a, b) = (pseudo(1, dims), pseudo(2, dims));
            assert!((dot(&a, &b) - dot_scalar(&a, &b)).abs() < 1e-3, "dims {dims}");
        }
    }

    #[test]
    fn top_k_finds_the_nearest_rows_in_order_on_one_or_many_threads() {
        for rows in [10, PARALLEL_ROWS + 7] {
            let mut index = VectorIndex::with_capacity(64, rows);
            for r in 0..rows {
                assert!(index.push(r as u64, &pseudo(r as u64 + 10, 64)));
            }
            let mut query = pseudo(13, 64);
            query.iter_mut().for_each(|x| *x *= 3.0); // length does not matter
            let fast = index.top_k(&query, 5);
            let slow = index.top_k_scalar(&query, 5);
            assert_eq!(fast[0].0, 3, "the row equal to the query comes first");
            assert!((fast[0].1 - 1.0).abs() < 1e-4);
            assert_eq!(fast.iter().map(|r| r.0).collect::<Vec<_>>(), slow.iter().map(|r| r.0).collect::<Vec<_>>());
            assert!(fast.windows(2).all(|w| w[0].1 >= w[1].1));
        }
    }

    #[test]
    fn wrong_lengths_are_refused_and_blobs_round_trip() {
        let mut index: VectorIndex<u8> = VectorIndex::new(3);
        assert!(!index.push(1, &[1.0, 2.0]));
        assert!(index.top_k(&[1.0, 0.0], 3).is_empty());
        let v = vec![0.25f32, -1.5, 3.0];
        assert_eq!(from_blob(&to_blob(&v)).unwrap(), v);
        assert!(from_blob(&[1, 2, 3]).is_none());
    }
}
