//! `POST /v1/moderations`: flags inputs by keyword, with every category present.

use axum::body::Bytes;
use serde_json::{json, Map, Value};

use crate::chat::content_text;
use crate::gateway::{ok_json, Answer, Ctx};
use crate::text::{hash64, words};

const CATEGORIES: &[&str] = &[
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
];

/// Words that trip each category (whole words, lower case).
const TRIGGERS: &[(&str, &[&str])] = &[
    ("violence", &["kill", "murder", "attack", "shoot", "stab"]),
    ("violence/graphic", &["gore", "blood"]),
    ("hate", &["hate", "racist"]),
    ("harassment", &["idiot", "stupid", "loser"]),
    ("self-harm", &["suicide", "selfharm"]),
    ("sexual", &["porn", "nude"]),
    ("illicit", &["cocaine", "steal", "hack"]),
];

fn classify(text: &str) -> Value {
    let words = words(text);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    let mut flagged_any = false;
    let mut categories = Map::new();
    let mut scores = Map::new();
    for (i, category) in CATEGORIES.iter().enumerate() {
        let mut hit = TRIGGERS.iter().any(|(c, list)| c == category && has(list));
        // Threats: violent words aimed at "you".
        if *category == "harassment/threatening" || *category == "hate/threatening" {
            hit = has(&["kill", "hurt"])
                && has(&["you"])
                && (*category == "harassment/threatening" || has(&["hate"]));
        }
        flagged_any |= hit;
        // Small, stable background scores for the rest, like a real classifier's.
        let background =
            (hash64(format!("{i}{text}").as_bytes()) % 900) as f64 / 100_000.0 + 0.0001;
        categories.insert((*category).to_owned(), json!(hit));
        scores.insert(
            (*category).to_owned(),
            json!(if hit { 0.91 } else { background }),
        );
    }
    let applied: Map<String, Value> = CATEGORIES
        .iter()
        .map(|c| ((*c).to_owned(), json!(["text"])))
        .collect();
    json!({
        "flagged": flagged_any,
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": applied,
    })
}

pub(crate) async fn moderate(ctx: Ctx, body: Bytes) -> Answer {
    let request = ctx.json_body(&body)?;
    let model = match request.get("model").and_then(Value::as_str) {
        Some(m) => ctx.check_model(crate::faults::strip_fault_suffix(m).to_owned())?,
        None => "omni-moderation-latest".to_owned(),
    };
    let texts: Vec<String> = match request.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        // Multi-modal parts are one input.
        Some(parts @ Value::Array(_)) => vec![content_text(parts).0],
        _ => return Err(ctx.invalid_request("field input is required")),
    };
    let results: Vec<Value> = texts.iter().map(|t| classify(t)).collect();
    ok_json(&json!({"id": ctx.state.new_id("modr-"), "model": model, "results": results}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violent_words_are_flagged() {
        let r = classify("I will kill you");
        assert_eq!(r["flagged"], json!(true));
        assert_eq!(r["categories"]["violence"], json!(true));
        assert_eq!(r["categories"]["harassment/threatening"], json!(true));
        assert_eq!(classify("a lovely day")["flagged"], json!(false));
        assert_eq!(
            r["category_scores"].as_object().unwrap().len(),
            CATEGORIES.len()
        );
    }
}
