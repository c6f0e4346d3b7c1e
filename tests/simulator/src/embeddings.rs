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

/// The same text always gives the same vector; a shorter `dimensions` is a prefix of the
/// long one, renormalised (what OpenAI's shortening does).
pub(crate) fn embed(key: &[u8], dims: usize) -> Vec<f32> {
    let mut rng = SplitMix::new(hash64(key));
    let mut v: Vec<f32> = (0..dims).map(|_| (rng.unit() * 2.0 - 1.0) as f32).collect();
    let norm = v
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::MIN_POSITIVE);
    v.iter_mut().for_each(|x| *x /= norm);
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

/// Each input as bytes to hash, plus its token count.
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

    let prompt_tokens: u64 = items.iter().map(|(_, t)| t).sum();
    let data = items
        .iter()
        .enumerate()
        .map(|(index, (key, _))| {
            let vector = embed(key, dims);
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
}
