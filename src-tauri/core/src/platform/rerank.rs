//! `POST /v1/rerank` (Jina style): documents scored against a query by a rerank model.

use serde::Deserialize;
use serde_json::json;

use super::client::{read_json, PlatformClient, Safety};
use crate::error::{Error, Result};

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    results: Vec<Ranked>,
}

#[derive(Deserialize)]
struct Ranked {
    index: usize,
    relevance_score: f64,
}

/// `(document index, relevance)` for every document, best first.
pub async fn rerank(client: &PlatformClient, model: &str, query: &str, documents: &[String]) -> Result<Vec<(usize, f64)>> {
    if documents.is_empty() {
        return Ok(Vec::new());
    }
    // new-api needs the model although the docs call it optional; the documents are
    // ours already, so they are not sent back.
    let body = json!({ "model": model, "query": query, "documents": documents, "top_n": documents.len(), "return_documents": false });
    let url = client.base().relay("rerank");
    let response = client.send(|| Ok(client.post(url.clone())?.json(&body)), Safety::Idempotent, "reranking").await?;
    let answer: Answer = read_json(response).await?;
    let mut ranked: Vec<(usize, f64)> = Vec::with_capacity(answer.results.len());
    for r in answer.results {
        if r.index >= documents.len() {
            return Err(Error::InvalidResponse(format!("rerank index {} out of range", r.index)));
        }
        ranked.push((r.index, r.relevance_score));
    }
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(ranked)
}
