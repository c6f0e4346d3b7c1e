//! Fault injection through the header, the model name and queued rules.

use std::time::{Duration, Instant};

use nexhina_simulator::{Fault, FaultRule};
use serde_json::{json, Value};

use crate::{client, data_lines, json, post, read_stream, start};

fn chat(model: &str, stream: bool) -> Value {
    json!({"model": model, "stream": stream, "messages": [{"role": "user", "content": "tell me about café crème ☕"}]})
}

#[tokio::test]
async fn reset_cuts_the_stream_without_done() {
    let sim = start().await;
    let response = post(&sim, "/v1/chat/completions", chat("gpt-4o-mini", true))
        .header("X-Sim-Fault", "reset:2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (pieces, failed) = read_stream(response).await;
    assert!(failed, "the connection is dropped mid-body");
    let text = String::from_utf8_lossy(&pieces.concat()).into_owned();
    assert_eq!(data_lines(&text).len(), 2);
    assert!(!text.contains("[DONE]"));
}

#[tokio::test]
async fn empty_429_from_the_model_name() {
    let sim = start().await;
    let response = post(
        &sim,
        "/v1/chat/completions",
        chat("gpt-4o-mini+fault=429:empty", false),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("x-oneapi-request-id"));
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn status_faults_carry_code_and_retry_after() {
    let sim = start().await;
    let response = post(&sim, "/v1/chat/completions", chat("gpt-4o-mini", false))
        .header("X-Sim-Fault", "429:retry=2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");

    let response = post(
        &sim,
        "/v1/chat/completions",
        chat("gpt-4o-mini+fault=403:insufficient_user_quota", false),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 403);
    let id = response.headers()["x-oneapi-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = json(response).await;
    assert_eq!(body["error"]["code"], "insufficient_user_quota");
    assert_eq!(body["error"]["type"], "new_api_error");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .ends_with(&format!("(request id: {id})")));

    let response = post(
        &sim,
        "/v1/chat/completions",
        chat("gpt-4o+fault=503:model_not_found", false),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 503);
    assert!(json(response).await["error"]["message"]
        .as_str()
        .unwrap()
        .contains("gpt-4o"));

    let bad = post(&sim, "/v1/chat/completions", chat("gpt-4o-mini", false))
        .header("X-Sim-Fault", "teapot")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400, "a typo in a spec is loud");
}

#[tokio::test]
async fn queued_rules_apply_to_matching_paths_the_given_number_of_times() {
    let sim = start().await;
    sim.push_fault(FaultRule {
        path_prefix: "/v1/chat".into(),
        fault: Fault::Html { status: 502 },
        times: 2,
    });
    for _ in 0..2 {
        let response = post(&sim, "/v1/chat/completions", chat("gpt-4o-mini", false))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 502);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("<h1>502 Bad Gateway</h1>"));
    }
    assert_eq!(
        post(&sim, "/v1/chat/completions", chat("gpt-4o-mini", false))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // The same through the control API; a non-matching path is left alone.
    let queued = client()
        .post(format!("{}/__sim/faults", sim.base_url()))
        .json(&json!({"path_prefix": "/v1/embeddings", "fault": "ok_error", "times": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 200);
    assert_eq!(
        post(&sim, "/v1/chat/completions", chat("gpt-4o-mini", false))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let response = post(
        &sim,
        "/v1/embeddings",
        json!({"model": "text-embedding-3-small", "input": "x"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert!(json(response).await["error"]["message"].is_string());

    sim.push_fault(FaultRule::once("/v1", "500".parse().unwrap()));
    sim.clear();
    assert_eq!(
        post(&sim, "/v1/chat/completions", chat("gpt-4o-mini", false))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn crlf_variant_splits_utf8_but_carries_the_same_events() {
    let sim = start().await;
    let (normal, _) = read_stream(
        post(&sim, "/v1/chat/completions", chat("gpt-4o-mini", true))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let response = post(
        &sim,
        "/v1/chat/completions",
        chat("gpt-4o-mini+fault=crlf", true),
    )
    .send()
    .await
    .unwrap();
    let (tiny, failed) = read_stream(response).await;
    assert!(!failed);
    assert!(
        tiny.len() > normal.len() * 5,
        "tiny writes arrive as many reads"
    );
    assert!(
        tiny.iter().any(|piece| std::str::from_utf8(piece).is_err()),
        "some read splits a UTF-8 character"
    );
    let text = String::from_utf8(tiny.concat()).unwrap();
    assert!(text.contains("data:{") && !text.contains("data: {"));
    assert!(text.contains("\r\n\r\n"));
    let strip = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .map(|l| l.split("\"created\"").next().unwrap().to_owned())
            .collect()
    };
    let normal_text = String::from_utf8(normal.concat()).unwrap();
    assert_eq!(data_lines(&text).len(), data_lines(&normal_text).len());
    assert_eq!(
        strip(data_lines(&text)).last(),
        strip(data_lines(&normal_text)).last()
    );
}

#[tokio::test]
async fn stream_error_sends_a_bare_error_line_and_stops() {
    let sim = start().await;
    let response = post(&sim, "/v1/chat/completions", chat("gpt-4o-mini", true))
        .header("X-Sim-Fault", "stream_error")
        .send()
        .await
        .unwrap();
    let (pieces, failed) = read_stream(response).await;
    assert!(!failed);
    let text = String::from_utf8(pieces.concat()).unwrap();
    let bare = text
        .lines()
        .find(|l| l.starts_with("{\"error\""))
        .expect("a bare error line");
    let error: Value = serde_json::from_str(bare).unwrap();
    assert_eq!(error["error"]["type"], "new_api_error");
    assert!(!text.contains("[DONE]"));
}

#[tokio::test]
async fn malformed_inserts_a_garbage_data_line() {
    let sim = start().await;
    let response = post(&sim, "/v1/chat/completions", chat("gpt-4o-mini", true))
        .header("X-Sim-Fault", "malformed")
        .send()
        .await
        .unwrap();
    let (pieces, _) = read_stream(response).await;
    let text = String::from_utf8(pieces.concat()).unwrap();
    let lines = data_lines(&text);
    assert!(lines
        .iter()
        .any(|l| *l != "[DONE]" && serde_json::from_str::<Value>(l).is_err()));
    assert_eq!(lines.last().unwrap(), "[DONE]");
}

#[tokio::test]
async fn stall_pauses_the_stream() {
    let sim = start().await;
    let started = Instant::now();
    let response = post(&sim, "/v1/chat/completions", chat("gpt-4o-mini", true))
        .header("X-Sim-Fault", "stall:300")
        .send()
        .await
        .unwrap();
    let (pieces, failed) = read_stream(response).await;
    assert!(!failed);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(String::from_utf8(pieces.concat())
        .unwrap()
        .ends_with("data: [DONE]\n\n"));
}
