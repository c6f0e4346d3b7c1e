//! Every gateway fault becomes the right typed error and message, and retries happen only
//! where they cannot repeat a generation.

use std::time::Duration;

use nexhina_core::platform::models::list_models;
use nexhina_core::platform::{balance::balance, Safety};
use nexhina_core::Error;
use serde_json::json;

use crate::{client_for, fault, hits, simulator, KEY};

#[tokio::test]
async fn models_come_with_kinds_and_auth_header() {
    let sim = simulator().await;
    let models = list_models(&client_for(&sim, KEY)).await.unwrap();
    let kind_of = |id: &str| models.iter().find(|m| m.id == id).map(|m| m.kind.as_str());
    assert_eq!(kind_of("gpt-4o-mini"), Some("chat"));
    assert_eq!(kind_of("gpt-image-1"), Some("image"));
    assert_eq!(kind_of("whisper-1"), Some("stt"));
    assert_eq!(kind_of("tts-1"), Some("tts"));
    assert_eq!(kind_of("text-embedding-3-small"), Some("embedding"));
    assert_eq!(kind_of("veo-2"), Some("video"));
    let request = &sim.requests()[0];
    assert_eq!(request.path, "/v1/models");
    assert_eq!(request.header("authorization"), Some("Bearer sk-demo"));
    assert_eq!(request.header("accept-language"), Some("en"));
}

#[tokio::test]
async fn wrong_key_is_unauthorized_with_request_id_and_not_retried() {
    let sim = simulator().await;
    let err = list_models(&client_for(&sim, "sk-wrong")).await.unwrap_err();
    assert_eq!(err.code(), "unauthorized");
    assert!(err.to_string().contains("API key"), "{err}");
    assert!(err.request_id().is_some_and(|id| !id.is_empty()));
    assert!(!err.to_string().contains("request id"), "the id is kept apart from the text: {err}");
    assert_eq!(hits(&sim, "/v1/models"), 1);
}

#[tokio::test]
async fn rate_limit_is_retried_for_reads_then_succeeds() {
    let sim = simulator().await;
    fault(&sim, "/v1/models", "429:empty", 2);
    let models = list_models(&client_for(&sim, KEY)).await.unwrap();
    assert!(!models.is_empty());
    assert_eq!(hits(&sim, "/v1/models"), 3);
}

#[tokio::test]
async fn rate_limit_that_persists_says_how_long_to_wait() {
    let sim = simulator().await;
    fault(&sim, "/v1/models", "429:retry=1", 0);
    let err = list_models(&client_for(&sim, KEY)).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(1)), "{err:?}");
    assert!(err.to_string().contains("1 s"), "{err}");
    assert_eq!(hits(&sim, "/v1/models"), 3, "the first try and two retries");
}

#[tokio::test]
async fn empty_429_body_still_gives_a_message() {
    let sim = simulator().await;
    fault(&sim, "/v1/models", "429:empty", 0);
    let err = list_models(&client_for(&sim, KEY)).await.unwrap_err();
    assert_eq!(err.code(), "rate_limited");
    assert!(err.to_string().contains("rate limiting"), "{err}");
}

#[tokio::test]
async fn quota_model_and_gateway_faults_are_typed() {
    let sim = simulator().await;
    let client = client_for(&sim, KEY);
    for (spec, code, words) in [
        ("403:insufficient_user_quota", "quota_exhausted", "balance"),
        ("503:model_not_found", "model_unavailable", "not available"),
        ("html:502", "gateway_down", "error page"),
        ("502", "gateway_down", "down"),
        ("500:invalid_request", "bad_request", "rejected"),
        ("501:api_not_implemented", "not_supported", "not supported"),
        ("413", "payload_too_large", "too large"),
        ("ok_error", "server_error", "error"),
        ("malformed", "invalid_response", "could not be read"),
    ] {
        sim.clear();
        fault(&sim, "/v1/models", spec, 0);
        let err = list_models(&client).await.unwrap_err();
        assert_eq!(err.code(), code, "{spec}: {err:?}");
        assert!(err.to_string().contains(words), "{spec}: {err}");
    }
}

#[tokio::test]
async fn validation_errors_are_not_retried() {
    let sim = simulator().await;
    fault(&sim, "/v1/models", "500:invalid_request", 0);
    list_models(&client_for(&sim, KEY)).await.unwrap_err();
    assert_eq!(hits(&sim, "/v1/models"), 1);
}

#[tokio::test]
async fn a_stalled_answer_times_out() {
    let sim = simulator().await;
    fault(&sim, "/v1/models", "stall:5000", 0);
    let err = list_models(&client_for(&sim, KEY)).await.unwrap_err();
    assert_eq!(err.code(), "timeout", "{err:?}");
}

#[tokio::test]
async fn a_connection_cut_mid_answer_is_a_network_error() {
    let sim = simulator().await;
    fault(&sim, "/v1/models", "reset:1", 1);
    let err = list_models(&client_for(&sim, KEY)).await.unwrap_err();
    assert_eq!(err.code(), "network", "{err:?}");
}

#[tokio::test]
async fn unreachable_platform_says_so() {
    let sim = simulator().await;
    let client = client_for(&sim, KEY);
    sim.shutdown().await;
    let err = list_models(&client).await.unwrap_err();
    assert_eq!(err.code(), "network", "{err:?}");
    assert!(err.to_string().contains("refused"), "{err}");
}

fn chat_body() -> serde_json::Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]})
}

#[tokio::test]
async fn a_generation_rejected_before_it_started_is_sent_again() {
    let sim = simulator().await;
    let client = client_for(&sim, KEY);
    fault(&sim, "/v1/chat", "503", 1);
    let url = client.base().relay("chat/completions");
    let response = client.send(|| Ok(client.post(url.clone())?.json(&chat_body())), Safety::Generation, "chat").await.unwrap();
    assert!(response.status().is_success());
    assert_eq!(hits(&sim, "/v1/chat/completions"), 2);
}

#[tokio::test]
async fn a_generation_that_began_is_never_sent_again() {
    let sim = simulator().await;
    let client = client_for(&sim, KEY);
    fault(&sim, "/v1/chat", "reset:1", 1);
    let url = client.base().relay("chat/completions");
    let outcome = async {
        let response = client.send(|| Ok(client.post(url.clone())?.json(&chat_body())), Safety::Generation, "chat").await?;
        response.text().await.map_err(nexhina_core::platform::client::transport_error)
    }
    .await;
    assert_eq!(outcome.unwrap_err().code(), "network");
    assert_eq!(hits(&sim, "/v1/chat/completions"), 1);
}

#[tokio::test]
async fn a_generation_timing_out_is_not_sent_again() {
    let sim = simulator().await;
    let client = client_for(&sim, KEY);
    fault(&sim, "/v1/chat", "stall:5000", 1);
    let url = client.base().relay("chat/completions");
    let err = client.send(|| Ok(client.post(url.clone())?.json(&chat_body())), Safety::Generation, "chat").await.unwrap_err();
    assert_eq!(err.code(), "timeout");
    assert_eq!(hits(&sim, "/v1/chat/completions"), 1);
}

#[tokio::test]
async fn balance_reads_the_key_usage_in_dollars() {
    let sim = simulator().await;
    let found = balance(&client_for(&sim, KEY)).await.unwrap().expect("the simulator offers a balance");
    assert_eq!(found.currency, "USD");
    assert!(found.available.is_some() || found.unlimited);
    assert!(hits(&sim, "/api/usage/token/") >= 1, "the trailing slash is sent");
}

#[tokio::test]
async fn balance_falls_back_to_billing_then_to_nothing() {
    let sim = simulator().await;
    let client = client_for(&sim, KEY);
    fault(&sim, "/api/usage/token", "404", 0);
    let found = balance(&client).await.unwrap().expect("billing endpoints answer");
    assert_eq!(found.currency, "USD");
    fault(&sim, "/dashboard/billing", "404", 0);
    assert_eq!(balance(&client).await.unwrap(), None, "a gateway without balance endpoints hides the panel");
}
