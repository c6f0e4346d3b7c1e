//! `POST /v1/rerank` (Jina style): documents scored by word overlap with the query.

use std::collections::HashSet;

use axum::body::Bytes;
use serde_json::{json, Value};

use crate::gateway::{ok_json, Answer, Ctx};
use crate::state::Charge;
use crate::text::{estimate_tokens, hash64, words};

/// Share of the query's words found in the document, with a small stable jitter so
/// scores look like a model's (the jitter never reorders different overlaps).
fn score(query: &HashSet<String>, document: &str) -> f64 {
    let doc: HashSet<String> = words(document).into_iter().collect();
    let overlap = if query.is_empty() {
        0.0
    } else {
        query.intersection(&doc).count() as f64 / query.len() as f64
    };
    let jitter = (hash64(document.as_bytes()) % 1000) as f64 / 1_000_000.0;
    (overlap * 0.95 + 0.01 + jitter).min(1.0)
}

pub(crate) async fn rerank(ctx: Ctx, body: Bytes) -> Answer {
    let request = ctx.json_body(&body)?;
    // new-api needs the model here although the docs call it optional.
    let model = ctx.known_model(request.get("model"))?;
    let Some(query) = request.get("query").and_then(Value::as_str) else {
        return Err(ctx.upstream_error(400, None, "query", "query is required"));
    };
    let documents: Option<Vec<String>> =
        request
            .get("documents")
            .and_then(Value::as_array)
            .map(|docs| {
                docs.iter()
                    .map(|d| match d {
                        Value::String(s) => s.clone(),
                        other => other
                            .get("text")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    })
                    .collect()
            });
    let Some(documents) = documents.filter(|d| !d.is_empty()) else {
        return Err(ctx.upstream_error(
            400,
            None,
            "documents",
            "documents must be a non-empty array",
        ));
    };
    let top_n = request
        .get("top_n")
        .and_then(Value::as_u64)
        .map_or(documents.len(), |n| (n as usize).min(documents.len()));
    let return_documents = request
        .get("return_documents")
        .and_then(Value::as_bool)
        .unwrap_or(true);

    let query_words: HashSet<String> = words(query).into_iter().collect();
    let mut ranked: Vec<(usize, f64)> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| (i, score(&query_words, d)))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let results: Vec<Value> = ranked
        .into_iter()
        .take(top_n)
        .map(|(index, relevance_score)| {
            let mut r = json!({"index": index, "relevance_score": relevance_score});
            if return_documents {
                r["document"] = json!({"text": documents[index]});
            }
            r
        })
        .collect();
    let total_tokens = estimate_tokens(query) * documents.len() as u64
        + documents.iter().map(|d| estimate_tokens(d)).sum::<u64>();
    ctx.state.charge(Charge {
        model: &model,
        prompt_tokens: total_tokens,
        completion_tokens: 0,
        quota: total_tokens as i64,
        stream: false,
    });
    ok_json(&json!({"model": model, "results": results, "usage": {"total_tokens": total_tokens}}))
}
