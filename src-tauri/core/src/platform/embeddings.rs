//! `POST /v1/embeddings`, batched. Vectors are asked for as base64 (little-endian f32):
//! a quarter of the JSON's size and no float parsing; plain float arrays are read too.

use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use super::client::{read_json, PlatformClient, Safety};
use crate::error::{Error, Result};

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    index: Option<usize>,
    embedding: Value,
}

/// One vector per input, in input order.
pub async fn embed(client: &PlatformClient, model: &str, inputs: &[String]) -> Result<Vec<Vec<f32>>> {
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let body = json!({ "model": model, "input": inputs, "encoding_format": "base64" });
    let url = client.base().relay("embeddings");
    // Embedding the same text twice costs a little and changes nothing: safe to retry.
    let response = client.send(|| Ok(client.post(url.clone())?.json(&body)), Safety::Idempotent, "embeddings").await?;
    let answer: Answer = read_json(response).await?;
    if answer.data.len() != inputs.len() {
        return Err(Error::InvalidResponse(format!("{} embeddings for {} inputs", answer.data.len(), inputs.len())));
    }
    let mut out: Vec<Option<Vec<f32>>> = vec![None; inputs.len()];
    for (position, item) in answer.data.into_iter().enumerate() {
        let index = item.index.unwrap_or(position);
        let slot = out.get_mut(index).ok_or_else(|| Error::InvalidResponse(format!("embedding index {index} out of range")))?;
        *slot = Some(vector_of(&item.embedding)?);
    }
    out.into_iter()
        .map(|v| v.ok_or_else(|| Error::InvalidResponse("an input got no embedding".into())))
        .collect()
}

fn vector_of(value: &Value) -> Result<Vec<f32>> {
    match value {
        Value::String(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| Error::InvalidResponse(format!("an embedding is not valid base64: {e}")))?;
            if bytes.len() % 4 != 0 || bytes.is_empty() {
                return Err(Error::InvalidResponse("an embedding's length is not a whole number of floats".into()));
            }
            Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
        }
        Value::Array(items) => items
            .iter()
            .map(|x| x.as_f64().map(|x| x as f32).ok_or_else(|| Error::InvalidResponse("an embedding holds a non-number".into())))
            .collect(),
        _ => Err(Error::InvalidResponse("an embedding is neither a list of numbers nor base64".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_float_vectors_read_the_same() {
        let v = [0.5f32, -0.25, 1.0];
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        assert_eq!(vector_of(&json!(b64)).unwrap(), v);
        assert_eq!(vector_of(&json!([0.5, -0.25, 1.0])).unwrap(), v);
        assert!(vector_of(&json!("AAA=")).is_err());
    }
}
