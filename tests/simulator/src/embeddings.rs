//! `POST /v1/embeddings`: unit-length pseudo-embeddings seeded by a hash of the input.

use axum::body::Bytes;
use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use crate::gateway::{ok_json, Answer, Ctx};
use crate::state::Charge;
use crate::text::{estimate_tokens, hash64, SplitMix};

pub(crate) fn native_dimensions(model: &str) -> usize {
    if model.contains("large") {
        3072
    } else {
        1536
    }
}

/// Groups of words that mean nearly the same thing. A word in a group adds the group's
/// direction to the vector, so "golden hour over a sailing harbour" lands near "the sunset
/// one with the boat": enough meaning for search tests without a model.
const CONCEPTS: &[(&str, &[&str])] = &[
    ("sunset", &["sunset", "sundown", "dusk", "twilight", "golden", "evening", "sunrise", "dawn"]),
    ("boat", &["boat", "sailing", "sail", "sailboat", "yacht", "harbour", "harbor", "marina", "ship", "ferry", "dock", "pier", "canoe"]),
    ("sea", &["sea", "ocean", "wave", "beach", "shore", "coast", "surf", "tide", "seaside"]),
    ("mountain", &["mountain", "peak", "alpine", "summit", "hill", "ridge", "glacier", "alps"]),
    ("forest", &["forest", "wood", "woods", "tree", "jungle", "pine", "woodland"]),
    ("cat", &["cat", "kitten", "kitty", "feline"]),
    ("dog", &["dog", "puppy", "hound", "canine", "pup"]),
    ("city", &["city", "urban", "street", "downtown", "skyline", "skyscraper", "neon", "metropolis"]),
    ("night", &["night", "midnight", "star", "starry", "moon", "moonlight", "nocturnal"]),
    ("food", &["recipe", "cook", "cooking", "bake", "baking", "dinner", "meal", "pasta", "soup", "kitchen", "lunch", "breakfast"]),
    ("code", &["code", "program", "programming", "rust", "python", "function", "bug", "compile", "compiler", "software", "debug"]),
    ("travel", &["trip", "travel", "vacation", "holiday", "journey", "flight", "itinerary", "tour"]),
    ("music", &["music", "song", "melody", "guitar", "piano", "tune", "band"]),
    ("rain", &["rain", "storm", "rainy", "thunder", "drizzle", "stormy"]),
    ("winter", &["snow", "winter", "snowy", "frost", "ice", "icy", "blizzard"]),
    ("space", &["space", "galaxy", "planet", "astronaut", "rocket", "nebula", "cosmos"]),
    ("robot", &["robot", "android", "cyborg", "automaton", "mech"]),
    ("flower", &["flower", "garden", "rose", "blossom", "bloom", "tulip", "petal"]),
    ("money", &["money", "budget", "finance", "invoice", "tax", "savings", "expense"]),
    ("health", &["health", "doctor", "medicine", "fever", "symptom", "illness", "sick"]),
];

/// Words that carry no meaning of their own.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "one", "with", "of", "in", "on", "at", "over", "and", "or", "to", "for", "by", "from", "is", "are",
    "was", "it", "its", "this", "that", "some", "my", "me", "i", "you", "we", "about", "under", "into", "as", "be",
];

/// A word's lexicon entry, trying it as written and without a plural "s".
fn concept_of(word: &str) -> Option<&'static str> {
    let find = |w: &str| CONCEPTS.iter().find(|(_, words)| words.contains(&w)).map(|(c, _)| *c);
    find(word).or_else(|| word.strip_suffix('s').and_then(find))
}

/// A fixed pseudo-random direction for one feature (a concept or a word).
fn add_feature(v: &mut [f32], feature: &str, weight: f32) {
    let mut rng = SplitMix::new(hash64(feature.as_bytes()));
    for x in v.iter_mut() {
        *x += weight * (rng.unit() * 2.0 - 1.0) as f32;
    }
}

fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
    v.iter_mut().for_each(|x| *x /= norm);
}

/// The same text always gives the same vector; texts sharing concepts or words point the
/// same way (random directions in many dimensions are nearly orthogonal, so unrelated
/// texts score near zero). A shorter `dimensions` is a prefix of the long one,
/// renormalised (what OpenAI's shortening does).
pub(crate) fn embed_text(text: &str, dims: usize) -> Vec<f32> {
    let native = dims.max(1536);
    let mut v = vec![0.0f32; native];
    let mut any = false;
    for word in crate::text::words(text) {
        if STOPWORDS.contains(&word.as_str()) {
            continue;
        }
        any = true;
        match concept_of(&word) {
            Some(concept) => {
                add_feature(&mut v, &format!("concept:{concept}"), 1.0);
                add_feature(&mut v, &format!("word:{word}"), 0.3);
            }
            None => add_feature(&mut v, &format!("word:{word}"), 0.6),
        }
    }
    if !any {
        return embed(text.as_bytes(), dims);
    }
    v.truncate(dims);
    normalize(&mut v);
    v
}

/// Inputs given as token ids have no words: a vector seeded by their hash.
pub(crate) fn embed(key: &[u8], dims: usize) -> Vec<f32> {
    let mut rng = SplitMix::new(hash64(key));
    let mut v: Vec<f32> = (0..dims).map(|_| (rng.unit() * 2.0 - 1.0) as f32).collect();
    normalize(&mut v);
    v
}

#[derive(Serialize)]
#[serde(untagged)]
enum Vector {
    Float(Vec<f32>),
    Base64(String),
}

// Typed, so f32 values print in their shortest form rather than as widened f64s.
#[derive(Serialize)]
struct Item {
    object: &'static str,
    index: usize,
    embedding: Vector,
}

#[derive(Serialize)]
struct Usage {
    prompt_tokens: u64,
    total_tokens: u64,
}

#[derive(Serialize)]
struct Answered {
    object: &'static str,
    data: Vec<Item>,
    model: String,
    usage: Usage,
}

/// Each input as bytes (text, or token ids to hash), whether it is text, and its token count.
fn inputs(input: &Value) -> Option<Vec<(Vec<u8>, u64)>> {
    let text = |s: &str| (s.as_bytes().to_vec(), estimate_tokens(s));
    let tokens = |list: &[Value]| -> Option<(Vec<u8>, u64)> {
        let ids: Option<Vec<u64>> = list.iter().map(Value::as_u64).collect();
        let ids = ids?;
        Some((
            ids.iter().flat_map(|i| i.to_le_bytes()).collect(),
            ids.len() as u64,
        ))
    };
    let items = match input {
        Value::String(s) => vec![text(s)],
        Value::Array(list) if list.iter().all(Value::is_string) => {
            list.iter().filter_map(Value::as_str).map(text).collect()
        }
        Value::Array(list) if list.iter().all(Value::is_u64) => vec![tokens(list)?],
        Value::Array(list) => list
            .iter()
            .map(|l| l.as_array().and_then(|l| tokens(l)))
            .collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    (!items.is_empty() && items.iter().all(|(bytes, _)| !bytes.is_empty())).then_some(items)
}

pub(crate) async fn create(ctx: Ctx, body: Bytes) -> Answer {
    let request = ctx.json_body(&body)?;
    let model = ctx.known_model(request.get("model"))?;
    let Some(input) = request.get("input") else {
        return Err(ctx.invalid_request("field input is required"));
    };
    let Some(items) = inputs(input) else {
        return Err(ctx.upstream_error(
            400,
            None,
            "input",
            "'$.input' is invalid: expected a non-empty string, array of strings, or array of token arrays",
        ));
    };
    let native = native_dimensions(&model);
    let dims = match request.get("dimensions") {
        None | Some(Value::Null) => native,
        Some(d) => match d.as_u64() {
            Some(d) if d >= 1 && d as usize <= native => d as usize,
            _ => {
                return Err(ctx.upstream_error(
                    400,
                    None,
                    "dimensions",
                    &format!("dimensions must be between 1 and {native} for {model}"),
                ))
            }
        },
    };
    let base64 = match request.get("encoding_format").and_then(Value::as_str) {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(ctx.upstream_error(
                400,
                None,
                "encoding_format",
                &format!("encoding_format must be 'float' or 'base64', not '{other}'"),
            ))
        }
    };

    let input_is_text = input.is_string() || input.as_array().is_some_and(|l| l.iter().all(Value::is_string));
    let prompt_tokens: u64 = items.iter().map(|(_, t)| t).sum();
    let data = items
        .iter()
        .enumerate()
        .map(|(index, (key, _))| {
            // Text inputs arrive as their UTF-8 bytes; token arrays as little-endian ids.
            let vector = match input_is_text {
                true => embed_text(&String::from_utf8_lossy(key), dims),
                false => embed(key, dims),
            };
            let embedding = if base64 {
                let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
                Vector::Base64(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                Vector::Float(vector)
            };
            Item {
                object: "embedding",
                index,
                embedding,
            }
        })
        .collect();
    ctx.state.charge(Charge {
        model: &model,
        prompt_tokens,
        completion_tokens: 0,
        quota: prompt_tokens as i64,
        stream: false,
    });
    ok_json(&Answered {
        object: "list",
        data,
        model,
        usage: Usage {
            prompt_tokens,
            total_tokens: prompt_tokens,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_are_unit_length_and_stable() {
        let a = embed(b"hello", 1536);
        assert_eq!(a, embed(b"hello", 1536));
        assert_ne!(a, embed(b"hellp", 1536));
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
    }

    fn cosine(a: &str, b: &str) -> f32 {
        let (a, b) = (embed_text(a, 1536), embed_text(b, 1536));
        a.iter().zip(&b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn related_texts_are_close_and_unrelated_ones_are_not() {
        let query = "the sunset one with the boat";
        let right = cosine(query, "golden hour over a sailing harbour");
        let wrong = cosine(query, "a kitten asleep in a forest");
        assert!(right > 0.5, "related: {right}");
        assert!(wrong.abs() < 0.2, "unrelated: {wrong}");
        assert!(cosine("dusk", "twilight") > 0.7);
        assert!(cosine("my dogs", "a puppy") > 0.5, "plurals find their concept");
    }

    #[test]
    fn text_vectors_are_stable_unit_length_and_shorten_by_prefix() {
        let a = embed_text("a cat on a boat", 1536);
        assert_eq!(a, embed_text("a cat on a boat", 1536));
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
        let short = embed_text("a cat on a boat", 256);
        let prefix_cos: f32 = short.iter().zip(&a).map(|(x, y)| x * y).sum::<f32>()
            / a[..256].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((prefix_cos - 1.0).abs() < 1e-3);
    }
}
