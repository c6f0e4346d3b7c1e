//! `POST /v1/moderations`: whether a prompt is flagged, and by which categories.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::client::{read_json, PlatformClient, Safety};
use crate::error::{Error, Result};
use crate::types::{ModerationCategory, ModerationVerdict};

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    results: Vec<Outcome>,
}

#[derive(Deserialize)]
struct Outcome {
    #[serde(default)]
    flagged: bool,
    #[serde(default)]
    categories: BTreeMap<String, Option<bool>>,
    #[serde(default)]
    category_scores: BTreeMap<String, Option<f64>>,
}

pub async fn moderate(client: &PlatformClient, model: Option<&str>, text: &str) -> Result<ModerationVerdict> {
    let mut body = json!({ "input": text });
    if let Some(model) = model.filter(|m| !m.trim().is_empty()) {
        body["model"] = json!(model);
    }
    let url = client.base().relay("moderations");
    let response = client.send(|| Ok(client.post(url.clone())?.json(&body)), Safety::Idempotent, "moderation").await?;
    let answer: Answer = read_json(response).await?;
    let outcome = answer
        .results
        .into_iter()
        .next()
        .ok_or_else(|| Error::InvalidResponse("the moderation answer has no result".into()))?;
    Ok(verdict(outcome, answer.model))
}

fn verdict(outcome: Outcome, model: Option<String>) -> ModerationVerdict {
    let mut names: Vec<&String> = outcome.categories.keys().chain(outcome.category_scores.keys()).collect();
    names.sort();
    names.dedup();
    let mut categories: Vec<ModerationCategory> = names
        .into_iter()
        .map(|name| ModerationCategory {
            name: name.clone(),
            score: outcome.category_scores.get(name).copied().flatten().unwrap_or(0.0),
            flagged: outcome.categories.get(name).copied().flatten().unwrap_or(false),
        })
        .collect();
    categories.sort_by(|a, b| b.flagged.cmp(&a.flagged).then(b.score.total_cmp(&a.score)));
    ModerationVerdict { flagged: outcome.flagged || categories.iter().any(|c| c.flagged), categories, model }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flagged_categories_come_first_then_by_score() {
        let outcome: Outcome = serde_json::from_value(json!({
            "flagged": true,
            "categories": {"hate": false, "violence": true, "sexual": null},
            "category_scores": {"hate": 0.3, "violence": 0.91, "sexual": 0.001}
        }))
        .unwrap();
        let v = verdict(outcome, None);
        assert!(v.flagged);
        assert_eq!(v.categories.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["violence", "hate", "sexual"]);
    }
}
