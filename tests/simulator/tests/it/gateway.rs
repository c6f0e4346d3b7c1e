//! Auth, routing, balance, control endpoints and recording.

use serde_json::json;

use crate::{client, get, json, post, start, KEY};

#[tokio::test]
async fn a_wrong_or_missing_key_gets_the_gateway_401() {
    let sim = start().await;
    for request in [
        client().get(format!("{}/v1/models", sim.base_url())),
        client()
            .get(format!("{}/v1/models", sim.base_url()))
            .bearer_auth("sk-wrong"),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        let id = response.headers()["x-oneapi-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = json(response).await;
        assert_eq!(body["error"]["type"], "new_api_error");
        assert_eq!(
            body["error"]["message"],
            format!("Invalid token (request id: {id})")
        );
    }
    // The key works with or without its sk- prefix, as on new-api.
    let response = client()
        .get(format!("{}/v1/models", sim.base_url()))
        .bearer_auth(KEY.trim_start_matches("sk-"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn models_come_in_new_api_shape() {
    let sim = start().await;
    let body = json(get(&sim, "/v1/models").send().await.unwrap()).await;
    assert_eq!(body["success"], true);
    assert_eq!(body["object"], "list");
    let data = body["data"].as_array().unwrap();
    for id in [
        "gpt-4o-mini",
        "o4-mini",
        "text-embedding-3-large",
        "gpt-image-1",
        "whisper-1",
        "sora",
        "jina-reranker-v2",
    ] {
        let model = data
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("{id} listed"));
        assert_eq!(model["object"], "model");
        assert!(model["supported_endpoint_types"]
            .as_array()
            .is_some_and(|t| !t.is_empty()));
    }
    let gpt = data.iter().find(|m| m["id"] == "gpt-4o-mini").unwrap();
    assert_eq!(gpt["supported_endpoint_types"], json!(["openai"]));
}

#[tokio::test]
async fn unknown_paths_and_missing_slash_are_404() {
    let sim = start().await;
    let response = get(&sim, "/v1/foo").send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.headers().contains_key("x-oneapi-request-id"));
    let body = json(response).await;
    assert_eq!(body["error"]["message"], "Invalid URL (GET /v1/foo)");
    assert_eq!(body["error"]["type"], "invalid_request_error");

    assert_eq!(
        get(&sim, "/api/usage/token").send().await.unwrap().status(),
        404
    );
    let usage = json(get(&sim, "/api/usage/token/").send().await.unwrap()).await;
    assert_eq!(usage["code"], true);
    assert_eq!(usage["data"]["object"], "token_usage");
}

#[tokio::test]
async fn status_is_public_and_usage_grows_with_calls() {
    let sim = start().await;
    let status = json(
        client()
            .get(format!("{}/api/status", sim.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status["data"]["quota_per_unit"], 500000);
    assert_eq!(status["data"]["quota_display_type"], "USD");
    assert_eq!(status["data"]["system_name"], "Nexhina Demo");

    let used = |v: serde_json::Value| v["data"]["total_used"].as_i64().unwrap();
    let before = used(json(get(&sim, "/api/usage/token/").send().await.unwrap()).await);
    let cents_before = json(get(&sim, "/dashboard/billing/usage").send().await.unwrap()).await
        ["total_usage"]
        .as_f64()
        .unwrap();
    let chat = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
    assert_eq!(
        post(&sim, "/v1/chat/completions", chat)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let after = used(json(get(&sim, "/api/usage/token/").send().await.unwrap()).await);
    assert!(after > before, "{after} > {before}");
    let cents_after = json(get(&sim, "/dashboard/billing/usage").send().await.unwrap()).await
        ["total_usage"]
        .as_f64()
        .unwrap();
    assert!(cents_after > cents_before);

    let subscription = json(
        get(&sim, "/dashboard/billing/subscription")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(subscription["hard_limit_usd"], 100.0);
    let logs = json(get(&sim, "/api/log/token").send().await.unwrap()).await;
    assert_eq!(logs["data"][0]["model_name"], "gpt-4o-mini");
}

#[tokio::test]
async fn requests_are_recorded_in_order_and_can_be_cleared() {
    let sim = start().await;
    get(&sim, "/v1/models?x=1").send().await.unwrap();
    let chat = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "café"}]});
    post(&sim, "/v1/chat/completions", chat.clone())
        .send()
        .await
        .unwrap();

    let recorded = sim.requests();
    assert_eq!(recorded.len(), 2);
    assert_eq!(
        (recorded[0].method.as_str(), recorded[0].path.as_str()),
        ("GET", "/v1/models?x=1")
    );
    assert_eq!(recorded[1].path, "/v1/chat/completions");
    assert_eq!(recorded[1].json().unwrap(), chat);
    assert_eq!(recorded[1].header("authorization"), Some("Bearer sk-test"));

    // The control API answers the same, and is itself not recorded.
    let listed = json(
        client()
            .get(format!("{}/__sim/requests", sim.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(listed[1]["body"].as_str().unwrap().contains("café"));
    let cleared = client()
        .delete(format!("{}/__sim/requests", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert!(cleared.status().is_success());
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn moderation_and_rerank_answer_in_their_shapes() {
    let sim = start().await;
    let moderation = json(
        post(
            &sim,
            "/v1/moderations",
            json!({"input": ["I will kill you", "nice day"]}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(moderation["results"][0]["flagged"], true);
    assert_eq!(moderation["results"][0]["categories"]["violence"], true);
    assert_eq!(moderation["results"][1]["flagged"], false);
    assert_eq!(
        moderation["results"][1]["category_scores"]
            .as_object()
            .unwrap()
            .len(),
        13
    );

    let rerank = json!({"model": "jina-reranker-v2", "query": "red apple pie", "documents": ["blue sky", "apple pie recipe", {"text": "red apple pie with cream"}], "top_n": 2});
    let ranked = json(
        post(&sim, "/v1/rerank", rerank.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    let results = ranked["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["index"], 2);
    assert_eq!(results[1]["index"], 1);
    assert_eq!(results[0]["document"]["text"], "red apple pie with cream");
    assert!(ranked["usage"]["total_tokens"].as_u64().unwrap() > 0);

    let mut without_model = rerank;
    without_model.as_object_mut().unwrap().remove("model");
    assert_eq!(
        post(&sim, "/v1/rerank", without_model)
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}

#[tokio::test]
async fn embeddings_are_unit_vectors_in_float_or_base64() {
    use base64::Engine;
    let sim = start().await;
    let body = json!({"model": "text-embedding-3-small", "input": ["hello", "world"]});
    let floats = json(post(&sim, "/v1/embeddings", body).send().await.unwrap()).await;
    let first: Vec<f32> = floats["data"][0]["embedding"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(first.len(), 1536);
    let norm: f32 = first.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-3);
    assert_ne!(
        floats["data"][0]["embedding"],
        floats["data"][1]["embedding"]
    );

    let large = json(
        post(
            &sim,
            "/v1/embeddings",
            json!({"model": "text-embedding-3-large", "input": "hello"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        large["data"][0]["embedding"].as_array().unwrap().len(),
        3072
    );

    let packed =
        json!({"model": "text-embedding-3-small", "input": "hello", "encoding_format": "base64"});
    let packed = json(post(&sim, "/v1/embeddings", packed).send().await.unwrap()).await;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(packed["data"][0]["embedding"].as_str().unwrap())
        .unwrap();
    let decoded: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(decoded, first);

    let short = json!({"model": "text-embedding-3-small", "input": "hello", "dimensions": 256});
    let short = json(post(&sim, "/v1/embeddings", short).send().await.unwrap()).await;
    assert_eq!(short["data"][0]["embedding"].as_array().unwrap().len(), 256);
}

/// The binary's contract with scripts: one `listening on` line, then serve until SIGTERM.
#[cfg(unix)]
#[tokio::test]
async fn the_binary_announces_its_address_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_nexhina-simulator"))
        .args([
            "--port",
            "0",
            "--api-key",
            "sk-bin",
            "--chunk-delay-ms",
            "1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("announce line")
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));

    let models = client()
        .get(format!("{base}/v1/models"))
        .bearer_auth("sk-bin")
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200);

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}
