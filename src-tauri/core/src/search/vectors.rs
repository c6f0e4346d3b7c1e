//! Exact nearest-neighbour search over normalized vectors.
//!
//! A query is memory-bound: at 1,536 dimensions every row is 6 KB of f32. So the index
//! holds each normalized row at half precision (f16, half the bytes to stream) and
//! finds the rows that can possibly be in the top k; only those few are scored again
//! against their f32 originals, which the caller fetches (from SQLite in the app). The
//! answer is the same as scoring every f32 row: rounding to f16 moves a unit vector's
//! cosine by at most `half_error(dims)`, so a row whose half-precision score falls more
//! than twice that below the k-th best cannot be in the top k.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use half::f16;

/// Rows at which scoring is split across threads (below it, spawning costs more).
const PARALLEL_ROWS: usize = 16_384;
const LANES: usize = 16;

/// Vectors of one model, row after row at half precision, with a caller's key per row.
pub struct VectorIndex<K> {
    dims: usize,
    halves: Vec<u16>,
    keys: Vec<K>,
}

impl<K: Copy> VectorIndex<K> {
    pub fn new(dims: usize) -> Self {
        VectorIndex { dims, halves: Vec::new(), keys: Vec::new() }
    }

    pub fn with_capacity(dims: usize, rows: usize) -> Self {
        VectorIndex { dims, halves: Vec::with_capacity(dims * rows), keys: Vec::with_capacity(rows) }
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

    /// Bytes the rows take in memory.
    pub fn memory_bytes(&self) -> usize {
        self.halves.len() * 2 + self.keys.len() * std::mem::size_of::<K>()
    }

    /// Adds a row, normalized here so every score is a cosine. A vector of the wrong
    /// length is refused (`false`).
    pub fn push(&mut self, key: K, vector: &[f32]) -> bool {
        if vector.len() != self.dims {
            return false;
        }
        let mut unit = vector.to_vec();
        normalize(&mut unit);
        self.halves.extend(unit.iter().map(|x| f16::from_f32(*x).to_bits()));
        self.keys.push(key);
        true
    }

    /// The `k` best rows for a query, best first, as (row, cosine), exactly as scoring
    /// every f32 original would rank them. `originals` gets the rows that could be in the
    /// top k and returns their stored f32 vectors in the same order (`None` for one it no
    /// longer has: that row keeps its half-precision score).
    pub fn top_k(
        &self,
        query: &[f32],
        k: usize,
        originals: impl FnOnce(&[usize]) -> Vec<Option<Vec<f32>>>,
    ) -> Vec<(usize, f32)> {
        if query.len() != self.dims || k == 0 || self.is_empty() {
            return Vec::new();
        }
        let mut q = query.to_vec();
        normalize(&mut q);
        let shortlist = self.shortlist(&q, k);
        let rows: Vec<usize> = shortlist.iter().map(|s| s.row).collect();
        let vectors = originals(&rows);
        let mut best: Vec<Scored> = shortlist
            .iter()
            .enumerate()
            .map(|(i, s)| match vectors.get(i).and_then(|v| v.as_ref()).filter(|v| v.len() == self.dims) {
                Some(v) => {
                    let mut unit = v.clone();
                    normalize(&mut unit);
                    Scored { score: dot(&unit, &q), row: s.row }
                }
                None => *s,
            })
            .collect();
        best.sort_by(|a, b| b.cmp(a));
        best.truncate(k);
        best.into_iter().map(|s| (s.row, s.score)).collect()
    }

    /// Every row whose half-precision score is within twice the rounding error of the
    /// k-th best: a superset of the exact top k. `q` is normalized.
    fn shortlist(&self, q: &[f32], k: usize) -> Vec<Scored> {
        let rows = self.len();
        let dims = self.dims;
        let margin = 2.0 * half_error(dims);
        let kernel = half_kernel();
        let threads = if rows >= PARALLEL_ROWS { std::thread::available_parallelism().map_or(1, |n| n.get()).min(8) } else { 1 };
        let per = rows.div_ceil(threads);
        // Each part keeps its own best k and everything within the margin of its k-th;
        // the margin is applied again once the parts are merged.
        let mut near: Vec<Scored> = if threads == 1 {
            near_best(&self.halves, 0, dims, q, k, margin, kernel)
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = self
                    .halves
                    .chunks(per * dims)
                    .enumerate()
                    .map(|(i, part)| s.spawn(move || near_best(part, i * per, dims, q, k, margin, kernel)))
                    .collect();
                handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
            })
        };
        near.sort_by(|a, b| b.cmp(a));
        if let Some(kth) = near.get(k - 1).map(|s| s.score) {
            near.retain(|s| s.score >= kth - margin);
        }
        near
    }
}

/// How far a half-precision row's cosine can be from its f32 row's, both unit vectors:
/// rounding to f16 changes each element by at most 2^-11 of itself (so the dot product by
/// at most 2^-11, by Cauchy–Schwarz) or by 2^-25 below f16's normal range; plus float
/// summation error of both scores, at most `dims` * 2^-24 each.
pub fn half_error(dims: usize) -> f32 {
    let d = dims as f32;
    2f32.powi(-11) + d.sqrt() * 2f32.powi(-25) + 2.0 * d * 2f32.powi(-24)
}

/// The exact top k by a straightforward one-sum loop over every f32 row (normalized),
/// best first: the baseline the benchmark and the tests hold the index to.
pub fn top_k_scalar(rows: &[f32], dims: usize, query: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut q = query.to_vec();
    normalize(&mut q);
    let mut all: Vec<Scored> = rows
        .chunks_exact(dims)
        .enumerate()
        .map(|(row, r)| {
            let norm = dot_scalar(r, r).sqrt();
            let score = if norm > 0.0 { dot_scalar(r, &q) / norm } else { 0.0 };
            Scored { score, row }
        })
        .collect();
    all.sort_by(|a, b| b.cmp(a));
    all.truncate(k);
    all.into_iter().map(|s| (s.row, s.score)).collect()
}

type HalfKernel = fn(&[f32], &[u16]) -> f32;

/// The fastest half-precision dot product this CPU has.
fn half_kernel() -> HalfKernel {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("f16c")
    {
        return dot_half_x86;
    }
    dot_half
}

/// Rows of `part` (whose first row is `first`) within `margin` of the k-th best score.
fn near_best(part: &[u16], first: usize, dims: usize, q: &[f32], k: usize, margin: f32, score: HalfKernel) -> Vec<Scored> {
    // A min-heap of the best k gives the running k-th score; rows that fall out of it but
    // stay within the margin are kept aside and filtered once the k-th is final.
    let mut heap: BinaryHeap<std::cmp::Reverse<Scored>> = BinaryHeap::with_capacity(k + 1);
    let mut aside = Vec::new();
    for (i, row) in part.chunks_exact(dims).enumerate() {
        let s = Scored { score: score(q, row), row: first + i };
        if heap.len() < k {
            heap.push(std::cmp::Reverse(s));
            continue;
        }
        let kth = heap.peek().map_or(f32::NEG_INFINITY, |w| w.0.score);
        if s.score > kth {
            let out = heap.pop().map(|w| w.0);
            heap.push(std::cmp::Reverse(s));
            let kth = heap.peek().map_or(f32::NEG_INFINITY, |w| w.0.score);
            aside.extend(out.filter(|o| o.score >= kth - margin));
        } else if s.score >= kth - margin {
            aside.push(s);
        }
    }
    let kth = heap.peek().map_or(f32::NEG_INFINITY, |w| w.0.score);
    aside.retain(|s| s.score >= kth - margin);
    aside.extend(heap.into_iter().map(|r| r.0));
    aside
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

/// Dot product of an f32 query and an f16 row, sixteen running sums (portable).
fn dot_half(q: &[f32], h: &[u16]) -> f32 {
    let n = q.len().min(h.len());
    let (q, h) = (&q[..n], &h[..n]);
    let mut acc = [0.0f32; LANES];
    let (cq, ch) = (q.chunks_exact(LANES), h.chunks_exact(LANES));
    let (rq, rh) = (cq.remainder(), ch.remainder());
    for (x, y) in cq.zip(ch) {
        for i in 0..LANES {
            acc[i] += x[i] * f16::from_bits(y[i]).to_f32();
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in rq.iter().zip(rh) {
        sum += x * f16::from_bits(*y).to_f32();
    }
    sum
}

#[cfg(target_arch = "x86_64")]
fn dot_half_x86(q: &[f32], h: &[u16]) -> f32 {
    // SAFETY: only handed out by `half_kernel` after the CPU reported avx2, fma and f16c.
    unsafe { dot_half_avx2(q, h) }
}

/// Eight f16 at a time widened in one instruction (F16C), four FMA accumulators.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn dot_half_avx2(q: &[f32], h: &[u16]) -> f32 {
    use std::arch::x86_64::*;
    let n = q.len().min(h.len());
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    while i + 32 <= n {
        for (j, a) in acc.iter_mut().enumerate() {
            // SAFETY: i + 8j + 8 <= n, within both slices; unaligned loads.
            let (x, y) = unsafe {
                (
                    _mm256_cvtph_ps(_mm_loadu_si128(h.as_ptr().add(i + 8 * j) as *const __m128i)),
                    _mm256_loadu_ps(q.as_ptr().add(i + 8 * j)),
                )
            };
            *a = _mm256_fmadd_ps(x, y, *a);
        }
        i += 32;
    }
    let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    let mut lanes = [0.0f32; 8];
    // SAFETY: `lanes` holds eight f32.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), sum) };
    let mut total: f32 = lanes.iter().sum();
    for k in i..n {
        total += q[k] * f16::from_bits(h[k]).to_f32();
    }
    total
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

    /// The index's answer for `query` against the f32 rows it was built from.
    fn exact_from(index: &VectorIndex<u64>, rows: &[Vec<f32>], query: &[f32], k: usize) -> Vec<(usize, f32)> {
        index.top_k(query, k, |wanted| wanted.iter().map(|r| Some(rows[*r].clone())).collect())
    }

    #[test]
    fn top_k_finds_the_nearest_rows_in_order_on_one_or_many_threads() {
        for n in [10, PARALLEL_ROWS + 7] {
            let rows: Vec<Vec<f32>> = (0..n).map(|r| pseudo(r as u64 + 10, 64)).collect();
            let mut index = VectorIndex::with_capacity(64, n);
            for (r, v) in rows.iter().enumerate() {
                assert!(index.push(r as u64, v));
            }
            let mut query = pseudo(13, 64);
            query.iter_mut().for_each(|x| *x *= 3.0); // length does not matter
            let fast = exact_from(&index, &rows, &query, 5);
            let slow = top_k_scalar(&rows.concat(), 64, &query, 5);
            assert_eq!(fast[0].0, 3, "the row equal to the query comes first");
            assert!((fast[0].1 - 1.0).abs() < 1e-4);
            assert_eq!(fast.iter().map(|r| r.0).collect::<Vec<_>>(), slow.iter().map(|r| r.0).collect::<Vec<_>>());
            assert!(fast.windows(2).all(|w| w[0].1 >= w[1].1));
        }
    }

    #[test]
    fn near_ties_that_half_precision_cannot_tell_apart_still_rank_exactly() {
        // Rows that differ from one base vector by less than f16 can express: their
        // half-precision scores tie or even swap, and only the f32 rescoring orders them.
        let dims = 1536;
        let base = pseudo(7, dims);
        let rows: Vec<Vec<f32>> = (0..PARALLEL_ROWS + 100)
            .map(|r| {
                let noise = pseudo(r as u64 + 1000, dims);
                // Cosines to the base spread over about 6e-4, a few f16 steps.
                let scale = 0.02 * (1.0 + (r % 97) as f32 / 97.0);
                base.iter().zip(&noise).map(|(b, n)| b + n * scale).collect()
            })
            .collect();
        let mut index = VectorIndex::with_capacity(dims, rows.len());
        for (r, v) in rows.iter().enumerate() {
            index.push(r as u64, v);
        }
        for (k, q) in [(1, 7), (10, 8), (40, 9)] {
            let query: Vec<f32> = base.iter().zip(pseudo(q, dims)).map(|(b, n)| b + n * 0.001).collect();
            // Cosines in f64 as the reference: a one-sum f32 loop is itself off by ~1e-6.
            let cos64 = |v: &[f32]| {
                let (mut d, mut a, mut b) = (0f64, 0f64, 0f64);
                for (x, y) in v.iter().zip(&query) {
                    d += *x as f64 * *y as f64;
                    a += *x as f64 * *x as f64;
                    b += *y as f64 * *y as f64;
                }
                d / (a.sqrt() * b.sqrt())
            };
            let mut exact: Vec<f64> = rows.iter().map(|r| cos64(r)).collect();
            exact.sort_by(|a, b| b.total_cmp(a));
            let got = exact_from(&index, &rows, &query, k);
            // The same cosines in the same order (rows may swap only where they tie within
            // f32 summation error).
            assert_eq!(got.len(), k);
            for (g, e) in got.iter().zip(&exact) {
                assert!((cos64(&rows[g.0]) - e).abs() < 2e-7, "k = {k}: {got:?} vs {:?}", &exact[..k]);
            }
            let shortlist = index.shortlist(&{ let mut u = query.clone(); normalize(&mut u); u }, k);
            assert!(shortlist.len() > k, "half precision alone could not have ranked these");
        }
    }

    #[test]
    fn half_and_full_precision_scores_differ_by_less_than_the_bound() {
        let dims = 1536;
        let mut q = pseudo(3, dims);
        normalize(&mut q);
        for r in 0..200 {
            let mut v = pseudo(r + 50, dims);
            v[r as usize] *= 1e-6; // one element deep in f16's subnormal range
            normalize(&mut v);
            let halves: Vec<u16> = v.iter().map(|x| f16::from_f32(*x).to_bits()).collect();
            let diff = (dot(&v, &q) - half_kernel()(&q, &halves)).abs();
            assert!(diff <= half_error(dims), "row {r}: {diff}");
            assert!((dot_half(&q, &halves) - half_kernel()(&q, &halves)).abs() < 1e-5, "kernels agree");
        }
    }

    #[test]
    fn a_row_the_caller_no_longer_has_keeps_its_half_precision_score() {
        let rows: Vec<Vec<f32>> = (0..20).map(|r| pseudo(r + 1, 32)).collect();
        let mut index = VectorIndex::new(32);
        for (r, v) in rows.iter().enumerate() {
            index.push(r as u64, v);
        }
        let got = index.top_k(&rows[4], 3, |wanted| wanted.iter().map(|_| None).collect());
        assert_eq!(got[0].0, 4);
        assert!((got[0].1 - 1.0).abs() < 1e-2);
    }

    #[test]
    fn wrong_lengths_are_refused_and_blobs_round_trip() {
        let mut index: VectorIndex<u8> = VectorIndex::new(3);
        assert!(!index.push(1, &[1.0, 2.0]));
        assert!(index.top_k(&[1.0, 0.0], 3, |_| Vec::new()).is_empty());
        let v = vec![0.25f32, -1.5, 3.0];
        assert_eq!(from_blob(&to_blob(&v)).unwrap(), v);
        assert!(from_blob(&[1, 2, 3]).is_none());
    }
}
