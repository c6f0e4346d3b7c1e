//! Search by meaning: what is indexed (sources, chunks), the in-memory vector index, and
//! how word hits and meaning hits are merged into one ranking.

pub mod vectors;

use std::collections::HashMap;
use std::hash::Hash;

pub use vectors::VectorIndex;

/// Where an indexed piece of text comes from. A generation can have up to two pieces
/// (its prompt and the platform's revised prompt; a transcript's title and text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Message,
    Prompt,
    RevisedPrompt,
    Transcript,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Message => "message",
            Source::Prompt => "prompt",
            Source::RevisedPrompt => "revised_prompt",
            Source::Transcript => "transcript",
        }
    }

    pub fn parse(s: &str) -> Option<Source> {
        Some(match s {
            "message" => Source::Message,
            "prompt" => Source::Prompt,
            "revised_prompt" => Source::RevisedPrompt,
            "transcript" => Source::Transcript,
            _ => return None,
        })
    }
}

/// One row of the vector index: the item it belongs to and which chunk of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VectorKey {
    pub source: Source,
    pub item_id: i64,
    pub chunk: u32,
}

/// Characters per chunk of a long message, and how much consecutive chunks share so a
/// sentence cut at a boundary is whole in one of them.
pub const CHUNK_CHARS: usize = 1200;
const CHUNK_OVERLAP: usize = 200;
/// Beyond this many chunks a message is found by its words only.
pub const MAX_CHUNKS: usize = 16;

/// Cuts text into overlapping pieces at whitespace, each at most about `CHUNK_CHARS`.
pub fn chunks(text: &str) -> Vec<String> {
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= CHUNK_CHARS {
        return vec![text.to_string()];
    }
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() && out.len() < MAX_CHUNKS {
        let mut end = (start + CHUNK_CHARS).min(chars.len());
        if end < chars.len() {
            // Back up to a space in the last quarter, so words stay whole.
            if let Some(space) = (end - CHUNK_CHARS / 4..end).rev().find(|&i| chars[i].is_whitespace()) {
                end = space;
            }
        }
        let piece: String = chars[start..end].iter().collect();
        out.push(piece.trim().to_string());
        if end >= chars.len() {
            break;
        }
        let mut next = end.saturating_sub(CHUNK_OVERLAP).max(start + 1);
        while next < end && !chars[next - 1].is_whitespace() {
            next += 1;
        }
        start = next;
    }
    out
}

/// Reciprocal rank fusion: each list gives `1 / (K + rank)` to its items, so an item high
/// in either list ranks well and one found by both ranks best, without comparing the
/// lists' own scores (bm25 and cosine do not share a scale).
pub fn fuse<T: Copy + Eq + Hash>(lists: &[&[T]]) -> Vec<(T, f32)> {
    const K: f32 = 60.0;
    let mut scores: HashMap<T, (f32, usize)> = HashMap::new();
    let mut order = 0;
    for list in lists {
        for (rank, item) in list.iter().enumerate() {
            let entry = scores.entry(*item).or_insert_with(|| {
                order += 1;
                (0.0, order)
            });
            entry.0 += 1.0 / (K + rank as f32 + 1.0);
        }
    }
    let mut fused: Vec<(T, f32, usize)> = scores.into_iter().map(|(t, (s, o))| (t, s, o)).collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    fused.into_iter().map(|(t, s, _)| (t, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_chunk_and_long_text_overlaps_at_word_boundaries() {
        assert_eq!(chunks("  hello  "), vec!["hello"]);
        assert!(chunks(" \n").is_empty());
        let long = (0..800).map(|i| format!("word{i}")).collect::<Vec<_>>().join(" ");
        let parts = chunks(&long);
        assert!(parts.len() > 1 && parts.len() <= MAX_CHUNKS);
        for p in &parts {
            assert!(p.chars().count() <= CHUNK_CHARS);
            assert!(p.split(' ').all(|w| w.starts_with("word") && w.len() > 4), "words stay whole");
        }
        let last_of_first = parts[0].split(' ').next_back().unwrap();
        assert!(parts[1].contains(last_of_first), "consecutive chunks overlap");
    }

    #[test]
    fn fusion_ranks_items_found_by_both_lists_first() {
        let words = [1, 2, 3];
        let meaning = [4, 3, 5];
        let fused = fuse(&[&words, &meaning]);
        assert_eq!(fused[0].0, 3);
        assert_eq!(fused.len(), 5);
        assert_eq!(fused[1].0, 1, "ties keep the first list's order");
    }
}
